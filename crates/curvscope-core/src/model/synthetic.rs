//! Synthetic data sets (the app's data menu) and random initial parameters.

use crate::model::architecture::Architecture;
use crate::model::dataset::{Dataset, Targets};
use crate::model::loss::LossKind;
use ndarray::{Array1, Array2};
use rand::Rng;
use rand_distr::{Distribution, Normal};

/// The synthetic data sets the app trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// Two interleaving half circles (binary).
    Moons,
    /// A disc inside a ring (binary).
    Circles,
    /// Two interleaved spiral arms (binary).
    Spirals2,
    /// Three interleaved spiral arms (3 classes).
    Spirals3,
    /// The four quadrants, opposite ones alike (binary).
    Xor,
    /// Three Gaussian blobs (3 classes).
    Blobs,
    /// y = sin(πx) on [-2, 2] (regression).
    Sine,
}

impl DataKind {
    /// All kinds, in menu order.
    pub const ALL: [DataKind; 7] = [
        DataKind::Moons,
        DataKind::Circles,
        DataKind::Spirals2,
        DataKind::Spirals3,
        DataKind::Xor,
        DataKind::Blobs,
        DataKind::Sine,
    ];

    /// A short name for menus and files.
    pub fn name(self) -> &'static str {
        match self {
            DataKind::Moons => "moons",
            DataKind::Circles => "circles",
            DataKind::Spirals2 => "spirals2",
            DataKind::Spirals3 => "spirals3",
            DataKind::Xor => "xor",
            DataKind::Blobs => "blobs",
            DataKind::Sine => "sine",
        }
    }

    /// The kind of a [`DataKind::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The loss that fits the targets.
    pub fn loss(self) -> LossKind {
        match self {
            DataKind::Spirals3 | DataKind::Blobs => LossKind::SoftmaxCe,
            DataKind::Sine => LossKind::Mse,
            _ => LossKind::BceLogits,
        }
    }

    /// Input and output widths of a network for this data.
    pub fn widths(self) -> (usize, usize) {
        match self {
            DataKind::Spirals3 | DataKind::Blobs => (2, 3),
            DataKind::Sine => (1, 1),
            _ => (2, 1),
        }
    }

    /// `n` samples with Gaussian noise of standard deviation `noise`.
    pub fn generate(self, n: usize, noise: f64, rng: &mut impl Rng) -> Dataset {
        let normal = Normal::new(0.0, noise.max(0.0)).expect("finite noise");
        let (n_in, _) = self.widths();
        let mut x = Array2::zeros((n, n_in));
        let mut labels = Vec::with_capacity(n);
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            let u: f64 = rng.random();
            let (point, label): ([f64; 2], usize) = match self {
                DataKind::Moons => {
                    let t = std::f64::consts::PI * u;
                    if i % 2 == 0 {
                        ([t.cos(), t.sin()], 0)
                    } else {
                        ([1.0 - t.cos(), 0.5 - t.sin()], 1)
                    }
                }
                DataKind::Circles => {
                    let t = std::f64::consts::TAU * u;
                    let r = if i % 2 == 0 { 0.5 } else { 1.0 };
                    ([r * t.cos(), r * t.sin()], i % 2)
                }
                DataKind::Spirals2 | DataKind::Spirals3 => {
                    let arms = if self == DataKind::Spirals2 { 2 } else { 3 };
                    let arm = i % arms;
                    let r = 0.1 + 0.9 * u;
                    let t = 3.0 * std::f64::consts::PI * r
                        + std::f64::consts::TAU * arm as f64 / arms as f64;
                    ([r * t.cos(), r * t.sin()], arm)
                }
                DataKind::Xor => {
                    let (a, b) = (2.0 * u - 1.0, 2.0 * rng.random::<f64>() - 1.0);
                    ([a, b], usize::from((a > 0.0) != (b > 0.0)))
                }
                DataKind::Blobs => {
                    let c = i % 3;
                    let t = std::f64::consts::TAU * c as f64 / 3.0;
                    ([t.cos(), t.sin()], c)
                }
                DataKind::Sine => ([4.0 * u - 2.0, 0.0], 0),
            };
            for (k, p) in point.iter().take(n_in).enumerate() {
                x[(i, k)] = p + normal.sample(rng);
            }
            labels.push(label);
            if self == DataKind::Sine {
                values.push((std::f64::consts::PI * point[0]).sin() + normal.sample(rng));
            }
        }
        let y = match self.loss() {
            LossKind::Mse => {
                Targets::Regression(Array2::from_shape_vec((n, 1), values).expect("n values"))
            }
            LossKind::BceLogits => Targets::Binary(labels.iter().map(|&l| l as f64).collect()),
            LossKind::SoftmaxCe => Targets::Classes(labels),
        };
        Dataset { x, y }
    }
}

/// Two interleaving half circles (labels 0 and 1) with Gaussian noise.
pub fn two_moons(n: usize, noise: f64, rng: &mut impl Rng) -> Dataset {
    DataKind::Moons.generate(n, noise, rng)
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_kind_fits_its_loss_and_is_reproducible() {
        for kind in DataKind::ALL {
            let make = || kind.generate(60, 0.05, &mut rand::rngs::StdRng::seed_from_u64(3));
            let d = make();
            let (n_in, n_out) = kind.widths();
            assert_eq!(d.x.dim(), (60, n_in), "{kind:?}");
            assert_eq!(d.y.len(), 60);
            assert_eq!(d, make(), "{kind:?} is not reproducible");
            assert!(d.x.iter().all(|v| v.is_finite()));
            match &d.y {
                Targets::Binary(y) => assert!(y.iter().all(|&v| v == 0.0 || v == 1.0)),
                Targets::Classes(y) => assert!(y.iter().all(|&c| c < n_out)),
                Targets::Regression(y) => assert_eq!(y.ncols(), n_out),
            }
            // Every class occurs.
            if let Targets::Classes(y) = &d.y {
                assert!((0..n_out).all(|c| y.contains(&c)), "{kind:?}");
            }
        }
    }
}
