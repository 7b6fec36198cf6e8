//! Curvature per layer: the diagonal block of the Hessian on one layer's
//! parameters (its W, then its b, as laid out in the flat vector), as an
//! operator of exact products restricted to the block; its top eigenvalue
//! (Lanczos) and its trace (the exact diagonal summed over the block, or
//! Hutchinson on the block above the diagonal's cost budget); and, for small
//! networks, the dense Hessian with its layer boundaries for a picture.

use crate::curvature::hvp::HessianOperator;
use crate::curvature::lanczos::{LanczosOptions, SymmetricOperator, lanczos};
use crate::curvature::trace::{
    HUTCHINSON_PROBES, TraceMethod, exact_diagonal_affordable, hutchinson_block,
};
use ndarray::{Array1, Array2, ArrayView1, s};
use std::ops::Range;

/// Largest parameter count of [`hessian_picture`] (2000² numbers, 32 MB).
pub const MAX_PICTURE_PARAMS: usize = 2000;

/// Most cells on a side of the app's heatmap (a larger Hessian is binned).
pub const HEATMAP_SIDE: usize = 512;

/// The diagonal block of H on the parameters `range`: `x ↦ (H [0; x; 0])[range]`.
pub struct BlockOperator<'a, 'b> {
    op: &'a HessianOperator<'b>,
    range: Range<usize>,
}

impl<'a, 'b> BlockOperator<'a, 'b> {
    /// The block of `op` on `range` (within `0..op.dim()`, not empty).
    pub fn new(op: &'a HessianOperator<'b>, range: Range<usize>) -> Self {
        assert!(
            range.start < range.end && range.end <= op.dim(),
            "block range"
        );
        Self { op, range }
    }
}

impl SymmetricOperator for BlockOperator<'_, '_> {
    fn dim(&self) -> usize {
        self.range.len()
    }
    fn apply(&self, x: ArrayView1<f64>) -> Array1<f64> {
        let mut v = Array1::zeros(self.op.dim());
        v.slice_mut(s![self.range.clone()]).assign(&x);
        self.op
            .hvp(v.view())
            .slice(s![self.range.clone()])
            .to_owned()
    }
}

/// One layer's block: where it lies, its top eigenvalue and its trace.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LayerCurvature {
    /// Layer index, input side first.
    pub layer: usize,
    /// First parameter of the block (its W).
    pub start: usize,
    /// One past its last parameter (the end of its b).
    pub end: usize,
    /// The block's largest eigenvalue (Lanczos, residual ≤ 1e-10·|λ|).
    pub top: f64,
    /// The block's trace.
    pub trace: f64,
    /// `exact` (the exact diagonal) or `hutchinson`.
    pub trace_method: &'static str,
    /// Standard error of the trace (0 when exact).
    pub trace_stderr: f64,
    /// Hessian-vector products used (Lanczos, and Hutchinson's probes).
    pub products: usize,
}

/// The top eigenvalue and trace of every layer's diagonal block, in order.
/// `max_iter` caps each Lanczos basis (memory); `seed` drives the start
/// vectors and Hutchinson's probes.
pub fn per_layer(op: &HessianOperator, max_iter: usize, seed: u64) -> Vec<LayerCurvature> {
    let spans = op.objective().architecture().spans();
    let diagonal = exact_diagonal_affordable(op.objective()).then(|| op.diagonal());
    spans
        .iter()
        .enumerate()
        .map(|(l, span)| {
            let range = span.weight_offset..span.end();
            let block = BlockOperator::new(op, range.clone());
            let eig = lanczos(
                &block,
                &LanczosOptions {
                    top_k: 1,
                    want_min: false,
                    max_iter,
                    seed: seed.wrapping_add(l as u64),
                    ..LanczosOptions::default()
                },
                &[],
            );
            let (trace, method, stderr, probes) = match &diagonal {
                Some(d) => (d.slice(s![range.clone()]).sum(), TraceMethod::Exact, 0.0, 0),
                None => {
                    let t = hutchinson_block(op, range.clone(), HUTCHINSON_PROBES, seed);
                    (t.value, t.method, t.stderr, t.probes)
                }
            };
            LayerCurvature {
                layer: l,
                start: range.start,
                end: range.end,
                top: eig.top[0].value,
                trace,
                trace_method: method.name(),
                trace_stderr: stderr,
                products: eig.products + probes,
            }
        })
        .collect()
}

/// The dense Hessian with its layer boundaries, for a heatmap.
#[derive(Debug, Clone, PartialEq)]
pub struct HessianPicture {
    /// H, P × P, symmetric.
    pub matrix: Array2<f64>,
    /// Each layer's parameter range `start..end` (W then b), in order.
    pub layers: Vec<Range<usize>>,
}

/// The dense Hessian and its layer boundaries; `None` above
/// [`MAX_PICTURE_PARAMS`] parameters. Costs P exact products.
pub fn hessian_picture(op: &HessianOperator) -> Option<HessianPicture> {
    if op.dim() > MAX_PICTURE_PARAMS {
        return None;
    }
    Some(HessianPicture {
        matrix: op.dense()?,
        layers: op
            .objective()
            .architecture()
            .spans()
            .iter()
            .map(|s| s.weight_offset..s.end())
            .collect(),
    })
}

impl HessianPicture {
    /// The picture in at most `side` × `side` cells (the layer boundaries are
    /// `self.layers`): each cell holds the
    /// entry of largest |H| among those it covers (sign kept), so a sharp
    /// entry is not averaged away; a network of at most `side` parameters
    /// keeps one cell per entry.
    pub fn binned(&self, side: usize) -> Heatmap {
        let p = self.matrix.nrows();
        let n = p.min(side.max(1));
        let cell = |i: usize| i * n / p;
        let mut values = vec![0.0f64; n * n];
        for ((i, j), &h) in self.matrix.indexed_iter() {
            let v = &mut values[cell(i) * n + cell(j)];
            if h.abs() > v.abs() {
                *v = h;
            }
        }
        Heatmap {
            side: n,
            max_abs: values.iter().fold(0.0, |a: f64, b| a.max(b.abs())),
            values,
        }
    }
}

