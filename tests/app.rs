//! The live app: its logic in real Bevy `App`s (no window), and its
//! rendering in a real window under Xvfb with Mesa's software Vulkan.

#[path = "common/app.rs"]
mod app_common;
mod common;

use app_common::{single, training_app, update_until};
use bevy::prelude::*;
use curvscope::app::heights::{HEIGHT, HeightMap};
use curvscope::app::state::{Live, TrainingLink};
use curvscope::app::surface::surface_mesh;
use curvscope::app::training::TrainingPlugin;
use curvscope_core::train::runner::{Command, Runner, Source};
use curvscope_core::train::session::SessionConfig;
use curvscope_core::train::trainer::TrainerSettings;
use std::collections::HashSet;
use std::process::Command as Process;
use std::time::Duration;

#[test]
fn a_slider_change_reaches_the_running_trainer_without_a_reset() {
    let mut app = training_app(single(SessionConfig::default()));
    update_until(&mut app, "training", |l| {
        l.latest()
            .is_some_and(|s| s.step >= 30 && s.curvature.is_some())
    });
    let before = app.world().resource::<Live>().latest().cloned().unwrap();
    let new = TrainerSettings {
        learning_rate: 0.02,
        batch_size: None,
        momentum: 0.5,
    };
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Settings(0, new));
    update_until(&mut app, "the new settings", |l| {
        l.latest().is_some_and(|s| s.settings == new)
    });
    let after = app.world().resource::<Live>().latest().cloned().unwrap();
    assert!(
        after.step >= before.step,
        "training restarted: step {} after {}",
        after.step,
        before.step
    );
    let surface = after.surface.expect("a surface");
    assert_eq!(surface.loss.dim(), (64, 64));
    assert!(surface.loss.iter().all(|v| v.is_finite()));
}

#[test]
fn divergence_is_caught_and_reported_without_stopping_the_app() {
    let config = SessionConfig {
        data: curvscope_core::train::synthetic::DataKind::Sine,
        settings: TrainerSettings {
            learning_rate: 10.0,
            batch_size: None,
            momentum: 0.0,
        },
        ..SessionConfig::default()
    };
    let mut app = training_app(single(config));
    update_until(&mut app, "the divergence", |l| {
        l.latest().is_some_and(|s| s.diverged.is_some())
    });
    // The app keeps running, and a reset recovers.
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Reset(vec![SessionConfig::default()]));
    update_until(&mut app, "a fresh run", |l| {
        l.latest().is_some_and(|s| s.diverged.is_none())
    });
}

#[test]
fn the_surface_mesh_matches_the_grid() {
    let grid = ndarray::Array2::from_shape_fn((5, 7), |(i, j)| (i * 7 + j) as f64);
    let mesh = surface_mesh(&grid, &HeightMap::over([&grid], false), HEIGHT);
    let positions = mesh
        .attribute(Mesh::ATTRIBUTE_POSITION)
        .unwrap()
        .as_float3()
        .unwrap();
    assert_eq!(positions.len(), 35);
    assert_eq!(positions[0][1], 0.0, "the lowest loss sits at height 0");
    assert!(
        (positions[34][1] - HEIGHT).abs() < 1e-6,
        "the highest at HEIGHT"
    );
    let middle = positions[2 * 7 + 3];
    assert!(
        middle[0].abs() < 1e-6 && middle[2].abs() < 1e-6,
        "the grid centre sits at the origin"
    );
    assert_eq!(mesh.indices().unwrap().len(), 4 * 6 * 6);
}

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

#[test]
fn the_bowl_is_the_stability_quadratic_in_the_surface_height_scale() {
    use curvscope::app::surface::bowl_mesh;
    let coords = [-1.0, -0.5, 0.0, 0.5, 1.0];
    // A surface from 0 to 4 (so 4 loss units span HEIGHT).
    let loss = ndarray::Array2::from_shape_fn((5, 5), |(i, j)| {
        (coords[i] * coords[i] + coords[j] * coords[j]) * 2.0
    });
    let mesh = bowl_mesh(
        &coords,
        (0.0, 0.0, 0.0),
        2.0,
        &HeightMap::over([&loss], false),
        HEIGHT,
    );
    let p = mesh
        .attribute(Mesh::ATTRIBUTE_POSITION)
        .unwrap()
        .as_float3()
        .unwrap();
    let height = |i: usize, j: usize| p[i * 5 + j][1];
    assert!(
        height(2, 2).abs() < 1e-6,
        "the bowl passes through the current point"
    );
    // ½·2·(0.5² + 0) = 0.25 loss units = 0.25/4 of HEIGHT.
    assert!((height(3, 2) - 0.25 / 4.0 * HEIGHT).abs() < 1e-5);
    // At the corners ½·2·2 = 2 units: half the surface's range.
    assert!((height(0, 0) - 0.5 * HEIGHT).abs() < 1e-5);
}

