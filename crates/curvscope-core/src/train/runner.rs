//! The live runner: a [`Director`] paced in time, with everything the app's
//! controls ask of it. The app's training thread is a thin loop around it
//! (commands in, [`Runner::tick`] with the time that passed, the update out);
//! the recorder drives the same object frame by frame with
//! [`Runner::tick_exact`]. Nothing here reads a clock except to time a
//! measurement, so pacing, restarts and schedules are tested without threads.
//!
//! The live loop ([`run_paced`]) runs it [`Runner::live`]: it measures on a
//! thread of its own (a copy of the runs is measured while the runs train
//! on, and the result is taken back when it is ready, so neither waits for
//! the other), and each tick trains for at most a [`SLICE`] of time.

use crate::contiguous::Flat;
use crate::defaults::{self, MAX_GRID, MAX_TOP_K};
use crate::io::safetensors;
use crate::landscape::plane::PlaneKind;
use crate::lesson::{Actions, Lesson, RunSpec, Target, beside};
use crate::spec::{SessionConfig, TrainerSettings};
use crate::train::director::{Director, Measuring, StartError, ViewChange};
use crate::train::session::{Inspection, Session, Snapshot};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What the controls ask of the runner.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// New optimizer settings for one run, applied without a reset.
    Settings(usize, TrainerSettings),
    /// Pause or resume.
    Pause(bool),
    /// Measure run `i`'s whole spectrum and layers now (see
    /// [`crate::train::session::Session::inspect`]).
    Inspect(usize),
    /// Inspect every run on its own schedule (at most [`INSPECT_SHARE`]
    /// of the time; with each measurement in a recording), or on demand
    /// only.
    AutoInspect(bool),
    /// Measure the 1D views with every measurement from now on (all runs,
    /// kept over restarts), or stop (a window shows them only while open).
    Lines(bool),
    /// One step while paused.
    Step,
    /// Start over with these runs (one or two configurations, keeping the
    /// runs' labels; a lesson's timeline is dropped).
    Reset(Vec<SessionConfig>),
    /// Start the lesson (or the runs) over from the beginning.
    Restart,
    /// Play a lesson: its runs, timeline, speed and view.
    Lesson(Box<Lesson>),
    /// Save a run's network, data and current parameters as a problem file.
    SaveProblem(usize, PathBuf),
    /// Save a run's network and current parameters as a PyTorch-loadable
    /// safetensors file, and beside it (`NAME.lesson.json`) the lesson that
    /// replays the runs to this step.
    SaveModel(usize, PathBuf),
    /// Training speed in steps per second (kept within [`defaults::SPEED_RULE`]).
    Speed(f64),
    /// The surfaces' plane, grid points per side and half-width (all runs).
    Landscape(PlaneKind, (usize, f64)),
    /// Number of top eigenvalues to track (all runs).
    TopK(usize),
}

/// What is being played: a lesson (restart replays it as written) or plain
/// runs (restart starts them over with the settings they have now).
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A lesson with its timeline and view.
    Lesson(Lesson),
    /// Runs without a lesson.
    Plain(Vec<RunSpec>),
}

impl Source {
    /// The lesson the director plays for this source.
    fn lesson(&self) -> Lesson {
        match self {
            Source::Lesson(lesson) => lesson.clone(),
            Source::Plain(runs) => Lesson::plain(runs.clone()),
        }
    }

    /// Whether a live run starts paused (a lesson that asks for it).
    fn starts_paused(&self) -> bool {
        matches!(self, Source::Lesson(lesson) if lesson.paused)
    }

    /// The title shown on screen (empty for plain runs).
    fn title(&self) -> &str {
        match self {
            Source::Lesson(lesson) => &lesson.title,
            Source::Plain(_) => "",
        }
    }
}

/// What the runner reports after each tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// One snapshot per run.
    pub runs: Vec<Snapshot>,
    /// The runs' labels.
    pub labels: Vec<String>,
    /// Bumped at every start: a restart, a reset, a new lesson. Snapshots
    /// of one generation belong to one continuous run.
    pub generation: u64,
    /// Whether training is paused.
    pub paused: bool,
    /// Training speed in force (steps per second).
    pub speed: f64,
    /// The lesson's title (empty without a lesson).
    pub title: String,
    /// The caption now.
    pub caption: String,
    /// View changes since the last update, in order: a lesson's starting
    /// view, then its timeline's. The one way they reach the screen.
    pub view_changes: Vec<ViewChange>,
    /// Outcomes of commands that wrote a file since the last update.
    pub notices: Vec<String>,
    /// Spectra and layers measured on demand since the last update: (run,
    /// inspection).
    pub inspections: Vec<(usize, Arc<Inspection>)>,
    /// Whether every run is inspected as training goes (a lesson's
    /// `view.spectrum`, or the panel's "as training goes").
    pub auto_inspect: bool,
    /// Steps per second actually trained over the last second (per run).
    pub achieved_steps_per_second: f64,
    /// Wall time of the last curvature and surface measurement (all runs).
    pub measure_seconds: f64,
    /// Time between measurements now (adapted to their cost).
    pub measure_interval: f64,
    /// Number of measurements in this generation (the start's included).
    pub measurements: u64,
    /// Commands handled since the runner was made (the app times its input
    /// by it: a command is seen once this count reaches it).
    pub commands_handled: u64,
    /// The lesson that replays this generation bit for bit to the step
    /// shown and pauses there (see [`Runner::recipe`]): what a screenshot,
    /// a recording or an export of this update carries.
    pub recipe: Arc<Lesson>,
}

impl Update {
    /// Folds an older, unread update into this newer one, so that nothing
    /// that happened in between (view changes, notices) is lost.
    pub fn absorb_older(&mut self, older: Update) {
        let mut changes = older.view_changes;
        changes.append(&mut self.view_changes);
        self.view_changes = changes;
        let mut notices = older.notices;
        notices.append(&mut self.notices);
        self.notices = notices;
        let mut inspections = older.inspections;
        inspections.append(&mut self.inspections);
        self.inspections = inspections;
    }
}

