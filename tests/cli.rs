//! The real `curvscope` binary, end to end: `analyze` writes results that
//! follow `analysis-format.md` and agree with the expected files, its options
//! behave, every bad input fails with one clear line (never a panic), and
//! `bench` prints and writes its report.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use curvscope_core::io::problem::Problem;
use serde_json::Value;

const SAMPLES: [&str; 3] = ["sine", "moons", "spiral3"];

use common::root;

fn sample(name: &str) -> PathBuf {
    root().join(format!("assets/problems/{name}.json"))
}

fn expected(name: &str) -> Value {
    let path = root().join(format!("tests/data/{name}.expected.json"));
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

/// Runs the binary with `args` in the crate root.
fn curvscope<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_curvscope"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the curvscope binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "curvscope {}\nstatus: {}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// Runs and requires success; returns stdout.
fn succeeds(args: &[&str]) -> String {
    let out = curvscope(args);
    assert!(
        out.status.success(),
        "expected success\n{}",
        describe(args, &out)
    );
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        describe(args, &out)
    );
    text(&out.stdout)
}

/// Runs and requires a failure with exactly one line on stderr that holds
/// every one of `needles`; returns that line.
fn fails_with(args: &[&str], needles: &[&str]) -> String {
    let out = curvscope(args);
    let stderr = text(&out.stderr);
    let all = describe(args, &out);
    assert!(!out.status.success(), "expected a failure\n{all}");
    assert!(!stderr.contains("panicked"), "panic\n{all}");
    let line = stderr.trim_end();
    assert_eq!(
        line.lines().count(),
        1,
        "expected one line on stderr\n{all}"
    );
    for needle in needles {
        assert!(line.contains(needle), "stderr lacks `{needle}`\n{all}");
    }
    line.to_string()
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

fn nums(v: &Value, what: &str) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what} is not a list: {v}"))
        .iter()
        .map(|x| num(x, what))
        .collect()
}

fn grid_of(v: &Value) -> Vec<Vec<f64>> {
    v["grid"]["loss"]
        .as_array()
        .expect("grid.loss is a list")
        .iter()
        .map(|row| nums(row, "grid.loss row"))
        .collect()
}

/// Runs `analyze` on `problem` with `extra` options and `--json` into `dir`;
/// returns (stdout, parsed JSON).
fn analyze_json(problem: &Path, extra: &[&str], dir: &Path, tag: &str) -> (String, Value) {
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
fn check_format(v: &Value, problem: &str, n: usize, r: f64, directions: &str) {
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

fn rel_close(what: &str, got: f64, exp: f64, tol: f64) {
    assert!(
        (got - exp).abs() <= tol,
        "{what}: got {got:.17e}, expected {exp:.17e}, tolerance {tol:.3e}"
    );
}

/// The centre of an odd grid is the loss at the parameters.
fn check_center(v: &Value, rel: f64) {
    let loss = num(&v["loss"], "loss");
    let grid = grid_of(v);
    let c = grid.len() / 2;
    rel_close("grid centre vs loss", grid[c][c], loss, rel * loss.abs());
}

#[test]
fn analyze_writes_the_documented_json_and_matches_the_expected_values() {
    let dir = tempfile::tempdir().unwrap();
    for name in SAMPLES {
        let exp = expected(name);
        let (stdout, v) = analyze_json(&sample(name), &[], dir.path(), name);
        check_format(&v, &format!("{name}.json"), 21, 1.0, "file");
        assert_eq!(v["n_params"], exp["n_params"], "{name}");
        assert_eq!(v["n_samples"], exp["n_samples"], "{name}");
        assert_eq!(v["hessian"]["trace_method"], "exact", "{name}");

        let tol = &exp["tolerance"];
        let loss = num(&exp["loss"], "loss");
        rel_close(
            &format!("{name} loss"),
            num(&v["loss"], "loss"),
            loss,
            num(&tol["loss"]["rel"], "tol") * loss.abs(),
        );
        let gn = num(&exp["grad_norm"], "grad_norm");
        rel_close(
            &format!("{name} grad_norm"),
            num(&v["grad_norm"], "grad_norm"),
            gn,
            num(&tol["grad_norm"]["rel"], "tol") * gn.abs() + num(&tol["grad_norm"]["abs"], "tol"),
        );
        let eig_abs = num(&tol["eigenvalues"]["rel_to_max_abs_eig"], "tol")
            * num(&exp["max_abs_eig"], "max_abs_eig");
        let top = nums(&v["hessian"]["top"], "top");
        let want = nums(&exp["hessian_top5"], "top5");
        assert_eq!(top.len(), 5, "{name}: hessian.top length");
        for (i, (&g, &w)) in top.iter().zip(&want).enumerate() {
            rel_close(&format!("{name} hessian.top[{i}]"), g, w, eig_abs);
        }
        rel_close(
            &format!("{name} hessian.min"),
            num(&v["hessian"]["min"], "min"),
            num(&exp["hessian_min"], "min"),
            eig_abs,
        );
        let trace_abs = num(&tol["trace"]["rel_to_max_abs_eig"], "tol")
            * num(&exp["max_abs_eig"], "max_abs_eig");
        rel_close(
            &format!("{name} hessian.trace"),
            num(&v["hessian"]["trace"], "trace"),
            num(&exp["hessian_trace"], "trace"),
            trace_abs,
        );
        let grid_rel = num(&tol["grid"]["rel"], "tol");
        let want_grid: Vec<Vec<f64>> = exp["grid"]["loss"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| nums(r, "expected grid row"))
            .collect();
        for (i, (got_row, want_row)) in grid_of(&v).iter().zip(&want_grid).enumerate() {
            for (j, (&g, &w)) in got_row.iter().zip(want_row).enumerate() {
                rel_close(
                    &format!("{name} grid.loss[{i}][{j}]"),
                    g,
                    w,
                    grid_rel * w.abs(),
                );
            }
        }
        check_center(&v, grid_rel);

        // The human summary on stdout.
        for needle in [
            format!("{name}.json"),
            "loss".into(),
            "top eigs".into(),
            "min eig".into(),
            "trace".into(),
            "wrote".into(),
        ] {
            assert!(
                stdout.contains(&needle),
                "{name}: stdout lacks `{needle}`:\n{stdout}"
            );
        }
        let printed_loss: f64 = stdout
            .lines()
            .find_map(|l| l.strip_prefix("loss"))
            .and_then(|rest| rest.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name}: no `loss <number>` line:\n{stdout}"));
        rel_close(
            &format!("{name} printed loss"),
            printed_loss,
            loss,
            1e-9 * loss.abs(),
        );
        let top_line = stdout.lines().find(|l| l.starts_with("top eigs")).unwrap();
        let printed: Vec<f64> = top_line["top eigs".len()..]
            .split(',')
            .map(|s| s.trim().parse().unwrap())
            .collect();
        assert_eq!(printed.len(), 5, "{name}: {top_line}");
        for (p, w) in printed.iter().zip(&want) {
            rel_close(
                &format!("{name} printed top eig"),
                *p,
                *w,
                1e-5 * w.abs() + eig_abs,
            );
        }
    }
}

#[test]
fn analyze_random_directions_follow_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let moons = sample("moons");
    let rel = num(&expected("moons")["tolerance"]["grid"]["rel"], "tol");
    let opts = |seed: &'static str| {
        [
            "--grid",
            "7",
            "--range",
            "0.5",
            "--directions",
            "random",
            "--seed",
            seed,
        ]
    };
    let (_, a) = analyze_json(&moons, &opts("3"), dir.path(), "a");
    let (_, b) = analyze_json(&moons, &opts("3"), dir.path(), "b");
    let (_, c) = analyze_json(&moons, &opts("4"), dir.path(), "c");
    for v in [&a, &b, &c] {
        check_format(v, "moons.json", 7, 0.5, "random");
        check_center(v, rel);
    }
    assert_eq!(grid_of(&a), grid_of(&b), "same seed, different grids");
    assert_ne!(grid_of(&a), grid_of(&c), "seeds 3 and 4 gave the same grid");
    // Random directions are not the file's.
    let (_, file) = analyze_json(&moons, &["--grid", "7", "--range", "0.5"], dir.path(), "f");
    check_format(&file, "moons.json", 7, 0.5, "file");
    assert_ne!(grid_of(&a), grid_of(&file), "random grid equals the file's");
}

