//! The curvature windows' widgets: a run's spectrum (density, outliers,
//! 2(1+β)/η), its waterfall (the spectrum over the steps as a heat strip),
//! its layers' bars and its Hessian as a heatmap. The two pictures are
//! textures, rebuilt only when what they show changes ([`Picture`]).

use super::readouts::{RUN_COLORS, legend, limit_line, plot, small_number};
use super::state::RunView;
use bevy_egui::egui;
use curvscope_core::colormap::viridis_srgb;
use curvscope_core::curvature::layers::{HEATMAP_SIDE, Heatmap};
use curvscope_core::curvature::spectrum::SpectrumMethod;
use curvscope_core::curvature::waterfall::{Axis, RASTER_ROWS, RASTER_WIDTH, Raster};
use egui_plot::{HoverPosition, Line, PlotImage, PlotPoint, PlotPoints, Points};
use std::time::Instant;

/// The heatmap's size on screen, in points (one run; twins get two
/// thirds of it each).
pub const HEATMAP_POINTS: f32 = 300.0;

/// An axis label: three significant digits (0 reads "0"; below 10⁻³ in
/// scientific notation).
pub fn axis_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".to_string();
    }
    if x.abs() < 1e-3 {
        return format!("{x:.1e}");
    }
    let decimals = (2 - x.abs().log10().floor() as i64).max(0) as usize;
    format!("{x:.decimals$}")
}

/// A texture and the key of what it shows: rebuilt when the key changes.
/// A picture of the same size is written into the texture it has (a new
/// texture reaches the screen a frame late, so replacing it would blink).
#[derive(Default)]
pub struct Picture {
    texture: Option<egui::TextureHandle>,
    key: Option<PictureKey>,
    rebuilds: u64,
    /// Wall time of the last rebuild (raster and upload).
    pub build_seconds: f64,
    /// The largest |value| drawn (the heatmap's scale).
    max_abs: f64,
}

/// What a picture shows: the run's generation, its newest inspection's
/// step, its number of columns, and the scale.
pub type PictureKey = (u64, u64, usize, bool);

impl Picture {
    /// "; drawn in X ms", or nothing when `costs` is false.
    pub fn cost_text(&self, costs: bool) -> String {
        if costs {
            format!("; drawn in {:.1} ms", 1e3 * self.build_seconds)
        } else {
            String::new()
        }
    }

    /// The texture for `key`, built by `build` when the key changed (None
    /// when there is nothing to show).
    fn texture(
        &mut self,
        ctx: &egui::Context,
        name: &str,
        key: PictureKey,
        build: impl FnOnce() -> Option<egui::ColorImage>,
    ) -> Option<&egui::TextureHandle> {
        if self.key != Some(key) {
            let start = Instant::now();
            let options = egui::TextureOptions::NEAREST;
            match (build(), self.texture.as_mut()) {
                (Some(image), Some(texture)) if texture.size() == image.size => {
                    texture.set_partial([0, 0], image, options);
                }
                (Some(image), _) => self.texture = Some(ctx.load_texture(name, image, options)),
                (None, _) => self.texture = None,
            }
            self.key = Some(key);
            self.rebuilds += 1;
            self.build_seconds = start.elapsed().as_secs_f64();
        }
        self.texture.as_ref()
    }
}

/// A run's two pictures.
#[derive(Default)]
pub struct RunPictures {
    /// The waterfall.
    pub waterfall: Picture,
    /// The Hessian heatmap.
    pub heatmap: Picture,
}

/// The waterfall's colour of a cell shade (None: see-through).
pub fn waterfall_color(shade: Option<f32>) -> egui::Color32 {
    match shade {
        None => egui::Color32::TRANSPARENT,
        Some(t) => {
            let [r, g, b] = viridis_srgb(0.35 + 0.65 * t).map(|c| (c * 255.0).round() as u8);
            egui::Color32::from_rgb(r, g, b)
        }
    }
}

