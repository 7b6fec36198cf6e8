//! The keyboard shortcuts, in one table ([`SHORTCUTS`]): the system that
//! acts on them reads it, and the panel's help line is written from it.

use super::state::{
    Live, ResetCamera, SaveLesson, ShowBowl, TakeScreenshot, TrainingLink, ensure_state,
};
use bevy::prelude::*;
use curvscope_core::train::runner::Command;

/// Acts on the shortcuts while egui does not want the keyboard (a text
/// field being typed in).
pub struct ShortcutsPlugin;

impl Plugin for ShortcutsPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.add_systems(
            Update,
            shortcuts.run_if(not(bevy_egui::input::egui_wants_any_keyboard_input)),
        );
    }
}

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Pauses the runs, or resumes them.
    PauseOrResume,
    /// One step while paused.
    Step,
    /// Starts the runs over.
    Restart,
    /// Puts the camera back to its home.
    ResetCamera,
    /// Shows or hides the stability bowl.
    ToggleBowl,
    /// A PNG of the window, with its lesson inside.
    Screenshot,
    /// The run so far as a lesson file.
    SaveLesson,
}

/// A key and what it does.
#[derive(Debug, Clone, Copy)]
pub struct Shortcut {
    /// The key.
    pub key: KeyCode,
    /// The key's name in the help line.
    pub name: &'static str,
    /// What it does, in a word or two (the help line).
    pub does: &'static str,
    /// What it does.
    pub action: Action,
}

/// Every shortcut, in the order the help line lists them.
pub const SHORTCUTS: [Shortcut; 7] = [
    Shortcut {
        key: KeyCode::Space,
        name: "space",
        does: "pause",
        action: Action::PauseOrResume,
    },
    Shortcut {
        key: KeyCode::KeyS,
        name: "S",
        does: "step",
        action: Action::Step,
    },
    Shortcut {
        key: KeyCode::KeyR,
        name: "R",
        does: "restart",
        action: Action::Restart,
    },
    Shortcut {
        key: KeyCode::KeyC,
        name: "C",
        does: "camera",
        action: Action::ResetCamera,
    },
    Shortcut {
        key: KeyCode::KeyB,
        name: "B",
        does: "bowl",
        action: Action::ToggleBowl,
    },
    Shortcut {
        key: KeyCode::KeyP,
        name: "P",
        does: "screenshot",
        action: Action::Screenshot,
    },
    Shortcut {
        key: KeyCode::KeyL,
        name: "L",
        does: "save lesson",
        action: Action::SaveLesson,
    },
];

/// The panel's help line: "keys: space pause · S step · …".
pub fn help_line() -> String {
    let keys: Vec<String> = SHORTCUTS
        .iter()
        .map(|s| format!("{} {}", s.name, s.does))
        .collect();
    format!("keys: {}", keys.join(" · "))
}

/// Acts on the keys of [`SHORTCUTS`] pressed this frame, in the table's
/// order.
pub fn shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    link: Res<TrainingLink>,
    live: Res<Live>,
    mut bowl: ResMut<ShowBowl>,
    mut camera: MessageWriter<ResetCamera>,
    mut shots: MessageWriter<TakeScreenshot>,
    mut lessons: MessageWriter<SaveLesson>,
) {
    for shortcut in SHORTCUTS.iter().filter(|s| keys.just_pressed(s.key)) {
        match shortcut.action {
            Action::PauseOrResume => link.send(Command::Pause(!live.paused)),
            Action::Step => link.send(Command::Step),
            Action::Restart => link.send(Command::Restart),
            Action::ResetCamera => {
                camera.write(ResetCamera);
            }
            Action::ToggleBowl => bowl.0 = !bowl.0,
            Action::Screenshot => {
                shots.write(TakeScreenshot::named_by_step());
            }
            Action::SaveLesson => {
                lessons.write(SaveLesson::named_by_step(&live));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_key_has_two_shortcuts_and_every_action_has_one() {
        let keys: HashSet<KeyCode> = SHORTCUTS.iter().map(|s| s.key).collect();
        assert_eq!(keys.len(), SHORTCUTS.len(), "a key twice");
        let names: HashSet<&str> = SHORTCUTS.iter().map(|s| s.name).collect();
        assert_eq!(names.len(), SHORTCUTS.len(), "a name twice");
        let actions: Vec<Action> = SHORTCUTS.iter().map(|s| s.action).collect();
        for (i, a) in actions.iter().enumerate() {
            assert!(!actions[..i].contains(a), "{a:?} twice");
        }
    }

    /// The panel's help line, as it read before the table.
    #[test]
    fn the_help_line_lists_every_shortcut() {
        assert_eq!(
            help_line(),
            "keys: space pause · S step · R restart · C camera · B bowl · P screenshot · L save lesson"
        );
    }
}
