//! The live app: Bevy plugins over the numerical core, one per concern.
//!
//! - [`training`]: the training thread and the latest snapshots it sent;
//! - [`surface`]: the loss surface meshes with our own WGSL material, the
//!   bowls, markers, paths and axes (heights mapped by [`heights`]);
//! - [`camera`]: the orbit camera and the viewport beside the panel;
//! - [`ui`]: the egui side panel (sliders, with [`readouts`] and plots);
//! - [`overlay`]: axis labels, run names, caption and hover readout;
//! - [`capture`]: screenshots, and the `screenshot` command's exit.

pub mod camera;
pub mod capture;
pub mod heights;
pub mod overlay;
pub mod readouts;
pub mod surface;
pub mod training;
pub mod ui;

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
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            size: (1280, 800),
            runs: vec![(String::new(), SessionConfig::default())],
            panel: true,
            speed: training::DEFAULT_STEPS_PER_SECOND,
            screenshot: None,
        }
    }
}

/// Runs the app until its window closes (or the screenshot is taken).
pub fn run(options: AppOptions) -> AppExit {
    let (w, h) = options.size;
    App::new()
        .insert_resource(ClearColor(Color::srgb(0.08, 0.09, 0.11)))
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: "curvscope".into(),
                resolution: (w, h).into(),
                ..default()
            }),
            ..default()
        }))
        .add_plugins(bevy_egui::EguiPlugin::default())
        .add_plugins((
            training::TrainingPlugin {
                runs: options.runs,
                speed: options.speed,
            },
            surface::SurfacePlugin,
            camera::CameraPlugin,
            ui::UiPlugin {
                panel: options.panel,
            },
            overlay::OverlayPlugin,
            capture::CapturePlugin {
                screenshot: options.screenshot,
            },
        ))
        .run()
}