/// Along eigen directions the second difference of the grid at the centre is
/// the curvature along that direction: the top eigenvalues.
#[test]
fn analyze_eigen_directions_follow_the_top_eigenvectors() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["sine", "moons"] {
        let exp = expected(name);
        let rel = num(&exp["tolerance"]["grid"]["rel"], "tol");
        let top = nums(&exp["hessian_top5"], "top5");
        let h = 1e-2;
        for (directions, curvatures) in [
            ("eigen", vec![Some(top[0]), Some(top[1])]),
            ("eigen-random", vec![Some(top[0]), None]),
        ] {
            let (_, v) = analyze_json(
                &sample(name),
                &["--grid", "3", "--range", "0.01", "--directions", directions],
                dir.path(),
                &format!("{name}-{directions}"),
            );
            check_format(&v, &format!("{name}.json"), 3, h, directions);
            check_center(&v, rel);
            let g = grid_of(&v);
            let along = [
                (g[0][1] + g[2][1] - 2.0 * g[1][1]) / (h * h),
                (g[1][0] + g[1][2] - 2.0 * g[1][1]) / (h * h),
            ];
            for (axis, (got, want)) in along.iter().zip(&curvatures).enumerate() {
                if let Some(want) = want {
                    rel_close(
                        &format!("{name} --directions {directions}: curvature along d{axis}"),
                        *got,
                        *want,
                        1e-2 * want.abs(),
                    );
                }
            }
        }
    }
}

#[test]
fn analyze_seed_and_direction_choices_give_different_planes() {
    let dir = tempfile::tempdir().unwrap();
    let moons = sample("moons");
    let common = ["--grid", "5", "--range", "0.5", "--seed", "3"];
    let mut grids = BTreeMap::new();
    for d in ["eigen", "eigen-random", "random"] {
        let mut args = common.to_vec();
        args.extend_from_slice(&["--directions", d]);
        let (_, v) = analyze_json(&moons, &args, dir.path(), d);
        check_format(&v, "moons.json", 5, 0.5, d);
        grids.insert(d, grid_of(&v));
    }
    assert_ne!(grids["eigen"], grids["random"]);
    assert_ne!(grids["eigen"], grids["eigen-random"]);
    assert_ne!(grids["random"], grids["eigen-random"]);
    // eigen and eigen-random share the first direction: same middle column.
    let col = |g: &Vec<Vec<f64>>| g.iter().map(|r| r[2]).collect::<Vec<_>>();
    let rel = num(&expected("moons")["tolerance"]["grid"]["rel"], "tol");
    for (a, b) in col(&grids["eigen"]).iter().zip(col(&grids["eigen-random"])) {
        rel_close("eigen vs eigen-random along d0", *a, b, rel * b.abs());
    }
}

/// A sample saved without directions, in `dir`.
fn problem_without_directions(dir: &Path) -> PathBuf {
    let mut problem = Problem::load(&sample("moons")).unwrap();
    problem.directions = None;
    let path = dir.join("nodirs.json");
    problem.save(&path).unwrap();
    path
}

#[test]
fn analyze_defaults_to_eigen_without_file_directions() {
    let dir = tempfile::tempdir().unwrap();
    let path = problem_without_directions(dir.path());
    let (_, v) = analyze_json(&path, &["--grid", "3"], dir.path(), "out");
    check_format(&v, "nodirs.json", 3, 1.0, "eigen");
}

#[test]
fn analyze_grid_of_two_points() {
    let dir = tempfile::tempdir().unwrap();
    let (_, v) = analyze_json(
        &sample("sine"),
        &["--grid", "2", "--top-k", "1"],
        dir.path(),
        "g2",
    );
    check_format(&v, "sine.json", 2, 1.0, "file");
    assert_eq!(nums(&v["hessian"]["top"], "top").len(), 1);
}

/// File name -> field, from the `- `NAME`: ... (field `FIELD`)` lines of
/// `tests/data/bad/README.md`.
#[test]
fn analyze_refuses_every_bad_file_with_one_line_naming_file_and_field() {
    for (name, field) in common::bad_files() {
        let path = format!("tests/data/bad/{name}");
        let line = fails_with(&["analyze", &path], &[&path]);
        // The public README names `data.x` for `data.x[4]`.
        assert!(
            line.contains(&format!(": {field}: ")) || line.contains(&format!(": {field}[")),
            "{name}: stderr `{line}` does not name field `{field}`"
        );
    }
}

#[test]
fn analyze_refuses_a_missing_file() {
    let path = "tests/data/no_such_problem.json";
    fails_with(&["analyze", path], &[path, "file", "cannot read"]);
}

#[test]
fn analyze_refuses_bad_options_with_one_line() {
    let moons = "assets/problems/moons.json";
    for (opts, needles) in [
        (&["--top-k", "0"][..], &["--top-k", "337", "got 0"][..]),
        (&["--top-k", "100000"], &["--top-k", "337", "got 100000"]),
        (&["--grid", "1"], &["--grid", "2..=1001", "got 1"]),
        (&["--grid", "0"], &["--grid", "2..=1001", "got 0"]),
        (&["--grid", "1002"], &["--grid", "2..=1001", "got 1002"]),
        (&["--range", "0"], &["--range", "(0, 1e100]", "got 0"]),
        (&["--range", "-1"], &["--range", "(0, 1e100]", "got -1"]),
        (
            &["--range", "1e101"],
            &["--range", "(0, 1e100]", "got 1e101"],
        ),
        (&["--range", "nan"], &["--range", "finite", "got NaN"]),
        (&["--range", "inf"], &["--range", "finite", "got inf"]),
    ] {
        let mut args = vec!["analyze", moons];
        args.extend_from_slice(opts);
        let mut all = needles.to_vec();
        all.push(moons);
        fails_with(&args, &all);
    }
}

