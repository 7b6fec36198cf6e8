//! The egui side panel: readouts, training, optimizer, landscape, data and
//! model sections and the plots.

use super::line_views::lines_ui;
use super::readouts::{plots, run_readouts};
use super::record::LiveRecorder;
use super::shortcuts::help_line;
use super::state::{
    CurvatureWindows, DrawSet, Live, PanelWidth, ResetCamera, SaveLesson, ShowBowl, SurfaceScale,
    TakeScreenshot, TakingPicture, TrainingLink, ensure_state,
};
use super::stats::{FrameStats, StatsPlugin};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use curvscope_core::defaults;
use curvscope_core::io::export::{grid_csv, grid_json, save, series_csv, surface_glb, surface_ply};
use curvscope_core::lesson::{Lesson, beside};
use curvscope_core::model::activation::Activation;
use curvscope_core::train::runner::Command;
use curvscope_core::train::session::{CannotStart, PlaneKind, SessionConfig};
use curvscope_core::train::synthetic::DataKind;
use curvscope_core::train::trainer::TrainerSettings;
use std::path::PathBuf;
use std::sync::Arc;

/// Draws the side panel (unless `panel` is false: a bare view for videos).
pub struct UiPlugin {
    /// Whether the side panel is shown.
    pub panel: bool,
    /// Whether the 1D views window is open at the start.
    pub lines_window: bool,
}

/// What the panel itself remembers between frames (nothing the runner
/// reports): the data-and-model draft and which run the optimizer
/// controls act on.
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
}

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        if !app.is_plugin_added::<StatsPlugin>() {
            app.add_plugins(StatsPlugin);
        }
        app.insert_resource(Panel {
            show_lines: self.lines_window,
            ..Panel::default()
        })
        .add_systems(Update, sync_lines);
        if self.panel {
            app.add_systems(EguiPrimaryContextPass, panel.in_set(DrawSet::Panel));
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

/// The optimizer controls for a run with `samples` training samples;
/// returns the new settings if the user changed any.
pub fn optimizer_ui(
    ui: &mut egui::Ui,
    current: TrainerSettings,
    samples: usize,
) -> Option<TrainerSettings> {
    let mut s = current;
    learning_rate_ui(ui, &mut s.learning_rate);
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
    let momentum = holding(0.0, 0.99, s.momentum);
    ui.add(egui::Slider::new(&mut s.momentum, momentum).text("momentum β"));
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

/// A slider range from `lo` to `hi` stretched to hold `value`, so that a
/// setting from a lesson or the command line is never changed by a
/// widget's range.
fn holding<T: PartialOrd + Copy>(lo: T, hi: T, value: T) -> std::ops::RangeInclusive<T> {
    let lo = if value < lo { value } else { lo };
    let hi = if value > hi { value } else { hi };
    lo..=hi
}

/// A surface's plane with its grid points per side and half-width.
pub type Landscape = (PlaneKind, (usize, f64));

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

/// Everything the panel changes besides the training thread.
#[derive(bevy::ecs::system::SystemParam)]
pub struct ViewControls<'w> {
    bowl: ResMut<'w, ShowBowl>,
    scale: ResMut<'w, SurfaceScale>,
    width: ResMut<'w, PanelWidth>,
    camera: MessageWriter<'w, ResetCamera>,
    shots: MessageWriter<'w, TakeScreenshot>,
    picture: Res<'w, TakingPicture>,
    lessons: MessageWriter<'w, SaveLesson>,
    recorder: ResMut<'w, LiveRecorder>,
    panel: ResMut<'w, Panel>,
    stats: Res<'w, FrameStats>,
    windows: ResMut<'w, CurvatureWindows>,
}

fn panel(
    mut contexts: EguiContexts,
    link: Res<TrainingLink>,
    mut live: ResMut<Live>,
    mut view: ViewControls,
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
            egui::ScrollArea::vertical().show(ui, |ui| {
                panel_contents(ui, &link, &mut live, &mut view);
            });
        });
    let width = response.response.rect.width();
    if view.width.0 != width {
        view.width.0 = width;
    }
    Ok(())
}

