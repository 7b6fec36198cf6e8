//! Exports read back with independent readers: a session saved as a problem
//! file analyzes and trains exactly like the original, the surface's glTF
//! and PLY models load with the `gltf` and `ply-rs` crates and hold the grid,
//! and the CSV/JSON grids and the time series parse back to the numbers.

use curvscope_core::spec::{DataSource, ModelSpec, Synthetic};
use std::sync::Arc;

use curvscope_core::analysis::analyze::{AnalysisReport, AnalyzeOptions, analyze};
use curvscope_core::io::export::{
    self, SERIES_HEADER, grid_csv, grid_json, series_csv, surface_glb, surface_ply,
};
use curvscope_core::io::problem::Problem;
use curvscope_core::landscape::surface::Surface;
use curvscope_core::spec::SessionConfig;
use curvscope_core::spec::TrainerSettings;
use curvscope_core::train::session::Session;

/// A small moons session.
fn config() -> SessionConfig {
    SessionConfig {
        data: DataSource::Synthetic(Synthetic {
            samples: (96, 48),
            ..Synthetic::default()
        }),
        model: ModelSpec {
            hidden: vec![8, 8],
            ..ModelSpec::default()
        },
        grid: (7, 0.5),
        top_k: 2,
        seed: 3,
        ..SessionConfig::default()
    }
}

/// A trained session's surface (7×7 grid).
fn surface() -> Surface {
    let mut session = Session::new(config()).unwrap();
    assert!(session.train(100).is_none());
    session.measure();
    session.snapshot().surface.expect("a surface")
}

/// The numbers of an analysis (everything but the timings), flat: loss,
/// gradient norm, smallest eigenvalue, trace, top eigenvalues, grid
/// coordinates and grid losses.
fn numbers(r: &AnalysisReport) -> Vec<f64> {
    let mut v = vec![r.loss, r.grad_norm, r.hessian.min, r.hessian.trace];
    v.extend(&r.hessian.top);
    v.extend(&r.grid.alphas);
    v.extend(r.grid.loss.iter().flatten());
    v
}

#[test]
fn a_session_saved_as_a_problem_analyzes_and_trains_like_the_original() {
    let mut session = Session::new(config()).unwrap();
    assert!(session.train(200).is_none());
    let snap = session.snapshot();
    assert_eq!(snap.step, 200);
    let problem = session.to_problem();
    assert_eq!(problem.n_samples(), 96);
    assert_eq!(problem.architecture.layers, vec![2, 8, 8, 1]);
    assert!(problem.directions.is_none());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trained.json");
    problem.save(&path).unwrap();
    let loaded = Problem::load(&path).unwrap();
    assert_eq!(loaded, problem, "the file reads back bit-exactly");

    let opts = AnalyzeOptions {
        top_k: 3,
        grid: 5,
        range: 0.5,
        ..AnalyzeOptions::default()
    };
    let a = analyze(&problem, "mem", &opts).unwrap();
    let b = analyze(&loaded, "file", &opts).unwrap();
    assert_eq!(numbers(&a), numbers(&b));
    assert_eq!(numbers(&a).len(), 4 + 3 + 5 + 25);
    assert_eq!(
        a.loss, snap.train_loss,
        "the problem's loss is the session's"
    );
    assert_eq!(a.hessian.top.len(), 3);
    assert!(a.hessian.top[0] > 0.0);

    // A session started from the file picks up where the original was.
    let from_file = SessionConfig {
        data: DataSource::Problem(Arc::new(loaded.into())),
        ..config()
    };
    let mut resumed = Session::new(from_file.clone()).unwrap();
    let start = resumed.snapshot();
    assert_eq!(start.step, 0);
    assert_eq!(start.train_loss, snap.train_loss);
    assert_eq!(start.test_loss, None, "a problem file has no test set");
    // The same problem, but for the path: the resumed run has none yet.
    assert!(problem.trajectory.is_some());
    assert_eq!(
        resumed.to_problem(),
        curvscope_core::io::problem::Problem {
            trajectory: None,
            ..problem.clone()
        }
    );
    assert!(resumed.train(50).is_none());
    resumed.measure();
    let later = resumed.snapshot();
    assert_eq!(later.step, 50);
    assert!(later.train_loss.is_finite());
    assert_ne!(later.train_loss, snap.train_loss, "it trained");
    assert!(
        later
            .surface
            .is_some_and(|s| s.loss.iter().all(|v| v.is_finite()))
    );
    // Restarting with the same configuration goes back to the file's point.
    let restarted = Session::new(from_file).unwrap();
    assert_eq!(restarted.snapshot().train_loss, snap.train_loss);
    assert_eq!(restarted.to_problem().params, problem.params);
}

