//! The exact derivatives against finite differences and a dense Hessian, on
//! random small networks of every activation and loss.

use curvscope_core::curvature::dense::symmetric_eigen;
use curvscope_core::curvature::lanczos::{LanczosOptions, lanczos};
use curvscope_core::curvature::trace::hutchinson;
use curvscope_core::landscape::grid::{Slice, grid_coordinates};
use curvscope_core::model::activation::Activation;
use curvscope_core::model::architecture::Architecture;
use curvscope_core::model::dataset::{Dataset, Targets};
use curvscope_core::model::loss::LossKind;
use curvscope_core::model::objective::Objective;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};

fn random_problem(
    act: Activation,
    loss: LossKind,
    layers: Vec<usize>,
    n: usize,
    seed: u64,
) -> (Objective, Vec<f64>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let arch = Architecture::new(layers, act);
    let (n_in, n_out) = (arch.n_inputs(), arch.n_outputs());
    let x = Array2::from_shape_fn((n, n_in), |_| rng.random_range(-1.5..1.5));
    let y = match loss {
        LossKind::Mse => Targets::Regression(Array2::from_shape_fn((n, n_out), |_| {
            rng.random_range(-1.0..1.0)
        })),
        LossKind::BceLogits => {
            Targets::Binary(Array1::from_shape_fn(n, |_| rng.random_range(0.0..1.0)))
        }
        LossKind::SoftmaxCe => {
            Targets::Classes((0..n).map(|_| rng.random_range(0..n_out)).collect())
        }
    };
    let theta: Vec<f64> = (0..arch.n_params())
        .map(|_| rng.random_range(-0.8..0.8))
        .collect();
    (Objective::new(arch, loss, &Dataset { x, y }), theta)
}

fn cases() -> Vec<(Activation, LossKind, Vec<usize>)> {
    let mut out = Vec::new();
    for (i, act) in Activation::ALL.into_iter().enumerate() {
        for loss in LossKind::ALL {
            let n_out = match loss {
                LossKind::BceLogits => 1,
                LossKind::SoftmaxCe => 3,
                LossKind::Mse => 1 + i % 2,
            };
            out.push((act, loss, vec![2, 5, 4, n_out]));
        }
    }
    out.push((Activation::Tanh, LossKind::Mse, vec![3, 2]));
    out
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-3)
}

#[test]
fn gradient_matches_central_differences() {
    for (k, (act, loss, layers)) in cases().into_iter().enumerate() {
        let (obj, theta) = random_problem(act, loss, layers, 40, k as u64);
        let (l, g) = obj.loss_and_grad(&theta);
        assert!((l - obj.loss(&theta)).abs() < 1e-14 * l.abs().max(1.0));
        let h = 1e-6;
        for i in 0..theta.len() {
            let mut tp = theta.clone();
            tp[i] += h;
            let mut tm = theta.clone();
            tm[i] -= h;
            let fd = (obj.loss(&tp) - obj.loss(&tm)) / (2.0 * h);
            assert!(
                rel(g[i], fd) < 1e-6,
                "{act:?}/{loss:?} param {i}: {} vs {fd}",
                g[i]
            );
        }
    }
}

#[test]
fn hvp_matches_differences_of_the_gradient_and_is_symmetric() {
    for (k, (act, loss, layers)) in cases().into_iter().enumerate() {
        let (obj, theta) = random_problem(act, loss, layers, 40, 100 + k as u64);
        let op = obj.hessian_at(&theta);
        let p = theta.len();
        let mut rng = rand::rngs::StdRng::seed_from_u64(k as u64);
        let u: Array1<f64> = (0..p).map(|_| rng.random_range(-1.0..1.0)).collect();
        let v: Array1<f64> = (0..p).map(|_| rng.random_range(-1.0..1.0)).collect();
        let hv = op.hvp(v.view());
        let h = 1e-5;
        let tp: Vec<f64> = theta.iter().zip(&v).map(|(t, d)| t + h * d).collect();
        let tm: Vec<f64> = theta.iter().zip(&v).map(|(t, d)| t - h * d).collect();
        let fd = (obj.loss_and_grad(&tp).1 - obj.loss_and_grad(&tm).1) / (2.0 * h);
        let scale = fd.iter().fold(1e-3f64, |m, x| m.max(x.abs()));
        for i in 0..p {
            assert!(
                (hv[i] - fd[i]).abs() < 1e-6 * scale,
                "{act:?}/{loss:?} entry {i}: {} vs {}",
                hv[i],
                fd[i]
            );
        }
        let (a, b) = (u.dot(&hv), v.dot(&op.hvp(u.view())));
        assert!(
            (a - b).abs() < 1e-12 * a.abs().max(1.0),
            "{act:?}/{loss:?}: uHv {a} vs vHu {b}"
        );
        // The batched product agrees with the single one.
        let batch = op.hvp_batch(ndarray::stack![ndarray::Axis(0), u, v].view());
        for i in 0..p {
            assert!((batch[(1, i)] - hv[i]).abs() < 1e-13 * scale);
        }
    }
}

