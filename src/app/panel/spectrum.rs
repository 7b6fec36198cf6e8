//! The spectrum and layers section: the whole curvature measured now, or
//! as training goes (the waterfall), and the two windows that show it
//! ([`crate::app::curvature_windows`]).

use super::{Panel, PanelContext};
use bevy_egui::egui;
use curvscope_core::train::runner::Command;

impl Panel {
    /// The measure button, "as training goes", and the windows' switches.
    pub(super) fn spectrum_section(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext) {
        let (link, live, windows) = (&cx.link, &cx.live, &mut cx.windows);
        let step = live.latest().map_or(0, |s| s.step);
        let measure = ui
            .button(format!(
                "measure the whole spectrum and the layers (step {step})"
            ))
            .on_hover_text(
                "All eigenvalues of the Hessian (exact up to 2000 parameters, stochastic Lanczos \
                 quadrature above), as a density, each layer's diagonal block (its largest \
                 eigenvalue and its trace) and the Hessian itself, measured once.",
            );
        if measure.clicked() {
            for run in 0..live.runs.len() {
                link.send(Command::Inspect(run));
            }
            windows.spectrum = true;
        }
        let mut auto = live.auto_inspect;
        let toggled = ui
            .checkbox(&mut auto, "as training goes (fills the waterfall)")
            .on_hover_text(
                "Measures the whole spectrum and the layers again and again as training goes: an \
                 inspection costs about 0.1 s on the default run, and they take at most a quarter of \
                 the time (about every 0.4 s there). A recording inspects with each measurement.",
            );
        if toggled.changed() {
            link.send(Command::AutoInspect(auto));
            windows.spectrum |= auto;
        }
        ui.checkbox(
            &mut windows.spectrum,
            "spectrum window: density, waterfall, layers",
        );
        ui.checkbox(
            &mut windows.hessian,
            "Hessian window: heatmap (up to 2000 parameters)",
        );
    }
}