#[test]
fn keyboard_shortcuts_pause_toggle_the_bowl_and_restart() {
    use curvscope::app::shortcuts::shortcuts;
    use curvscope::app::state::ShowBowl;
    let mut app = training_app(single(SessionConfig::default()));
    app.init_resource::<ButtonInput<KeyCode>>()
        .add_systems(Update, shortcuts);
    update_until(&mut app, "training", |l| {
        l.latest().is_some_and(|s| s.step >= 20)
    });
    let press = |app: &mut App, key: KeyCode| {
        app.world_mut()
            .resource_mut::<ButtonInput<KeyCode>>()
            .press(key);
        app.update();
        let mut keys = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
        keys.release(key);
        keys.clear();
    };
    press(&mut app, KeyCode::Space);
    // Paused: the step count stops moving.
    update_until(&mut app, "a paused snapshot", |l| l.paused);
    let held = app.world().resource::<Live>().latest().unwrap().step;
    std::thread::sleep(Duration::from_millis(200));
    app.update();
    assert_eq!(app.world().resource::<Live>().latest().unwrap().step, held);
    press(&mut app, KeyCode::KeyB);
    assert!(!app.world().resource::<ShowBowl>().0);
    press(&mut app, KeyCode::KeyR);
    update_until(&mut app, "a restarted run", |l| l.generation == 1);
    assert_eq!(
        app.world().resource::<Live>().latest().unwrap().step,
        0,
        "restarted while paused: still at the start"
    );
}

#[test]
fn rebuilding_with_another_data_set_and_model_starts_a_new_run() {
    use curvscope_core::model::activation::Activation;
    use curvscope_core::train::synthetic::DataKind;
    let mut app = training_app(single(SessionConfig::default()));
    update_until(&mut app, "training", |l| {
        l.latest().is_some_and(|s| s.step >= 20)
    });
    let config = SessionConfig {
        data: DataKind::Spirals3,
        hidden: vec![8, 8, 8],
        activation: Activation::Relu,
        ..SessionConfig::default()
    };
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Reset(vec![config.clone()]));
    update_until(&mut app, "the rebuilt run", |l| {
        l.latest()
            .is_some_and(|s| s.config == config && s.surface.is_some())
    });
    let snap = app.world().resource::<Live>().latest().cloned().unwrap();
    let surface = snap.surface.unwrap();
    assert!(surface.loss.iter().all(|v| v.is_finite()));
    // softmax_ce on 3 classes starts near ln 3.
    assert!(snap.step < 1000 && snap.train_loss < 5.0);
}

#[test]
fn twin_runs_train_side_by_side_and_take_their_own_settings() {
    let small = SessionConfig {
        settings: TrainerSettings {
            learning_rate: 0.1,
            batch_size: Some(8),
            momentum: 0.0,
        },
        ..SessionConfig::default()
    };
    let full = SessionConfig {
        settings: TrainerSettings {
            batch_size: None,
            ..small.settings
        },
        ..small.clone()
    };
    let mut app = training_app(TrainingPlugin::new(
        Runner::plain(vec![("batch 8".into(), small), ("full batch".into(), full)]).unwrap(),
    ));
    update_until(&mut app, "both runs", |l| {
        l.runs.len() == 2
            && l.runs.iter().all(|r| {
                r.latest
                    .as_ref()
                    .is_some_and(|s| s.step >= 20 && s.surface.is_some())
            })
    });
    let live = app.world().resource::<Live>();
    assert_eq!(live.runs[0].label, "batch 8");
    assert_eq!(live.runs[1].label, "full batch");
    let [a, b] = [0, 1].map(|i| live.runs[i].latest.clone().unwrap());
    // Same seed: same data and start, different batches: different paths.
    assert_ne!(a.train_loss, b.train_loss);
    let new = TrainerSettings {
        learning_rate: 0.05,
        batch_size: None,
        momentum: 0.0,
    };
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Settings(1, new));
    update_until(&mut app, "the second run's settings", |l| {
        l.runs[1].latest.as_ref().is_some_and(|s| s.settings == new)
    });
    let live = app.world().resource::<Live>();
    assert_eq!(
        live.runs[0].latest.as_ref().unwrap().settings.learning_rate,
        0.1,
        "the first run kept its settings"
    );
    assert!(live.runs.iter().all(|r| !r.history.is_empty()));
}

