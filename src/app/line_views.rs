//! The 1D views in the panel: each run's loss along the straight line from
//! its start to now (Goodfellow et al. 2015), and along each tracked
//! eigenvector through now with the quadratic model beside it, so one sees
//! where the quadratic picture holds and where it breaks.

use super::heights::RUN_RGB;
use super::readouts::{legend, plot, small_number};
use super::state::RunView;
use bevy_egui::egui;
use curvscope_core::landscape::lines::{EigenLine, HOLDS_WITHIN, Lines, LossLine};
use egui_plot::{Line, PlotPoints, Points};

/// Colours of the eigenvector lines v1, v2, … (cycled).
const EIGEN_COLORS: [egui::Color32; 4] = [
    egui::Color32::from_rgb(255, 140, 77),
    egui::Color32::from_rgb(120, 200, 120),
    egui::Color32::from_rgb(190, 140, 255),
    egui::Color32::from_rgb(240, 210, 90),
];

/// The points of a line with a finite loss.
fn points(line: &LossLine) -> PlotPoints<'static> {
    line.alphas
        .iter()
        .zip(&line.loss)
        .filter(|(a, l)| a.is_finite() && l.is_finite())
        .map(|(a, l)| [*a, *l])
        .collect()
}

/// The quadratic model's points, cut where it leaves the loss's range by
/// more than half that range (a steep parabola would squash the plot).
fn model_points(line: &EigenLine) -> PlotPoints<'static> {
    let (lo, hi) = line
        .line
        .loss
        .iter()
        .filter(|l| l.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &l| {
            (lo.min(l), hi.max(l))
        });
    let margin = 0.5 * (hi - lo).max(1e-12);
    line.line
        .alphas
        .iter()
        .map(|&a| [a, line.model(a)])
        .filter(|p| p[1].is_finite() && p[1] >= lo - margin && p[1] <= hi + margin)
        .collect()
}

/// One line of text per eigenvector: λ and how far the quadratic model
/// holds along it.
pub fn holds_text(k: usize, line: &EigenLine) -> String {
    let reach = line.model_holds_to(HOLDS_WITHIN);
    let end = line.line.alphas.last().copied().unwrap_or(0.0);
    let first = line
        .line
        .alphas
        .iter()
        .chain(&line.probe.alphas)
        .map(|a| a.abs())
        .filter(|&a| a > 0.0)
        .fold(f64::INFINITY, f64::min);
    let how_far = if reach >= end {
        format!("holds over the whole line (|a| ≤ {})", small_number(end))
    } else if reach == 0.0 && first.is_finite() {
        format!(
            "misses by more than {:.0}% already at |a| = {}",
            100.0 * HOLDS_WITHIN,
            small_number(first)
        )
    } else {
        format!("holds for |a| ≤ {}", small_number(reach))
    };
    format!(
        "v{}: λ = {}, quadratic model {how_far}",
        k + 1,
        small_number(line.lambda)
    )
}

/// Each run's loss from its start (a = 0) to now (a = 1), in the runs'
/// colours, with both ends marked.
fn interpolation_plot(ui: &mut egui::Ui, runs: &[(&RunView, &Lines)], generation: u64) {
    ui.small("loss along the straight line from the start (a = 0) to now (a = 1)");
    plot("interpolation", generation, 90.0)
        .legend(legend())
        .show(ui, |p| {
            for (i, (run, lines)) in runs.iter().enumerate() {
                let [r, g, b] = RUN_RGB[i % 2];
                let color = egui::Color32::from_rgb(r, g, b);
                let name = if run.label.is_empty() {
                    "start to now".to_string()
                } else {
                    run.label.clone()
                };
                let line = &lines.interpolation;
                let ends: PlotPoints<'static> = [0.0, 1.0]
                    .into_iter()
                    .filter_map(|a| {
                        let k = line.alphas.iter().position(|&x| x == a)?;
                        Some([a, line.loss[k]])
                    })
                    .collect();
                p.line(Line::new(name.clone(), points(line)).color(color));
                p.points(Points::new(name, ends).radius(3.5).color(color));
            }
        });
}

