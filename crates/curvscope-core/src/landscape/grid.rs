//! The loss on a plane (or line) through θ: L(θ + a·d0 + b·d1) on a grid.
//!
//! This is the hottest code of the product. The first layer's pre-activations
//! are affine in (a, b), so X W_1ᵀ is computed three times (for θ, d0, d1) up
//! front and each grid point only combines them; later layers form
//! W_l + a U_l + b V_l (small) and do one matrix product over all samples.
//! For GELU the first layer's combination and activation are one pass.
//! Grid points run in parallel (rayon), each worker reusing its buffers.

use crate::contiguous::{Flat, FlatMut};
use crate::kernels::{elementwise, gemm};
use crate::model::activation::Activation;
use crate::model::architecture::{LayerSpan, LayerView};
use crate::model::objective::{Objective, affine};
use ndarray::{Array1, Array2, ArrayView1};
use rayon::prelude::*;

/// Grid coordinates `-r + 2 r k / (n - 1)`, k = 0..n (n = 1 gives `[0]`).
pub fn grid_coordinates(n: usize, r: f64) -> Vec<f64> {
    if n <= 1 {
        return vec![0.0; n];
    }
    (0..n)
        .map(|k| -r + 2.0 * r * k as f64 / (n - 1) as f64)
        .collect()
}

/// First-layer pre-activations of one row chunk along θ, d0 and d1, stored
/// unit-major (width × samples) like every activation of the sampler, so that
/// element-wise work and the loss run over contiguous samples.
struct FirstLayer {
    base: Array2<f64>,
    along0: Array2<f64>,
    along1: Array2<f64>,
}

/// A 2D slice of the loss landscape through θ along d0 and d1.
pub struct Slice<'a> {
    objective: &'a Objective,
    /// θ, d0 and d1 with every weight matrix stored transposed (in × out),
    /// the layout the small-product kernel reads.
    theta: Array1<f64>,
    d0: Array1<f64>,
    d1: Array1<f64>,
    spans: Vec<LayerSpan>,
    first: Vec<FirstLayer>,
}

/// e^{s·(first-layer pre-activation)} split into a factor per grid row (θ and
/// the a·d0 part) and per grid column (the b·d1 part): for tanh (s = 2) and
/// sigmoid (s = −1) the activation of the sum is then one multiply and one
/// division per entry, for softplus (s = 1) a multiply and a log1p, instead
/// of a full exponential and more.
struct ExpFactors {
    /// rows[i][chunk]: e^{s (base + alphas[i] d0)}.
    rows: Vec<Vec<Vec<f64>>>,
    /// cols[j][chunk]: e^{s betas[j] d1}.
    cols: Vec<Vec<Vec<f64>>>,
    /// Rows and columns whose exponents stayed inside the clamp (±700); any
    /// other point is evaluated directly.
    row_ok: Vec<bool>,
    col_ok: Vec<bool>,
}

/// One grid point's (row, column) exponential factors, per data chunk.
type FactorPair<'f> = (&'f [Vec<f64>], &'f [Vec<f64>]);

/// Largest |exponent| the factors may hold without clamping.
const EXP_LIMIT: f64 = 700.0;
/// Largest memory the factors may take before the direct path is used.
const EXP_FACTOR_BYTES: usize = 512 << 20;

/// Per-worker buffers: one weight matrix, bias and activation matrix per layer.
struct Scratch {
    weights: Vec<Array2<f64>>,
    biases: Vec<Array1<f64>>,
    acts: Vec<Vec<Array2<f64>>>,
}

