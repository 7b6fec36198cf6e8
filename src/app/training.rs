//! The training thread: a thin loop around the core's [`Runner`]: commands
//! in, a tick with the time that passed, the update left in the
//! [`Mailbox`](super::state::Mailbox) for the app.

use super::state::{AppSet, Live, TrainingLink, ensure_state};
use bevy::prelude::*;
use curvscope_core::train::runner::{Runner, run_paced};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

/// Starts the training thread and takes in its updates.
pub struct TrainingPlugin {
    runner: Mutex<Option<Runner>>,
}

impl TrainingPlugin {
    /// Plays what `runner` plays, in the training thread.
    pub fn new(runner: Runner) -> Self {
        Self {
            runner: Mutex::new(Some(runner)),
        }
    }
}

/// The text of a panic's payload (a `String` or `&str` message).
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

impl Plugin for TrainingPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        let runner = self
            .runner
            .lock()
            .ok()
            .and_then(|mut r| r.take())
            .expect("TrainingPlugin is built once");
        let (link, commands, mailbox, failure) = TrainingLink::new();
        let (drawn, first_frame) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("curvscope-training".into())
            .spawn(move || {
                // Training starts with the first frame drawn, not while the
                // window and its pipelines are still being made: the first
                // picture shows the start (a lesson's saddle at step 0).
                if first_frame.recv().is_err() {
                    return;
                }
                let run = catch_unwind(AssertUnwindSafe(|| {
                    run_paced(runner, &commands, |update| mailbox.post(update))
                }));
                if let Err(panic) = run {
                    *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(panic_text(&*panic));
                }
            })
            .expect("spawn the training thread");
        // The runs appear in `Live` with the first update.
        app.insert_resource(link)
            .insert_resource(FirstFrame(Some(drawn)))
            .add_systems(Update, receive_updates.in_set(AppSet::Receive))
            .add_systems(Last, start_training);
    }
}

/// The signal that starts the training thread, sent after the first frame.
#[derive(Resource)]
struct FirstFrame(Option<std::sync::mpsc::SyncSender<()>>);

fn start_training(mut first: ResMut<FirstFrame>) {
    if let Some(drawn) = first.0.take() {
        let _ = drawn.send(());
    }
}

/// Moves the newest update into [`Live`], and the reason the thread
/// stopped, if it did.
fn receive_updates(link: Res<TrainingLink>, mut live: ResMut<Live>) {
    if let Some(update) = link.receive() {
        if let Some(latency) = link.answered(&update) {
            live.input_latency = Some(latency);
        }
        live.receive(update);
    }
    if live.failure.is_none()
        && let Some(failure) = link.failure()
    {
        live.failure = Some(failure);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::StatePlugin;

    /// Issue 10: a training thread that died left "starting…" forever and
    /// said nothing; its reason now reaches the panel.
    #[test]
    fn a_stopped_thread_is_reported_in_live() {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatePlugin));
        let (link, _commands, _mailbox, failure) = TrainingLink::new();
        app.insert_resource(link)
            .add_systems(Update, receive_updates.in_set(AppSet::Receive));
        app.update();
        assert_eq!(app.world().resource::<Live>().failure, None);
        *failure.lock().unwrap() = Some("index out of bounds".into());
        app.update();
        assert_eq!(
            app.world().resource::<Live>().failure.as_deref(),
            Some("index out of bounds")
        );
    }
}
