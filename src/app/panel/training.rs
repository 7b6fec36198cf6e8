//! The training section: speed and its figures, pause, step, restart,
//! the picture and lesson buttons, the bowl and the camera, and the keys.

use super::{Panel, PanelContext};
use crate::app::shortcuts::help_line;
use crate::app::state::{ResetCamera, SaveLesson, TakeScreenshot};
use bevy_egui::egui;
use curvscope_core::defaults;
use curvscope_core::train::runner::Command;

impl Panel {
    /// Speed, the training figures, and the run's buttons.
    pub(super) fn training_section(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext) {
        let live = &mut cx.live;
        let mut speed = live.steps_per_second;
        if ui
            .add(
                egui::Slider::new(&mut speed, defaults::MIN_SPEED..=defaults::MAX_SPEED)
                    .logarithmic(true)
                    .text("steps / s"),
            )
            .changed()
        {
            live.steps_per_second = speed;
            cx.link.send(Command::Speed(speed));
        }
        let all_diverged = live
            .runs
            .iter()
            .all(|r| r.latest.as_ref().is_some_and(|s| s.diverged.is_some()));
        if all_diverged {
            ui.small("training stopped: diverged (restart, or change η and restart)");
        } else {
            ui.small(format!(
                "training {:.0} steps/s · curvature + surface {:.0} ms, {:.1} refreshes/s",
                live.achieved_steps_per_second,
                1e3 * live.measure_seconds,
                cx.stats.refresh_hz
            ));
        }
        ui.small(format!(
            "{:.1} frames/s · input to readout {}",
            cx.stats.fps,
            live.input_latency
                .map_or("—".to_string(), |l| format!("{:.0} ms", 1e3 * l))
        ));
        // Paused for a picture only: the controls as they were.
        let paused = live.paused && !cx.picture.0;
        if paused {
            ui.colored_label(
                egui::Color32::from_rgb(225, 180, 40),
                "paused: space or \"resume\" trains on, S or \"step\" takes one step",
            );
        }
        ui.horizontal(|ui| {
            let label = if paused { "resume" } else { "pause" };
            if ui.button(label).clicked() {
                cx.link.send(Command::Pause(!cx.live.paused));
            }
            if ui.button("step").clicked() {
                cx.link.send(Command::Step);
            }
            if ui.button("restart").clicked() {
                cx.link.send(Command::Restart);
            }
            if ui
                .button("screenshot")
                .on_hover_text("A PNG of the window with the lesson that reproduces it inside: `curvscope --lesson FILE.png` replays the run to this step.")
                .clicked()
            {
                cx.shots.write(TakeScreenshot::named_by_step());
            }
            if ui
                .button("save lesson")
                .on_hover_text("Writes the run so far (every setting change at its step) as a lesson that replays it bit for bit to this step and pauses there.")
                .clicked()
            {
                cx.lessons.write(SaveLesson::named_by_step(&cx.live));
            }
        });
        ui.horizontal(|ui| {
            ui.checkbox(&mut cx.bowl.0, "stability bowl")
                .on_hover_text("The quadratic bowl of curvature 2(1+β)/η through the current point: where the surface curves more steeply than the bowl, steps of this η overshoot (B toggles it).");
            if ui.button("reset camera").clicked() {
                cx.camera.write(ResetCamera);
            }
        });
        ui.label(help_line());
    }
}
