//! Exact Hessian-vector products (Pearlmutter's R-operator, forward over
//! reverse) and the exact Hessian diagonal, at a fixed parameter point.
//!
//! Everything that does not depend on the vector (activations, their first
//! and second derivatives, the backpropagated errors) is computed once when
//! the operator is built, so each product costs about six matrix products per
//! layer. No finite differences are used anywhere.

use crate::contiguous::{Flat, FlatMut};
use crate::model::architecture::LayerView;
use crate::model::loss::OutputCurvature;
use crate::model::objective::Objective;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, Zip};
use rayon::prelude::*;

/// Largest parameter count for which [`HessianOperator::dense`] builds the
/// matrix (6000² float64 numbers are 288 MB).
pub const MAX_DENSE_PARAMS: usize = 6000;

/// What one row chunk contributes to every product, fixed at θ.
///
/// Matrices named `*_t` are unit-major (width × samples), the others
/// sample-major (samples × width): each product reads whichever layout lets
/// the small-product kernel run over contiguous memory without packing.
struct ChunkState {
    /// Inputs, unit-major.
    x_t: Array2<f64>,
    /// Hidden activations A_l, sample-major and unit-major.
    acts: Vec<Array2<f64>>,
    acts_t: Vec<Array2<f64>>,
    /// σ'(Z_l) of the hidden layers, unit-major.
    d1_t: Vec<Array2<f64>>,
    /// σ''(Z_l) ⊙ ∂L/∂A_l of the hidden layers, unit-major.
    c2_t: Vec<Array2<f64>>,
    /// ∂L/∂Z_l for every layer (input side first), sample-major and unit-major.
    deltas: Vec<Array2<f64>>,
    deltas_t: Vec<Array2<f64>>,
    /// ∂²L/∂out² per sample.
    out_curvature: OutputCurvature,
}

/// Z += X · Yᵀ (Z row-major, m × p) through the dot-product kernel.
fn gemm_nt_acc(z: &mut [f64], x: ArrayView2<f64>, y: ArrayView2<f64>) {
    let (m, k) = x.dim();
    crate::kernels::gemm::small_gemm_nt_acc(
        z,
        x.as_slice().expect("standard layout"),
        y.as_slice().expect("standard layout"),
        m,
        y.nrows(),
        k,
    );
}

/// A copy of `a` transposed, in standard (row-major) layout.
fn transposed(a: ArrayView2<f64>) -> Array2<f64> {
    a.t().as_standard_layout().into_owned()
}

/// Layers at least this wide take their weight gradient through
/// [`gemm_acc_into`] rather than the dot-product kernel.
const WIDE_FAN_IN: usize = 32;

/// Z += W · A through the small-product kernel, with W given transposed.
fn gemm_acc(z: &mut Array2<f64>, w_t: ArrayView2<f64>, a: ArrayView2<f64>) {
    gemm_acc_into(&mut z.view_mut(), w_t, a);
}

/// [`gemm_acc`] into a view (a block of a flat vector).
fn gemm_acc_into(z: &mut ArrayViewMut2<f64>, w_t: ArrayView2<f64>, a: ArrayView2<f64>) {
    let (n_out, n) = z.dim();
    let n_in = a.nrows();
    debug_assert_eq!(w_t.dim(), (n_in, n_out));
    crate::kernels::gemm::small_gemm_acc(
        z.as_slice_mut().expect("standard layout"),
        w_t.as_slice().expect("standard layout"),
        a.as_slice().expect("standard layout"),
        n_out,
        n_in,
        n,
    );
}

