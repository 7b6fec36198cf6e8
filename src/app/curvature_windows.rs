//! The curvature windows beside the panel: "spectrum" (each run's density
//! with its outliers and 2(1+β)/η, the waterfall of the spectrum over the
//! steps, and the layers' bars) and "Hessian" (each run's Hessian as a
//! heatmap, networks up to 2000 parameters). [`CurvatureWindows`] says which
//! are open; they show what the inspections brought (on demand, or as
//! training goes when auto-inspection is on).

use super::spectrum_view::{
    HEATMAP_POINTS, RunPictures, heatmap, inspection_line, layer_bars, spectrum_plot,
    waterfall_plot,
};
use super::state::{CurvatureWindows, DrawSet, Live, PanelWidth, ensure_state};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

/// Draws the curvature windows when they are open.
pub struct CurvatureWindowsPlugin;

/// The windows' own state: the axis and shade choices and each run's
/// textures.
#[derive(Resource, Default)]
pub struct CurvatureViews {
    /// The spectrum and the waterfall on a signed log |λ| axis.
    pub log: bool,
    /// The heatmap's shade: linear in H instead of log |H|.
    pub linear_heatmap: bool,
    /// Each run's pictures.
    pub runs: Vec<RunPictures>,
}

impl Plugin for CurvatureWindowsPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.init_resource::<CurvatureViews>()
            .add_systems(EguiPrimaryContextPass, windows.in_set(DrawSet::Windows));
    }
}

/// Where a window opens: below the caption, beside the panel (`right`:
/// the top right corner, at the view's right edge).
fn default_pos(ctx: &egui::Context, panel: f32, right: bool) -> egui::Pos2 {
    let area = ctx.content_rect();
    if right {
        egui::pos2(area.right() - 8.0, 96.0)
    } else {
        egui::pos2(area.left() + panel + 8.0, 96.0)
    }
}

fn windows(
    mut contexts: EguiContexts,
    live: Res<Live>,
    panel: Option<Res<PanelWidth>>,
    mut open: ResMut<CurvatureWindows>,
    mut views: ResMut<CurvatureViews>,
) -> Result {
    if !(open.spectrum || open.hessian) || live.runs.is_empty() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?.clone();
    let panel = panel.map_or(0.0, |p| p.0);
    let views = &mut *views;
    views
        .runs
        .resize_with(live.runs.len(), RunPictures::default);
    let generation = live.generation;
    // A recording shows no wall-clock figures: its frames are the same on
    // every run.
    let costs = !live.scripted;
    egui::Window::new("spectrum")
        .open(&mut open.spectrum)
        .default_pos(default_pos(&ctx, panel, false))
        .default_width(if live.runs.len() > 1 { 600.0 } else { 440.0 })
        .show(&ctx, |ui| {
            ui.checkbox(&mut views.log, "signed log |λ| axis")
                .on_hover_text(
                    "sign(λ)·log10(1 + |λ|/s): the bulk near zero and the outliers far out both \
                     show, negative eigenvalues below (or left of) 0.",
                );
            ui.columns(live.runs.len(), |columns| {
                for (i, (ui, run)) in columns.iter_mut().zip(&live.runs).enumerate() {
                    if !run.label.is_empty() {
                        ui.strong(&run.label);
                    }
                    let Some(line) = inspection_line(run, costs) else {
                        ui.label(
                            "no spectrum yet: measure it in the panel (spectrum and layers), \
                             or turn on \"as training goes\"",
                        );
                        continue;
                    };
                    ui.small(line);
                    spectrum_plot(ui, run, i, generation, views.log);
                    ui.small(format!(
                        "waterfall: {} spectra over the steps (colour: share of the eigenvalues, \
                         log scale){}",
                        run.waterfall.columns().len(),
                        views.runs[i].waterfall.cost_text(costs)
                    ));
                    waterfall_plot(
                        ui,
                        run,
                        i,
                        generation,
                        views.log,
                        &mut views.runs[i].waterfall,
                    );
                    ui.small("each layer's block (W and b): top eigenvalue and trace");
                    layer_bars(ui, run, i, generation);
                }
            });
        });
    let side = if live.runs.len() > 1 {
        HEATMAP_POINTS * 2.0 / 3.0
    } else {
        HEATMAP_POINTS
    };
    egui::Window::new("Hessian")
        .open(&mut open.hessian)
        .default_pos(default_pos(&ctx, panel, true))
        .pivot(egui::Align2::RIGHT_TOP)
        .resizable(false)
        .show(&ctx, |ui| {
            ui.checkbox(&mut views.linear_heatmap, "linear shade (else log |H|)");
            ui.horizontal(|ui| {
                for (i, run) in live.runs.iter().enumerate() {
                    ui.vertical(|ui| {
                        if !run.label.is_empty() {
                            ui.strong(&run.label);
                        }
                        heatmap(
                            ui,
                            run,
                            i,
                            generation,
                            !views.linear_heatmap,
                            &mut views.runs[i].heatmap,
                            (side, costs),
                        );
                    });
                }
            });
        });
    Ok(())
}
