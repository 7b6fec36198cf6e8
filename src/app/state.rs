//! The app's shared state, in one home: what the runner last reported
//! ([`Live`]), the view settings several plugins read ([`ShowBowl`],
//! [`Caption`], [`SurfaceScale`], [`HomeView`], [`PanelWidth`]), the link to
//! the training thread, which curvature windows are open
//! ([`CurvatureWindows`]), and the one ordering of the app's systems
//! ([`AppSet`] in `Update`, [`DrawSet`] in egui's pass). Plugin files
//! import this module, never each other's resources, so they form no
//! cycles.

use bevy::prelude::*;
use bevy_egui::EguiPrimaryContextPass;
use curvscope_core::curvature::waterfall::{Column, Waterfall};
use curvscope_core::io::export::SeriesRow;
use curvscope_core::lesson::{CameraSpec, Lesson};
use curvscope_core::spec::SessionConfig;
use curvscope_core::train::director::ViewChange;
use curvscope_core::train::runner::{Command, Update};
use curvscope_core::train::session::{Inspection, Snapshot};
use std::path::PathBuf;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The order of the app's work in each frame's `Update`: take in the
/// runner's newest update, apply its view changes, then bring the scene
/// (meshes, bowls, camera, gizmos) up to date. The panel, windows and
/// overlay are drawn after, in egui's pass ([`DrawSet`]).
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppSet {
    /// The newest update into [`Live`].
    Receive,
    /// View changes into [`ShowBowl`], [`Caption`], [`SurfaceScale`], [`HomeView`].
    View,
    /// Meshes, bowls, markers, camera.
    Scene,
}

/// The order of egui's pass (`EguiPrimaryContextPass`, which runs after
/// `Update`): the glyphs go into egui's font atlas before any text is laid
/// out; the floating windows and the overlay are placed by the panel's
/// width of the frame before, the one the 3D view's viewport was set from
/// in `Update`; the side panel comes last and measures its width for the
/// next frame.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrawSet {
    /// Text options and the font atlas ([`crate::app::glyphs`]).
    Glyphs,
    /// The curvature windows.
    Windows,
    /// Labels, caption, legend and hover readout over the 3D view.
    Overlay,
    /// The side panel (and its 1D views window); sets [`PanelWidth`].
    Panel,
}

/// Adds the shared resources, the system orders and the view-change system
/// (added once, by whichever plugin needs it first).
pub struct StatePlugin;

impl Plugin for StatePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Live>()
            .init_resource::<ShowBowl>()
            .init_resource::<Caption>()
            .init_resource::<SurfaceScale>()
            .init_resource::<HomeView>()
            .init_resource::<PanelWidth>()
            .init_resource::<CurvatureWindows>()
            .init_resource::<TakingPicture>()
            .add_message::<ResetCamera>()
            .add_message::<TakeScreenshot>()
            .add_message::<SaveLesson>()
            .configure_sets(
                Update,
                (AppSet::Receive, AppSet::View, AppSet::Scene).chain(),
            )
            .configure_sets(
                EguiPrimaryContextPass,
                (
                    DrawSet::Glyphs,
                    DrawSet::Windows,
                    DrawSet::Overlay,
                    DrawSet::Panel,
                )
                    .chain(),
            )
            .add_systems(Update, apply_view_changes.in_set(AppSet::View));
    }
}

/// Adds [`StatePlugin`] unless it is there already.
pub fn ensure_state(app: &mut App) {
    if !app.is_plugin_added::<StatePlugin>() {
        app.add_plugins(StatePlugin);
    }
}

/// Whether the stability bowl is shown (at first, yes).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShowBowl(pub bool);

impl Default for ShowBowl {
    fn default() -> Self {
        Self(true)
    }
}

/// The caption shown at the top of the view (a lesson's text).
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct Caption(pub String);

/// The user's height controls.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct SurfaceScale {
    /// Multiplies the surface's world height.
    pub factor: f32,
    /// Heights (and colours) by log(loss) instead of loss.
    pub log: bool,
}

impl Default for SurfaceScale {
    fn default() -> Self {
        Self {
            factor: 1.0,
            log: false,
        }
    }
}