/// One run's eigenvector lines with their quadratic models.
fn eigen_plot(ui: &mut egui::Ui, lines: &Lines, id: usize) {
    ui.small(
        "along each eigenvector v through now: the loss (solid) and L + (g·v)a + ½λa² (dashed)",
    );
    plot(&format!("eigen lines {id}"), lines.step, 110.0)
        .legend(legend())
        .show(ui, |p| {
            for (k, line) in lines.eigen.iter().enumerate() {
                let color = EIGEN_COLORS[k % EIGEN_COLORS.len()];
                p.line(Line::new(format!("v{}", k + 1), points(&line.line)).color(color));
                p.line(
                    Line::new(format!("v{} model", k + 1), model_points(line))
                        .color(color.gamma_multiply(0.8))
                        .style(egui_plot::LineStyle::dashed_dense()),
                );
            }
        });
    for (k, line) in lines.eigen.iter().enumerate() {
        ui.small(holds_text(k, line));
    }
}

/// The 1D views (measured with each surface): every run's line from its
/// start to now, then the eigenvector lines of run `selected` (a choice
/// when there are two runs).
pub fn lines_ui(ui: &mut egui::Ui, runs: &[RunView], selected: &mut usize) {
    let measured: Vec<(&RunView, &Lines)> = runs
        .iter()
        .filter_map(|r| Some((r, r.latest.as_ref()?.lines.as_ref()?)))
        .collect();
    let Some((_, first)) = measured.first() else {
        ui.small("not measured yet");
        return;
    };
    ui.small(format!("step {}, measured with the surface", first.step));
    interpolation_plot(ui, &measured, first.step);
    if measured.len() > 1 {
        ui.horizontal(|ui| {
            ui.small("eigenvector lines of");
            for (i, (run, _)) in measured.iter().enumerate() {
                ui.selectable_value(selected, i, run.label.as_str());
            }
        });
    }
    let i = (*selected).min(measured.len() - 1);
    eigen_plot(ui, measured[i].1, i);
    ui.small(format!(
        "The quadratic model \"holds\" while it misses the loss by at most {:.0}% of the loss's change from now.",
        100.0 * HOLDS_WITHIN
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use curvscope_core::landscape::lines::line_coordinates;

    fn cubic() -> EigenLine {
        let alphas = line_coordinates(201, (-1.0, 1.0));
        let loss = alphas.iter().map(|a| 1.0 + a * a + a * a * a).collect();
        EigenLine {
            lambda: 2.0,
            centre: 1.0,
            slope: 0.0,
            line: LossLine { alphas, loss },
            probe: LossLine {
                alphas: Vec::new(),
                loss: Vec::new(),
            },
        }
    }

    #[test]
    fn the_readout_says_how_far_the_quadratic_model_holds() {
        assert_eq!(
            holds_text(0, &cubic()),
            "v1: λ = 2.0000, quadratic model holds for |a| ≤ 0.0900"
        );
        let mut exact = cubic();
        exact.line.loss = exact.line.alphas.iter().map(|a| 1.0 + a * a).collect();
        assert!(holds_text(1, &exact).ends_with("holds over the whole line (|a| ≤ 1.0000)"));
        let mut quartic = cubic();
        quartic.line.loss = quartic
            .line
            .alphas
            .iter()
            .map(|a| 1.0 + a.powi(4))
            .collect();
        assert!(
            holds_text(2, &quartic).ends_with("misses by more than 10% already at |a| = 0.0100"),
            "{}",
            holds_text(2, &quartic)
        );
    }

    #[test]
    fn a_steep_model_is_cut_to_the_loss_range() {
        let mut steep = cubic();
        steep.lambda = 1e6;
        let kept = model_points(&steep).points().len();
        assert!(kept > 0 && kept < 201, "{kept}");
    }
}