/// Issue 12: twins switched to the shared plane by the panel's command
/// are drawn on one surface: the same grid for both, each run's point in
/// it at the loss it has.
#[test]
fn twins_switched_to_the_shared_plane_share_one_surface() {
    use curvscope_core::train::session::PlaneKind;
    let run = SessionConfig {
        grid: (17, 1.0),
        ..SessionConfig::default()
    };
    let twin = SessionConfig {
        settings: TrainerSettings {
            momentum: 0.0,
            ..run.settings
        },
        ..run.clone()
    };
    let mut app = training_app(TrainingPlugin::new(
        Runner::plain(vec![("momentum".into(), run), ("sgd".into(), twin)]).unwrap(),
    ));
    update_until(&mut app, "both runs", |l| {
        l.runs.len() == 2 && l.runs.iter().all(|r| r.latest.is_some())
    });
    assert!(!app.world().resource::<Live>().one_surface());
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Landscape(PlaneKind::Shared, (17, 1.0)));
    update_until(&mut app, "one shared surface after some steps", |l| {
        l.one_surface() && l.runs.iter().all(|r| r.latest.as_ref().unwrap().step >= 50)
    });
    let live = app.world().resource::<Live>();
    assert_eq!((live.surfaces_drawn(), live.slot(1)), (1, 0));
    let [a, b] = [0, 1].map(|i| live.runs[i].latest.clone().unwrap());
    let (sa, sb) = (a.surface.unwrap(), b.surface.unwrap());
    assert_eq!((&sa.coords, &sa.loss), (&sb.coords, &sb.loss));
    assert_eq!(sa.shared.unwrap().start, sb.shared.unwrap().start);
    for s in [&sa, &sb] {
        assert!(s.current.off_plane < 1e-9, "{:?}", s.current);
    }
}

#[test]
fn top_k_and_the_plane_change_every_run_without_a_reset() {
    let mut app = training_app(single(SessionConfig::default()));
    update_until(&mut app, "training", |l| {
        l.latest().is_some_and(|s| s.curvature.is_some())
    });
    let link = app.world().resource::<TrainingLink>();
    link.send(Command::TopK(5));
    link.send(Command::Landscape(
        curvscope_core::train::session::PlaneKind::Random,
        (21, 0.5),
    ));
    update_until(&mut app, "five eigenvalues on a random plane", |l| {
        l.latest().is_some_and(|s| {
            s.curvature.as_ref().is_some_and(|c| c.top.len() == 5)
                && s.surface.as_ref().is_some_and(|g| {
                    g.kind == curvscope_core::train::session::PlaneKind::Random
                        && g.coords.len() == 21
                })
        })
    });
    let s = app.world().resource::<Live>().latest().unwrap();
    assert_eq!(s.surface.as_ref().unwrap().coords.last(), Some(&0.5));
    let c = s.curvature.as_ref().unwrap();
    assert!(
        c.top.windows(2).all(|w| w[0] >= w[1]),
        "descending: {:?}",
        c.top
    );
}

#[test]
fn the_hover_ray_finds_the_grid_point_and_loss_under_it() {
    use curvscope::app::heights::{run_offset, world_point};
    use curvscope::app::overlay::hit_surface;
    use curvscope::app::surface::Heights;
    use curvscope_core::train::session::{PlaneKind, Surface};
    let coords: Vec<f64> = (0..21).map(|k| -2.0 + 0.2 * k as f64).collect();
    let loss = ndarray::Array2::from_shape_fn((21, 21), |(i, j)| {
        1.0 + coords[i] * coords[i] + 0.5 * coords[j]
    });
    let surface = Surface {
        coords,
        loss: loss.clone(),
        axis_curvatures: [2.0, 0.0],
        kind: PlaneKind::Random,
        path: vec![],
        current: curvscope_core::train::session::PathPoint::default(),
        shared: None,
        explained: None,
    };
    let heights = Heights {
        map: HeightMap::over([&loss], false),
        height: HEIGHT,
    };
    // The second of two surfaces, hit from above at grid point (a, b) = (1, -0.4).
    let offset = run_offset(1, 2);
    let target = world_point(
        1.0,
        -0.4,
        2.0,
        heights.map.norm(1.0 + 1.0 - 0.2),
        HEIGHT,
        offset,
    );
    let from = target + Vec3::new(0.3, 5.0, 0.8);
    let ray = Ray3d::new(from, Dir3::new(target - from).unwrap());
    let (a, b, l) = hit_surface(ray, &surface, &heights, offset).expect("a hit");
    assert!(
        (a - 1.0).abs() < 0.02 && (b + 0.4).abs() < 0.02,
        "({a}, {b})"
    );
    assert!((l - 1.8).abs() < 0.05, "loss {l}");
    // The same ray misses the first surface.
    assert!(hit_surface(ray, &surface, &heights, run_offset(0, 2)).is_none());
}

