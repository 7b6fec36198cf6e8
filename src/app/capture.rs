//! Screenshots: the P key, the panel's button and the `screenshot`
//! command. A picture is taken once every run is paused and measured at
//! the step it shows (training pauses for it and resumes after), and the
//! PNG carries the lesson that reproduces it (an `iTXt` chunk
//! `curvscope-lesson`, see [`super::recipe`]). Every picture is written
//! with the core's careful writer (a temporary file renamed into place: an
//! earlier file of that name survives a failed write), and its outcome is
//! shown.

use super::paused_write::{Due, PausedWrites};
use super::recipe::{ViewNow, picture_json};
use super::state::{Live, ShotOutcome, TakeScreenshot, TakingPicture, TrainingLink, ensure_state};
use bevy::diagnostic::FrameCount;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use curvscope_core::io::png_text::LESSON_KEYWORD;
use curvscope_core::io::video::{VideoError, write_rgb_png};
use std::path::{Path, PathBuf};

/// A screenshot the `screenshot` command asks for.
#[derive(Debug, Clone)]
pub struct ShotRequest {
    /// The PNG file.
    pub path: PathBuf,
    /// Frames to run before the picture is taken.
    pub frame: u32,
    /// Wait until the runs have paused by themselves (a lesson saved from
    /// a run, which pauses at the step it was saved at) before the picture.
    pub wait_for_pause: bool,
    /// Filled in once the file is written (or failed); shared with the caller.
    pub outcome: ShotOutcome,
}

/// Takes the screenshots asked for with [`TakeScreenshot`]; with a
/// [`ShotRequest`], asks for one after a number of frames, then exits.
pub struct CapturePlugin {
    /// The `screenshot` command's picture, if one is wanted.
    pub screenshot: Option<ShotRequest>,
}

#[derive(Resource)]
struct PendingShot {
    request: ShotRequest,
    asked: bool,
}

/// The pictures waiting for the runs to be paused and measured.
#[derive(Resource, Default, Debug)]
struct WaitingShots(PausedWrites<TakeScreenshot>);

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.init_resource::<WaitingShots>()
            .add_systems(Last, take_screenshots);
        if let Some(request) = &self.screenshot {
            app.insert_resource(PendingShot {
                request: request.clone(),
                asked: false,
            })
            .add_systems(Update, shoot_then_exit);
        }
    }
}

/// Writes an RGB PNG of a captured image, with `lesson` (JSON) inside.
pub fn write_png(image: &Image, path: &Path, lesson: Option<&str>) -> Result<(), VideoError> {
    let rgb = image
        .clone()
        .try_into_dynamic()
        .map_err(|e| VideoError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?
        .to_rgb8();
    let text = lesson.map(|l| (LESSON_KEYWORD, l));
    write_rgb_png(path, rgb.width(), rgb.height(), rgb.as_raw(), text)
}

/// Pauses for the pictures asked for, takes each once the runs are paused
/// and measured at the step they show, then resumes (see
/// [`super::paused_write`]).
fn take_screenshots(
    mut asked: MessageReader<TakeScreenshot>,
    mut waiting: ResMut<WaitingShots>,
    mut taking: ResMut<TakingPicture>,
    link: Res<TrainingLink>,
    mut live: ResMut<Live>,
    view: ViewNow,
    mut commands: Commands,
) {
    for shot in asked.read() {
        waiting.0.ask(&link, &live, shot.clone());
    }
    let waits = !waiting.0.is_empty() && !live.paused_and_measured();
    if taking.0 != waits {
        taking.0 = waits;
    }
    let step = live.latest().map_or(0, |s| s.step);
    waiting
        .0
        .finish_when_ready(&link, &mut live, |due, live| match due {
            Due::Now(shot) => {
                let path = shot
                    .path
                    .unwrap_or_else(|| PathBuf::from(format!("curvscope-step{step}.png")));
                let lesson = picture_json(live, view.spec());
                save_screenshot(&mut commands, path, lesson, shot.outcome);
            }
            // Restarted meanwhile: the step it was asked at is gone.
            Due::Restarted(_) => {
                live.notice = Some("no picture: the run was restarted before it".to_string());
            }
        });
}

/// Saves a PNG of the window to `path` once this frame is rendered, with
/// `lesson` inside (or, when the lesson could not be written, without it
/// and saying why); the panel's notice says where it went (or why it
/// could not), and `outcome`, if given, gets the result.
fn save_screenshot(
    commands: &mut Commands,
    path: PathBuf,
    lesson: Result<String, String>,
    outcome: Option<ShotOutcome>,
) {
    commands.spawn(Screenshot::primary_window()).observe(
        move |captured: On<ScreenshotCaptured>, live: Option<ResMut<Live>>| {
            let result = write_png(&captured.image, &path, lesson.as_deref().ok());
            if let Some(mut live) = live {
                live.notice = Some(match (&result, &lesson) {
                    (Ok(()), Ok(_)) => format!("wrote {} (its lesson inside)", path.display()),
                    (Ok(()), Err(why)) => {
                        format!("wrote {} without its lesson: {why}", path.display())
                    }
                    (Err(e), _) => e.to_string(),
                });
            }
            if let Some(outcome) = &outcome {
                *outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            }
        },
    );
}

fn shoot_then_exit(
    frames: Res<FrameCount>,
    live: Res<Live>,
    mut shot: ResMut<PendingShot>,
    mut asks: MessageWriter<TakeScreenshot>,
    mut exit: MessageWriter<AppExit>,
) {
    let due = frames.0 >= shot.request.frame && (!shot.request.wait_for_pause || live.paused);
    if !shot.asked && due {
        asks.write(TakeScreenshot {
            path: Some(shot.request.path.clone()),
            outcome: Some(shot.request.outcome.clone()),
        });
        shot.asked = true;
    } else if shot.asked {
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
