//! The data and model section: a draft of the data set and network,
//! edited over frames, and the rebuild it asks for (which starts over).

use super::{Panel, PanelContext, holding};
use bevy_egui::egui;
use curvscope_core::defaults;
use curvscope_core::model::activation::Activation;
use curvscope_core::train::runner::Command;
use curvscope_core::train::session::{CannotStart, SessionConfig};
use curvscope_core::train::synthetic::DataKind;
use std::sync::Arc;

impl Panel {
    /// The draft for the running model `running` of generation `generation`.
    pub fn draft(&mut self, generation: u64, running: &SessionConfig) -> &mut SessionConfig {
        let draft = self
            .draft
            .get_or_insert_with(|| (generation, running.clone()));
        if draft.0 < generation {
            *draft = (generation, running.clone());
        }
        &mut draft.1
    }

    /// Keeps `rebuilt` as the draft until generation `generation` is running.
    pub fn rebuilding(&mut self, generation: u64, rebuilt: SessionConfig) {
        self.draft = Some((generation, rebuilt));
    }

    /// The draft's controls; a rebuild restarts every run with the new
    /// data and model.
    pub(super) fn model_section(&mut self, ui: &mut egui::Ui, cx: &PanelContext) {
        let live = &cx.live;
        let configs = live.configs();
        let Some(running) = configs.first() else {
            return;
        };
        let draft = self.draft(live.generation, running);
        if model_ui(ui, draft, running) {
            // A changed model means synthetic data: a problem file is kept
            // only for a new seed.
            let problem = same_model(draft, running)
                .then(|| draft.problem.clone())
                .flatten();
            let draft = SessionConfig {
                problem,
                ..draft.clone()
            };
            // Each run keeps its optimizer settings; the plane settings carry over.
            let rebuilt = configs
                .iter()
                .map(|c| SessionConfig {
                    settings: c.settings,
                    plane: c.plane,
                    grid: c.grid,
                    top_k: c.top_k,
                    ..draft.clone()
                })
                .collect();
            cx.link.send(Command::Reset(rebuilt));
            self.rebuilding(live.generation + 1, draft);
        }
    }
}

/// Whether two configurations have the same data and model (what the
/// "data and model" section edits).
fn same_model(a: &SessionConfig, b: &SessionConfig) -> bool {
    let model = |c: &SessionConfig| {
        (
            c.data,
            c.samples,
            c.noise.to_bits(),
            c.hidden.clone(),
            c.activation,
        )
    };
    let same_csv = match (&a.csv, &b.csv) {
        (Some(x), Some(y)) => Arc::ptr_eq(x, y),
        (x, y) => x.is_none() && y.is_none(),
    };
    model(a) == model(b) && same_csv
}

