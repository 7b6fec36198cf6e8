//! The loss of a network on a data set as a function of its flat parameters:
//! value and exact gradient (backpropagation), batched over the whole data set.

use crate::contiguous::FlatMut;
use crate::model::architecture::{Architecture, LayerView};
use crate::model::dataset::{Dataset, Targets};
use crate::model::loss::LossKind;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis, s};
use rayon::prelude::*;

/// Rows per chunk at most; chunks are evaluated in parallel.
const MAX_CHUNK_ROWS: usize = 2048;
/// Rows per chunk at least (smaller chunks cost more in overhead than they gain).
const MIN_CHUNK_ROWS: usize = 32;

/// L(θ) for a fixed architecture, loss and data set.
#[derive(Debug, Clone)]
pub struct Objective {
    architecture: Architecture,
    loss: LossKind,
    chunks: Vec<Dataset>,
    n_samples: usize,
    normalizer: f64,
}

/// `A Wᵀ + 1 bᵀ`: one affine layer applied to every row of `a`.
pub(crate) fn affine(
    a: ArrayView2<f64>,
    w: ArrayView2<f64>,
    b: ndarray::ArrayView1<f64>,
) -> Array2<f64> {
    let mut z = Array2::from_shape_fn((a.nrows(), w.nrows()), |(_, j)| b[j]);
    general_mat_mul(1.0, &a, &w.t(), 1.0, &mut z);
    z
}

/// Floating-point work (per Hessian-vector product) a chunk should carry at
/// least: below it, waking another thread costs more than it saves.
const MIN_CHUNK_FLOPS: usize = 1_000_000;

/// Splits `data` into contiguous row chunks for parallel evaluation: one per
/// thread when the work is large enough to pay for the hand-off, else fewer.
fn split_rows(data: &Dataset, arch: &Architecture) -> Vec<Dataset> {
    let n = data.len();
    let threads = rayon::current_num_threads().max(1);
    let per_row: usize = 12 * arch.layers.windows(2).map(|w| w[0] * w[1]).sum::<usize>();
    let min_rows = MIN_CHUNK_FLOPS.div_ceil(per_row.max(1)).max(MIN_CHUNK_ROWS);
    let rows = n
        .div_ceil(threads)
        .max(min_rows)
        .min(MAX_CHUNK_ROWS)
        .min(n.max(1));
    (0..n)
        .step_by(rows)
        .map(|start| {
            let end = (start + rows).min(n);
            let y = match &data.y {
                Targets::Regression(t) => {
                    Targets::Regression(t.slice(s![start..end, ..]).to_owned())
                }
                Targets::Binary(t) => Targets::Binary(t.slice(s![start..end]).to_owned()),
                Targets::Classes(t) => Targets::Classes(t[start..end].to_vec()),
            };
            Dataset {
                x: data.x.slice(s![start..end, ..]).to_owned(),
                y,
            }
        })
        .collect()
}

/// Activations of every hidden layer and the outputs of one forward pass.
pub(crate) struct ForwardPass {
    /// Pre-activations Z_l of the hidden layers.
    pub pre: Vec<Array2<f64>>,
    /// Activations A_l = σ(Z_l) of the hidden layers.
    pub acts: Vec<Array2<f64>>,
    /// Network outputs (raw, before the loss).
    pub out: Array2<f64>,
}

impl Objective {
    /// Binds an architecture, a loss and a data set (copied into row chunks).
    ///
    /// Panics if the data's shapes do not fit the architecture or loss; problem
    /// files are validated before they get here.
    pub fn new(architecture: Architecture, loss: LossKind, data: &Dataset) -> Self {
        assert_eq!(data.x.ncols(), architecture.n_inputs(), "input width");
        assert_eq!(data.y.len(), data.len(), "one target per row");
        assert!(!data.is_empty(), "at least one sample");
        let normalizer = loss.normalizer(data.len(), architecture.n_outputs());
        Self {
            chunks: split_rows(data, &architecture),
            n_samples: data.len(),
            normalizer,
            architecture,
            loss,
        }
    }

    /// The network's shape.
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// The loss function.
    pub fn loss_kind(&self) -> LossKind {
        self.loss
    }

    /// Number of parameters P.
    pub fn n_params(&self) -> usize {
        self.architecture.n_params()
    }

