//! Readout widgets: a run's numbers, the stability gauge with its bands,
//! and the plots (losses, λmax against 2(1+β)/η, η·λmax against 2(1+β)).

use super::heights::RUN_RGB;
use super::state::RunView;
use bevy_egui::egui;
use curvscope_core::io::export::SeriesRow;
use curvscope_core::spec::TrainerSettings;
use curvscope_core::train::health::Health;
use curvscope_core::train::session::Snapshot;
use curvscope_core::train::tracker::{CurvatureSnapshot, StabilityBand};
use egui_plot::{Corner, GridInput, GridMark, Legend, Line, Plot, PlotPoints};

/// The readout line of a stability band.
pub fn band_text(band: StabilityBand) -> &'static str {
    match band {
        StabilityBand::Stable => "stable",
        StabilityBand::Edge => "edge of stability",
        StabilityBand::Unstable => "unstable",
    }
}

/// The colour of a stability band.
pub fn band_color(band: StabilityBand) -> egui::Color32 {
    match band {
        StabilityBand::Stable => egui::Color32::from_rgb(80, 180, 90),
        StabilityBand::Edge => egui::Color32::from_rgb(225, 180, 40),
        StabilityBand::Unstable => egui::Color32::from_rgb(220, 60, 50),
    }
}

/// The divergence line: "step N diverged: stopped at step N−1 (η·λmax was
/// X)", with the learning rate in force when it diverged and the last
/// measured λmax. Step N is the step that was refused, so the step readout
/// (N−1, the parameters kept) and this line agree.
pub fn divergence_text(snapshot: &Snapshot) -> Option<String> {
    let d = snapshot.diverged?;
    let eta_l = snapshot
        .curvature
        .as_ref()
        .map_or("not measured".to_string(), |c| {
            format!("{:.3}", snapshot.settings.learning_rate() * c.top[0])
        });
    Some(format!(
        "step {} diverged: stopped at step {} (η·λmax was {eta_l})",
        d.step,
        d.step.saturating_sub(1)
    ))
}

/// Largest η the η slider reaches (typed values may go beyond).
pub const SLIDER_MAX_ETA: f64 = 10.0;

/// Why the η slider cannot make this point unstable, when it cannot (issue
/// 9: on a trained run λmax is tiny and even η = 10 reads "stable"): the η
/// it would take, and the two ways to get there.
pub fn beyond_the_slider(lambda_max: f64, settings: TrainerSettings) -> Option<String> {
    let needed = settings.optimizer.stability_limit() / lambda_max;
    (lambda_max > 0.0 && needed > SLIDER_MAX_ETA).then(|| {
        format!(
            "No η on the slider overshoots here: it takes η > 2(1+β)/λmax = {}. Type such an η in the box, or restart (R) with a large η from the sharper starting point.",
            crate::app::readouts::small_number(needed)
        )
    })
}

/// What the gauge and its bands mean, for its hover text.
pub const GAUGE_HELP: &str = "η·λmax against the stability limit 2(1+β) (the white line). \
Along the sharpest direction a step of size η multiplies the distance to the minimum by |1 − η·λ| \
(with momentum β the limit is 2(1+β)). Green: below 90% of the limit, the step settles; \
amber: within 10% of it, the edge of stability, where λmax tends to hover; \
red: beyond it, the step overshoots and grows along that direction. \
It tests the curvature here and now; the loss history below it tells what happened on the way.";

/// A horizontal gauge of η·λ against the limit: green up to 90% of it,
/// amber to 110%, red beyond, a white line at the limit and a needle at the
/// value (the scale ends at twice the limit).
pub fn gauge(ui: &mut egui::Ui, eta_lambda: f64, limit: f64, height: f32) -> egui::Response {
    let width = ui.available_width().min(320.0);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let x = |ratio: f64| rect.left() + rect.width() * (ratio / 2.0).clamp(0.0, 1.0) as f32;
    let band = |from: f64, to: f64, b: StabilityBand| {
        let r = egui::Rect::from_x_y_ranges(x(from)..=x(to), rect.y_range());
        painter.rect_filled(r, 0.0, band_color(b).gamma_multiply(0.55));
    };
    band(0.0, 0.9, StabilityBand::Stable);
    band(0.9, 1.1, StabilityBand::Edge);
    band(1.1, 2.0, StabilityBand::Unstable);
    let white = egui::Stroke::new(1.5, egui::Color32::WHITE);
    painter.line_segment(
        [
            egui::pos2(x(1.0), rect.top()),
            egui::pos2(x(1.0), rect.bottom()),
        ],
        white,
    );
    let ratio = eta_lambda / limit;
    if ratio.is_finite() {
        let nx = x(ratio);
        let nx = nx.max(rect.left() + 2.0);
        let needle = egui::Stroke::new(3.0, egui::Color32::BLACK);
        painter.line_segment(
            [egui::pos2(nx, rect.top()), egui::pos2(nx, rect.bottom())],
            needle,
        );
        painter.add(egui::Shape::convex_polygon(
            vec![
                egui::pos2(nx - 5.0, rect.top()),
                egui::pos2(nx + 5.0, rect.top()),
                egui::pos2(nx, rect.top() + 6.0),
            ],
            egui::Color32::WHITE,
            egui::Stroke::NONE,
        ));
    }
    response
}