/// Data and model controls over a draft configuration; true when the user
/// asks to rebuild with it (which starts training over).
pub fn model_ui(ui: &mut egui::Ui, draft: &mut SessionConfig, running: &SessionConfig) -> bool {
    // A CSV data set stays until a synthetic one is picked.
    let shown = match &draft.csv {
        Some(csv) => csv.name(),
        None => draft.data.name().to_string(),
    };
    egui::ComboBox::from_label("data")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            for k in DataKind::ALL {
                let selected = draft.csv.is_none() && draft.data == k;
                if ui.selectable_label(selected, k.name()).clicked() {
                    draft.data = k;
                    draft.csv = None;
                }
            }
        });
    let train = holding(8, 4096, draft.samples.0);
    ui.add(
        egui::Slider::new(&mut draft.samples.0, train)
            .logarithmic(true)
            .text("train samples"),
    );
    let test = holding(0, 4096, draft.samples.1);
    ui.add(
        egui::Slider::new(&mut draft.samples.1, test)
            .logarithmic(true)
            .text("test samples"),
    );
    let noise = holding(0.0, 0.5, draft.noise);
    ui.add(egui::Slider::new(&mut draft.noise, noise).text("noise"));
    let mut depth = draft.hidden.len().clamp(1, 4);
    let mut width = draft.hidden.first().copied().unwrap_or(16);
    let depth_moved = ui
        .add(egui::Slider::new(&mut depth, 1..=4).text("hidden layers"))
        .changed();
    let widths = holding(2, 128, width);
    let width_moved = ui
        .add(
            egui::Slider::new(&mut width, widths)
                .logarithmic(true)
                .text("width"),
        )
        .changed();
    // Layers of different widths (a lesson's) stay as they are until a
    // slider moves.
    if depth_moved || width_moved {
        draft.hidden = vec![width; depth];
    }
    egui::ComboBox::from_label("activation")
        .selected_text(draft.activation.name())
        .show_ui(ui, |ui| {
            for a in Activation::ALL {
                ui.selectable_value(&mut draft.activation, a, a.name());
            }
        });
    let changed = !same_model(draft, running);
    // Refused before the click, with the reason, rather than by the runner.
    let refusal = too_large(draft);
    if let Some(reason) = &refusal {
        ui.colored_label(egui::Color32::from_rgb(240, 90, 80), reason);
    }
    let rebuild = ui
        .add_enabled(
            changed && refusal.is_none(),
            egui::Button::new("rebuild (starts over)"),
        )
        .clicked();
    let new_seed = ui.button("new seed (starts over)").clicked();
    if new_seed {
        draft.seed = draft.seed.wrapping_add(1);
    }
    rebuild || new_seed
}

/// Why `draft` cannot be trained live, if it cannot (the session's own
/// check, [`SessionConfig::check_work`]).
fn too_large(draft: &SessionConfig) -> Option<String> {
    match draft.check_work() {
        Err(CannotStart::TooMuchWork { samples, params }) => Some(format!(
            "too large to train live: {samples} samples × {params} parameters (at most {:.0e}); use fewer samples or a smaller network",
            defaults::MAX_WORK
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 9: after "rebuild" the section jumped back to the old model
    /// (the update with the new one had not arrived), and after a lesson it
    /// kept the previous data set; a second rebuild then built the wrong
    /// model.
    #[test]
    fn the_model_draft_follows_the_running_generation() {
        use curvscope_core::model::activation::Activation;
        let moons = SessionConfig::default();
        let spirals = SessionConfig {
            data: DataKind::Spirals2,
            activation: Activation::Relu,
            hidden: vec![30, 30],
            ..SessionConfig::default()
        };
        let mut panel = Panel::default();
        assert_eq!(panel.draft(0, &moons), &moons);
        // Rebuild to spirals: generation 0 is still running for a while.
        panel.rebuilding(1, spirals.clone());
        assert_eq!(panel.draft(0, &moons), &spirals, "not the old model");
        assert_eq!(panel.draft(1, &spirals), &spirals);
        // A lesson (generation 2) with sine: the draft is the lesson's model.
        let sine = SessionConfig {
            data: DataKind::Sine,
            ..SessionConfig::default()
        };
        assert_eq!(panel.draft(2, &sine), &sine);
        // Edits survive while the generation stays.
        panel.draft(2, &sine).noise = 0.3;
        assert_eq!(panel.draft(2, &sine).noise, 0.3);
    }

    /// Issue 9: the sliders reach models the runner refuses; the rebuild
    /// button is disabled with the reason instead.
    #[test]
    fn a_model_too_large_to_train_live_is_refused_before_the_click() {
        assert_eq!(too_large(&SessionConfig::default()), None);
        let big = SessionConfig {
            samples: (4096, 0),
            hidden: vec![128; 4],
            ..SessionConfig::default()
        };
        let reason = too_large(&big).expect("refused");
        assert!(
            reason.starts_with("too large to train live: 4096 samples × "),
            "{reason}"
        );
        assert!(curvscope_core::train::session::Session::new(big).is_err());
    }
}
