//! The training thread: one or two [`Session`]s advanced in the background,
//! commands in, the latest [`Update`] out (a bounded channel of one: the
//! newest wins).

use super::overlay::Caption;
use super::surface::ShowBowl;
use crate::director::Director;
use crate::export::SeriesRow;
use crate::lesson::{Lesson, RunSpec};
use crate::session::{FrameKind, SessionConfig, Snapshot};
use crate::trainer::TrainerSettings;
use bevy::prelude::*;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError, channel, sync_channel};
use std::time::{Duration, Instant};

/// What the UI asks of the training thread.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// New optimizer settings for one run, applied without a reset.
    Settings(usize, TrainerSettings),
    /// Pause or resume.
    Pause(bool),
    /// One step while paused.
    Step,
    /// Start over with these runs (one or two configurations, keeping the
    /// runs' labels; a lesson's timeline is dropped).
    Reset(Vec<SessionConfig>),
    /// Start the lesson (or the runs) over from the beginning.
    Restart,
    /// Play a lesson: its runs, timeline and speed.
    Lesson(Box<Lesson>),
    /// Save a run's network, data and current parameters as a problem file.
    SaveProblem(usize, std::path::PathBuf),
    /// Training speed in steps per second.
    Speed(f64),
    /// The surfaces' plane, grid points per side and half-width (all runs).
    Landscape(FrameKind, (usize, f64)),
    /// Number of top eigenvalues to track (all runs).
    TopK(usize),
}

/// Default training speed: slow enough to watch the point move.
pub const DEFAULT_STEPS_PER_SECOND: f64 = 300.0;

/// Where a lesson's timeline stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LessonState {
    /// The lesson's title (empty without a lesson).
    pub title: String,
    /// The caption now.
    pub caption: String,
    /// Whether the timeline wants the bowl shown now.
    pub bowl: bool,
}

/// What the thread sends after each slice of training.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// One snapshot per run.
    pub runs: Vec<Snapshot>,
    /// The runs' labels.
    pub labels: Vec<String>,
    /// Training speed in force (steps per second).
    pub speed: f64,
    /// The lesson's state.
    pub lesson: LessonState,
    /// The outcome of the last command that wrote a file.
    pub notice: Option<String>,
    /// Steps per second actually trained over the last second (per run).
    pub achieved_steps_per_second: f64,
    /// Wall time of the last curvature and surface measurement (all runs).
    pub measure_seconds: f64,
    /// Time between measurements now (adapted to their cost).
    pub measure_interval: f64,
}

/// The two ends the app holds.
#[derive(Resource)]
pub struct TrainingLink {
    commands: Sender<Command>,
    updates: Mutex<Receiver<Update>>,
}

impl TrainingLink {
    /// Sends a command (ignored if the thread has ended).
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// A link to no thread, for runs driven frame by frame: commands are
    /// dropped and no update arrives.
    pub fn detached() -> Self {
        let (commands, _) = channel();
        let (_, updates) = sync_channel(1);
        Self {
            commands,
            updates: Mutex::new(updates),
        }
    }
}

/// One run as the app shows it.
#[derive(Debug, Clone, Default)]
pub struct RunView {
    /// Its name on screen ("batch 8", ...); empty for a single run.
    pub label: String,
    /// The newest snapshot.
    pub latest: Option<Snapshot>,
    /// One row per new step, thinned past [`HISTORY_POINTS`] (the plots,
    /// and the time-series export).
    pub history: Vec<SeriesRow>,
}