/// The waterfall raster as an image, row 0 on top.
pub fn waterfall_image(raster: &Raster) -> egui::ColorImage {
    let pixels = (0..raster.rows)
        .flat_map(|row| (0..raster.width).map(move |col| (row, col)))
        .map(|(row, col)| waterfall_color(raster.shade(row, col)))
        .collect();
    egui::ColorImage::new([raster.width, raster.rows], pixels)
}

/// The heatmap's diverging colour of a shade in [−1, 1]: red for positive
/// entries, blue for negative ones, dark grey at 0.
pub fn heatmap_color(shade: f64) -> egui::Color32 {
    const ZERO: [f32; 3] = [28.0, 28.0, 32.0];
    const POSITIVE: [f32; 3] = [250.0, 96.0, 60.0];
    const NEGATIVE: [f32; 3] = [70.0, 150.0, 255.0];
    let s = shade.clamp(-1.0, 1.0) as f32;
    let end = if s >= 0.0 { POSITIVE } else { NEGATIVE };
    let [r, g, b] = std::array::from_fn(|k| (ZERO[k] + s.abs() * (end[k] - ZERO[k])).round() as u8);
    egui::Color32::from_rgb(r, g, b)
}

/// The heatmap as an image (row i: parameter i).
pub fn heatmap_image(heatmap: &Heatmap, log: bool) -> egui::ColorImage {
    let pixels = heatmap
        .values
        .iter()
        .map(|v| heatmap_color(heatmap.shade(*v, log)))
        .collect();
    egui::ColorImage::new([heatmap.side, heatmap.side], pixels)
}

/// The spectrum's density at the newest inspection (SLQ: with its band of
/// one standard error over the probes): the top eigenvalues marked, the stability limit 2(1+β)/η as a line where it is within twice
/// the spectrum's reach; `log`: a signed log |λ| axis.
pub fn spectrum_plot(ui: &mut egui::Ui, run: &RunView, id: usize, generation: u64, log: bool) {
    let Some(inspection) = run.inspection.as_ref() else {
        return;
    };
    let s = &inspection.spectrum;
    let axis = if log {
        Axis::SignedLog {
            scale: s.sigma.max(1e-300),
        }
    } else {
        Axis::Linear
    };
    let x = |l: f64| axis.to_axis(l);
    let curve = |density: &[f64]| -> PlotPoints<'static> {
        s.lambda
            .iter()
            .zip(density)
            .map(|(l, d)| [x(*l), *d])
            .filter(|p| p[0].is_finite() && p[1].is_finite())
            .collect()
    };
    let points = curve(&s.density);
    let band =
        (s.method == SpectrumMethod::Slq).then(|| (curve(&s.density_low), curve(&s.density_high)));
    let top = s.density.iter().copied().fold(0.0, f64::max);
    let outliers: PlotPoints<'static> = s.outliers.iter().map(|l| [x(*l), 0.0]).collect();
    let limit = inspection.limit;
    let reach = s.lambda.last().copied().unwrap_or(0.0);
    plot(
        &format!("spectrum {id} {log}"),
        generation ^ inspection.step,
        110.0,
    )
    .legend(legend())
    .x_axis_formatter(move |mark, _| axis_number(axis.to_lambda(mark.value)))
    .show(ui, |p| {
        p.line(Line::new("density of eigenvalues", points).color(RUN_COLORS[0]));
        if let Some((low, high)) = band {
            let faint = RUN_COLORS[0].gamma_multiply(0.4);
            p.line(Line::new("± 1 s.e. over the probes", low).color(faint));
            p.line(Line::new("± 1 s.e. over the probes", high).color(faint));
        }
        p.points(
            Points::new("top eigenvalues", outliers)
                .radius(3.0)
                .color(egui::Color32::from_rgb(255, 120, 90)),
        );
        if limit.is_finite() && limit <= 2.0 * reach {
            p.line(limit_line(
                "2(1+β)/η".into(),
                vec![[x(limit), 0.0], [x(limit), top]].into(),
            ));
        }
    });
}

