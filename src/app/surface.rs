//! The loss surfaces as meshes with our own WGSL material (`surface.wgsl`
//! beside this file, embedded in the binary), the stability bowls, the markers of the current
//! points, the training paths and the axes. One surface per run, side by
//! side, in one shared height scale; twins on a shared plane have one
//! surface, drawn once, with both runs' points, paths and bowls on it.

use super::heights::{EXTENT, HEIGHT, HeightMap, RUN_RGB, run_offset, world_point};
use super::state::{AppSet, Live, ShowBowl, SurfaceScale, ensure_state};
use bevy::asset::{AssetPath, RenderAssetUsages, embedded_asset, embedded_path};
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, ShaderType};
use bevy::shader::ShaderRef;
use curvscope_core::colormap::viridis;
use curvscope_core::landscape::surface::{PathPoint, Surface};
use ndarray::Array2;

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

/// The stability bowl's material: one see-through tint (alpha faded by the
/// vertex colours towards the rim), both sides drawn. See `bowl.wgsl` for
/// why it is not a `StandardMaterial`.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct BowlMaterial {
    /// Linear RGB and opacity.
    #[uniform(0)]
    pub tint: Vec4,
}

impl Material for BowlMaterial {
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Path(
            AssetPath::from_path_buf(embedded_path!("bowl.wgsl")).with_source("embedded"),
        )
    }

    fn alpha_mode(&self) -> AlphaMode {
        AlphaMode::Blend
    }

    fn specialize(
        _pipeline: &bevy::pbr::MaterialPipeline,
        descriptor: &mut bevy::render::render_resource::RenderPipelineDescriptor,
        _layout: &bevy::mesh::MeshVertexBufferLayoutRef,
        _key: bevy::pbr::MaterialPipelineKey<Self>,
    ) -> Result<(), bevy::render::render_resource::SpecializedMeshPipelineError> {
        descriptor.primitive.cull_mode = None;
        Ok(())
    }
}

/// Marks a run's surface entity (the run's index).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurfaceMesh(pub usize);

/// Marks a run's stability bowl (the run's index).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bowl(pub usize);

/// The height map the surfaces are drawn with now (shared by all runs).
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct Heights {
    /// Loss to normalized height.
    pub map: HeightMap,
    /// World height of the normalized range (HEIGHT × the user's factor).
    pub height: f32,
}

impl Default for Heights {
    fn default() -> Self {
        Self {
            map: HeightMap::over([], false),
            height: HEIGHT,
        }
    }
}

/// Builds and updates the surface.
pub struct SurfacePlugin;

impl Plugin for SurfacePlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        embedded_asset!(app, "surface.wgsl");
        embedded_asset!(app, "bowl.wgsl");
        app.add_plugins((
            MaterialPlugin::<SurfaceMaterial>::default(),
            MaterialPlugin::<BowlMaterial>::default(),
        ))
        .init_resource::<Heights>()
        .add_systems(
            Update,
            (
                sync_run_entities,
                place_surfaces,
                update_surfaces,
                update_bowls,
                draw_markers_and_paths,
                draw_axes,
            )
                .chain()
                .in_set(AppSet::Scene),
        );
    }
}

