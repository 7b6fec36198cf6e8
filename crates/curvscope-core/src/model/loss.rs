//! The three losses of the problem format (means over samples).

/// Which loss the network is trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LossKind {
    /// Mean over samples and outputs of `(f(x) - y)^2`.
    Mse,
    /// Mean of `softplus(z) - y z` over samples; one output.
    BceLogits,
    /// Mean of `logsumexp(z) - z[y]` over samples.
    SoftmaxCe,
}

impl LossKind {
    /// All losses, in the order of the spec.
    pub const ALL: [LossKind; 3] = [LossKind::Mse, LossKind::BceLogits, LossKind::SoftmaxCe];

    /// The name used in problem files.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Mse => "mse",
            LossKind::BceLogits => "bce_logits",
            LossKind::SoftmaxCe => "softmax_ce",
        }
    }

    /// Parses a problem-file name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

use crate::model::activation::{sigmoid, softplus};
use crate::model::dataset::Targets;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Zip};

/// The second derivative of the loss with respect to the network's outputs,
/// per sample, already divided by the loss's normalizer.
#[derive(Debug, Clone)]
pub enum OutputCurvature {
    /// `mse`: the same multiple of the identity for every sample.
    Identity(f64),
    /// `bce_logits`: σ(z)(1 - σ(z)) / N per sample.
    PerSample(Array1<f64>),
    /// `softmax_ce`: (diag p - p pᵀ) / N, from the softmax probabilities p.
    Softmax {
        /// Softmax probabilities, one row per sample.
        probs: Array2<f64>,
        /// 1 / N.
        scale: f64,
    },
}

impl OutputCurvature {
    /// Writes H_out · r_z row by row into `out` (same shape as `rz`).
    pub fn apply(&self, rz: ArrayView2<f64>, mut out: ArrayViewMut2<f64>) {
        match self {
            OutputCurvature::Identity(c) => {
                Zip::from(&mut out).and(&rz).for_each(|o, &r| *o = c * r)
            }
            OutputCurvature::PerSample(w) => {
                Zip::from(out.rows_mut())
                    .and(rz.rows())
                    .and(w)
                    .for_each(|mut o, r, &wi| {
                        Zip::from(&mut o).and(&r).for_each(|o, &r| *o = wi * r);
                    });
            }
            OutputCurvature::Softmax { probs, scale } => {
                Zip::from(out.rows_mut())
                    .and(rz.rows())
                    .and(probs.rows())
                    .for_each(|mut o, r, p| {
                        let pr = p.dot(&r);
                        Zip::from(&mut o)
                            .and(&r)
                            .and(&p)
                            .for_each(|o, &r, &p| *o = scale * p * (r - pr));
                    });
            }
        }
    }

    /// The full output Hessian of sample `i` (out × out).
    pub fn sample_matrix(&self, i: usize, n_out: usize) -> Array2<f64> {
        match self {
            OutputCurvature::Identity(c) => Array2::eye(n_out) * *c,
            OutputCurvature::PerSample(w) => Array2::from_elem((1, 1), w[i]),
            OutputCurvature::Softmax { probs, scale } => {
                let p = probs.row(i);
                Array2::from_shape_fn((n_out, n_out), |(a, b)| {
                    scale * (if a == b { p[a] } else { 0.0 } - p[a] * p[b])
                })
            }
        }
    }
}

/// log Σ exp(z) of one row, stable.
fn logsumexp(row: ndarray::ArrayView1<f64>) -> f64 {
    let m = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    if !m.is_finite() {
        return m;
    }
    m + row.fold(0.0, |s, &v| s + (v - m).exp()).ln()
}

impl LossKind {
    /// The number the summed per-sample losses are divided by: N·outputs for
    /// `mse` (mean over samples and outputs), N otherwise.
    pub fn normalizer(self, n_samples: usize, n_outputs: usize) -> f64 {
        match self {
            LossKind::Mse => (n_samples * n_outputs) as f64,
            _ => n_samples as f64,
        }
    }

    /// Sum over the rows of `out` (samples × outputs, any memory layout) of
    /// the per-sample loss (not yet normalized).
    pub fn sum(self, out: ArrayView2<f64>, y: &Targets) -> f64 {
        match (self, y) {
            (LossKind::Mse, Targets::Regression(t)) => Zip::from(&out)
                .and(t)
                .fold(0.0, |s, &o, &t| s + (o - t) * (o - t)),
            (LossKind::BceLogits, Targets::Binary(t)) => match (out.as_slice(), t.as_slice()) {
                (Some(z), Some(t)) => crate::kernels::elementwise::bce_logits_sum(z, t),
                _ => Zip::from(out.column(0))
                    .and(t)
                    .fold(0.0, |s, &z, &t| s + softplus(z) - t * z),
            },
            (LossKind::SoftmaxCe, Targets::Classes(t)) => {
                // The kernel wants class-major logits; the copy is cheap next to the exps.
                let class_major = out.t().as_standard_layout().into_owned();
                let z = class_major.as_slice().expect("standard layout");
                crate::kernels::elementwise::softmax_ce_sum(z, out.ncols(), t)
            }
            _ => panic!("targets do not match the loss {self:?}"),
        }
    }

    /// Sum of per-sample losses, with ∂(sum·scale)/∂out written into `grad`
    /// and the output curvature (also times `scale`) returned.
    pub fn sum_grad_curvature(
        self,
        out: ArrayView2<f64>,
        y: &Targets,
        scale: f64,
        grad: &mut Array2<f64>,
    ) -> (f64, OutputCurvature) {
        let total = self.sum(out, y);
        let curvature = match (self, y) {
            (LossKind::Mse, Targets::Regression(t)) => {
                Zip::from(&mut *grad)
                    .and(&out)
                    .and(t)
                    .for_each(|g, &o, &t| *g = 2.0 * scale * (o - t));
                OutputCurvature::Identity(2.0 * scale)
            }
            (LossKind::BceLogits, Targets::Binary(t)) => {
                let mut w = Array1::zeros(t.len());
                Zip::from(grad.column_mut(0))
                    .and(out.column(0))
                    .and(t)
                    .and(&mut w)
                    .for_each(|g, &z, &t, w| {
                        let s = sigmoid(z);
                        *g = scale * (s - t);
                        *w = scale * s * (1.0 - s);
                    });
                OutputCurvature::PerSample(w)
            }
            (LossKind::SoftmaxCe, Targets::Classes(t)) => {
                let mut probs = out.to_owned();
                for mut row in probs.rows_mut() {
                    let lse = logsumexp(row.view());
                    row.mapv_inplace(|v| (v - lse).exp());
                }
                Zip::from(grad.rows_mut())
                    .and(probs.rows())
                    .and(t)
                    .for_each(|mut g, p, &k| {
                        Zip::from(&mut g).and(&p).for_each(|g, &p| *g = scale * p);
                        g[k] -= scale;
                    });
                OutputCurvature::Softmax { probs, scale }
            }
            _ => panic!("targets do not match the loss {self:?}"),
        };
        (total, curvature)
    }
}
