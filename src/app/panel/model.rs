//! The data and model section: a draft of the data set and network,
//! edited over frames, and the rebuild it asks for (which starts over).

use super::{Panel, PanelContext, holding};
use bevy_egui::egui;
use curvscope_core::defaults;
use curvscope_core::model::activation::Activation;
use curvscope_core::model::synthetic::DataKind;
use curvscope_core::spec::{ConfigError, DataSource, SessionConfig, Synthetic};
use curvscope_core::train::runner::Command;

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
            let draft = draft.clone();
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
    a.data.same_as(&b.data) && a.model == b.model
}

/// Data and model controls over a draft configuration; true when the user
/// asks to rebuild with it (which starts training over).
pub fn model_ui(ui: &mut egui::Ui, draft: &mut SessionConfig, running: &SessionConfig) -> bool {
    // A CSV data set or a problem file stays until a synthetic set is
    // picked.
    let shown = match &draft.data {
        DataSource::Synthetic(s) => s.kind.name().to_string(),
        DataSource::Csv(csv) => csv.name(),
        DataSource::Problem(p) => p.name(),
    };
    egui::ComboBox::from_label("data")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            for k in DataKind::ALL {
                let now = draft.data.synthetic().copied();
                let selected = now.is_some_and(|s| s.kind == k);
                if ui.selectable_label(selected, k.name()).clicked() {
                    let before = now.unwrap_or_default();
                    draft.data = DataSource::Synthetic(Synthetic { kind: k, ..before });
                }
            }
        });
    if let DataSource::Problem(p) = &draft.data {
        // A problem file brings its network: nothing to set here.
        let arch = &p.architecture;
        let widths: Vec<String> = arch.layers.iter().map(usize::to_string).collect();
        ui.label(format!(
            "network from the file: {} {}",
            widths.join("-"),
            arch.activation.name()
        ));
        return seed_ui(ui, draft);
    }
    if let DataSource::Synthetic(data) = &mut draft.data {
        synthetic_ui(ui, data);
    }
    let model = &mut draft.model;
    let mut depth = model.hidden.len().clamp(1, 4);
    let mut width = model.hidden.first().copied().unwrap_or(16);
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
        model.hidden = vec![width; depth];
    }
    egui::ComboBox::from_label("activation")
        .selected_text(model.activation.name())
        .show_ui(ui, |ui| {
            for a in Activation::ALL {
                ui.selectable_value(&mut model.activation, a, a.name());
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
    seed_ui(ui, draft) || rebuild
}

/// The sizes and noise of a synthetic data set.
fn synthetic_ui(ui: &mut egui::Ui, data: &mut Synthetic) {
    let train = holding(8, 4096, data.samples.0);
    ui.add(
        egui::Slider::new(&mut data.samples.0, train)
            .logarithmic(true)
            .text("train samples"),
    );
    let test = holding(0, 4096, data.samples.1);
    ui.add(
        egui::Slider::new(&mut data.samples.1, test)
            .logarithmic(true)
            .text("test samples"),
    );
    let noise = holding(0.0, 0.5, data.noise);
    ui.add(egui::Slider::new(&mut data.noise, noise).text("noise"));
}

/// The "new seed" button; true when clicked (the draft then has the next
/// seed).
fn seed_ui(ui: &mut egui::Ui, draft: &mut SessionConfig) -> bool {
    let new_seed = ui.button("new seed (starts over)").clicked();
    if new_seed {
        draft.seed = draft.seed.wrapping_add(1);
    }
    new_seed
}

/// Why `draft` cannot be trained live, if it cannot (the session's own
/// check, [`SessionConfig::check_work`]).
fn too_large(draft: &SessionConfig) -> Option<String> {
    match draft.check_work() {
        Err(ConfigError::TooMuchWork { samples, params }) => Some(format!(
            "too large to train live: {samples} samples × {params} parameters (at most {:.0e}); use fewer samples or a smaller network",
            defaults::MAX_WORK
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curvscope_core::spec::ModelSpec;

    /// Issue 9: after "rebuild" the section jumped back to the old model
    /// (the update with the new one had not arrived), and after a lesson it
    /// kept the previous data set; a second rebuild then built the wrong
    /// model.
    #[test]
    fn the_model_draft_follows_the_running_generation() {
        use curvscope_core::model::activation::Activation;
        let moons = SessionConfig::default();
        let spirals = SessionConfig {
            data: DataSource::Synthetic(Synthetic {
                kind: DataKind::Spirals2,
                ..Synthetic::default()
            }),
            model: ModelSpec {
                hidden: vec![30, 30],
                activation: Activation::Relu,
            },
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
            data: DataSource::Synthetic(Synthetic {
                kind: DataKind::Sine,
                ..Synthetic::default()
            }),
            ..SessionConfig::default()
        };
        assert_eq!(panel.draft(2, &sine), &sine);
        // Edits survive while the generation stays.
        panel.draft(2, &sine).model.hidden = vec![3];
        assert_eq!(panel.draft(2, &sine).model.hidden, vec![3]);
    }

    /// Issue 9: the sliders reach models the runner refuses; the rebuild
    /// button is disabled with the reason instead.
    #[test]
    fn a_model_too_large_to_train_live_is_refused_before_the_click() {
        assert_eq!(too_large(&SessionConfig::default()), None);
        let big = SessionConfig {
            data: DataSource::Synthetic(Synthetic {
                samples: (4096, 0),
                ..Synthetic::default()
            }),
            model: ModelSpec {
                hidden: vec![128; 4],
                ..ModelSpec::default()
            },
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
