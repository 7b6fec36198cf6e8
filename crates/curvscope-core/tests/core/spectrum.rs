//! The whole spectrum, the per-layer blocks and the PCA plane on the sample
//! problems: the exact spectrum and the blocks against the independently
//! computed JAX values (`tests/data/NAME.spectrum.json`), SLQ against the
//! exact spectrum within its stated error, and a recorded training path
//! against its PCA plane.

use crate::common::root;
use curvscope_core::analysis::analyze::{AnalyzeOptions, DirectionChoice, analyze};
use curvscope_core::contiguous::Flat;
use curvscope_core::curvature::layers::{hessian_picture, per_layer};
use curvscope_core::curvature::spectrum::{
    Spectrum, SpectrumOptions, exact_spectrum, integrate, slq_spectrum,
};
use curvscope_core::io::problem::Problem;
use curvscope_core::landscape::pca::pca_plane;
use curvscope_core::model::objective::Objective;
use curvscope_core::spec::SessionConfig;
use curvscope_core::train::session::Session;
use ndarray::Array1;
use serde_json::Value;
use std::fs;

const SAMPLES: [&str; 3] = ["sine", "moons", "spiral3"];

fn load(name: &str) -> (Problem, Value) {
    let problem = Problem::load(&root().join(format!("assets/problems/{name}.json"))).unwrap();
    let path = root().join(format!("tests/data/{name}.spectrum.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (problem, serde_json::from_str(&text).unwrap())
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// ∫ λᵏ ρ dλ of the spectrum's density.
fn density_moment(s: &Spectrum, k: i32) -> f64 {
    let f: Vec<f64> = s
        .lambda
        .iter()
        .zip(&s.density)
        .map(|(l, d)| l.powi(k) * d)
        .collect();
    integrate(&s.lambda, &f)
}

/// All P eigenvalues agree with JAX's to 1e-10 of the largest |λ|.
#[test]
fn exact_spectrum_matches_the_jax_eigenvalues() {
    for name in SAMPLES {
        let (problem, exp) = load(name);
        let want = floats(&exp["eigenvalues"]);
        let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
        let op = objective.hessian_at(problem.params.flat());
        let s = exact_spectrum(&op, &SpectrumOptions::default()).unwrap();
        let got = s.eigenvalues.as_ref().unwrap();
        assert_eq!(got.len(), want.len(), "{name}");
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let worst = got
            .iter()
            .zip(&want)
            .map(|(g, w)| (g - w).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= 1e-10 * scale,
            "{name}: worst {worst:e}, scale {scale:e}"
        );
        assert!(
            (integrate(&s.lambda, &s.density) - 1.0).abs() < 1e-9,
            "{name}"
        );
        let trace: f64 = want.iter().sum();
        let frob: f64 = want.iter().map(|v| v * v).sum();
        let p = want.len() as f64;
        assert!(
            (density_moment(&s, 1) - trace / p).abs() < 1e-10 * scale,
            "{name}"
        );
        let second = density_moment(&s, 2) - s.sigma * s.sigma;
        assert!((second - frob / p).abs() < 1e-9 * frob / p, "{name}");
    }
}

/// Each layer's block top eigenvalue and trace agree with JAX's.
#[test]
fn per_layer_blocks_match_the_jax_values() {
    for name in SAMPLES {
        let (problem, exp) = load(name);
        let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
        let op = objective.hessian_at(problem.params.flat());
        let layers = per_layer(&op, 1000, 0);
        let want = exp["per_layer"].as_array().unwrap();
        assert_eq!(layers.len(), want.len(), "{name}");
        let picture = hessian_picture(&op).unwrap();
        for (l, w) in layers.iter().zip(want) {
            let field = |k: &str| w[k].as_f64().unwrap();
            assert_eq!(l.layer as f64, field("layer"));
            assert_eq!(
                (l.start as f64, l.end as f64),
                (field("start"), field("end"))
            );
            assert_eq!(picture.layers[l.layer], l.start..l.end);
            let (top, trace) = (field("top"), field("trace"));
            assert!(
                (l.top - top).abs() <= 1e-9 * top.abs(),
                "{name} layer {}: top {} vs {top}",
                l.layer,
                l.top
            );
            assert!(
                (l.trace - trace).abs() <= 1e-10 * trace.abs().max(1.0),
                "{name} layer {}: trace {} vs {trace}",
                l.layer,
                l.trace
            );
            assert_eq!(l.trace_method, "exact");
        }
    }
}

/// SLQ against the exact spectrum: mass 1; the first two moments within 4
/// of their stated standard errors; the L1 distance between the densities
/// (both smoothed with SLQ's σ, on SLQ's grid) within twice the band.
#[test]
fn slq_agrees_with_the_exact_spectrum_within_its_error() {
    for name in SAMPLES {
        let (problem, exp) = load(name);
        let eig = floats(&exp["eigenvalues"]);
        let p = eig.len() as f64;
        let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
        let op = objective.hessian_at(problem.params.flat());
        let exact = exact_spectrum(&op, &SpectrumOptions::default()).unwrap();
        let slq = slq_spectrum(&op, &SpectrumOptions::default()).unwrap();
        assert!(
            (integrate(&slq.lambda, &slq.density) - 1.0).abs() < 1e-9,
            "{name}"
        );
        for (a, b) in exact.outliers.iter().zip(&slq.outliers) {
            assert!(
                (a - b).abs() <= 1e-8 * a.abs(),
                "{name}: outlier {b} vs {a}"
            );
        }
        let truths = [
            eig.iter().sum::<f64>() / p,
            eig.iter().map(|v| v * v).sum::<f64>() / p,
        ];
        for (k, truth) in [1, 2].into_iter().zip(truths) {
            let (got, se) = slq.moment(k);
            let broadened =
                density_moment(&slq, k) - if k == 2 { slq.sigma * slq.sigma } else { 0.0 };
            assert!(
                (broadened - got).abs() <= 1e-9 * got.abs().max(truth.abs()),
                "{name} moment {k}"
            );
            assert!(
                se > 0.0 && (got - truth).abs() <= 4.0 * se,
                "{name} moment {k}: {got} ± {se} vs {truth}"
            );
        }
        let smoothed = exact.measures[0].density(&slq.lambda, slq.sigma);
        let diff: Vec<f64> = smoothed
            .iter()
            .zip(&slq.density)
            .map(|(a, b)| (a - b).abs())
            .collect();
        let (l1, band) = (integrate(&slq.lambda, &diff), slq.band_l1());
        assert!(l1 <= 2.0 * band, "{name}: L1 distance {l1}, band {band}");
    }
}

/// The default run's recorded path lies in its PCA plane to the reported
/// off-plane distance, which `analyze --directions pca` reports too.
#[test]
fn a_recorded_path_lies_in_its_pca_plane() {
    let mut session = Session::new(SessionConfig::default()).unwrap();
    let mut path: Vec<Array1<f64>> = Vec::new();
    for _ in 0..40 {
        session.train(25);
        path.push(session.to_problem().params);
    }
    let mut problem = session.to_problem();
    let pca = pca_plane(&path, problem.params.view()).unwrap();
    let [d0, d1] = &pca.plane.directions;
    assert!((d0.dot(d0) - 1.0).abs() < 1e-12 && d0.dot(d1).abs() < 1e-12);
    assert!(
        pca.explained[0] >= pca.explained[1] && pca.explained[0] + pca.explained[1] <= 1.0 + 1e-12
    );
    // Σ‖θ_t − θ_now‖² splits into the plane's share and the off-plane rest.
    let mut total = 0.0;
    let mut off = 0.0;
    for theta in &path {
        let r = theta - &problem.params;
        total += r.dot(&r);
        let d = pca.off_plane(theta.view());
        assert!(d <= pca.max_off_plane);
        off += d * d;
    }
    let share = 1.0 - pca.explained[0] - pca.explained[1];
    assert!(
        (off - share * total).abs() <= 1e-9 * total,
        "{off} vs {}",
        share * total
    );
    assert!(pca.max_off_plane * pca.max_off_plane <= share * total + 1e-12 * total);

    problem.trajectory = Some(path);
    let opts = AnalyzeOptions {
        directions: Some(DirectionChoice::Pca),
        grid: 3,
        ..AnalyzeOptions::default()
    };
    let report = analyze(&problem, "run.json", &opts).unwrap();
    let reported = report.pca.as_ref().unwrap();
    assert_eq!(reported.points, 40);
    assert_eq!(reported.max_off_plane, pca.max_off_plane);
    assert_eq!(reported.explained, pca.explained);
    assert_eq!(report.grid.directions, "pca");
    let back = Problem::from_json_str(&problem.to_json_string()).unwrap();
    assert_eq!(back.trajectory, problem.trajectory);
}