/// Shortest time between two measurements of curvature and surface (11
/// refreshes a second, so that a jittery clock still gives ten).
pub const MIN_MEASURE_INTERVAL: f64 = 0.09;
/// Measurements may take at most this share of the measuring thread's time:
/// the interval grows with their cost, leaving the renderer (and, when
/// measuring inline, training) the rest of a small machine.
pub const MEASURE_SHARE: f64 = 0.8;
/// Longest stretch of time paid for in steps at once: a slow measurement is
/// made up for, without a burst after a long stall.
pub const MAX_CATCH_UP: f64 = 0.25;

/// Auto-inspections (the whole spectrum) may take at most this share of
/// the time, on their own schedule: the waterfall gets a column about every
/// 0.4 s on the default run (an inspection there costs about 0.1 s).
pub const INSPECT_SHARE: f64 = 0.25;

/// When to measure: every [`MIN_MEASURE_INTERVAL`], or less often when one
/// measurement costs more than its share (`share`) of that.
#[derive(Debug, Clone)]
struct Schedule {
    since_last: f64,
    cost: f64,
    count: u64,
    share: f64,
}

impl Schedule {
    fn new(cost: f64, share: f64) -> Self {
        Self {
            since_last: 0.0,
            cost,
            count: 1,
            share,
        }
    }

    fn interval(&self) -> f64 {
        (self.cost / self.share).max(MIN_MEASURE_INTERVAL)
    }

    /// Times `work` as this schedule's latest cost.
    fn time(&mut self, work: impl FnOnce()) {
        let start = Instant::now();
        work();
        self.cost = start.elapsed().as_secs_f64();
        self.since_last = 0.0;
        self.count += 1;
    }
}

/// Steps trained over about the last second, for the achieved rate.
#[derive(Debug, Clone, Default)]
struct RateWindow {
    seconds: f64,
    steps: usize,
    rate: f64,
}

impl RateWindow {
    fn add(&mut self, steps: usize, seconds: f64) {
        self.steps += steps;
        self.seconds += seconds;
        if self.seconds >= 1.0 {
            self.rate = self.steps as f64 / self.seconds;
            (self.seconds, self.steps) = (0.0, 0);
        }
    }
}

/// The thread a live runner measures on: it receives copies of the runs
/// (tagged with the runner's generation), measures them and sends them back
/// with the seconds it took. It ends when the runner is dropped.
struct Worker {
    jobs: Sender<(u64, Measuring)>,
    /// In a mutex only so that a runner is `Sync` (the recorder keeps one
    /// in a Bevy resource); the runner reaches it through `&mut`, unlocked.
    done: Mutex<Receiver<(u64, Measuring, f64)>>,
    busy: bool,
}

impl Worker {
    /// Starts the thread; None where the system refuses one (the runner
    /// then measures inline, as before).
    fn spawn() -> Option<Self> {
        let (jobs, inbox) = channel::<(u64, Measuring)>();
        let (finished, done) = channel();
        std::thread::Builder::new()
            .name("curvscope-measure".into())
            .spawn(move || {
                for (generation, mut copy) in inbox {
                    let start = Instant::now();
                    copy.measure();
                    let seconds = start.elapsed().as_secs_f64();
                    if finished.send((generation, copy, seconds)).is_err() {
                        return;
                    }
                }
            })
            .ok()?;
        Some(Self {
            jobs,
            done: Mutex::new(done),
            busy: false,
        })
    }
}

/// What a tick asks of [`Runner::advance`] besides training.
#[derive(Debug, Clone, Copy)]
struct Asked {
    /// Measure (the schedule is due, or a paused run took a step).
    measure: bool,
    /// Inspect, if auto-inspection is on.
    inspect: bool,
    /// Measure at once when a timeline event pauses the run.
    measure_on_pause: bool,
}

/// A director paced in time, with pause, single steps, restarts and a
/// measurement schedule.
pub struct Runner {
    source: Source,
    director: Director,
    speed: f64,
    paused: bool,
    step_once: bool,
    measure_now: bool,
    /// Paused by a timeline event: a frame-exact driver holds too.
    held: bool,
    generation: u64,
    /// Fractional steps owed to the speed.
    owed: f64,
    schedule: Schedule,
    inspect_schedule: Schedule,
    rate: RateWindow,
    view_changes: Vec<ViewChange>,
    notices: Vec<String>,
    inspections: Vec<(usize, Arc<Inspection>)>,
    auto_inspect: bool,
    /// Whether the runs measure their 1D views ([`Command::Lines`]).
    lines: bool,
    commands_handled: u64,
    /// Where measurements run when not inline (a live runner).
    worker: Option<Worker>,
    /// A live runner's limit on one tick's training.
    budget: Option<Duration>,
}

impl Runner {
    /// Starts `source` at `speed` steps per second (the director measures
    /// each run once), with its starting view queued for the first update;
    /// refused when a run cannot start.
    pub fn new(source: Source, speed: f64) -> Result<Self, StartError> {
        let start = Instant::now();
        let mut director = Director::new(&source.lesson())?;
        let schedule = Schedule::new(start.elapsed().as_secs_f64(), MEASURE_SHARE);
        let held = director.take_pause();
        let mut runner = Self {
            view_changes: director.start_view(),
            paused: source.starts_paused() || held,
            source,
            director,
            speed: clamp_speed(speed),
            step_once: false,
            measure_now: false,
            held,
            generation: 0,
            owed: 0.0,
            schedule,
            inspect_schedule: Schedule::new(0.0, INSPECT_SHARE),
            rate: RateWindow::default(),
            notices: Vec::new(),
            inspections: Vec::new(),
            auto_inspect: false,
            lines: false,
            commands_handled: 0,
            worker: None,
            budget: None,
        };
        runner.inspect_lesson_start();
        Ok(runner)
    }

    /// A lesson that shows the spectrum turns auto-inspection on (one
    /// without turns it off) and is inspected at its start.
    fn inspect_lesson_start(&mut self) {
        if let Source::Lesson(lesson) = &self.source {
            self.auto_inspect = lesson.view.spectrum;
        }
        if self.auto_inspect {
            self.inspect_all();
        }
    }

