//! The sample problems bundled into the binary (`assets/problems/`), so that
//! `bench` and the examples work from any folder, and the wide benchmark
//! problem made from a seed.

use crate::contiguous::Flat;
use crate::io::problem::Problem;
use crate::landscape::directions::{RandomScaling, random_direction};
use crate::model::activation::Activation;
use crate::model::architecture::Architecture;
use crate::model::loss::LossKind;
use crate::model::synthetic::{init_params, two_moons};
use rand::SeedableRng;

/// (file name, JSON text) of each bundled sample problem.
pub const SAMPLE_PROBLEMS: [(&str, &str); 3] = [
    (
        "sine.json",
        include_str!("../../../../assets/problems/sine.json"),
    ),
    (
        "moons.json",
        include_str!("../../../../assets/problems/moons.json"),
    ),
    (
        "spiral3.json",
        include_str!("../../../../assets/problems/spiral3.json"),
    ),
];

/// The ~20k-parameter benchmark: a 2-140-140-1 tanh network on 512 moons
/// samples (bce_logits) at random parameters, with two filter-normalized
/// random directions.
pub fn wide_benchmark_problem(seed: u64) -> Problem {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let architecture = Architecture::new(vec![2, 140, 140, 1], Activation::Tanh);
    let data = two_moons(512, 0.1, &mut rng);
    let params = init_params(&architecture, &mut rng);
    let theta = params.flat();
    let directions = (0..2)
        .map(|_| random_direction(&architecture, theta, RandomScaling::Filter, &mut rng))
        .collect();
    Problem {
        architecture,
        loss: LossKind::BceLogits,
        data,
        params,
        directions: Some(directions),
        trajectory: None,
    }
}