/// A run's numbers: step, losses, eigenvalues, trace, condition number and
/// the stability gauge with η·λ for every tracked eigenvalue.
pub fn run_readouts(ui: &mut egui::Ui, run: &RunView) {
    let Some(snapshot) = run.latest.as_ref() else {
        ui.label("starting…");
        return;
    };
    if !run.label.is_empty() {
        ui.strong(&run.label);
    }
    ui.label(format!("step {}", snapshot.step));
    if let Some(text) = divergence_text(snapshot) {
        ui.colored_label(egui::Color32::RED, text);
    }
    ui.label(format!("train loss {:.5}", snapshot.train_loss));
    if let Some(t) = snapshot.test_loss {
        ui.label(format!("test loss {t:.5}"));
        ui.label(format!("gap {:+.5}", t - snapshot.train_loss));
    }
    if let Some(c) = &snapshot.curvature {
        ui.separator();
        curvature_readouts(ui, c, snapshot.settings, snapshot.health);
    }
}

/// Four decimals, or scientific below 1e-3, so that a small negative
/// eigenvalue never reads "-0.0000" (issue 9).
pub fn small_number(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else {
        format!("{x:.4}")
    }
}

/// What the loss history says when it contradicts a calm gauge (issue 9:
/// a wrecked run read "stable"); None when the history is settled.
pub fn health_text(health: Health) -> Option<String> {
    match health {
        Health::Settled => None,
        Health::Jumped { ratio } => Some(format!(
            "unstable: the loss jumped {ratio:.0}× above its recent minimum; the steps overshot (η too large for the curvature met on the way)"
        )),
        Health::Oscillating { ratio } => Some(format!(
            "unstable: the loss swings up and down (×{ratio:.1}); the steps overshoot"
        )),
    }
}

/// The curvature readouts. η·λ and the limit use the settings in force now
/// (so a slider moves the gauge at once) with the last measured λ.
fn curvature_readouts(
    ui: &mut egui::Ui,
    c: &CurvatureSnapshot,
    settings: TrainerSettings,
    health: Health,
) {
    let limit = settings.optimizer.stability_limit();
    let eta_lambda: Vec<f64> = c.top.iter().map(|l| settings.learning_rate() * l).collect();
    let band = StabilityBand::classify(eta_lambda[0], limit);
    // Negative beyond round-off and Lanczos tolerance: a saddle.
    let saddle = c.min < -1e-3 * c.top[0].abs();
    ui.label(format!(
        "λmin {}{}",
        small_number(c.min),
        if saddle { " (saddle)" } else { "" }
    ));
    ui.label(if c.trace.stderr > 0.0 {
        format!("trace {:.4} ± {:.2}", c.trace.value, c.trace.stderr)
    } else {
        format!("trace {:.4}", c.trace.value)
    });
    ui.label(format!(
        "condition {}",
        c.condition_number
            .map_or("—".into(), |v| format!("{v:.3e}"))
    ));
    let unsettled = health_text(health);
    ui.colored_label(
        band_color(band),
        format!(
            "η·λmax {:.3} / {limit:.2}: {}{}",
            eta_lambda[0],
            band_text(band),
            if unsettled.is_some() {
                " at this point"
            } else {
                ""
            }
        ),
    );
    if let Some(text) = unsettled {
        ui.colored_label(band_color(StabilityBand::Unstable), text)
            .on_hover_text(
                "The gauge tests the curvature at the current point. The loss history \
                 tells what happened on the way: a loss far above its recent minimum, \
                 or one that swings, means the steps overshoot, whatever the gauge says.",
            );
    }
    gauge(ui, eta_lambda[0], limit, 14.0).on_hover_text(GAUGE_HELP);
    if let Some(text) = beyond_the_slider(c.top[0], settings) {
        ui.small(text);
    }
    ui.label("top eigenvalues of the Hessian")
        .on_hover_text("λ1 ≥ λ2 ≥ …: the curvatures along the sharpest directions (Lanczos, exact Hessian-vector products). η·λ is coloured by the gauge's bands.");
    egui::Grid::new(ui.next_auto_id())
        .num_columns(3)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            ui.label("");
            ui.label("λ");
            ui.label("η·λ");
            ui.end_row();
            for (k, (l, el)) in c.top.iter().zip(&eta_lambda).enumerate() {
                let band = StabilityBand::classify(*el, limit);
                ui.label(format!("λ{}", k + 1));
                ui.label(format!("{l:.4}"));
                ui.colored_label(band_color(band), format!("{el:.3}"));
                ui.end_row();
            }
        });
}

