//! The app's doors (the live app, `screenshot`, `record`) check their
//! options, problem and display before a window opens, and say why they
//! stop in one line.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::binary::{curvscope, describe, fails_with, succeeds, text};
use crate::common;
use crate::results::sample;

#[test]
fn app_options_are_checked_before_a_window_opens() {
    // No display is needed: every one of these fails before the app starts.
    let shot = ["screenshot", "--out", "never.png"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        shot.iter().copied().chain(extra.iter().copied()).collect()
    };
    fails_with(&with(&["--lr", "-1"]), &["--lr", "-1"]);
    fails_with(&with(&["--lr", "inf"]), &["--lr"]);
    fails_with(&with(&["--momentum", "1"]), &["--momentum", "[0, 1)"]);
    fails_with(&with(&["--speed", "0"]), &["--speed", "100000"]);
    fails_with(&with(&["--frames", "0"]), &["--frames"]);
    // clap's own errors add a line pointing at --help.
    for (args, needle) in [
        (with(&["--size", "10x10"]), "64 to 8192"),
        (with(&["--size", "big"]), "WIDTHxHEIGHT"),
        // The live app takes --size too (issue 9).
        (vec!["--size", "10x10"], "64 to 8192"),
    ] {
        let out = curvscope(&args);
        let all = describe(&args, &out);
        assert!(!out.status.success(), "{all}");
        assert!(
            text(&out.stderr).starts_with("error: invalid value"),
            "{all}"
        );
        assert!(text(&out.stderr).contains(needle), "{all}");
    }
    fails_with(&["--lr", "0"], &["--lr"]);
    assert!(!std::path::Path::new("never.png").exists());
}

#[test]
fn record_refuses_bad_options_and_unwritable_outputs_before_rendering() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let under_file = file.join("demo.mp4");
    let out = under_file.to_str().unwrap();
    // A display is named (none is reached: the folder is refused first).
    let o = Command::new(env!("CARGO_BIN_EXE_curvscope"))
        .args(["record", "--seconds", "1", "--out", out])
        .env("DISPLAY", ":12345")
        .output()
        .unwrap();
    let line = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{line}");
    assert!(
        line.starts_with("error: cannot create the frames folder")
            && line.contains("a-file/demo.mp4.frames")
            && line.to_lowercase().contains("not a directory")
            && line.trim_end().lines().count() == 1,
        "{line}"
    );
    fails_with(&["record", "--out", "x.avi"], &["x.avi", ".mp4, .gif"]);
    fails_with(
        &["record", "--out", "v", "--fps", "0"],
        &["--fps", "1 to 120"],
    );
    fails_with(&["record", "--out", "v", "--seconds", "-2"], &["--seconds"]);
    fails_with(
        &["record", "--out", "v", "--seconds", "0.001"],
        &["--seconds"],
    );
    fails_with(&["record", "--out", "v", "--orbit", "nan"], &["--orbit"]);
    fails_with(
        &["record", "--out", "v", "--lesson", "no-such-lesson"],
        &["no-such-lesson", "sharp-vs-flat"],
    );
    assert!(!std::path::Path::new("v").exists());
}

#[test]
fn app_refuses_a_missing_or_bad_problem_file_before_opening_a_window() {
    let (bad_name, bad_field) = common::bad_files().swap_remove(0);
    let bad = format!("tests/data/bad/{bad_name}");
    let missing = "tests/data/no_such_problem.json";
    for (path, needles) in [
        (missing, vec!["cannot read", "No such file"]),
        (bad.as_str(), vec![bad_field.as_str()]),
    ] {
        let args = ["--problem", path];
        let line = fails_with(&args, &needles);
        // The file is named first, and the app never started.
        assert!(line.starts_with(&format!("error: {path}: ")), "{line}");
        let out = curvscope(args);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&args, &out));
    }
}

#[test]
fn without_a_display_the_app_commands_say_so_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v");
    let shot = dir.path().join("s.png");
    for args in [
        vec!["record", "--seconds", "0.2", "--out", out.to_str().unwrap()],
        vec!["screenshot", "--out", shot.to_str().unwrap()],
    ] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_curvscope"))
            .args(&args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("WAYLAND_SOCKET")
            .output()
            .unwrap();
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.starts_with("error: cannot open a window") && stderr.contains("xvfb-run"),
            "{stderr}"
        );
    }
    assert!(!out.exists() && !shot.exists());
    // A display that is named but cannot be reached.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_curvscope"))
        .args(["screenshot", "--out", shot.to_str().unwrap()])
        .env("DISPLAY", ":12345")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let line = stderr.lines().rfind(|l| l.starts_with("error: ")).unwrap();
    assert!(
        line.starts_with("error: cannot open a window (") && line.contains("xvfb-run"),
        "{stderr}"
    );
    assert!(!shot.exists());
}

/// A sample problem with every target replaced by `y`.
fn with_targets(dir: &Path, name: &str, y: f64) -> PathBuf {
    let mut v: Value = serde_json::from_str(&fs::read_to_string(sample(name)).unwrap()).unwrap();
    for t in v["data"]["y"].as_array_mut().unwrap() {
        *t = match t {
            Value::Array(row) => Value::Array(row.iter().map(|_| y.into()).collect()),
            _ => y.into(),
        };
    }
    let path = dir.join(format!("{name}-y{y:e}.json"));
    fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    path
}

/// Issue 10: a start whose loss is not finite panicked in `record
/// --problem` (session.rs: index out of bounds) and froze the app; now
/// every door refuses it with one line naming the cause, before any window
/// or file.
#[test]
fn every_door_refuses_a_problem_whose_loss_is_not_finite_at_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let huge = with_targets(dir.path(), "sine", 1e300);
    let huge = huge.to_str().unwrap();
    let cause = "data.y holds values up to 1e300, whose squares overflow float64";
    let json = dir.path().join("out.json");
    fails_with(
        &["analyze", huge, "--json", json.to_str().unwrap()],
        &["the loss is not finite (inf)", cause],
    );
    assert!(!json.exists(), "nothing written on refusal");
    let video = dir.path().join("v.mp4");
    for args in [
        vec![
            "record",
            "--problem",
            huge,
            "--out",
            video.to_str().unwrap(),
        ],
        vec!["--problem", huge],
        vec!["screenshot", "--out", "never.png", "--problem", huge],
    ] {
        fails_with(
            &args,
            &["cannot start the run: the loss is not finite (inf)", cause],
        );
    }
    assert!(!video.exists() && !dir.path().join("v.mp4.frames").exists());
    assert!(!Path::new("never.png").exists());
    // Just below the overflow the run starts (the same file, 1e150).
    let big = with_targets(dir.path(), "sine", 1e150);
    succeeds(&["analyze", big.to_str().unwrap(), "--grid", "3"]);
}
