//! `curvscope record` under Xvfb: exact, repeatable frames, GIF and MP4,
//! and failures that keep what was written.

use std::collections::HashSet;
use std::process::Command as Process;

use crate::binary::record;

/// The PNG files of a frames folder, sorted, as (name, width, height, bytes).
fn frames(folder: &std::path::Path) -> Vec<(String, u32, u32, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(folder.join(&name)).unwrap();
            let reader = png::Decoder::new(std::io::Cursor::new(&bytes))
                .read_info()
                .unwrap();
            let (w, h) = (reader.info().width, reader.info().height);
            (name, w, h, bytes)
        })
        .collect()
}

#[test]
fn record_gives_exactly_seconds_times_fps_identical_frames_on_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = dir.path().join(name);
        let args = [
            "--lesson",
            "sharp-vs-flat",
            "--seconds",
            "0.5",
            "--fps",
            "8",
            "--size",
            "480x270",
            "--orbit",
            "20",
            "--out",
        ];
        let mut all: Vec<&str> = args.to_vec();
        all.push(out.to_str().unwrap());
        let o = record(&all, &[]);
        assert!(
            o.status.success(),
            "record failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains("wrote 4 frames"));
        frames(&out)
    };
    let (first, second) = (run("a"), run("b"));
    assert_eq!(first.len(), 4, "0.5 s × 8 fps");
    // Its lesson beside it records the same video again (issue 13).
    let lesson = dir.path().join("a.lesson.json");
    let saved = curvscope_core::lesson::Lesson::load(&lesson).unwrap();
    assert!(
        saved
            .timeline
            .iter()
            .any(|e| e.actions.pause && e.at == curvscope_core::lesson::EventTime::Step(3 * 20)),
        "it pauses at the last frame's step: {saved:?}"
    );
    let out = dir.path().join("again");
    let again = [
        "--lesson",
        lesson.to_str().unwrap(),
        "--seconds",
        "0.5",
        "--fps",
        "8",
        "--size",
        "480x270",
        "--orbit",
        "20",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = record(&again, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (a, b) in first.iter().zip(&frames(&out)) {
        assert!(a.3 == b.3, "{} differs when recorded from its lesson", a.0);
    }
    for (k, (name, w, h, _)) in first.iter().enumerate() {
        assert_eq!(name, &format!("frame-{k:05}.png"));
        assert_eq!((*w, *h), (480, 270));
    }
    for (a, b) in first.iter().zip(&second) {
        if a.3 != b.3 {
            // Keep both recordings for a look.
            let kept = dir.keep();
            panic!(
                "{} differs between two runs (kept in {})",
                a.0,
                kept.display()
            );
        }
    }
    // The frames move: training and the orbit change the picture.
    assert!(first[0].3 != first[3].3);
    // The first frame is already complete: surfaces, panel and text.
    let colours = |png_bytes: &[u8]| {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let channels = info.line_size / info.width as usize;
        buf.chunks_exact(channels)
            .map(|p| (p[0], p[1], p[2]))
            .collect::<HashSet<_>>()
            .len()
    };
    let first_colours = colours(&first[0].3);
    assert!(first_colours > 1000, "frame 0 has {first_colours} colours");
}

/// Issue 12: a lesson with the curvature windows open records the same
/// frames on every run too (the windows show no wall-clock figures there),
/// and its spectra change the picture as it trains.
#[test]
fn record_of_the_outliers_lesson_gives_identical_frames_on_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = dir.path().join(name);
        let o = record(
            &[
                "--lesson",
                "outliers",
                "--seconds",
                "0.5",
                "--fps",
                "6",
                "--size",
                "960x600",
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        );
        assert!(
            o.status.success(),
            "record failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        frames(&out)
    };
    let (first, second) = (run("a"), run("b"));
    assert_eq!(first.len(), 3, "0.5 s × 6 fps");
    for (a, b) in first.iter().zip(&second) {
        assert!(a.3 == b.3, "{} differs between two runs", a.0);
    }
    assert!(first[0].3 != first[2].3);
}

#[test]
fn record_encodes_gif_and_mp4_and_keeps_frames_when_ffmpeg_fails() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "--seconds",
        "0.4",
        "--fps",
        "5",
        "--size",
        "321x201",
        "--no-ui",
        "--out",
    ];
    let with_out = |out: &std::path::Path| -> Vec<String> {
        base.iter()
            .map(|s| s.to_string())
            .chain([out.to_str().unwrap().to_string()])
            .collect()
    };
    fn args(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    // GIF, pure Rust: two frames of the requested size.
    let gif_path = dir.path().join("demo.gif");
    let o = record(&args(&with_out(&gif_path)), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut decoder = gif::DecodeOptions::new()
        .read_info(std::fs::File::open(&gif_path).unwrap())
        .unwrap();
    assert_eq!((decoder.width(), decoder.height()), (321, 201));
    let mut count = 0;
    while decoder.read_next_frame().unwrap().is_some() {
        count += 1;
    }
    assert_eq!(count, 2);
    assert!(
        !dir.path().join("demo.gif.frames").exists(),
        "frames removed"
    );
    // MP4 through ffmpeg (.ci/run installs it).
    let mp4 = dir.path().join("demo.mp4");
    let o = record(&args(&with_out(&mp4)), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let probe = Process::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_entries"])
        .args(["stream=codec_name,pix_fmt,nb_read_frames", "-of", "csv=p=0"])
        .arg(&mp4)
        .output()
        .expect("ffprobe (ffmpeg) must be installed (.ci/run installs it)");
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        "h264,yuv420p,2"
    );
    // An ffmpeg that writes half a file and fails: the message gives its
    // own words, the frames stay, and an earlier video of that name is
    // kept as it was (issue 10: it was replaced by a 48-byte file).
    let fake = dir.path().join("fake-ffmpeg");
    std::fs::write(
        &fake,
        "#!/bin/sh\n[ \"$1\" = -version ] && exit 0\nfor last; do :; done\n\
         printf half > \"$last\"\necho 'encoder exploded' >&2\nexit 3\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bad = dir.path().join("bad.mp4");
    std::fs::write(&bad, b"an earlier good video").unwrap();
    let o = record(&args(&with_out(&bad)), &[("CURVSCOPE_FFMPEG", &fake)]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("ffmpeg failed") && stderr.contains("encoder exploded"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.mp4.frames"), "{stderr}");
    assert_eq!(frames(&dir.path().join("bad.mp4.frames")).len(), 2);
    assert_eq!(std::fs::read(&bad).unwrap(), b"an earlier good video");
    let temporaries = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with(".curvscope-")
        })
        .count();
    assert_eq!(temporaries, 0, "no temporary file left");
    // No ffmpeg at all: the frames and how to encode them.
    let none = dir.path().join("none.mp4");
    let missing = dir.path().join("no-such-ffmpeg");
    let o = record(&args(&with_out(&none)), &[("CURVSCOPE_FFMPEG", &missing)]);
    assert!(o.status.success());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("ffmpeg was not found") && stdout.contains("-pix_fmt yuv420p"),
        "{stdout}"
    );
    assert_eq!(frames(&dir.path().join("none.mp4.frames")).len(), 2);
}

#[test]
fn a_frame_that_cannot_be_written_stops_the_recording_and_keeps_the_others() {
    // A folder in the place of frame 2 makes its write fail mid-recording,
    // as a full disk would.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frames");
    std::fs::create_dir_all(out.join("frame-00002.png")).unwrap();
    let o = record(
        &[
            "--seconds",
            "1",
            "--fps",
            "5",
            "--size",
            "320x200",
            "--no-ui",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // (Mesa and Xvfb print their own "error:" lines before ours.)
    let line = stderr
        .lines()
        .rfind(|l| l.starts_with("error: "))
        .expect("an error line");
    assert!(
        line.starts_with("error: recording stopped: cannot write")
            && line.contains("frame-00002.png")
            && line.contains("frames written are kept in"),
        "{line}"
    );
    for k in [0, 1] {
        let frame = out.join(format!("frame-0000{k}.png"));
        let bytes = std::fs::read(&frame).expect("frames before the failure are kept");
        assert!(
            png::Decoder::new(std::io::Cursor::new(bytes))
                .read_info()
                .is_ok()
        );
    }
}
