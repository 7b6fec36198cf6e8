//! The live app: its logic in real Bevy `App`s (no window), and its
//! rendering in a real window under Xvfb with Mesa's software Vulkan.

use bevy::prelude::*;
use curvscope::app::surface::{HEIGHT, surface_mesh};
use curvscope::app::training::{Command, Live, TrainingLink, TrainingPlugin};
use curvscope::session::SessionConfig;
use curvscope::trainer::TrainerSettings;
use std::collections::HashSet;
use std::process::Command as Process;
use std::time::{Duration, Instant};

/// Runs `app` until `done` holds (or panics after 60 s).
fn update_until(app: &mut App, what: &str, done: impl Fn(&Live) -> bool) {
    let start = Instant::now();
    loop {
        app.update();
        if done(app.world().resource::<Live>()) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_slider_change_reaches_the_running_trainer_without_a_reset() {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        TrainingPlugin {
            config: SessionConfig::default(),
        },
    ));
    update_until(&mut app, "training", |l| {
        l.latest
            .as_ref()
            .is_some_and(|s| s.step >= 30 && s.curvature.is_some())
    });
    let before = app.world().resource::<Live>().latest.clone().unwrap();
    let new = TrainerSettings {
        learning_rate: 0.02,
        batch_size: None,
        momentum: 0.5,
    };
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Settings(new));
    update_until(&mut app, "the new settings", |l| {
        l.latest.as_ref().is_some_and(|s| s.settings == new)
    });
    let after = app.world().resource::<Live>().latest.clone().unwrap();
    assert!(
        after.step >= before.step,
        "training restarted: step {} after {}",
        after.step,
        before.step
    );
    let surface = after.surface.expect("a surface");
    assert_eq!(surface.loss.dim(), (49, 49));
    assert!(surface.loss.iter().all(|v| v.is_finite()));
}

#[test]
fn divergence_is_caught_and_reported_without_stopping_the_app() {
    let config = SessionConfig {
        data: curvscope::synthetic::DataKind::Sine,
        settings: TrainerSettings {
            learning_rate: 10.0,
            batch_size: None,
            momentum: 0.0,
        },
        ..SessionConfig::default()
    };
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, TrainingPlugin { config }));
    update_until(&mut app, "the divergence", |l| {
        l.latest.as_ref().is_some_and(|s| s.diverged.is_some())
    });
    // The app keeps running, and a reset recovers.
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Reset(SessionConfig::default()));
    update_until(&mut app, "a fresh run", |l| {
        l.latest.as_ref().is_some_and(|s| s.diverged.is_none())
    });
}

#[test]
fn the_surface_mesh_matches_the_grid() {
    let grid = ndarray::Array2::from_shape_fn((5, 7), |(i, j)| (i * 7 + j) as f64);
    let mesh = surface_mesh(&grid);
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
    let mesh = bowl_mesh(&loss, &coords, 0.0, 2.0);
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
    use curvscope::app::camera::ResetCamera;
    use curvscope::app::surface::ShowBowl;
    use curvscope::app::ui::shortcuts;
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        TrainingPlugin {
            config: SessionConfig::default(),
        },
    ))
    .init_resource::<ButtonInput<KeyCode>>()
    .insert_resource(ShowBowl(true))
    .add_message::<ResetCamera>()
    .add_systems(Update, shortcuts);
    update_until(&mut app, "training", |l| {
        l.latest.as_ref().is_some_and(|s| s.step >= 20)
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
    assert!(app.world().resource::<Live>().paused);
    // Paused: the step count stops moving.
    std::thread::sleep(Duration::from_millis(100));
    update_until(&mut app, "a paused snapshot", |_| true);
    let held = app.world().resource::<Live>().latest.as_ref().unwrap().step;
    std::thread::sleep(Duration::from_millis(200));
    app.update();
    assert_eq!(
        app.world().resource::<Live>().latest.as_ref().unwrap().step,
        held
    );
    press(&mut app, KeyCode::KeyB);
    assert!(!app.world().resource::<ShowBowl>().0);
    press(&mut app, KeyCode::KeyR);
    update_until(&mut app, "a restarted run", |l| {
        l.latest.as_ref().is_some_and(|s| s.step < held)
    });
}

#[test]
fn rebuilding_with_another_data_set_and_model_starts_a_new_run() {
    use curvscope::activation::Activation;
    use curvscope::synthetic::DataKind;
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        TrainingPlugin {
            config: SessionConfig::default(),
        },
    ));
    update_until(&mut app, "training", |l| {
        l.latest.as_ref().is_some_and(|s| s.step >= 20)
    });
    let config = SessionConfig {
        data: DataKind::Spirals3,
        hidden: vec![8, 8, 8],
        activation: Activation::Relu,
        ..SessionConfig::default()
    };
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Reset(config.clone()));
    update_until(&mut app, "the rebuilt run", |l| {
        l.latest
            .as_ref()
            .is_some_and(|s| s.config == config && s.surface.is_some())
    });
    let snap = app.world().resource::<Live>().latest.clone().unwrap();
    let surface = snap.surface.unwrap();
    assert!(surface.loss.iter().all(|v| v.is_finite()));
    // softmax_ce on 3 classes starts near ln 3.
    assert!(snap.step < 1000 && snap.train_loss < 5.0);
}
