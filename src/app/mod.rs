//! The live app: Bevy plugins over the numerical core, one per concern.
//!
//! - [`training`]: the training thread and the latest snapshots it sent;
//! - [`surface`]: the loss surface meshes with our own WGSL material, the
//!   bowls, markers, paths and axes (heights mapped by [`heights`]);
//! - [`camera`]: the orbit camera and the viewport beside the panel;
//! - [`ui`]: the egui side panel (sliders, with [`readouts`] and plots);
//! - [`overlay`]: axis labels, run names, caption and hover readout;
//! - [`capture`]: screenshots, and the `screenshot` command's exit;
//! - [`scripted`] and [`record`]: frame-locked training and frame capture
//!   for `curvscope record`.

pub mod camera;
pub mod capture;
pub mod heights;
pub mod overlay;
pub mod readouts;
pub mod record;
pub mod scripted;
pub mod surface;
pub mod training;
pub mod ui;

use crate::lesson::{Lesson, ViewSpec};
use crate::session::SessionConfig;
use bevy::prelude::*;
use std::path::PathBuf;

/// How the app is started.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Window size in pixels.
    pub size: (u32, u32),
    /// The runs to train: one, or two side by side (label, configuration).
    pub runs: Vec<(String, SessionConfig)>,
    /// Whether the side panel is shown.
    pub panel: bool,
    /// Training speed at the start, in steps per second.
    pub speed: f64,
    /// Take a screenshot to this file after `frames` frames, then exit.
    pub screenshot: Option<(PathBuf, u32)>,
    /// A lesson to play instead of `runs` (its speed replaces `speed`).
    pub lesson: Option<Lesson>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            size: (1280, 800),
            runs: vec![(String::new(), SessionConfig::default())],
            panel: true,
            speed: training::DEFAULT_STEPS_PER_SECOND,
            screenshot: None,
            lesson: None,
        }
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
        .add_plugins((
            surface::SurfacePlugin,
            camera::CameraPlugin,
            ui::UiPlugin {
                panel: options.panel,
            },
            overlay::OverlayPlugin,
            record::LiveRecordPlugin,
        ));
    app
}

/// The view a lesson starts with: bowl, height scale, camera.
pub fn apply_view(world: &mut World, view: &ViewSpec) {
    world.insert_resource(surface::ShowBowl(view.bowl));
    world.insert_resource(heights::SurfaceScale {
        factor: view.height_scale as f32,
        log: view.log_scale,
    });
    world.insert_resource(camera::HomeView(view.camera.map(camera::Orbit::from)));
}

/// Runs the app until its window closes (or the screenshot is taken).
pub fn run(options: AppOptions) -> AppExit {
    let mut app = base_app(&options, false);
    let (start, speed) = match options.lesson {
        Some(lesson) => {
            let speed = lesson.speed;
            (lesson, speed)
        }
        None => (training::plain_lesson(options.runs), options.speed),
    };
    apply_view(app.world_mut(), &start.view);
    app.add_plugins((
        training::TrainingPlugin { start, speed },
        capture::CapturePlugin {
            screenshot: options.screenshot,
        },
    ));
    app.run()
}

/// Renders a script frame by frame into numbered PNGs in `folder` (which
/// must exist), then exits; `progress` tells how far it got.
pub fn record(
    options: AppOptions,
    director: crate::director::Director,
    pace: scripted::Pace,
    folder: PathBuf,
    progress: record::SharedProgress,
) -> AppExit {
    let mut app = base_app(&options, true);
    apply_view(app.world_mut(), director.view());
    app.add_plugins((
        scripted::ScriptedPlugin::new(director, pace),
        record::RecordPlugin { folder, progress },
    ));
    app.run()
}
