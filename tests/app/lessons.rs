//! Lessons in the live app: timelines, the curvature windows they open, and
//! pictures whose lesson replays the run they show.

use bevy::prelude::*;
use curvscope::app::state::{Live, TrainingLink};
use curvscope::app::training::TrainingPlugin;
use curvscope_core::train::runner::{Command, Runner, Source};
use curvscope_core::train::session::SessionConfig;
use curvscope_core::train::trainer::TrainerSettings;

use crate::app_common::{single, training_app, update_until};

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

/// A picture as the screenshot observer writes it: `write_png` of a
/// captured image with the picture's lesson inside.
pub fn picture(path: &std::path::Path, live: &Live) {
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