#[test]
fn analyze_refuses_file_directions_when_the_problem_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = problem_without_directions(dir.path());
    let shown = path.to_str().unwrap();
    fails_with(
        &["analyze", shown, "--directions", "file"],
        &[shown, "--directions", "`file` needs 2 directions", "has 0"],
    );
}

/// The independently computed spectrum of a sample (`tests/data/NAME.spectrum.json`).
fn spectrum_expected(name: &str) -> Value {
    let path = root().join(format!("tests/data/{name}.spectrum.json"));
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

/// ∫ f dλ by the trapezoid rule.
fn trapezoid(x: &[f64], f: &[f64]) -> f64 {
    x.windows(2)
        .zip(f.windows(2))
        .map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0] + y[1]))
        .sum()
}

/// The checks of `analysis-format.md`'s `spectrum` object; returns the
/// trapezoid moment ∫λρ dλ.
fn check_spectrum(s: &Value, method: &str) -> f64 {
    assert_eq!(s["method"], method);
    let lambda = nums(&s["lambda"], "spectrum.lambda");
    assert!(lambda.windows(2).all(|w| w[0] < w[1]), "lambda ascending");
    let density = nums(&s["density"], "spectrum.density");
    let (low, high) = (
        nums(&s["density_low"], "density_low"),
        nums(&s["density_high"], "density_high"),
    );
    assert_eq!(density.len(), lambda.len());
    for i in 0..lambda.len() {
        assert!(0.0 <= low[i] && low[i] <= density[i] && density[i] <= high[i]);
    }
    let mass = trapezoid(&lambda, &density);
    assert!((mass - 1.0).abs() < 1e-9, "∫ρ = {mass}");
    let outliers = nums(&s["outliers"], "spectrum.outliers");
    assert_eq!(outliers.len(), 5);
    assert!(outliers.windows(2).all(|w| w[0] >= w[1]));
    assert!(num(&s["sigma"], "sigma") > 0.0);
    assert!(num(&s["seconds"], "seconds") >= 0.0);
    let first: Vec<f64> = lambda.iter().zip(&density).map(|(l, d)| l * d).collect();
    trapezoid(&lambda, &first)
}

#[test]
fn analyze_spectrum_and_per_layer_match_the_dense_hessian() {
    let dir = tempfile::tempdir().unwrap();
    for name in SAMPLES {
        let exp = spectrum_expected(name);
        let want = nums(&exp["eigenvalues"], "expected eigenvalues");
        let p = want.len() as f64;
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let trace = want.iter().sum::<f64>();
        let (stdout, v) = analyze_json(
            &sample(name),
            &["--grid", "3", "--spectrum", "--per-layer"],
            dir.path(),
            name,
        );
        assert!(stdout.contains("spectrum    exact"), "{stdout}");
        check_format(&v, &format!("{name}.json"), 3, 1.0, "file");
        let s = &v["spectrum"];
        let first = check_spectrum(s, "exact");
        assert!((first - trace / p).abs() < 1e-10 * scale, "{name}: ∫λρ");
        assert_eq!(
            (s["probes"].as_u64(), s["steps"].as_u64()),
            (Some(0), Some(0))
        );
        let got = nums(&s["eigenvalues"], "spectrum.eigenvalues");
        assert_eq!(got.len(), want.len(), "{name}");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            rel_close(&format!("{name} eigenvalues[{i}]"), *g, *w, 1e-10 * scale);
        }
        let layers = v["per_layer"].as_array().expect("per_layer");
        let want_layers = exp["per_layer"].as_array().unwrap();
        assert_eq!(layers.len(), want_layers.len(), "{name}");
        for (l, w) in layers.iter().zip(want_layers) {
            for key in ["layer", "start", "end"] {
                assert_eq!(l[key], w[key], "{name}: per_layer {key}");
            }
            let (top, tr) = (num(&w["top"], "top"), num(&w["trace"], "trace"));
            rel_close(
                &format!("{name} top"),
                num(&l["top"], "top"),
                top,
                1e-9 * top.abs(),
            );
            rel_close(
                &format!("{name} trace"),
                num(&l["trace"], "trace"),
                tr,
                1e-10 * tr.abs().max(1.0),
            );
        }

        let (_, v) = analyze_json(
            &sample(name),
            &["--grid", "3", "--spectrum=slq"],
            dir.path(),
            name,
        );
        let s = &v["spectrum"];
        check_spectrum(s, "slq");
        assert!(
            s.get("eigenvalues").is_none(),
            "{name}: slq lists no eigenvalues"
        );
        assert!(v.get("per_layer").is_none());
        assert_eq!(
            (s["probes"].as_u64(), s["steps"].as_u64()),
            (Some(16), Some(80))
        );
        let (mean, se) = (
            num(&s["mean"], "mean"),
            num(&s["mean_stderr"], "mean_stderr"),
        );
        assert!(
            se > 0.0 && (mean - trace / p).abs() <= 4.0 * se,
            "{name}: {mean} ± {se} vs {}",
            trace / p
        );
    }
}

#[test]
fn analyze_refuses_bad_spectrum_and_pca_requests_with_one_line() {
    let args = [
        "analyze",
        "assets/problems/sine.json",
        "--spectrum",
        "bogus",
    ];
    let out = curvscope(args);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
    assert!(
        text(&out.stderr).contains("invalid value 'bogus' for '--spectrum"),
        "{}",
        describe(&args, &out)
    );
    let dir = tempfile::tempdir().unwrap();
    let big = mlp_problem(dir.path(), &[2, 80, 80, 1], 10);
    let shown = big.to_str().unwrap();
    fails_with(
        &["analyze", shown, "--spectrum", "exact"],
        &[
            shown,
            "--spectrum",
            "`exact` needs the dense Hessian",
            "6000",
            "6801",
            "use slq",
        ],
    );
    let moons = "assets/problems/moons.json";
    fails_with(
        &["analyze", moons, "--directions", "pca"],
        &[
            moons,
            "--directions",
            "`pca` needs a `trajectory`",
            "has none",
        ],
    );
    let mut problem = Problem::load(&sample("moons")).unwrap();
    problem.trajectory = Some(vec![&problem.params * 0.5]);
    let line = dir.path().join("line.json");
    problem.save(&line).unwrap();
    let shown = line.to_str().unwrap();
    fails_with(
        &["analyze", shown, "--directions", "pca"],
        &[shown, "--directions", "fewer than two directions"],
    );
}