/// Runs `curvscope record` under Xvfb with these arguments.
fn record(args: &[&str], env: &[(&str, &std::path::Path)]) -> std::process::Output {
    let mut c = Process::new("xvfb-run");
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
fn a_lesson_plays_its_timeline_in_the_live_app_and_restart_replays_it() {
    use curvscope::app::state::{Caption, ShowBowl};
    use curvscope_core::lesson::Lesson;
    let lesson = Lesson::from_json_str(
        r#"{
          "format": "curvscope-lesson/1", "name": "test", "title": "A test",
          "caption": "at the start",
          "run": {"learning_rate": 0.05, "batch_size": "full", "momentum": 0.0, "grid": 9},
          "view": {"bowl": false},
          "speed": 2000,
          "timeline": [
            {"at_step": 100, "learning_rate": 0.2, "bowl": true, "caption": "η raised"}
          ]
        }"#,
        "test lesson",
    )
    .unwrap();
    let mut app = training_app(TrainingPlugin::new(
        Runner::new(
            Source::Lesson(Lesson::bundled("sharp-vs-flat").unwrap()),
            2000.0,
        )
        .unwrap(),
    ));
    update_until(&mut app, "the bundled lesson's two runs", |l| {
        l.runs.len() == 2 && l.runs.iter().all(|r| r.latest.is_some())
    });
    // Paused, so that the lesson's start is seen before its first event
    // however slow the machine.
    let link = app.world().resource::<TrainingLink>();
    link.send(Command::Pause(true));
    link.send(Command::Lesson(Box::new(lesson)));
    update_until(&mut app, "the new lesson", |l| {
        l.runs.len() == 1 && l.title == "A test"
    });
    assert_eq!(app.world().resource::<Caption>().0, "at the start");
    assert!(!app.world().resource::<ShowBowl>().0, "the lesson's view");
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Pause(false));
    update_until(&mut app, "the timeline event", |l| {
        l.latest().is_some_and(|s| s.step >= 100)
    });
    let live = app.world().resource::<Live>();
    assert_eq!(live.latest().unwrap().settings.learning_rate, 0.2);
    assert_eq!(live.steps_per_second, 2000.0, "the lesson's speed");
    assert_eq!(app.world().resource::<Caption>().0, "η raised");
    assert!(
        app.world().resource::<ShowBowl>().0,
        "the timeline showed the bowl"
    );
    let link = app.world().resource::<TrainingLink>();
    link.send(Command::Pause(true));
    link.send(Command::Restart);
    update_until(&mut app, "the replayed start", |l| l.generation == 2);
    let live = app.world().resource::<Live>();
    let s = live.latest().unwrap();
    assert_eq!((s.step, s.settings.learning_rate), (0, 0.05));
    assert_eq!(app.world().resource::<Caption>().0, "at the start");
    assert!(!app.world().resource::<ShowBowl>().0, "the view replayed");
}

#[test]
fn the_app_saves_a_run_as_a_problem_file_that_loads_back_at_that_point() {
    use curvscope_core::io::problem::Problem;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let mut app = training_app(single(SessionConfig::default()));
    update_until(&mut app, "training", |l| {
        l.latest().is_some_and(|s| s.step >= 50)
    });
    let link = app.world().resource::<TrainingLink>();
    link.send(Command::Pause(true));
    link.send(Command::SaveProblem(0, path.clone()));
    update_until(&mut app, "the notice", |l| l.notice.is_some());
    let live = app.world().resource::<Live>();
    assert_eq!(
        live.notice.as_deref(),
        Some(&*format!("wrote {}", path.display()))
    );
    let saved = Problem::load(&path).unwrap();
    // Paused when saved: the file holds the point the snapshot shows.
    update_until(&mut app, "a paused snapshot", |_| true);
    let s = app.world().resource::<Live>().latest().cloned().unwrap();
    let loss = curvscope_core::model::objective::Objective::new(
        saved.architecture.clone(),
        saved.loss,
        &saved.data,
    )
    .loss(saved.params.as_slice().unwrap());
    assert!(
        (loss - s.train_loss).abs() <= 1e-12 * s.train_loss.max(1.0),
        "{loss} vs {}",
        s.train_loss
    );
    // A folder that does not exist: the notice says so, the app goes on.
    let bad = dir.path().join("missing").join("run.json");
    app.world()
        .resource::<TrainingLink>()
        .send(Command::SaveProblem(0, bad.clone()));
    update_until(&mut app, "the failure notice", |l| {
        l.notice.as_deref().is_some_and(|n| n.contains("missing"))
    });
}

/// A plain run past step 20 with an export into `dir` asked by `ask` (as
/// the panel's button does) and the panel's finishing system running,
/// updated until the export's notice: the runner paused, measured at the
/// step shown and wrote.
fn export_from_a_live_run(
    dir: &std::path::Path,
    ask: fn(&TrainingLink, &Live, std::path::PathBuf) -> curvscope::app::panel::PendingExport,
) -> App {
    use curvscope::app::panel::{Panel, finish_export};
    let mut app = training_app(single(SessionConfig {
        grid: (9, 1.0),
        ..SessionConfig::default()
    }));
    update_until(&mut app, "some steps", |l| {
        l.latest().is_some_and(|s| s.step > 20)
    });
    let world = app.world_mut();
    let pending = ask(
        world.resource::<TrainingLink>(),
        world.resource::<Live>(),
        dir.to_path_buf(),
    );
    let mut panel = Panel::default();
    panel.export = Some(pending);
    world.insert_resource(panel);
    app.add_systems(
        Update,
        |link: Res<TrainingLink>, mut live: ResMut<Live>, mut panel: ResMut<Panel>| {
            finish_export(&link, &mut live, &mut panel)
        },
    );
    update_until(&mut app, "the export", |l| {
        l.notice.as_deref().is_some_and(|n| n.starts_with("wrote"))
    });
    app
}

