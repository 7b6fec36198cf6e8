//! Extreme Hessian eigenpairs by Lanczos with full reorthogonalization.
//!
//! Stopping is residual-based: a Ritz pair (θ, y) of the m-step Lanczos
//! factorization has ‖H y − θ y‖ = |β_m s_{m}|, with s_m the last entry of the
//! tridiagonal matrix's eigenvector. The run stops when that bound is below
//! `tol · max|θ|` for the wanted pairs (the `top_k` largest and, if asked, the
//! smallest), or when the Krylov space is exhausted (then the values are exact).

use crate::contiguous::FlatMut;
use crate::curvature::dense::{fix_sign, symmetric_eigen};
use crate::curvature::tridiagonal::{eigen_full, eigen_last_row};
use ndarray::{Array1, Array2, ArrayView1};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

/// A symmetric linear operator y = A x (the Hessian, or a dense matrix in tests).
pub trait SymmetricOperator: Sync {
    /// Dimension n of the operator (n × n).
    fn dim(&self) -> usize;
    /// A x.
    fn apply(&self, x: ArrayView1<f64>) -> Array1<f64>;
}

impl SymmetricOperator for crate::curvature::hvp::HessianOperator<'_> {
    fn dim(&self) -> usize {
        crate::curvature::hvp::HessianOperator::dim(self)
    }
    fn apply(&self, x: ArrayView1<f64>) -> Array1<f64> {
        self.hvp(x)
    }
}

impl SymmetricOperator for Array2<f64> {
    fn dim(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, x: ArrayView1<f64>) -> Array1<f64> {
        self.dot(&x)
    }
}

/// What to compute and how precisely.
#[derive(Debug, Clone)]
pub struct LanczosOptions {
    /// How many of the algebraically largest eigenpairs to return.
    pub top_k: usize,
    /// Also return the smallest eigenpair.
    pub want_min: bool,
    /// Relative residual tolerance (residual ≤ tol · max|λ|).
    pub tol: f64,
    /// At most this many products (capped at the dimension).
    pub max_iter: usize,
    /// Seed of the random start vector.
    pub seed: u64,
}

impl Default for LanczosOptions {
    fn default() -> Self {
        Self {
            top_k: 5,
            want_min: true,
            tol: 1e-10,
            max_iter: 1000,
            seed: 0,
        }
    }
}

/// One eigenvalue with its unit eigenvector and residual bound.
#[derive(Debug, Clone)]
pub struct EigenPair {
    /// The eigenvalue (Ritz value).
    pub value: f64,
    /// The unit eigenvector, sign fixed by [`fix_sign`].
    pub vector: Array1<f64>,
    /// ‖H y − λ y‖ bound.
    pub residual: f64,
}

/// Result of a Lanczos run.
#[derive(Debug, Clone)]
pub struct LanczosResult {
    /// The `top_k` largest pairs, descending.
    pub top: Vec<EigenPair>,
    /// The smallest pair, if asked for.
    pub min: Option<EigenPair>,
    /// Number of operator products used.
    pub products: usize,
    /// Whether the tolerance was reached (or the space exhausted).
    pub converged: bool,
    /// Largest residual bound among the wanted pairs, relative to max|λ|.
    pub relative_residual: f64,
}

/// Start vector: the previous eigenvectors (warm start) plus a small random
/// part so that directions they miss are still found; random alone otherwise.
fn start_vector(n: usize, warm: &[Array1<f64>], seed: u64) -> Array1<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut q: Array1<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    let usable: Vec<&Array1<f64>> = warm.iter().filter(|w| w.len() == n).collect();
    if !usable.is_empty() {
        q *= 1e-3 / (n as f64).sqrt();
        for w in usable {
            let norm = w.dot(w).sqrt();
            if norm > 0.0 && norm.is_finite() {
                q.scaled_add(1.0 / norm, w);
            }
        }
    }
    let norm = q.dot(&q).sqrt();
    q / norm
}

/// Below this many multiply-adds per pass, reorthogonalization runs on one thread.
const PARALLEL_REORTH_WORK: usize = 1 << 18;

/// Removes from `w` its components along every vector of `basis` (classical
/// Gram–Schmidt), and once more if that shrank `w` below 1/√2 of its length
/// (the Daniel–Gragg–Kaufman–Stewart test: a second pass is then needed for
/// orthogonality to working precision, and otherwise is not).
pub(crate) fn reorthogonalize(basis: &[Array1<f64>], w: &mut Array1<f64>) {
    let w = w.flat_mut();
    let parallel = basis.len() * w.len() >= PARALLEL_REORTH_WORK;
    for _ in 0..2 {
        let before = dot(w, w);
        let rows = |q: &Array1<f64>| dot(q.as_slice().expect("contiguous rows"), w);
        let coefs: Vec<f64> = if parallel {
            basis.par_iter().map(rows).collect()
        } else {
            basis.iter().map(rows).collect()
        };
        let subtract = |start: usize, part: &mut [f64]| {
            for (&c, q) in coefs.iter().zip(basis) {
                let q = &q.as_slice().expect("contiguous rows")[start..start + part.len()];
                for (wi, &qi) in part.iter_mut().zip(q) {
                    *wi -= c * qi;
                }
            }
        };
        if parallel {
            const PART: usize = 4096;
            w.par_chunks_mut(PART)
                .enumerate()
                .for_each(|(i, part)| subtract(i * PART, part));
        } else {
            subtract(0, w);
        }
        if dot(w, w) > 0.5 * before {
            break;
        }
    }
}