#[test]
fn analyze_slices_along_the_pca_plane_of_the_trajectory() {
    let dir = tempfile::tempdir().unwrap();
    let mut problem = Problem::load(&sample("moons")).unwrap();
    let [u, w] = problem.directions.clone().unwrap().try_into().unwrap();
    // A curved path in the plane of u and w, with a small part off it.
    let off =
        ndarray::Array1::from_shape_fn(problem.n_params(), |i| if i == 7 { 1e-3 } else { 0.0 });
    let path: Vec<_> = (0..12)
        .map(|t| {
            let s = 1.0 - t as f64 / 11.0;
            &problem.params + &(&u * s) + &(&w * (0.3 * s * s)) + &(&off * s)
        })
        .collect();
    problem.trajectory = Some(path);
    let file = dir.path().join("path.json");
    problem.save(&file).unwrap();
    let (stdout, v) = analyze_json(
        &file,
        &["--directions", "pca", "--grid", "5"],
        dir.path(),
        "pca",
    );
    check_format(&v, "path.json", 5, 1.0, "pca");
    assert!(
        stdout.contains("pca plane   12 trajectory points"),
        "{stdout}"
    );
    let pca = &v["pca"];
    assert_eq!(pca["points"].as_u64(), Some(12));
    let explained = nums(&pca["explained"], "pca.explained");
    assert!(explained[0] >= explained[1] && explained[0] + explained[1] > 1.0 - 1e-6);
    let off_plane = num(&pca["max_off_plane"], "pca.max_off_plane");
    assert!(off_plane <= 1e-3 && off_plane > 0.0, "{off_plane}");
    check_center(&v, 1e-10);
}

/// Issue 12: `--lines` gives the app's 1D views: each top eigenvector's
/// line through params with its quadratic model (equal at a = 0), and,
/// with a trajectory, the line from its first point (a = 0) to params
/// (a = 1).
#[test]
fn analyze_lines_gives_the_eigenvector_lines_and_the_line_from_the_start() {
    use curvscope_core::model::objective::Objective;
    let dir = tempfile::tempdir().unwrap();
    let mut problem = Problem::load(&sample("moons")).unwrap();
    let (_, plain) = analyze_json(
        &sample("moons"),
        &["--lines", "--top-k", "3"],
        dir.path(),
        "plain",
    );
    let lines = &plain["lines"];
    assert!(
        lines.get("interpolation").is_none(),
        "no trajectory, no line"
    );
    let loss = num(&plain["loss"], "loss");
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-10 * y.abs().max(1.0);
    let eigen = lines["eigen"].as_array().unwrap();
    assert_eq!(eigen.len(), 3);
    let top = nums(&plain["hessian"]["top"], "top");
    for (k, e) in eigen.iter().enumerate() {
        assert!(close(num(&e["lambda"], "lambda"), top[k]));
        let alphas = nums(&e["line"]["alphas"], "alphas");
        let (values, model) = (nums(&e["line"]["loss"], "loss"), nums(&e["model"], "model"));
        let centre = alphas
            .iter()
            .position(|&a| a == 0.0)
            .expect("a = 0 on the line");
        assert!(close(values[centre], loss) && close(model[centre], loss));
        assert_eq!((alphas[0], *alphas.last().unwrap()), (-1.0, 1.0));
        let holds = num(&e["holds_to"], "holds_to");
        assert!(holds > 0.0 && holds <= 1.0, "{holds}");
    }
    assert_eq!(num(&lines["holds_within"], "holds_within"), 0.1);

    let start = &problem.params * 0.8;
    problem.trajectory = Some(vec![start.clone(), &problem.params * 0.9]);
    let file = dir.path().join("path.json");
    problem.save(&file).unwrap();
    let (stdout, v) = analyze_json(&file, &["--lines"], dir.path(), "lines");
    assert!(
        stdout.contains("line from the trajectory's start"),
        "{stdout}"
    );
    let line = &v["lines"]["interpolation"];
    let (alphas, values) = (nums(&line["alphas"], "alphas"), nums(&line["loss"], "loss"));
    let at = |a: f64| values[alphas.iter().position(|&x| x == a).expect("on the line")];
    let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
    assert!(close(at(0.0), objective.loss(start.as_slice().unwrap())));
    assert!(close(at(1.0), loss));
    assert!(num(&v["seconds"]["lines"], "seconds.lines") >= 0.0);
}

#[test]
fn analyze_refuses_a_json_path_in_a_missing_folder_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("no_such_folder");
    let out = folder.join("out.json");
    let shown = out.to_str().unwrap();
    fails_with(
        &["analyze", "assets/problems/sine.json", "--json", shown],
        &["cannot write", shown],
    );
    assert!(!folder.exists(), "{} was created", folder.display());
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn analyze_rejects_unknown_flags_through_clap() {
    let args = ["analyze", "assets/problems/sine.json", "--no-such-flag"];
    let out = curvscope(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
    assert!(
        stderr.contains("unexpected argument '--no-such-flag'"),
        "{}",
        describe(&args, &out)
    );
    assert!(!stderr.contains("panicked"));
    // A bad value of a known option is clap's error too.
    let args = ["analyze", "assets/problems/sine.json", "--directions", "up"];
    let out = curvscope(args);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
    assert!(text(&out.stderr).contains("invalid value 'up'"));
}

#[test]
fn bench_prints_a_table_and_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.json");
    let stdout = succeeds(&[
        "bench",
        "--runs",
        "1",
        "--no-wide",
        "--json",
        out.to_str().unwrap(),
    ]);
    let header = stdout.lines().next().unwrap_or_default();
    for column in [
        "problem",
        "params",
        "samples",
        "grid 51²",
        "GFLOP/s",
        "top-5+min",
        "HVPs",
        "trace",
        "hutch-100",
    ] {
        assert!(
            header.contains(column),
            "header lacks `{column}`:\n{stdout}"
        );
    }
    for name in SAMPLES {
        let file = format!("{name}.json");
        assert!(
            stdout.lines().any(|l| l.starts_with(&file)),
            "no row for {file}:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("wide"),
        "--no-wide still ran it:\n{stdout}"
    );
    let v: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["runs"], 1);
    let rows = v["rows"].as_array().expect("rows");
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["problem"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sine.json", "moons.json", "spiral3.json"]);
    for (row, name) in rows.iter().zip(SAMPLES) {
        assert_eq!(row["params"], expected(name)["n_params"], "{name}");
        for key in ["grid_s", "eigen_s", "trace_s", "hutchinson100_s"] {
            assert!(num(&row[key], key) > 0.0, "{name}: {key}");
        }
    }
    // The instruction set that ran, the measured product rate, and the live run.
    let isa = v["isa"].as_str().expect("isa");
    assert!(
        ["avx512", "avx2", "baseline", "neon"].contains(&isa),
        "{isa}"
    );
    assert!(
        stdout.contains(&format!("instruction set {isa}")),
        "{stdout}"
    );
    assert!(v["gemm_backend"].is_string());
    for key in [
        "gemm_gflops",
        "kernel_matmul_gflops",
        "library_matmul_gflops",
    ] {
        assert!(num(&v[key], key) > 0.0, "{key}");
    }
    for key in [
        "refresh_hz",
        "steps_per_second",
        "measure_s",
        "lines_s",
        "seconds",
        "plane_change_s",
    ] {
        assert!(num(&v["live"][key], key) > 0.0, "live.{key}");
        assert!(
            num(&v["live_full_speed"][key], key) > 0.0,
            "live_full_speed.{key}"
        );
    }
    // Issue 12: the whole-curvature readouts on the default run.
    assert_eq!(v["spectrum"]["params"], 337);
    for key in ["inspection_s", "waterfall_s", "heatmap_s"] {
        assert!(num(&v["spectrum"][key], key) > 0.0, "spectrum.{key}");
    }
    assert!(
        stdout.contains("whole curvature on that run (337 parameters)"),
        "{stdout}"
    );
}

#[test]
fn a_bad_simd_variable_is_refused() {
    for (value, needle) in [("avx9", "expected avx512, avx2 or baseline"), ("", "")] {
        let out = Command::new(env!("CARGO_BIN_EXE_curvscope"))
            .args(["analyze", "assets/problems/sine.json"])
            .env("CURVSCOPE_SIMD", value)
            .current_dir(root())
            .output()
            .expect("the curvscope binary runs");
        let stderr = text(&out.stderr);
        if needle.is_empty() {
            assert!(out.status.success(), "empty means the default: {stderr}");
        } else {
            assert!(!out.status.success());
            assert!(
                stderr.contains("CURVSCOPE_SIMD=avx9") && stderr.contains(needle),
                "{stderr}"
            );
        }
    }
}

#[test]
fn bench_refuses_zero_runs() {
    fails_with(
        &["bench", "--runs", "0"],
        &["--runs", "at least 1", "got 0"],
    );
}

#[test]
fn bench_saves_the_wide_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.json");
    let stdout = succeeds(&["bench", "--save-wide", path.to_str().unwrap()]);
    assert!(stdout.contains("wrote"), "{stdout}");
    let problem = Problem::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(problem.architecture.layers, [2, 140, 140, 1]);
    let p = problem.n_params();
    assert!((20_000..21_000).contains(&p), "{p} parameters");
    assert_eq!(p, problem.params.len());
    assert!(problem.directions.as_ref().is_some_and(|d| d.len() == 2));
}