/// The newest state of every run and the history of their readouts.
#[derive(Resource, Default)]
pub struct Live {
    /// The runs (one, or two side by side).
    pub runs: Vec<RunView>,
    /// Whether training is paused.
    pub paused: bool,
    /// Bumped when a new surface arrives (in any run).
    pub surface_version: u64,
    /// Training speed asked of the thread (steps per second).
    pub steps_per_second: f64,
    /// Speed actually reached over the last second.
    pub achieved_steps_per_second: f64,
    /// Wall time of the last measurement of curvature and surfaces.
    pub measure_seconds: f64,
    /// Time between measurements now.
    pub measure_interval: f64,
    /// Data and model settings being edited, until the rebuild.
    pub model_draft: Option<SessionConfig>,
    /// Which run the optimizer controls act on.
    pub controlled: usize,
    /// Driven frame by frame (a recording) rather than by the training
    /// thread: no wall-clock readouts, no hover.
    pub scripted: bool,
    /// The lesson being played, as of the last update.
    pub lesson: LessonState,
    /// The outcome of the last export ("wrote …" or why it failed).
    pub notice: Option<String>,
}

impl Live {
    /// The first run's newest snapshot.
    pub fn latest(&self) -> Option<&Snapshot> {
        self.runs.first().and_then(|r| r.latest.as_ref())
    }

    /// The configurations of all runs as they are now.
    pub fn configs(&self) -> Vec<SessionConfig> {
        self.runs
            .iter()
            .filter_map(|r| r.latest.as_ref().map(|s| s.config.clone()))
            .collect()
    }

    /// Forgets the plots' history (after a restart).
    pub fn clear_history(&mut self) {
        for run in &mut self.runs {
            run.history.clear();
        }
    }

    /// Takes in a new update: newest snapshots, history, surface version.
    pub fn receive(&mut self, update: Update) {
        self.achieved_steps_per_second = update.achieved_steps_per_second;
        self.measure_seconds = update.measure_seconds;
        self.measure_interval = update.measure_interval;
        self.steps_per_second = update.speed;
        self.lesson = update.lesson;
        if update.notice.is_some() {
            self.notice = update.notice;
        }
        self.runs.resize_with(update.runs.len(), RunView::default);
        let single = update.labels.len() < 2;
        for (run, label) in self.runs.iter_mut().zip(update.labels) {
            run.label = if single { String::new() } else { label };
        }
        let mut new_surface = false;
        for (run, snapshot) in self.runs.iter_mut().zip(update.runs) {
            new_surface |=
                snapshot.surface.as_ref() != run.latest.as_ref().and_then(|s| s.surface.as_ref());
            run.push_history(&snapshot);
            run.latest = Some(snapshot);
        }
        if new_surface {
            self.surface_version += 1;
        }
    }
}

/// Plot points kept per run before the history is thinned.
pub const HISTORY_POINTS: usize = 4096;

impl RunView {
    /// One history entry per new step (a paused run sends the same one
    /// again); past [`HISTORY_POINTS`] the older half is thinned out, so the
    /// plots stay cheap in a long session.
    fn push_history(&mut self, snapshot: &Snapshot) {
        if self.history.last().is_some_and(|h| h.step == snapshot.step) {
            return;
        }
        if self.history.len() >= HISTORY_POINTS {
            self.history = self.history.iter().step_by(2).cloned().collect();
        }
        self.history.push(SeriesRow::from_snapshot(snapshot));
    }
}

/// Starts the training thread and collects its updates.
pub struct TrainingPlugin {
    /// What to train: a lesson, or a plain one of one or two runs.
    pub start: Lesson,
    /// Training speed to start with, in steps per second.
    pub speed: f64,
}

impl TrainingPlugin {
    /// A single run.
    pub fn single(config: SessionConfig) -> Self {
        Self::runs(vec![(String::new(), config)])
    }

    /// One or two runs side by side, with their labels.
    pub fn runs(runs: Vec<(String, SessionConfig)>) -> Self {
        Self {
            start: plain_lesson(runs),
            speed: DEFAULT_STEPS_PER_SECOND,
        }
    }
}