fn panel_contents(
    ui: &mut egui::Ui,
    link: &TrainingLink,
    live: &mut Live,
    view: &mut ViewControls,
) {
    ui.heading("curvscope");
    if let Some(failure) = &live.failure {
        ui.colored_label(
            egui::Color32::from_rgb(240, 90, 80),
            format!("training stopped by an internal error: {failure}. Please report it; restart the app to go on."),
        );
    }
    if live.latest().is_none() {
        if live.failure.is_none() {
            ui.label("starting…");
        }
        return;
    }
    if !live.scripted {
        lesson_menu(ui, link, live);
    }
    if !live.title.is_empty() {
        ui.strong(&live.title);
    }
    readouts_section(ui, live);
    ui.separator();
    lines_window(ui, live, &mut view.panel);
    if live.scripted {
        // A recording shows what happens, not the controls.
        plots(ui, &live.runs, live.generation);
        return;
    }
    training_section(ui, link, live, view);
    ui.separator();
    optimizer_section(ui, link, live, &mut view.panel);
    ui.separator();
    landscape_section(ui, link, live, view);
    ui.separator();
    ui.collapsing("spectrum and layers", |ui| {
        spectrum_section(ui, link, live, &mut view.windows)
    });
    ui.checkbox(&mut view.panel.show_lines, "1D views (window)")
        .on_hover_text(
            "The loss along the straight line from the start to now (Goodfellow et al. 2015), \
             and along each tracked eigenvector with its quadratic model L + (g·v)a + ½λa²: \
             where the quadratic picture holds and where it breaks.",
        );
    ui.collapsing("data and model", |ui| {
        model_section(ui, link, live, &mut view.panel)
    });
    ui.collapsing("export and record", |ui| {
        export_section(
            ui,
            link,
            live,
            &mut view.panel,
            &mut view.recorder,
            &mut view.lessons,
        )
    });
    finish_export(link, live, &mut view.panel);
    // The newest outcome of a file written (exports, screenshots, problem
    // files) and the record button's state, each on its own line.
    if let Some(notice) = &live.notice {
        ui.small(notice);
    }
    if let Some(message) = view.recorder.message().filter(|m| !m.is_empty()) {
        ui.small(message);
    }
    ui.separator();
    plots(ui, &live.runs, live.generation);
}

/// Asks the runner for the 1D views while their window is open, and
/// stops them when it closes (they cost a seventh of a refresh).
pub fn sync_lines(
    panel: Res<Panel>,
    link: Option<Res<TrainingLink>>,
    mut sent: Local<Option<bool>>,
) {
    if *sent != Some(panel.show_lines)
        && let Some(link) = link
    {
        link.send(Command::Lines(panel.show_lines));
        *sent = Some(panel.show_lines);
    }
}

/// The 1D views window beside the panel, while it is open (in recordings
/// too, with `--lines-window`).
fn lines_window(ui: &egui::Ui, live: &Live, panel: &mut Panel) {
    egui::Window::new("1D views")
        .open(&mut panel.show_lines)
        .order(egui::Order::Foreground)
        .default_width(400.0)
        .default_pos(ui.max_rect().right_top() + egui::vec2(16.0, 90.0))
        .show(ui.ctx(), |ui| {
            lines_ui(ui, &live.runs, &mut panel.lines_run)
        });
}

