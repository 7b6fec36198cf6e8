//! The live app: Bevy plugins over the numerical core, one per concern.
//!
//! - [`state`]: the shared resources and the one system order ([`state::AppSet`]);
//! - [`training`]: the training thread around the core's runner;
//! - [`surface`]: the loss surface meshes with our own WGSL material, the
//!   bowls, markers, paths and axes (heights mapped by [`heights`]);
//! - [`camera`]: the orbit camera and the viewport beside the panel;
//! - [`panel`]: the egui side panel, a section per file (sliders, with
//!   [`readouts`] and plots, and the 1D views of [`line_views`]);
//! - [`shortcuts`]: the keyboard shortcuts, in one table;
//! - [`glyphs`]: egui's font atlas, filled before any text needs it;
//! - [`curvature_windows`]: the spectrum and Hessian windows (drawn by
//!   [`spectrum_view`]);
//! - [`overlay`]: axis labels, run names, caption and hover readout;
//! - [`stats`]: frames per second and the statistics file;
//! - [`capture`]: screenshots (each with its lesson inside), and the
//!   `screenshot` command's exit;
//! - [`paused_write`]: pause, wait until measured at the step shown,
//!   write, resume: what screenshots and the panel's exports share;
//! - [`recipe`]: the lesson of the picture on screen, and lesson files;
//! - [`drop`](mod@drop): files dropped onto the window (lessons, pictures, problem
//!   files, CSV data, safetensors models);
//! - [`scripted`] and [`record`](mod@record): frame-locked playing and frame capture
//!   for `curvscope record`, and the panel's record button.

pub mod camera;
pub mod capture;
pub mod curvature_windows;
pub mod drop;
pub mod glyphs;
pub mod heights;
pub mod line_views;
pub mod overlay;
pub mod panel;
pub mod paused_write;
pub mod readouts;
pub mod recipe;
pub mod record;
pub mod scripted;
pub mod shortcuts;
pub mod spectrum_view;
pub mod state;
pub mod stats;
pub mod surface;
pub mod training;

use bevy::prelude::*;
use curvscope_core::defaults;
use curvscope_core::spec::SessionConfig;
use curvscope_core::train::director::StartError;
use curvscope_core::train::runner::{Runner, Source};
use std::path::PathBuf;

/// How the app is started.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Window size in pixels.
    pub size: (u32, u32),
    /// What to play: plain runs or a lesson.
    pub source: Source,
    /// Whether the side panel is shown.
    pub panel: bool,
    /// Whether the 1D views window is open at the start.
    pub lines_window: bool,
    /// Training speed at the start, in steps per second (a lesson's own
    /// speed replaces it).
    pub speed: f64,
    /// Take a screenshot after some frames, then exit.
    pub screenshot: Option<capture::ShotRequest>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            size: (1280, 800),
            source: Source::Plain(vec![curvscope_core::lesson::RunSpec {
                label: String::new(),
                config: SessionConfig::default(),
            }]),
            panel: true,
            lines_window: false,
            speed: defaults::STEPS_PER_SECOND,
            screenshot: None,
        }
    }
}

impl AppOptions {
    /// The speed to start at: the lesson's, else the options'.
    pub fn start_speed(&self) -> f64 {
        match &self.source {
            Source::Lesson(lesson) => lesson.speed,
            Source::Plain(_) => self.speed,
        }
    }

    /// The runner of what the options ask for; refused, with the reason,
    /// when a run cannot start (checked before any window opens).
    pub fn runner(&self) -> Result<Runner, StartError> {
        Runner::new(self.source.clone(), self.start_speed())
    }
}

/// The window, renderer and plugins every mode shares (all but where the
/// runs come from). A recording compiles render pipelines synchronously
/// and fixes the scale factor, so that no frame depends on timing.
fn base_app(options: &AppOptions, recording: bool) -> App {
    let (w, h) = options.size;
    let mut resolution = bevy::window::WindowResolution::new(w, h);
    if recording {
        resolution = resolution.with_scale_factor_override(1.0);
    }
    let mut app = App::new();
    app.insert_resource(ClearColor(Color::srgb(0.08, 0.09, 0.11)))
        .add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: Some(Window {
                        title: "curvscope".into(),
                        resolution,
                        resizable: !recording,
                        ..default()
                    }),
                    ..default()
                })
                .set(bevy::render::RenderPlugin {
                    synchronous_pipeline_compilation: recording,
                    ..default()
                }),
        )
        .add_plugins(bevy_egui::EguiPlugin::default())
        .add_plugins(state::StatePlugin)
        .add_plugins((
            surface::SurfacePlugin,
            camera::CameraPlugin,
            glyphs::GlyphsPlugin,
            panel::PanelPlugin {
                panel: options.panel,
                lines_window: options.lines_window,
            },
            shortcuts::ShortcutsPlugin,
            overlay::OverlayPlugin,
            curvature_windows::CurvatureWindowsPlugin,
            record::LiveRecordPlugin,
            recipe::RecipePlugin,
            capture::CapturePlugin {
                screenshot: options.screenshot.clone(),
            },
            drop::DropPlugin,
        ));
    app
}

/// Runs the app, playing what `runner` plays, until its window closes (or
/// the screenshot is taken).
pub fn run(options: AppOptions, runner: Runner) -> AppExit {
    let mut app = base_app(&options, false);
    app.add_plugins(training::TrainingPlugin::new(runner));
    app.run()
}

/// Renders a script frame by frame into numbered PNGs in `folder` (which
/// must exist), then exits; `progress` tells how far it got, `recipe`
/// gets the lesson that replays it to its last frame.
pub fn record(
    options: AppOptions,
    mut runner: Runner,
    pace: curvscope_core::io::video::Pace,
    folder: PathBuf,
    shared: (record::SharedProgress, record::SharedRecipe),
) -> AppExit {
    if options.lines_window {
        runner.handle(curvscope_core::train::runner::Command::Lines(true));
    }
    let mut app = base_app(&options, true);
    let (progress, recipe) = shared;
    app.add_plugins((
        scripted::ScriptedPlugin::new(runner, pace),
        record::RecordPlugin {
            folder,
            progress,
            recipe,
        },
    ));
    app.run()
}
