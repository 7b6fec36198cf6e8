//! The egui panel: readouts, optimizer sliders and the plots.

use super::camera::ResetCamera;
use super::surface::ShowBowl;
use super::training::{Command, Live, TrainingLink};
use crate::activation::Activation;
use crate::curvature::StabilityBand;
use crate::session::{FrameKind, SessionConfig};
use crate::synthetic::DataKind;
use crate::trainer::TrainerSettings;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use egui_plot::{Line, Plot, PlotPoints};

/// Draws the panel.
pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(EguiPrimaryContextPass, panel).add_systems(
            Update,
            shortcuts.run_if(not(bevy_egui::input::egui_wants_any_keyboard_input)),
        );
    }
}

/// Space: pause or resume; S: one step; R: restart the run; C: reset the
/// camera; B: toggle the bowl.
pub fn shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    link: Res<TrainingLink>,
    mut live: ResMut<Live>,
    mut bowl: ResMut<ShowBowl>,
    mut camera: MessageWriter<ResetCamera>,
) {
    if keys.just_pressed(KeyCode::Space) {
        live.paused = !live.paused;
        link.send(Command::Pause(live.paused));
    }
    if keys.just_pressed(KeyCode::KeyS) {
        link.send(Command::Step);
    }
    if keys.just_pressed(KeyCode::KeyR) {
        restart(&link, &mut live);
    }
    if keys.just_pressed(KeyCode::KeyC) {
        camera.write(ResetCamera);
    }
    if keys.just_pressed(KeyCode::KeyB) {
        bowl.0 = !bowl.0;
    }
}

/// Starts the run over with its current configuration (and settings).
fn restart(link: &TrainingLink, live: &mut Live) {
    if let Some(config) = live.latest.as_ref().map(|s| s.config.clone()) {
        link.send(Command::Reset(config));
        live.history.clear();
    }
}

/// Data and model controls over a draft configuration; true when the user
/// asks to rebuild with it (which starts training over).
pub fn model_ui(ui: &mut egui::Ui, draft: &mut SessionConfig, running: &SessionConfig) -> bool {
    egui::ComboBox::from_label("data")
        .selected_text(draft.data.name())
        .show_ui(ui, |ui| {
            for k in DataKind::ALL {
                ui.selectable_value(&mut draft.data, k, k.name());
            }
        });
    ui.add(egui::Slider::new(&mut draft.noise, 0.0..=0.5).text("noise"));
    let mut depth = draft.hidden.len().clamp(1, 4);
    let mut width = draft.hidden.first().copied().unwrap_or(16);
    ui.add(egui::Slider::new(&mut depth, 1..=4).text("hidden layers"));
    ui.add(
        egui::Slider::new(&mut width, 2..=128)
            .logarithmic(true)
            .text("width"),
    );
    draft.hidden = vec![width; depth];
    egui::ComboBox::from_label("activation")
        .selected_text(draft.activation.name())
        .show_ui(ui, |ui| {
            for a in Activation::ALL {
                ui.selectable_value(&mut draft.activation, a, a.name());
            }
        });
    let model = |c: &SessionConfig| (c.data, c.noise.to_bits(), c.hidden.clone(), c.activation);
    let changed = model(draft) != model(running);
    let rebuild = ui
        .add_enabled(changed, egui::Button::new("rebuild (starts over)"))
        .clicked();
    let new_seed = ui.button("new seed").clicked();
    if new_seed {
        draft.seed = draft.seed.wrapping_add(1);
    }
    rebuild || new_seed
}

/// The readout line of the stability gauge.
pub fn band_text(band: StabilityBand) -> &'static str {
    match band {
        StabilityBand::Stable => "stable",
        StabilityBand::Edge => "edge of stability",
        StabilityBand::Unstable => "unstable",
    }
}

/// The optimizer controls; returns the new settings if the user changed any.
pub fn optimizer_ui(ui: &mut egui::Ui, current: TrainerSettings) -> Option<TrainerSettings> {
    let mut s = current;
    ui.add(
        egui::Slider::new(&mut s.learning_rate, 1e-4..=10.0)
            .logarithmic(true)
            .text("learning rate η"),
    );
    let mut full = s.batch_size.is_none();
    ui.checkbox(&mut full, "full batch");
    if full {
        s.batch_size = None;
    } else {
        let mut b = s.batch_size.unwrap_or(32);
        ui.add(
            egui::Slider::new(&mut b, 1..=256)
                .logarithmic(true)
                .text("batch size"),
        );
        s.batch_size = Some(b);
    }
    ui.add(egui::Slider::new(&mut s.momentum, 0.0..=0.99).text("momentum β"));
    (s != current).then_some(s)
}

