//! The training thread: a [`Session`] advanced in the background, commands
//! in, the latest [`Snapshot`] out (a bounded channel of one: the newest wins).

use crate::session::{FrameKind, Session, SessionConfig, Snapshot};
use crate::trainer::TrainerSettings;
use bevy::prelude::*;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError, channel, sync_channel};
use std::time::{Duration, Instant};

/// What the UI asks of the training thread.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// New optimizer settings, applied without a reset.
    Settings(TrainerSettings),
    /// Pause or resume.
    Pause(bool),
    /// One step while paused.
    Step,
    /// Start over with this configuration.
    Reset(SessionConfig),
    /// Training speed in steps per second.
    Speed(f64),
    /// The surface's plane, grid points per side and half-width.
    Landscape(FrameKind, (usize, f64)),
}

/// Default training speed: slow enough to watch the point move.
pub const DEFAULT_STEPS_PER_SECOND: f64 = 300.0;

/// The two ends the app holds.
#[derive(Resource)]
pub struct TrainingLink {
    commands: Sender<Command>,
    snapshots: Mutex<Receiver<Snapshot>>,
}

impl TrainingLink {
    /// Sends a command (ignored if the thread has ended).
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }
}

/// The newest snapshot and the history of readouts for the plots.
#[derive(Resource, Default)]
pub struct Live {
    /// The newest snapshot, if any arrived.
    pub latest: Option<Snapshot>,
    /// (step, train loss, test loss, λmax) per snapshot.
    pub history: Vec<[f64; 4]>,
    /// Whether training is paused.
    pub paused: bool,
    /// Bumped when a new surface arrives.
    pub surface_version: u64,
    /// Training speed asked of the thread (steps per second).
    pub steps_per_second: f64,
    /// Data and model settings being edited, until the rebuild.
    pub model_draft: Option<SessionConfig>,
}

/// Starts the training thread and collects its snapshots.
pub struct TrainingPlugin {
    /// The session to start with.
    pub config: SessionConfig,
}

impl Plugin for TrainingPlugin {
    fn build(&self, app: &mut App) {
        let (commands, rx_commands) = channel();
        let (tx_snapshots, snapshots) = sync_channel(1);
        let config = self.config.clone();
        std::thread::Builder::new()
            .name("curvscope-training".into())
            .spawn(move || training_loop(config, rx_commands, tx_snapshots))
            .expect("spawn the training thread");
        app.insert_resource(TrainingLink {
            commands,
            snapshots: Mutex::new(snapshots),
        })
        .insert_resource(Live {
            steps_per_second: DEFAULT_STEPS_PER_SECOND,
            ..default()
        })
        .add_systems(Update, receive_snapshots);
    }
}

/// How often the thread checks commands and sends a snapshot.
const SLICE: Duration = Duration::from_millis(16);
/// How often the curvature and surface are recomputed while training.
const MEASURE_EVERY: Duration = Duration::from_millis(400);

/// The thread's loop: train in slices paced to the asked speed, measure now
/// and then, send snapshots; ends when the app drops its end of the channels.
fn training_loop(
    config: SessionConfig,
    commands: Receiver<Command>,
    snapshots: SyncSender<Snapshot>,
) {
    let mut session = Session::new(config);
    session.measure();
    let (mut paused, mut speed) = (false, DEFAULT_STEPS_PER_SECOND);
    let mut last_measure = Instant::now();
    let mut owed = 0.0f64;
    loop {
        let slice_start = Instant::now();
        let mut step_once = false;
        loop {
            match commands.try_recv() {
                Ok(Command::Settings(s)) => session.set_settings(s),
                Ok(Command::Pause(p)) => paused = p,
                Ok(Command::Step) => step_once = true,
                Ok(Command::Speed(v)) => speed = v.max(0.0),
                Ok(Command::Landscape(kind, grid)) => {
                    session.set_landscape(kind, grid);
                    session.measure();
                    last_measure = Instant::now();
                }
                Ok(Command::Reset(c)) => {
                    session = Session::new(c);
                    session.measure();
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
            }
        }
        let steps = if paused {
            usize::from(step_once)
        } else {
            owed += speed * SLICE.as_secs_f64();
            let whole = owed.floor();
            owed -= whole;
            whole as usize
        };
        let diverged = session.train(steps).is_some();
        if step_once || diverged || last_measure.elapsed() >= MEASURE_EVERY {
            session.measure();
            last_measure = Instant::now();
        }
        match snapshots.try_send(session.snapshot()) {
            Ok(()) | Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(_)) => return,
        }
        if let Some(rest) = SLICE.checked_sub(slice_start.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

/// Plot points kept before the history is thinned.
const HISTORY_POINTS: usize = 4096;

/// Moves the newest snapshot into [`Live`].
fn receive_snapshots(link: Res<TrainingLink>, mut live: ResMut<Live>) {
    let Ok(rx) = link.snapshots.lock() else {
        return;
    };
    let Some(snapshot) = rx.try_iter().last() else {
        return;
    };
    let new_surface =
        snapshot.surface.as_ref() != live.latest.as_ref().and_then(|s| s.surface.as_ref());
    if new_surface {
        live.surface_version += 1;
    }
    // One history entry per new step (a paused run sends the same one
    // again); past HISTORY_POINTS the older half is thinned out, so the plots
    // stay cheap in a long session.
    let step = snapshot.step as f64;
    if live.history.last().is_none_or(|h| h[0] != step) {
        if live.history.len() >= HISTORY_POINTS {
            let thinned = live.history.iter().step_by(2).copied().collect();
            live.history = thinned;
        }
        let lmax = snapshot.curvature.as_ref().map_or(f64::NAN, |c| c.top[0]);
        let test = snapshot.test_loss.unwrap_or(f64::NAN);
        live.history.push([step, snapshot.train_loss, test, lmax]);
    }
    live.latest = Some(snapshot);
}
