//! Lessons (JSON files and the PNG pictures that carry one) that cannot be
//! played are refused in one line, before any window.

use std::fs;
use std::path::Path;

use crate::binary::fails_with;

/// Issue 10: lesson values that hung or panicked the app are refused with
/// their field and the limit.
#[test]
fn lessons_with_unbounded_values_are_refused_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    for (run, needles) in [
        (
            r#""run": {"noise": 1e308}"#,
            vec!["run.noise", "from 0 to 10"],
        ),
        (r#""speed": 1e308"#, vec!["speed", "1 to 100000"]),
        (
            r#""steps_per_frame": 1000000"#,
            vec!["steps_per_frame", "1..=10000"],
        ),
        (
            r#""run": {"hidden": [512, 512, 512, 512]}"#,
            vec!["run.hidden[0]", "1..=256"],
        ),
        (
            r#""run": {"samples": [10000, 0], "hidden": [256, 256, 256, 256]}"#,
            vec!["run:", "more work than a live run can show", "2e7"],
        ),
    ] {
        let path = dir.path().join("l.json");
        fs::write(
            &path,
            format!(r#"{{"format": "curvscope-lesson/1", "name": "x", {run}}}"#),
        )
        .unwrap();
        let p = path.to_str().unwrap();
        fails_with(&["--lesson", p], &needles);
        fails_with(&["record", "--lesson", p, "--out", "never"], &needles);
    }
    assert!(!Path::new("never").exists());
}

/// Issue 13: `--lesson` takes a PNG curvscope saved; a PNG without the
/// lesson chunk, a chunk that is not a lesson and a file that is not a PNG
/// are each refused with one line, before any window.
#[test]
fn lesson_pictures_that_hold_no_lesson_are_refused_in_one_line() {
    use curvscope_core::io::png_text::LESSON_KEYWORD;
    use curvscope_core::io::video::write_rgb_png;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.png");
    write_rgb_png(&plain, 2, 2, &[7; 12], None).unwrap();
    let corrupt = dir.path().join("corrupt.png");
    let chunk = r#"{"format": "curvscope-lesson/1", "name": "x", "run": {"lr": 1}}"#;
    write_rgb_png(&corrupt, 2, 2, &[7; 12], Some((LESSON_KEYWORD, chunk))).unwrap();
    let fake = dir.path().join("fake.png");
    fs::write(&fake, "x,y\n1,2\n").unwrap();
    let cases = [
        (
            &plain,
            vec!["plain.png: png: holds no curvscope-lesson chunk"],
        ),
        (
            &corrupt,
            vec!["corrupt.png (curvscope-lesson chunk): run.lr: unknown field"],
        ),
        (&fake, vec!["fake.png: png: not a readable PNG file ("]),
    ];
    for (path, needles) in cases {
        let p = path.to_str().unwrap();
        fails_with(&["--lesson", p], &needles);
        fails_with(
            &["screenshot", "--lesson", p, "--out", "never.png"],
            &needles,
        );
        fails_with(&["record", "--lesson", p, "--out", "never"], &needles);
    }
    assert!(!Path::new("never").exists() && !Path::new("never.png").exists());
}
