//! The fuzzing harness: mutated problem and lesson files (truncations, byte
//! flips, special numbers, wrong types, duplicated and unknown keys, deep
//! nesting) go to the readers and, when accepted, to a short headless run.
//! Nothing may panic; a refusal is one non-empty line.
//!
//! `CURVSCOPE_FUZZ_CASES` sets the cases per file kind (default 3000, a few
//! seconds; run e.g. 100000 by hand). The counts are printed
//! (`cargo test --release -p curvscope-core fuzz -- --nocapture`).

use curvscope_core::io::problem::Problem;
use curvscope_core::lesson::Lesson;
use curvscope_core::spec::DataSource;
use curvscope_core::spec::SessionConfig;
use curvscope_core::train::runner::{Runner, Source};
use curvscope_core::train::session::Session;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Values that have broken readers before: extremes, wrong types, nesting.
const SPECIALS: &[&str] = &[
    "1e308",
    "-1.7976931348623157e308",
    "1e-320",
    "-0",
    "0",
    "1e154",
    "1e300",
    "4294967296",
    "18446744073709551616",
    "-1",
    "0.5",
    "2.5",
    "\"x\"",
    "null",
    "true",
    "[]",
    "{}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "\"\u{feff}\"",
];

/// One change to a file's text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Cut the text at this fraction of its length.
    Truncate(f64),
    /// Replace one byte (at a fraction of the length) by another.
    Byte(f64, u8),
    /// Replace the k-th number by a special value.
    Number(usize, usize),
    /// Remove a span (start and length as fractions).
    Remove(f64, f64),
    /// Repeat a span right after itself.
    Repeat(f64, f64),
    /// Duplicate the k-th `"key": value` pair's key at the start of its object.
    DuplicateKey(usize),
    /// Add an unknown key to the k-th object.
    UnknownKey(usize),
    /// Wrap the whole document in deep brackets.
    Nest(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0.0..1.0f64).prop_map(Mutation::Truncate),
        (0.0..1.0f64, any::<u8>()).prop_map(|(a, b)| Mutation::Byte(a, b)),
        (0..400usize, 0..SPECIALS.len()).prop_map(|(a, b)| Mutation::Number(a, b)),
        (0.0..1.0f64, 0.0..0.2f64).prop_map(|(a, b)| Mutation::Remove(a, b)),
        (0.0..1.0f64, 0.0..0.1f64).prop_map(|(a, b)| Mutation::Repeat(a, b)),
        (0..20usize).prop_map(Mutation::DuplicateKey),
        (0..20usize).prop_map(Mutation::UnknownKey),
        (1..3000usize).prop_map(Mutation::Nest),
    ]
}

/// The byte offset at a fraction of the text, moved to a char boundary.
fn at(text: &str, fraction: f64) -> usize {
    let mut i = ((text.len() as f64) * fraction) as usize;
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}

fn apply(text: &str, m: &Mutation) -> Vec<u8> {
    let s = text;
    let out: String = match *m {
        Mutation::Truncate(f) => s[..at(s, f)].to_string(),
        Mutation::Byte(f, b) => {
            let mut bytes = s.as_bytes().to_vec();
            let i = ((bytes.len() as f64) * f) as usize;
            if let Some(x) = bytes.get_mut(i) {
                *x = b;
            }
            return bytes;
        }
        Mutation::Number(k, v) => {
            let nums = crate::common::number_spans(s);
            match nums.get(k % nums.len().max(1)) {
                Some(&(a, b)) => format!("{}{}{}", &s[..a], SPECIALS[v], &s[b..]),
                None => s.to_string(),
            }
        }
        Mutation::Remove(f, len) => {
            let a = at(s, f);
            let b = at(s, (f + len).min(1.0)).max(a);
            format!("{}{}", &s[..a], &s[b..])
        }
        Mutation::Repeat(f, len) => {
            let a = at(s, f);
            let b = at(s, (f + len).min(1.0)).max(a);
            format!("{}{}", &s[..b], &s[a..])
        }
        Mutation::DuplicateKey(k) => {
            let keys: Vec<usize> = s.match_indices("\": ").map(|(i, _)| i).collect();
            match keys.get(k % keys.len().max(1)) {
                Some(&end) => match s[..end].rfind('"') {
                    Some(start) => match s[..start].rfind('{') {
                        Some(open) => {
                            format!("{}{}: 1, {}", &s[..=open], &s[start..=end], &s[open + 1..])
                        }
                        None => s.to_string(),
                    },
                    None => s.to_string(),
                },
                None => s.to_string(),
            }
        }
        Mutation::UnknownKey(k) => {
            let objects: Vec<usize> = s.match_indices('{').map(|(i, _)| i).collect();
            match objects.get(k % objects.len().max(1)) {
                Some(&i) => format!("{}\"zz_unknown\": 1, {}", &s[..=i], &s[i + 1..]),
                None => s.to_string(),
            }
        }
        Mutation::Nest(depth) => format!("{}{}{}", "[".repeat(depth), s, "]".repeat(depth)),
    };
    out.into_bytes()
}

