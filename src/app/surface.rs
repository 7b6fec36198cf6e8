//! The loss surface as a mesh with our own WGSL material, and the marker of
//! the current point.

use super::training::Live;
use crate::colormap::viridis;
use bevy::asset::{AssetPath, RenderAssetUsages, embedded_asset, embedded_path};
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, ShaderType};
use bevy::shader::ShaderRef;
use ndarray::Array2;

/// Half-width of the surface in world units.
pub const EXTENT: f32 = 2.0;
/// Height of the surface's range in world units.
pub const HEIGHT: f32 = 1.5;

/// Shader parameters (mirrors `SurfaceParams` in surface.wgsl).
#[derive(Debug, Clone, Copy, ShaderType)]
pub struct SurfaceParams {
    /// Contour lines over the height range.
    pub contours: f32,
    /// Grid lines per world unit.
    pub grid: f32,
    /// 0 = flat colours, 1 = full diffuse shading.
    pub shading: f32,
    /// Padding (WGSL struct alignment).
    pub pad: f32,
}

/// The surface's material.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct SurfaceMaterial {
    /// Shader parameters.
    #[uniform(0)]
    pub params: SurfaceParams,
}

impl Material for SurfaceMaterial {
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Path(
            AssetPath::from_path_buf(embedded_path!("surface.wgsl")).with_source("embedded"),
        )
    }
}

/// Marks the surface entity.
#[derive(Component)]
pub struct SurfaceMesh;

/// Marks the stability bowl.
#[derive(Component)]
pub struct Bowl;

/// Whether the stability bowl is shown.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShowBowl(pub bool);

/// Builds and updates the surface.
pub struct SurfacePlugin;

impl Plugin for SurfacePlugin {
    fn build(&self, app: &mut App) {
        embedded_asset!(app, "surface.wgsl");
        app.add_plugins(MaterialPlugin::<SurfaceMaterial>::default())
            .insert_resource(ShowBowl(true))
            .add_systems(Startup, spawn_surface)
            .add_systems(
                Update,
                (update_surface, update_bowl, draw_marker, draw_path),
            );
    }
}

fn spawn_surface(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<SurfaceMaterial>>,
    mut standard: ResMut<Assets<StandardMaterial>>,
) {
    let flat = Array2::zeros((2, 2));
    commands.spawn((
        Name::new("stability bowl"),
        Bowl,
        Mesh3d(meshes.add(bowl_mesh(&flat, &[-1.0, 1.0], 0.0, 0.0))),
        MeshMaterial3d(standard.add(StandardMaterial {
            base_color: Color::srgba(0.9, 0.95, 1.0, 0.25),
            alpha_mode: AlphaMode::Blend,
            double_sided: true,
            cull_mode: None,
            unlit: true,
            ..default()
        })),
        Transform::default(),
        Visibility::Hidden,
    ));
    commands.spawn((
        Name::new("loss surface"),
        SurfaceMesh,
        Mesh3d(meshes.add(surface_mesh(&flat))),
        MeshMaterial3d(materials.add(SurfaceMaterial {
            params: SurfaceParams {
                contours: 16.0,
                grid: 2.0,
                shading: 0.7,
                pad: 0.0,
            },
        })),
        Transform::default(),
    ));
}

/// The smallest and largest finite entries of a grid (±∞ if none).
fn finite_range(grid: &Array2<f64>) -> (f64, f64) {
    grid.iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        })
}

/// The mesh of a loss grid: x along the first axis, z along the second,
/// y the loss scaled to [0, HEIGHT]; normals from central differences; the
/// normalized height in uv.y (for the contours) and as viridis colour.
pub fn surface_mesh(loss: &Array2<f64>) -> Mesh {
    let (n, m) = loss.dim();
    let (lo, hi) = finite_range(loss);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let norm = |i: usize, j: usize| -> f32 {
        let v = loss[(i, j)];
        if v.is_finite() {
            ((v - lo) / span) as f32
        } else {
            1.0
        }
    };
    let coord = |k: usize, len: usize| -EXTENT + 2.0 * EXTENT * k as f32 / (len.max(2) - 1) as f32;
    let (mut positions, mut normals, mut uvs, mut colors) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        for j in 0..m {
            let h = norm(i, j);
            positions.push([coord(i, n), h * HEIGHT, coord(j, m)]);
            let (ip, im) = ((i + 1).min(n - 1), i.saturating_sub(1));
            let (jp, jm) = ((j + 1).min(m - 1), j.saturating_sub(1));
            let dx = (norm(ip, j) - norm(im, j)) * HEIGHT / (coord(ip, n) - coord(im, n)).max(1e-6);
            let dz = (norm(i, jp) - norm(i, jm)) * HEIGHT / (coord(jp, m) - coord(jm, m)).max(1e-6);
            normals.push(Vec3::new(-dx, 1.0, -dz).normalize().to_array());
            uvs.push([0.0, h]);
            let [r, g, b] = viridis(h);
            colors.push([r, g, b, 1.0]);
        }
    }
    let mut indices = Vec::with_capacity((n - 1) * (m - 1) * 6);
    for i in 0..n - 1 {
        for j in 0..m - 1 {
            let k = (i * m + j) as u32;
            let (right, down) = (k + 1, k + m as u32);
            indices.extend_from_slice(&[k, right, down, right, down + 1, down]);
        }
    }
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, uvs)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colors)
    .with_inserted_indices(Indices::U32(indices))
}

