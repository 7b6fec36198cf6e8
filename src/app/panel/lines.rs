//! The 1D views: their window beside the panel ([`crate::app::line_views`]
//! draws it), the panel's switch, and [`sync_lines`], which has them
//! measured only while the window is open.

use super::{Panel, PanelContext};
use crate::app::line_views::lines_ui;
use crate::app::state::TrainingLink;
use bevy::prelude::*;
use bevy_egui::egui;
use curvscope_core::train::runner::Command;

impl Panel {
    /// The 1D views window beside the panel, while it is open (in
    /// recordings too, with `--lines-window`).
    pub(super) fn lines_window(&mut self, ui: &egui::Ui, cx: &PanelContext) {
        egui::Window::new("1D views")
            .open(&mut self.show_lines)
            .order(egui::Order::Foreground)
            .default_width(400.0)
            .default_pos(ui.max_rect().right_top() + egui::vec2(16.0, 90.0))
            .show(ui.ctx(), |ui| {
                lines_ui(ui, &cx.live.runs, &mut self.lines_run)
            });
    }

    /// The switch of the 1D views window.
    pub(super) fn lines_checkbox(&mut self, ui: &mut egui::Ui) {
        ui.checkbox(&mut self.show_lines, "1D views (window)")
            .on_hover_text(
                "The loss along the straight line from the start to now (Goodfellow et al. 2015), \
                 and along each tracked eigenvector with its quadratic model L + (g·v)a + ½λa²: \
                 where the quadratic picture holds and where it breaks.",
            );
    }
}

/// Asks the runner for the 1D views while their window is open, and
/// stops them when it closes (they cost a seventh of a refresh).
pub fn sync_lines(
    panel: Res<Panel>,
    link: Option<Res<TrainingLink>>,
    mut sent: Local<Option<bool>>,
) {
    if *sent != Some(panel.show_lines)
        && let Some(link) = link
    {
        link.send(Command::Lines(panel.show_lines));
        *sent = Some(panel.show_lines);
    }
}
