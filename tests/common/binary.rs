//! Runners of the real `curvscope` binary shared by the `cli` and `app`
//! test binaries: directly in the repository root, and under Xvfb.
#![allow(dead_code)]

use std::process::{Command, Output};

use crate::common::root;

/// Runs the binary with `args` in the crate root.
pub fn curvscope<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_curvscope"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the curvscope binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "curvscope {}\nstatus: {}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// Runs and requires success; returns stdout.
pub fn succeeds(args: &[&str]) -> String {
    let out = curvscope(args);
    assert!(
        out.status.success(),
        "expected success\n{}",
        describe(args, &out)
    );
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        describe(args, &out)
    );
    text(&out.stdout)
}

/// Runs and requires a failure with exactly one line on stderr that holds
/// every one of `needles`; returns that line.
pub fn fails_with(args: &[&str], needles: &[&str]) -> String {
    let out = curvscope(args);
    let stderr = text(&out.stderr);
    let all = describe(args, &out);
    assert!(!out.status.success(), "expected a failure\n{all}");
    assert!(!stderr.contains("panicked"), "panic\n{all}");
    let line = stderr.trim_end();
    assert_eq!(
        line.lines().count(),
        1,
        "expected one line on stderr\n{all}"
    );
    for needle in needles {
        assert!(line.contains(needle), "stderr lacks `{needle}`\n{all}");
    }
    line.to_string()
}

/// Runs `curvscope record` under Xvfb with these arguments.
pub fn record(args: &[&str], env: &[(&str, &std::path::Path)]) -> std::process::Output {
    let mut c = Command::new("xvfb-run");
    c.args([
        "-a",
        "-s",
        "-screen 0 1280x800x24",
        env!("CARGO_BIN_EXE_curvscope"),
        "record",
    ])
    .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output()
        .expect("xvfb-run must be installed (.ci/run installs it)")
}
