//! Directions in parameter space to slice the landscape along.

use crate::contiguous::Flat;
use crate::model::architecture::Architecture;
use ndarray::Array1;
use rand::Rng;
use rand_distr::StandardNormal;

/// How a random direction is scaled to the network's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RandomScaling {
    /// Li et al. 2018: each row (filter) of each weight matrix rescaled to the
    /// norm of the same row of the weights; bias entries zero.
    Filter,
    /// Each weight matrix rescaled to the Frobenius norm of that layer's
    /// weights; bias entries zero.
    Layer,
    /// Plain Gaussian over all parameters, scaled to unit norm.
    Raw,
}

/// A Gaussian random direction scaled by `scaling` relative to `theta`.
pub fn random_direction(
    arch: &Architecture,
    theta: &[f64],
    scaling: RandomScaling,
    rng: &mut impl Rng,
) -> Array1<f64> {
    let d: Array1<f64> = (0..theta.len())
        .map(|_| rng.sample(StandardNormal))
        .collect();
    scale_direction(arch, theta, d, scaling)
}

/// Rescales the direction `d` relative to `theta` as `scaling` says (so a
/// fixed random direction can follow a moving point).
pub fn scale_direction(
    arch: &Architecture,
    theta: &[f64],
    mut d: Array1<f64>,
    scaling: RandomScaling,
) -> Array1<f64> {
    match scaling {
        RandomScaling::Raw => {
            let norm = d.dot(&d).sqrt();
            if norm > 0.0 {
                d /= norm;
            }
        }
        RandomScaling::Filter | RandomScaling::Layer => {
            for span in arch.spans() {
                let rows: Vec<(usize, usize)> = match scaling {
                    RandomScaling::Filter => (0..span.fan_out)
                        .map(|r| {
                            let start = span.weight_offset + r * span.fan_in;
                            (start, start + span.fan_in)
                        })
                        .collect(),
                    _ => vec![(span.weight_offset, span.bias_offset)],
                };
                for (start, end) in rows {
                    let target = norm(&theta[start..end]);
                    let current = norm(&d.flat()[start..end]);
                    let factor = if current > 0.0 { target / current } else { 0.0 };
                    d.slice_mut(ndarray::s![start..end])
                        .mapv_inplace(|v| v * factor);
                }
                d.slice_mut(ndarray::s![span.bias_offset..span.end()])
                    .fill(0.0);
            }
        }
    }
    d
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// `d` minus its projection on `against` (Gram–Schmidt, not renormalized).
pub fn orthogonalize(d: &Array1<f64>, against: &Array1<f64>) -> Array1<f64> {
    let denom = against.dot(against);
    if denom == 0.0 {
        return d.clone();
    }
    d - &(against * (d.dot(against) / denom))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::activation::Activation;
    use rand::SeedableRng;

    #[test]
    fn filter_normalization_matches_row_norms_and_zeroes_biases() {
        let arch = Architecture::new(vec![3, 4, 2], Activation::Tanh);
        let theta: Vec<f64> = (0..arch.n_params())
            .map(|i| (i as f64 * 0.37).sin())
            .collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let d = random_direction(&arch, &theta, RandomScaling::Filter, &mut rng);
        for span in arch.spans() {
            for r in 0..span.fan_out {
                let s = span.weight_offset + r * span.fan_in;
                let want = norm(&theta[s..s + span.fan_in]);
                let got = norm(&d.as_slice().unwrap()[s..s + span.fan_in]);
                assert!((want - got).abs() < 1e-12);
            }
            assert!(
                d.slice(ndarray::s![span.bias_offset..span.end()])
                    .iter()
                    .all(|&v| v == 0.0)
            );
        }
    }

    #[test]
    fn layer_and_raw_scalings() {
        let arch = Architecture::new(vec![2, 3, 1], Activation::Relu);
        let theta: Vec<f64> = (0..arch.n_params()).map(|i| i as f64 - 4.0).collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let d = random_direction(&arch, &theta, RandomScaling::Layer, &mut rng);
        for span in arch.spans() {
            let w = span.weight_offset..span.bias_offset;
            let got = norm(&d.as_slice().unwrap()[w.clone()]);
            assert!((got - norm(&theta[w])).abs() < 1e-12);
        }
        let r = random_direction(&arch, &theta, RandomScaling::Raw, &mut rng);
        assert!((r.dot(&r) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn orthogonalized_direction_is_orthogonal() {
        let a = ndarray::array![1.0, 2.0, 0.5];
        let b = ndarray::array![0.3, -1.0, 4.0];
        assert!(orthogonalize(&b, &a).dot(&a).abs() < 1e-14);
    }
}
