//! The surface and bowl meshes and the hover ray's hit, without a window.

use bevy::prelude::*;
use curvscope::app::heights::{HEIGHT, HeightMap};
use curvscope::app::surface::surface_mesh;

#[test]
fn the_surface_mesh_matches_the_grid() {
    let grid = ndarray::Array2::from_shape_fn((5, 7), |(i, j)| (i * 7 + j) as f64);
    let mesh = surface_mesh(&grid, &HeightMap::over([&grid], false), HEIGHT);
    let positions = mesh
        .attribute(Mesh::ATTRIBUTE_POSITION)
        .unwrap()
        .as_float3()
        .unwrap();
    assert_eq!(positions.len(), 35);
    assert_eq!(positions[0][1], 0.0, "the lowest loss sits at height 0");
    assert!(
        (positions[34][1] - HEIGHT).abs() < 1e-6,
        "the highest at HEIGHT"
    );
    let middle = positions[2 * 7 + 3];
    assert!(
        middle[0].abs() < 1e-6 && middle[2].abs() < 1e-6,
        "the grid centre sits at the origin"
    );
    assert_eq!(mesh.indices().unwrap().len(), 4 * 6 * 6);
}

#[test]
fn the_bowl_is_the_stability_quadratic_in_the_surface_height_scale() {
    use curvscope::app::surface::bowl_mesh;
    let coords = [-1.0, -0.5, 0.0, 0.5, 1.0];
    // A surface from 0 to 4 (so 4 loss units span HEIGHT).
    let loss = ndarray::Array2::from_shape_fn((5, 5), |(i, j)| {
        (coords[i] * coords[i] + coords[j] * coords[j]) * 2.0
    });
    let mesh = bowl_mesh(
        &coords,
        (0.0, 0.0, 0.0),
        2.0,
        &HeightMap::over([&loss], false),
        HEIGHT,
    );
    let p = mesh
        .attribute(Mesh::ATTRIBUTE_POSITION)
        .unwrap()
        .as_float3()
        .unwrap();
    let height = |i: usize, j: usize| p[i * 5 + j][1];
    assert!(
        height(2, 2).abs() < 1e-6,
        "the bowl passes through the current point"
    );
    // ½·2·(0.5² + 0) = 0.25 loss units = 0.25/4 of HEIGHT.
    assert!((height(3, 2) - 0.25 / 4.0 * HEIGHT).abs() < 1e-5);
    // At the corners ½·2·2 = 2 units: half the surface's range.
    assert!((height(0, 0) - 0.5 * HEIGHT).abs() < 1e-5);
}

#[test]
fn the_hover_ray_finds_the_grid_point_and_loss_under_it() {
    use curvscope::app::heights::{run_offset, world_point};
    use curvscope::app::overlay::hit_surface;
    use curvscope::app::surface::Heights;
    use curvscope_core::train::session::{PlaneKind, Surface};
    let coords: Vec<f64> = (0..21).map(|k| -2.0 + 0.2 * k as f64).collect();
    let loss = ndarray::Array2::from_shape_fn((21, 21), |(i, j)| {
        1.0 + coords[i] * coords[i] + 0.5 * coords[j]
    });
    let surface = Surface {
        coords,
        loss: loss.clone(),
        axis_curvatures: [2.0, 0.0],
        kind: PlaneKind::Random,
        path: vec![],
        current: curvscope_core::train::session::PathPoint::default(),
        shared: None,
        explained: None,
    };
    let heights = Heights {
        map: HeightMap::over([&loss], false),
        height: HEIGHT,
    };
    // The second of two surfaces, hit from above at grid point (a, b) = (1, -0.4).
    let offset = run_offset(1, 2);
    let target = world_point(
        1.0,
        -0.4,
        2.0,
        heights.map.norm(1.0 + 1.0 - 0.2),
        HEIGHT,
        offset,
    );
    let from = target + Vec3::new(0.3, 5.0, 0.8);
    let ray = Ray3d::new(from, Dir3::new(target - from).unwrap());
    let (a, b, l) = hit_surface(ray, &surface, &heights, offset).expect("a hit");
    assert!(
        (a - 1.0).abs() < 0.02 && (b + 0.4).abs() < 0.02,
        "({a}, {b})"
    );
    assert!((l - 1.8).abs() < 0.05, "loss {l}");
    // The same ray misses the first surface.
    assert!(hit_surface(ray, &surface, &heights, run_offset(0, 2)).is_none());
}
