//! `analyze` refuses every bad file, option and result with one clear line
//! (never a panic), and writes nothing when it does.

use std::fs;

use curvscope_core::io::problem::Problem;
use serde_json::Value;

use crate::binary::{curvscope, describe, fails_with, text};
use crate::common;
use crate::results::{mlp_problem, problem_without_directions, sample};

/// File name -> field, from the `- `NAME`: ... (field `FIELD`)` lines of
/// `tests/data/bad/README.md`.
#[test]
fn analyze_refuses_every_bad_file_with_one_line_naming_file_and_field() {
    for (name, field) in common::bad_files() {
        let path = format!("tests/data/bad/{name}");
        let line = fails_with(&["analyze", &path], &[&path]);
        // The public README names `data.x` for `data.x[4]`.
        assert!(
            line.contains(&format!(": {field}: ")) || line.contains(&format!(": {field}[")),
            "{name}: stderr `{line}` does not name field `{field}`"
        );
    }
}

#[test]
fn analyze_refuses_a_missing_file() {
    let path = "tests/data/no_such_problem.json";
    fails_with(&["analyze", path], &[path, "file", "cannot read"]);
}

#[test]
fn analyze_refuses_bad_options_with_one_line() {
    let moons = "assets/problems/moons.json";
    for (opts, needles) in [
        (&["--top-k", "0"][..], &["--top-k", "337", "got 0"][..]),
        (&["--top-k", "100000"], &["--top-k", "337", "got 100000"]),
        (&["--grid", "1"], &["--grid", "2..=1001", "got 1"]),
        (&["--grid", "0"], &["--grid", "2..=1001", "got 0"]),
        (&["--grid", "1002"], &["--grid", "2..=1001", "got 1002"]),
        (&["--range", "0"], &["--range", "(0, 1e100]", "got 0"]),
        (&["--range", "-1"], &["--range", "(0, 1e100]", "got -1"]),
        (
            &["--range", "1e101"],
            &["--range", "(0, 1e100]", "got 1e101"],
        ),
        (&["--range", "nan"], &["--range", "finite", "got NaN"]),
        (&["--range", "inf"], &["--range", "finite", "got inf"]),
    ] {
        let mut args = vec!["analyze", moons];
        args.extend_from_slice(opts);
        let mut all = needles.to_vec();
        all.push(moons);
        fails_with(&args, &all);
    }
}

#[test]
fn analyze_refuses_file_directions_when_the_problem_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = problem_without_directions(dir.path());
    let shown = path.to_str().unwrap();
    fails_with(
        &["analyze", shown, "--directions", "file"],
        &[shown, "--directions", "`file` needs 2 directions", "has 0"],
    );
}

#[test]
fn analyze_refuses_bad_spectrum_and_pca_requests_with_one_line() {
    let args = [
        "analyze",
        "assets/problems/sine.json",
        "--spectrum",
        "bogus",
    ];
    let out = curvscope(args);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
    assert!(
        text(&out.stderr).contains("invalid value 'bogus' for '--spectrum"),
        "{}",
        describe(&args, &out)
    );
    let dir = tempfile::tempdir().unwrap();
    let big = mlp_problem(dir.path(), &[2, 80, 80, 1], 10);
    let shown = big.to_str().unwrap();
    fails_with(
        &["analyze", shown, "--spectrum", "exact"],
        &[
            shown,
            "--spectrum",
            "`exact` needs the dense Hessian",
            "6000",
            "6801",
            "use slq",
        ],
    );
    let moons = "assets/problems/moons.json";
    fails_with(
        &["analyze", moons, "--directions", "pca"],
        &[
            moons,
            "--directions",
            "`pca` needs a `trajectory`",
            "has none",
        ],
    );
    let mut problem = Problem::load(&sample("moons")).unwrap();
    problem.trajectory = Some(vec![&problem.params * 0.5]);
    let line = dir.path().join("line.json");
    problem.save(&line).unwrap();
    let shown = line.to_str().unwrap();
    fails_with(
        &["analyze", shown, "--directions", "pca"],
        &[shown, "--directions", "fewer than two directions"],
    );
}

