//! The app in a real window under Xvfb with Mesa's software Vulkan:
//! screenshots, and a minute of random input.

use std::collections::HashSet;
use std::process::Command as Process;

use crate::common;

#[test]
fn screenshot_under_xvfb_shows_the_surface_and_the_panel() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("app.png");
    let status = Process::new("xvfb-run")
        .args([
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            env!("CARGO_BIN_EXE_curvscope"),
            "screenshot",
        ])
        .arg("--out")
        .arg(&out)
        .args(["--frames", "40", "--size", "800x500"])
        .status()
        .expect("xvfb-run must be installed (.ci/run installs it)");
    assert!(status.success(), "curvscope screenshot failed: {status}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (800, 500));
    let channels = info.line_size / info.width as usize;
    let colours = |x0: u32, x1: u32, y0: u32, y1: u32| -> usize {
        let mut set = HashSet::new();
        for y in y0..y1 {
            for x in x0..x1 {
                let i = y as usize * info.line_size + x as usize * channels;
                set.insert((buf[i], buf[i + 1], buf[i + 2]));
            }
        }
        set.len()
    };
    assert!(
        colours(0, 800, 0, 500) > 1000,
        "too few colours: not a rendered scene"
    );
    assert!(
        colours(400, 780, 100, 450) > 300,
        "no shaded surface right of the panel"
    );
    assert!(
        colours(20, 330, 20, 200) > 20,
        "no panel with text at the top left"
    );
}

/// Issue 12: under Xvfb the outliers lesson's Hessian heatmap reaches the
/// screen: thousands of its red (H > 0) and blue (H < 0) pixels, colours
/// nothing else on screen has (without the window: a few hundred red, no
/// blue).
#[test]
fn screenshot_under_xvfb_shows_the_hessian_heatmap() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("outliers.png");
    let status = Process::new("xvfb-run")
        .args([
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            env!("CARGO_BIN_EXE_curvscope"),
            "screenshot",
            "--lesson",
            "outliers",
        ])
        .arg("--out")
        .arg(&out)
        .args(["--frames", "30", "--size", "1280x800"])
        .status()
        .expect("xvfb-run must be installed (.ci/run installs it)");
    assert!(status.success(), "curvscope screenshot failed: {status}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.line_size / info.width as usize;
    let (mut red, mut blue) = (0, 0);
    for y in 0..info.height as usize {
        for x in 0..info.width as usize {
            let i = y * info.line_size + x * channels;
            let (r, g, b) = (buf[i] as f32, buf[i + 1] as f32, buf[i + 2] as f32);
            red += usize::from(r >= 150.0 && g <= 0.5 * r && b <= 0.45 * r);
            blue += usize::from(b >= 150.0 && r <= 0.5 * b && g <= 0.65 * b);
        }
    }
    assert!(red > 3000 && blue > 3000, "red {red}, blue {blue}");
}

/// Issue 13: `curvscope screenshot --lesson shot.png` plays the picture's
/// run to its step and pauses there: the new picture carries the same
/// lesson, text for text.
#[test]
fn a_screenshot_replayed_from_its_png_carries_the_same_lesson() {
    use curvscope_core::io::png_text::{LESSON_KEYWORD, read_itxt};
    let dir = tempfile::tempdir().unwrap();
    let shoot = |args: &[&str], out: &std::path::Path| {
        let status = Process::new("xvfb-run")
            .args([
                "-a",
                "-s",
                "-screen 0 1280x800x24",
                env!("CARGO_BIN_EXE_curvscope"),
                "screenshot",
                "--size",
                "480x300",
                "--out",
            ])
            .arg(out)
            .args(args)
            .status()
            .expect("xvfb-run must be installed (.ci/run installs it)");
        assert!(status.success(), "curvscope screenshot failed: {status}");
        read_itxt(out, LESSON_KEYWORD).unwrap()
    };
    let first = dir.path().join("first.png");
    let lesson = shoot(
        &[
            "--frames", "20", "--data", "sine", "--lr", "0.05", "--batch", "8",
        ],
        &first,
    );
    assert!(lesson.contains("\"pause\": true"), "{lesson}");
    let second = dir.path().join("second.png");
    let replayed = shoot(&["--lesson", first.to_str().unwrap()], &second);
    assert_eq!(replayed, lesson);
}

/// Issue 9: a real window under Xvfb driven by a minute of random input
/// (clicks, slider drags, wheel over the panel and the view, orbits, keys,
/// lesson picks): the app must keep drawing frames and stay within its
/// memory bound. `tools/soak.py --seconds 1800` is the long version.
#[test]
fn a_minute_of_random_input_keeps_the_app_drawing_within_its_memory() {
    let out = Process::new("python3")
        .arg(common::root().join("tools/soak.py"))
        .args(["--seconds", "60", "--seed", "1", "--binary"])
        .arg(env!("CARGO_BIN_EXE_curvscope"))
        .output()
        .expect("python3 must be installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(summary["actions"].as_u64().unwrap() > 50, "{summary}");
    assert!(summary["frames"].as_u64().unwrap() > 60, "{summary}");
    eprintln!("soak: {summary}");
}
