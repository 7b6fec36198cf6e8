//! Exact Hessian-vector products (Pearlmutter's R-operator, forward over
//! reverse) and the exact Hessian diagonal, at a fixed parameter point.
//!
//! Everything that does not depend on the vector (activations, their first
//! and second derivatives, the backpropagated errors) is computed once when
//! the operator is built, so each product costs about six matrix products per
//! layer. No finite differences are used anywhere.

use crate::architecture::LayerView;
use crate::loss::OutputCurvature;
use crate::objective::{Objective, affine};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, Zip};
use rayon::prelude::*;

/// What one row chunk contributes to every product, fixed at θ.
struct ChunkState {
    /// Hidden activations A_l.
    acts: Vec<Array2<f64>>,
    /// σ'(Z_l) of the hidden layers.
    d1: Vec<Array2<f64>>,
    /// σ''(Z_l) ⊙ ∂L/∂A_l of the hidden layers.
    c2: Vec<Array2<f64>>,
    /// ∂L/∂Z_l for every layer, input side first.
    deltas: Vec<Array2<f64>>,
    /// ∂²L/∂out² per sample.
    out_curvature: OutputCurvature,
}

/// The Hessian of an [`Objective`] at θ, as an operator.
pub struct HessianOperator<'a> {
    objective: &'a Objective,
    theta: Vec<f64>,
    chunks: Vec<ChunkState>,
    loss: f64,
    grad: Array1<f64>,
}

impl Objective {
    /// Builds the Hessian operator at `theta` (one forward and one backward pass).
    pub fn hessian_at(&self, theta: &[f64]) -> HessianOperator<'_> {
        HessianOperator::new(self, theta)
    }
}

impl<'a> HessianOperator<'a> {
    fn new(objective: &'a Objective, theta: &[f64]) -> Self {
        let arch = objective.architecture();
        let act = arch.activation;
        let layers = arch.layer_views(theta);
        let scale = 1.0 / objective.normalizer();
        let p = objective.n_params();
        let parts: Vec<(f64, Array1<f64>, ChunkState)> = objective
            .chunks()
            .par_iter()
            .map(|c| {
                let fw = objective.forward(&layers, c.x.view());
                let mut g_out = Array2::zeros(fw.out.raw_dim());
                let (sum, out_curvature) = objective.loss_kind().sum_grad_curvature(
                    fw.out.view(),
                    &c.y,
                    scale,
                    &mut g_out,
                );
                let mut grad = Array1::zeros(p);
                let mut deltas = Vec::new();
                let g = grad.as_slice_mut().expect("contiguous");
                objective.backward(&layers, c.x.view(), &fw, g_out, g, Some(&mut deltas));
                let mut d1 = Vec::with_capacity(fw.acts.len());
                let mut c2 = Vec::with_capacity(fw.acts.len());
                for l in 0..fw.acts.len() {
                    let ga = deltas[l + 1].dot(&layers[l + 1].0);
                    let mut first = Array2::zeros(ga.raw_dim());
                    let mut second = Array2::zeros(ga.raw_dim());
                    Zip::from(&mut first)
                        .and(&mut second)
                        .and(&fw.pre[l])
                        .and(&fw.acts[l])
                        .and(&ga)
                        .for_each(|f, s, &z, &a, &g| {
                            let (d, dd) = act.derivatives(z, a);
                            *f = d;
                            *s = dd * g;
                        });
                    d1.push(first);
                    c2.push(second);
                }
                let state = ChunkState {
                    acts: fw.acts,
                    d1,
                    c2,
                    deltas,
                    out_curvature,
                };
                (sum * scale, grad, state)
            })
            .collect();
        let mut loss = 0.0;
        let mut grad = Array1::zeros(p);
        let mut chunks = Vec::with_capacity(parts.len());
        for (l, g, c) in parts {
            loss += l;
            grad += &g;
            chunks.push(c);
        }
        Self {
            objective,
            theta: theta.to_vec(),
            chunks,
            loss,
            grad,
        }
    }