/// Picks a bundled lesson: its runs, timeline, speed and view replace the
/// current ones.
/// The whole curvature: measure it now, or as training goes (the
/// waterfall), and the two windows that show it.
fn spectrum_section(
    ui: &mut egui::Ui,
    link: &TrainingLink,
    live: &Live,
    windows: &mut CurvatureWindows,
) {
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

fn lesson_menu(ui: &mut egui::Ui, link: &TrainingLink, live: &Live) {
    let mut chosen = None;
    egui::ComboBox::from_label("lesson")
        .selected_text(if live.title.is_empty() {
            "choose a lesson…"
        } else {
            live.title.as_str()
        })
        .show_ui(ui, |ui| {
            for name in Lesson::names() {
                if ui.selectable_label(false, name).clicked() {
                    chosen = Some(name);
                }
            }
        });
    let Some(name) = chosen else {
        return;
    };
    // The bundled lessons are checked by the tests, so this only fails if
    // the binary is broken; say so rather than crash.
    match Lesson::bundled(name) {
        // Its view reaches the screen with the runner's next update.
        Ok(lesson) => link.send(Command::Lesson(Box::new(lesson))),
        Err(e) => error!("{e}"),
    }
}

fn readouts_section(ui: &mut egui::Ui, live: &Live) {
    let n = live.runs.len();
    ui.columns(n.max(1), |columns| {
        for (column, run) in columns.iter_mut().zip(&live.runs) {
            run_readouts(column, run);
        }
    });
}

fn training_section(
    ui: &mut egui::Ui,
    link: &TrainingLink,
    live: &mut Live,
    view: &mut ViewControls,
) {
    let mut speed = live.steps_per_second;
    if ui
        .add(
            egui::Slider::new(&mut speed, defaults::MIN_SPEED..=defaults::MAX_SPEED)
                .logarithmic(true)
                .text("steps / s"),
        )
        .changed()
    {
        live.steps_per_second = speed;
        link.send(Command::Speed(speed));
    }
    let all_diverged = live
        .runs
        .iter()
        .all(|r| r.latest.as_ref().is_some_and(|s| s.diverged.is_some()));
    if all_diverged {
        ui.small("training stopped: diverged (restart, or change η and restart)");
    } else {
        ui.small(format!(
            "training {:.0} steps/s · curvature + surface {:.0} ms, {:.1} refreshes/s",
            live.achieved_steps_per_second,
            1e3 * live.measure_seconds,
            view.stats.refresh_hz
        ));
    }
    ui.small(format!(
        "{:.1} frames/s · input to readout {}",
        view.stats.fps,
        live.input_latency
            .map_or("—".to_string(), |l| format!("{:.0} ms", 1e3 * l))
    ));
    // Paused for a picture only: the controls as they were.
    let paused = live.paused && !view.picture.0;
    if paused {
        ui.colored_label(
            egui::Color32::from_rgb(225, 180, 40),
            "paused: space or \"resume\" trains on, S or \"step\" takes one step",
        );
    }
    ui.horizontal(|ui| {
        let label = if paused { "resume" } else { "pause" };
        if ui.button(label).clicked() {
            link.send(Command::Pause(!live.paused));
        }
        if ui.button("step").clicked() {
            link.send(Command::Step);
        }
        if ui.button("restart").clicked() {
            link.send(Command::Restart);
        }
        if ui
            .button("screenshot")
            .on_hover_text("A PNG of the window with the lesson that reproduces it inside: `curvscope --lesson FILE.png` replays the run to this step.")
            .clicked()
        {
            view.shots.write(TakeScreenshot::named_by_step());
        }
        if ui
            .button("save lesson")
            .on_hover_text("Writes the run so far (every setting change at its step) as a lesson that replays it bit for bit to this step and pauses there.")
            .clicked()
        {
            view.lessons.write(SaveLesson::named_by_step(live));
        }
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut view.bowl.0, "stability bowl")
            .on_hover_text("The quadratic bowl of curvature 2(1+β)/η through the current point: where the surface curves more steeply than the bowl, steps of this η overshoot (B toggles it).");
        if ui.button("reset camera").clicked() {
            view.camera.write(ResetCamera);
        }
    });
    ui.label(help_line());
}

fn optimizer_section(ui: &mut egui::Ui, link: &TrainingLink, live: &Live, panel: &mut Panel) {
    let n = live.runs.len();
    if n > 1 {
        ui.horizontal(|ui| {
            ui.label("optimizer of");
            for i in 0..n {
                let label = live.runs[i].label.clone();
                ui.selectable_value(&mut panel.controlled, i, label);
            }
        });
    }
    let i = panel.controlled.min(n.saturating_sub(1));
    let Some(snapshot) = live.runs.get(i).and_then(|r| r.latest.as_ref()) else {
        return;
    };
    if let Some(s) = optimizer_ui(ui, snapshot.settings, snapshot.config.samples.0) {
        link.send(Command::Settings(i, s));
    }
}

