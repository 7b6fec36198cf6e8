//! The egui side panel. [`Panel`] owns what the panel remembers between
//! frames and draws itself, one section per file, each a method taking
//! the frame's `PanelContext` (the runs, the link to them, the shared
//! view settings): `lessons` (the lesson menu), `training` (speed,
//! pause, step, pictures, bowl, camera), `optimizer`, `landscape`,
//! `spectrum` (the spectrum and layers, and their windows), `lines`
//! (the 1D views window), `model` (data and model), `export` and
//! `record`; the readouts and plots are `super::readouts`' widgets.

mod export;
mod landscape;
mod lessons;
mod lines;
mod model;
mod optimizer;
mod record;
mod spectrum;
mod training;

pub use export::{PendingExport, export_name, finish_export};
pub use landscape::{Landscape, landscape_ui};
pub use lines::sync_lines;
pub use model::model_ui;
pub use optimizer::optimizer_ui;

use super::readouts::{plots, run_readouts};
use super::record::LiveRecorder;
use super::state::{
    AppSet, CurvatureWindows, DrawSet, Live, PanelWidth, ResetCamera, SaveLesson, ShowBowl,
    SurfaceScale, TakeScreenshot, TakingPicture, TrainingLink, ensure_state,
};
use super::stats::{FrameStats, StatsPlugin};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use curvscope_core::spec::SessionConfig;

/// Draws the side panel (unless `panel` is false: a bare view for videos)
/// and finishes the exports it asks for.
pub struct PanelPlugin {
    /// Whether the side panel is shown.
    pub panel: bool,
    /// Whether the 1D views window is open at the start.
    pub lines_window: bool,
}

impl Plugin for PanelPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        if !app.is_plugin_added::<StatsPlugin>() {
            app.add_plugins(StatsPlugin);
        }
        app.insert_resource(Panel {
            show_lines: self.lines_window,
            ..Panel::default()
        })
        .add_systems(Update, (sync_lines, finish_exports.after(AppSet::Receive)));
        if self.panel {
            app.add_systems(EguiPrimaryContextPass, draw.in_set(DrawSet::Panel));
        }
    }
}

/// What the panel itself remembers between frames (nothing the runner
/// reports): the data-and-model draft, which run the optimizer controls
/// act on, the export waiting for its step, and the 1D views window.
#[derive(Resource, Debug, Clone, Default)]
pub struct Panel {
    /// The data and model being edited, and the runner generation it
    /// belongs to: a draft of an older generation is dropped (a lesson or a
    /// restart replaced the model), and after a rebuild the draft waits for
    /// the rebuilt generation instead of falling back to the old model.
    draft: Option<(u64, SessionConfig)>,
    /// Which run the optimizer controls act on.
    pub controlled: usize,
    /// An "export all" waiting for its step.
    pub export: Option<PendingExport>,
    /// Whether the 1D views window is open.
    pub show_lines: bool,
    /// Whose eigenvector lines the 1D views show.
    pub lines_run: usize,
}

/// What the sections read and change in a frame besides the panel's own
/// state: the runs and the link to them, the view settings other plugins
/// share, and the messages the buttons send.
#[derive(SystemParam)]
struct PanelContext<'w> {
    link: Res<'w, TrainingLink>,
    live: ResMut<'w, Live>,
    bowl: ResMut<'w, ShowBowl>,
    scale: ResMut<'w, SurfaceScale>,
    windows: ResMut<'w, CurvatureWindows>,
    picture: Res<'w, TakingPicture>,
    stats: Res<'w, FrameStats>,
    recorder: ResMut<'w, LiveRecorder>,
    camera: MessageWriter<'w, ResetCamera>,
    shots: MessageWriter<'w, TakeScreenshot>,
    lessons: MessageWriter<'w, SaveLesson>,
}

fn draw(
    mut contexts: EguiContexts,
    mut panel: ResMut<Panel>,
    mut cx: PanelContext,
    mut width: ResMut<PanelWidth>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    let response = egui::Panel::left("curvscope-panel")
        .resizable(true)
        .default_size(340.0)
        .min_size(240.0)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| panel.ui(ui, &mut cx));
        });
    let drawn = response.response.rect.width();
    if width.0 != drawn {
        width.0 = drawn;
    }
    Ok(())
}

/// Finishes the export the panel asked for once its step is ready.
fn finish_exports(link: Res<TrainingLink>, mut live: ResMut<Live>, mut panel: ResMut<Panel>) {
    if panel.export.is_some() {
        finish_export(&link, &mut live, &mut panel);
    }
}