/// The stability bowl over a surface's grid: the quadratic
/// L₀ + ½·c·(a² + b²) with c = 2(1 + β)/η, the curvature at which gradient
/// descent with this step size stops being stable, drawn in the surface's
/// height scale (and cut off a little above it). Where the loss surface
/// curves faster than the bowl, training at this η is unstable.
pub fn bowl_mesh(loss: &Array2<f64>, coords: &[f64], centre_loss: f64, curvature: f64) -> Mesh {
    let (lo, hi) = finite_range(loss);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let n = coords.len();
    let bowl = Array2::from_shape_fn((n, n), |(i, j)| {
        let q = centre_loss + 0.5 * curvature * (coords[i] * coords[i] + coords[j] * coords[j]);
        // Same normalization as the surface, capped at 1.2 × its height.
        lo + span * ((q - lo) / span).min(1.2)
    });
    let mut mesh = surface_mesh(&bowl);
    // surface_mesh normalizes by the bowl's own range; rescale to the surface's.
    let (blo, bhi) = finite_range(&bowl);
    let mut colors = Vec::new();
    if let Some(bevy::mesh::VertexAttributeValues::Float32x3(p)) =
        mesh.attribute_mut(Mesh::ATTRIBUTE_POSITION)
    {
        for v in p.iter_mut() {
            let value = blo + (v[1] / HEIGHT) as f64 * (bhi - blo).max(f64::MIN_POSITIVE);
            v[1] = ((value - lo) / span) as f32 * HEIGHT;
            // Plain white, fading out towards the cut-off rim.
            let fade = ((1.2 - v[1] / HEIGHT) / 0.2).clamp(0.0, 1.0);
            colors.push([1.0, 1.0, 1.0, fade]);
        }
    }
    mesh.insert_attribute(Mesh::ATTRIBUTE_COLOR, colors);
    mesh
}

/// Shows, hides and reshapes the bowl with each new surface or setting.
fn update_bowl(
    live: Res<Live>,
    show: Res<ShowBowl>,
    bowl: Single<(&Mesh3d, &mut Visibility), With<Bowl>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut seen: Local<(u64, u64)>,
) {
    let (mesh, mut visibility) = bowl.into_inner();
    let Some(snapshot) = live.latest.as_ref() else {
        return;
    };
    let Some(grid) = snapshot.surface.as_ref() else {
        return;
    };
    *visibility = if show.0 {
        Visibility::Visible
    } else {
        Visibility::Hidden
    };
    let s = snapshot.settings;
    let curvature = s.stability_limit() / s.learning_rate;
    let key = (live.surface_version, curvature.to_bits());
    if *seen == key {
        return;
    }
    *seen = key;
    let (n, m) = grid.loss.dim();
    if let Some(mut target) = meshes.get_mut(&mesh.0) {
        *target = bowl_mesh(
            &grid.loss,
            &grid.coords,
            grid.loss[(n / 2, m / 2)],
            curvature,
        );
    }
}

/// Replaces the mesh when a new surface arrived.
fn update_surface(
    live: Res<Live>,
    mut seen: Local<u64>,
    surface: Single<&Mesh3d, With<SurfaceMesh>>,
    mut meshes: ResMut<Assets<Mesh>>,
) {
    if live.surface_version == *seen {
        return;
    }
    *seen = live.surface_version;
    let Some(grid) = live.latest.as_ref().and_then(|s| s.surface.as_ref()) else {
        return;
    };
    if let Some(mut mesh) = meshes.get_mut(&surface.0) {
        *mesh = surface_mesh(&grid.loss);
    }
}

/// The current point: the centre of the surface.
fn draw_marker(live: Res<Live>, mut gizmos: Gizmos) {
    let Some(grid) = live.latest.as_ref().and_then(|s| s.surface.as_ref()) else {
        return;
    };
    let (n, m) = grid.loss.dim();
    let (lo, hi) = finite_range(&grid.loss);
    let centre = grid.loss[(n / 2, m / 2)];
    let h = if hi > lo {
        ((centre - lo) / (hi - lo)) as f32
    } else {
        0.0
    };
    gizmos.sphere(
        Isometry3d::from_translation(Vec3::new(0.0, h * HEIGHT + 0.03, 0.0)),
        0.06,
        Color::srgb(1.0, 0.3, 0.2),
    );
}

/// The training path on the surface: each recorded point at its projection
/// (a, b) and the loss there, white where it lies in the plane and red where
/// it is far from it (then the surface does not show the loss it had).
fn draw_path(live: Res<Live>, mut gizmos: Gizmos) {
    let Some(grid) = live.latest.as_ref().and_then(|s| s.surface.as_ref()) else {
        return;
    };
    let (Some(first), Some(last)) = (grid.coords.first(), grid.coords.last()) else {
        return;
    };
    let r = (last - first) / 2.0;
    let (lo, hi) = finite_range(&grid.loss);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let scale = grid
        .path
        .iter()
        .map(|p| p.off_plane)
        .fold(0.0, f64::max)
        .max(1e-12);
    let points = grid
        .path
        .iter()
        .filter(|p| p.a.abs() <= r && p.b.abs() <= r && p.loss.is_finite())
        .map(|p| {
            let at = Vec3::new(
                (p.a / r) as f32 * EXTENT,
                ((p.loss - lo) / span) as f32 * HEIGHT + 0.02,
                (p.b / r) as f32 * EXTENT,
            );
            let off = (p.off_plane / scale) as f32;
            (at, Color::srgb(1.0, 1.0 - 0.8 * off, 1.0 - 0.8 * off))
        });
    gizmos.linestrip_gradient(points);
}