#[test]
fn bench_save_wide_into_a_missing_folder_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("wide.json");
    let shown = path.to_str().unwrap();
    fails_with(&["bench", "--save-wide", shown], &[shown]);
}

/// Either a clean failure (one line, no panic) or a result whose JSON holds
/// only numbers where `analysis-format.md` says numbers (JSON has no NaN or
/// infinity: serde writes them as `null`).
fn clean_outcome(problem: &str, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let mut args = vec!["analyze", problem];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--json", out.to_str().unwrap()]);
    let run = curvscope(&args);
    let all = describe(&args, &run);
    let stderr = text(&run.stderr);
    assert!(!stderr.contains("panicked"), "panic\n{all}");
    if run.status.success() {
        let v: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
        let nulls = |key: &str| -> usize {
            let flat: Vec<&Value> = match &v["grid"][key] {
                Value::Array(rows) if key == "loss" => rows
                    .iter()
                    .flat_map(|r| r.as_array().unwrap().iter())
                    .collect(),
                Value::Array(xs) => xs.iter().collect(),
                other => panic!("grid.{key} is {other}"),
            };
            flat.iter().filter(|x| !x.is_number()).count()
        };
        let (a, l) = (nulls("alphas"), nulls("loss"));
        assert!(
            a == 0 && l == 0,
            "exit 0, but {a} of grid.alphas and {l} of grid.loss are not numbers\n{all}"
        );
    } else {
        assert_eq!(stderr.trim_end().lines().count(), 1, "{all}");
    }
}

// Known bugs in src/ (reported; run with `cargo test --release -- --ignored`).

#[test]
fn analyze_refuses_a_grid_too_large_to_hold() {
    fails_with(
        &[
            "analyze",
            "assets/problems/sine.json",
            "--grid",
            "18446744073709551615",
        ],
        &["--grid"],
    );
}

#[test]
fn analyze_range_whose_double_overflows_is_clean() {
    clean_outcome(
        "assets/problems/moons.json",
        &["--range", "1e308", "--grid", "3"],
    );
}

#[test]
fn analyze_grid_with_overflowing_loss_is_clean() {
    clean_outcome(
        "assets/problems/spiral3.json",
        &["--range", "1e200", "--grid", "3"],
    );
}

#[test]
fn app_options_are_checked_before_a_window_opens() {
    // No display is needed: every one of these fails before the app starts.
    let shot = ["screenshot", "--out", "never.png"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        shot.iter().copied().chain(extra.iter().copied()).collect()
    };
    fails_with(&with(&["--lr", "-1"]), &["--lr", "-1"]);
    fails_with(&with(&["--lr", "inf"]), &["--lr"]);
    fails_with(&with(&["--momentum", "1"]), &["--momentum", "[0, 1)"]);
    fails_with(&with(&["--speed", "0"]), &["--speed", "100000"]);
    fails_with(&with(&["--frames", "0"]), &["--frames"]);
    // clap's own errors add a line pointing at --help.
    for (args, needle) in [
        (with(&["--size", "10x10"]), "64 to 8192"),
        (with(&["--size", "big"]), "WIDTHxHEIGHT"),
        // The live app takes --size too (issue 9).
        (vec!["--size", "10x10"], "64 to 8192"),
    ] {
        let out = curvscope(&args);
        let all = describe(&args, &out);
        assert!(!out.status.success(), "{all}");
        assert!(
            text(&out.stderr).starts_with("error: invalid value"),
            "{all}"
        );
        assert!(text(&out.stderr).contains(needle), "{all}");
    }
    fails_with(&["--lr", "0"], &["--lr"]);
    assert!(!std::path::Path::new("never.png").exists());
}

#[test]
fn record_refuses_bad_options_and_unwritable_outputs_before_rendering() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let under_file = file.join("demo.mp4");
    let out = under_file.to_str().unwrap();
    // A display is named (none is reached: the folder is refused first).
    let o = Command::new(env!("CARGO_BIN_EXE_curvscope"))
        .args(["record", "--seconds", "1", "--out", out])
        .env("DISPLAY", ":12345")
        .output()
        .unwrap();
    let line = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{line}");
    assert!(
        line.starts_with("error: cannot create the frames folder")
            && line.contains("a-file/demo.mp4.frames")
            && line.to_lowercase().contains("not a directory")
            && line.trim_end().lines().count() == 1,
        "{line}"
    );
    fails_with(&["record", "--out", "x.avi"], &["x.avi", ".mp4, .gif"]);
    fails_with(
        &["record", "--out", "v", "--fps", "0"],
        &["--fps", "1 to 120"],
    );
    fails_with(&["record", "--out", "v", "--seconds", "-2"], &["--seconds"]);
    fails_with(
        &["record", "--out", "v", "--seconds", "0.001"],
        &["--seconds"],
    );
    fails_with(&["record", "--out", "v", "--orbit", "nan"], &["--orbit"]);
    fails_with(
        &["record", "--out", "v", "--lesson", "no-such-lesson"],
        &["no-such-lesson", "sharp-vs-flat"],
    );
    assert!(!std::path::Path::new("v").exists());
}

