//! Screenshots: the P key and the panel's button, and the `screenshot`
//! command's capture and exit. Every picture is written with the core's
//! careful writer (a temporary file renamed into place: an earlier file of
//! that name survives a failed write), and its outcome is shown.

use super::state::Live;
use bevy::diagnostic::FrameCount;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use curvscope_core::io::video::{VideoError, write_rgb_png};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How a requested screenshot ended (None while it is pending).
pub type ShotOutcome = Arc<Mutex<Option<Result<(), VideoError>>>>;

/// A screenshot the `screenshot` command asks for.
#[derive(Debug, Clone)]
pub struct ShotRequest {
    /// The PNG file.
    pub path: PathBuf,
    /// Frames to run before the picture is taken.
    pub frame: u32,
    /// Filled in once the file is written (or failed); shared with the caller.
    pub outcome: ShotOutcome,
}

/// Takes one screenshot after a number of frames, then exits.
pub struct CapturePlugin {
    /// The screenshot, if one is wanted.
    pub screenshot: Option<ShotRequest>,
}

#[derive(Resource)]
struct PendingShot {
    request: ShotRequest,
    taken: bool,
}

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        if let Some(request) = &self.screenshot {
            app.insert_resource(PendingShot {
                request: request.clone(),
                taken: false,
            })
            .add_systems(Update, shoot_then_exit);
        }
    }
}

/// Writes an RGB PNG of a captured image.
pub fn write_png(image: &Image, path: &Path) -> Result<(), VideoError> {
    let rgb = image
        .clone()
        .try_into_dynamic()
        .map_err(|e| VideoError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?
        .to_rgb8();
    write_rgb_png(path, rgb.width(), rgb.height(), rgb.as_raw())
}

/// Saves a PNG of the window to `path` once this frame is rendered; the
/// panel's notice says where it went (or why it could not), and `outcome`,
/// if given, gets the result.
pub fn save_screenshot(commands: &mut Commands, path: PathBuf, outcome: Option<ShotOutcome>) {
    commands.spawn(Screenshot::primary_window()).observe(
        move |captured: On<ScreenshotCaptured>, live: Option<ResMut<Live>>| {
            let result = write_png(&captured.image, &path);
            if let Some(mut live) = live {
                live.notice = Some(match &result {
                    Ok(()) => format!("wrote {}", path.display()),
                    Err(e) => e.to_string(),
                });
            }
            if let Some(outcome) = &outcome {
                *outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            }
        },
    );
}

fn shoot_then_exit(
    mut commands: Commands,
    frames: Res<FrameCount>,
    mut shot: ResMut<PendingShot>,
    mut exit: MessageWriter<AppExit>,
) {
    if !shot.taken && frames.0 >= shot.request.frame {
        let request = shot.request.clone();
        save_screenshot(&mut commands, request.path, Some(request.outcome));
        shot.taken = true;
    } else if shot.taken {
        let outcome = shot
            .request
            .outcome
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match outcome.as_ref() {
            Some(Ok(())) => {
                exit.write(AppExit::Success);
            }
            Some(Err(_)) => {
                exit.write(AppExit::error());
            }
            None => {}
        }
    }
}