/// The Hessian as a square picture (see [`HessianPicture::binned`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Cells on a side.
    pub side: usize,
    /// Row-major cell values (row i, column j: parameters i and j).
    pub values: Vec<f64>,
    /// max |value|.
    pub max_abs: f64,
}

/// Decades of |H| below its largest entry that the log shade resolves.
pub const HEATMAP_DECADES: f64 = 4.0;

impl Heatmap {
    /// The cell's shade in [−1, 1] with the sign of H: linear (H / max|H|),
    /// or log (sign(H)·(1 + log10(|H| / max|H|) / [`HEATMAP_DECADES`]),
    /// entries four decades below the largest reading 0).
    pub fn shade(&self, value: f64, log: bool) -> f64 {
        if self.max_abs <= 0.0 || value == 0.0 {
            return 0.0;
        }
        let r = value.abs() / self.max_abs;
        let t = if log {
            (1.0 + r.log10() / HEATMAP_DECADES).max(0.0)
        } else {
            r
        };
        value.signum() * t.min(1.0)
    }
}

/// The dense diagonal block of H on `range` (one exact product per column;
/// `range.len()` ≤ [`MAX_PICTURE_PARAMS`]), symmetrized.
pub fn block_hessian(op: &HessianOperator, range: Range<usize>) -> Array2<f64> {
    assert!(range.len() <= MAX_PICTURE_PARAMS, "block too large to draw");
    let n = range.len();
    let mut basis = Array2::zeros((n, op.dim()));
    for (k, j) in range.clone().enumerate() {
        basis[(k, j)] = 1.0;
    }
    let cols = op.hvp_batch(basis.view());
    let h = cols.slice(s![.., range]).to_owned();
    (&h + &h.t()) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::samples::SAMPLE_PROBLEMS;
    use crate::contiguous::Flat;
    use crate::curvature::dense::symmetric_eigen;
    use crate::io::problem::Problem;
    use crate::model::objective::Objective;

    #[test]
    fn the_heatmap_keeps_each_cells_largest_entry_and_its_sign() {
        let problem = Problem::from_json_str(SAMPLE_PROBLEMS[0].1).unwrap();
        let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
        let op = objective.hessian_at(problem.params.flat());
        let picture = hessian_picture(&op).unwrap();
        let p = op.dim();
        let full = picture.binned(p);
        assert_eq!(full.side, p);
        assert_eq!(
            full.values,
            picture.matrix.iter().copied().collect::<Vec<_>>()
        );
        let half = picture.binned(p / 2);
        assert_eq!(half.side, p / 2);
        assert_eq!(half.max_abs, full.max_abs);
        // Cell (0, 0) covers entries 0..2 (or 0..3) on each side.
        let cover = p.div_ceil(half.side);
        let expect = (0..cover)
            .flat_map(|i| (0..cover).map(move |j| (i, j)))
            .filter(|&(i, j)| i * half.side / p == 0 && j * half.side / p == 0)
            .map(|(i, j)| picture.matrix[(i, j)])
            .fold(0.0f64, |a, b| if b.abs() > a.abs() { b } else { a });
        assert_eq!(half.values[0], expect);
        // Shades: the largest entry is ±1, four decades below reads 0 on
        // the log shade and 1e-4 on the linear one.
        let m = full.max_abs;
        assert_eq!(full.shade(-m, true), -1.0);
        assert_eq!(full.shade(m * 1e-4, true), 0.0);
        assert!((full.shade(m * 1e-2, true) - 0.5).abs() < 1e-12);
        assert!((full.shade(-m * 1e-4, false) + 1e-4).abs() < 1e-15);
        assert_eq!(full.shade(0.0, true), 0.0);
    }

    #[test]
    fn blocks_match_the_dense_hessian() {
        let problem = Problem::from_json_str(SAMPLE_PROBLEMS[0].1).unwrap();
        let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
        let op = objective.hessian_at(problem.params.flat());
        let picture = hessian_picture(&op).unwrap();
        let layers = per_layer(&op, 1000, 0);
        assert_eq!(layers.len(), picture.layers.len());
        assert_eq!(picture.layers.last().unwrap().end, op.dim());
        for (l, range) in layers.iter().zip(&picture.layers) {
            assert_eq!((l.start, l.end), (range.start, range.end));
            let dense = picture
                .matrix
                .slice(s![range.clone(), range.clone()])
                .to_owned();
            let block = block_hessian(&op, range.clone());
            let diff = (&dense - &block)
                .mapv(f64::abs)
                .fold(0.0, |a: f64, &b| a.max(b));
            assert!(diff < 1e-12, "layer {}: {diff}", l.layer);
            let top = *symmetric_eigen(dense.view())
                .unwrap()
                .values
                .last()
                .unwrap();
            assert!((l.top - top).abs() < 1e-9 * top.abs(), "layer {}", l.layer);
            assert!(
                (l.trace - dense.diag().sum()).abs() < 1e-10,
                "layer {}",
                l.layer
            );
            assert_eq!(l.trace_method, "exact");
            // Hutchinson on the block, the fallback above the diagonal's budget.
            let h = hutchinson_block(&op, range.clone(), 400, 3);
            assert!(h.stderr > 0.0);
            assert!(
                (h.value - l.trace).abs() < 5.0 * h.stderr,
                "layer {}",
                l.layer
            );
        }
    }
}