/// The camera's home, set by a lesson (None: the default for the number of
/// runs).
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq)]
pub struct HomeView(pub Option<CameraSpec>);

/// Puts the camera back to its home.
#[derive(Message, Debug, Clone, Copy, Default)]
pub struct ResetCamera;

/// Which curvature windows are open: the spectrum (density, waterfall,
/// layers) and the Hessian heatmap. The panel opens them; a lesson's view
/// sets them.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CurvatureWindows {
    /// The spectrum window.
    pub spectrum: bool,
    /// The Hessian heatmap window.
    pub hessian: bool,
}

/// Asks for a PNG of the window, carrying the lesson that reproduces it:
/// taken once every run is paused and measured at the step it shows
/// (training pauses for it and resumes after).
#[derive(Message, Debug, Clone)]
pub struct TakeScreenshot {
    /// The PNG file; `None`: `curvscope-step<N>.png` in the working
    /// folder, N the step the picture shows.
    pub path: Option<PathBuf>,
    /// Gets the outcome, if given (the `screenshot` command waits on it).
    pub outcome: Option<ShotOutcome>,
}

impl TakeScreenshot {
    /// A PNG of the window in the working folder, named by the step it
    /// shows, with the lesson that reproduces it inside (the panel's notice
    /// confirms it): the P key and the panel's button.
    pub fn named_by_step() -> Self {
        Self {
            path: None,
            outcome: None,
        }
    }
}

/// How a requested screenshot ended (None while it is pending).
pub type ShotOutcome = Arc<Mutex<Option<Result<(), curvscope_core::io::video::VideoError>>>>;

/// Asks for the lesson of the picture on screen (the run so far, paused at
/// the step shown, with the view as it is) to be written to `path`.
#[derive(Message, Debug, Clone)]
pub struct SaveLesson {
    /// The lesson file (`NAME.lesson.json`).
    pub path: PathBuf,
    /// Whether its outcome replaces the panel's notice (an export says
    /// its own, and names the lesson only when it failed).
    pub announce: bool,
}

impl SaveLesson {
    /// The run so far as a lesson file in the working folder, named by the
    /// step `live` shows: it replays the run to this step and pauses there
    /// (the L key and the panel's "save lesson").
    pub fn named_by_step(live: &Live) -> Self {
        let step = live.latest().map_or(0, |s| s.step);
        Self {
            path: PathBuf::from(format!("curvscope-step{step}.lesson.json")),
            announce: true,
        }
    }
}

/// Whether a picture is waiting to be taken: training is paused for it
/// (the panel then shows the controls as they were, not "paused").
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TakingPicture(pub bool);

/// Width of the side panel in logical pixels (0 without one): the 3D view
/// uses the rest of the window.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq)]
pub struct PanelWidth(pub f32);

/// The newest update, left by the training thread for the app: a newer one
/// replaces an unread one but keeps its view changes and notices.
#[derive(Clone, Default)]
pub struct Mailbox(Arc<Mutex<Option<Update>>>);

impl Mailbox {
    /// Leaves `update`; false once the app has dropped its end.
    pub fn post(&self, mut update: Update) -> bool {
        if Arc::strong_count(&self.0) < 2 {
            return false;
        }
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(older) = slot.take() {
            update.absorb_older(older);
        }
        *slot = Some(update);
        true
    }

    /// The update left since the last call, if any.
    pub fn take(&self) -> Option<Update> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// The app's ends of the link to the training thread.
#[derive(Resource)]
pub struct TrainingLink {
    commands: Sender<Command>,
    updates: Mailbox,
    failure: Failure,
    /// Commands sent, and when the newest one not yet seen in an update was
    /// sent (for the input-to-readout latency).
    sent: Mutex<(u64, Option<Instant>)>,
}

/// Why the training thread stopped, if it did (a panic's message).
pub type Failure = Arc<Mutex<Option<String>>>;

impl TrainingLink {
    /// The app's ends of a new link, and the thread's: commands, updates,
    /// and where it leaves the reason it stopped.
    pub fn new() -> (Self, std::sync::mpsc::Receiver<Command>, Mailbox, Failure) {
        let (commands, rx) = channel();
        let updates = Mailbox::default();
        let failure = Failure::default();
        let ends = (updates.clone(), failure.clone());
        let link = Self {
            commands,
            updates,
            failure,
            sent: Mutex::new((0, None)),
        };
        (link, rx, ends.0, ends.1)
    }