impl Plugin for TrainingPlugin {
    fn build(&self, app: &mut App) {
        let (commands, rx_commands) = channel();
        let (tx_updates, updates) = sync_channel(1);
        let start = self.start.clone();
        let speed = self.speed;
        std::thread::Builder::new()
            .name("curvscope-training".into())
            .spawn(move || training_loop(start, speed, rx_commands, tx_updates))
            .expect("spawn the training thread");
        let single = self.start.runs.len() < 2;
        let runs = self
            .start
            .runs
            .iter()
            .map(|r| RunView {
                label: if single {
                    String::new()
                } else {
                    r.label.clone()
                },
                ..default()
            })
            .collect();
        app.insert_resource(TrainingLink {
            commands,
            updates: Mutex::new(updates),
        })
        .insert_resource(Live {
            runs,
            steps_per_second: self.speed,
            ..default()
        })
        .add_systems(Update, receive_updates);
    }
}

/// How often the thread checks commands and sends an update.
const SLICE: Duration = Duration::from_millis(16);
/// Shortest time between two measurements of curvature and surface.
const MIN_MEASURE_INTERVAL: f64 = 0.25;
/// Measurements may take at most this share of the thread's time: the
/// interval grows with their cost, so training keeps its speed.
const MEASURE_SHARE: f64 = 0.1;

/// Curvature and surfaces of every run, timed.
struct Measurer {
    last: Instant,
    seconds: f64,
}

impl Measurer {
    fn run(&mut self, director: &mut Director) {
        let start = Instant::now();
        director.measure();
        self.seconds = start.elapsed().as_secs_f64();
        self.last = Instant::now();
    }

    /// Time between measurements: at least MIN_MEASURE_INTERVAL, and long
    /// enough that measuring takes at most MEASURE_SHARE of the time.
    fn interval(&self) -> f64 {
        (self.seconds / MEASURE_SHARE).max(MIN_MEASURE_INTERVAL)
    }

    fn due(&self) -> bool {
        self.last.elapsed().as_secs_f64() >= self.interval()
    }
}

/// The name of [`plain_lesson`]s.
const PLAIN_LESSON: &str = "custom";

/// A lesson of these runs with no timeline (what the app trains without one).
pub fn plain_lesson(runs: Vec<(String, SessionConfig)>) -> Lesson {
    let text = format!(
        r#"{{"format": "curvscope-lesson/1", "name": "{PLAIN_LESSON}", "title": "", "caption": ""}}"#
    );
    let mut lesson =
        Lesson::from_json_str(&text, "built in").expect("the built-in plain lesson is valid");
    lesson.runs = runs
        .into_iter()
        .map(|(label, config)| RunSpec { label, config })
        .collect();
    lesson.view.bowl = true;
    lesson.speed = DEFAULT_STEPS_PER_SECOND;
    lesson
}