/// Issue 9: the exported problem file had no directions, so `analyze
/// --directions file` could not reproduce the app's plane; it now carries
/// the surface's two directions, and the analysis gives the app's surface.
#[test]
fn a_saved_problem_carries_the_plane_the_app_shows() {
    let mut session = Session::new(config()).unwrap();
    assert!(session.train(120).is_none());
    session.measure();
    let snap = session.snapshot();
    let surface = snap.surface.expect("measured");
    let problem = session.to_problem();
    let directions = problem.directions.as_ref().expect("the plane's directions");
    assert_eq!(directions.len(), 2);
    let (n, r) = snap.config.grid;
    let opts = AnalyzeOptions {
        top_k: 2,
        grid: n,
        range: r,
        directions: Some(curvscope_core::analysis::analyze::DirectionChoice::File),
        ..AnalyzeOptions::default()
    };
    let report = analyze(&problem, "app", &opts).unwrap();
    for (i, row) in report.grid.loss.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let app = surface.loss[(i, j)];
            assert!(
                (v - app).abs() <= 1e-12 * app.abs().max(1.0),
                "({i}, {j}): analyze {v}, app {app}"
            );
        }
    }
}

/// The vertex index of grid point (i, j) in an n × n grid.
fn vertex(n: usize, i: usize, j: usize) -> usize {
    i * n + j
}

#[test]
fn glb_reads_back_with_the_gltf_crate() {
    let surface = surface();
    let n = surface.coords.len();
    let glb = surface_glb(&surface);
    let gltf = gltf::Gltf::from_slice(&glb).expect("a valid glb");
    let blob = gltf.blob.as_deref().expect("a binary chunk");
    let meshes: Vec<_> = gltf.meshes().collect();
    assert_eq!(meshes.len(), 1);
    let primitives: Vec<_> = meshes[0].primitives().collect();
    assert_eq!(primitives.len(), 1);
    let prim = &primitives[0];
    assert_eq!(prim.mode(), gltf::mesh::Mode::Triangles);
    let reader = prim.reader(|_| Some(blob));

    let positions: Vec<[f32; 3]> = reader.read_positions().unwrap().collect();
    assert_eq!(positions.len(), n * n);
    for i in 0..n {
        for j in 0..n {
            let expected = [
                surface.coords[i] as f32,
                surface.loss[(i, j)] as f32,
                surface.coords[j] as f32,
            ];
            assert_eq!(positions[vertex(n, i, j)], expected, "vertex ({i}, {j})");
        }
    }
    // The accessor's bounds are those of the positions.
    let bounds = prim.bounding_box();
    let lo = surface.loss.iter().copied().fold(f64::INFINITY, f64::min) as f32;
    let hi = surface
        .loss
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max) as f32;
    assert_eq!(bounds.min, [-0.5, lo, -0.5]);
    assert_eq!(bounds.max, [0.5, hi, 0.5]);

    let normals: Vec<[f32; 3]> = reader.read_normals().unwrap().collect();
    assert_eq!(normals.len(), n * n);
    for nv in &normals {
        let len = (nv[0] * nv[0] + nv[1] * nv[1] + nv[2] * nv[2]).sqrt();
        assert!((len - 1.0).abs() < 1e-5 && nv[1] > 0.0, "{nv:?}");
    }

    let colors: Vec<[f32; 3]> = reader.read_colors(0).unwrap().into_rgb_f32().collect();
    assert_eq!(colors.len(), n * n);
    // The lowest point is the start of viridis, the highest its end.
    let (argmin, argmax) = extremes(&surface);
    assert_eq!(colors[argmin], curvscope_core::colormap::viridis(0.0));
    assert_eq!(colors[argmax], curvscope_core::colormap::viridis(1.0));

    let indices: Vec<u32> = reader.read_indices().unwrap().into_u32().collect();
    assert_eq!(indices.len(), 6 * (n - 1) * (n - 1));
    assert!(indices.iter().all(|&k| (k as usize) < n * n));
    // Every vertex is used.
    let mut used = vec![false; n * n];
    indices.iter().for_each(|&k| used[k as usize] = true);
    assert!(used.iter().all(|&u| u));
}

