//! Screenshots: the `screenshot` command's frame capture and exit.

use bevy::diagnostic::FrameCount;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use std::path::PathBuf;

/// Takes one screenshot after a number of frames, then exits.
pub struct CapturePlugin {
    /// File and frame of the screenshot, if one is wanted.
    pub screenshot: Option<(PathBuf, u32)>,
}

#[derive(Resource)]
struct PendingShot {
    path: PathBuf,
    frame: u32,
    taken: bool,
}

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        if let Some((path, frame)) = &self.screenshot {
            // An earlier file must not be mistaken for this run's picture.
            let _ = std::fs::remove_file(path);
            app.insert_resource(PendingShot {
                path: path.clone(),
                frame: *frame,
                taken: false,
            })
            .add_systems(Update, shoot_then_exit);
        }
    }
}

fn shoot_then_exit(
    mut commands: Commands,
    frames: Res<FrameCount>,
    mut shot: ResMut<PendingShot>,
    mut exit: MessageWriter<AppExit>,
) {
    if !shot.taken && frames.0 >= shot.frame {
        commands
            .spawn(Screenshot::primary_window())
            .observe(save_to_disk(shot.path.clone()));
        shot.taken = true;
    } else if shot.taken && std::fs::metadata(&shot.path).is_ok_and(|m| m.len() > 0) {
        exit.write(AppExit::Success);
    }
}