/// The thread's loop: train in slices paced to the asked speed, measure now
/// and then, send updates; ends when the app drops its end of the channels.
fn training_loop(
    start: Lesson,
    mut speed: f64,
    commands: Receiver<Command>,
    updates: SyncSender<Update>,
) {
    // What a restart goes back to.
    let mut source = start;
    let mut director = Director::new(&source);
    let mut measurer = Measurer {
        last: Instant::now(),
        seconds: 0.0,
    };
    measurer.run(&mut director);
    let mut paused = false;
    let mut notice: Option<String> = None;
    let mut owed = 0.0f64;
    let mut last_slice = Instant::now();
    // Steps trained in the current one-second window, and the last rate.
    let (mut window_start, mut window_steps, mut achieved) = (Instant::now(), 0usize, 0.0);
    loop {
        let slice_start = Instant::now();
        let mut step_once = false;
        let mut measure_now = false;
        loop {
            match commands.try_recv() {
                Ok(Command::Settings(run, s)) => {
                    if let Some(session) = director.sessions_mut().get_mut(run) {
                        session.set_settings(s);
                    }
                }
                Ok(Command::Pause(p)) => paused = p,
                Ok(Command::Step) => step_once = true,
                Ok(Command::Speed(v)) => speed = v.max(0.0),
                Ok(Command::Landscape(kind, grid)) => {
                    for s in director.sessions_mut() {
                        s.set_landscape(kind, grid);
                    }
                    measure_now = true;
                }
                Ok(Command::TopK(k)) => {
                    for s in director.sessions_mut() {
                        s.set_top_k(k);
                    }
                    measure_now = true;
                }
                Ok(Command::Reset(configs)) => {
                    let labels = director.labels().to_vec();
                    let runs = configs
                        .into_iter()
                        .enumerate()
                        .map(|(i, c)| (labels.get(i).cloned().unwrap_or_default(), c))
                        .collect();
                    source = plain_lesson(runs);
                    director = Director::new(&source);
                    measure_now = true;
                }
                Ok(Command::Restart) => {
                    // A lesson replays as written; plain runs start over
                    // with the settings they have now.
                    if source.name == PLAIN_LESSON {
                        let configs: Vec<SessionConfig> = director
                            .sessions_mut()
                            .iter()
                            .map(|s| s.config().clone())
                            .collect();
                        let runs = director.labels().iter().cloned().zip(configs).collect();
                        source = plain_lesson(runs);
                    }
                    director = Director::new(&source);
                    measure_now = true;
                }
                Ok(Command::SaveProblem(run, path)) => {
                    notice = Some(match director.sessions_mut().get(run) {
                        Some(s) => match s.to_problem().save(&path) {
                            Ok(()) => format!("wrote {}", path.display()),
                            Err(e) => e.to_string(),
                        },
                        None => format!("no run {run} to save"),
                    });
                }
                Ok(Command::Lesson(lesson)) => {
                    source = *lesson;
                    speed = source.speed;
                    director = Director::new(&source);
                    measure_now = true;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
            }
        }
        // Steps owed for the time since the last slice (measurements
        // included, up to a quarter second, so a slow one is made up for
        // without a burst after a long stall).
        let elapsed = last_slice.elapsed().as_secs_f64().min(0.25);
        last_slice = Instant::now();
        let steps = if paused {
            usize::from(step_once)
        } else {
            owed += speed * elapsed;
            let whole = owed.floor();
            owed -= whole;
            whole as usize
        };
        let diverged_before = diverged_runs(&mut director);
        director.advance(steps, if paused { 0.0 } else { elapsed });
        // A new divergence asks for a last measurement.
        let diverged = diverged_runs(&mut director) > diverged_before;
        window_steps += steps;
        if window_start.elapsed() >= Duration::from_secs(1) {
            achieved = window_steps as f64 / window_start.elapsed().as_secs_f64();
            (window_start, window_steps) = (Instant::now(), 0);
        }
        if measure_now || step_once || diverged || measurer.due() {
            measurer.run(&mut director);
        }
        let update = Update {
            runs: director.snapshots(),
            labels: director.labels().to_vec(),
            achieved_steps_per_second: achieved,
            measure_seconds: measurer.seconds,
            measure_interval: measurer.interval(),
            speed,
            lesson: LessonState {
                title: source.title.clone(),
                caption: director.caption().to_string(),
                bowl: director.view().bowl,
            },
            notice: notice.clone(),
        };
        match updates.try_send(update) {
            Ok(()) | Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(_)) => return,
        }
        if let Some(rest) = SLICE.checked_sub(slice_start.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

fn diverged_runs(director: &mut Director) -> usize {
    director
        .sessions_mut()
        .iter()
        .filter(|s| s.diverged().is_some())
        .count()
}

/// Moves the newest update into [`Live`], and the lesson's caption and
/// bowl (when its timeline changes it) into the view.
fn receive_updates(
    link: Res<TrainingLink>,
    mut live: ResMut<Live>,
    bowl: Option<ResMut<ShowBowl>>,
    caption: Option<ResMut<Caption>>,
) {
    let Ok(rx) = link.updates.lock() else {
        return;
    };
    let Some(update) = rx.try_iter().last() else {
        return;
    };
    let before = live.lesson.clone();
    live.receive(update);
    if let Some(mut bowl) = bowl
        && live.lesson.bowl != before.bowl
    {
        bowl.0 = live.lesson.bowl;
    }
    if let Some(mut caption) = caption
        && caption.0 != live.lesson.caption
    {
        caption.0.clone_from(&live.lesson.caption);
    }
}