/// Issue 9: two exports in a row had different steps unless paused first;
/// one click now pauses, measures at that step, writes every format of it
/// and resumes.
#[test]
fn export_all_writes_every_format_of_one_step_then_resumes() {
    use curvscope::app::panel::PendingExport;
    let dir = tempfile::tempdir().unwrap();
    let mut app = export_from_a_live_run(dir.path(), PendingExport::ask);
    let step = app.world().resource::<Live>().latest().unwrap().step;
    // The problem file is written by the runner: wait for its notice.
    update_until(&mut app, "training to resume", |l| {
        !l.paused && l.latest().is_some_and(|s| s.step > step)
    });
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let stem = format!("curvscope-step{step}");
    let expected: Vec<String> = [
        "glb",
        "grid.csv",
        "grid.json",
        "json",
        "lesson.json",
        "ply",
        "safetensors",
        "series.csv",
    ]
    .iter()
    .map(|ext| format!("{stem}.{ext}"))
    .collect();
    assert_eq!(names, expected);
    let series = std::fs::read_to_string(dir.path().join(format!("{stem}.series.csv"))).unwrap();
    let last = series.lines().last().unwrap();
    assert!(last.starts_with(&format!("{step},")), "{last}");
}

#[test]
fn export_names_carry_the_run_and_the_step() {
    use curvscope::app::panel::export_name;
    assert_eq!(
        export_name("", 12, "glb").to_str(),
        Some("curvscope-step12.glb")
    );
    assert_eq!(
        export_name("Batch 8", 3, "grid.csv").to_str(),
        Some("curvscope-batch-8-step3.grid.csv")
    );
}

#[test]
fn the_divergence_line_uses_the_learning_rate_that_diverged() {
    use curvscope::app::readouts::divergence_text;
    use curvscope_core::train::session::Session;
    let mut config = SessionConfig {
        data: curvscope_core::train::synthetic::DataKind::Sine,
        grid: (5, 1.0),
        ..SessionConfig::default()
    };
    config.settings = TrainerSettings {
        learning_rate: 0.01,
        batch_size: None,
        momentum: 0.0,
    };
    let mut session = Session::new(config.clone()).unwrap();
    session.train(20);
    session.measure();
    let lambda = session.snapshot().curvature.unwrap().top[0];
    assert!(divergence_text(&session.snapshot()).is_none());
    // η raised far past 2/λ after the last measurement.
    let eta = 10.0 / lambda;
    session.set_settings(TrainerSettings {
        learning_rate: eta,
        ..config.settings
    });
    assert!(session.train(10_000).is_some(), "it must diverge");
    let text = divergence_text(&session.snapshot()).unwrap();
    let d = session.diverged().unwrap();
    // Issue 9: the step readout said 1814 while this line said "diverged at
    // step 1815"; now it names both.
    assert_eq!(session.snapshot().step, d.step - 1);
    assert_eq!(
        text,
        format!(
            "step {} diverged: stopped at step {} (η·λmax was {:.3})",
            d.step,
            d.step - 1,
            10.0
        )
    );
}

