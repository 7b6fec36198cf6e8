//! `analyze` writes results that follow `analysis-format.md` and agree with
//! the expected files, and its options (directions, seed, grid, PCA plane,
//! 1D lines) behave.

use std::collections::BTreeMap;

use curvscope_core::io::problem::Problem;

use crate::results::{
    SAMPLES, analyze_json, check_center, check_format, expected, grid_of, num, nums,
    problem_without_directions, rel_close, sample,
};

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
