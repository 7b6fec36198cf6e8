//! Recording: one screenshot per scripted frame, written as numbered PNGs
//! (`frame-00000.png`, ...) into a folder, then the app exits. Encoding the
//! frames into a video is the command line's job ([`curvscope_core::io::video`]).

use super::capture::write_png;
use super::scripted::Script;
use super::state::{Live, SaveLesson, ensure_state};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use curvscope_core::io::video::{Mp4Outcome, Progress, finish_mp4, frame_path};
use curvscope_core::lesson::{Lesson, beside};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Shared view of a recording's [`Progress`].
pub type SharedProgress = Arc<Mutex<Progress>>;

/// The lesson that replays the recording to its newest frame (the runner's
/// recipe), shared with the caller, who writes it beside the video.
pub type SharedRecipe = Arc<Mutex<Option<Arc<Lesson>>>>;

/// Captures every scripted frame into `folder`, then exits.
pub struct RecordPlugin {
    /// Where the PNG frames go (it must exist).
    pub folder: PathBuf,
    /// Progress, shared with the caller.
    pub progress: SharedProgress,
    /// The recording's lesson, shared with the caller.
    pub recipe: SharedRecipe,
}

#[derive(Resource)]
struct Recording {
    folder: PathBuf,
    progress: SharedProgress,
    recipe: SharedRecipe,
    requested: u64,
}

impl Plugin for RecordPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.insert_resource(Recording {
            folder: self.folder.clone(),
            progress: self.progress.clone(),
            recipe: self.recipe.clone(),
            requested: 0,
        })
        .add_systems(Last, (capture_frame, keep_recipe, exit_when_done).chain());
    }
}

/// Asks for a screenshot of the frame just prepared (frame `script.frame - 1`).
fn capture_frame(script: Res<Script>, mut recording: ResMut<Recording>, mut commands: Commands) {
    let prepared = script.frame;
    if prepared == 0 || recording.requested >= prepared {
        return;
    }
    let k = prepared - 1;
    recording.requested = prepared;
    if recording.progress.lock().is_ok_and(|p| p.error.is_some()) {
        return;
    }
    let path = frame_path(&recording.folder, k);
    shoot(&mut commands, path, recording.progress.clone());
}

/// Hands the newest recipe to the caller.
fn keep_recipe(live: Res<Live>, recording: Res<Recording>) {
    if let Some(recipe) = &live.recipe
        && let Ok(mut slot) = recording.recipe.lock()
    {
        *slot = Some(recipe.clone());
    }
}

/// Takes a screenshot of this frame and writes it to `path`, counting it
/// (or its error) in `progress`.
fn shoot(commands: &mut Commands, path: PathBuf, progress: SharedProgress) {
    commands.spawn(Screenshot::primary_window()).observe(
        move |captured: On<ScreenshotCaptured>| {
            let result = write_png(&captured.image, &path, None);
            if let Ok(mut p) = progress.lock() {
                match result {
                    Ok(()) => p.written += 1,
                    Err(e) => {
                        p.error.get_or_insert(e);
                    }
                }
            }
        },
    );
}

/// Exits once every frame is written, or at the first error.
fn exit_when_done(
    script: Res<Script>,
    recording: Res<Recording>,
    mut exit: MessageWriter<AppExit>,
) {
    let Ok(p) = recording.progress.lock() else {
        return;
    };
    if p.error.is_some() {
        exit.write(AppExit::error());
    } else if p.written >= script.pace.frames {
        exit.write(AppExit::Success);
    }
}

/// The panel's record button: captures every rendered frame of the live app
/// (at whatever rate the machine renders; `curvscope record` is the
/// frame-exact way), then encodes an mp4 when ffmpeg is installed.
#[derive(Resource, Default)]
pub struct LiveRecorder {
    active: Option<ActiveRecording>,
    /// What the last recording ended with, for the panel.
    message: Arc<Mutex<Option<String>>>,
}

struct ActiveRecording {
    folder: PathBuf,
    requested: u64,
    progress: SharedProgress,
    started: std::time::Instant,
}

impl LiveRecorder {
    /// Whether frames are being captured.
    pub fn is_recording(&self) -> bool {
        self.active.is_some()
    }