/// The Hessian of an [`Objective`] at θ, as an operator.
pub struct HessianOperator<'a> {
    objective: &'a Objective,
    theta: Vec<f64>,
    /// θ's weight matrices, transposed (fan_in × fan_out).
    layers_t: Vec<Array2<f64>>,
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
                let g = grad.flat_mut();
                objective.backward(&layers, c.x.view(), &fw, g_out, g, Some(&mut deltas));
                let mut d1 = Vec::with_capacity(fw.acts.len());
                let mut c2 = Vec::with_capacity(fw.acts.len());
                for l in 0..fw.acts.len() {
                    let ga = deltas[l + 1].dot(&layers[l + 1].0);
                    let mut first = Array2::zeros(ga.raw_dim());
                    let mut second = Array2::zeros(ga.raw_dim());
                    act.derivatives_into(
                        fw.pre[l].flat(),
                        fw.acts[l].flat(),
                        first.flat_mut(),
                        second.flat_mut(),
                    );
                    second *= &ga;
                    d1.push(first);
                    c2.push(second);
                }
                let all_t = |m: &[Array2<f64>]| m.iter().map(|a| transposed(a.view())).collect();
                let state = ChunkState {
                    x_t: transposed(c.x.view()),
                    acts_t: all_t(&fw.acts),
                    acts: fw.acts,
                    d1_t: all_t(&d1),
                    c2_t: all_t(&c2),
                    deltas_t: all_t(&deltas),
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
            layers_t: layers.iter().map(|(w, _)| transposed(*w)).collect(),
            chunks,
            loss,
            grad,
        }
    }

    /// The objective this is the Hessian of.
    pub fn objective(&self) -> &Objective {
        self.objective
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
        let vs = v.flat();
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
                    &self.layers_t,
                    &dirs,
                    state,
                    data.x.view(),
                    out.flat_mut(),
                );
                out
            })
            .collect::<Vec<_>>()
            .into_iter()
            .fold(Array1::zeros(p), |a, b| a + b)
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
                let dirs = self.objective.architecture().layer_views(v.flat());
                let o = o.as_slice_mut().expect("contiguous rows");
                for (state, data) in self.chunks.iter().zip(self.objective.chunks()) {
                    self.chunk_hvp(&layers, &self.layers_t, &dirs, state, data.x.view(), o);
                }
            });
        out
    }

    /// Adds one chunk's share of H v into `out` (R-forward, then R-backward).
    ///
    /// `layers_t` holds θ's weight matrices transposed; `dirs` the direction's
    /// (W, b) views. All products go through the small-product kernel.
    fn chunk_hvp(
        &self,
        layers: &[LayerView],
        layers_t: &[Array2<f64>],
        dirs: &[LayerView],
        st: &ChunkState,
        x: ArrayView2<f64>,
        out: &mut [f64],
    ) {
        let n_layers = layers.len();
        let n = x.nrows();
        let spans = self.objective.architecture().spans();
        let dirs_t: Vec<Array2<f64>> = dirs.iter().map(|(v, _)| transposed(*v)).collect();
        // R-forward: R{Z_l} = V_l A_{l-1} + v_b + W_l R{A_{l-1}}, R{A_l} = σ' ⊙ R{Z_l}.
        let mut rz_hidden: Vec<Array2<f64>> = Vec::with_capacity(n_layers - 1);
        let mut ra_t: Vec<Array2<f64>> = Vec::with_capacity(n_layers - 1);
        let mut rz_out = None;
        for l in 0..n_layers {
            let input_t = if l == 0 {
                st.x_t.view()
            } else {
                st.acts_t[l - 1].view()
            };
            let vb = dirs[l].1;
            let mut rz = Array2::zeros((vb.len(), n));
            crate::kernels::gemm::small_gemm_bias(
                rz.as_slice_mut().expect("standard layout"),
                dirs_t[l].as_slice().expect("standard layout"),
                vb.as_slice().expect("contiguous bias"),
                input_t.as_slice().expect("standard layout"),
                vb.len(),
                input_t.nrows(),
                n,
            );
            if l > 0 {
                gemm_acc(&mut rz, layers_t[l].view(), ra_t[l - 1].view());
            }
            if l + 1 < n_layers {
                ra_t.push(&rz * &st.d1_t[l]);
                rz_hidden.push(rz);
            } else {
                rz_out = Some(rz);
            }
        }
        let rz_out = rz_out.expect("at least one layer");
        let mut rdelta_t = Array2::zeros(rz_out.raw_dim());
        st.out_curvature
            .apply(rz_out.t(), rdelta_t.view_mut().reversed_axes());
        // R-backward.
        for l in (0..n_layers).rev() {
            let span = spans[l];
            {
                // R{∂L/∂W_l} = R{Δ_l}ᵀ A_{l-1} + Δ_lᵀ R{A_{l-1}} (samples summed),
                // as dot products over the samples of unit-major rows.
                let gw = &mut out[span.weight_offset..span.bias_offset];
                let input_t = if l == 0 {
                    st.x_t.view()
                } else {
                    st.acts_t[l - 1].view()
                };
                if span.fan_in >= WIDE_FAN_IN {
                    // Wide layers: transposing the two per-product factors
                    // (O(samples · width)) lets the faster blocked kernel run.
                    let input = if l == 0 { x } else { st.acts[l - 1].view() };
                    let mut gw_m = ArrayViewMut2::from_shape((span.fan_out, span.fan_in), gw)
                        .expect("span shape");
                    gemm_acc_into(&mut gw_m, transposed(rdelta_t.view()).view(), input);
                    if l > 0 {
                        let ra = transposed(ra_t[l - 1].view());
                        gemm_acc_into(&mut gw_m, st.deltas[l].view(), ra.view());
                    }
                } else {
                    gemm_nt_acc(gw, rdelta_t.view(), input_t);
                    if l > 0 {
                        gemm_nt_acc(gw, st.deltas_t[l].view(), ra_t[l - 1].view());
                    }
                }
            }
            for (o, row) in out[span.bias_offset..span.end()]
                .iter_mut()
                .zip(rdelta_t.rows())
            {
                *o += row.sum();
            }
            if l == 0 {
                break;
            }
            // R{∂L/∂A_{l-1}} = W_lᵀ R{Δ_l} + V_lᵀ Δ_l; then through σ.
            let mut rga = Array2::zeros((span.fan_in, n));
            gemm_acc(&mut rga, layers[l].0, rdelta_t.view());
            gemm_acc(&mut rga, dirs[l].0, st.deltas_t[l].view());
            Zip::from(&mut rga)
                .and(&st.d1_t[l - 1])
                .and(&st.c2_t[l - 1])
                .and(&rz_hidden[l - 1])
                .for_each(|g, &d, &c, &rz| *g = d * *g + c * rz);
            rdelta_t = rga;
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
                        let d1 = st.d1_t[l - 1].column(i);
                        let c2 = st.c2_t[l - 1].column(i);
                        hz = Array2::from_shape_fn(ha.raw_dim(), |(a, b)| {
                            d1[a] * ha[(a, b)] * d1[b] + if a == b { c2[a] } else { 0.0 }
                        });
                    }
                }
                diag
            })
            .collect::<Vec<_>>()
            .into_iter()
            .fold(Array1::zeros(p), |a, b| a + b)
    }

    /// The exact trace of H (sum of the diagonal).
    pub fn trace(&self) -> f64 {
        self.diagonal().sum()
    }

    /// The dense Hessian, column j = H e_j (P products, in parallel),
    /// symmetrized to remove rounding asymmetry; `None` above
    /// [`MAX_DENSE_PARAMS`] parameters (P² numbers would not be small).
    pub fn dense(&self) -> Option<Array2<f64>> {
        let p = self.dim();
        if p > MAX_DENSE_PARAMS {
            return None;
        }
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
        Some((h + ht) * 0.5)
    }
}
