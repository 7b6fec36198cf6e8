//! Helpers for the tests that drive real Bevy `App`s (the `app` binary).

use bevy::prelude::*;
use curvscope::app::state::Live;
use curvscope::app::training::TrainingPlugin;
use curvscope_core::spec::SessionConfig;
use curvscope_core::train::runner::Runner;
use std::time::{Duration, Instant};

/// Longest wait for an event. Events are what tests wait on (a step count,
/// a generation, a notice), never a time window; this only ends a test
/// that would otherwise hang.
const GIVE_UP: Duration = Duration::from_secs(300);

/// Runs `app` until `done` holds (or panics after [`GIVE_UP`]).
pub fn update_until(app: &mut App, what: &str, done: impl Fn(&Live) -> bool) {
    let start = Instant::now();
    loop {
        app.update();
        if done(app.world().resource::<Live>()) {
            return;
        }
        assert!(start.elapsed() < GIVE_UP, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A windowless app with the training thread playing `training`.
pub fn training_app(training: TrainingPlugin) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, training));
    app
}

/// The training plugin of a single plain run.
pub fn single(config: SessionConfig) -> TrainingPlugin {
    TrainingPlugin::new(Runner::plain(vec![(String::new(), config)]).expect("the run starts"))
}
