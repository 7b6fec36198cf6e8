//! Lessons: teaching presets read from `curvscope-lesson/1` JSON files.
//!
//! A lesson sets the data set, model, optimizer and landscape frame of a run,
//! optionally a second "twin" run (the first run's settings with some
//! overridden), the view (bowl, scale, camera), the playback pace and a
//! timeline of setting changes and captions. The app shows it live; a
//! [`crate::train::director::Director`] steps it deterministically. The format is
//! documented in `docs/lessons.md`.
//!
//! Every object refuses unknown keys, and every error names the source (a
//! file path or `lesson NAME`) and the field path, e.g.
//! `lesson x: run.learning_rate: expected a finite number > 0, got -1`.

mod reader;
mod writer;

pub use writer::beside;

use crate::defaults;
use crate::landscape::plane::PlaneKind;
use crate::spec::SessionConfig;

/// The format tag every lesson file starts with.
pub const FORMAT_TAG: &str = "curvscope-lesson/1";

/// Largest lesson file read (and written), in bytes: the bundled ones have
/// about 2 KB, a saved run about 90 bytes per change.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The lessons shipped in `assets/lessons/`: (name, file text).
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "sharp-vs-flat",
        include_str!("../../../../assets/lessons/sharp-vs-flat.json"),
    ),
    (
        "edge-of-stability",
        include_str!("../../../../assets/lessons/edge-of-stability.json"),
    ),
    (
        "too-large-lr",
        include_str!("../../../../assets/lessons/too-large-lr.json"),
    ),
    (
        "saddle-at-init",
        include_str!("../../../../assets/lessons/saddle-at-init.json"),
    ),
    (
        "lr-over-batch",
        include_str!("../../../../assets/lessons/lr-over-batch.json"),
    ),
    (
        "outliers",
        include_str!("../../../../assets/lessons/outliers.json"),
    ),
    (
        "two-optimizers",
        include_str!("../../../../assets/lessons/two-optimizers.json"),
    ),
];

/// A lesson file that breaks the format, or one that cannot be found or read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}: {field}: {message}")]
pub struct LessonError {
    /// Where the lesson came from: a file path or `lesson NAME`.
    pub origin: String,
    /// The offending field path, e.g. `timeline[2].run` (`json` for text
    /// that is not JSON, `file` for I/O, `lesson` for an unknown name).
    pub field: String,
    /// What was expected and what was found.
    pub message: String,
}

impl LessonError {
    pub(crate) fn new(origin: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            origin: origin.to_string(),
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A teaching preset: one or two runs, a view and a timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    /// Kebab-case name (also the command line's `--lesson NAME`).
    pub name: String,
    /// Title shown on screen.
    pub title: String,
    /// Caption shown on screen until a timeline event replaces it.
    pub caption: String,
    /// The run, then the twin if there is one (1 or 2 entries).
    pub runs: Vec<RunSpec>,
    /// How the landscape is shown at the start.
    pub view: ViewSpec,
    /// Live app: optimizer steps per second.
    pub speed: f64,
    /// Live app: start paused, so the starting point can be looked at
    /// (space or "resume" starts training; recordings play regardless).
    pub paused: bool,
    /// Recording: optimizer steps per frame.
    pub steps_per_frame: usize,
    /// Recording: curvature and surface are recomputed every this many frames.
    pub measure_every_frames: usize,
    /// Events, step-timed ones first (by step), then second-timed ones (by
    /// second); equal times keep the file's order.
    pub timeline: Vec<Event>,
}

/// One run of a lesson.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    /// Short label shown next to the run's numbers.
    pub label: String,
    /// What the session is built from.
    pub config: SessionConfig,
}

/// How the landscape is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewSpec {
    /// Whether the stability bowl is shown.
    pub bowl: bool,
    /// Whether heights are log-scaled.
    pub log_scale: bool,
    /// Vertical scale of the surface (> 0).
    pub height_scale: f64,
    /// The camera at the start; `None` keeps the app's default.
    pub camera: Option<CameraSpec>,
    /// The spectrum window open, every measurement inspecting the whole
    /// spectrum and the layers (its waterfall filling as training goes).
    pub spectrum: bool,
    /// The Hessian heatmap window open.
    pub hessian: bool,
}