/// Dot product with eight independent partial sums (so that it vectorizes).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// Tridiagonal matrix of the Lanczos coefficients.
fn tridiagonal(alphas: &[f64], betas: &[f64]) -> Array2<f64> {
    let m = alphas.len();
    let mut t = Array2::zeros((m, m));
    for i in 0..m {
        t[(i, i)] = alphas[i];
        if i + 1 < m {
            t[(i, i + 1)] = betas[i];
            t[(i + 1, i)] = betas[i];
        }
    }
    t
}

/// Runs Lanczos on `op`, optionally warm-started from earlier eigenvectors.
pub fn lanczos(
    op: &dyn SymmetricOperator,
    opts: &LanczosOptions,
    warm: &[Array1<f64>],
) -> LanczosResult {
    let n = op.dim();
    let max_iter = opts.max_iter.clamp(1, n);
    let k = opts.top_k.min(n);
    // Lanczos vectors, grown one at a time (a full max_iter × n block would
    // cost more to zero than the whole run on small problems).
    let mut basis: Vec<Array1<f64>> = vec![start_vector(n, warm, opts.seed)];
    let (mut alphas, mut betas): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut restarts = 0u64;
    // Lanczos sees one copy of a repeated eigenvalue per Krylov block; after a
    // breakdown the fresh block must run long enough to show the other copies.
    let mut block_start = 0;
    let mut converged = false;
    let mut last_beta = 0.0;
    let mut m = 0;
    // An upper bound of ‖T‖ (largest row sum), for breakdown tests between checks.
    let mut t_norm = 0.0f64;
    // The residual test costs O(m²); it runs when the last two tests predict
    // convergence could be near (see `next_check_after`), not every step.
    let mut next_check = 0;
    let mut last_test: Option<(usize, f64)> = None;
    while m < max_iter {
        let mut w = op.apply(basis[m].view());
        let a = w.dot(&basis[m]);
        // Three-term recurrence first, so that reorthogonalization only
        // removes rounding-level components (and rarely needs a second pass).
        w.scaled_add(-a, &basis[m]);
        if let (Some(&b_prev), Some(q_prev)) = (betas.last(), m.checked_sub(1).map(|i| &basis[i])) {
            w.scaled_add(-b_prev, q_prev);
        }
        alphas.push(a);
        m += 1;
        reorthogonalize(&basis, &mut w);
        let b = w.dot(&w).sqrt();
        last_beta = b;
        t_norm = t_norm.max(a.abs() + b + betas.last().copied().unwrap_or(0.0));
        let exhausted = m == n;
        let breakdown = b.is_nan() || b <= 1e-13 * t_norm;
        if exhausted || breakdown || m >= next_check || m == max_iter {
            let Some((values, last_row)) = eigen_last_row(&alphas, &betas) else {
                break;
            };
            let scale = values.iter().fold(1e-300f64, |s, v| s.max(v.abs()));
            let worst = wanted_indices(m, k, opts.want_min)
                .iter()
                .map(|&i| (b * last_row[i]).abs() / (opts.tol * scale))
                .fold(0.0, f64::max);
            let block_long_enough = m - block_start >= k + usize::from(opts.want_min);
            if exhausted || (block_long_enough && worst <= 1.0 && !breakdown) {
                converged = true;
                break;
            }
            next_check = m + next_check_after(last_test, m, worst);
            last_test = Some((m, worst));
        }
        if m == max_iter || !b.is_finite() {
            break;
        }
        if breakdown {
            // Invariant subspace: continue from a fresh random direction
            // orthogonal to it (β = 0 keeps T block diagonal).
            restarts += 1;
            block_start = m;
            last_test = None;
            let mut fresh = start_vector(n, &[], opts.seed.wrapping_add(restarts));
            reorthogonalize(&basis, &mut fresh);
            let norm = fresh.dot(&fresh).sqrt();
            betas.push(0.0);
            basis.push(fresh / norm);
        } else {
            betas.push(b);
            basis.push(w / b);
        }
    }
    finish(
        &basis,
        &alphas,
        &betas,
        last_beta,
        m,
        k,
        opts.want_min,
        converged,
    )
}