#[test]
fn diagonal_trace_and_lanczos_agree_with_the_dense_hessian() {
    for (k, (act, loss, layers)) in cases().into_iter().enumerate() {
        let (obj, theta) = random_problem(act, loss, layers, 30, 200 + k as u64);
        let op = obj.hessian_at(&theta);
        let dense = op.dense().expect("small model");
        let diag = op.diagonal();
        let eig = symmetric_eigen(dense.view()).unwrap();
        let p = theta.len();
        let scale = eig.values[0].abs().max(eig.values[p - 1].abs());
        for i in 0..p {
            assert!(
                (diag[i] - dense[(i, i)]).abs() < 1e-12 * scale.max(1.0),
                "{act:?}/{loss:?} diag {i}"
            );
        }
        let opts = LanczosOptions {
            top_k: 3.min(p),
            ..Default::default()
        };
        let r = lanczos(&op, &opts, &[]);
        assert!(r.converged, "{act:?}/{loss:?}");
        for (i, pair) in r.top.iter().enumerate() {
            assert!(
                (pair.value - eig.values[p - 1 - i]).abs() < 1e-8 * scale,
                "{act:?}/{loss:?} top {i}: {} vs {:?} after {} products",
                pair.value,
                eig.values,
                r.products
            );
        }
        assert!(
            (r.min.unwrap().value - eig.values[0]).abs() < 1e-8 * scale,
            "{act:?}/{loss:?} min"
        );
    }
}

#[test]
fn dense_hessian_is_refused_above_the_size_limit() {
    use curvscope_core::curvature::hvp::MAX_DENSE_PARAMS;
    let (obj, theta) = random_problem(Activation::Linear, LossKind::Mse, vec![3, 1500, 1], 4, 5);
    assert!(theta.len() > MAX_DENSE_PARAMS);
    assert!(obj.hessian_at(&theta).dense().is_none());
}

#[test]
fn hutchinson_is_within_a_few_standard_errors_of_the_exact_trace() {
    let (obj, theta) = random_problem(
        Activation::Tanh,
        LossKind::SoftmaxCe,
        vec![2, 12, 12, 3],
        64,
        7,
    );
    let op = obj.hessian_at(&theta);
    let exact = op.trace();
    let est = hutchinson(&op, 400, 11);
    assert!(est.stderr > 0.0);
    assert!(
        (est.value - exact).abs() < 4.0 * est.stderr,
        "{} ± {} vs {exact}",
        est.value,
        est.stderr
    );
}

#[test]
fn grid_center_is_the_loss_and_points_match_direct_evaluation() {
    for (k, (act, loss, layers)) in cases().into_iter().enumerate() {
        let (obj, theta) = random_problem(act, loss, layers, 50, 300 + k as u64);
        let p = theta.len();
        let mut rng = rand::rngs::StdRng::seed_from_u64(k as u64);
        let d0: Array1<f64> = (0..p).map(|_| rng.random_range(-0.5..0.5)).collect();
        let d1: Array1<f64> = (0..p).map(|_| rng.random_range(-0.5..0.5)).collect();
        let th = Array1::from(theta.clone());
        let slice = Slice::new(&obj, th.view(), d0.view(), d1.view());
        let alphas = grid_coordinates(5, 1.0);
        let grid = slice.grid(&alphas, &alphas);
        assert!(rel(grid[(2, 2)], obj.loss(&theta)) < 1e-14);
        for (i, &a) in alphas.iter().enumerate() {
            for (j, &b) in alphas.iter().enumerate() {
                let point = &th + &(&d0 * a) + &(&d1 * b);
                let direct = obj.loss(point.as_slice().unwrap());
                assert!(
                    rel(grid[(i, j)], direct) < 1e-12,
                    "{act:?}/{loss:?} ({i},{j})"
                );
            }
        }
    }
}

#[test]
fn far_grid_points_fall_back_to_direct_evaluation() {
    // Exponents beyond the factorized path's clamp (|2z| > 700, |z| > 350
    // for softplus) must not change the values: such rows and columns are
    // evaluated directly.
    for act in [Activation::Tanh, Activation::Sigmoid, Activation::Softplus] {
        let (obj, theta) = random_problem(act, LossKind::Mse, vec![2, 6, 1], 20, 41);
        let p = theta.len();
        let d0: Array1<f64> = (0..p)
            .map(|i| if i % 3 == 0 { 300.0 } else { 0.1 })
            .collect();
        let d1: Array1<f64> = (0..p).map(|i| (i as f64 * 0.7).sin()).collect();
        let th = Array1::from(theta);
        let slice = Slice::new(&obj, th.view(), d0.view(), d1.view());
        let alphas = [-2.0, -1e-3, 0.0, 0.5, 3.0];
        let grid = slice.grid(&alphas, &alphas);
        for (i, &a) in alphas.iter().enumerate() {
            for (j, &b) in alphas.iter().enumerate() {
                let point = &th + &(&d0 * a) + &(&d1 * b);
                let direct = obj.loss(point.as_slice().unwrap());
                assert!(
                    rel(grid[(i, j)], direct) < 1e-12,
                    "{act:?} ({i},{j}): {} vs {direct}",
                    grid[(i, j)]
                );
            }
        }
        let line = slice.line(&alphas);
        for (i, &a) in alphas.iter().enumerate() {
            assert!(
                rel(line[i], slice.loss_at(a, 0.0)) < 1e-14,
                "{act:?} line {i}"
            );
        }
    }
}

#[test]
fn trace_falls_back_to_hutchinson_when_the_exact_diagonal_is_too_costly() {
    use curvscope_core::curvature::trace::TraceMethod;
    use curvscope_core::curvature::trace::trace_for;
    for (layers, n, want) in [
        (vec![2, 4, 1], 10, TraceMethod::Exact),
        (vec![1, 400, 400, 1], 100, TraceMethod::Hutchinson),
    ] {
        let (obj, theta) = random_problem(Activation::Tanh, LossKind::Mse, layers, n, 2);
        let t = trace_for(&obj.hessian_at(&theta), 0);
        assert_eq!(t.method, want);
        assert_eq!(t.stderr > 0.0, want == TraceMethod::Hutchinson);
    }
}