/// Row-major indices of the smallest and largest loss.
fn extremes(surface: &Surface) -> (usize, usize) {
    let flat: Vec<f64> = surface.loss.iter().copied().collect();
    let arg = |better: fn(f64, f64) -> bool| {
        (0..flat.len())
            .reduce(|a, b| if better(flat[b], flat[a]) { b } else { a })
            .unwrap()
    };
    (arg(|x, y| x < y), arg(|x, y| x > y))
}

#[test]
fn glb_draws_non_finite_losses_at_the_largest_finite_one() {
    let mut surface = surface();
    let hi = surface
        .loss
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    surface.loss[(0, 0)] = f64::INFINITY;
    surface.loss[(1, 2)] = f64::NAN;
    let glb = surface_glb(&surface);
    let gltf = gltf::Gltf::from_slice(&glb).unwrap();
    let blob = gltf.blob.as_deref().unwrap();
    let prim = gltf.meshes().next().unwrap().primitives().next().unwrap();
    let positions: Vec<[f32; 3]> = prim
        .reader(|_| Some(blob))
        .read_positions()
        .unwrap()
        .collect();
    let n = surface.coords.len();
    assert_eq!(positions[vertex(n, 0, 0)][1], hi as f32);
    assert_eq!(positions[vertex(n, 1, 2)][1], hi as f32);
    assert_eq!(prim.bounding_box().max[1], hi as f32);
}

#[test]
fn ply_reads_back_with_the_ply_rs_crate() {
    use ply_rs::ply::Property;
    let surface = surface();
    let n = surface.coords.len();
    let text = surface_ply(&surface);
    let parser = ply_rs::parser::Parser::<ply_rs::ply::DefaultElement>::new();
    let ply = parser.read_ply(&mut text.as_bytes()).expect("a valid PLY");
    let vertices = &ply.payload["vertex"];
    assert_eq!(vertices.len(), n * n);
    let float = |p: &Property| match p {
        Property::Float(x) => *x,
        other => panic!("expected a float, got {other:?}"),
    };
    let uchar = |p: &Property| match p {
        Property::UChar(x) => *x,
        other => panic!("expected a uchar, got {other:?}"),
    };
    for i in 0..n {
        for j in 0..n {
            let v = &vertices[vertex(n, i, j)];
            assert_eq!(float(&v["x"]), surface.coords[i] as f32);
            assert_eq!(float(&v["y"]), surface.loss[(i, j)] as f32);
            assert_eq!(float(&v["z"]), surface.coords[j] as f32);
        }
    }
    let (argmin, argmax) = extremes(&surface);
    let rgb = |k: usize| ["red", "green", "blue"].map(|c| uchar(&vertices[k][c]));
    assert_eq!(rgb(argmin), curvscope_core::colormap::viridis_srgb8(0.0));
    assert_eq!(rgb(argmax), curvscope_core::colormap::viridis_srgb8(1.0));
    assert_eq!(rgb(argmax), [253, 231, 37]);

    let faces = &ply.payload["face"];
    assert_eq!(faces.len(), 2 * (n - 1) * (n - 1));
    for f in faces {
        match &f["vertex_indices"] {
            Property::ListUInt(ix) => {
                assert_eq!(ix.len(), 3);
                assert!(ix.iter().all(|&k| (k as usize) < n * n));
            }
            other => panic!("expected a list of uint, got {other:?}"),
        }
    }
}