/// One line on the newest inspection: step, method, cost (unless `costs`
/// is false: a recording shows no wall-clock figures), broadening, the
/// negative eigenvalues (exact spectra: how many, how many of them beyond
/// the broadening σ, the smallest) and 2(1+β)/η.
pub fn inspection_line(run: &RunView, costs: bool) -> Option<String> {
    let inspection = run.inspection.as_ref()?;
    let s = &inspection.spectrum;
    let negative = s.eigenvalues.as_ref().map_or(String::new(), |ev| {
        let n = ev.iter().filter(|l| **l < 0.0).count();
        // Those within σ of 0 are part of the bulk's peak in the density.
        let beyond = ev.iter().filter(|l| **l < -s.sigma).count();
        format!(
            "; {n} of {} negative ({beyond} below −σ), λmin = {}",
            ev.len(),
            small_number(ev.first().copied().unwrap_or(0.0))
        )
    });
    let cost = if costs {
        format!(" in {:.0} ms", 1e3 * inspection.seconds)
    } else {
        String::new()
    };
    Some(format!(
        "step {}: {} spectrum{cost}, σ = {}{negative}; 2(1+β)/η = {}",
        inspection.step,
        s.method.name(),
        small_number(s.sigma),
        axis_number(inspection.limit)
    ))
}

/// The waterfall: x = step, y = λ (signed log |λ| when `log`), the
/// eigenvalues' share as colour (viridis on a log scale, from one
/// eigenvalue to all), with 2(1+β)/η over the steps as a dashed line.
pub fn waterfall_plot(
    ui: &mut egui::Ui,
    run: &RunView,
    id: usize,
    generation: u64,
    log: bool,
    picture: &mut Picture,
) {
    let waterfall = &run.waterfall;
    let axis = if log {
        waterfall.signed_log_axis()
    } else {
        Axis::Linear
    };
    let Some(raster) = waterfall.raster(axis, RASTER_ROWS, RASTER_WIDTH) else {
        return;
    };
    let newest = waterfall.columns().last().map_or(0, |c| c.step);
    let key = (generation, newest, waterfall.columns().len(), log);
    let Some(texture) = picture.texture(ui.ctx(), &format!("waterfall {id}"), key, || {
        Some(waterfall_image(&raster))
    }) else {
        return;
    };
    let (lo, hi) = raster.y_range;
    let (first, last) = raster.steps;
    let image = PlotImage::new(
        "spectrum",
        texture.id(),
        PlotPoint::new(0.5 * (first + last), 0.5 * (lo + hi)),
        [(last - first) as f32, (hi - lo) as f32],
    );
    let limits: PlotPoints<'static> = waterfall
        .columns()
        .iter()
        .map(|c| [c.step as f64, axis.to_axis(c.limit)])
        .filter(|p| p[1] > lo && p[1] < hi)
        .collect();
    plot(&format!("waterfall {id} {log}"), generation, 150.0)
        .legend(legend())
        .include_y(lo)
        .include_y(hi)
        .y_axis_formatter(move |mark, _| axis_number(axis.to_lambda(mark.value)))
        .label_formatter(move |h| {
            let (HoverPosition::NearDataPoint { position, .. }
            | HoverPosition::Elsewhere { position }) = h;
            Some(format!(
                "step {:.0}\nλ = {}",
                position.x,
                small_number(axis.to_lambda(position.y))
            ))
        })
        .show(ui, |p| {
            p.image(image);
            p.line(limit_line("2(1+β)/η".into(), limits));
        });
}

/// Each layer's block: its top eigenvalue and its trace, as bars.
pub fn layer_bars(ui: &mut egui::Ui, run: &RunView, id: usize, generation: u64) {
    let Some(inspection) = run.inspection.as_ref() else {
        return;
    };
    let bars: Vec<egui_plot::Bar> = inspection
        .layers
        .iter()
        .map(|l| egui_plot::Bar::new(l.layer as f64 + 1.0, l.top).width(0.35))
        .collect();
    let traces: Vec<egui_plot::Bar> = inspection
        .layers
        .iter()
        .map(|l| egui_plot::Bar::new(l.layer as f64 + 1.4, l.trace).width(0.35))
        .collect();
    plot(&format!("layers {id}"), generation ^ inspection.step, 90.0)
        .legend(legend())
        .show(ui, |p| {
            p.bar_chart(egui_plot::BarChart::new("top eigenvalue", bars).color(RUN_COLORS[0]));
            p.bar_chart(egui_plot::BarChart::new("trace", traces).color(RUN_COLORS[1]));
        });
}