impl Panel {
    /// The panel's contents, top to bottom.
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext) {
        ui.heading("curvscope");
        if let Some(failure) = &cx.live.failure {
            ui.colored_label(
                egui::Color32::from_rgb(240, 90, 80),
                format!("training stopped by an internal error: {failure}. Please report it; restart the app to go on."),
            );
        }
        if cx.live.latest().is_none() {
            if cx.live.failure.is_none() {
                ui.label("starting…");
            }
            return;
        }
        if !cx.live.scripted {
            self.lesson_menu(ui, cx);
        }
        if !cx.live.title.is_empty() {
            ui.strong(&cx.live.title);
        }
        self.readouts_section(ui, cx);
        ui.separator();
        self.lines_window(ui, cx);
        if cx.live.scripted {
            // A recording shows what happens, not the controls.
            plots(ui, &cx.live.runs, cx.live.generation);
            return;
        }
        self.training_section(ui, cx);
        ui.separator();
        self.optimizer_section(ui, cx);
        ui.separator();
        self.landscape_section(ui, cx);
        ui.separator();
        ui.collapsing("spectrum and layers", |ui| self.spectrum_section(ui, cx));
        self.lines_checkbox(ui);
        ui.collapsing("data and model", |ui| self.model_section(ui, cx));
        ui.collapsing("export and record", |ui| {
            self.export_section(ui, cx);
            ui.separator();
            self.record_section(ui, cx);
        });
        // The newest outcome of a file written (exports, screenshots, problem
        // files) and the record button's state, each on its own line.
        if let Some(notice) = &cx.live.notice {
            ui.small(notice);
        }
        if let Some(message) = cx.recorder.message().filter(|m| !m.is_empty()) {
            ui.small(message);
        }
        ui.separator();
        plots(ui, &cx.live.runs, cx.live.generation);
    }

    /// Each run's readouts, side by side.
    fn readouts_section(&mut self, ui: &mut egui::Ui, cx: &PanelContext) {
        let n = cx.live.runs.len();
        ui.columns(n.max(1), |columns| {
            for (column, run) in columns.iter_mut().zip(&cx.live.runs) {
                run_readouts(column, run);
            }
        });
    }
}

/// A slider range from `lo` to `hi` stretched to hold `value`, so that a
/// setting from a lesson or the command line is never changed by a
/// widget's range.
fn holding<T: PartialOrd + Copy>(lo: T, hi: T, value: T) -> std::ops::RangeInclusive<T> {
    let lo = if value < lo { value } else { lo };
    let hi = if value > hi { value } else { hi };
    lo..=hi
}

#[cfg(test)]
mod tests {
    use super::*;
    use curvscope_core::spec::TrainerSettings;
    use curvscope_core::spec::{DataSource, ModelSpec, Synthetic};

    /// Runs `show` in a headless egui frame.
    fn in_a_frame<R>(show: impl FnOnce(&mut egui::Ui) -> R) -> R {
        let ctx = egui::Context::default();
        let mut show = Some(show);
        let mut result = None;
        let _ = ctx.run_ui(egui::RawInput::default(), |ui| {
            if let Some(show) = show.take() {
                result = Some(show(ui));
            }
        });
        result.expect("the frame ran")
    }

    /// Issue 10: `--momentum 0.999` ran at 0.99 and a lesson's η 1e-5 at
    /// 1e-4, grid 257 at 129 and range 50 at 20: the sliders clamped them
    /// and sent the clamped values.
    #[test]
    fn sliders_never_change_a_setting_they_did_not_move() {
        let settings = TrainerSettings::sgd(1e-5, Some(500), 0.999);
        assert_eq!(in_a_frame(|ui| optimizer_ui(ui, settings, 256)), None);
        let config = SessionConfig {
            grid: (257, 50.0),
            top_k: 10,
            ..SessionConfig::default()
        };
        assert_eq!(
            in_a_frame(|ui| landscape_ui(ui, &config, true)),
            (None, None)
        );
        let lesson_model = SessionConfig {
            data: DataSource::Synthetic(Synthetic {
                samples: (6000, 5000),
                noise: 2.0,
                ..Synthetic::default()
            }),
            model: ModelSpec {
                hidden: vec![200, 8],
                ..ModelSpec::default()
            },
            ..SessionConfig::default()
        };
        let mut draft = lesson_model.clone();
        let rebuild = in_a_frame(|ui| model_ui(ui, &mut draft, &lesson_model));
        assert!(!rebuild);
        assert_eq!(draft, lesson_model, "the draft is the running model");
    }
}