#[test]
fn analyze_refuses_a_json_path_in_a_missing_folder_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("no_such_folder");
    let out = folder.join("out.json");
    let shown = out.to_str().unwrap();
    fails_with(
        &["analyze", "assets/problems/sine.json", "--json", shown],
        &["cannot write", shown],
    );
    assert!(!folder.exists(), "{} was created", folder.display());
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn analyze_rejects_unknown_flags_through_clap() {
    let args = ["analyze", "assets/problems/sine.json", "--no-such-flag"];
    let out = curvscope(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
    assert!(
        stderr.contains("unexpected argument '--no-such-flag'"),
        "{}",
        describe(&args, &out)
    );
    assert!(!stderr.contains("panicked"));
    // A bad value of a known option is clap's error too.
    let args = ["analyze", "assets/problems/sine.json", "--directions", "up"];
    let out = curvscope(args);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
    assert!(text(&out.stderr).contains("invalid value 'up'"));
}

/// Either a clean failure (one line, no panic) or a result whose JSON holds
/// only numbers where `analysis-format.md` says numbers (JSON has no NaN or
/// infinity: serde writes them as `null`).
fn clean_outcome(problem: &str, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let mut args = vec!["analyze", problem];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--json", out.to_str().unwrap()]);
    let run = curvscope(&args);
    let all = describe(&args, &run);
    let stderr = text(&run.stderr);
    assert!(!stderr.contains("panicked"), "panic\n{all}");
    if run.status.success() {
        let v: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
        let nulls = |key: &str| -> usize {
            let flat: Vec<&Value> = match &v["grid"][key] {
                Value::Array(rows) if key == "loss" => rows
                    .iter()
                    .flat_map(|r| r.as_array().unwrap().iter())
                    .collect(),
                Value::Array(xs) => xs.iter().collect(),
                other => panic!("grid.{key} is {other}"),
            };
            flat.iter().filter(|x| !x.is_number()).count()
        };
        let (a, l) = (nulls("alphas"), nulls("loss"));
        assert!(
            a == 0 && l == 0,
            "exit 0, but {a} of grid.alphas and {l} of grid.loss are not numbers\n{all}"
        );
    } else {
        assert_eq!(stderr.trim_end().lines().count(), 1, "{all}");
    }
}

// Known bugs in src/ (reported; run with `cargo test --release -- --ignored`).

#[test]
fn analyze_refuses_a_grid_too_large_to_hold() {
    fails_with(
        &[
            "analyze",
            "assets/problems/sine.json",
            "--grid",
            "18446744073709551615",
        ],
        &["--grid"],
    );
}

#[test]
fn analyze_range_whose_double_overflows_is_clean() {
    clean_outcome(
        "assets/problems/moons.json",
        &["--range", "1e308", "--grid", "3"],
    );
}

#[test]
fn analyze_grid_with_overflowing_loss_is_clean() {
    clean_outcome(
        "assets/problems/spiral3.json",
        &["--range", "1e200", "--grid", "3"],
    );
}

/// Issue 10: inputs of 1e300 saturate tanh, so loss and gradient are finite
/// but the Hessian is not; `analyze` printed `trace NaN (exact)` and exited
/// 0. Every reported number is checked now.
#[test]
fn analyze_refuses_results_that_are_not_finite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saturated.json");
    fs::write(
        &path,
        r#"{"format": "curvscope-problem/1",
            "model": {"layers": [1, 2, 1], "activation": "tanh"}, "loss": "mse",
            "data": {"x": [[1e300], [1.0]], "y": [0.5, 0.2]},
            "params": [0.3, -0.2, 0.1, 0.1, 0.5, 0.4, 0.0]}"#,
    )
    .unwrap();
    let json = dir.path().join("out.json");
    fails_with(
        &[
            "analyze",
            path.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        &["is not finite", "the Hessian overflows float64"],
    );
    assert!(!json.exists());
}
