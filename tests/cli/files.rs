//! Inputs and outputs that are not what they should be (special files, the
//! input itself, files too large, mutants) and problems larger than the
//! memory: refused cleanly, never a panic or a hang.

use std::fs;
use std::process::Command;

use crate::binary::{curvscope, describe, fails_with, succeeds, text};
use crate::common;
use crate::results::{mlp_problem, sample};

/// Issue 10: `--json` replaced whatever was at the path (a device node, a
/// FIFO, its own input) and said so only after the whole computation.
#[test]
fn writes_refuse_their_input_and_special_files_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("self.json");
    fs::copy(sample("sine"), &own).unwrap();
    let before = fs::read(&own).unwrap();
    let own_s = own.to_str().unwrap();
    fails_with(
        &["analyze", own_s, "--json", own_s],
        &["--json", "the problem file itself"],
    );
    // Another spelling of the same file.
    let other = format!("{}/./self.json", dir.path().display());
    fails_with(
        &["analyze", own_s, "--json", &other],
        &["the problem file itself"],
    );
    assert_eq!(fs::read(&own).unwrap(), before, "the input is untouched");
    let fifo = dir.path().join("fifo");
    common::mkfifo(&fifo);
    for args in [
        vec!["analyze", own_s, "--json", "/dev/null"],
        vec!["analyze", own_s, "--json", fifo.to_str().unwrap()],
        vec![
            "bench",
            "--runs",
            "1",
            "--no-wide",
            "--json",
            fifo.to_str().unwrap(),
        ],
        vec!["screenshot", "--out", fifo.to_str().unwrap()],
    ] {
        let line = fails_with(&args, &["cannot write", "not a regular file"]);
        assert!(
            line.contains("is a device") || line.contains("is a FIFO"),
            "{line}"
        );
    }
    // A video onto a FIFO is refused before rendering (a display is named
    // but never reached), and the frames folder made for it goes again.
    let video = dir.path().join("fifo.mp4");
    common::mkfifo(&video);
    let o = Command::new(env!("CARGO_BIN_EXE_curvscope"))
        .args(["record", "--seconds", "1", "--out", video.to_str().unwrap()])
        .env("DISPLAY", ":12345")
        .output()
        .unwrap();
    let line = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{line}");
    assert!(
        line.starts_with("error: --out: cannot write") && line.contains("is a FIFO"),
        "{line}"
    );
    assert!(!dir.path().join("fifo.mp4.frames").exists());
    use std::os::unix::fs::FileTypeExt as _;
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(fs::symlink_metadata(&video).unwrap().file_type().is_fifo());
    assert!(
        fs::symlink_metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

/// Issue 10: `analyze /dev/zero` read 8.4 GB before failing and a FIFO
/// blocked forever; a byte-order mark was "expected value at line 1".
#[test]
fn inputs_must_be_regular_files_of_bounded_size_and_may_start_with_a_bom() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.json");
    common::mkfifo(&fifo);
    for path in ["/dev/zero", fifo.to_str().unwrap()] {
        fails_with(&["analyze", path], &["file", "not a regular file"]);
        fails_with(&["--problem", path], &["not a regular file"]);
    }
    let lesson = dir.path().join("lesson.json");
    fs::write(
        &lesson,
        "{\"format\": \"curvscope-lesson/1\", \"name\": \"a\", \"name\": \"b\"}",
    )
    .unwrap();
    fails_with(
        &["--lesson", lesson.to_str().unwrap()],
        &["json", "duplicate key \"name\""],
    );
    let bom = dir.path().join("bom.json");
    let mut bytes = vec![0xef, 0xbb, 0xbf];
    bytes.extend(fs::read(sample("sine")).unwrap());
    fs::write(&bom, bytes).unwrap();
    succeeds(&["analyze", bom.to_str().unwrap(), "--grid", "3"]);
}

/// Issue 10: memory grew with the problem until the allocator aborted
/// (exit 134). The Lanczos basis is capped to the memory available (here
/// set by `$CURVSCOPE_MEMORY`, as a cgroup or `ulimit -v` would) and the
/// result says so; a problem whose passes alone do not fit is refused with
/// the figures; the live app refuses a problem too large to show.
#[test]
fn memory_follows_what_the_machine_has() {
    let dir = tempfile::tempdir().unwrap();
    // 161 601 parameters: a basis vector is 1.3 MB; Lanczos converges in
    // about 42 products.
    let big = mlp_problem(dir.path(), &[1, 400, 400, 1], 8);
    let run = |memory: &str| {
        Command::new(env!("CARGO_BIN_EXE_curvscope"))
            .args(["analyze", big.to_str().unwrap(), "--grid", "3"])
            .env("CURVSCOPE_MEMORY", memory)
            .output()
            .unwrap()
    };
    let out = run("120M");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("(not converged: the basis was capped at")
            && stdout.contains("vectors to fit in memory)"),
        "{stdout}"
    );
    let out = run("8M");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("this problem needs about")
            && stderr.contains("MiB this machine has available"),
        "{stderr}"
    );
    // The live app: 8 samples × 161 601 parameters is fine, 200 samples is not.
    let wide = mlp_problem(dir.path(), &[1, 400, 400, 1], 200);
    fails_with(
        &["--problem", wide.to_str().unwrap()],
        &[
            "cannot start the run",
            "200 training samples × 161601 parameters",
            "curvscope analyze",
        ],
    );
}

/// The fuzzing harness's door test: mutants of a sample problem through
/// the real binary (`analyze --json` and `--problem`): exit 0 or 1, never a
/// panic; a refusal is one line and writes nothing.
#[test]
fn mutated_problem_files_through_the_binary_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::read_to_string(sample("sine")).unwrap();
    let specials = [
        "1e308",
        "-1e308",
        "1e-320",
        "1e154",
        "\"x\"",
        "null",
        "[]",
        "4294967296",
    ];
    let numbers = common::number_spans(&base);
    let (mut refused, mut accepted) = (0, 0);
    for k in 0..60 {
        let mutant = if k % 3 == 0 {
            base[..base.len() * k / 60].to_string()
        } else {
            let (a, b) = numbers[(k * 37) % numbers.len()];
            format!(
                "{}{}{}",
                &base[..a],
                specials[k % specials.len()],
                &base[b..]
            )
        };
        let path = dir.path().join(format!("m{k}.json"));
        let out = dir.path().join(format!("m{k}.out.json"));
        fs::write(&path, &mutant).unwrap();
        let args = [
            "analyze",
            path.to_str().unwrap(),
            "--grid",
            "3",
            "--json",
            out.to_str().unwrap(),
        ];
        let o = curvscope(args);
        let stderr = text(&o.stderr);
        assert!(!stderr.contains("panicked"), "{}", describe(&args, &o));
        match o.status.code() {
            Some(0) => accepted += 1,
            Some(1) => {
                refused += 1;
                assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
                assert!(!out.exists(), "written on refusal");
            }
            other => panic!("exit {other:?}\n{}", describe(&args, &o)),
        }
        // Without a display: an accepted file stops at the window.
        let o = Command::new(env!("CARGO_BIN_EXE_curvscope"))
            .args(["--problem", path.to_str().unwrap()])
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("WAYLAND_SOCKET")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
    }
    assert!(
        refused > 20 && accepted > 5,
        "{refused} refused, {accepted} accepted"
    );
}
