//! The record button: the live window as it renders
//! ([`crate::app::record::LiveRecorder`]), with the run's lesson beside
//! the recording when it stops.

use super::{Panel, PanelContext};
use crate::app::state::SaveLesson;
use bevy_egui::egui;
use curvscope_core::lesson::beside;

impl Panel {
    /// Starts or stops a live recording.
    pub(super) fn record_section(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext) {
        let recorder = &mut cx.recorder;
        if recorder.is_recording() {
            if ui
                .button(format!("stop recording ({} frames)", recorder.frames()))
                .clicked()
                && let Some(folder) = recorder.stop()
            {
                cx.lessons.write(SaveLesson {
                    path: beside(&folder),
                    announce: false,
                });
            }
        } else if ui.button("record video").clicked() {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            recorder.start(format!("curvscope-recording-{stamp}").into());
            cx.live.notice = None;
        }
        ui.small(
            "Records the window as it renders (mp4 with ffmpeg, else PNG frames). \
             For frame-exact videos use `curvscope record`.",
        );
    }
}