    /// Number of parameters (the operator is P × P).
    pub fn dim(&self) -> usize {
        self.theta.len()
    }

    /// The point θ the operator belongs to.
    pub fn theta(&self) -> &[f64] {
        &self.theta
    }

    /// L(θ), a by-product of building the operator.
    pub fn loss(&self) -> f64 {
        self.loss
    }

    /// ∇L(θ), a by-product of building the operator.
    pub fn grad(&self) -> &Array1<f64> {
        &self.grad
    }

    /// H v, exact; chunks of the data run in parallel.
    pub fn hvp(&self, v: ArrayView1<f64>) -> Array1<f64> {
        assert_eq!(v.len(), self.dim(), "vector length");
        let v = v.to_owned();
        let vs = v.as_slice().expect("contiguous");
        let layers = self.objective.architecture().layer_views(&self.theta);
        let dirs = self.objective.architecture().layer_views(vs);
        let p = self.dim();
        self.chunks
            .par_iter()
            .zip(self.objective.chunks())
            .map(|(state, data)| {
                let mut out = Array1::zeros(p);
                self.chunk_hvp(
                    &layers,
                    &dirs,
                    state,
                    data.x.view(),
                    out.as_slice_mut().expect("contiguous"),
                );
                out
            })
            .reduce(|| Array1::zeros(p), |a, b| a + b)
    }

    /// H V for the rows of `vs` (k × P), k products in parallel.
    pub fn hvp_batch(&self, vs: ArrayView2<f64>) -> Array2<f64> {
        assert_eq!(vs.ncols(), self.dim(), "vector length");
        let layers = self.objective.architecture().layer_views(&self.theta);
        let mut out = Array2::zeros(vs.raw_dim());
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(vs.axis_iter(Axis(0)))
            .for_each(|(mut o, v)| {
                let v = v.to_owned();
                let dirs = self
                    .objective
                    .architecture()
                    .layer_views(v.as_slice().expect("contiguous"));
                let o = o.as_slice_mut().expect("contiguous rows");
                for (state, data) in self.chunks.iter().zip(self.objective.chunks()) {
                    self.chunk_hvp(&layers, &dirs, state, data.x.view(), o);
                }
            });
        out
    }

    /// Adds one chunk's share of H v into `out` (R-forward, then R-backward).
    fn chunk_hvp(
        &self,
        layers: &[LayerView],
        dirs: &[LayerView],
        st: &ChunkState,
        x: ArrayView2<f64>,
        out: &mut [f64],
    ) {
        let n_layers = layers.len();
        let spans = self.objective.architecture().spans();
        // R-forward: R{Z_l} = A_{l-1} V_lᵀ + v_b + R{A_{l-1}} W_lᵀ, R{A_l} = σ' ⊙ R{Z_l}.
        let mut rz_hidden: Vec<Array2<f64>> = Vec::with_capacity(n_layers - 1);
        let mut ra: Vec<Array2<f64>> = Vec::with_capacity(n_layers - 1);
        let mut rz_out = None;
        for l in 0..n_layers {
            let input = if l == 0 { x } else { st.acts[l - 1].view() };
            let mut rz = affine(input, dirs[l].0, dirs[l].1);
            if l > 0 {
                general_mat_mul(1.0, &ra[l - 1], &layers[l].0.t(), 1.0, &mut rz);
            }
            if l + 1 < n_layers {
                ra.push(&rz * &st.d1[l]);
                rz_hidden.push(rz);
            } else {
                rz_out = Some(rz);
            }
        }
        let rz_out = rz_out.expect("at least one layer");
        let mut rdelta = Array2::zeros(rz_out.raw_dim());
        st.out_curvature.apply(rz_out.view(), rdelta.view_mut());
        // R-backward.
        for l in (0..n_layers).rev() {
            let span = spans[l];
            let input = if l == 0 { x } else { st.acts[l - 1].view() };
            {
                let mut gw = ArrayViewMut2::from_shape(
                    (span.fan_out, span.fan_in),
                    &mut out[span.weight_offset..span.bias_offset],
                )
                .expect("span shape");
                general_mat_mul(1.0, &rdelta.t(), &input, 1.0, &mut gw);
                if l > 0 {
                    general_mat_mul(1.0, &st.deltas[l].t(), &ra[l - 1], 1.0, &mut gw);
                }
            }
            for (o, v) in out[span.bias_offset..span.end()]
                .iter_mut()
                .zip(rdelta.sum_axis(Axis(0)))
            {
                *o += v;
            }
            if l == 0 {
                break;
            }
            // R{∂L/∂A_{l-1}} = R{Δ_l} W_l + Δ_l V_l; then through σ.
            let mut rga = rdelta.dot(&layers[l].0);
            general_mat_mul(1.0, &st.deltas[l], &dirs[l].0, 1.0, &mut rga);
            Zip::from(&mut rga)
                .and(&st.d1[l - 1])
                .and(&st.c2[l - 1])
                .and(&rz_hidden[l - 1])
                .for_each(|g, &d, &c, &rz| *g = d * *g + c * rz);
            rdelta = rga;
        }
    }