fn panel(
    mut contexts: EguiContexts,
    link: Res<TrainingLink>,
    mut live: ResMut<Live>,
    mut bowl: ResMut<ShowBowl>,
    mut camera: MessageWriter<ResetCamera>,
    mut commands: Commands,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    // As tall as the window allows; it scrolls when the window is smaller.
    let height = ctx.viewport_rect().height() - 40.0;
    egui::Window::new("curvscope")
        .vscroll(true)
        .default_width(330.0)
        .default_height(height)
        .show(ctx, |ui| {
            let Some(snapshot) = live.latest.clone() else {
                ui.label("starting…");
                return;
            };
            ui.heading(format!("step {}", snapshot.step));
            if let Some(d) = snapshot.diverged {
                let eta_l = snapshot
                    .curvature
                    .as_ref()
                    .map_or(f64::NAN, |c| c.eta_lambda[0]);
                ui.colored_label(
                    egui::Color32::RED,
                    format!("diverged at step {} (η·λmax was {eta_l:.3})", d.step),
                );
            }
            ui.label(format!("train loss {:.5}", snapshot.train_loss));
            if let Some(t) = snapshot.test_loss {
                ui.label(format!(
                    "test loss  {t:.5}   (gap {:+.5})",
                    t - snapshot.train_loss
                ));
            }
            if let Some(c) = &snapshot.curvature {
                ui.separator();
                let tops: Vec<String> = c.top.iter().map(|v| format!("{v:.4}")).collect();
                ui.label(format!("top eigenvalues  {}", tops.join(", ")));
                ui.label(format!(
                    "smallest λ  {:.4}{}",
                    c.min,
                    if c.min < 0.0 { "  (saddle)" } else { "" }
                ));
                let trace = if c.trace.stderr > 0.0 {
                    format!("trace  {:.4} ± {:.2}", c.trace.value, c.trace.stderr)
                } else {
                    format!("trace  {:.4}", c.trace.value)
                };
                ui.label(trace);
                ui.label(format!(
                    "condition  {}",
                    c.condition_number
                        .map_or("—".into(), |v| format!("{v:.3e}"))
                ));
                let ratio = (c.eta_lambda[0] / c.limit) as f32;
                ui.label(format!(
                    "η·λmax = {:.3}  (limit {:.2}): {}",
                    c.eta_lambda[0],
                    c.limit,
                    band_text(c.band)
                ));
                ui.add(
                    egui::ProgressBar::new((ratio / 2.0).clamp(0.0, 1.0))
                        .text(format!("{:.0}% of the limit", 100.0 * ratio)),
                );
            }
            if let Some(surface) = &snapshot.surface {
                ui.separator();
                let n = surface.coords.len();
                let r = surface.coords.last().copied().unwrap_or(1.0);
                let (mut kind, mut n_new, mut r_new) = (surface.kind, n, r);
                egui::ComboBox::from_label("plane")
                    .selected_text(kind.name())
                    .show_ui(ui, |ui| {
                        for k in FrameKind::ALL {
                            ui.selectable_value(&mut kind, k, k.name());
                        }
                    });
                ui.add(egui::Slider::new(&mut n_new, 9..=129).text("grid N"));
                ui.add(
                    egui::Slider::new(&mut r_new, 0.01..=20.0)
                        .logarithmic(true)
                        .text("range R"),
                );
                if (kind, n_new, r_new) != (surface.kind, n, r) {
                    link.send(Command::Landscape(kind, (n_new, r_new)));
                }
                let [c0, c1] = surface.axis_curvatures;
                ui.label(format!("curvature along the axes  {c0:.4}, {c1:.4}"));
            }
            ui.separator();
            ui.collapsing("data and model", |ui| {
                let running = &snapshot.config;
                let draft = live.model_draft.get_or_insert_with(|| running.clone());
                if model_ui(ui, draft, running) {
                    // A changed model means synthetic data: a problem file
                    // is kept only for a new seed.
                    let model = |c: &SessionConfig| {
                        (c.data, c.noise.to_bits(), c.hidden.clone(), c.activation)
                    };
                    let problem = (model(draft) == model(running))
                        .then(|| draft.problem.clone())
                        .flatten();
                    // The optimizer and plane settings carry over.
                    let config = SessionConfig {
                        problem,
                        settings: running.settings,
                        frame: running.frame,
                        grid: running.grid,
                        ..draft.clone()
                    };
                    link.send(Command::Reset(config));
                    live.model_draft = None;
                    live.history.clear();
                }
            });
            ui.separator();
            if let Some(s) = optimizer_ui(ui, snapshot.settings) {
                link.send(Command::Settings(s));
            }
            let mut speed = live.steps_per_second;
            if ui
                .add(
                    egui::Slider::new(&mut speed, 1.0..=100_000.0)
                        .logarithmic(true)
                        .text("steps / s"),
                )
                .changed()
            {
                live.steps_per_second = speed;
                link.send(Command::Speed(speed));
            }
            ui.horizontal(|ui| {
                let label = if live.paused { "resume" } else { "pause" };
                if ui.button(label).clicked() {
                    live.paused = !live.paused;
                    link.send(Command::Pause(live.paused));
                }
                if ui.button("step").clicked() {
                    link.send(Command::Step);
                }
                ui.checkbox(&mut bowl.0, "stability bowl");
            });
            ui.horizontal(|ui| {
                if ui.button("restart").clicked() {
                    restart(&link, &mut live);
                }
                if ui.button("reset camera").clicked() {
                    camera.write(ResetCamera);
                }
                if ui.button("screenshot").clicked() {
                    let path = format!("curvscope-step{}.png", snapshot.step);
                    commands
                        .spawn(Screenshot::primary_window())
                        .observe(save_to_disk(path));
                }
            });
            ui.small("keys: space pause · S step · R restart · C camera · B bowl");
            ui.separator();
            let series = |k: usize| -> PlotPoints {
                live.history
                    .iter()
                    .filter(|h| h[k].is_finite())
                    .map(|h| [h[0], h[k]])
                    .collect()
            };
            Plot::new("losses").height(110.0).show(ui, |p| {
                p.line(Line::new("train loss", series(1)));
                p.line(Line::new("test loss", series(2)));
            });
            let eta = snapshot.settings.learning_rate;
            let limit = 2.0 * (1.0 + snapshot.settings.momentum) / eta;
            Plot::new("sharpness").height(110.0).show(ui, |p| {
                p.line(Line::new("λmax", series(3)));
                let last = live.history.last().map_or(1.0, |h| h[0]);
                p.line(Line::new(
                    "2(1+β)/η",
                    PlotPoints::from(vec![[0.0, limit], [last, limit]]),
                ));
            });
        });
    Ok(())
}