    /// Why the training thread stopped, if it did.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sends a command (ignored if the thread has ended).
    pub fn send(&self, command: Command) {
        if self.commands.send(command).is_ok() {
            let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
            sent.0 += 1;
            sent.1.get_or_insert_with(Instant::now);
        }
    }

    /// Seconds from the oldest command not yet seen to `update`, once
    /// `update` has handled every command sent (None otherwise).
    pub fn answered(&self, update: &Update) -> Option<f64> {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if update.commands_handled < sent.0 {
            return None;
        }
        sent.1.take().map(|t| t.elapsed().as_secs_f64())
    }

    /// A link to no thread, for runs driven frame by frame: commands are
    /// dropped and no update arrives.
    pub fn detached() -> Self {
        Self::new().0
    }

    /// The newest update, if one arrived.
    pub fn receive(&self) -> Option<Update> {
        self.updates.take()
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
    /// The last spectrum and layers measured on demand (this generation).
    pub inspection: Option<Arc<Inspection>>,
    /// Every spectrum measured in this generation, over the steps.
    pub waterfall: Waterfall,
}

/// Plot points kept per run before the history is thinned: the history's
/// memory is bounded by this.
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
        self.history.push(snapshot.series_row());
    }
}

/// What the runner last reported, and the history of its readouts.
#[derive(Resource, Default)]
pub struct Live {
    /// The runs (one, or two side by side).
    pub runs: Vec<RunView>,
    /// The runner's generation (bumped by restarts, rebuilds, lessons).
    pub generation: u64,
    /// Whether training is paused.
    pub paused: bool,
    /// Bumped when a new surface arrives (in any run).
    pub surface_version: u64,
    /// Training speed in force (steps per second).
    pub steps_per_second: f64,
    /// Speed actually reached over the last second.
    pub achieved_steps_per_second: f64,
    /// Wall time of the last measurement of curvature and surfaces.
    pub measure_seconds: f64,
    /// Measurements of curvature and surfaces taken back in this generation.
    pub measurements: u64,
    /// Driven frame by frame (a recording) rather than by the training
    /// thread: no wall-clock readouts, no controls.
    pub scripted: bool,
    /// The lesson's title (empty without one).
    pub title: String,
    /// The outcome of the last file written ("wrote …" or why it failed).
    pub notice: Option<String>,
    /// Why the training thread stopped, if it did (shown in the panel).
    pub failure: Option<String>,
    /// Seconds from the last input (a slider, a key, a button) to the
    /// update that answered it.
    pub input_latency: Option<f64>,
    /// Whether every measurement inspects the whole spectrum (the
    /// waterfall then fills by itself).
    pub auto_inspect: bool,
    /// The lesson that replays the runs to the step shown (see
    /// [`curvscope_core::train::runner::Update::recipe`]).
    pub recipe: Option<Arc<Lesson>>,
    /// View changes received and not yet applied.
    pending_view: Vec<ViewChange>,
}

impl Live {
    /// Whether the runs share one surface (twins on the shared plane): it
    /// is drawn once, with both runs' points and paths on it.
    pub fn one_surface(&self) -> bool {
        self.runs.len() == 2
            && self.runs.iter().all(|r| {
                r.latest
                    .as_ref()
                    .and_then(|s| s.surface.as_ref())
                    .is_some_and(|s| s.shared.is_some())
            })
    }

    /// The number of surfaces drawn side by side: one per run, or one for
    /// twins on a shared plane.
    pub fn surfaces_drawn(&self) -> usize {
        if self.one_surface() {
            1
        } else {
            self.runs.len()
        }
    }

    /// Where run `i` is drawn in the row of surfaces (0 for both runs on
    /// a shared surface).
    pub fn slot(&self, i: usize) -> usize {
        if self.one_surface() { 0 } else { i }
    }

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