    /// The exact diagonal of H, by propagating each sample's Hessian with
    /// respect to the pre-activations backwards through the layers
    /// (cost N · Σ width³, far below P products for wide layers).
    pub fn diagonal(&self) -> Array1<f64> {
        let arch = self.objective.architecture();
        let layers = arch.layer_views(&self.theta);
        let spans = arch.spans();
        let p = self.dim();
        self.chunks
            .par_iter()
            .zip(self.objective.chunks())
            .map(|(st, data)| {
                let mut diag = Array1::<f64>::zeros(p);
                for i in 0..data.x.nrows() {
                    let mut hz = st.out_curvature.sample_matrix(i, arch.n_outputs());
                    for l in (0..layers.len()).rev() {
                        let span = spans[l];
                        let input = if l == 0 {
                            data.x.row(i)
                        } else {
                            st.acts[l - 1].row(i)
                        };
                        for r in 0..span.fan_out {
                            let h = hz[(r, r)];
                            let row = span.weight_offset + r * span.fan_in;
                            for (d, &a) in diag
                                .slice_mut(ndarray::s![row..row + span.fan_in])
                                .iter_mut()
                                .zip(input)
                            {
                                *d += a * a * h;
                            }
                            diag[span.bias_offset + r] += h;
                        }
                        if l == 0 {
                            break;
                        }
                        // H_{Z_{l-1}} = D Wᵀ H_Z W D + diag(σ'' ⊙ ∂L/∂A).
                        let w = layers[l].0;
                        let ha = w.t().dot(&hz).dot(&w);
                        let d1 = st.d1[l - 1].row(i);
                        let c2 = st.c2[l - 1].row(i);
                        hz = Array2::from_shape_fn(ha.raw_dim(), |(a, b)| {
                            d1[a] * ha[(a, b)] * d1[b] + if a == b { c2[a] } else { 0.0 }
                        });
                    }
                }
                diag
            })
            .reduce(|| Array1::zeros(p), |a, b| a + b)
    }

    /// The exact trace of H (sum of the diagonal).
    pub fn trace(&self) -> f64 {
        self.diagonal().sum()
    }

    /// The dense Hessian, column j = H e_j (P products, in parallel),
    /// symmetrized to remove rounding asymmetry.
    pub fn dense(&self) -> Array2<f64> {
        let p = self.dim();
        let mut h = Array2::zeros((p, p));
        let block = 64;
        for start in (0..p).step_by(block) {
            let end = (start + block).min(p);
            let mut basis = Array2::zeros((end - start, p));
            for (k, j) in (start..end).enumerate() {
                basis[(k, j)] = 1.0;
            }
            let cols = self.hvp_batch(basis.view());
            h.slice_mut(ndarray::s![start..end, ..]).assign(&cols);
        }
        let ht = h.t().to_owned();
        (h + ht) * 0.5
    }
}
