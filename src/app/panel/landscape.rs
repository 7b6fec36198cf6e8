//! The landscape section: the plane, its grid and range, top-k, and how
//! the surface is drawn (height scale, log scale).

use super::{Panel, PanelContext, holding};
use bevy_egui::egui;
use curvscope_core::landscape::plane::PlaneKind;
use curvscope_core::spec::SessionConfig;
use curvscope_core::train::runner::Command;

/// A surface's plane with its grid points per side and half-width.
pub type Landscape = (PlaneKind, (usize, f64));

impl Panel {
    /// The plane and grid controls, the height controls and each run's
    /// axis curvatures.
    pub(super) fn landscape_section(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext) {
        let live = &cx.live;
        let Some(config) = live.latest().map(|s| s.config.clone()) else {
            return;
        };
        let configs = live.configs();
        let twins_share = matches!(&configs[..], [a, b] if a.same_landscape(b));
        let (landscape, top_k) = landscape_ui(ui, &config, twins_share);
        if let Some((kind, grid)) = landscape {
            cx.link.send(Command::Landscape(kind, grid));
        }
        if let Some(k) = top_k {
            cx.link.send(Command::TopK(k));
        }
        let scale = &mut cx.scale;
        let factor = holding(0.1, 5.0, scale.factor);
        ui.add(
            egui::Slider::new(&mut scale.factor, factor)
                .logarithmic(true)
                .text("height ×"),
        );
        ui.checkbox(&mut scale.log, "log scale (height and colour by log loss)");
        for run in &cx.live.runs {
            if let Some(s) = run.latest.as_ref().and_then(|s| s.surface.as_ref()) {
                let [c0, c1] = s.axis_curvatures;
                let off = s.path.iter().map(|p| p.off_plane).fold(0.0, f64::max);
                ui.small(format!(
                    "{}axis curvatures {c0:.4}, {c1:.4} · path up to {off:.3} off the plane",
                    if run.label.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", run.label)
                    }
                ));
            }
        }
    }
}

/// The plane, grid and top-k controls; returns a new landscape and a new
/// top-k when the user changed them. The shared plane is offered when
/// `twins_share` (two runs on one landscape from one start).
pub fn landscape_ui(
    ui: &mut egui::Ui,
    config: &SessionConfig,
    twins_share: bool,
) -> (Option<Landscape>, Option<usize>) {
    let (mut kind, (mut n, mut r), mut k) = (config.plane, config.grid, config.top_k);
    egui::ComboBox::from_label("plane")
        .selected_text(kind.name())
        .show_ui(ui, |ui| {
            for f in PlaneKind::ALL {
                if f != PlaneKind::Shared || twins_share {
                    ui.selectable_value(&mut kind, f, f.name());
                }
            }
        })
        .response
        .on_hover_text(
            "\"both runs\" (twins from one start on one landscape): the plane through \
             the start and both current points, one surface with both paths on it.",
        );
    let (grids, ranges, ks) = (holding(9, 129, n), holding(0.01, 20.0, r), holding(1, 8, k));
    ui.add(egui::Slider::new(&mut n, grids).text("grid N"));
    ui.add(
        egui::Slider::new(&mut r, ranges)
            .logarithmic(true)
            .text("range R"),
    );
    let landscape =
        ((kind, n, r) != (config.plane, config.grid.0, config.grid.1)).then_some((kind, (n, r)));
    let top_k = ui
        .add(egui::Slider::new(&mut k, ks).text("top-k eigenvalues"))
        .changed()
        .then_some(k);
    (landscape, top_k)
}