#[test]
fn app_refuses_a_missing_or_bad_problem_file_before_opening_a_window() {
    let (bad_name, bad_field) = common::bad_files().swap_remove(0);
    let bad = format!("tests/data/bad/{bad_name}");
    let missing = "tests/data/no_such_problem.json";
    for (path, needles) in [
        (missing, vec!["cannot read", "No such file"]),
        (bad.as_str(), vec![bad_field.as_str()]),
    ] {
        let args = ["--problem", path];
        let line = fails_with(&args, &needles);
        // The file is named first, and the app never started.
        assert!(line.starts_with(&format!("error: {path}: ")), "{line}");
        let out = curvscope(args);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&args, &out));
    }
}

#[test]
fn without_a_display_the_app_commands_say_so_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v");
    let shot = dir.path().join("s.png");
    for args in [
        vec!["record", "--seconds", "0.2", "--out", out.to_str().unwrap()],
        vec!["screenshot", "--out", shot.to_str().unwrap()],
    ] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_curvscope"))
            .args(&args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("WAYLAND_SOCKET")
            .output()
            .unwrap();
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.starts_with("error: cannot open a window") && stderr.contains("xvfb-run"),
            "{stderr}"
        );
    }
    assert!(!out.exists() && !shot.exists());
    // A display that is named but cannot be reached.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_curvscope"))
        .args(["screenshot", "--out", shot.to_str().unwrap()])
        .env("DISPLAY", ":12345")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let line = stderr.lines().rfind(|l| l.starts_with("error: ")).unwrap();
    assert!(
        line.starts_with("error: cannot open a window (") && line.contains("xvfb-run"),
        "{stderr}"
    );
    assert!(!shot.exists());
}

/// A sample problem with every target replaced by `y`.
fn with_targets(dir: &Path, name: &str, y: f64) -> PathBuf {
    let mut v: Value = serde_json::from_str(&fs::read_to_string(sample(name)).unwrap()).unwrap();
    for t in v["data"]["y"].as_array_mut().unwrap() {
        *t = match t {
            Value::Array(row) => Value::Array(row.iter().map(|_| y.into()).collect()),
            _ => y.into(),
        };
    }
    let path = dir.join(format!("{name}-y{y:e}.json"));
    fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    path
}

/// Issue 10: a start whose loss is not finite panicked in `record
/// --problem` (session.rs: index out of bounds) and froze the app; now
/// every door refuses it with one line naming the cause, before any window
/// or file.
#[test]
fn every_door_refuses_a_problem_whose_loss_is_not_finite_at_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let huge = with_targets(dir.path(), "sine", 1e300);
    let huge = huge.to_str().unwrap();
    let cause = "data.y holds values up to 1e300, whose squares overflow float64";
    let json = dir.path().join("out.json");
    fails_with(
        &["analyze", huge, "--json", json.to_str().unwrap()],
        &["the loss is not finite (inf)", cause],
    );
    assert!(!json.exists(), "nothing written on refusal");
    let video = dir.path().join("v.mp4");
    for args in [
        vec![
            "record",
            "--problem",
            huge,
            "--out",
            video.to_str().unwrap(),
        ],
        vec!["--problem", huge],
        vec!["screenshot", "--out", "never.png", "--problem", huge],
    ] {
        fails_with(
            &args,
            &["cannot start the run: the loss is not finite (inf)", cause],
        );
    }
    assert!(!video.exists() && !dir.path().join("v.mp4.frames").exists());
    assert!(!Path::new("never.png").exists());
    // Just below the overflow the run starts (the same file, 1e150).
    let big = with_targets(dir.path(), "sine", 1e150);
    succeeds(&["analyze", big.to_str().unwrap(), "--grid", "3"]);
}

/// Issue 10: inputs of 1e300 saturate tanh, so loss and gradient are finite
/// but the Hessian is not; `analyze` printed `trace NaN (exact)` and exited
/// 0. Every reported number is checked now.
#[test]
fn analyze_refuses_results_that_are_not_finite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saturated.json");
    fs::write(
        &path,
        r#"{"format": "curvscope-problem/1",
            "model": {"layers": [1, 2, 1], "activation": "tanh"}, "loss": "mse",
            "data": {"x": [[1e300], [1.0]], "y": [0.5, 0.2]},
            "params": [0.3, -0.2, 0.1, 0.1, 0.5, 0.4, 0.0]}"#,
    )
    .unwrap();
    let json = dir.path().join("out.json");
    fails_with(
        &[
            "analyze",
            path.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        &["is not finite", "the Hessian overflows float64"],
    );
    assert!(!json.exists());
}