    /// Frames captured so far in the current recording.
    pub fn frames(&self) -> u64 {
        self.active.as_ref().map_or(0, |a| a.requested)
    }

    /// The outcome of the last finished recording, if any.
    pub fn message(&self) -> Option<String> {
        self.message.lock().ok().and_then(|m| m.clone())
    }

    /// Starts capturing into a new folder `folder` (created here).
    pub fn start(&mut self, folder: PathBuf) {
        if let Err(e) = std::fs::create_dir_all(&folder) {
            self.set_message(format!("cannot create {}: {e}", folder.display()));
            return;
        }
        self.set_message(String::new());
        self.active = Some(ActiveRecording {
            folder,
            requested: 0,
            progress: SharedProgress::default(),
            started: std::time::Instant::now(),
        });
    }

    /// Stops capturing; the frames are encoded in the background (the
    /// message says where the video, or the frames, ended up). Returns the
    /// recording's folder (its lesson goes beside it).
    pub fn stop(&mut self) -> Option<PathBuf> {
        let rec = self.active.take()?;
        let folder = rec.folder.clone();
        let message = self.message.clone();
        let seconds = rec.started.elapsed().as_secs_f64().max(1e-3);
        let fps = ((rec.requested as f64 / seconds).round() as u32).clamp(1, 120);
        self.set_message(format!("encoding {} frames…", rec.requested));
        std::thread::spawn(move || {
            let text = finish_live_recording(&rec, fps);
            if let Ok(mut m) = message.lock() {
                *m = Some(text);
            }
        });
        Some(folder)
    }

    fn set_message(&self, text: String) {
        if let Ok(mut m) = self.message.lock() {
            *m = (!text.is_empty()).then_some(text);
        }
    }
}

/// Waits for the frames still being written, then encodes them.
fn finish_live_recording(rec: &ActiveRecording, fps: u32) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (written, error) = loop {
        let (written, error) = {
            let p = rec.progress.lock().unwrap_or_else(|e| e.into_inner());
            (p.written, p.error.clone())
        };
        if written >= rec.requested || error.is_some() || std::time::Instant::now() > deadline {
            break (written, error);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let folder = rec.folder.display();
    if let Some(e) = error {
        return format!("recording stopped: {e}; {written} frames are kept in {folder}");
    }
    let mut video = rec.folder.clone().into_os_string();
    video.push(".mp4");
    let video = PathBuf::from(video);
    match finish_mp4(&rec.folder, written, fps, &video) {
        Ok(Mp4Outcome::Written) => {
            format!("wrote {} ({written} frames, {fps} fps)", video.display())
        }
        Ok(Mp4Outcome::NoFfmpeg(command)) => {
            format!("{written} frames in {folder} (ffmpeg not found; encode with: {command})")
        }
        Err(e) => format!("{e}; the frames are kept in {folder}"),
    }
}

/// Longest live recording, in frames (10 minutes at 15 frames/s): the disk
/// a forgotten recording fills is bounded; there it stops and is encoded.
pub const MAX_LIVE_FRAMES: u64 = 9000;

/// While the live recorder runs: one screenshot per rendered frame; stops
/// at [`MAX_LIVE_FRAMES`] or at the first frame that could not be written.
fn capture_live(
    mut recorder: ResMut<LiveRecorder>,
    mut commands: Commands,
    mut lessons: MessageWriter<SaveLesson>,
) {
    let Some(rec) = recorder.active.as_mut() else {
        return;
    };
    let failed = rec.progress.lock().is_ok_and(|p| p.error.is_some());
    if rec.requested >= MAX_LIVE_FRAMES || failed {
        if let Some(folder) = recorder.stop() {
            lessons.write(SaveLesson {
                path: beside(&folder),
                announce: false,
            });
        }
        return;
    }
    let path = frame_path(&rec.folder, rec.requested);
    rec.requested += 1;
    shoot(&mut commands, path, rec.progress.clone());
}

/// The record button's capture.
pub struct LiveRecordPlugin;

impl Plugin for LiveRecordPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.init_resource::<LiveRecorder>()
            .add_systems(Last, capture_live);
    }
}