/// Colours of the runs' plot lines.
pub const RUN_COLORS: [egui::Color32; 2] = [
    egui::Color32::from_rgb(RUN_RGB[0][0], RUN_RGB[0][1], RUN_RGB[0][2]),
    egui::Color32::from_rgb(RUN_RGB[1][0], RUN_RGB[1][1], RUN_RGB[1][2]),
];

fn series(history: &[SeriesRow], value: impl Fn(&SeriesRow) -> Option<f64>) -> PlotPoints<'static> {
    history
        .iter()
        .filter_map(|h| Some([h.step as f64, value(h)?]))
        .filter(|p| p[1].is_finite())
        .collect()
}

/// The optimizer's stability limit on η·λ at a row.
fn limit(h: &SeriesRow) -> f64 {
    h.limit
}

fn name(run: &RunView, what: &str) -> String {
    if run.label.is_empty() {
        what.to_string()
    } else {
        format!("{what} ({})", run.label)
    }
}

/// A stability limit: a dashed grey line.
pub fn limit_line(name: String, points: PlotPoints<'static>) -> Line<'static> {
    Line::new(name, points)
        .color(egui::Color32::WHITE.gamma_multiply(0.6))
        .style(egui_plot::LineStyle::dashed_dense())
}

/// A small, see-through legend in the top-left corner.
pub fn legend() -> Legend {
    Legend::default()
        .text_style(egui::TextStyle::Small)
        .background_alpha(0.5)
        .position(Corner::LeftTop)
}

/// Whether run `i`'s limit line would repeat the first run's (same η and
/// limit now): then it is drawn once.
fn same_limit_as_first(runs: &[RunView], i: usize) -> bool {
    let last = |r: &RunView| r.history.last().map(|h| (h.learning_rate, h.limit));
    i > 0 && last(&runs[i]) == last(&runs[0])
}

/// Most grid marks one plot axis may ask for.
const MAX_MARKS: f64 = 1000.0;

/// egui_plot's log-10 grid, or no grid where it would make more than
/// `MAX_MARKS` marks: its spacer fills a vector with one mark per step
/// between the bounds, so bounds far wider than the step (or beyond the
/// range of an i64 in steps, or not finite) would allocate without end.
/// Memory is bounded by construction (issue 9's frozen picture grew by
/// 450 MB/s in one of egui's threads).
pub fn bounded_grid(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let step = input.base_step_size;
    let in_steps = |v: f64| (v / step).abs() < 1e15;
    let safe = lo.is_finite()
        && hi.is_finite()
        && step.is_finite()
        && step > 0.0
        && (hi - lo) / step <= MAX_MARKS
        && in_steps(lo)
        && in_steps(hi);
    if safe {
        egui_plot::log_grid_spacer(10)(input)
    } else {
        Vec::new()
    }
}

/// A plot that follows its data: the mouse wheel scrolls the panel, not
/// the plot; a drag pans it and a double-click puts it back; a new
/// generation (restart, rebuild, lesson) starts it afresh. Its grid is
/// [`bounded_grid`].
pub fn plot(name: &str, generation: u64, height: f32) -> Plot<'static> {
    Plot::new((name, generation))
        .height(height)
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_double_click_reset(true)
        .x_grid_spacer(bounded_grid)
        .y_grid_spacer(bounded_grid)
}