/// Issue 10: lesson values that hung or panicked the app are refused with
/// their field and the limit.
#[test]
fn lessons_with_unbounded_values_are_refused_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    for (run, needles) in [
        (
            r#""run": {"noise": 1e308}"#,
            vec!["run.noise", "from 0 to 10"],
        ),
        (r#""speed": 1e308"#, vec!["speed", "1 to 100000"]),
        (
            r#""steps_per_frame": 1000000"#,
            vec!["steps_per_frame", "1..=10000"],
        ),
        (
            r#""run": {"hidden": [512, 512, 512, 512]}"#,
            vec!["run.hidden[0]", "1..=256"],
        ),
        (
            r#""run": {"samples": [10000, 0], "hidden": [256, 256, 256, 256]}"#,
            vec!["run:", "more work than a live run can show", "2e7"],
        ),
    ] {
        let path = dir.path().join("l.json");
        fs::write(
            &path,
            format!(r#"{{"format": "curvscope-lesson/1", "name": "x", {run}}}"#),
        )
        .unwrap();
        let p = path.to_str().unwrap();
        fails_with(&["--lesson", p], &needles);
        fails_with(&["record", "--lesson", p, "--out", "never"], &needles);
    }
    assert!(!Path::new("never").exists());
}

/// Issue 10: `--json` replaced whatever was at the path (a device node, a
/// FIFO, its own input) and said so only after the whole computation.
#[test]
fn writes_refuse_their_input_and_special_files_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("self.json");
    fs::copy(sample("sine"), &own).unwrap();
    let before = fs::read(&own).unwrap();
    let own_s = own.to_str().unwrap();
    fails_with(
        &["analyze", own_s, "--json", own_s],
        &["--json", "the problem file itself"],
    );
    // Another spelling of the same file.
    let other = format!("{}/./self.json", dir.path().display());
    fails_with(
        &["analyze", own_s, "--json", &other],
        &["the problem file itself"],
    );
    assert_eq!(fs::read(&own).unwrap(), before, "the input is untouched");
    let fifo = dir.path().join("fifo");
    common::mkfifo(&fifo);
    for args in [
        vec!["analyze", own_s, "--json", "/dev/null"],
        vec!["analyze", own_s, "--json", fifo.to_str().unwrap()],
        vec![
            "bench",
            "--runs",
            "1",
            "--no-wide",
            "--json",
            fifo.to_str().unwrap(),
        ],
        vec!["screenshot", "--out", fifo.to_str().unwrap()],
    ] {
        let line = fails_with(&args, &["cannot write", "not a regular file"]);
        assert!(
            line.contains("is a device") || line.contains("is a FIFO"),
            "{line}"
        );
    }
    // A video onto a FIFO is refused before rendering (a display is named
    // but never reached), and the frames folder made for it goes again.
    let video = dir.path().join("fifo.mp4");
    common::mkfifo(&video);
    let o = Command::new(env!("CARGO_BIN_EXE_curvscope"))
        .args(["record", "--seconds", "1", "--out", video.to_str().unwrap()])
        .env("DISPLAY", ":12345")
        .output()
        .unwrap();
    let line = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{line}");
    assert!(
        line.starts_with("error: --out: cannot write") && line.contains("is a FIFO"),
        "{line}"
    );
    assert!(!dir.path().join("fifo.mp4.frames").exists());
    use std::os::unix::fs::FileTypeExt as _;
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(fs::symlink_metadata(&video).unwrap().file_type().is_fifo());
    assert!(
        fs::symlink_metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

/// Issue 10: `analyze /dev/zero` read 8.4 GB before failing and a FIFO
/// blocked forever; a byte-order mark was "expected value at line 1".
#[test]
fn inputs_must_be_regular_files_of_bounded_size_and_may_start_with_a_bom() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.json");
    common::mkfifo(&fifo);
    for path in ["/dev/zero", fifo.to_str().unwrap()] {
        fails_with(&["analyze", path], &["file", "not a regular file"]);
        fails_with(&["--problem", path], &["not a regular file"]);
    }
    let lesson = dir.path().join("lesson.json");
    fs::write(
        &lesson,
        "{\"format\": \"curvscope-lesson/1\", \"name\": \"a\", \"name\": \"b\"}",
    )
    .unwrap();
    fails_with(
        &["--lesson", lesson.to_str().unwrap()],
        &["json", "duplicate key \"name\""],
    );
    let bom = dir.path().join("bom.json");
    let mut bytes = vec![0xef, 0xbb, 0xbf];
    bytes.extend(fs::read(sample("sine")).unwrap());
    fs::write(&bom, bytes).unwrap();
    succeeds(&["analyze", bom.to_str().unwrap(), "--grid", "3"]);
}

/// A tanh MLP problem with these layers and samples (deterministic values).
fn mlp_problem(dir: &Path, layers: &[usize], samples: usize) -> PathBuf {
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

/// Issue 10: memory grew with the problem until the allocator aborted
/// (exit 134). The Lanczos basis is capped to the memory available (here
/// set by `$CURVSCOPE_MEMORY`, as a cgroup or `ulimit -v` would) and the
/// result says so; a problem whose passes alone do not fit is refused with
/// the figures; the live app refuses a problem too large to show.
#[test]
fn memory_follows_what_the_machine_has() {
    let dir = tempfile::tempdir().unwrap();
    // 161 601 parameters: a basis vector is 1.3 MB; Lanczos converges in
    // about 42 products.
    let big = mlp_problem(dir.path(), &[1, 400, 400, 1], 8);
    let run = |memory: &str| {
        Command::new(env!("CARGO_BIN_EXE_curvscope"))
            .args(["analyze", big.to_str().unwrap(), "--grid", "3"])
            .env("CURVSCOPE_MEMORY", memory)
            .output()
            .unwrap()
    };
    let out = run("120M");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("(not converged: the basis was capped at")
            && stdout.contains("vectors to fit in memory)"),
        "{stdout}"
    );
    let out = run("8M");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("this problem needs about")
            && stderr.contains("MiB this machine has available"),
        "{stderr}"
    );
    // The live app: 8 samples × 161 601 parameters is fine, 200 samples is not.
    let wide = mlp_problem(dir.path(), &[1, 400, 400, 1], 200);
    fails_with(
        &["--problem", wide.to_str().unwrap()],
        &[
            "cannot start the run",
            "200 training samples × 161601 parameters",
            "curvscope analyze",
        ],
    );
}

/// The fuzzing harness's door test: mutants of a sample problem through
/// the real binary (`analyze --json` and `--problem`): exit 0 or 1, never a
/// panic; a refusal is one line and writes nothing.
#[test]
fn mutated_problem_files_through_the_binary_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::read_to_string(sample("sine")).unwrap();
    let specials = [
        "1e308",
        "-1e308",
        "1e-320",
        "1e154",
        "\"x\"",
        "null",
        "[]",
        "4294967296",
    ];
    let numbers = common::number_spans(&base);
    let (mut refused, mut accepted) = (0, 0);
    for k in 0..60 {
        let mutant = if k % 3 == 0 {
            base[..base.len() * k / 60].to_string()
        } else {
            let (a, b) = numbers[(k * 37) % numbers.len()];
            format!(
                "{}{}{}",
                &base[..a],
                specials[k % specials.len()],
                &base[b..]
            )
        };
        let path = dir.path().join(format!("m{k}.json"));
        let out = dir.path().join(format!("m{k}.out.json"));
        fs::write(&path, &mutant).unwrap();
        let args = [
            "analyze",
            path.to_str().unwrap(),
            "--grid",
            "3",
            "--json",
            out.to_str().unwrap(),
        ];
        let o = curvscope(args);
        let stderr = text(&o.stderr);
        assert!(!stderr.contains("panicked"), "{}", describe(&args, &o));
        match o.status.code() {
            Some(0) => accepted += 1,
            Some(1) => {
                refused += 1;
                assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
                assert!(!out.exists(), "written on refusal");
            }
            other => panic!("exit {other:?}\n{}", describe(&args, &o)),
        }
        // Without a display: an accepted file stops at the window.
        let o = Command::new(env!("CARGO_BIN_EXE_curvscope"))
            .args(["--problem", path.to_str().unwrap()])
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("WAYLAND_SOCKET")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
    }
    assert!(
        refused > 20 && accepted > 5,
        "{refused} refused, {accepted} accepted"
    );
}

// ---------------------------------------------------------------------------
// Your own data and model: `import`, `export-safetensors`, `--data FILE.csv`.

fn own(name: &str) -> String {
    format!("tests/data/safetensors/{name}")
}

