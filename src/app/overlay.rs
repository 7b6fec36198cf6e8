//! Text over the 3D view: the axis labels (direction names and their
//! curvatures), the runs' names, the lesson caption, the legend of colours
//! and marks, and the (a, b, loss) readout under the mouse.

use super::heights::{EXTENT, RUN_RGB, run_offset, world_point};
use super::state::{Caption, DrawSet, Live, PanelWidth, ShowBowl, ensure_state};
use super::surface::{AXIS_COLORS, Heights, axis_curve};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use curvscope_core::colormap::viridis_srgb;
use curvscope_core::landscape::plane::PlaneKind;
use curvscope_core::landscape::shared::SharedAxis;
use curvscope_core::landscape::surface::Surface;

/// Paints the overlay.
pub struct OverlayPlugin;

/// What the mouse points at on a surface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hovered {
    /// The run whose surface it is.
    pub run: usize,
    /// Slice coordinates.
    pub a: f64,
    /// See `a`.
    pub b: f64,
    /// The loss there (bilinear in the grid).
    pub loss: f64,
}

impl Plugin for OverlayPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.add_systems(EguiPrimaryContextPass, overlay.in_set(DrawSet::Overlay));
    }
}

/// An axis label: the direction's name and the curvature along it. An
/// eigenvector axis is named by its rank among the `top` eigenvalues (the
/// frame keeps its axes when eigenvalues cross, so the a axis is not always
/// the top one).
pub fn axis_label(kind: PlaneKind, axis: usize, curvature: f64, top: &[f64]) -> String {
    let is_eigen = matches!(
        (kind, axis),
        (PlaneKind::Eigen, _) | (PlaneKind::EigenRandom, 0)
    );
    if is_eigen {
        let rank = top
            .iter()
            .enumerate()
            .min_by(|x, y| (x.1 - curvature).abs().total_cmp(&(y.1 - curvature).abs()))
            .map_or(String::new(), |(k, _)| format!(" v{}", k + 1));
        format!("eigenvector{rank}  λ = {curvature:.4}")
    } else {
        // (Only glyphs the default egui font has.)
        let name = match (kind, axis) {
            (PlaneKind::EigenRandom, _) => "random, orthogonal to v1",
            (_, 0) => "random direction 1",
            _ => "random direction 2",
        };
        format!("{name}  curvature {curvature:.4}")
    }
}

/// The label of a PCA plane's axis: its principal direction, the share of
/// the path's spread along it, and its curvature.
pub fn pca_label(axis: usize, curvature: f64, explained: [f64; 2]) -> String {
    format!(
        "path direction {} ({:.0}% of the path)  curvature {curvature:.4}",
        axis + 1,
        100.0 * explained[axis]
    )
}

/// The label of a shared plane's axis: what the direction is (towards which
/// run from the common start, or which eigenvector while the runs have not
/// spread over two directions), with the runs' `labels`.
pub fn shared_label(axis: SharedAxis, labels: [&str; 2]) -> String {
    match axis {
        SharedAxis::Towards(0) => format!("from the start to {} now", labels[0]),
        SharedAxis::Towards(_) => format!("towards {} now (orthogonal part)", labels[1]),
        SharedAxis::Fallback(k) => format!(
            "eigenvector v{} of {} (the runs have not spread yet)",
            k + 1,
            labels[0]
        ),
    }
}

/// The label of a surface's axis (`top`: the tracked eigenvalues, `labels`:
/// the runs' names, for a shared plane).
pub fn surface_axis_label(
    surface: &Surface,
    axis: usize,
    top: &[f64],
    labels: [&str; 2],
) -> String {
    let curvature = surface.axis_curvatures[axis];
    match (surface.kind, surface.explained, &surface.shared) {
        (_, _, Some(shared)) => shared_label(shared.axes[axis], labels),
        (PlaneKind::Pca, Some(explained), _) => pca_label(axis, curvature, explained),
        // A PCA plane waits for a path with two directions on the
        // eigenvectors; a run alone on the shared plane has them too.
        (PlaneKind::Pca | PlaneKind::Shared, _, _) => {
            axis_label(PlaneKind::Eigen, axis, curvature, top)
        }
        (kind, _, _) => axis_label(kind, axis, curvature, top),
    }
}

