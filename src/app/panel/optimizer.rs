//! The optimizer section: η, the batch size and the update rule's
//! hyper-parameters of the run it controls (which run, when there are two).

use super::{Panel, PanelContext, holding};
use bevy_egui::egui;
use curvscope_core::defaults;
use curvscope_core::spec::TrainerSettings;
use curvscope_core::train::runner::Command;

impl Panel {
    /// The run the controls act on, and its settings.
    pub(super) fn optimizer_section(&mut self, ui: &mut egui::Ui, cx: &PanelContext) {
        let live = &cx.live;
        let n = live.runs.len();
        if n > 1 {
            ui.horizontal(|ui| {
                ui.label("optimizer of");
                for i in 0..n {
                    let label = live.runs[i].label.clone();
                    ui.selectable_value(&mut self.controlled, i, label);
                }
            });
        }
        let i = self.controlled.min(n.saturating_sub(1));
        let Some(snapshot) = live.runs.get(i).and_then(|r| r.latest.as_ref()) else {
            return;
        };
        if let Some(s) = optimizer_ui(ui, snapshot.settings, snapshot.config.train_samples()) {
            cx.link.send(Command::Settings(i, s));
        }
    }
}

/// The optimizer controls for a run with `samples` training samples;
/// returns the new settings if the user changed any.
pub fn optimizer_ui(
    ui: &mut egui::Ui,
    current: TrainerSettings,
    samples: usize,
) -> Option<TrainerSettings> {
    let mut s = current;
    learning_rate_ui(ui, &mut s.optimizer.learning_rate);
    let mut full = s.batch_size.is_none();
    ui.checkbox(&mut full, "full batch");
    if full {
        s.batch_size = None;
    } else {
        let mut b = s.batch_size.or(defaults::BATCH_SIZE).unwrap_or(1);
        let sizes = holding(1, samples.max(1), b);
        ui.add(
            egui::Slider::new(&mut b, sizes)
                .logarithmic(true)
                .text("batch size"),
        );
        s.batch_size = Some(b);
    }
    for h in s.optimizer.method.hyper() {
        let mut value = h.value;
        let range = holding(h.slider.0, h.slider.1, value);
        if ui
            .add(egui::Slider::new(&mut value, range).text(h.label))
            .changed()
        {
            s.optimizer.method.set(h.key, value);
        }
    }
    (s != current).then_some(s)
}

/// The η slider (coarse, five decades) beside a number to drag finely (1%
/// a pixel, Shift slower) or to click and type (any η > 0 up to 10⁶).
fn learning_rate_ui(ui: &mut egui::Ui, eta: &mut f64) {
    ui.horizontal(|ui| {
        let rates = holding(1e-4, 10.0, *eta);
        ui.add(
            egui::Slider::new(eta, rates)
                .logarithmic(true)
                .show_value(false),
        )
        .on_hover_text("Drag for coarse changes: η spans 10⁻⁴ to 10.");
        let (speed, range) = (0.01 * eta.abs(), holding(1e-8, 1e6, *eta));
        ui.add(
            egui::DragValue::new(eta)
                .speed(speed)
                .range(range)
                .max_decimals(6),
        )
        .on_hover_text(
            "Drag for fine changes (1% a pixel, hold Shift for finer), or click and type a value (up to 10⁶).",
        );
        ui.label("learning rate η");
    });
}
