//! What the `cli` tests share: the sample problems and their expected
//! values, `analyze --json` runs, and the checks of its results that
//! `analysis-format.md` documents.

use std::fs;
use std::path::{Path, PathBuf};

use curvscope_core::io::problem::Problem;
use serde_json::Value;

use crate::binary::succeeds;
use crate::common::root;

pub const SAMPLES: [&str; 3] = ["sine", "moons", "spiral3"];

pub fn sample(name: &str) -> PathBuf {
    root().join(format!("assets/problems/{name}.json"))
}

pub fn expected(name: &str) -> Value {
    let path = root().join(format!("tests/data/{name}.expected.json"));
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

pub fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

pub fn nums(v: &Value, what: &str) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what} is not a list: {v}"))
        .iter()
        .map(|x| num(x, what))
        .collect()
}

pub fn grid_of(v: &Value) -> Vec<Vec<f64>> {
    v["grid"]["loss"]
        .as_array()
        .expect("grid.loss is a list")
        .iter()
        .map(|row| nums(row, "grid.loss row"))
        .collect()
}

/// Runs `analyze` on `problem` with `extra` options and `--json` into `dir`;
/// returns (stdout, parsed JSON).
pub fn analyze_json(problem: &Path, extra: &[&str], dir: &Path, tag: &str) -> (String, Value) {
    let out = dir.join(format!("{tag}.json"));
    let mut args = vec!["analyze", problem.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--json", out.to_str().unwrap()]);
    let stdout = succeeds(&args);
    let value: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap())
        .unwrap_or_else(|e| panic!("{}: not JSON: {e}", out.display()));
    (stdout, value)
}

/// The checks of `analysis-format.md` that hold for any result.
pub fn check_format(v: &Value, problem: &str, n: usize, r: f64, directions: &str) {
    assert_eq!(v["format"], "curvscope-analysis/1");
    assert_eq!(v["problem"], problem);
    assert!(v["n_params"].as_u64().is_some_and(|p| p > 0), "n_params");
    assert!(v["n_samples"].as_u64().is_some_and(|p| p > 0), "n_samples");
    num(&v["loss"], "loss");
    assert!(num(&v["grad_norm"], "grad_norm") >= 0.0);
    let h = &v["hessian"];
    let top = nums(&h["top"], "hessian.top");
    assert!(
        top.windows(2).all(|w| w[0] >= w[1]),
        "hessian.top not descending: {top:?}"
    );
    let min = num(&h["min"], "hessian.min");
    assert!(
        top.iter().all(|&t| min <= t),
        "hessian.min {min} above a top value {top:?}"
    );
    num(&h["trace"], "hessian.trace");
    let method = h["trace_method"].as_str().expect("trace_method");
    assert!(
        method == "exact" || method == "hutchinson",
        "trace_method {method}"
    );
    let stderr = num(&h["trace_stderr"], "trace_stderr");
    if method == "exact" {
        assert_eq!(stderr, 0.0, "exact trace with an error bar");
    }
    assert!(h["method"].as_str().is_some(), "hessian.method");

    let g = &v["grid"];
    assert_eq!(g["n"].as_u64(), Some(n as u64), "grid.n");
    assert_eq!(num(&g["r"], "grid.r"), r, "grid.r");
    assert_eq!(g["directions"], directions, "grid.directions");
    let alphas = nums(&g["alphas"], "grid.alphas");
    assert_eq!(alphas.len(), n, "grid.alphas length");
    for (k, &a) in alphas.iter().enumerate() {
        let want = -r + 2.0 * r * k as f64 / (n - 1) as f64;
        assert!(
            (a - want).abs() <= 4.0 * f64::EPSILON * r,
            "grid.alphas[{k}] = {a}, expected -R + 2Rk/(N-1) = {want}"
        );
    }
    let loss = grid_of(v);
    assert_eq!(loss.len(), n, "grid.loss rows");
    for (i, row) in loss.iter().enumerate() {
        assert_eq!(row.len(), n, "grid.loss[{i}] length");
        assert!(
            row.iter().all(|x| x.is_finite()),
            "grid.loss[{i}] not finite"
        );
    }
    for part in ["hessian", "grid"] {
        assert!(num(&v["seconds"][part], "seconds") >= 0.0, "seconds.{part}");
    }
}

pub fn rel_close(what: &str, got: f64, exp: f64, tol: f64) {
    assert!(
        (got - exp).abs() <= tol,
        "{what}: got {got:.17e}, expected {exp:.17e}, tolerance {tol:.3e}"
    );
}

/// The centre of an odd grid is the loss at the parameters.
pub fn check_center(v: &Value, rel: f64) {
    let loss = num(&v["loss"], "loss");
    let grid = grid_of(v);
    let c = grid.len() / 2;
    rel_close("grid centre vs loss", grid[c][c], loss, rel * loss.abs());
}

/// A sample saved without directions, in `dir`.
pub fn problem_without_directions(dir: &Path) -> PathBuf {
    let mut problem = Problem::load(&sample("moons")).unwrap();
    problem.directions = None;
    let path = dir.join("nodirs.json");
    problem.save(&path).unwrap();
    path
}

/// A tanh MLP problem with these layers and samples (deterministic values).
pub fn mlp_problem(dir: &Path, layers: &[usize], samples: usize) -> PathBuf {
    let n: usize = layers.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
    let params: Vec<f64> = (0..n)
        .map(|i| 0.02 * ((i * 7919 % 101) as f64 / 50.0 - 1.0))
        .collect();
    let x: Vec<Vec<f64>> = (0..samples)
        .map(|s| {
            (0..layers[0])
                .map(|j| ((s + j) % 7) as f64 / 7.0 - 0.5)
                .collect()
        })
        .collect();
    let y: Vec<f64> = (0..samples).map(|s| (s % 5) as f64 / 5.0).collect();
    let doc = serde_json::json!({
        "format": "curvscope-problem/1",
        "model": {"layers": layers, "activation": "tanh"},
        "loss": "mse",
        "data": {"x": x, "y": y},
        "params": params,
    });
    let path = dir.join(format!("mlp-{n}-{samples}.json"));
    fs::write(&path, doc.to_string()).unwrap();
    path
}
