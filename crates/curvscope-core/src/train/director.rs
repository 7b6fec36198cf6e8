//! Drives the runs of a [`Lesson`] through its timeline, deterministically:
//! the same calls give the same sessions, bit for bit, so a recording can
//! step a lesson frame by frame and the live app can play it at its speed.
//!
//! Time has two clocks: optimizer steps (the runs train in lockstep) and
//! simulated seconds (whatever each [`Director::advance`] call says passed).
//! An `at_step` event fires once that many steps were taken, before any
//! further step; an `at_second` event fires at the end of the call whose
//! time reaches it.
//!
//! Every change the director applies (its timeline's events, and the
//! changes the runner hands it with [`Director::record`]) is logged at the
//! step it took effect, so that [`Director::timeline_so_far`] replays the
//! run bit for bit.

use crate::landscape::plane::PlaneKind;
use crate::landscape::shared::shared_plane;
use crate::lesson::{Actions, Event, EventTime, Lesson, RunSpec, Target, ViewSpec};
use crate::spec::{CannotStart, SessionConfig};
use crate::train::session::{Session, Snapshot};

/// A run of a lesson that cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot start {}: {cause}", if run.is_empty() { "the run".to_string() } else { format!("run \"{run}\"") })]
pub struct StartError {
    /// The run's label (empty for a single unlabelled run).
    pub run: String,
    /// Why.
    pub cause: CannotStart,
}

/// A change of the view: a lesson's starting view, or what a timeline event
/// asked for (the settings and plane changes are applied to the sessions by
/// the director itself).
#[derive(Debug, Clone, PartialEq)]
pub enum ViewChange {
    /// The whole view a lesson starts with: bowl, height scale, camera.
    Start(ViewSpec),
    /// Show or hide the stability bowl.
    Bowl(bool),
    /// New caption text.
    Caption(String),
}

/// A copy of a director's runs, measured away from the training thread.
pub struct Measuring {
    sessions: Vec<Session>,
    /// Whether the runs can share a plane (see [`Director::shares_a_plane`]).
    shareable: bool,
}

impl Measuring {
    /// Measures every run of the copy, as [`Director::measure`] does.
    pub fn measure(&mut self) {
        measure_runs(&mut self.sessions, self.shareable);
    }

    /// How many runs it holds.
    pub fn runs(&self) -> usize {
        self.sessions.len()
    }
}

/// Measures curvature and recomputes the surface of every run: on one
/// shared plane when both runs ask for it and can share one (see
/// [`Director::shares_a_plane`]), each on its own plane otherwise.
fn measure_runs(sessions: &mut [Session], shareable: bool) {
    if shares_a_plane(sessions, shareable) {
        measure_shared(sessions);
        return;
    }
    for session in sessions {
        session.measure();
    }
}

/// Whether `sessions` (which can share a plane when `shareable`) are all
/// set to [`PlaneKind::Shared`].
fn shares_a_plane(sessions: &[Session], shareable: bool) -> bool {
    shareable
        && sessions
            .iter()
            .all(|s| s.config().plane == PlaneKind::Shared)
}

/// Both runs' curvature, then one plane through their start and both
/// current points (the first run's top eigenvectors where they have not
/// spread over two directions yet) and one loss grid for both.
fn measure_shared(sessions: &mut [Session]) {
    let tops: Vec<_> = sessions
        .iter_mut()
        .map(Session::measure_curvature)
        .collect();
    let fallback = tops
        .into_iter()
        .flatten()
        .next()
        .map_or(Vec::new(), Vec::from);
    let [first, second] = sessions else {
        return;
    };
    let Ok(shared) = shared_plane(
        first.start().view(),
        [first.theta().view(), second.theta().view()],
        &fallback,
        first.config().grid.1,
    ) else {
        // Nothing to span a plane with: keep the last surfaces.
        return;
    };
    first.show_shared(&shared, None);
    let grid = first.surface().map(|s| (s.coords.clone(), s.loss.clone()));
    second.show_shared(&shared, grid);
}

/// One or two training sessions stepped through a lesson's timeline.
pub struct Director {
    labels: Vec<String>,
    sessions: Vec<Session>,
    /// Two runs on one landscape from one start: they can share a plane.
    shareable: bool,
    /// Events not yet fired, step-timed then second-timed (as in the lesson).
    pending: Vec<Event>,
    caption: String,
    view: ViewSpec,
    /// The lesson's view and caption before any event.
    start: (ViewSpec, String),
    step: u64,
    seconds: f64,
    /// View changes of events due at the start, handed out by the first
    /// [`Director::advance`].
    queued: Vec<ViewChange>,
    /// Every change applied so far, in order, each at the step it took
    /// effect.
    log: Vec<Event>,
    /// A timeline event paused training (taken by [`Director::take_pause`]).
    pause: bool,
}