impl Default for ViewSpec {
    fn default() -> Self {
        Self {
            bowl: false,
            log_scale: false,
            height_scale: 1.0,
            camera: None,
            spectrum: false,
            hessian: false,
        }
    }
}

/// An orbit camera: angles in radians, distance from the focus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraSpec {
    /// Rotation about the vertical axis (default 0.7).
    pub yaw: f32,
    /// Elevation (default -0.55).
    pub pitch: f32,
    /// Distance from the focus (> 0, default 8).
    pub radius: f32,
}

impl CameraSpec {
    /// The orbit camera's home for a single run ([`defaults::CAMERA`]).
    pub const HOME: CameraSpec = CameraSpec {
        yaw: defaults::CAMERA.0,
        pitch: defaults::CAMERA.1,
        radius: defaults::CAMERA.2,
    };
}

/// When an event fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventTime {
    /// Once this many optimizer steps were taken (before any further step).
    Step(u64),
    /// Once this much simulated time has passed.
    Second(f64),
}

/// Which runs an event's settings and frame actions apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The first run.
    Run,
    /// The twin (the lesson must have one).
    Twin,
    /// Every run.
    Both,
}

/// What an event changes; `None` leaves a thing as it is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Actions {
    /// New learning rate.
    pub learning_rate: Option<f64>,
    /// New batch size (`Some(None)`: full batch).
    pub batch_size: Option<Option<usize>>,
    /// New momentum.
    pub momentum: Option<f64>,
    /// New surface plane (at the next measurement).
    pub plane: Option<PlaneKind>,
    /// New surface grid points per side (at the next measurement).
    pub grid: Option<usize>,
    /// New surface half-width (at the next measurement).
    pub range: Option<f64>,
    /// New number of tracked top eigenvalues (from the next measurement).
    pub top_k: Option<usize>,
    /// Pause training here (live and recorded alike): a saved run stops
    /// at the step it was saved at.
    pub pause: bool,
    /// Show or hide the stability bowl.
    pub bowl: Option<bool>,
    /// Replace the caption.
    pub caption: Option<String>,
}

impl Actions {
    fn is_empty(&self) -> bool {
        *self == Actions::default()
    }

    /// These actions, then `earlier`'s where these leave a thing as it is:
    /// what applying `earlier` and then these does.
    pub fn or(self, earlier: &Actions) -> Actions {
        Actions {
            learning_rate: self.learning_rate.or(earlier.learning_rate),
            batch_size: self.batch_size.or(earlier.batch_size),
            momentum: self.momentum.or(earlier.momentum),
            plane: self.plane.or(earlier.plane),
            grid: self.grid.or(earlier.grid),
            range: self.range.or(earlier.range),
            top_k: self.top_k.or(earlier.top_k),
            pause: self.pause || earlier.pause,
            bowl: self.bowl.or(earlier.bowl),
            caption: self.caption.or_else(|| earlier.caption.clone()),
        }
    }
}

/// A timeline entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it fires.
    pub at: EventTime,
    /// The runs it changes.
    pub target: Target,
    /// What it changes.
    pub actions: Actions,
}

impl Lesson {
    /// A lesson of these runs with no timeline, caption or title: what the
    /// app trains without a lesson (the bowl shown, default pace).
    pub fn plain(runs: Vec<RunSpec>) -> Self {
        Self {
            name: "plain".to_string(),
            title: String::new(),
            caption: String::new(),
            runs,
            view: ViewSpec {
                bowl: true,
                ..ViewSpec::default()
            },
            speed: defaults::STEPS_PER_SECOND,
            paused: false,
            steps_per_frame: defaults::STEPS_PER_FRAME,
            measure_every_frames: defaults::MEASURE_EVERY_FRAMES,
            timeline: Vec::new(),
        }
    }
}