    /// Inspects run `run` (see [`Session::inspect`]); a run whose loss is
    /// not finite leaves a notice.
    ///
    /// [`Session::inspect`]: crate::train::session::Session::inspect
    fn inspect(&mut self, run: usize) {
        match self.director.sessions_mut().get(run).map(|s| s.inspect()) {
            Some(Some(inspection)) => self.inspections.push((run, Arc::new(inspection))),
            Some(None) => self
                .notices
                .push("no spectrum here: the loss is not finite".to_string()),
            None => {}
        }
    }

    /// Inspects every run, timed for the inspection schedule.
    fn inspect_all(&mut self) {
        let mut schedule = self.inspect_schedule.clone();
        schedule.time(|| {
            for run in 0..self.director.labels().len() {
                self.inspect(run);
            }
        });
        self.inspect_schedule = schedule;
    }

    /// Runs as the live loop needs (recordings and tests tick inline,
    /// frame-exact): a due measurement measures a copy of the runs on a
    /// thread of its own while they train on, and a later tick takes the
    /// result back (one from before a restart is dropped); and a tick
    /// trains for at most a [`SLICE`] of time, dropping the steps that do
    /// not fit (a speed beyond what the machine trains gives what it
    /// trains), so that the loop answers commands and takes measurements
    /// back at its pace.
    pub fn live(mut self) -> Self {
        self.worker = Worker::spawn();
        self.budget = Some(SLICE);
        self
    }

    /// Plain runs (label, configuration) at the default speed.
    pub fn plain(runs: Vec<(String, SessionConfig)>) -> Result<Self, StartError> {
        let runs = runs
            .into_iter()
            .map(|(label, config)| RunSpec { label, config })
            .collect();
        Self::new(Source::Plain(runs), defaults::STEPS_PER_SECOND)
    }

    /// Starts `source` over; `show_view` queues its starting view (a new
    /// lesson), else the view stays as the user left it. A source that
    /// cannot start leaves the current runs as they are, with a notice.
    fn start(&mut self, source: Source, show_view: bool) {
        let start = Instant::now();
        self.director = match Director::new(&source.lesson()) {
            Ok(director) => director,
            Err(e) => {
                self.notices.push(e.to_string());
                return;
            }
        };
        self.held = self.director.take_pause();
        if source.starts_paused() || self.held {
            self.paused = true;
        }
        self.source = source;
        self.schedule = Schedule::new(start.elapsed().as_secs_f64(), MEASURE_SHARE);
        if show_view {
            self.view_changes = self.director.start_view();
        } else {
            self.view_changes.clear();
        }
        self.generation += 1;
        self.owed = 0.0;
        // Inspections of the runs just dropped are not this generation's.
        self.inspections.clear();
        self.inspect_lesson_start();
        if self.lines {
            for session in self.director.sessions_mut() {
                session.set_lines(true);
            }
            self.measure_now = true;
        }
    }

    /// Applies one command.
    pub fn handle(&mut self, command: Command) {
        self.commands_handled += 1;
        match command {
            Command::Settings(run, settings) => {
                let runs = self.director.labels().len();
                let target = match run {
                    0 if runs == 1 => Target::Both,
                    0 => Target::Run,
                    1 if runs == 2 => Target::Twin,
                    _ => return,
                };
                let now = self.director.sessions_mut()[run].config().settings;
                let changed = |new: f64, old: f64| (new.to_bits() != old.to_bits()).then_some(new);
                let actions = Actions {
                    learning_rate: changed(
                        settings.optimizer.learning_rate,
                        now.optimizer.learning_rate,
                    ),
                    momentum: settings
                        .momentum()
                        .and_then(|new| changed(new, now.momentum().unwrap_or(f64::NAN))),
                    batch_size: (settings.batch_size != now.batch_size)
                        .then_some(settings.batch_size),
                    ..Actions::default()
                };
                if actions != Actions::default() {
                    self.director.record(target, actions);
                }
            }
            Command::Pause(paused) => {
                // A pause measures at once: the paused picture (and what is
                // exported from it) is exact at the step it shows.
                if paused && !self.paused {
                    self.measure_now = true;
                }
                self.paused = paused;
                self.held &= paused;
            }
            Command::Step => self.step_once = true,
            Command::Inspect(run) => self.inspect(run),
            Command::AutoInspect(on) => {
                self.auto_inspect = on;
                if on {
                    self.inspect_all();
                }
            }
            Command::Lines(on) => {
                self.lines = on;
                for session in self.director.sessions_mut() {
                    session.set_lines(on);
                }
                self.measure_now |= on;
            }
            Command::Speed(speed) => self.speed = clamp_speed(speed),
            Command::Landscape(kind, (n, r)) => {
                let actions = Actions {
                    plane: Some(kind),
                    grid: Some(n.clamp(2, MAX_GRID)),
                    range: Some(r),
                    ..Actions::default()
                };
                self.director.record(Target::Both, actions);
                if self.worker.is_some() {
                    // Live: the new plane at once, coarse, then refined.
                    for session in self.director.sessions_mut() {
                        session.show_coarse_first();
                    }
                }
                self.measure_now = true;
            }
            Command::TopK(k) => {
                let actions = Actions {
                    top_k: Some(k.clamp(1, MAX_TOP_K)),
                    ..Actions::default()
                };
                self.director.record(Target::Both, actions);
                self.measure_now = true;
            }
            Command::Reset(configs) => {
                let labels = self.director.labels().to_vec();
                let runs = configs
                    .into_iter()
                    .enumerate()
                    .map(|(i, config)| RunSpec {
                        label: labels.get(i).cloned().unwrap_or_default(),
                        config,
                    })
                    .collect();
                self.start(Source::Plain(runs), false);
            }
            Command::Restart => {
                let source = match &self.source {
                    Source::Lesson(_) => self.source.clone(),
                    Source::Plain(_) => Source::Plain(self.current_runs()),
                };
                let show_view = matches!(source, Source::Lesson(_));
                self.start(source, show_view);
            }
            Command::Lesson(lesson) => {
                self.speed = clamp_speed(lesson.speed);
                self.start(Source::Lesson(*lesson), true);
            }
            Command::SaveProblem(run, path) => {
                let notice = match self.director.sessions_mut().get(run) {
                    Some(s) => match s.to_problem().save(&path) {
                        Ok(()) => format!("wrote {}", path.display()),
                        Err(e) => e.to_string(),
                    },
                    None => format!("no run {run} to save"),
                };
                self.notices.push(notice);
            }
            Command::SaveModel(run, path) => {
                let notice = match self.director.sessions().get(run) {
                    Some(s) => self.save_model(s, &path),
                    None => format!("no run {run} to save"),
                };
                self.notices.push(notice);
            }
        }
    }