impl Director {
    /// Builds the lesson's sessions and measures each once. Events due at
    /// step 0 or second 0 are applied now; their view changes are returned
    /// by the first [`Director::advance`]. Refused when a run's loss is not
    /// finite at the start.
    pub fn new(lesson: &Lesson) -> Result<Self, StartError> {
        let mut director = Self::build(
            &lesson.runs,
            lesson.timeline.clone(),
            lesson.caption.clone(),
            lesson.view.clone(),
        )?;
        director.queued = director.fire_due();
        director.measure();
        Ok(director)
    }

    /// A single run without a lesson (no timeline, no caption), measured once.
    pub fn from_config(config: SessionConfig) -> Result<Self, StartError> {
        let run = RunSpec {
            label: "run".to_string(),
            config,
        };
        let mut director = Self::build(&[run], Vec::new(), String::new(), ViewSpec::default())?;
        director.measure();
        Ok(director)
    }

    fn build(
        runs: &[RunSpec],
        timeline: Vec<Event>,
        caption: String,
        view: ViewSpec,
    ) -> Result<Self, StartError> {
        let sessions: Vec<Session> = runs
            .iter()
            .map(|r| {
                Session::new(r.config.clone()).map_err(|cause| StartError {
                    run: if runs.len() > 1 {
                        r.label.clone()
                    } else {
                        String::new()
                    },
                    cause,
                })
            })
            .collect::<Result<_, _>>()?;
        let shareable = matches!(&sessions[..], [a, b] if a.same_landscape(b));
        Ok(Self {
            labels: runs.iter().map(|r| r.label.clone()).collect(),
            shareable,
            sessions,
            pending: timeline,
            start: (view.clone(), caption.clone()),
            caption,
            view,
            step: 0,
            seconds: 0.0,
            queued: Vec::new(),
            log: Vec::new(),
            pause: false,
        })
    }

    /// Trains every run `steps` steps (stopping exactly at `at_step` events
    /// to apply them), then adds `seconds` of simulated time and applies the
    /// `at_second` events it reached. Returns the view changes that fired,
    /// in order. A diverged run stays where it stopped; the others go on.
    /// A `pause` event ends the call at its step (no further step, no
    /// time); [`Director::take_pause`] tells.
    pub fn advance(&mut self, steps: usize, seconds: f64) -> Vec<ViewChange> {
        let mut changes = std::mem::take(&mut self.queued);
        self.pause = false;
        let end = self.step + steps as u64;
        loop {
            changes.extend(self.fire_due());
            if self.pause {
                return changes;
            }
            let next = self
                .pending
                .iter()
                .filter_map(|e| match e.at {
                    EventTime::Step(s) if s > self.step && s <= end => Some(s),
                    _ => None,
                })
                .min()
                .unwrap_or(end);
            let n = (next - self.step) as usize;
            for session in &mut self.sessions {
                session.train(n);
            }
            self.step = next;
            if next == end {
                break;
            }
        }
        if seconds.is_finite() && seconds > 0.0 {
            self.seconds += seconds;
        }
        changes.extend(self.fire_due());
        changes
    }

    /// Applies every pending event whose time has come, in timeline order.
    fn fire_due(&mut self) -> Vec<ViewChange> {
        let (step, seconds) = (self.step, self.seconds);
        let due = |e: &Event| match e.at {
            EventTime::Step(s) => s <= step,
            EventTime::Second(t) => t <= seconds,
        };
        let (fired, rest): (Vec<Event>, Vec<Event>) = self.pending.drain(..).partition(due);
        self.pending = rest;
        let mut changes = Vec::new();
        for mut event in fired {
            self.apply(event.target, &event.actions);
            self.pause |= event.actions.pause;
            event.at = EventTime::Step(step);
            self.log.push(event.clone());
            if let Some(bowl) = event.actions.bowl {
                self.view.bowl = bowl;
                changes.push(ViewChange::Bowl(bowl));
            }
            if let Some(caption) = event.actions.caption {
                self.caption.clone_from(&caption);
                changes.push(ViewChange::Caption(caption));
            }
        }
        changes
    }

    /// Applies the settings and plane actions to the targeted sessions.
    fn apply(&mut self, target: Target, actions: &Actions) {
        for (i, session) in self.sessions.iter_mut().enumerate() {
            let hit = match target {
                Target::Both => true,
                Target::Run => i == 0,
                Target::Twin => i == 1,
            };
            if !hit {
                continue;
            }
            let mut settings = session.config().settings;
            if let Some(lr) = actions.learning_rate {
                settings.optimizer.learning_rate = lr;
            }
            if let Some(batch) = actions.batch_size {
                settings.batch_size = batch;
            }
            if let Some(m) = actions.momentum {
                settings.optimizer.method.set("momentum", m);
            }
            if settings != session.config().settings {
                session.set_settings(settings);
            }
            let config = session.config();
            let landscape = (
                actions.plane.unwrap_or(config.plane),
                (
                    actions.grid.unwrap_or(config.grid.0),
                    actions.range.unwrap_or(config.grid.1),
                ),
            );
            if landscape != (config.plane, config.grid) {
                session.set_landscape(landscape.0, landscape.1);
            }
            if let Some(k) = actions.top_k {
                session.set_top_k(k);
            }
        }
    }