    /// Number of samples N.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// What the summed per-sample losses are divided by.
    pub fn normalizer(&self) -> f64 {
        self.normalizer
    }

    /// The data in row chunks (evaluated in parallel).
    pub(crate) fn chunks(&self) -> &[Dataset] {
        &self.chunks
    }

    /// Forward pass of one chunk, keeping what backpropagation needs.
    pub(crate) fn forward(&self, layers: &[LayerView], x: ArrayView2<f64>) -> ForwardPass {
        let act = self.architecture.activation;
        let last = layers.len() - 1;
        let (mut pre, mut acts) = (Vec::with_capacity(last), Vec::with_capacity(last));
        for (w, b) in &layers[..last] {
            let input = acts.last().map_or(x, |a: &Array2<f64>| a.view());
            let z = affine(input, *w, *b);
            let mut a = z.clone();
            act.apply_in_place(a.as_slice_mut().expect("standard layout"));
            pre.push(z);
            acts.push(a);
        }
        let input = acts.last().map_or(x, |a: &Array2<f64>| a.view());
        let out = affine(input, layers[last].0, layers[last].1);
        ForwardPass { pre, acts, out }
    }

    /// L(θ).
    pub fn loss(&self, theta: &[f64]) -> f64 {
        let layers = self.architecture.layer_views(theta);
        let parts: Vec<f64> = self
            .chunks
            .par_iter()
            .map(|c| {
                self.loss
                    .sum(self.forward(&layers, c.x.view()).out.view(), &c.y)
            })
            .collect();
        // Summed in chunk order: the same bits on every run.
        parts.iter().sum::<f64>() / self.normalizer
    }

    /// L(θ) and its exact gradient by backpropagation.
    pub fn loss_and_grad(&self, theta: &[f64]) -> (f64, Array1<f64>) {
        let layers = self.architecture.layer_views(theta);
        let scale = 1.0 / self.normalizer;
        let p = self.n_params();
        self.chunks
            .par_iter()
            .map(|c| {
                let fw = self.forward(&layers, c.x.view());
                let mut g_out = Array2::zeros(fw.out.raw_dim());
                let (sum, _) = self
                    .loss
                    .sum_grad_curvature(fw.out.view(), &c.y, scale, &mut g_out);
                let mut grad = Array1::zeros(p);
                self.backward(&layers, c.x.view(), &fw, g_out, grad.flat_mut(), None);
                (sum * scale, grad)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .fold((0.0, Array1::zeros(p)), |(l1, g1), (l2, g2)| {
                (l1 + l2, g1 + g2)
            })
    }

    /// Backpropagates ∂L/∂out through the layers, adding the gradient into
    /// `grad`. With `deltas`, also keeps ∂L/∂Z_l of every layer (input first).
    pub(crate) fn backward(
        &self,
        layers: &[LayerView],
        x: ArrayView2<f64>,
        fw: &ForwardPass,
        g_out: Array2<f64>,
        grad: &mut [f64],
        mut deltas: Option<&mut Vec<Array2<f64>>>,
    ) {
        let act = self.architecture.activation;
        let spans = self.architecture.spans();
        let mut delta = g_out;
        for l in (0..layers.len()).rev() {
            let span = spans[l];
            let input = if l == 0 { x } else { fw.acts[l - 1].view() };
            let mut gw = ArrayViewMut2::from_shape(
                (span.fan_out, span.fan_in),
                &mut grad[span.weight_offset..span.bias_offset],
            )
            .expect("span shape");
            general_mat_mul(1.0, &delta.t(), &input, 1.0, &mut gw);
            let gb = delta.sum_axis(Axis(0));
            for (g, v) in grad[span.bias_offset..span.end()].iter_mut().zip(gb) {
                *g += v;
            }
            let next = (l > 0).then(|| {
                let mut ga = delta.dot(&layers[l].0);
                act.scale_by_derivative(
                    ga.as_slice_mut().expect("standard layout"),
                    fw.pre[l - 1].as_slice().expect("standard layout"),
                    fw.acts[l - 1].as_slice().expect("standard layout"),
                );
                ga
            });
            if let Some(d) = deltas.as_deref_mut() {
                d.push(delta);
            }
            match next {
                Some(n) => delta = n,
                None => break,
            }
        }
        if let Some(d) = deltas {
            d.reverse();
        }
    }
}