/// The point where a ray first meets a surface drawn at `offset` (None if
/// it misses): the ray is marched in small steps and the crossing refined
/// by bisection on the bilinear height field.
pub fn hit_surface(
    ray: Ray3d,
    surface: &Surface,
    heights: &Heights,
    offset: f32,
) -> Option<(f64, f64, f64)> {
    let (n, m) = surface.loss.dim();
    let r = surface.coords.last().copied()?;
    // Grid coordinates (fractional indices) of a world point, if inside.
    let grid_at = |p: Vec3| -> Option<(f64, f64)> {
        let u = (p.x - offset + EXTENT) / (2.0 * EXTENT);
        let v = (p.z + EXTENT) / (2.0 * EXTENT);
        ((0.0..=1.0).contains(&u) && (0.0..=1.0).contains(&v))
            .then(|| (f64::from(u) * (n - 1) as f64, f64::from(v) * (m - 1) as f64))
    };
    let bilinear = |fi: f64, fj: f64| -> f64 {
        let (i, j) = ((fi as usize).min(n - 2), (fj as usize).min(m - 2));
        let (di, dj) = (fi - i as f64, fj - j as f64);
        let l = &surface.loss;
        l[(i, j)] * (1.0 - di) * (1.0 - dj)
            + l[(i + 1, j)] * di * (1.0 - dj)
            + l[(i, j + 1)] * (1.0 - di) * dj
            + l[(i + 1, j + 1)] * di * dj
    };
    // Positive above the surface, negative below; None outside it.
    let above = |t: f32| -> Option<f32> {
        let p = ray.get_point(t);
        let (fi, fj) = grid_at(p)?;
        Some(p.y - heights.map.norm(bilinear(fi, fj)) * heights.height)
    };
    let (step, far) = (0.01f32, 60.0f32);
    let mut t = 0.0;
    let mut last: Option<(f32, f32)> = None;
    while t < far {
        if let Some(h) = above(t) {
            if let Some((t0, h0)) = last
                && h0 > 0.0
                && h <= 0.0
            {
                let (mut lo, mut hi) = (t0, t);
                for _ in 0..20 {
                    let mid = 0.5 * (lo + hi);
                    if above(mid).is_some_and(|v| v > 0.0) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                let (fi, fj) = grid_at(ray.get_point(hi))?;
                let a = -r + 2.0 * r * fi / (n - 1) as f64;
                let b = -r + 2.0 * r * fj / (m - 1) as f64;
                return Some((a, b, bilinear(fi, fj)));
            }
            last = Some((t, h));
        } else {
            last = None;
        }
        t += step;
    }
    None
}

fn srgb8(c: [f32; 3]) -> [u8; 3] {
    c.map(|v| (v * 255.0) as u8)
}

/// The lines of the legend, top to bottom, after the colour bar: a swatch
/// colour and its text (the bowl's line only while it is shown); `shared`:
/// the runs' labels when both are drawn on one shared surface.
pub fn legend_lines(bowl: bool, shared: Option<[&str; 2]>) -> Vec<([u8; 3], String)> {
    let mut lines = match shared {
        None => vec![
            (
                [255, 77, 51],
                "current parameters (the plane's centre)".to_string(),
            ),
            (
                [255, 120, 120],
                "training path up to now (white: in the plane; redder: farther off it)".to_string(),
            ),
        ],
        Some(labels) => {
            let mut lines: Vec<([u8; 3], String)> = RUN_RGB
                .iter()
                .zip(labels)
                .map(|(rgb, label)| {
                    (
                        *rgb,
                        format!("{label}: current point and path (redder: farther off the plane)"),
                    )
                })
                .collect();
            lines.push((
                [255, 255, 255],
                "the runs' common start; the plane holds it and both current points".to_string(),
            ));
            lines
        }
    };
    lines.extend([
        (
            srgb8(AXIS_COLORS[0]),
            "the loss along the axis labelled in orange".to_string(),
        ),
        (
            srgb8(AXIS_COLORS[1]),
            "the loss along the axis labelled in blue".to_string(),
        ),
    ]);
    if bowl {
        lines.push((
            [225, 235, 255],
            "stability bowl: curvature 2(1+β)/η; where the surface curves more steeply, steps of this η overshoot".to_string(),
        ));
    }
    lines
}

/// The legend in the view's bottom right corner: the colour bar of the
/// heights (with the losses at its ends) and what each mark means.
fn paint_legend(
    painter: &egui::Painter,
    view: egui::Rect,
    heights: &Heights,
    log: bool,
    bowl: bool,
    shared: Option<[&str; 2]>,
) {
    let font = egui::FontId::proportional(12.0);
    let white = egui::Color32::from_gray(230);
    let width = 250.0_f32.min(view.width() - 20.0);
    let lines = legend_lines(bowl, shared);
    let galleys: Vec<_> = lines
        .iter()
        .map(|(_, text)| painter.layout(text.to_string(), font.clone(), white, width - 22.0))
        .collect();
    let bar = 10.0;
    let height = 18.0 + bar + 16.0 + galleys.iter().map(|g| g.size().y + 3.0).sum::<f32>();
    let rect = egui::Rect::from_min_size(
        egui::pos2(view.right() - width - 10.0, view.bottom() - height - 10.0),
        egui::vec2(width, height),
    );
    painter.rect_filled(rect.expand(4.0), 4.0, egui::Color32::from_black_alpha(150));
    let title = if log {
        "colour and height: log loss"
    } else {
        "colour and height: loss"
    };
    painter.text(rect.min, egui::Align2::LEFT_TOP, title, font.clone(), white);
    let top = rect.top() + 16.0;
    let steps = 32;
    for k in 0..steps {
        let t = k as f32 / (steps - 1) as f32;
        let [r, g, b] = viridis_srgb(t).map(|c| (c * 255.0) as u8);
        let x0 = rect.left() + rect.width() * k as f32 / steps as f32;
        let x1 = rect.left() + rect.width() * (k + 1) as f32 / steps as f32 + 0.5;
        painter.rect_filled(
            egui::Rect::from_min_max(egui::pos2(x0, top), egui::pos2(x1, top + bar)),
            0.0,
            egui::Color32::from_rgb(r, g, b),
        );
    }
    let (lo, hi) = (heights.map.loss(0.0), heights.map.loss(1.0));
    let below = top + bar + 1.0;
    painter.text(
        egui::pos2(rect.left(), below),
        egui::Align2::LEFT_TOP,
        format!("{lo:.4}"),
        font.clone(),
        white,
    );
    painter.text(
        egui::pos2(rect.right(), below),
        egui::Align2::RIGHT_TOP,
        format!("{hi:.4}"),
        font,
        white,
    );
    let mut y = below + 16.0;
    for ((color, _), galley) in lines.iter().zip(galleys) {
        let [r, g, b] = *color;
        let swatch =
            egui::Rect::from_min_size(egui::pos2(rect.left(), y + 3.0), egui::vec2(14.0, 8.0));
        painter.rect_filled(swatch, 2.0, egui::Color32::from_rgb(r, g, b));
        let h = galley.size().y;
        painter.galley(egui::pos2(rect.left() + 22.0, y), galley, white);
        y += h + 3.0;
    }
}

#[allow(clippy::too_many_arguments)]
fn overlay(
    mut contexts: EguiContexts,
    live: Res<Live>,
    heights: Res<Heights>,
    scale: Res<super::state::SurfaceScale>,
    bowl: Res<ShowBowl>,
    caption: Res<Caption>,
    panel: Option<Res<PanelWidth>>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Query<(&Camera, &Transform), With<super::camera::Orbit>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let Ok((camera, transform)) = camera.single() else {
        return Ok(());
    };
    // The camera has no parent: its global transform is its transform, as
    // set this frame (the propagated one may still be last frame's, as this
    // pass is not ordered after transform propagation).
    let at = &GlobalTransform::from(*transform);
    let left = panel.map_or(0.0, |p| p.0);
    let view = egui::Rect::from_min_max(egui::pos2(left, 0.0), ctx.viewport_rect().max);
    // Behind egui's windows (the curvature windows float over the view).
    let painter = ctx
        .layer_painter(egui::LayerId::new(
            egui::Order::Background,
            egui::Id::new("overlay"),
        ))
        .with_clip_rect(view);
    let screen = |p: Vec3| {
        camera
            .world_to_viewport(at, p)
            .ok()
            .map(|v| egui::pos2(v.x, v.y))
    };
    let text = |pos: egui::Pos2, align: egui::Align2, s: &str, size: f32, color: egui::Color32| {
        let font = egui::FontId::proportional(size);
        let galley = painter.layout_no_wrap(s.to_string(), font, color);
        let rect = align.anchor_size(pos, galley.size()).expand(3.0);
        painter.rect_filled(rect, 3.0, egui::Color32::from_black_alpha(150));
        painter.galley(rect.min + egui::vec2(3.0, 3.0), galley, color);
    };
    let (n, one_surface) = (live.surfaces_drawn(), live.one_surface());
    let labels: [&str; 2] = [0, 1].map(|i| live.runs.get(i).map_or("", |r| r.label.as_str()));
    for (i, run) in live.runs.iter().enumerate() {
        let Some(surface) = run.latest.as_ref().and_then(|s| s.surface.as_ref()) else {
            continue;
        };
        let offset = run_offset(live.slot(i), n);
        if one_surface {
            // Each run's name beside its point on the one surface.
            let r = surface.coords.last().copied().unwrap_or(1.0);
            let now = surface.current;
            let at = world_point(
                now.a,
                now.b,
                r,
                heights.map.norm(now.loss),
                heights.height,
                offset,
            );
            let [red, green, blue] = RUN_RGB[i % 2];
            if let Some(p) = screen(at + Vec3::Y * 0.12) {
                text(
                    p,
                    egui::Align2::CENTER_BOTTOM,
                    &run.label,
                    14.0,
                    egui::Color32::from_rgb(red, green, blue),
                );
            }
            if i > 0 {
                continue;
            }
        }
        for (axis, [r, g, b]) in AXIS_COLORS.into_iter().enumerate() {
            let color =
                egui::Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8);
            let end = axis_curve(surface, axis, &heights, offset).last().copied();
            if let Some(p) = end.and_then(&screen) {
                let top = run
                    .latest
                    .as_ref()
                    .and_then(|s| s.curvature.as_ref())
                    .map_or(&[][..], |c| &c.top[..]);
                let label = surface_axis_label(surface, axis, top, labels);
                text(
                    p + egui::vec2(0.0, 6.0),
                    egui::Align2::CENTER_TOP,
                    &label,
                    13.0,
                    color,
                );
            }
        }
        if !run.label.is_empty() && !one_surface {
            let top = Vec3::new(offset, heights.height * 1.15, -EXTENT);
            if let Some(p) = screen(top) {
                text(
                    p,
                    egui::Align2::CENTER_BOTTOM,
                    &run.label,
                    18.0,
                    egui::Color32::WHITE,
                );
            }
        }
    }
    if live
        .runs
        .iter()
        .any(|r| r.latest.as_ref().is_some_and(|s| s.surface.is_some()))
    {
        paint_legend(
            &painter,
            view,
            &heights,
            scale.log,
            bowl.0,
            one_surface.then_some(labels),
        );
    }
    if !caption.0.is_empty() {
        let font = egui::FontId::proportional(16.0);
        let width = (view.width() - 40.0).max(100.0);
        let galley = painter.layout(caption.0.clone(), font, egui::Color32::WHITE, width);
        let rect = egui::Align2::CENTER_TOP
            .anchor_size(egui::pos2(view.center().x, 12.0), galley.size())
            .expand(6.0);
        painter.rect_filled(rect, 4.0, egui::Color32::from_black_alpha(170));
        painter.galley(
            rect.min + egui::vec2(6.0, 6.0),
            galley,
            egui::Color32::WHITE,
        );
    }
    // The readout under the mouse, outside the panel (not in recordings).
    let Some(cursor) = window.cursor_position().filter(|_| !live.scripted) else {
        return Ok(());
    };
    if cursor.x <= left {
        return Ok(());
    }
    let Ok(ray) = camera.viewport_to_world(at, cursor) else {
        return Ok(());
    };
    let hovered = live.runs.iter().enumerate().find_map(|(i, run)| {
        let surface = run.latest.as_ref()?.surface.as_ref()?;
        let (a, b, loss) = hit_surface(ray, surface, &heights, run_offset(live.slot(i), n))?;
        Some(Hovered { run: i, a, b, loss })
    });
    if let Some(h) = hovered {
        let r = live.runs[h.run]
            .latest
            .as_ref()
            .and_then(|s| s.surface.as_ref())
            .and_then(|s| s.coords.last().copied())
            .unwrap_or(1.0);
        let spot = world_point(
            h.a,
            h.b,
            r,
            heights.map.norm(h.loss),
            heights.height,
            run_offset(live.slot(h.run), n),
        );
        if let Some(p) = screen(spot) {
            painter.circle_stroke(p, 4.0, egui::Stroke::new(1.5, egui::Color32::WHITE));
        }
        let pos = egui::pos2(cursor.x + 14.0, cursor.y + 10.0);
        let label = format!("a {:+.4}   b {:+.4}\nloss ≈ {:.6}", h.a, h.b, h.loss);
        text(
            pos,
            egui::Align2::LEFT_TOP,
            &label,
            13.0,
            egui::Color32::WHITE,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_axes_are_named_by_their_rank_and_random_ones_by_kind() {
        let top = [0.28, 0.066, 0.011];
        assert_eq!(
            axis_label(PlaneKind::Eigen, 0, 0.066, &top),
            "eigenvector v2  λ = 0.0660"
        );
        assert_eq!(
            axis_label(PlaneKind::Eigen, 1, 0.2808, &top),
            "eigenvector v1  λ = 0.2808"
        );
        assert_eq!(
            axis_label(PlaneKind::Random, 1, 0.5, &top),
            "random direction 2  curvature 0.5000"
        );
        assert!(axis_label(PlaneKind::EigenRandom, 1, 0.5, &top).starts_with("random, orthogonal"));
        assert!(axis_label(PlaneKind::EigenRandom, 0, 0.28, &top).starts_with("eigenvector v1"));
        assert_eq!(
            shared_label(SharedAxis::Towards(0), ["batch 8", "full batch"]),
            "from the start to batch 8 now"
        );
        assert_eq!(
            shared_label(SharedAxis::Towards(1), ["batch 8", "full batch"]),
            "towards full batch now (orthogonal part)"
        );
        assert!(
            shared_label(SharedAxis::Fallback(1), ["batch 8", "x"])
                .starts_with("eigenvector v2 of batch 8")
        );
        // A run alone on the shared plane is on its eigenvectors.
        let lone = Surface {
            coords: vec![-1.0, 1.0],
            loss: ndarray::Array2::zeros((2, 2)),
            axis_curvatures: [0.28, 0.066],
            kind: PlaneKind::Shared,
            path: Vec::new(),
            current: curvscope_core::landscape::surface::PathPoint::default(),
            shared: None,
            explained: None,
        };
        assert_eq!(
            surface_axis_label(&lone, 1, &top, ["a", "b"]),
            "eigenvector v2  λ = 0.0660"
        );
        assert_eq!(
            pca_label(1, 0.25, [0.9, 0.08]),
            "path direction 2 (8% of the path)  curvature 0.2500"
        );
    }
}