/// Steps until the next residual test. Residuals of extreme Ritz pairs fall
/// roughly geometrically, so the last two tests (residual / tolerance ratios)
/// predict how many steps remain; half of that (1 to 8) is taken, so the run
/// overshoots convergence by at most a step or two.
fn next_check_after(previous: Option<(usize, f64)>, m: usize, worst: f64) -> usize {
    let Some((m0, w0)) = previous else { return 1 };
    if !(worst < w0 && worst > 1.0 && m > m0) {
        return 1;
    }
    let rate = (w0 / worst).ln() / (m - m0) as f64;
    let remaining = worst.ln() / rate;
    ((remaining / 2.0) as usize).clamp(1, 8)
}

/// Indices (into ascending Ritz values) of the wanted pairs.
fn wanted_indices(m: usize, k: usize, want_min: bool) -> Vec<usize> {
    let mut idx: Vec<usize> = (m.saturating_sub(k)..m).collect();
    if want_min && !idx.contains(&0) {
        idx.push(0);
    }
    idx
}

#[allow(clippy::too_many_arguments)]
fn finish(
    basis: &[Array1<f64>],
    alphas: &[f64],
    betas: &[f64],
    beta: f64,
    m: usize,
    k: usize,
    want_min: bool,
    converged: bool,
) -> LanczosResult {
    // QL on T itself; the dense solver only if QL fails to converge.
    let (values, vectors) = eigen_full(alphas, &betas[..m - 1]).unwrap_or_else(|| {
        let t = tridiagonal(alphas, &betas[..m - 1]);
        let e = symmetric_eigen(t.view()).expect("tridiagonal eigen");
        (e.values.to_vec(), e.vectors)
    });
    let scale = values.iter().fold(1e-300f64, |s, v| s.max(v.abs()));
    let n = basis[0].len();
    let pair = |i: usize| {
        let mut vector = Array1::zeros(n);
        for (q, &c) in basis.iter().zip(vectors.column(i)) {
            vector.scaled_add(c, q);
        }
        let norm = vector.dot(&vector).sqrt();
        vector /= norm;
        fix_sign(vector.view_mut());
        let residual = if m == n {
            0.0
        } else {
            (beta * vectors[(m - 1, i)]).abs()
        };
        EigenPair {
            value: values[i],
            vector,
            residual,
        }
    };
    let top: Vec<EigenPair> = (m.saturating_sub(k)..m).rev().map(pair).collect();
    let min = want_min.then(|| pair(0));
    let relative_residual = top
        .iter()
        .chain(min.iter())
        .map(|p| p.residual / scale)
        .fold(0.0, f64::max);
    LanczosResult {
        top,
        min,
        products: m,
        converged,
        relative_residual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::dense::symmetric_eigen;
    use rand::Rng;

    fn random_symmetric(n: usize, seed: u64) -> Array2<f64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let a = Array2::from_shape_fn((n, n), |_| rng.random_range(-1.0..1.0));
        &a + &a.t()
    }

    #[test]
    fn matches_dense_eigensolver() {
        let a = random_symmetric(120, 3);
        let dense = symmetric_eigen(a.view()).unwrap();
        let r = lanczos(&a, &LanczosOptions::default(), &[]);
        assert!(r.converged);
        let scale = dense.values[119].abs().max(dense.values[0].abs());
        for (i, p) in r.top.iter().enumerate() {
            assert!(
                (p.value - dense.values[119 - i]).abs() < 1e-9 * scale,
                "top {i}"
            );
            let res = a.dot(&p.vector) - &p.vector * p.value;
            assert!(res.dot(&res).sqrt() < 1e-8 * scale);
        }
        assert!((r.min.unwrap().value - dense.values[0]).abs() < 1e-9 * scale);
    }

    #[test]
    fn exhausting_a_small_space_gives_exact_values() {
        let a = Array2::from_diag(&ndarray::array![3.0, -1.0, 2.0]);
        let r = lanczos(
            &a,
            &LanczosOptions {
                top_k: 2,
                ..Default::default()
            },
            &[],
        );
        assert!(r.converged);
        assert!((r.top[0].value - 3.0).abs() < 1e-14);
        assert!((r.top[1].value - 2.0).abs() < 1e-14);
        assert!((r.min.unwrap().value + 1.0).abs() < 1e-14);
    }

    #[test]
    fn warm_start_needs_fewer_products() {
        let a = random_symmetric(200, 9);
        let opts = LanczosOptions {
            top_k: 3,
            want_min: false,
            ..Default::default()
        };
        let cold = lanczos(&a, &opts, &[]);
        let warm_vecs: Vec<Array1<f64>> = cold.top.iter().map(|p| p.vector.clone()).collect();
        let warm = lanczos(&a, &opts, &warm_vecs);
        assert!(warm.converged);
        assert!(
            warm.products < cold.products,
            "{} vs {}",
            warm.products,
            cold.products
        );
        assert!((warm.top[0].value - cold.top[0].value).abs() < 1e-9 * cold.top[0].value.abs());
    }
}