    /// Whether every run is paused with its curvature and surface measured
    /// at the step it shows (or diverged): then a picture or an export is of
    /// one step throughout.
    pub fn paused_and_measured(&self) -> bool {
        self.paused
            && self.runs.iter().all(|r| {
                r.latest.as_ref().is_some_and(|s| {
                    s.diverged.is_some() || s.curvature.as_ref().is_some_and(|c| c.step == s.step)
                })
            })
    }

    /// Takes in an update: newest snapshots, history (started afresh in a
    /// new generation), surface version, view changes and notices.
    pub fn receive(&mut self, update: Update) {
        if update.generation != self.generation {
            self.generation = update.generation;
            for run in &mut self.runs {
                run.history.clear();
                run.latest = None;
                run.inspection = None;
                run.waterfall.clear();
            }
        }
        self.paused = update.paused;
        self.achieved_steps_per_second = update.achieved_steps_per_second;
        self.measure_seconds = update.measure_seconds;
        self.measurements = update.measurements;
        self.steps_per_second = update.speed;
        self.auto_inspect = update.auto_inspect;
        self.title = update.title;
        self.recipe = Some(update.recipe);
        if let Some(notice) = update.notices.into_iter().last() {
            self.notice = Some(notice);
        }
        self.pending_view.extend(update.view_changes);
        self.runs.resize_with(update.runs.len(), RunView::default);
        let single = update.labels.len() < 2;
        for (run, label) in self.runs.iter_mut().zip(update.labels) {
            run.label = if single { String::new() } else { label };
        }
        for (i, inspection) in update.inspections {
            if let Some(run) = self.runs.get_mut(i) {
                let params = update
                    .runs
                    .get(i)
                    .map_or(1, |s: &Snapshot| s.config.n_params());
                run.waterfall.push(Column::new(
                    inspection.step,
                    &inspection.spectrum,
                    inspection.limit,
                    params,
                ));
                run.inspection = Some(inspection);
            }
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

/// Applies the view changes the runner sent, in order: the one way a
/// lesson's view (live or recorded) reaches the screen.
fn apply_view_changes(
    mut live: ResMut<Live>,
    mut bowl: ResMut<ShowBowl>,
    mut caption: ResMut<Caption>,
    mut scale: ResMut<SurfaceScale>,
    mut home: ResMut<HomeView>,
    mut windows: ResMut<CurvatureWindows>,
    mut camera: MessageWriter<ResetCamera>,
) {
    if live.pending_view.is_empty() {
        return;
    }
    for change in std::mem::take(&mut live.pending_view) {
        match change {
            ViewChange::Start(view) => {
                bowl.0 = view.bowl;
                *scale = SurfaceScale {
                    factor: view.height_scale as f32,
                    log: view.log_scale,
                };
                home.0 = view.camera;
                *windows = CurvatureWindows {
                    spectrum: view.spectrum,
                    hessian: view.hessian,
                };
                camera.write(ResetCamera);
            }
            ViewChange::Bowl(b) => bowl.0 = b,
            ViewChange::Caption(c) => caption.0 = c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Resource, Default)]
    struct Drawn(Vec<DrawSet>);

    /// The egui pass runs its sets in the one order stated in
    /// [`StatePlugin`], whatever order the plugins add their systems in.
    #[test]
    fn egui_s_pass_draws_in_the_order_of_draw_set() {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatePlugin))
            .init_resource::<Drawn>();
        let sets = [
            DrawSet::Panel,
            DrawSet::Overlay,
            DrawSet::Windows,
            DrawSet::Glyphs,
        ];
        for set in sets {
            app.add_systems(
                EguiPrimaryContextPass,
                (move |mut drawn: ResMut<Drawn>| drawn.0.push(set)).in_set(set),
            );
        }
        app.world_mut().run_schedule(EguiPrimaryContextPass);
        assert_eq!(
            app.world().resource::<Drawn>().0,
            [
                DrawSet::Glyphs,
                DrawSet::Windows,
                DrawSet::Overlay,
                DrawSet::Panel
            ]
        );
    }
}