/// The newest inspection's Hessian as a heatmap (signed, log |H| over
/// four decades or linear), white lines at the layer boundaries, the entry
/// under the pointer in its hover text; `side` points on a side, and
/// `costs`: say what drawing it cost.
pub fn heatmap(
    ui: &mut egui::Ui,
    run: &RunView,
    id: usize,
    generation: u64,
    log: bool,
    picture: &mut Picture,
    (side, costs): (f32, bool),
) {
    let Some(inspection) = run.inspection.as_ref() else {
        ui.label("no spectrum measured yet");
        return;
    };
    let Some(matrix) = inspection.picture.as_ref() else {
        ui.label("above 2000 parameters: no dense Hessian to draw");
        return;
    };
    let p = matrix.matrix.nrows();
    let key = (generation, inspection.step, p, log);
    let mut max_abs = picture.max_abs;
    let Some(texture) = picture.texture(ui.ctx(), &format!("hessian {id}"), key, || {
        let map = matrix.binned(HEATMAP_SIDE);
        max_abs = map.max_abs;
        Some(heatmap_image(&map, log))
    }) else {
        return;
    };
    let texture = texture.id();
    picture.max_abs = max_abs;
    ui.set_max_width(side);
    let size = egui::vec2(side, side);
    let response = ui.add(egui::Image::new((texture, size)).sense(egui::Sense::hover()));
    let rect = response.rect;
    let painter = ui.painter_at(rect);
    let stroke = egui::Stroke::new(1.0, egui::Color32::WHITE.gamma_multiply(0.7));
    for layer in &matrix.layers[1..] {
        let b = layer.start as f32 / p as f32;
        let x = rect.left() + rect.width() * b;
        let y = rect.top() + rect.height() * b;
        painter.line_segment(
            [egui::pos2(x, rect.top()), egui::pos2(x, rect.bottom())],
            stroke,
        );
        painter.line_segment(
            [egui::pos2(rect.left(), y), egui::pos2(rect.right(), y)],
            stroke,
        );
    }
    if let Some(pos) = response.hover_pos() {
        let cell = |t: f32| ((t * p as f32) as usize).min(p - 1);
        let (i, j) = (
            cell((pos.y - rect.top()) / rect.height()),
            cell((pos.x - rect.left()) / rect.width()),
        );
        response.on_hover_text(format!("H[{i}, {j}] = {:.4e}", matrix.matrix[(i, j)]));
    }
    ui.small(format!(
        "step {}: {p}×{p}, max |H| = {}; red > 0, blue < 0{}{}",
        inspection.step,
        small_number(max_abs),
        if log {
            ", brightness log10 |H| over 4 decades"
        } else {
            ""
        },
        picture.cost_text(costs),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use curvscope_core::curvature::waterfall::Column;
    use curvscope_core::spec::SessionConfig;
    use curvscope_core::spec::{DataSource, ModelSpec, Synthetic};
    use curvscope_core::train::session::Session;
    use std::sync::Arc;

    /// Inspects `session` into `run`, as `Live::receive` does.
    fn inspect(session: &Session, run: &mut RunView) {
        let i = session.inspect().unwrap();
        let p = session.config().n_params();
        run.waterfall
            .push(Column::new(i.step, &i.spectrum, i.limit, p));
        run.inspection = Some(Arc::new(i));
    }

    /// One frame drawing both pictures; how often each was rebuilt.
    fn frame(
        ctx: &egui::Context,
        run: &RunView,
        pictures: &mut RunPictures,
        log: bool,
    ) -> [u64; 2] {
        let _ = ctx.run_ui(egui::RawInput::default(), |ui| {
            waterfall_plot(ui, run, 0, 0, log, &mut pictures.waterfall);
            heatmap(
                ui,
                run,
                0,
                0,
                log,
                &mut pictures.heatmap,
                (HEATMAP_POINTS, true),
            );
        });
        assert!(pictures.waterfall.texture.is_some() && pictures.heatmap.texture.is_some());
        [pictures.waterfall.rebuilds, pictures.heatmap.rebuilds]
    }

    #[test]
    fn the_line_tells_negative_eigenvalues_beyond_the_broadening_apart() {
        let session = Session::new(SessionConfig {
            data: DataSource::Synthetic(Synthetic {
                samples: (32, 8),
                ..Synthetic::default()
            }),
            model: ModelSpec {
                hidden: vec![4],
                ..ModelSpec::default()
            },
            grid: (3, 1.0),
            ..SessionConfig::default()
        })
        .unwrap();
        let mut inspection = session.inspect().unwrap();
        inspection.spectrum.eigenvalues = Some(vec![-1.5, -0.002, -0.0001, 0.3, 2.0]);
        inspection.spectrum.sigma = 0.01;
        let run = RunView {
            inspection: Some(Arc::new(inspection)),
            ..RunView::default()
        };
        let line = inspection_line(&run, false).unwrap();
        assert!(
            line.contains("; 3 of 5 negative (1 below −σ), λmin = -1.5000"),
            "{line}"
        );
    }

    #[test]
    fn the_pictures_are_rebuilt_only_when_what_they_show_changes() {
        let mut session = Session::new(SessionConfig {
            data: DataSource::Synthetic(Synthetic {
                samples: (32, 8),
                ..Synthetic::default()
            }),
            model: ModelSpec {
                hidden: vec![4],
                ..ModelSpec::default()
            },
            grid: (3, 1.0),
            ..SessionConfig::default()
        })
        .unwrap();
        let mut run = RunView::default();
        inspect(&session, &mut run);
        let ctx = egui::Context::default();
        let mut pictures = RunPictures::default();
        assert_eq!(frame(&ctx, &run, &mut pictures, false), [1, 1]);
        assert_eq!(frame(&ctx, &run, &mut pictures, false), [1, 1]);
        let id = pictures.heatmap.texture.as_ref().unwrap().id();
        session.train(5);
        inspect(&session, &mut run);
        assert_eq!(
            frame(&ctx, &run, &mut pictures, false),
            [2, 2],
            "a new inspection"
        );
        let same = pictures.heatmap.texture.as_ref().unwrap().id();
        assert_eq!(same, id, "written into the texture it had");
        assert_eq!(
            frame(&ctx, &run, &mut pictures, true),
            [3, 3],
            "another scale"
        );
    }

    #[test]
    fn empty_waterfall_cells_are_see_through_and_the_heatmap_keeps_the_sign() {
        assert_eq!(waterfall_color(None), egui::Color32::TRANSPARENT);
        // One eigenvalue's cell is visible (not the map's darkest purple).
        let one = waterfall_color(Some(0.0));
        assert!(one.a() == 255 && one.b() > 100, "{one:?}");
        assert_ne!(one, waterfall_color(Some(1.0)));
        let (pos, neg, zero) = (heatmap_color(1.0), heatmap_color(-1.0), heatmap_color(0.0));
        assert!(pos.r() > 200 && pos.b() < 100, "{pos:?}");
        assert!(neg.b() > 200 && neg.r() < 100, "{neg:?}");
        assert_eq!(zero, egui::Color32::from_rgb(28, 28, 32));
        assert_eq!(heatmap_color(7.0), pos);
    }

    #[test]
    fn axis_numbers_keep_three_significant_digits() {
        let cases = [
            (0.0, "0"),
            (40.0, "40.0"),
            (10000.0, "10000"),
            (0.0134, "0.0134"),
            (-2.5, "-2.50"),
            (2e-5, "2.0e-5"),
        ];
        for (x, text) in cases {
            assert_eq!(axis_number(x), text, "{x}");
        }
    }
}