    /// Writes `session`'s network to `path` (safetensors, the feature
    /// scaling of CSV data in its metadata) and the recipe beside it; says
    /// what was written or why not.
    fn save_model(&self, session: &Session, path: &Path) -> String {
        let problem = session.to_problem();
        let arch = &problem.architecture;
        let scaling = session.config().data.csv().and_then(|c| c.scaling.as_ref());
        let names = safetensors::sequential_names(arch.n_layers());
        if let Err(e) = safetensors::save(arch, problem.params.flat(), &names, scaling, path) {
            return e.to_string();
        }
        let lesson = beside(path);
        match self.recipe().save(&lesson) {
            Ok(()) => format!("wrote {} and {}", path.display(), lesson.display()),
            Err(e) => format!("wrote {}, but no lesson beside it: {e}", path.display()),
        }
    }

    /// The runs with the configurations they have now.
    fn current_runs(&mut self) -> Vec<RunSpec> {
        let labels = self.director.labels().to_vec();
        self.director
            .sessions_mut()
            .iter()
            .zip(labels)
            .map(|(s, label)| RunSpec {
                label,
                config: s.config().clone(),
            })
            .collect()
    }

    /// Live pacing: trains the steps owed for `elapsed` seconds at the speed
    /// (at most [`MAX_CATCH_UP`] seconds' worth; one step when paused and a
    /// step was asked for), measures when due, and reports.
    pub fn tick(&mut self, elapsed: f64) -> Update {
        self.collect_measurement();
        let elapsed = if elapsed.is_finite() {
            elapsed.max(0.0)
        } else {
            0.0
        };
        let steps = if self.paused {
            usize::from(std::mem::take(&mut self.step_once))
        } else {
            self.owed += self.speed * elapsed.min(MAX_CATCH_UP);
            let whole = self.owed.floor();
            self.owed -= whole;
            whole as usize
        };
        let stepped = steps > 0 && self.paused;
        let seconds = if self.paused { 0.0 } else { elapsed };
        self.schedule.since_last += elapsed;
        self.inspect_schedule.since_last += elapsed;
        let due = self.schedule.since_last >= self.schedule.interval();
        // Inspections wait for new steps: a paused run is not inspected again.
        let inspect =
            steps > 0 && self.inspect_schedule.since_last >= self.inspect_schedule.interval();
        let trained = self.advance(
            steps,
            seconds,
            Asked {
                measure: due || stepped,
                inspect: inspect || stepped,
                measure_on_pause: true,
            },
            self.budget,
        );
        self.rate.add(trained, elapsed);
        self.update()
    }

    /// Frame-locked pacing for recordings: exactly `steps` steps and
    /// `seconds` of simulated time, measuring (and auto-inspecting) when
    /// `measure` says so. While a timeline event holds it paused, no step
    /// is taken (a recording of a saved run stays at the step it was saved
    /// at).
    pub fn tick_exact(&mut self, steps: usize, seconds: f64, measure: bool) -> Update {
        let (steps, seconds) = if self.held {
            (0, 0.0)
        } else {
            (steps, seconds)
        };
        let asked = Asked {
            measure,
            inspect: measure,
            measure_on_pause: false,
        };
        self.advance(steps, seconds, asked, None);
        self.update()
    }

    /// Trains (within `budget`, checked every [`CHUNK`] steps, if one is
    /// given; a `pause` event ends it at its step), applies the timeline,
    /// and measures when asked, when a command asked, when a run has just
    /// diverged, or when the timeline paused and `asked.measure_on_pause`
    /// (live: the paused picture is exact; a recording keeps its own
    /// schedule); inspects when asked and auto-inspection is on. Returns the
    /// steps trained.
    fn advance(
        &mut self,
        steps: usize,
        seconds: f64,
        asked: Asked,
        budget: Option<Duration>,
    ) -> usize {
        let diverged_before = self.diverged_runs();
        let mut paused = false;
        let trained = match budget {
            None => {
                let changes = self.director.advance(steps, seconds);
                self.view_changes.extend(changes);
                paused = self.director.take_pause();
                steps
            }
            Some(budget) => {
                let start = Instant::now();
                let mut trained = 0;
                while !paused && trained < steps && (trained == 0 || start.elapsed() < budget) {
                    let chunk = (steps - trained).min(CHUNK);
                    let changes = self.director.advance(chunk, 0.0);
                    self.view_changes.extend(changes);
                    paused = self.director.take_pause();
                    trained += chunk;
                }
                if !paused {
                    let changes = self.director.advance(0, seconds);
                    self.view_changes.extend(changes);
                    paused = self.director.take_pause();
                }
                trained
            }
        };
        if paused {
            // Paused by the timeline: measured at once, like a pause key.
            (self.paused, self.held) = (true, true);
            self.measure_now |= asked.measure_on_pause;
        }
        let diverged = self.diverged_runs() > diverged_before;
        if asked.measure || diverged || std::mem::take(&mut self.measure_now) {
            self.measure();
        }
        if asked.inspect && self.auto_inspect {
            self.inspect_all();
        }
        trained
    }

    fn diverged_runs(&mut self) -> usize {
        self.director
            .sessions_mut()
            .iter()
            .filter(|s| s.diverged().is_some())
            .count()
    }