/// The mesh of a loss grid: x along the first axis, z along the second,
/// y the loss's normalized height times `height`; normals from central
/// differences; the normalized height in uv.y (for the contours) and as
/// viridis colour.
pub fn surface_mesh(loss: &Array2<f64>, map: &HeightMap, height: f32) -> Mesh {
    let (n, m) = loss.dim();
    let norm = |i: usize, j: usize| map.norm(loss[(i, j)]);
    let coord = |k: usize, len: usize| -EXTENT + 2.0 * EXTENT * k as f32 / (len.max(2) - 1) as f32;
    let (mut positions, mut normals, mut uvs, mut colors) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        for j in 0..m {
            let h = norm(i, j);
            positions.push([coord(i, n), h * height, coord(j, m)]);
            let (ip, im) = ((i + 1).min(n - 1), i.saturating_sub(1));
            let (jp, jm) = ((j + 1).min(m - 1), j.saturating_sub(1));
            let dx = (norm(ip, j) - norm(im, j)) * height / (coord(ip, n) - coord(im, n)).max(1e-6);
            let dz = (norm(i, jp) - norm(i, jm)) * height / (coord(jp, m) - coord(jm, m)).max(1e-6);
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
/// L₀ + ½·c·((a − a₀)² + (b − b₀)²) through the current point (a₀, b₀) with
/// c = 2(1 + β)/η, the curvature at which gradient descent with this step
/// size stops being stable, drawn in the surfaces' height map (and cut off
/// a little above their top). Where the loss surface curves faster than
/// the bowl, training at this η is unstable.
pub fn bowl_mesh(
    coords: &[f64],
    (a0, b0, centre_loss): (f64, f64, f64),
    curvature: f64,
    map: &HeightMap,
    height: f32,
) -> Mesh {
    const CAP: f32 = 1.2;
    let n = coords.len();
    let bowl = Array2::from_shape_fn((n, n), |(i, j)| {
        let (a, b) = (coords[i] - a0, coords[j] - b0);
        centre_loss + 0.5 * curvature * (a * a + b * b)
    });
    let mut mesh = surface_mesh(&bowl, map, height);
    let mut colors = Vec::new();
    if let Some(bevy::mesh::VertexAttributeValues::Float32x3(p)) =
        mesh.attribute_mut(Mesh::ATTRIBUTE_POSITION)
    {
        for v in p.iter_mut() {
            let h = (v[1] / height).min(CAP);
            v[1] = h * height;
            // Plain white, fading out towards the cut-off rim.
            let fade = ((CAP - h) / 0.2).clamp(0.0, 1.0);
            colors.push([1.0, 1.0, 1.0, fade]);
        }
    }
    mesh.insert_attribute(Mesh::ATTRIBUTE_COLOR, colors);
    mesh
}

/// One surface and one bowl per run: spawned or despawned when the number
/// of runs changes.
fn sync_run_entities(
    live: Res<Live>,
    surfaces: Query<(Entity, &SurfaceMesh)>,
    bowls: Query<(Entity, &Bowl)>,
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<SurfaceMaterial>>,
    mut bowl_materials: ResMut<Assets<BowlMaterial>>,
) {
    let n = live.runs.len();
    if surfaces.iter().count() == n && bowls.iter().count() == n {
        return;
    }
    for (e, _) in &surfaces {
        commands.entity(e).despawn();
    }
    for (e, _) in &bowls {
        commands.entity(e).despawn();
    }
    let flat = Array2::zeros((2, 2));
    let map = HeightMap::over([], false);
    for i in 0..n {
        let at = Transform::from_xyz(run_offset(i, n), 0.0, 0.0);
        commands.spawn((
            Name::new(format!("stability bowl {i}")),
            Bowl(i),
            Mesh3d(meshes.add(bowl_mesh(&[-1.0, 1.0], (0.0, 0.0, 0.0), 0.0, &map, HEIGHT))),
            MeshMaterial3d(bowl_materials.add(BowlMaterial {
                tint: LinearRgba::from(Color::srgba(0.9, 0.95, 1.0, 0.25)).to_vec4(),
            })),
            at,
            Visibility::Hidden,
        ));
        commands.spawn((
            Name::new(format!("loss surface {i}")),
            SurfaceMesh(i),
            Mesh3d(meshes.add(surface_mesh(&flat, &map, HEIGHT))),
            MeshMaterial3d(materials.add(SurfaceMaterial {
                params: SurfaceParams {
                    contours: 16.0,
                    grid: 2.0,
                    shading: 0.7,
                    pad: 0.0,
                },
            })),
            at,
        ));
    }
}

/// Puts each run's surface and bowl in its place in the row, and shows one
/// surface only when the runs share it (the second run's mesh is hidden;
/// its bowl stays, around its own point).
fn place_surfaces(
    live: Res<Live>,
    mut surfaces: Query<(&SurfaceMesh, &mut Transform, &mut Visibility), Without<Bowl>>,
    mut bowls: Query<(&Bowl, &mut Transform), Without<SurfaceMesh>>,
    mut seen: Local<Option<(usize, usize)>>,
) {
    let key = (live.runs.len(), live.surfaces_drawn());
    if *seen == Some(key) && surfaces.iter().count() == key.0 {
        return;
    }
    *seen = Some(key);
    let n = key.1;
    for (run, mut at, mut visibility) in &mut surfaces {
        at.translation.x = run_offset(live.slot(run.0), n);
        *visibility = if live.slot(run.0) == run.0 {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
    }
    for (bowl, mut at) in &mut bowls {
        at.translation.x = run_offset(live.slot(bowl.0), n);
    }
}

/// The runs' surfaces, in order (None for a run without one yet).
fn surfaces(live: &Live) -> impl Iterator<Item = Option<&Surface>> {
    live.runs
        .iter()
        .map(|r| r.latest.as_ref().and_then(|s| s.surface.as_ref()))
}

/// Remeshes the surfaces when a new one arrives or the scale changes.
fn update_surfaces(
    live: Res<Live>,
    scale: Res<SurfaceScale>,
    mut heights: ResMut<Heights>,
    query: Query<(&SurfaceMesh, &Mesh3d)>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut seen: Local<Option<(u64, SurfaceScale, usize)>>,
) {
    let key = (live.surface_version, *scale, query.iter().count());
    if *seen == Some(key) {
        return;
    }
    *seen = Some(key);
    let map = HeightMap::over(surfaces(&live).flatten().map(|s| &s.loss), scale.log);
    *heights = Heights {
        map,
        height: HEIGHT * scale.factor,
    };
    let grids: Vec<Option<&Surface>> = surfaces(&live).collect();
    for (run, mesh) in &query {
        let Some(Some(surface)) = grids.get(run.0) else {
            continue;
        };
        if let Some(mut target) = meshes.get_mut(&mesh.0) {
            *target = surface_mesh(&surface.loss, &map, heights.height);
        }
    }
}

/// Shows, hides and reshapes the bowls with each new surface or setting.
fn update_bowls(
    live: Res<Live>,
    show: Res<ShowBowl>,
    heights: Res<Heights>,
    mut query: Query<(&Bowl, &Mesh3d, &mut Visibility)>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut seen: Local<Vec<(u64, u64, Heights)>>,
) {
    seen.resize(live.runs.len(), (u64::MAX, 0, Heights::default()));
    for (bowl, mesh, mut visibility) in &mut query {
        let Some(snapshot) = live.runs.get(bowl.0).and_then(|r| r.latest.as_ref()) else {
            continue;
        };
        let Some(grid) = snapshot.surface.as_ref() else {
            continue;
        };
        *visibility = if show.0 {
            Visibility::Visible
        } else {
            Visibility::Hidden
        };
        let curvature = snapshot.settings.optimizer.threshold();
        let key = (live.surface_version, curvature.to_bits(), *heights);
        if seen[bowl.0] == key {
            continue;
        }
        seen[bowl.0] = key;
        let now = grid.current;
        if let Some(mut target) = meshes.get_mut(&mesh.0) {
            *target = bowl_mesh(
                &grid.coords,
                (now.a, now.b, now.loss),
                curvature,
                &heights.map,
                heights.height,
            );
        }
    }
}

/// Each run's current point (the centre of its surface, or its place on a
/// shared one) and its training path: each recorded point at its
/// projection (a, b) and the loss there, white where it lies in the plane
/// and red where it is far from it (there the surface does not show the
/// loss it had). On a shared surface each run has its colour (as in the
/// plots), fading to red off the plane, and the common start is marked.
fn draw_markers_and_paths(live: Res<Live>, heights: Res<Heights>, mut gizmos: Gizmos) {
    let (n, shared) = (live.surfaces_drawn(), live.one_surface());
    for (i, surface) in surfaces(&live).enumerate() {
        let Some(grid) = surface else {
            continue;
        };
        let r = grid.coords.last().copied().unwrap_or(1.0);
        let offset = run_offset(live.slot(i), n);
        let mark = |p: &PathPoint| {
            let h = heights.map.norm(p.loss);
            world_point(p.a, p.b, r, h, heights.height, offset)
        };
        let [red, green, blue] = if shared {
            RUN_RGB[i % 2].map(|c| f32::from(c) / 255.0)
        } else {
            [1.0; 3]
        };
        let point = if shared {
            Color::srgb(red, green, blue)
        } else {
            Color::srgb(1.0, 0.3, 0.2)
        };
        gizmos.sphere(
            Isometry3d::from_translation(mark(&grid.current) + Vec3::Y * 0.03),
            0.06,
            point,
        );
        if let Some(start) = grid.shared.as_ref().map(|s| s.start) {
            gizmos.sphere(
                Isometry3d::from_translation(mark(&start) + Vec3::Y * 0.03),
                0.045,
                Color::WHITE,
            );
        }
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
                // From the run's colour to red, by the distance off the plane.
                let off = (p.off_plane / scale) as f32;
                let towards = |c: f32, red: f32| c + (red - c) * off;
                let color = Color::srgb(towards(red, 1.0), towards(green, 0.2), towards(blue, 0.2));
                (mark(p) + Vec3::Y * 0.02, color)
            });
        gizmos.linestrip_gradient(points);
    }
}

/// The two slice axes of each surface, drawn on it: the loss along a
/// (b = 0) and along b (a = 0) through the current point, in the axes'
/// colours (their labels are painted by the overlay at the far ends).
fn draw_axes(live: Res<Live>, heights: Res<Heights>, mut gizmos: Gizmos) {
    let n = live.surfaces_drawn();
    for (i, surface) in surfaces(&live).enumerate() {
        let Some(grid) = surface.filter(|_| live.slot(i) == i) else {
            continue;
        };
        for (axis, color) in AXIS_COLORS.into_iter().enumerate() {
            let curve = axis_curve(grid, axis, &heights, run_offset(i, n));
            gizmos.linestrip(curve, Color::srgb(color[0], color[1], color[2]));
        }
    }
}

/// Colours of the a and b axes (sRGB).
pub const AXIS_COLORS: [[f32; 3]; 2] = [[1.0, 0.55, 0.3], [0.4, 0.75, 1.0]];

/// The world points of the surface's central line along `axis` (0: a, with
/// b = 0; 1: b, with a = 0), lifted a little above the surface; the last
/// point is the axis's positive end.
pub fn axis_curve(grid: &Surface, axis: usize, heights: &Heights, offset: f32) -> Vec<Vec3> {
    let (rows, cols) = grid.loss.dim();
    let r = grid.coords.last().copied().unwrap_or(1.0);
    let len = if axis == 0 { rows } else { cols };
    (0..len)
        .map(|k| {
            let (i, j) = if axis == 0 {
                (k, cols / 2)
            } else {
                (rows / 2, k)
            };
            let (a, b) = if axis == 0 {
                (grid.coords[k], 0.0)
            } else {
                (0.0, grid.coords[k])
            };
            let h = heights.map.norm(grid.loss[(i, j)]).min(1.5);
            world_point(a, b, r, h, heights.height, offset) + Vec3::Y * 0.015
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use curvscope_core::landscape::plane::PlaneKind;
    use curvscope_core::spec::SessionConfig;
    use curvscope_core::spec::TrainerSettings;
    use curvscope_core::spec::{DataSource, ModelSpec, Synthetic};
    use curvscope_core::train::runner::Runner;

    /// What twins from one start report after `steps` steps on `plane`.
    fn twins(plane: PlaneKind, steps: usize) -> Live {
        let run = SessionConfig {
            data: DataSource::Synthetic(Synthetic {
                samples: (64, 8),
                ..Synthetic::default()
            }),
            model: ModelSpec {
                hidden: vec![6],
                ..ModelSpec::default()
            },
            grid: (9, 0.5),
            plane,
            ..SessionConfig::default()
        };
        let twin = SessionConfig {
            settings: TrainerSettings {
                batch_size: None,
                ..run.settings
            },
            ..run.clone()
        };
        let mut runner = Runner::plain(vec![("a".into(), run), ("b".into(), twin)]).unwrap();
        let mut live = Live::default();
        live.receive(runner.tick_exact(steps, 0.0, true));
        live
    }

    /// The places and visibility `place_surfaces` gives two runs' meshes.
    fn placed(live: Live) -> Vec<(usize, f32, Visibility)> {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(live)
            .add_systems(Update, place_surfaces);
        for i in 0..2 {
            app.world_mut()
                .spawn((SurfaceMesh(i), Transform::default(), Visibility::Inherited));
        }
        app.update();
        let mut query = app
            .world_mut()
            .query::<(&SurfaceMesh, &Transform, &Visibility)>();
        let mut out: Vec<_> = query
            .iter(app.world())
            .map(|(m, t, v)| (m.0, t.translation.x, *v))
            .collect();
        out.sort_by_key(|p| p.0);
        out
    }

    /// Issue 12: twins on the shared plane are drawn as one surface (the
    /// second mesh hidden, both in the middle); on their own planes, side
    /// by side.
    #[test]
    fn twins_on_the_shared_plane_share_one_mesh() {
        let shared = twins(PlaneKind::Shared, 40);
        assert!(shared.one_surface());
        assert_eq!((shared.surfaces_drawn(), shared.slot(1)), (1, 0));
        let [a, b] = [0, 1].map(|i| {
            let s = shared.runs[i].latest.as_ref().unwrap();
            s.surface.clone().unwrap()
        });
        assert_eq!(a.loss, b.loss, "one grid");
        assert_ne!((a.current.a, a.current.b), (b.current.a, b.current.b));
        assert_eq!(
            placed(shared),
            vec![
                (0, 0.0, Visibility::Inherited),
                (1, 0.0, Visibility::Hidden)
            ]
        );
        let apart = twins(PlaneKind::Eigen, 40);
        assert!(!apart.one_surface());
        assert_eq!(
            placed(apart),
            vec![
                (0, run_offset(0, 2), Visibility::Inherited),
                (1, run_offset(1, 2), Visibility::Inherited)
            ]
        );
    }
}