/// A copy of the flat vector `v` with every layer's weight matrix transposed
/// (fan_in × fan_out, row-major); biases stay in place.
fn weights_transposed(
    arch: &crate::model::architecture::Architecture,
    v: &Array1<f64>,
) -> Array1<f64> {
    let mut out = v.clone();
    for (span, (w, _)) in arch.spans().iter().zip(arch.layer_views(v.flat())) {
        let t = w.t().as_standard_layout().into_owned();
        out.slice_mut(ndarray::s![span.weight_offset..span.bias_offset])
            .assign(&ndarray::ArrayView1::from(
                t.as_slice().expect("standard layout"),
            ));
    }
    out
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
                arch: &crate::model::architecture::Architecture,
                v: &'v Array1<f64>,
            ) -> LayerView<'v> {
                arch.layer_views(v.flat())[0]
            }
            let (t, u, w) = (l0(arch, &theta), l0(arch, &d0), l0(arch, &d1));
            objective
                .chunks()
                .iter()
                .map(|c| {
                    let unit_major = |l: LayerView| {
                        affine(c.x.view(), l.0, l.1)
                            .reversed_axes()
                            .as_standard_layout()
                            .into_owned()
                    };
                    FirstLayer {
                        base: unit_major(t),
                        along0: unit_major(u),
                        along1: unit_major(w),
                    }
                })
                .collect()
        };
        let transposed = |v: &Array1<f64>| weights_transposed(arch, v);
        Self {
            objective,
            spans: arch.spans(),
            theta: transposed(&theta),
            d0: transposed(&d0),
            d1: transposed(&d1),
            first,
        }
    }

    fn scratch(&self) -> Scratch {
        let arch = self.objective.architecture();
        let spans = arch.spans();
        Scratch {
            weights: spans
                .iter()
                .map(|s| Array2::zeros((s.fan_in, s.fan_out)))
                .collect(),
            biases: spans.iter().map(|s| Array1::zeros(s.fan_out)).collect(),
            acts: self
                .objective
                .chunks()
                .iter()
                .map(|c| {
                    spans
                        .iter()
                        .map(|s| Array2::zeros((s.fan_out, c.len())))
                        .collect()
                })
                .collect(),
        }
    }

    /// L(θ + a d0 + b d1).
    pub fn loss_at(&self, a: f64, b: f64) -> f64 {
        self.eval(a, b, &mut self.scratch(), None)
    }

    /// The exponent scale s of the factorized first layer and the largest
    /// |exponent| a factor may hold, if the activation factors: tanh (s = 2),
    /// sigmoid (s = −1), softplus (s = 1; factors up to e^350, so that their
    /// product is finite).
    fn exp_scale(&self) -> Option<(f64, f64)> {
        let arch = self.objective.architecture();
        if arch.n_layers() < 2 {
            return None;
        }
        match arch.activation {
            Activation::Tanh => Some((2.0, EXP_LIMIT)),
            Activation::Sigmoid => Some((-1.0, EXP_LIMIT)),
            Activation::Softplus => Some((1.0, EXP_LIMIT / 2.0)),
            _ => None,
        }
    }

    /// Row and column factors of the grid `alphas × betas` (see [`ExpFactors`]).
    fn exp_factors(
        &self,
        alphas: &[f64],
        betas: &[f64],
        (scale, limit): (f64, f64),
    ) -> Option<ExpFactors> {
        let entries: usize = self.first.iter().map(|f| f.base.len()).sum();
        if (alphas.len() + betas.len()) * entries * 8 > EXP_FACTOR_BYTES {
            return None;
        }
        let zero = vec![0.0; self.first.iter().map(|f| f.base.len()).max().unwrap_or(0)];
        let factor = |c: f64, row: bool| -> (Vec<Vec<f64>>, bool) {
            let mut ok = true;
            let per_chunk = self
                .first
                .iter()
                .map(|f| {
                    let (base, dir) = if row {
                        (f.base.flat(), f.along0.flat())
                    } else {
                        (&zero[..f.base.len()], f.along1.flat())
                    };
                    let mut out = vec![0.0; base.len()];
                    ok &= elementwise::exp_affine_into(&mut out, base, dir, c, scale) <= limit;
                    out
                })
                .collect();
            (per_chunk, ok)
        };
        let (rows, row_ok): (Vec<_>, Vec<_>) = alphas.par_iter().map(|&a| factor(a, true)).unzip();
        let (cols, col_ok): (Vec<_>, Vec<_>) = betas.par_iter().map(|&b| factor(b, false)).unzip();
        Some(ExpFactors {
            rows,
            cols,
            row_ok,
            col_ok,
        })
    }

    /// The loss at (a, b); `factors` = (row, column) exponential factors of the
    /// first layer per chunk, when the factorized path applies at this point.
    fn eval(&self, a: f64, b: f64, sc: &mut Scratch, factors: Option<FactorPair>) -> f64 {
        let arch = self.objective.architecture();
        let act = arch.activation;
        let n_layers = arch.n_layers();
        let slices = (self.theta.flat(), self.d0.flat(), self.d1.flat());
        for (l, span) in self.spans.iter().enumerate().skip(1) {
            for (range, out) in [
                (
                    span.weight_offset..span.bias_offset,
                    sc.weights[l].flat_mut(),
                ),
                (span.bias_offset..span.end(), sc.biases[l].flat_mut()),
            ] {
                let (t, u, w) = (
                    &slices.0[range.clone()],
                    &slices.1[range.clone()],
                    &slices.2[range],
                );
                elementwise::affine2(out, t, u, w, a, b);
            }
        }
        let mut total = 0.0;
        let chunks = self
            .objective
            .chunks()
            .iter()
            .zip(&self.first)
            .zip(&mut sc.acts);
        for (c, ((chunk, first), acts)) in chunks.enumerate() {
            if let Some((rows, cols)) = factors {
                let out = acts[0].flat_mut();
                match act {
                    Activation::Tanh => elementwise::tanh_from_exp_product(out, &rows[c], &cols[c]),
                    Activation::Softplus => {
                        elementwise::softplus_from_exp_product(out, &rows[c], &cols[c])
                    }
                    _ => elementwise::sigmoid_from_exp_product(out, &rows[c], &cols[c]),
                }
            } else {
                let out = acts[0].flat_mut();
                let (base, d0, d1) = (first.base.flat(), first.along0.flat(), first.along1.flat());
                if n_layers > 1 && act == Activation::Gelu {
                    elementwise::gelu_of_affine2(out, base, d0, d1, a, b);
                } else {
                    elementwise::affine2(out, base, d0, d1, a, b);
                    if n_layers > 1 {
                        act.apply_in_place(out);
                    }
                }
            }
            for l in 1..n_layers {
                let (done, rest) = acts.split_at_mut(l);
                let z = &mut rest[0];
                let (n_out, n) = z.dim();
                gemm::small_gemm_bias(
                    z.flat_mut(),
                    sc.weights[l].flat(),
                    sc.biases[l].flat(),
                    done[l - 1].flat(),
                    n_out,
                    done[l - 1].nrows(),
                    n,
                );
                if l + 1 < n_layers {
                    act.apply_in_place(z.flat_mut());
                }
            }
            let out = acts[n_layers - 1].t();
            total += self.objective.loss_kind().sum(out, &chunk.y);
        }
        total / self.objective.normalizer()
    }

    /// The loss on the grid `alphas × betas`: entry (i, j) is
    /// `L(θ + alphas[i] d0 + betas[j] d1)`. Points run in parallel.
    pub fn grid(&self, alphas: &[f64], betas: &[f64]) -> Array2<f64> {
        let nb = betas.len();
        let factors = self
            .exp_scale()
            .and_then(|s| self.exp_factors(alphas, betas, s));
        let values: Vec<f64> = (0..alphas.len() * nb)
            .into_par_iter()
            .map_init(
                || self.scratch(),
                |sc, k| {
                    let (i, j) = (k / nb, k % nb);
                    let f = factors
                        .as_ref()
                        .filter(|f| f.row_ok[i] && f.col_ok[j])
                        .map(|f| (&f.rows[i][..], &f.cols[j][..]));
                    self.eval(alphas[i], betas[j], sc, f)
                },
            )
            .collect();
        Array2::from_shape_vec((alphas.len(), nb), values).expect("grid shape")
    }

    /// The loss along the first direction only: `L(θ + alphas[i] d0)`.
    pub fn line(&self, alphas: &[f64]) -> Vec<f64> {
        self.grid(alphas, &[0.0]).into_iter().collect()
    }
}
