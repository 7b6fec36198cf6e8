//! Synthetic data sets and problems (for benchmarks, tests and the app).

use crate::activation::Activation;
use crate::architecture::Architecture;
use crate::dataset::{Dataset, Targets};
use crate::directions::{RandomScaling, random_direction};
use crate::loss::LossKind;
use crate::problem::Problem;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// Two interleaving half circles (labels 0 and 1) with Gaussian noise.
pub fn two_moons(n: usize, noise: f64, rng: &mut impl Rng) -> Dataset {
    let normal = Normal::new(0.0, noise.max(0.0)).expect("finite noise");
    let mut x = Array2::zeros((n, 2));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let upper = i % 2 == 0;
        let t = std::f64::consts::PI * rng.random::<f64>();
        let (px, py) = if upper {
            (t.cos(), t.sin())
        } else {
            (1.0 - t.cos(), 0.5 - t.sin())
        };
        x[(i, 0)] = px + normal.sample(rng);
        x[(i, 1)] = py + normal.sample(rng);
        y[i] = if upper { 0.0 } else { 1.0 };
    }
    Dataset {
        x,
        y: Targets::Binary(y),
    }
}

/// Random parameters with 1/√fan_in scaled Gaussian weights and zero biases.
pub fn init_params(arch: &Architecture, rng: &mut impl Rng) -> Array1<f64> {
    let mut theta = Array1::zeros(arch.n_params());
    for span in arch.spans() {
        let normal = Normal::new(0.0, 1.0 / (span.fan_in as f64).sqrt()).expect("finite scale");
        for v in theta.slice_mut(ndarray::s![span.weight_offset..span.bias_offset]) {
            *v = normal.sample(rng);
        }
    }
    theta
}

/// The ~20k-parameter benchmark: a 2-140-140-1 tanh network on 512 moons
/// samples (bce_logits) at random parameters, with two filter-normalized
/// random directions.
pub fn wide_benchmark_problem(seed: u64) -> Problem {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let architecture = Architecture::new(vec![2, 140, 140, 1], Activation::Tanh);
    let data = two_moons(512, 0.1, &mut rng);
    let params = init_params(&architecture, &mut rng);
    let theta = params.as_slice().expect("contiguous");
    let directions = (0..2)
        .map(|_| random_direction(&architecture, theta, RandomScaling::Filter, &mut rng))
        .collect();
    Problem {
        architecture,
        loss: LossKind::BceLogits,
        data,
        params,
        directions: Some(directions),
    }
}