    /// Measures now (inline), or hands a copy of the runs to the worker;
    /// while the worker is busy the request waits for the next tick.
    fn measure(&mut self) {
        match &mut self.worker {
            None => {
                let start = Instant::now();
                self.director.measure();
                self.schedule.cost = start.elapsed().as_secs_f64();
                self.schedule.count += 1;
            }
            Some(worker) if worker.busy => {
                self.measure_now = true;
                return;
            }
            Some(worker) => {
                let job = (self.generation, self.director.to_measure());
                if worker.jobs.send(job).is_err() {
                    // The thread is gone: measure inline from now on.
                    self.worker = None;
                    return self.measure();
                }
                worker.busy = true;
            }
        }
        // Keep the schedule's phase: the loop ticks in slices, and resetting
        // to zero would round every interval up to the next slice.
        let late = self.schedule.since_last - self.schedule.interval();
        self.schedule.since_last = late.clamp(0.0, MIN_MEASURE_INTERVAL);
    }

    /// Takes back the worker's finished measurement, unless the runs were
    /// started over since it began.
    fn collect_measurement(&mut self) {
        let Some(worker) = &mut self.worker else {
            return;
        };
        let done = worker
            .done
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        let (generation, copy, seconds) = match done.try_recv() {
            Ok(done) => done,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => {
                self.worker = None;
                return;
            }
        };
        worker.busy = false;
        if generation == self.generation && copy.runs() == self.director.sessions_mut().len() {
            self.director.adopt(copy);
            self.schedule.cost = seconds;
            self.schedule.count += 1;
            if self
                .director
                .sessions()
                .iter()
                .any(Session::surface_is_coarse)
            {
                // A quick first surface: the whole grid next, at once.
                self.measure_now = true;
            }
        }
    }

    /// The state now, handing out the view changes and notices gathered
    /// since the last update.
    fn update(&mut self) -> Update {
        Update {
            runs: self.director.snapshots(),
            labels: self.director.labels().to_vec(),
            generation: self.generation,
            paused: self.paused,
            speed: self.speed,
            title: self.source.title().to_string(),
            caption: self.director.caption().to_string(),
            view_changes: std::mem::take(&mut self.view_changes),
            notices: std::mem::take(&mut self.notices),
            inspections: std::mem::take(&mut self.inspections),
            auto_inspect: self.auto_inspect,
            achieved_steps_per_second: self.rate.rate,
            measure_seconds: self.schedule.cost,
            measure_interval: self.schedule.interval(),
            measurements: self.schedule.count,
            commands_handled: self.commands_handled,
            recipe: Arc::new(self.recipe()),
        }
    }

    /// The lesson that replays this generation bit for bit to the current
    /// step and pauses there: what was started (the lesson as written, or
    /// the plain runs as they were at their start), every change since at
    /// the step it took effect, the speed in force.
    pub fn recipe(&self) -> Lesson {
        let mut lesson = self.source.lesson();
        lesson.timeline = self.director.timeline_so_far();
        lesson.speed = self.speed;
        lesson.paused = false;
        lesson
    }

    /// What is being played.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The director (for frame-exact drivers and tests).
    pub fn director(&self) -> &Director {
        &self.director
    }
}

/// How often the live loop checks commands and sends an update.
pub const SLICE: Duration = Duration::from_millis(16);
/// Steps a live runner trains between two looks at the clock.
const CHUNK: usize = 32;