fn landscape_section(ui: &mut egui::Ui, link: &TrainingLink, live: &Live, view: &mut ViewControls) {
    let Some(config) = live.latest().map(|s| s.config.clone()) else {
        return;
    };
    let configs = live.configs();
    let twins_share = matches!(&configs[..], [a, b] if a.same_landscape(b));
    let (landscape, top_k) = landscape_ui(ui, &config, twins_share);
    if let Some((kind, grid)) = landscape {
        link.send(Command::Landscape(kind, grid));
    }
    if let Some(k) = top_k {
        link.send(Command::TopK(k));
    }
    let factor = holding(0.1, 5.0, view.scale.factor);
    ui.add(
        egui::Slider::new(&mut view.scale.factor, factor)
            .logarithmic(true)
            .text("height ×"),
    );
    ui.checkbox(
        &mut view.scale.log,
        "log scale (height and colour by log loss)",
    );
    for run in &live.runs {
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

fn model_section(ui: &mut egui::Ui, link: &TrainingLink, live: &Live, panel: &mut Panel) {
    let configs = live.configs();
    let Some(running) = configs.first() else {
        return;
    };
    let draft = panel.draft(live.generation, running);
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
        link.send(Command::Reset(rebuilt));
        panel.rebuilding(live.generation + 1, draft);
    }
}

/// The file name of an export: `curvscope[-run]-step<N>.<ext>` in the
/// working folder (the run's label, lowercase, spaces as dashes).
pub fn export_name(label: &str, step: u64, ext: &str) -> std::path::PathBuf {
    let slug: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        format!("curvscope-step{step}.{ext}").into()
    } else {
        format!("curvscope-{slug}-step{step}.{ext}").into()
    }
}

/// An "export all" waiting for the runs to pause and be measured at the
/// step they show, so that every file of one click is of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingExport {
    /// The generation it was asked in (a restart drops it).
    generation: u64,
    /// Whether training was running (it resumes after the export).
    resume: bool,
    /// Where the files go.
    folder: PathBuf,
    /// Only the model (safetensors) and its lesson, not every format.
    model_only: bool,
}

impl PendingExport {
    /// An export into `folder` asked for now: pauses the runs (to resume
    /// after) unless they are paused.
    pub fn ask(link: &TrainingLink, live: &Live, folder: PathBuf) -> Self {
        if !live.paused {
            link.send(Command::Pause(true));
        }
        Self {
            generation: live.generation,
            resume: !live.paused,
            folder,
            model_only: false,
        }
    }

    /// [`PendingExport::ask`] for the model (safetensors) and its lesson only.
    pub fn ask_model(link: &TrainingLink, live: &Live, folder: PathBuf) -> Self {
        Self {
            model_only: true,
            ..Self::ask(link, live, folder)
        }
    }
}

/// Whether every run is paused with its curvature and surface measured at
/// the step it shows: then an export is of one step throughout.
pub fn ready_to_export(live: &Live) -> bool {
    live.paused_and_measured()
}

/// Writes every run's files for the step they show: the problem file (by
/// the runner, which is paused at that step), the surface (glTF, PLY), the
/// grid (CSV, JSON) and the time series (CSV); returns the notice.
fn export_all(link: &TrainingLink, live: &Live, folder: &std::path::Path) -> String {
    let mut written = Vec::new();
    let mut failed = Vec::new();
    for (i, run) in live.runs.iter().enumerate() {
        let Some(snapshot) = run.latest.as_ref() else {
            continue;
        };
        let name = |ext: &str| folder.join(export_name(&run.label, snapshot.step, ext));
        link.send(Command::SaveProblem(i, name("json")));
        link.send(Command::SaveModel(i, name("safetensors")));
        let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        if let Some(surface) = &snapshot.surface {
            files.push((name("glb"), surface_glb(surface)));
            files.push((name("ply"), surface_ply(surface).into_bytes()));
            files.push((name("grid.csv"), grid_csv(surface).into_bytes()));
            files.push((name("grid.json"), grid_json(surface).into_bytes()));
        }
        let rows: Vec<_> = run
            .history
            .iter()
            .filter(|h| h.step <= snapshot.step)
            .cloned()
            .collect();
        files.push((name("series.csv"), series_csv(&rows).into_bytes()));
        for (path, bytes) in files {
            match save(&path, &bytes) {
                Ok(()) => written.push(path),
                Err(e) => failed.push(e.to_string()),
            }
        }
    }
    match (written.first(), failed.first()) {
        (_, Some(error)) => error.clone(),
        (Some(first), None) => format!(
            "wrote {} files of step {} ({} …), the problem and model files and their lesson",
            written.len(),
            live.latest().map_or(0, |s| s.step),
            first.display()
        ),
        (None, None) => "nothing to export yet".to_string(),
    }
}