#[test]
fn restarting_plain_runs_keeps_the_settings_they_have_now() {
    let mut app = training_app(single(SessionConfig::default()));
    update_until(&mut app, "training", |l| {
        l.latest().is_some_and(|s| s.step >= 30)
    });
    let new = TrainerSettings {
        learning_rate: 0.03,
        batch_size: Some(64),
        momentum: 0.5,
    };
    let link = app.world().resource::<TrainingLink>();
    link.send(Command::Pause(true));
    link.send(Command::Settings(0, new));
    link.send(Command::Restart);
    // The restart is an event (a new generation), not a time window.
    update_until(&mut app, "a restart", |l| l.generation == 1);
    let s = app.world().resource::<Live>().latest().cloned().unwrap();
    assert_eq!((s.step, s.settings), (0, new));
    assert!(
        app.world().resource::<Live>().runs[0]
            .history
            .iter()
            .all(|row| row.step == 0),
        "the plots start afresh"
    );
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

/// Issue 12: the "outliers" lesson opens the spectrum and Hessian windows
/// and fills each run's waterfall from every measurement; turning
/// auto-inspection off stops the columns, a restart starts them afresh.
#[test]
fn the_outliers_lesson_opens_the_curvature_windows_and_fills_the_waterfall() {
    use curvscope::app::state::CurvatureWindows;
    use curvscope_core::lesson::Lesson;
    let mut lesson = Lesson::bundled("outliers").unwrap();
    lesson.runs[0].config.grid.0 = 5;
    let mut app = training_app(TrainingPlugin::new(
        Runner::new(Source::Lesson(lesson), 2000.0).unwrap(),
    ));
    update_until(&mut app, "three spectra over the steps", |l| {
        l.runs
            .first()
            .is_some_and(|r| r.waterfall.columns().len() >= 3)
    });
    assert_eq!(
        *app.world().resource::<CurvatureWindows>(),
        CurvatureWindows {
            spectrum: true,
            hessian: true
        }
    );
    let live = app.world().resource::<Live>();
    assert!(live.auto_inspect);
    let run = &live.runs[0];
    let columns = run.waterfall.columns();
    assert_eq!(columns[0].step, 0, "the lesson's start is inspected");
    assert!(columns.windows(2).all(|w| w[0].step < w[1].step));
    let inspection = run.inspection.as_ref().unwrap();
    assert_eq!(inspection.step, columns.last().unwrap().step);
    assert_eq!(inspection.limit, 2.0 / 0.05);
    assert!(
        inspection.picture.is_some(),
        "321 parameters: the Hessian drawn"
    );

    app.world()
        .resource::<TrainingLink>()
        .send(Command::AutoInspect(false));
    update_until(&mut app, "auto-inspection off", |l| !l.auto_inspect);
    let live = app.world().resource::<Live>();
    let off_at = live.latest().unwrap().step;
    let count = live.runs[0].waterfall.columns().len();
    update_until(&mut app, "a measurement after it", |l| {
        l.latest()
            .and_then(|s| s.curvature.as_ref())
            .is_some_and(|c| c.step > off_at)
    });
    let live = app.world().resource::<Live>();
    assert_eq!(live.runs[0].waterfall.columns().len(), count);

    app.world()
        .resource::<TrainingLink>()
        .send(Command::Restart);
    update_until(&mut app, "the replayed lesson's first spectrum", |l| {
        l.generation == 1 && !l.runs[0].waterfall.columns().is_empty()
    });
    let live = app.world().resource::<Live>();
    assert!(live.auto_inspect, "the lesson turns it on again");
    assert_eq!(live.runs[0].waterfall.columns()[0].step, 0);
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

/// A picture as the screenshot observer writes it: `write_png` of a
/// captured image with the picture's lesson inside.
fn picture(path: &std::path::Path, live: &Live) {
    use bevy::asset::RenderAssetUsages;
    use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
    use curvscope::app::recipe::picture_json;
    let image = Image::new_fill(
        Extent3d {
            width: 4,
            height: 3,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        &[40, 80, 120, 255],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    );
    let view = curvscope_core::lesson::ViewSpec {
        bowl: false,
        height_scale: 2.5,
        ..Default::default()
    };
    let lesson = picture_json(live, view).unwrap();
    curvscope::app::capture::write_png(&image, path, Some(&lesson)).unwrap();
}

/// The parameters a live app's runner has now (saved through it as a
/// problem file, then read back), as bits.
fn saved_params(app: &mut App, path: &std::path::Path) -> Vec<u64> {
    app.world()
        .resource::<TrainingLink>()
        .send(Command::SaveProblem(0, path.to_path_buf()));
    let wrote = format!("wrote {}", path.display());
    update_until(app, "the problem file", |l| {
        l.notice.as_deref() == Some(&*wrote)
    });
    let problem = curvscope_core::io::problem::Problem::load(path).unwrap();
    problem.params.iter().map(|x| x.to_bits()).collect()
}

/// Issue 13's test: a picture taken after moving sliders reproduces the
/// same step's numbers when its run is replayed from the PNG alone.
#[test]
fn a_picture_taken_after_moving_sliders_replays_from_the_png_alone() {
    use curvscope::app::state::{ShowBowl, SurfaceScale};
    use curvscope_core::lesson::Lesson;
    use curvscope_core::train::session::PlaneKind;
    let dir = tempfile::tempdir().unwrap();
    let config = SessionConfig {
        data: curvscope_core::train::synthetic::DataKind::Spirals2,
        samples: (96, 32),
        hidden: vec![8, 8],
        grid: (9, 1.0),
        ..SessionConfig::default()
    };
    let mut app = training_app(single(config));
    // The sliders, each moved at whatever step the run has reached.
    let moves = [
        (
            15,
            Command::Settings(
                0,
                TrainerSettings {
                    learning_rate: 0.03,
                    batch_size: Some(16),
                    momentum: 0.9,
                },
            ),
        ),
        (40, Command::Landscape(PlaneKind::Random, (11, 0.7))),
        (
            70,
            Command::Settings(
                0,
                TrainerSettings {
                    learning_rate: 0.07,
                    batch_size: None,
                    momentum: 0.6,
                },
            ),
        ),
        (90, Command::TopK(2)),
    ];
    for (step, command) in moves {
        update_until(&mut app, "training on", |l| {
            l.latest().is_some_and(|s| s.step >= step)
        });
        app.world().resource::<TrainingLink>().send(command);
    }
    update_until(&mut app, "the last move", |l| {
        l.latest()
            .is_some_and(|s| s.step >= 110 && s.config.top_k == 2)
    });
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Pause(true));
    update_until(
        &mut app,
        "a paused, measured run",
        Live::paused_and_measured,
    );
    let shot = dir.path().join("shot.png");
    picture(&shot, app.world().resource::<Live>());
    let before = app.world().resource::<Live>().latest().cloned().unwrap();
    let params = saved_params(&mut app, &dir.path().join("a.json"));

    // A fresh app from the PNG alone: it trains to the picture's step and
    // pauses there.
    let lesson = Lesson::load(&shot).unwrap();
    let mut replay = training_app(TrainingPlugin::new(
        Runner::new(Source::Lesson(lesson), 5000.0).unwrap(),
    ));
    update_until(
        &mut replay,
        "the replay to pause",
        Live::paused_and_measured,
    );
    let after = replay.world().resource::<Live>().latest().cloned().unwrap();
    assert_eq!(after.step, before.step);
    assert_eq!(after.train_loss.to_bits(), before.train_loss.to_bits());
    assert_eq!(
        after.test_loss.map(f64::to_bits),
        before.test_loss.map(f64::to_bits)
    );
    assert_eq!(after.config, before.config, "settings, plane, grid, top-k");
    let (a, b) = (
        after.curvature.unwrap().top[0],
        before.curvature.unwrap().top[0],
    );
    assert!((a - b).abs() <= 1e-6 * b.abs(), "λmax {a} vs {b}");
    assert_eq!(
        saved_params(&mut replay, &dir.path().join("b.json")),
        params
    );
    // The view the picture was taken with.
    assert!(!replay.world().resource::<ShowBowl>().0);
    assert_eq!(replay.world().resource::<SurfaceScale>().factor, 2.5);
}

/// Issue 13: files dropped onto the window open by their kind; a file
/// that cannot be opened gives one line in the panel, and the run goes on.
#[test]
fn dropped_files_open_by_kind_and_bad_ones_give_one_line() {
    use bevy::window::FileDragAndDrop;
    use curvscope::app::drop::DropPlugin;
    use curvscope_core::io::video::write_rgb_png;
    let dir = tempfile::tempdir().unwrap();
    let mut app = training_app(single(SessionConfig {
        samples: (64, 16),
        hidden: vec![6],
        grid: (5, 1.0),
        ..SessionConfig::default()
    }));
    app.add_plugins(DropPlugin);
    update_until(&mut app, "training", |l| {
        l.latest().is_some_and(|s| s.step >= 5)
    });
    let drop = |app: &mut App, path: &std::path::Path| {
        app.world_mut().write_message(FileDragAndDrop::DroppedFile {
            window: Entity::PLACEHOLDER,
            path_buf: path.to_path_buf(),
        });
        app.world_mut().resource_mut::<Live>().notice = None;
        update_until(app, "the notice", |l| l.notice.is_some());
        app.world().resource::<Live>().notice.clone().unwrap()
    };
    let shown = |name: &str| dir.path().join(name).display().to_string();

    // Bad files: one line each, the run goes on.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let fake = dir.path().join("fake.png");
    std::fs::write(&fake, "hello").unwrap();
    let plain = dir.path().join("plain.png");
    write_rgb_png(&plain, 2, 2, &[0; 12], None).unwrap();
    let other = dir.path().join("other.json");
    std::fs::write(&other, r#"{"format": "something/2"}"#).unwrap();
    let model = common::root().join("tests/data/safetensors/tanh_bce.safetensors");
    let bad_csv = dir.path().join("bad.csv");
    std::fs::write(&bad_csv, "a,label\n1,0\nx,1\n").unwrap();
    let cases = [
        (
            text.clone(),
            format!(
                "{}: cannot open this kind of file; drop a lesson (.json, or a .png curvscope saved), a problem file (.json), a CSV data set (.csv) or a PyTorch model (.safetensors)",
                shown("notes.txt")
            ),
        ),
        (
            fake,
            format!("{}: png: not a readable PNG file (", shown("fake.png")),
        ),
        (
            plain,
            format!(
                "{}: png: holds no curvscope-lesson chunk",
                shown("plain.png")
            ),
        ),
        (
            other,
            format!(
                "{}: neither a lesson (\"format\": \"curvscope-lesson/1\") nor a problem file (\"format\": \"curvscope-problem/1\"); its format is \"something/2\"",
                shown("other.json")
            ),
        ),
        (
            model.clone(),
            format!(
                "{}: a model needs your data to be evaluated on: drop its CSV file first (or use `curvscope import`)",
                model.display()
            ),
        ),
        (
            bad_csv,
            format!(
                "{}: line 3, column \"a\": expected a finite number, got \"x\"",
                shown("bad.csv")
            ),
        ),
    ];
    for (path, expected) in cases {
        let notice = drop(&mut app, &path);
        assert!(
            notice.starts_with(&expected),
            "{notice}\n  expected: {expected}"
        );
        assert!(!notice.contains('\n'), "one line: {notice}");
    }
    assert_eq!(
        app.world().resource::<Live>().generation,
        0,
        "the run went on"
    );

    // A CSV: the column named `label` is the target, wherever it is.
    let csv = dir.path().join("mine.csv");
    let rows: String = (0..40)
        .map(|i| format!("{},{},{}\n", i % 2, i as f64 * 0.1, (i * 3) % 7))
        .collect();
    std::fs::write(&csv, format!("label,u,v\n{rows}")).unwrap();
    let notice = drop(&mut app, &csv);
    assert_eq!(
        notice,
        format!("opened {} (target column \"label\")", csv.display())
    );
    update_until(&mut app, "the run on the CSV", |l| {
        l.generation == 1 && l.latest().is_some_and(|s| s.config.csv.is_some())
    });
    let data = app.world().resource::<Live>().configs()[0]
        .csv
        .clone()
        .unwrap();
    assert_eq!(
        (data.spec.target.as_str(), data.features.len()),
        ("label", 2)
    );

    // A model on the run's CSV: its problem file beside it, the run from it.
    let fixture = common::root().join("tests/data/safetensors");
    let model = dir.path().join("net.safetensors");
    std::fs::copy(fixture.join("tanh_bce.safetensors"), &model).unwrap();
    let data = dir.path().join("data.csv");
    std::fs::copy(fixture.join("tanh_bce.csv"), &data).unwrap();
    assert_eq!(
        drop(&mut app, &data),
        format!("opened {} (target column \"target\")", data.display())
    );
    update_until(&mut app, "the run on the model's data", |l| {
        l.generation == 2
    });
    let notice = drop(&mut app, &model);
    assert_eq!(
        notice,
        format!("opened {} on the run's data", model.display())
    );
    update_until(&mut app, "the run from the model", |l| {
        l.generation == 3 && l.latest().is_some_and(|s| s.config.problem.is_some())
    });
    assert!(dir.path().join("net.problem.json").is_file());

    // A picture with its lesson: the run it shows, paused at its step.
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Pause(true));
    update_until(&mut app, "paused", Live::paused_and_measured);
    let step = app.world().resource::<Live>().latest().unwrap().step;
    let shot = dir.path().join("shot.png");
    picture(&shot, app.world().resource::<Live>());
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Pause(false));
    let notice = drop(&mut app, &shot);
    assert_eq!(notice, format!("opened the run of {}", shot.display()));
    update_until(&mut app, "the picture's run, paused", |l| {
        l.generation == 4 && l.paused_and_measured()
    });
    assert_eq!(app.world().resource::<Live>().latest().unwrap().step, step);
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

/// Issue 13: the model export pauses like "export all", so the file's name,
/// its parameters and its lesson are of one step.
#[test]
fn the_model_export_writes_safetensors_and_its_lesson_of_one_step() {
    use curvscope::app::panel::PendingExport;
    use curvscope_core::io::safetensors::Mlp;
    let dir = tempfile::tempdir().unwrap();
    let app = export_from_a_live_run(dir.path(), PendingExport::ask_model);
    let notice = app.world().resource::<Live>().notice.clone().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let step: u64 = names[0]
        .trim_start_matches("curvscope-step")
        .trim_end_matches(".lesson.json")
        .parse()
        .unwrap();
    let model = dir.path().join(format!("curvscope-step{step}.safetensors"));
    let lesson = dir.path().join(format!("curvscope-step{step}.lesson.json"));
    assert_eq!(
        notice,
        format!("wrote {} and {}", model.display(), lesson.display())
    );
    assert_eq!(names.len(), 2, "{names:?}");
    let net = Mlp::load(&model, None).unwrap();
    assert_eq!(net.architecture.layers, vec![2, 16, 16, 1]);
    let saved = curvscope_core::lesson::Lesson::load(&lesson).unwrap();
    let pause = saved.timeline.iter().find(|e| e.actions.pause).unwrap();
    assert_eq!(pause.at, curvscope_core::lesson::EventTime::Step(step));
}

/// Issue 12: the 1D views are measured while their window is open (the
/// panel's `show_lines`), and not after it closes.
#[test]
fn the_1d_views_are_measured_while_their_window_is_open() {
    use curvscope::app::panel::{Panel, sync_lines};
    let mut app = training_app(single(SessionConfig {
        grid: (9, 1.0),
        ..SessionConfig::default()
    }));
    let mut panel = Panel::default();
    panel.show_lines = true;
    app.insert_resource(panel).add_systems(Update, sync_lines);
    update_until(&mut app, "a measurement with the 1D views", |l| {
        l.latest().is_some_and(|s| s.lines.is_some())
    });
    app.world_mut().resource_mut::<Panel>().show_lines = false;
    update_until(&mut app, "measurements without them", |l| {
        l.latest().is_some_and(|s| s.lines.is_none())
    });
}