    /// Applies a change asked for now (a slider, not the timeline) to the
    /// targeted runs and logs it at the current step; only the settings,
    /// plane, grid, range and top-k actions act here. A change at the step
    /// and for the runs of the last logged one joins it (a slider dragged
    /// while paused logs one event, not one per frame).
    pub fn record(&mut self, target: Target, actions: Actions) {
        self.apply(target, &actions);
        let at = EventTime::Step(self.step);
        match self.log.last_mut() {
            Some(last) if last.at == at && last.target == target => {
                last.actions = actions.or(&last.actions);
            }
            _ => self.log.push(Event {
                at,
                target,
                actions,
            }),
        }
    }

    /// Whether a timeline event paused training in the last
    /// [`Director::advance`] (or, before any, when the director was built).
    pub fn take_pause(&mut self) -> bool {
        std::mem::take(&mut self.pause)
    }

    /// The timeline that replays this run to the current step bit for bit:
    /// every change applied so far at the step it took effect, a pause at
    /// the current step, then the step-timed events still to come (events
    /// timed in seconds that have not fired are left out: no replay could
    /// place them at the same step).
    pub fn timeline_so_far(&self) -> Vec<Event> {
        // Pauses that were resumed change no number: left out.
        let mut timeline: Vec<Event> = self
            .log
            .iter()
            .map(|e| Event {
                actions: Actions {
                    pause: false,
                    ..e.actions.clone()
                },
                ..e.clone()
            })
            .filter(|e| e.actions != Actions::default())
            .collect();
        timeline.push(Event {
            at: EventTime::Step(self.step),
            target: Target::Both,
            actions: Actions {
                pause: true,
                ..Actions::default()
            },
        });
        timeline.extend(
            self.pending
                .iter()
                .filter(|e| matches!(e.at, EventTime::Step(_)))
                .cloned(),
        );
        timeline
    }

    /// The view changes that show the lesson's start: its view and caption
    /// as written, before any event (the events due at the start follow in
    /// the first [`Director::advance`]).
    pub fn start_view(&self) -> Vec<ViewChange> {
        let (view, caption) = self.start.clone();
        vec![ViewChange::Start(view), ViewChange::Caption(caption)]
    }

    /// Measures curvature and recomputes the surface of every run: on one
    /// shared plane when both runs ask for it and can share one (see
    /// [`Director::shares_a_plane`]), each on its own plane otherwise.
    pub fn measure(&mut self) {
        measure_runs(&mut self.sessions, self.shareable);
    }

    /// A copy of the runs to measure on another thread while these train
    /// on; [`Director::adopt`] takes the result back.
    pub fn to_measure(&self) -> Measuring {
        Measuring {
            sessions: self.sessions.clone(),
            shareable: self.shareable,
        }
    }

    /// Takes back the measurements of a copy made by
    /// [`Director::to_measure`] of these same runs.
    pub fn adopt(&mut self, measured: Measuring) {
        for (session, copy) in self.sessions.iter_mut().zip(measured.sessions) {
            session.adopt_measurement(copy);
        }
    }

    /// Whether the runs are measured on one shared plane now: two runs on
    /// the same landscape from the same start, both set to
    /// [`PlaneKind::Shared`].
    pub fn shares_a_plane(&self) -> bool {
        shares_a_plane(&self.sessions, self.shareable)
    }

    /// What each run shows now, in run order.
    pub fn snapshots(&self) -> Vec<Snapshot> {
        self.sessions.iter().map(Session::snapshot).collect()
    }

    /// The runs' labels, in run order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The sessions, in run order.
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// The sessions, in run order (e.g. for the app to change settings).
    pub fn sessions_mut(&mut self) -> &mut [Session] {
        &mut self.sessions
    }

    /// The current caption: the lesson's, replaced by timeline captions.
    pub fn caption(&self) -> &str {
        &self.caption
    }

    /// The view as the timeline left it (the lesson's, with bowl events).
    pub fn view(&self) -> &ViewSpec {
        &self.view
    }

    /// Simulated seconds passed.
    pub fn seconds(&self) -> f64 {
        self.seconds
    }

    /// Steps requested so far (a diverged run has taken fewer).
    pub fn step(&self) -> u64 {
        self.step
    }
}