/// Asks the runner for every run's model (safetensors) of the step shown,
/// each with its lesson beside it (the runner's notice says what it wrote).
fn export_models(link: &TrainingLink, live: &Live, folder: &std::path::Path) -> String {
    for (i, run) in live.runs.iter().enumerate() {
        if let Some(s) = &run.latest {
            let path = folder.join(export_name(&run.label, s.step, "safetensors"));
            link.send(Command::SaveModel(i, path));
        }
    }
    "writing the model…".to_string()
}

/// Finishes a pending "export all" once the runs are ready (see
/// [`ready_to_export`]); drops it when the run was restarted.
pub fn finish_export(link: &TrainingLink, live: &mut Live, panel: &mut Panel) {
    let Some(pending) = panel.export.clone() else {
        return;
    };
    if pending.generation != live.generation {
        panel.export = None;
        return;
    }
    if !ready_to_export(live) {
        return;
    }
    panel.export = None;
    live.notice = Some(if pending.model_only {
        export_models(link, live, &pending.folder)
    } else {
        export_all(link, live, &pending.folder)
    });
    if pending.resume {
        link.send(Command::Pause(false));
    }
}

/// The export button (every format of one step, see [`export_all`]) and
/// the record button.
fn export_section(
    ui: &mut egui::Ui,
    link: &TrainingLink,
    live: &mut Live,
    panel: &mut Panel,
    recorder: &mut LiveRecorder,
    lessons: &mut MessageWriter<SaveLesson>,
) {
    let label = if panel.export.is_some() {
        "exporting…"
    } else {
        "export all: problem, model, surface, grid, series"
    };
    let button = ui
        .add_enabled(panel.export.is_none(), egui::Button::new(label))
        .on_hover_text(
            "Pauses, measures at this step, writes curvscope[-run]-stepN.json (problem), \
             .safetensors (model) and .lesson.json (the run as a lesson), .glb and .ply \
             (surface), .grid.csv and .grid.json, .series.csv into the working folder, \
             then resumes.",
        );
    if button.clicked() {
        panel.export = Some(PendingExport::ask(link, live, PathBuf::from(".")));
    }
    let model = ui.button("export model (safetensors)").on_hover_text(
        "Pauses, writes each run's network and parameters at this step as \
         curvscope[-run]-stepN.safetensors (PyTorch names 0.weight, 0.bias, 2.weight, …) \
         with the run as a lesson beside it, then resumes.",
    );
    if model.clicked() && panel.export.is_none() {
        panel.export = Some(PendingExport::ask_model(link, live, PathBuf::from(".")));
    }
    ui.separator();
    if recorder.is_recording() {
        if ui
            .button(format!("stop recording ({} frames)", recorder.frames()))
            .clicked()
            && let Some(folder) = recorder.stop()
        {
            lessons.write(SaveLesson {
                path: beside(&folder),
                announce: false,
            });
        }
    } else if ui.button("record video").clicked() {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        recorder.start(format!("curvscope-recording-{stamp}").into());
        live.notice = None;
    }
    ui.small(
        "Records the window as it renders (mp4 with ffmpeg, else PNG frames). \
         For frame-exact videos use `curvscope record`.",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Issue 10: `--momentum 0.999` ran at 0.99 and a lesson's η 1e-5 at
    /// 1e-4, grid 257 at 129 and range 50 at 20: the sliders clamped them
    /// and sent the clamped values.
    #[test]
    fn sliders_never_change_a_setting_they_did_not_move() {
        let settings = TrainerSettings {
            learning_rate: 1e-5,
            batch_size: Some(500),
            momentum: 0.999,
        };
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
            samples: (6000, 5000),
            noise: 2.0,
            hidden: vec![200, 8],
            ..SessionConfig::default()
        };
        let mut draft = lesson_model.clone();
        let rebuild = in_a_frame(|ui| model_ui(ui, &mut draft, &lesson_model));
        assert!(!rebuild);
        assert_eq!(draft, lesson_model, "the draft is the running model");
    }
}