/// The live app's training loop (its training thread runs this, and so does
/// `curvscope bench` to time it): every [`SLICE`], applies the commands that
/// came, ticks `runner` with the time since the last tick and hands the
/// update to `post`. The runner runs [`Runner::live`]. Ends when the commands' sender is gone or `post`
/// returns false.
pub fn run_paced(
    runner: Runner,
    commands: &Receiver<Command>,
    mut post: impl FnMut(Update) -> bool,
) {
    let mut runner = runner.live();
    let mut last = Instant::now();
    loop {
        let slice_start = Instant::now();
        loop {
            match commands.try_recv() {
                Ok(command) => runner.handle(command),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let now = Instant::now();
        let update = runner.tick(now.duration_since(last).as_secs_f64());
        last = now;
        if !post(update) {
            return;
        }
        if let Some(rest) = SLICE.checked_sub(slice_start.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

/// Speeds outside [`defaults::SPEED_RULE`] are brought into it (a command
/// from a slider; files and flags are refused before they get here).
fn clamp_speed(speed: f64) -> f64 {
    if speed.is_nan() {
        defaults::STEPS_PER_SECOND
    } else {
        speed.clamp(defaults::MIN_SPEED, defaults::MAX_SPEED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::synthetic::DataKind;
    use crate::spec::{DataSource, ModelSpec, Synthetic};
    use crate::train::session::COARSE_GRID;

    fn small() -> SessionConfig {
        SessionConfig {
            data: DataSource::Synthetic(Synthetic {
                kind: DataKind::Sine,
                samples: (32, 8),
                ..Synthetic::default()
            }),
            model: ModelSpec {
                hidden: vec![4],
                ..ModelSpec::default()
            },
            grid: (5, 1.0),
            top_k: 1,
            ..SessionConfig::default()
        }
    }

    fn plain() -> Runner {
        Runner::plain(vec![(String::new(), small())]).unwrap()
    }

    fn lesson(text: &str) -> Lesson {
        Lesson::from_json_str(text, "test").unwrap()
    }

    #[test]
    fn ticks_train_the_steps_the_speed_owes() {
        let mut runner = plain();
        runner.handle(Command::Speed(1000.0));
        let mut last = runner.tick(0.0);
        assert_eq!(last.runs[0].step, 0);
        for _ in 0..10 {
            last = runner.tick(0.01);
        }
        assert_eq!(last.runs[0].step, 100);
        // A long stall is paid for up to MAX_CATCH_UP only.
        let after = runner.tick(10.0);
        assert_eq!(after.runs[0].step, 100 + 250);
    }

    #[test]
    fn paused_runs_take_single_steps_only() {
        let mut runner = plain();
        runner.handle(Command::Pause(true));
        assert_eq!(runner.tick(1.0).runs[0].step, 0);
        runner.handle(Command::Step);
        let one = runner.tick(1.0);
        assert_eq!(one.runs[0].step, 1);
        assert!(one.paused);
        assert_eq!(runner.tick(1.0).runs[0].step, 1);
    }

    #[test]
    fn restart_of_plain_runs_keeps_their_settings_now() {
        let mut runner = plain();
        runner.tick(0.1);
        let new = TrainerSettings::sgd(0.03, Some(8), 0.5);
        runner.handle(Command::Settings(0, new));
        runner.handle(Command::Restart);
        let u = runner.tick(0.0);
        assert_eq!(u.generation, 1);
        assert_eq!(u.runs[0].step, 0);
        assert_eq!(u.runs[0].settings, new);
        // A plain restart keeps the user's view.
        assert!(u.view_changes.is_empty());
    }

    #[test]
    fn a_user_lesson_named_like_the_plain_one_keeps_its_timeline() {
        let text = r#"{"format": "curvscope-lesson/1", "name": "plain",
            "run": {"data": "sine", "hidden": [4], "grid": 5, "learning_rate": 0.05},
            "timeline": [{"at_step": 3, "learning_rate": 0.2}]}"#;
        let mut runner = Runner::new(Source::Lesson(lesson(text)), 100.0).unwrap();
        runner.tick_exact(5, 0.0, false);
        runner.handle(Command::Restart);
        let u = runner.tick_exact(0, 0.0, false);
        assert_eq!(u.runs[0].settings.learning_rate(), 0.05);
        let u = runner.tick_exact(3, 0.0, false);
        assert_eq!(u.runs[0].settings.learning_rate(), 0.2, "replayed timeline");
    }

    /// Issue 9: saddle-at-init was past its saddle at the first readable
    /// frame; a lesson can start paused (live), and restarts or picks it
    /// paused again.
    #[test]
    fn a_lesson_can_start_paused_and_counts_the_commands_it_handled() {
        let text = r#"{"format": "curvscope-lesson/1", "name": "p", "paused": true,
            "run": {"data": "sine", "hidden": [4], "grid": 5}}"#;
        let mut runner = Runner::new(Source::Lesson(lesson(text)), 100.0).unwrap();
        let u = runner.tick(1.0);
        assert!(u.paused);
        assert_eq!((u.runs[0].step, u.commands_handled), (0, 0));
        runner.handle(Command::Pause(false));
        let u = runner.tick(0.1);
        assert!(!u.paused && u.runs[0].step > 0);
        assert_eq!(u.commands_handled, 1);
        runner.handle(Command::Pause(true));
        let u = runner.tick(0.0);
        let c = u.runs[0].curvature.as_ref().unwrap();
        assert_eq!(
            c.step, u.runs[0].step,
            "a pause measures at the step it shows"
        );
        runner.handle(Command::Restart);
        assert!(runner.tick(1.0).paused, "a restart starts it paused again");
        let mut plain = plain();
        plain.handle(Command::Lesson(Box::new(lesson(text))));
        let u = plain.tick(1.0);
        assert!(u.paused && u.runs[0].step == 0 && u.commands_handled == 1);
    }

    /// Issue 12: the whole spectrum and the layers, on demand, of the
    /// step shown; an unread update keeps them.
    #[test]
    fn inspect_measures_the_whole_spectrum_and_the_layers_on_demand() {
        let mut runner = plain();
        runner.tick_exact(20, 0.0, false);
        runner.handle(Command::Inspect(0));
        runner.handle(Command::Inspect(7));
        let u = runner.tick_exact(0, 0.0, false);
        assert_eq!(u.inspections.len(), 1, "run 7 does not exist");
        let (run, inspection) = &u.inspections[0];
        let p = u.runs[0].config.n_params();
        assert_eq!((*run, inspection.step), (0, 20));
        assert_eq!(
            inspection.spectrum.eigenvalues.as_ref().map(Vec::len),
            Some(p)
        );
        assert_eq!(inspection.layers.len(), small().model.hidden.len() + 1);
        let mut newer = runner.tick_exact(1, 0.0, false);
        assert!(newer.inspections.is_empty());
        newer.absorb_older(u);
        assert_eq!(newer.inspections.len(), 1);
    }

    /// Issue 12: the waterfall's columns come from auto-inspection (with
    /// each measurement in a recording, on its own schedule live), and a
    /// lesson that shows the spectrum turns it on.
    #[test]
    fn auto_inspection_inspects_with_every_measurement_and_a_spectrum_lesson_turns_it_on() {
        let mut runner = plain();
        let u = runner.tick_exact(5, 0.0, true);
        assert!(!u.auto_inspect && u.inspections.is_empty());
        runner.handle(Command::AutoInspect(true));
        let steps = |u: &Update| -> Vec<(usize, u64)> {
            u.inspections.iter().map(|(r, i)| (*r, i.step)).collect()
        };
        let u = runner.tick_exact(0, 0.0, false);
        assert!(u.auto_inspect);
        assert_eq!(steps(&u), vec![(0, 5)], "turning it on inspects at once");
        assert!(runner.tick_exact(3, 0.0, false).inspections.is_empty());
        let u = runner.tick_exact(3, 0.0, true);
        assert_eq!(steps(&u), vec![(0, 11)]);
        let settings = u.runs[0].settings;
        let inspection = &u.inspections[0].1;
        assert_eq!(inspection.limit, settings.optimizer.threshold());
        let p = u.runs[0].config.n_params();
        let picture = inspection
            .picture
            .as_ref()
            .expect("a small network's Hessian");
        assert_eq!(picture.matrix.dim(), (p, p));
        // Live pacing: on the inspections' own schedule (a long tick is
        // past any interval), and not again while paused unless stepped.
        let u = runner.tick(1e3);
        assert_eq!(steps(&u), vec![(0, u.runs[0].step)]);
        assert!(u.runs[0].step > 11);
        runner.handle(Command::Pause(true));
        assert!(runner.tick(1e3).inspections.is_empty());
        runner.handle(Command::Step);
        let u = runner.tick(1e3);
        assert_eq!(steps(&u), vec![(0, u.runs[0].step)]);
        runner.handle(Command::AutoInspect(false));
        assert!(runner.tick_exact(1, 0.0, true).inspections.is_empty());
        assert!(runner.tick(1e3).inspections.is_empty());
        runner.handle(Command::Pause(false));
        assert!(runner.tick(1e3).inspections.is_empty());

        let text = r#"{"format": "curvscope-lesson/1", "name": "s",
            "run": {"data": "sine", "hidden": [4], "grid": 5},
            "view": {"spectrum": true, "hessian": true}}"#;
        runner.handle(Command::Lesson(Box::new(lesson(text))));
        let u = runner.tick_exact(0, 0.0, false);
        assert!(u.auto_inspect);
        assert_eq!(steps(&u), vec![(0, 0)], "only the new run's start");
        assert!(matches!(&u.view_changes[0], ViewChange::Start(v) if v.spectrum && v.hessian));
        let plain_lesson = text.replace(r#""spectrum": true, "hessian": true"#, "");
        runner.handle(Command::Lesson(Box::new(lesson(&plain_lesson))));
        let u = runner.tick_exact(1, 0.0, true);
        assert!(!u.auto_inspect && u.inspections.is_empty());
    }

    #[test]
    fn a_lesson_sends_its_view_then_its_timeline_changes_in_order() {
        let text = r#"{"format": "curvscope-lesson/1", "name": "t", "caption": "start",
            "run": {"data": "sine", "hidden": [4], "grid": 5},
            "view": {"bowl": false, "height_scale": 2},
            "timeline": [{"at_step": 2, "bowl": true, "caption": "later"}]}"#;
        let mut runner = plain();
        runner.handle(Command::Lesson(Box::new(lesson(text))));
        let u = runner.tick_exact(0, 0.0, false);
        assert_eq!(u.title, "t");
        assert!(matches!(&u.view_changes[0], ViewChange::Start(v) if v.height_scale == 2.0));
        assert!(
            u.view_changes
                .contains(&ViewChange::Caption("start".into()))
        );
        let u = runner.tick_exact(2, 0.0, false);
        assert_eq!(
            u.view_changes,
            vec![ViewChange::Bowl(true), ViewChange::Caption("later".into())]
        );
        // Restart replays the lesson, view included.
        runner.handle(Command::Restart);
        let u = runner.tick_exact(0, 0.0, false);
        assert!(matches!(u.view_changes[0], ViewChange::Start(_)));
        assert_eq!(u.caption, "start");
    }

    #[test]
    fn a_run_that_cannot_start_is_refused_and_the_current_one_goes_on() {
        let huge = SessionConfig {
            data: DataSource::Synthetic(Synthetic {
                noise: 1e308,
                ..Synthetic::default()
            }),
            ..small()
        };
        let err = Runner::plain(vec![(String::new(), huge.clone())])
            .err()
            .expect("refused");
        assert!(
            err.to_string()
                .starts_with("cannot start the run: the loss is not finite"),
            "{err}"
        );
        let mut runner = plain();
        runner.tick(0.1);
        runner.handle(Command::Reset(vec![huge]));
        let u = runner.tick(0.0);
        assert_eq!(u.generation, 0, "the current run goes on");
        assert_eq!(u.runs[0].config, small());
        assert!(
            u.notices[0].starts_with("cannot start the run:"),
            "{:?}",
            u.notices
        );
    }

    #[test]
    fn an_unread_update_keeps_the_older_ones_changes() {
        let mut older = plain().tick(0.0);
        older.notices = vec!["wrote a".into()];
        let mut newer = plain().tick(0.0);
        newer.notices = vec!["wrote b".into()];
        newer.absorb_older(older);
        assert_eq!(newer.notices, vec!["wrote a", "wrote b"]);
    }

    #[test]
    fn measurements_follow_the_schedule_and_divergence() {
        let mut runner = plain();
        let first = runner.tick(0.0).measurements;
        // Not due before the minimum interval (whatever the cost).
        assert_eq!(runner.tick(0.01).measurements, first);
        // Due after a long enough wait.
        let mut u = runner.tick(0.0);
        for _ in 0..100 {
            u = runner.tick(1.0);
            if u.measurements > first {
                break;
            }
        }
        assert!(u.measurements > first);
        // A divergence measures at once.
        runner.handle(Command::Settings(0, TrainerSettings::sgd(1e6, None, 0.0)));
        let before = runner.tick(0.0).measurements;
        let mut diverged = runner.tick(0.004);
        for _ in 0..1000 {
            if diverged.runs[0].diverged.is_some() {
                break;
            }
            diverged = runner.tick(0.004);
        }
        assert!(diverged.runs[0].diverged.is_some());
        assert!(diverged.measurements > before);
    }

    /// Ticks until the worker has nothing in flight (an event, not a time).
    fn settle(runner: &mut Runner) -> Update {
        for _ in 0..100_000 {
            let u = runner.tick(0.0);
            if !runner.worker.as_ref().is_some_and(|w| w.busy) {
                return u;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        panic!("the measuring thread never finished");
    }

    #[test]
    fn background_measurements_come_back_and_keep_up_with_training() {
        let mut runner = plain().live();
        runner.handle(Command::Speed(1000.0));
        let first = runner.tick(0.0).measurements;
        let mut u = runner.tick(0.0);
        for _ in 0..100_000 {
            u = runner.tick(MIN_MEASURE_INTERVAL);
            if u.measurements >= first + 3 {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        assert!(
            u.measurements >= first + 3,
            "{} measurements",
            u.measurements
        );
        let run = &u.runs[0];
        let curvature = run.curvature.as_ref().unwrap();
        assert!(curvature.step > 0 && curvature.step <= run.step);
        assert!(run.surface.is_some());
    }

    #[test]
    fn a_live_tick_trains_until_its_budget_is_spent_and_drops_the_rest() {
        let mut runner = plain().live();
        assert_eq!(runner.budget, Some(SLICE));
        runner.handle(Command::Speed(1000.0));
        runner.tick(0.0);
        // A spent budget still trains one chunk per tick.
        runner.budget = Some(Duration::ZERO);
        let u = runner.tick(0.1);
        assert_eq!(u.runs[0].step, CHUNK as u64);
        // The 68 steps that did not fit are dropped, not owed to later ticks.
        assert!(runner.owed < 1.0);
        assert_eq!(runner.tick(0.0).runs[0].step, CHUNK as u64);
        // With time to spare, every owed step trains.
        runner.budget = Some(Duration::from_secs(60));
        assert_eq!(runner.tick(0.1).runs[0].step, CHUNK as u64 + 100);
    }

    #[test]
    fn a_live_change_of_plane_shows_a_coarse_surface_then_the_whole_grid() {
        let mut runner = plain().live();
        settle(&mut runner);
        runner.handle(Command::Landscape(PlaneKind::Random, (24, 0.5)));
        let mut sizes = Vec::new();
        for _ in 0..100_000 {
            let u = runner.tick(0.0);
            let surface = u.runs[0].surface.as_ref().unwrap();
            if surface.kind == PlaneKind::Random && sizes.last() != Some(&surface.coords.len()) {
                sizes.push(surface.coords.len());
            }
            if sizes.last() == Some(&24) {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        assert_eq!(sizes, [COARSE_GRID, 24]);
        // Recordings (inline) never show a coarse surface.
        let mut inline = plain();
        inline.handle(Command::Landscape(PlaneKind::Random, (24, 0.5)));
        let u = inline.tick_exact(1, 0.0, false);
        assert_eq!(u.runs[0].surface.as_ref().unwrap().coords.len(), 24);
    }

    #[test]
    fn the_1d_views_are_measured_only_while_asked_for_and_over_restarts() {
        let mut runner = plain();
        let u = runner.tick_exact(5, 0.0, true);
        assert!(u.runs[0].lines.is_none(), "off by default");
        runner.handle(Command::Lines(true));
        let u = runner.tick_exact(0, 0.0, false);
        assert_eq!(u.runs[0].curvature.as_ref().unwrap().step, 5);
        assert!(u.runs[0].lines.is_some(), "measured at once");
        runner.handle(Command::Restart);
        let u = runner.tick_exact(0, 0.0, false);
        assert_eq!((u.generation, u.runs[0].step), (1, 0));
        assert!(u.runs[0].lines.is_some(), "kept over a restart");
        runner.handle(Command::Lines(false));
        let u = runner.tick_exact(3, 0.0, true);
        assert!(u.runs[0].lines.is_none());
    }

    #[test]
    fn a_measurement_from_before_a_restart_is_dropped() {
        let mut runner = plain().live();
        runner.handle(Command::TopK(2));
        runner.tick(0.0);
        assert!(runner.worker.as_ref().unwrap().busy, "a job is in flight");
        runner.handle(Command::Restart);
        let u = settle(&mut runner);
        assert_eq!(u.measurements, 1, "only the restart's own measurement");
    }

    #[test]
    fn measuring_in_background_leaves_training_bit_for_bit_the_same() {
        let mut inline = plain();
        let mut background = plain().live();
        for _ in 0..20 {
            let a = inline.tick_exact(7, 0.1, true);
            let b = background.tick_exact(7, 0.1, true);
            assert_eq!(a.runs[0].step, b.runs[0].step);
            assert_eq!(
                a.runs[0].train_loss.to_bits(),
                b.runs[0].train_loss.to_bits()
            );
        }
        let u = settle(&mut background);
        assert!(u.measurements > 1);
    }

    #[test]
    fn a_measurement_taken_back_reads_with_the_settings_in_use_now() {
        let mut director = Director::from_config(small()).unwrap();
        director.advance(20, 0.0);
        let mut copy = director.to_measure();
        let settings = TrainerSettings::sgd(0.5, None, 0.0);
        director.sessions_mut()[0].set_settings(settings);
        director.sessions_mut()[0].set_top_k(2);
        copy.measure();
        director.adopt(copy);
        let snapshot = &director.snapshots()[0];
        let c = snapshot.curvature.as_ref().unwrap();
        assert_eq!(c.step, 20);
        assert_eq!(c.eta_lambda[0], 0.5 * c.top[0]);
        assert_eq!(c.limit, 2.0);
        // The tracker of one eigenvalue measured meanwhile is not taken back:
        // the next measurement tracks the two asked for.
        director.measure();
        let c = director.snapshots()[0].curvature.clone().unwrap();
        assert_eq!(c.top.len(), 2);
    }

    /// Issue 13: the model export writes the network in PyTorch's names
    /// and the run as a lesson beside it.
    #[test]
    fn save_model_writes_the_network_and_its_lesson_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let mut runner = plain();
        runner.tick_exact(7, 0.0, false);
        runner.handle(Command::SaveModel(0, path.clone()));
        runner.handle(Command::SaveModel(3, path.clone()));
        let missing = dir.path().join("no").join("m.safetensors");
        runner.handle(Command::SaveModel(0, missing.clone()));
        let u = runner.tick_exact(0, 0.0, false);
        let lesson = dir.path().join("m.lesson.json");
        assert_eq!(
            u.notices[0],
            format!("wrote {} and {}", path.display(), lesson.display())
        );
        assert_eq!(u.notices[1], "no run 3 to save");
        assert!(
            u.notices[2].starts_with(&format!("{}: cannot write", missing.display())),
            "{}",
            u.notices[2]
        );
        let model = crate::io::safetensors::Mlp::load(&path, None).unwrap();
        let theta = runner.director().sessions()[0].to_problem().params;
        assert_eq!(model.params, theta);
        assert_eq!(model.names, ["0", "2"]);
        let saved = Lesson::load(&lesson).unwrap();
        assert_eq!(saved, runner.recipe());
    }

    #[test]
    fn save_problem_reports_once() {
        let dir = std::env::temp_dir().join(format!("curvscope-runner-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.json");
        let mut runner = plain();
        runner.handle(Command::SaveProblem(0, path.clone()));
        runner.handle(Command::SaveProblem(3, path.clone()));
        let u = runner.tick(0.0);
        assert_eq!(
            u.notices,
            vec![
                format!("wrote {}", path.display()),
                "no run 3 to save".into()
            ]
        );
        assert!(runner.tick(0.0).notices.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
