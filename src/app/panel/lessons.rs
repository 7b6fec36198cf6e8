//! The lesson menu: picks a bundled lesson, whose runs, timeline, speed
//! and view replace the current ones.

use super::{Panel, PanelContext};
use bevy::prelude::*;
use bevy_egui::egui;
use curvscope_core::lesson::Lesson;
use curvscope_core::train::runner::Command;

impl Panel {
    /// The menu of bundled lessons.
    pub(super) fn lesson_menu(&mut self, ui: &mut egui::Ui, cx: &PanelContext) {
        let mut chosen = None;
        egui::ComboBox::from_label("lesson")
            .selected_text(if cx.live.title.is_empty() {
                "choose a lesson…"
            } else {
                cx.live.title.as_str()
            })
            .show_ui(ui, |ui| {
                for name in Lesson::names() {
                    if ui.selectable_label(false, name).clicked() {
                        chosen = Some(name);
                    }
                }
            });
        let Some(name) = chosen else {
            return;
        };
        // The bundled lessons are checked by the tests, so this only fails if
        // the binary is broken; say so rather than crash.
        match Lesson::bundled(name) {
            // Its view reaches the screen with the runner's next update.
            Ok(lesson) => cx.link.send(Command::Lesson(Box::new(lesson))),
            Err(e) => error!("{e}"),
        }
    }
}