/// A refusal must be one non-empty line.
fn one_line(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(!message.trim().is_empty(), "empty message");
    prop_assert!(!message.contains('\n'), "several lines: {message}");
    Ok(())
}

fn cases() -> u32 {
    std::env::var("CURVSCOPE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

/// Runs `check` on mutants of `bases`, counting accepted and refused files;
/// panics are failures (proptest shrinks them to a small reproducer).
fn fuzz(kind: &str, bases: &[String], check: impl Fn(&[u8]) -> Result<bool, TestCaseError>) {
    let (accepted, refused) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..bases.len(), prop::collection::vec(mutation(), 1..4));
    let result = runner.run(&strategy, |(base, mutations)| {
        let mut bytes = bases[base].clone().into_bytes();
        for m in &mutations {
            bytes = apply(&String::from_utf8_lossy(&bytes), m);
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&bytes)));
        match outcome {
            Ok(Ok(true)) => accepted.fetch_add(1, Ordering::Relaxed),
            Ok(Ok(false)) => refused.fetch_add(1, Ordering::Relaxed),
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(TestCaseError::fail("panicked")),
        };
        Ok(())
    });
    println!(
        "fuzz {kind}: {} cases, {} accepted, {} refused with one line, 0 panics",
        cases(),
        accepted.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed)
    );
    if let Err(e) = result {
        panic!("{kind}: {e}");
    }
}

/// A short headless run of an accepted problem: build, train, measure.
fn run_problem(problem: Problem) {
    let config = SessionConfig {
        data: DataSource::Problem(Arc::new(problem.into())),
        grid: (5, 1.0),
        top_k: 2,
        ..SessionConfig::default()
    };
    if let Ok(mut session) = Session::new(config) {
        session.train(5);
        session.measure();
        let _ = session.snapshot();
    }
}

#[test]
fn mutated_problem_files_never_panic() {
    let bases: Vec<String> = curvscope_core::analysis::samples::SAMPLE_PROBLEMS
        .iter()
        .map(|(_, text)| text.to_string())
        .collect();
    fuzz(
        "problem files",
        &bases,
        |bytes| match Problem::from_json_bytes(bytes) {
            Ok(problem) => {
                run_problem(problem);
                Ok(true)
            }
            Err(e) => one_line(&e.to_string()).map(|()| false),
        },
    );
}

#[test]
fn mutated_lesson_files_never_panic() {
    let bases: Vec<String> = curvscope_core::lesson::BUNDLED
        .iter()
        .map(|(_, text)| text.to_string())
        .collect();
    fuzz("lesson files", &bases, |bytes| {
        let text = String::from_utf8_lossy(bytes);
        match Lesson::from_json_str(&text, "fuzz") {
            Ok(mut lesson) => {
                // Short and small: the run, not the numbers, is under test.
                for run in &mut lesson.runs {
                    run.config.grid.0 = run.config.grid.0.min(9);
                }
                match Runner::new(Source::Lesson(lesson), 100.0) {
                    Ok(mut runner) => {
                        runner.tick_exact(3, 0.1, true);
                    }
                    Err(e) => one_line(&e.to_string())?,
                }
                Ok(true)
            }
            Err(e) => one_line(&e.to_string()).map(|()| false),
        }
    });
}