#[test]
fn grid_csv_and_json_parse_back_to_the_grid() {
    let surface = surface();
    let n = surface.coords.len();

    let csv = grid_csv(&surface);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), n * n + 1);
    assert_eq!(lines[0], "a,b,loss");
    for (k, line) in lines[1..].iter().enumerate() {
        let (i, j) = (k / n, k % n);
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        assert_eq!(
            v,
            vec![surface.coords[i], surface.coords[j], surface.loss[(i, j)]],
            "line {}",
            k + 2
        );
    }

    let doc: serde_json::Value = serde_json::from_str(&grid_json(&surface)).unwrap();
    assert_eq!(doc["format"], "curvscope-grid/1");
    assert_eq!(doc["kind"], "eigen");
    let coords: Vec<f64> = serde_json::from_value(doc["coords"].clone()).unwrap();
    assert_eq!(coords, surface.coords);
    let loss: Vec<Vec<f64>> = serde_json::from_value(doc["loss"].clone()).unwrap();
    assert_eq!(loss.len(), n);
    for (i, row) in loss.iter().enumerate() {
        assert_eq!(*row, surface.loss.row(i).to_vec(), "row {i}");
    }
    let curv: [f64; 2] = serde_json::from_value(doc["axis_curvatures"].clone()).unwrap();
    assert_eq!(curv, surface.axis_curvatures);
    assert!(curv[0] > 0.0);
}

#[test]
fn series_csv_has_the_header_and_a_row_per_snapshot() {
    let mut session = Session::new(SessionConfig {
        settings: TrainerSettings::sgd(0.05, None, 0.5),
        ..config()
    })
    .unwrap();
    let before = session.snapshot().series_row();
    assert_eq!(before.lambda_max, None, "no measurement yet");
    session.train(10);
    session.measure();
    let snap = session.snapshot();
    let row = snap.series_row();
    let curvature = snap.curvature.as_ref().unwrap();
    assert_eq!(row.lambda_max, Some(curvature.top[0]));
    assert_eq!(row.lambda_min, Some(curvature.min));
    assert_eq!(row.trace, Some(curvature.trace.value));

    let csv = series_csv(&[before, row.clone()]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], SERIES_HEADER);
    assert_eq!(
        lines[0].split(',').collect::<Vec<_>>(),
        [
            "step",
            "train_loss",
            "test_loss",
            "lambda_max",
            "lambda_min",
            "trace",
            "learning_rate",
            "batch_size",
            "momentum"
        ]
    );
    let first: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(first[0], "0");
    assert_eq!(&first[3..6], ["", "", ""]);
    let f: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(f.len(), 9);
    assert_eq!(f[0], "10");
    assert_eq!(f[1].parse::<f64>().unwrap(), snap.train_loss);
    assert_eq!(f[2].parse::<f64>().unwrap(), snap.test_loss.unwrap());
    assert_eq!(f[3].parse::<f64>().unwrap(), curvature.top[0]);
    assert_eq!(f[4].parse::<f64>().unwrap(), curvature.min);
    assert_eq!(f[5].parse::<f64>().unwrap(), curvature.trace.value);
    assert_eq!(&f[6..], ["0.05", "full", "0.5"]);
}

#[test]
fn save_writes_the_bytes_and_names_the_path_when_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("surface.glb");
    let bytes = surface_glb(&surface());
    export::save(&path, &bytes).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    // Only the file itself is left (no temporary file).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let missing = dir.path().join("no_such_folder").join("x.glb");
    let err = export::save(&missing, b"abc").unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("cannot write {}: ", missing.display())),
        "{message}"
    );
    assert!(message.contains("No such file or directory"), "{message}");
    assert!(!missing.exists());
}