/// The three plots over every run's history (`generation`: the runner's,
/// see [`plot`]).
pub fn plots(ui: &mut egui::Ui, runs: &[RunView], generation: u64) {
    ui.small("losses (drag to pan, double-click to reset)");
    plot("losses", generation, 110.0)
        .legend(legend())
        .show(ui, |p| {
            for (run, color) in runs.iter().zip(RUN_COLORS) {
                p.line(
                    Line::new(
                        name(run, "train"),
                        series(&run.history, |h| Some(h.train_loss)),
                    )
                    .color(color),
                );
                p.line(
                    Line::new(name(run, "test"), series(&run.history, |h| h.test_loss))
                        .color(color.gamma_multiply(0.6))
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            }
        });
    ui.small("sharpness λmax and the stability limit 2(1+β)/η");
    plot("sharpness", generation, 110.0)
        .legend(legend())
        .show(ui, |p| {
            for (i, (run, color)) in runs.iter().zip(RUN_COLORS).enumerate() {
                p.line(
                    Line::new(name(run, "λmax"), series(&run.history, |h| h.lambda_max))
                        .color(color),
                );
                if same_limit_as_first(runs, i) {
                    continue;
                }
                let limit_name = if runs.len() > 1 && same_limit_as_first(runs, 1) {
                    "2(1+β)/η".to_string()
                } else {
                    name(run, "2(1+β)/η")
                };
                p.line(limit_line(
                    limit_name,
                    series(&run.history, |h| Some(limit(h) / h.learning_rate)),
                ));
            }
        });
    ui.small("η·λmax against its limit 2(1+β)");
    plot("eta-lambda", generation, 90.0)
        .legend(legend())
        .show(ui, |p| {
            for (i, (run, color)) in runs.iter().zip(RUN_COLORS).enumerate() {
                p.line(
                    Line::new(
                        name(run, "η·λmax"),
                        series(&run.history, |h| h.lambda_max.map(|l| h.learning_rate * l)),
                    )
                    .color(color),
                );
                // Both runs' limits coincide unless their optimizers' differ.
                let limit_now = |r: &RunView| r.history.last().map(|h| h.limit);
                if i > 0 && limit_now(run) == limit_now(&runs[0]) {
                    continue;
                }
                p.line(limit_line(
                    "limit 2(1+β)".into(),
                    series(&run.history, |h| Some(limit(h))),
                ));
            }
        });
}

#[cfg(test)]
mod grid_tests {
    use super::*;

    /// Issue 9: on the default run, once trained, η = 10 still reads
    /// "stable"; the panel says why and what would overshoot.
    #[test]
    fn a_point_no_slider_eta_can_destabilize_says_so() {
        let settings = TrainerSettings::sgd(10.0, Some(32), 0.9);
        let text = beyond_the_slider(0.0012, settings).expect("explained");
        assert!(text.contains("η > 2(1+β)/λmax = 3166.6667"), "{text}");
        assert_eq!(beyond_the_slider(0.5, settings), None);
        assert_eq!(beyond_the_slider(0.0, settings), None);
    }

    /// Issue 9: bounds far wider than the step (a plot panned to -10M..-20M
    /// while its step stayed small, or a loss of 1e300) must not make a
    /// mark per step.
    #[test]
    fn grids_are_bounded_whatever_the_bounds() {
        let normal = || GridInput {
            bounds: (0.0, 1.0),
            base_step_size: 0.01,
        };
        let marks = bounded_grid(normal());
        assert_eq!(marks.len(), egui_plot::log_grid_spacer(10)(normal()).len());
        assert!(!marks.is_empty() && marks.len() <= 300);
        for (bounds, base_step_size) in [
            ((-2e7, -1e7), 1e-3),
            ((0.0, 1e300), 1e-3),
            ((f64::NEG_INFINITY, 1.0), 0.1),
            ((0.0, f64::NAN), 0.1),
            ((1e19, 1e19 + 1e6), 1e-2),
            ((0.0, 1.0), 0.0),
        ] {
            let marks = bounded_grid(GridInput {
                bounds,
                base_step_size,
            });
            assert!(marks.len() <= 3000, "{bounds:?}: {}", marks.len());
        }
    }

    /// The plots draw histories with huge, tiny and non-finite values in a
    /// headless frame without error.
    #[test]
    fn plots_draw_extreme_histories() {
        let mut run = RunView::default();
        for (i, loss) in [0.5, 1e300, f64::INFINITY, f64::NAN, -1e-300, 1e-320]
            .into_iter()
            .enumerate()
        {
            run.history.push(SeriesRow {
                step: i as u64,
                train_loss: loss,
                test_loss: Some(loss),
                lambda_max: Some(loss),
                lambda_min: None,
                trace: None,
                learning_rate: 0.1,
                batch_size: None,
                momentum: 0.9,
                limit: 3.8,
            });
        }
        let ctx = egui::Context::default();
        for _ in 0..3 {
            let _ = ctx.run_ui(egui::RawInput::default(), |ui| {
                plots(ui, std::slice::from_ref(&run), 0)
            });
        }
    }
}

#[cfg(test)]
mod small_number_tests {
    #[test]
    fn small_eigenvalues_keep_their_sign_and_size() {
        assert_eq!(super::small_number(-4.2e-5), "-4.20e-5");
        assert_eq!(super::small_number(0.2701), "0.2701");
        assert_eq!(super::small_number(0.0), "0.0000");
    }
}