#[test]
fn import_writes_a_problem_that_analyze_reads_with_numpys_loss() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.json");
    let out_s = out.to_str().unwrap();
    let args = [
        "import",
        &own("tanh_bce.safetensors"),
        "--data",
        &own("tanh_bce.csv"),
        "--target",
        "target",
        "--out",
        out_s,
    ];
    let printed = succeeds(&args);
    assert!(
        printed.contains("layers [2, 8, 8, 1] tanh, bce_logits on 40 samples, 105 parameters"),
        "{printed}"
    );
    let problem = Problem::load(&out).unwrap();
    assert_eq!(problem.n_samples(), 40);
    let want = num(
        &expected_own("tanh_bce")["loss"],
        "tanh_bce.expected.json loss",
    );
    let (_, result) = analyze_json(&out, &["--grid", "3"], dir.path(), "a");
    rel_close("loss", num(&result["loss"], "loss"), want, 1e-11);
    // Back to safetensors and in again: the same problem file.
    let model = dir.path().join("m.safetensors");
    let model_s = model.to_str().unwrap();
    let printed = succeeds(&["export-safetensors", out_s, "--out", model_s]);
    assert!(
        printed.contains("tensors 0.weight, 0.bias, 2.weight"),
        "{printed}"
    );
    let again = dir.path().join("q.json");
    let again_s = again.to_str().unwrap();
    let mut args2 = args;
    args2[1] = model_s;
    args2[7] = again_s;
    succeeds(&args2);
    assert_eq!(fs::read(&out).unwrap(), fs::read(&again).unwrap());
    // The names of the original with --like.
    let like = dir.path().join("like.safetensors");
    let gelu = dir.path().join("gelu.json");
    succeeds(&[
        "import",
        &own("gelu_softmax.safetensors"),
        "--data",
        &own("gelu_softmax.csv"),
        "--target",
        "target",
        "--activation",
        "gelu",
        "--out",
        gelu.to_str().unwrap(),
    ]);
    let printed = succeeds(&[
        "export-safetensors",
        gelu.to_str().unwrap(),
        "--like",
        &own("gelu_softmax.safetensors"),
        "--out",
        like.to_str().unwrap(),
    ]);
    assert!(
        printed.contains("tensors net.0.weight, net.0.bias, net.2.weight"),
        "{printed}"
    );
}

fn expected_own(name: &str) -> Value {
    let path = root().join(own(&format!("{name}.expected.json")));
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn import_refuses_every_bad_model_and_csv_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.json");
    let out_s = out.to_str().unwrap();
    for (name, message) in common::bad_inputs(".safetensors") {
        let model = format!("tests/data/bad/{name}");
        let args = [
            "import",
            &model,
            "--data",
            &own("tanh_bce.csv"),
            "--target",
            "target",
            "--out",
            out_s,
        ];
        fails_with(&args, &[&model, &message]);
    }
    for (name, message) in common::bad_inputs(".csv") {
        let data = format!("tests/data/bad/{name}");
        let model = own("tanh_bce.safetensors");
        let args = [
            "import", &model, "--data", &data, "--target", "label", "--out", out_s,
        ];
        fails_with(&args, &[&data, &message]);
        // The app refuses it before opening a window.
        fails_with(&["--data", &data, "--target", "label"], &[&data, &message]);
    }
    assert!(!out.exists(), "nothing written");
}

#[test]
fn import_and_export_refuse_bad_options_and_outputs() {
    let model = own("tanh_bce.safetensors");
    let data = own("tanh_bce.csv");
    let base = ["import", &model, "--data", &data, "--target", "target"];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    let mut same = with(&["--out"]);
    same.push(&model);
    fails_with(&same, &["--out", "that is an input file"]);
    fails_with(
        &with(&["--out", "/no/such/folder/p.json"]),
        &["--out: cannot write /no/such/folder/p.json"],
    );
    let args = with(&["--activation", "swish", "--out", "x.json"]);
    let out = curvscope(&args);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
    assert!(text(&out.stderr).contains("invalid value 'swish'"));
    // Features chosen and ordered: x2 then x1 is another problem.
    let dir = tempfile::tempdir().unwrap();
    let swapped = dir.path().join("s.json");
    let mut args = with(&["--features", "x2,x1", "--out"]);
    args.push(swapped.to_str().unwrap());
    succeeds(&args);
    let x = Problem::load(&swapped).unwrap().data.x;
    let csv = fs::read_to_string(root().join(&data)).unwrap();
    let first: Vec<f64> = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|c| c.parse().unwrap())
        .collect();
    assert_eq!((x[(0, 0)], x[(0, 1)]), (first[1], first[0]));
    fails_with(
        &with(&["--features", "x1,nope", "--out", "x.json"]),
        &[r#"no feature column "nope""#],
    );
    // Two features for the one-input mse model.
    fails_with(
        &[
            "import",
            &own("sigmoid_mse.safetensors"),
            "--data",
            &data,
            "--target",
            "target",
            "--out",
            "x.json",
        ],
        &["the model takes 1 inputs", "2 feature columns (x1, x2)"],
    );
    let problem = "assets/problems/moons.json";
    fails_with(
        &["export-safetensors", problem, "--out", problem],
        &["that is an input file"],
    );
    fails_with(
        &[
            "export-safetensors",
            problem,
            "--like",
            &model,
            "--out",
            "x.safetensors",
        ],
        &["its layers [2, 8, 8, 1] are not the problem's [2, 16, 16, 1]"],
    );
    assert!(!root().join("x.json").exists() && !root().join("x.safetensors").exists());
}

#[test]
fn the_app_needs_a_target_for_csv_data_and_a_csv_for_its_options() {
    fails_with(
        &["--data", &own("tanh_bce.csv")],
        &["give the target column with --target COLUMN"],
    );
    fails_with(&["--target", "y"], &["--target: only for CSV data"]);
    fails_with(&["--features", "a,b"], &["--features: only for CSV data"]);
    fails_with(
        &[
            "--problem",
            "assets/problems/moons.json",
            "--data",
            &own("tanh_bce.csv"),
            "--target",
            "target",
        ],
        &["give --problem or --data FILE.csv, not both"],
    );
    let args = ["--data", "moonz"];
    let out = curvscope(args);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
    assert!(text(&out.stderr).contains("expected one of moons, circles"));
    fails_with(
        &[
            "--data",
            &own("tanh_bce.csv"),
            "--target",
            "target",
            "--test-fraction",
            "1",
        ],
        &["the test fraction must be in [0, 1), got 1"],
    );
}

/// Issue 13: `--lesson` takes a PNG curvscope saved; a PNG without the
/// lesson chunk, a chunk that is not a lesson and a file that is not a PNG
/// are each refused with one line, before any window.
#[test]
fn lesson_pictures_that_hold_no_lesson_are_refused_in_one_line() {
    use curvscope_core::io::png_text::LESSON_KEYWORD;
    use curvscope_core::io::video::write_rgb_png;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.png");
    write_rgb_png(&plain, 2, 2, &[7; 12], None).unwrap();
    let corrupt = dir.path().join("corrupt.png");
    let chunk = r#"{"format": "curvscope-lesson/1", "name": "x", "run": {"lr": 1}}"#;
    write_rgb_png(&corrupt, 2, 2, &[7; 12], Some((LESSON_KEYWORD, chunk))).unwrap();
    let fake = dir.path().join("fake.png");
    fs::write(&fake, "x,y\n1,2\n").unwrap();
    let cases = [
        (
            &plain,
            vec!["plain.png: png: holds no curvscope-lesson chunk"],
        ),
        (
            &corrupt,
            vec!["corrupt.png (curvscope-lesson chunk): run.lr: unknown field"],
        ),
        (&fake, vec!["fake.png: png: not a readable PNG file ("]),
    ];
    for (path, needles) in cases {
        let p = path.to_str().unwrap();
        fails_with(&["--lesson", p], &needles);
        fails_with(
            &["screenshot", "--lesson", p, "--out", "never.png"],
            &needles,
        );
        fails_with(&["record", "--lesson", p, "--out", "never"], &needles);
    }
    assert!(!Path::new("never").exists() && !Path::new("never.png").exists());
}
