//! The training thread behind a windowless `App`: live settings, resets and
//! restarts, twin runs, the plane and top-k, divergence, the 1D views.

use std::time::Duration;

use bevy::prelude::*;
use curvscope::app::state::{Live, TrainingLink};
use curvscope::app::training::TrainingPlugin;
use curvscope_core::train::runner::{Command, Runner};

use crate::app_common::{single, training_app, update_until};
use curvscope_core::spec::{DataSource, ModelSpec, SessionConfig, Synthetic, TrainerSettings};

#[test]
fn a_slider_change_reaches_the_running_trainer_without_a_reset() {
    let mut app = training_app(single(SessionConfig::default()));
    update_until(&mut app, "training", |l| {
        l.latest()
            .is_some_and(|s| s.step >= 30 && s.curvature.is_some())
    });
    let before = app.world().resource::<Live>().latest().cloned().unwrap();
    let new = TrainerSettings::sgd(0.02, None, 0.5);
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
        data: DataSource::Synthetic(Synthetic {
            kind: curvscope_core::model::synthetic::DataKind::Sine,
            ..Synthetic::default()
        }),
        settings: TrainerSettings::sgd(10.0, None, 0.0),
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
    use curvscope_core::model::synthetic::DataKind;
    let mut app = training_app(single(SessionConfig::default()));
    update_until(&mut app, "training", |l| {
        l.latest().is_some_and(|s| s.step >= 20)
    });
    let config = SessionConfig {
        data: DataSource::Synthetic(Synthetic {
            kind: DataKind::Spirals3,
            ..Synthetic::default()
        }),
        model: ModelSpec {
            hidden: vec![8, 8, 8],
            activation: Activation::Relu,
        },
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
        settings: TrainerSettings::sgd(0.1, Some(8), 0.0),
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
    let new = TrainerSettings::sgd(0.05, None, 0.0);
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Settings(1, new));
    update_until(&mut app, "the second run's settings", |l| {
        l.runs[1].latest.as_ref().is_some_and(|s| s.settings == new)
    });
    let live = app.world().resource::<Live>();
    assert_eq!(
        live.runs[0]
            .latest
            .as_ref()
            .unwrap()
            .settings
            .learning_rate(),
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
    use curvscope_core::landscape::plane::PlaneKind;
    let run = SessionConfig {
        grid: (17, 1.0),
        ..SessionConfig::default()
    };
    let twin = SessionConfig {
        settings: TrainerSettings::sgd(run.settings.learning_rate(), run.settings.batch_size, 0.0),
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
        curvscope_core::landscape::plane::PlaneKind::Random,
        (21, 0.5),
    ));
    update_until(&mut app, "five eigenvalues on a random plane", |l| {
        l.latest().is_some_and(|s| {
            s.curvature.as_ref().is_some_and(|c| c.top.len() == 5)
                && s.surface.as_ref().is_some_and(|g| {
                    g.kind == curvscope_core::landscape::plane::PlaneKind::Random
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
fn the_divergence_line_uses_the_learning_rate_that_diverged() {
    use curvscope::app::readouts::divergence_text;
    use curvscope_core::train::session::Session;
    let mut config = SessionConfig {
        data: DataSource::Synthetic(Synthetic {
            kind: curvscope_core::model::synthetic::DataKind::Sine,
            ..Synthetic::default()
        }),
        grid: (5, 1.0),
        ..SessionConfig::default()
    };
    config.settings = TrainerSettings::sgd(0.01, None, 0.0);
    let mut session = Session::new(config.clone()).unwrap();
    session.train(20);
    session.measure();
    let lambda = session.snapshot().curvature.unwrap().top[0];
    assert!(divergence_text(&session.snapshot()).is_none());
    // η raised far past 2/λ after the last measurement.
    let eta = 10.0 / lambda;
    session.set_settings(config.settings.with_learning_rate(eta));
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
    let new = TrainerSettings::sgd(0.03, Some(64), 0.5);
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
