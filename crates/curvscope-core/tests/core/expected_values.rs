//! The sample problems against their independently computed float64 values
//! (JAX, `tests/data/NAME.expected.json`), with the tolerances and the pass
//! rule written in each expected file; no expected number is written here.
//!
//! - `analyze` (Lanczos eigenvalues, exact trace, grid along the file's
//!   directions) must reproduce loss, gradient norm, top-5, min, trace and
//!   every grid entry.
//! - The dense Hessian (P exact HVPs, dense eigensolver) must reproduce the
//!   top-5, the bottom-5 and the number of negative eigenvalues, and the exact
//!   diagonal the per-layer traces.

use crate::common;
use curvscope_core::contiguous::Flat;

use std::fs;
use std::path::PathBuf;

use curvscope_core::analysis::analyze::{AnalysisReport, AnalyzeOptions, analyze};
use curvscope_core::curvature::dense::symmetric_eigen;
use curvscope_core::io::problem::Problem;
use curvscope_core::model::objective::Objective;
use serde_json::Value;

const SAMPLES: [&str; 3] = ["sine", "moons", "spiral3"];

use common::root;

fn problem_path(name: &str) -> PathBuf {
    root().join(format!("assets/problems/{name}.json"))
}

fn load_problem(name: &str) -> Problem {
    let path = problem_path(name);
    Problem::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load_expected(name: &str) -> Value {
    let path = root().join(format!("tests/data/{name}.expected.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The number at `path` (keys separated by `/`) of the expected file.
fn num(v: &Value, path: &str) -> f64 {
    path.split('/')
        .fold(v, |v, key| &v[key])
        .as_f64()
        .unwrap_or_else(|| panic!("expected file: `{path}` is not a number"))
}

fn nums(v: &Value, path: &str) -> Vec<f64> {
    path.split('/')
        .fold(v, |v, key| &v[key])
        .as_array()
        .unwrap_or_else(|| panic!("expected file: `{path}` is not a list"))
        .iter()
        .map(|x| {
            x.as_f64()
                .unwrap_or_else(|| panic!("expected file: `{path}` holds a non-number"))
        })
        .collect()
}

/// The tolerances of one expected file, as its `definition` says to apply them.
struct Tolerances {
    loss_rel: f64,
    grad_rel: f64,
    grad_abs: f64,
    grid_rel: f64,
    /// rel_to_max_abs_eig * max_abs_eig, for every eigenvalue.
    eig_abs: f64,
    /// Same rule for the trace (and, here, for its per-layer parts).
    trace_abs: f64,
}

impl Tolerances {
    fn read(exp: &Value) -> Self {
        let max_abs = num(exp, "max_abs_eig");
        let eig_abs = num(exp, "tolerance/eigenvalues/rel_to_max_abs_eig") * max_abs;
        let trace_abs = num(exp, "tolerance/trace/rel_to_max_abs_eig") * max_abs;
        // The file also states the products; they must be the same rule.
        for (what, mine, file) in [
            (
                "eigenvalues",
                eig_abs,
                num(exp, "tolerance/eigenvalues/abs"),
            ),
            ("trace", trace_abs, num(exp, "tolerance/trace/abs")),
        ] {
            assert!(
                (mine - file).abs() <= 1e-12 * file.abs(),
                "expected file: tolerance/{what}/abs = {file}, but rel_to_max_abs_eig * max_abs_eig = {mine}"
            );
        }
        Self {
            loss_rel: num(exp, "tolerance/loss/rel"),
            grad_rel: num(exp, "tolerance/grad_norm/rel"),
            grad_abs: num(exp, "tolerance/grad_norm/abs"),
            grid_rel: num(exp, "tolerance/grid/rel"),
            eig_abs,
            trace_abs,
        }
    }
}

/// Collects every failed comparison, so one run shows all of them.
#[derive(Default)]
struct Checks {
    sample: String,
    failures: Vec<String>,
    count: usize,
}

impl Checks {
    fn new(sample: &str) -> Self {
        Self {
            sample: sample.to_string(),
            ..Self::default()
        }
    }

    /// Passes if |got - exp| <= tol (tol already in absolute units).
    fn close(&mut self, what: &str, got: f64, exp: f64, tol: f64, rule: &str) {
        self.count += 1;
        let diff = (got - exp).abs();
        if diff.is_nan() || diff > tol {
            self.failures.push(format!(
                "{what}: got {got:.17e}, expected {exp:.17e}, |diff| {diff:.3e} > tolerance {tol:.3e} ({rule})"
            ));
        }
    }

    fn rel(&mut self, what: &str, got: f64, exp: f64, rel: f64) {
        self.close(what, got, exp, rel * exp.abs(), &format!("rel {rel:e}"));
    }

    fn eig(&mut self, what: &str, got: f64, exp: f64, abs: f64) {
        self.close(what, got, exp, abs, "rel_to_max_abs_eig * max_abs_eig");
    }

    fn fail(&mut self, message: String) {
        self.count += 1;
        self.failures.push(message);
    }

    fn finish(self) {
        const SHOWN: usize = 20;
        assert!(
            self.failures.is_empty(),
            "{}: {} of {} checks failed:\n  {}{}",
            self.sample,
            self.failures.len(),
            self.count,
            self.failures[..self.failures.len().min(SHOWN)].join("\n  "),
            if self.failures.len() > SHOWN {
                format!("\n  ... and {} more", self.failures.len() - SHOWN)
            } else {
                String::new()
            }
        );
    }
}

/// `analyze` with the expected file's settings: as many eigenvalues as it
/// lists, its grid size and range, directions from the problem file.
fn run_analyze(name: &str, problem: &Problem, exp: &Value) -> AnalysisReport {
    let n = exp["grid"]["n"].as_u64().expect("grid.n") as usize;
    let opts = AnalyzeOptions {
        top_k: nums(exp, "hessian_top5").len(),
        grid: n,
        range: num(exp, "grid/r"),
        directions: None,
        seed: 0,
        ..AnalyzeOptions::default()
    };
    analyze(problem, &format!("{name}.json"), &opts).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn check_analyze(name: &str) {
    let problem = load_problem(name);
    let exp = load_expected(name);
    let tol = Tolerances::read(&exp);
    let report = run_analyze(name, &problem, &exp);
    let mut c = Checks::new(name);

    if report.n_params != exp["n_params"].as_u64().unwrap() as usize
        || report.n_samples != exp["n_samples"].as_u64().unwrap() as usize
    {
        c.fail(format!(
            "sizes: got {} params / {} samples, expected {} / {}",
            report.n_params, report.n_samples, exp["n_params"], exp["n_samples"]
        ));
    }
    c.rel("loss", report.loss, num(&exp, "loss"), tol.loss_rel);
    let g = num(&exp, "grad_norm");
    c.close(
        "grad_norm",
        report.grad_norm,
        g,
        tol.grad_rel * g.abs() + tol.grad_abs,
        &format!("rel {:e} + abs {:e}", tol.grad_rel, tol.grad_abs),
    );

    let h = &report.hessian;
    let top = nums(&exp, "hessian_top5");
    if h.top.len() != top.len() {
        c.fail(format!(
            "hessian.top: got {} values, expected {}",
            h.top.len(),
            top.len()
        ));
    }
    for (i, (&got, &want)) in h.top.iter().zip(&top).enumerate() {
        c.eig(&format!("hessian.top[{i}]"), got, want, tol.eig_abs);
    }
    c.eig("hessian.min", h.min, num(&exp, "hessian_min"), tol.eig_abs);
    if h.trace_method != "exact" {
        c.fail(format!(
            "hessian.trace_method: got {:?}, expected \"exact\"",
            h.trace_method
        ));
    }
    c.eig(
        "hessian.trace",
        h.trace,
        num(&exp, "hessian_trace"),
        tol.trace_abs,
    );
    if h.trace_stderr != 0.0 {
        c.fail(format!(
            "hessian.trace_stderr: got {}, expected 0 for an exact trace",
            h.trace_stderr
        ));
    }

    let grid = &report.grid;
    let alphas = nums(&exp, "grid/alphas");
    if grid.directions != "file" {
        c.fail(format!(
            "grid.directions: got {:?}, expected \"file\"",
            grid.directions
        ));
    }
    if grid.alphas.len() != alphas.len() {
        c.fail(format!(
            "grid.alphas: got {} values, expected {}",
            grid.alphas.len(),
            alphas.len()
        ));
    }
    for (k, (&got, &want)) in grid.alphas.iter().zip(&alphas).enumerate() {
        // Both are -r + 2rk/(n-1); allow a few ulps of r for the order of operations.
        c.close(
            &format!("grid.alphas[{k}]"),
            got,
            want,
            4.0 * f64::EPSILON * num(&exp, "grid/r"),
            "4 ulp of r",
        );
    }
    let rows = exp["grid"]["loss"].as_array().expect("grid.loss");
    if grid.loss.len() != rows.len() {
        c.fail(format!(
            "grid.loss: got {} rows, expected {}",
            grid.loss.len(),
            rows.len()
        ));
    }
    for (i, (got_row, exp_row)) in grid.loss.iter().zip(rows).enumerate() {
        let exp_row = exp_row.as_array().expect("grid.loss row");
        if got_row.len() != exp_row.len() {
            c.fail(format!(
                "grid.loss[{i}]: got {} columns, expected {}",
                got_row.len(),
                exp_row.len()
            ));
        }
        for (j, (&got, want)) in got_row.iter().zip(exp_row).enumerate() {
            let want = want.as_f64().expect("grid.loss entry");
            c.rel(&format!("grid.loss[{i}][{j}]"), got, want, tol.grid_rel);
        }
    }
    c.finish();
}

/// Dense Hessian and exact diagonal against the expected spectrum and traces.
fn check_dense(name: &str) {
    let problem = load_problem(name);
    let exp = load_expected(name);
    let tol = Tolerances::read(&exp);
    let mut c = Checks::new(name);

    let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
    let op = objective.hessian_at(problem.params.flat());
    let dense = op.dense().expect("small model");
    let p = problem.n_params();
    assert_eq!(dense.dim(), (p, p), "{name}: dense Hessian shape");
    let eig = symmetric_eigen(dense.view()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let ascending: Vec<f64> = eig.values.to_vec();

    let top = nums(&exp, "hessian_top5");
    for (i, (&got, &want)) in ascending.iter().rev().zip(&top).enumerate() {
        c.eig(&format!("dense top[{i}]"), got, want, tol.eig_abs);
    }
    let bottom = nums(&exp, "hessian_bottom5");
    for (i, (&got, &want)) in ascending.iter().zip(&bottom).enumerate() {
        c.eig(&format!("dense bottom5[{i}]"), got, want, tol.eig_abs);
    }
    c.eig(
        "dense min",
        ascending[0],
        num(&exp, "hessian_min"),
        tol.eig_abs,
    );
    c.eig(
        "dense sum of eigenvalues",
        ascending.iter().sum(),
        num(&exp, "hessian_trace"),
        tol.trace_abs,
    );

    // hessian_n_negative counts the reference's eigenvalues below 0. Each of
    // ours may differ from the reference's by up to the tolerance, so an
    // eigenvalue within it of zero may fall on either side (relu networks
    // have many exactly-zero ones). What must hold is
    //   #{ours < -tol}  <=  n_negative  <=  #{ours < +tol}.
    let n_negative = exp["hessian_n_negative"].as_u64().expect("n_negative") as usize;
    let surely_negative = ascending.iter().filter(|&&v| v < -tol.eig_abs).count();
    let maybe_negative = ascending.iter().filter(|&&v| v < tol.eig_abs).count();
    if !(surely_negative <= n_negative && n_negative <= maybe_negative) {
        c.fail(format!(
            "hessian_n_negative: expected {n_negative}, but {surely_negative} eigenvalues are below -{:.3e} \
             and {maybe_negative} below +{:.3e} (tolerance rel_to_max_abs_eig * max_abs_eig)",
            tol.eig_abs, tol.eig_abs
        ));
    }

    // Per-layer traces: the exact diagonal summed over each W and b.
    let diag = op.diagonal();
    let blocks = exp["hessian_trace_by_block"]
        .as_array()
        .expect("hessian_trace_by_block");
    let spans = problem.architecture.spans();
    if blocks.len() != spans.len() {
        c.fail(format!(
            "hessian_trace_by_block: got {} layers, expected {}",
            spans.len(),
            blocks.len()
        ));
    }
    for block in blocks {
        let l = block["layer"].as_u64().expect("layer") as usize;
        let Some(span) = spans.get(l) else { continue };
        let w: f64 = diag
            .slice(ndarray::s![span.weight_offset..span.bias_offset])
            .sum();
        let b: f64 = diag.slice(ndarray::s![span.bias_offset..span.end()]).sum();
        c.eig(
            &format!("trace of layer {l} W"),
            w,
            num(block, "W_trace"),
            tol.trace_abs,
        );
        c.eig(
            &format!("trace of layer {l} b"),
            b,
            num(block, "b_trace"),
            tol.trace_abs,
        );
    }
    c.eig(
        "sum of the diagonal",
        diag.sum(),
        num(&exp, "hessian_trace"),
        tol.trace_abs,
    );
    // The diagonal of the dense Hessian is the same matrix's diagonal.
    for (i, (&d, &h)) in diag.iter().zip(dense.diag()).enumerate() {
        if (d - h).is_nan() || (d - h).abs() > tol.eig_abs {
            c.fail(format!(
                "diagonal()[{i}] = {d:.17e} but dense()[{i},{i}] = {h:.17e} (tolerance {:.3e})",
                tol.eig_abs
            ));
            break;
        }
    }
    c.finish();
}

#[test]
fn sine_analyze_matches_expected() {
    check_analyze("sine");
}

#[test]
fn moons_analyze_matches_expected() {
    check_analyze("moons");
}

#[test]
fn spiral3_analyze_matches_expected() {
    check_analyze("spiral3");
}

#[test]
fn sine_dense_hessian_matches_expected() {
    check_dense("sine");
}

#[test]
fn moons_dense_hessian_matches_expected() {
    check_dense("moons");
}

#[test]
fn spiral3_dense_hessian_matches_expected() {
    check_dense("spiral3");
}

/// Asking for every eigenvalue (top_k = P, the largest allowed) gives the
/// whole spectrum: its ends are the expected top-5 and bottom-5.
#[test]
fn analyze_with_top_k_equal_to_n_params_gives_the_whole_spectrum() {
    let name = "sine";
    let problem = load_problem(name);
    let exp = load_expected(name);
    let tol = Tolerances::read(&exp);
    let p = problem.n_params();
    let opts = AnalyzeOptions {
        top_k: p,
        grid: 2,
        ..AnalyzeOptions::default()
    };
    let report = analyze(&problem, "sine.json", &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let top = &report.hessian.top;
    assert_eq!(
        top.len(),
        p,
        "{name}: top_k = {p} gave {} values",
        top.len()
    );
    let mut c = Checks::new(name);
    for (i, pair) in top.windows(2).enumerate() {
        if pair[0] < pair[1] {
            c.fail(format!(
                "top not descending at {i}: {} < {}",
                pair[0], pair[1]
            ));
        }
    }
    for (i, (&got, &want)) in top.iter().zip(&nums(&exp, "hessian_top5")).enumerate() {
        c.eig(&format!("top[{i}]"), got, want, tol.eig_abs);
    }
    for (i, (&got, &want)) in top
        .iter()
        .rev()
        .zip(&nums(&exp, "hessian_bottom5"))
        .enumerate()
    {
        c.eig(
            &format!("top[{}] (bottom5[{i}])", p - 1 - i),
            got,
            want,
            tol.eig_abs,
        );
    }
    c.eig(
        "sum of all top",
        top.iter().sum(),
        num(&exp, "hessian_trace"),
        tol.trace_abs,
    );
    c.eig(
        "min",
        report.hessian.min,
        num(&exp, "hessian_min"),
        tol.eig_abs,
    );
    c.finish();
}

/// The expected files describe exactly the shipped problems.
#[test]
fn expected_files_describe_the_shipped_problems() {
    for name in SAMPLES {
        let problem = load_problem(name);
        let exp = load_expected(name);
        assert_eq!(exp["problem"], format!("{name}.json"), "{name}: problem");
        let layers: Vec<usize> = exp["model"]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(problem.architecture.layers, layers, "{name}: layers");
        assert_eq!(
            problem.architecture.activation.name(),
            exp["model"]["activation"].as_str().unwrap(),
            "{name}: activation"
        );
        assert_eq!(
            problem.loss.name(),
            exp["loss_fn"].as_str().unwrap(),
            "{name}: loss"
        );
        assert!(
            problem.directions.as_ref().is_some_and(|d| d.len() >= 2),
            "{name}: the sample needs two directions for the expected grid"
        );
    }
}
