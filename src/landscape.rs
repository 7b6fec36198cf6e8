//! The loss on a plane (or line) through θ: L(θ + a·d0 + b·d1) on a grid.
//!
//! This is the hottest code of the product. The first layer's pre-activations
//! are affine in (a, b), so X W_1ᵀ is computed three times (for θ, d0, d1) up
//! front and each grid point only combines them; later layers form
//! W_l + a U_l + b V_l (small) and do one matrix product over all samples.
//! Grid points run in parallel (rayon), each worker reusing its buffers.

use crate::architecture::{LayerSpan, LayerView};
use crate::fastmath;
use crate::objective::{Objective, affine};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1};
use rayon::prelude::*;

/// Grid coordinates `-r + 2 r k / (n - 1)`, k = 0..n (n = 1 gives [0]).
pub fn grid_coordinates(n: usize, r: f64) -> Vec<f64> {
    if n <= 1 {
        return vec![0.0; n];
    }
    (0..n)
        .map(|k| -r + 2.0 * r * k as f64 / (n - 1) as f64)
        .collect()
}

/// First-layer pre-activations of one row chunk along θ, d0 and d1.
struct FirstLayer {
    base: Array2<f64>,
    along0: Array2<f64>,
    along1: Array2<f64>,
}

/// A 2D slice of the loss landscape through θ along d0 and d1.
pub struct Slice<'a> {
    objective: &'a Objective,
    theta: Array1<f64>,
    d0: Array1<f64>,
    d1: Array1<f64>,
    spans: Vec<LayerSpan>,
    first: Vec<FirstLayer>,
}

/// Per-worker buffers: one weight matrix, bias and activation matrix per layer.
struct Scratch {
    weights: Vec<Array2<f64>>,
    biases: Vec<Array1<f64>>,
    acts: Vec<Vec<Array2<f64>>>,
}

impl<'a> Slice<'a> {
    /// Prepares the slice (three first-layer matrix products per data chunk).
    pub fn new(
        objective: &'a Objective,
        theta: ArrayView1<f64>,
        d0: ArrayView1<f64>,
        d1: ArrayView1<f64>,
    ) -> Self {
        let p = objective.n_params();
        assert!(
            theta.len() == p && d0.len() == p && d1.len() == p,
            "vector lengths"
        );
        let (theta, d0, d1) = (theta.to_owned(), d0.to_owned(), d1.to_owned());
        let arch = objective.architecture();
        let first = {
            fn l0<'v>(
                arch: &crate::architecture::Architecture,
                v: &'v Array1<f64>,
            ) -> LayerView<'v> {
                arch.layer_views(v.as_slice().expect("contiguous"))[0]
            }
            let (t, u, w) = (l0(arch, &theta), l0(arch, &d0), l0(arch, &d1));
            objective
                .chunks()
                .iter()
                .map(|c| FirstLayer {
                    base: affine(c.x.view(), t.0, t.1),
                    along0: affine(c.x.view(), u.0, u.1),
                    along1: affine(c.x.view(), w.0, w.1),
                })
                .collect()
        };
        Self {
            objective,
            spans: arch.spans(),
            theta,
            d0,
            d1,
            first,
        }
    }

    fn scratch(&self) -> Scratch {
        let arch = self.objective.architecture();
        let spans = arch.spans();
        Scratch {
            weights: spans
                .iter()
                .map(|s| Array2::zeros((s.fan_out, s.fan_in)))
                .collect(),
            biases: spans.iter().map(|s| Array1::zeros(s.fan_out)).collect(),
            acts: self
                .objective
                .chunks()
                .iter()
                .map(|c| {
                    spans
                        .iter()
                        .map(|s| Array2::zeros((c.len(), s.fan_out)))
                        .collect()
                })
                .collect(),
        }
    }

    /// L(θ + a d0 + b d1).
    pub fn loss_at(&self, a: f64, b: f64) -> f64 {
        self.eval(a, b, &mut self.scratch())
    }

    fn eval(&self, a: f64, b: f64, sc: &mut Scratch) -> f64 {
        let arch = self.objective.architecture();
        let act = arch.activation;
        let n_layers = arch.n_layers();
        let slices = (
            self.theta.as_slice().expect("contiguous"),
            self.d0.as_slice().expect("contiguous"),
            self.d1.as_slice().expect("contiguous"),
        );
        for (l, span) in self.spans.iter().enumerate().skip(1) {
            for (range, out) in [
                (
                    span.weight_offset..span.bias_offset,
                    sc.weights[l].as_slice_mut().expect("contiguous"),
                ),
                (
                    span.bias_offset..span.end(),
                    sc.biases[l].as_slice_mut().expect("contiguous"),
                ),
            ] {
                let (t, u, w) = (
                    &slices.0[range.clone()],
                    &slices.1[range.clone()],
                    &slices.2[range],
                );
                fastmath::affine2(out, t, u, w, a, b);
            }
        }
        let mut total = 0.0;
        for ((chunk, first), acts) in self
            .objective
            .chunks()
            .iter()
            .zip(&self.first)
            .zip(&mut sc.acts)
        {
            {
                let out = acts[0].as_slice_mut().expect("contiguous");
                let (base, d0, d1) = (
                    first.base.as_slice().expect("contiguous"),
                    first.along0.as_slice().expect("contiguous"),
                    first.along1.as_slice().expect("contiguous"),
                );
                if n_layers > 1 && act == crate::activation::Activation::Tanh {
                    fastmath::tanh_affine2(out, base, d0, d1, a, b);
                } else {
                    fastmath::affine2(out, base, d0, d1, a, b);
                    if n_layers > 1 {
                        act.apply_in_place(out);
                    }
                }
            }
            for l in 1..n_layers {
                let (done, rest) = acts.split_at_mut(l);
                let z = &mut rest[0];
                for mut row in z.rows_mut() {
                    row.assign(&sc.biases[l]);
                }
                general_mat_mul(1.0, &done[l - 1], &sc.weights[l].t(), 1.0, z);
                if l + 1 < n_layers {
                    act.apply_in_place(z.as_slice_mut().expect("contiguous"));
                }
            }
            total += self
                .objective
                .loss_kind()
                .sum(acts[n_layers - 1].view(), &chunk.y);
        }
        total / self.objective.normalizer()
    }

    /// The loss on the grid `alphas × betas`: entry (i, j) is
    /// L(θ + alphas[i] d0 + betas[j] d1). Points run in parallel.
    pub fn grid(&self, alphas: &[f64], betas: &[f64]) -> Array2<f64> {
        let nb = betas.len();
        let values: Vec<f64> = (0..alphas.len() * nb)
            .into_par_iter()
            .map_init(
                || self.scratch(),
                |sc, k| self.eval(alphas[k / nb], betas[k % nb], sc),
            )
            .collect();
        Array2::from_shape_vec((alphas.len(), nb), values).expect("grid shape")
    }

    /// The loss along the first direction only: L(θ + alphas[i] d0).
    pub fn line(&self, alphas: &[f64]) -> Vec<f64> {
        self.grid(alphas, &[0.0]).into_iter().collect()
    }
}
