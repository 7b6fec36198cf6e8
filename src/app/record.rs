//! Recording: one screenshot per scripted frame, written as numbered PNGs
//! (`frame-00000.png`, ...) into a folder, then the app exits. Encoding the
//! frames into a video is the command line's job ([`crate::video`]).

use super::scripted::Script;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How far a recording got; shared with the caller, who reports it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Frames written so far.
    pub written: u64,
    /// The first error (a frame that could not be written), if any.
    pub error: Option<String>,
}

/// Shared view of a recording's [`Progress`].
pub type SharedProgress = Arc<Mutex<Progress>>;

/// Captures every scripted frame into `folder`, then exits.
pub struct RecordPlugin {
    /// Where the PNG frames go (it must exist).
    pub folder: PathBuf,
    /// Progress, shared with the caller.
    pub progress: SharedProgress,
}

#[derive(Resource)]
struct Recording {
    folder: PathBuf,
    progress: SharedProgress,
    requested: u64,
}

impl Plugin for RecordPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Recording {
            folder: self.folder.clone(),
            progress: self.progress.clone(),
            requested: 0,
        })
        .add_systems(Last, (capture_frame, exit_when_done).chain());
    }
}

/// The file of frame `k` in a recording folder.
pub fn frame_path(folder: &Path, k: u64) -> PathBuf {
    folder.join(format!("frame-{k:05}.png"))
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
    let progress = recording.progress.clone();
    commands.spawn(Screenshot::primary_window()).observe(
        move |captured: On<ScreenshotCaptured>| {
            let result = write_png(&captured.image, &path);
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

/// Writes an RGB PNG of a captured image.
fn write_png(image: &Image, path: &Path) -> Result<(), String> {
    let rgb = image
        .clone()
        .try_into_dynamic()
        .map_err(|e| {
            format!(
                "frame {}: unexpected screenshot format: {e}",
                path.display()
            )
        })?
        .to_rgb8();
    let (w, h) = (rgb.width(), rgb.height());
    let cause = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| cause(&e))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| cause(&e))?;
    writer
        .write_image_data(rgb.as_raw())
        .map_err(|e| cause(&e))?;
    writer.finish().map_err(|e| cause(&e))
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
