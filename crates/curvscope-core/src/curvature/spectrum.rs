//! The whole Hessian spectrum as a density of eigenvalues.
//!
//! - **Exact**: every eigenvalue of the dense Hessian (P exact products,
//!   faer's symmetric eigensolver), up to [`MAX_DENSE_PARAMS`] parameters.
//! - **Stochastic Lanczos quadrature (SLQ)**: the `outliers` largest
//!   eigenpairs are computed by Lanczos ([`lanczos`]) and projected out;
//!   each Rademacher probe z, projected off them, starts `steps` Lanczos
//!   steps (full reorthogonalization, against the outliers too) on the
//!   deflated Hessian, and the Gauss quadrature of its tridiagonal matrix T
//!   (nodes: T's eigenvalues θ_j; weights: the squared first entries τ_j² of
//!   its eigenvectors) is that probe's spectral measure. Each probe's
//!   measure puts mass 1/P on each outlier and (P − k)/P·τ_j² on node θ_j,
//!   so it has mass 1; for polynomials up to degree 2·steps − 1 it is the
//!   Hutchinson estimate zᵀ f(H) z / P of tr f(H) / P. Its error is the
//!   probe-to-probe spread, reported as a standard error.
//!
//! Both are smoothed by a Gaussian of width σ (default: the bulk's width
//! divided by [`SIGMA_DIVISIONS`]; the bulk is the spectrum without the
//! outliers) on an ascending grid of λ that is fine (spacing ≤ σ/4) wherever
//! the density is not negligible: around the bulk and around each outlier,
//! out to 8σ. The trapezoid rule on that grid integrates the density to 1.

use crate::curvature::dense::symmetric_eigenvalues;
use crate::curvature::hvp::{HessianOperator, MAX_DENSE_PARAMS};
use crate::curvature::lanczos::{LanczosOptions, SymmetricOperator, lanczos, reorthogonalize};
use crate::curvature::tridiagonal::eigen_full;
use ndarray::{Array1, ArrayView2};
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

/// The default broadening σ is the bulk's width divided by this (or by
/// SLQ's number of steps, if fewer: m nodes per probe resolve no finer).
pub const SIGMA_DIVISIONS: usize = 100;

/// Grid spacing is at most σ divided by this.
const POINTS_PER_SIGMA: f64 = 4.0;

/// The grid reaches this many σ beyond the bulk and each outlier.
const REACH_SIGMAS: f64 = 8.0;

/// Most grid points (a σ tiny against the spectrum's span gets a coarser grid).
pub const MAX_GRID_POINTS: usize = 20_000;

/// Below this many bytes of Lanczos bases in all, the probes run in parallel.
const PARALLEL_PROBE_BYTES: usize = 1 << 28;

/// How the spectrum is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpectrumMethod {
    /// All eigenvalues of the dense Hessian.
    Exact,
    /// Stochastic Lanczos quadrature.
    Slq,
}

impl SpectrumMethod {
    /// `exact` or `slq`, as in analysis files.
    pub fn name(self) -> &'static str {
        match self {
            SpectrumMethod::Exact => "exact",
            SpectrumMethod::Slq => "slq",
        }
    }
}

/// Settings of a spectrum.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumOptions {
    /// Number k of largest eigenvalues reported as outliers (and deflated
    /// in SLQ); capped at P − 1.
    pub outliers: usize,
    /// SLQ: number of Rademacher probes (≥ 2, for the error band).
    pub probes: usize,
    /// SLQ: Lanczos steps per probe (≥ 1; capped at P − k).
    pub steps: usize,
    /// SLQ: most Lanczos products for the outliers (their basis's length).
    pub outlier_steps: usize,
    /// Gaussian broadening σ; `None`: the bulk's width divided by
    /// [`SIGMA_DIVISIONS`] (exact) or by min([`SIGMA_DIVISIONS`], steps) (SLQ).
    pub sigma: Option<f64>,
    /// Seed of the probes and of the outliers' Lanczos start vector.
    pub seed: u64,
}

impl Default for SpectrumOptions {
    fn default() -> Self {
        Self {
            outliers: 5,
            probes: 16,
            steps: 80,
            outlier_steps: LanczosOptions::default().max_iter,
            sigma: None,
            seed: 0,
        }
    }
}

/// Why a spectrum could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpectrumError {
    /// The exact spectrum needs the dense Hessian.
    #[error(
        "the exact spectrum needs the dense Hessian, limited to {max} parameters; this network has {params} (use slq)"
    )]
    TooLargeForExact {
        /// Parameters of the network.
        params: usize,
        /// [`MAX_DENSE_PARAMS`].
        max: usize,
    },
    /// A setting is out of range.
    #[error("spectrum setting {what}")]
    Setting {
        /// The setting and what it needs, e.g. `probes: expected at least 2, got 1`.
        what: String,
    },
    /// An eigensolver failed to converge.
    #[error("the eigensolver did not converge")]
    Eigen,
    /// An eigenvalue or node is not finite.
    #[error("the spectrum is not finite: the Hessian overflows float64 at these parameters")]
    NotFinite,
}

/// A discrete spectral measure Σ w_i δ(λ − λ_i) of mass 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// The nodes λ_i.
    pub nodes: Vec<f64>,
    /// Their weights w_i (non-negative, summing to 1).
    pub weights: Vec<f64>,
}

impl Measure {
    /// Σ w_i λ_iᵏ.
    pub fn moment(&self, k: i32) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(l, w)| w * l.powi(k))
            .sum()
    }

    /// The Gaussian-broadened density Σ w_i N(λ; λ_i, σ²) at each `lambda`.
    pub fn density(&self, lambda: &[f64], sigma: f64) -> Vec<f64> {
        let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        lambda
            .iter()
            .map(|&x| {
                self.nodes
                    .iter()
                    .zip(&self.weights)
                    .map(|(&l, &w)| {
                        let t = (x - l) / sigma;
                        w * (-0.5 * t * t).exp()
                    })
                    .sum::<f64>()
                    * norm
            })
            .collect()
    }
}

/// A Hessian spectrum: its measures, outliers and smoothed density.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// How it was computed.
    pub method: SpectrumMethod,
    /// All P eigenvalues, ascending (exact only).
    pub eigenvalues: Option<Vec<f64>>,
    /// The k largest eigenvalues, descending (exact, or Lanczos to 1e-10).
    pub outliers: Vec<f64>,
    /// The spectral measures: the exact one (weights 1/P), or one per SLQ
    /// probe; outliers included, each of mass 1.
    pub measures: Vec<Measure>,
    /// Number of probes (0 for exact).
    pub probes: usize,
    /// Lanczos steps per probe (0 for exact).
    pub steps: usize,
    /// Hessian-vector products used (outliers, probes or dense columns).
    pub products: usize,
    /// The Gaussian broadening σ.
    pub sigma: f64,
    /// The ascending grid of λ.
    pub lambda: Vec<f64>,
    /// The mean of the measures' smoothed densities on `lambda` (∫ = 1).
    pub density: Vec<f64>,
    /// `density` minus one standard error of the mean over the probes (≥ 0).
    pub density_low: Vec<f64>,
    /// `density` plus one standard error of the mean over the probes.
    pub density_high: Vec<f64>,
}

impl Spectrum {
    /// The k-th moment of the spectrum, tr(Hᵏ)/P, estimated as the mean over
    /// the measures, with its standard error (0 for exact; for SLQ each
    /// probe's Gauss quadrature is exact while 2·steps − 1 ≥ k, so the error
    /// is the probes' spread). The broadened density's moments add σ's:
    /// ∫λρ dλ = this for k = 1, and ∫λ²ρ dλ = this + σ² for k = 2.
    pub fn moment(&self, k: i32) -> (f64, f64) {
        let values: Vec<f64> = self.measures.iter().map(|m| m.moment(k)).collect();
        mean_stderr(&values)
    }

    /// ∫ (density_high − density_low) / 2 dλ: the probes' standard error
    /// of the density, integrated (0 for exact). The L1 distance of the
    /// SLQ density from the exact one smoothed alike is of this order.
    pub fn band_l1(&self) -> f64 {
        let half: Vec<f64> = self
            .density_high
            .iter()
            .zip(&self.density_low)
            .map(|(h, l)| 0.5 * (h - l))
            .collect();
        integrate(&self.lambda, &half)
    }
}

/// Mean and standard error of the mean (0 for fewer than two values).
fn mean_stderr(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// The exact spectrum of the Hessian, from its dense matrix (at most
/// [`MAX_DENSE_PARAMS`] parameters).
pub fn exact_spectrum(
    op: &HessianOperator,
    opts: &SpectrumOptions,
) -> Result<Spectrum, SpectrumError> {
    let p = op.dim();
    let h = op.dense().ok_or(SpectrumError::TooLargeForExact {
        params: p,
        max: MAX_DENSE_PARAMS,
    })?;
    let mut s = exact_spectrum_of(h.view(), opts)?;
    s.products = p;
    Ok(s)
}

/// The exact spectrum of a symmetric matrix (its lower triangle is read).
pub fn exact_spectrum_of(
    h: ArrayView2<f64>,
    opts: &SpectrumOptions,
) -> Result<Spectrum, SpectrumError> {
    check_sigma(opts)?;
    let values = symmetric_eigenvalues(h).map_err(|_| SpectrumError::Eigen)?;
    if values.iter().any(|v| !v.is_finite()) {
        return Err(SpectrumError::NotFinite);
    }
    let p = values.len();
    let k = opts.outliers.min(p.saturating_sub(1));
    let outliers: Vec<f64> = values.iter().rev().take(k).copied().collect();
    let measure = Measure {
        weights: vec![1.0 / p as f64; p],
        nodes: values.clone(),
    };
    let bulk = &values[..p - k];
    Ok(finish(
        SpectrumMethod::Exact,
        Some(values.clone()),
        outliers,
        vec![measure],
        (0, 0, 0),
        span(bulk.iter().copied()),
        (opts.sigma, SIGMA_DIVISIONS),
    ))
}

/// The SLQ spectrum of `op` (see the module's documentation).
pub fn slq_spectrum(
    op: &dyn SymmetricOperator,
    opts: &SpectrumOptions,
) -> Result<Spectrum, SpectrumError> {
    check_sigma(opts)?;
    if opts.probes < 2 {
        return Err(SpectrumError::Setting {
            what: format!("probes: expected at least 2, got {}", opts.probes),
        });
    }
    if opts.steps < 1 {
        return Err(SpectrumError::Setting {
            what: "steps: expected at least 1, got 0".into(),
        });
    }
    let p = op.dim();
    let k = opts.outliers.min(p.saturating_sub(1));
    let steps = opts.steps.min(p - k);
    let (outliers, vectors, mut products) = if k > 0 {
        let r = lanczos(
            op,
            &LanczosOptions {
                top_k: k,
                want_min: false,
                seed: opts.seed,
                max_iter: opts.outlier_steps,
                ..LanczosOptions::default()
            },
            &[],
        );
        let values: Vec<f64> = r.top.iter().map(|e| e.value).collect();
        let vectors: Vec<Array1<f64>> = r.top.into_iter().map(|e| e.vector).collect();
        (values, vectors, r.products)
    } else {
        (Vec::new(), Vec::new(), 0)
    };
    let probe = |i: usize| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(
            opts.seed ^ 0x5eed_0f5a_u64.wrapping_mul(i as u64 + 1),
        );
        let z: Array1<f64> = (0..p)
            .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
            .collect();
        probe_measure(op, &outliers, &vectors, z, steps)
    };
    let parallel = opts.probes * (steps + k) * p * 8 <= PARALLEL_PROBE_BYTES;
    let results: Vec<Result<(Measure, usize), SpectrumError>> = if parallel {
        (0..opts.probes).into_par_iter().map(probe).collect()
    } else {
        (0..opts.probes).map(probe).collect()
    };
    let mut measures = Vec::with_capacity(opts.probes);
    for r in results {
        let (m, used) = r?;
        products += used;
        measures.push(m);
    }
    // Each measure ends with the k outliers; the nodes before them are the bulk's.
    let bulk_span = span(
        measures
            .iter()
            .flat_map(|m| m.nodes[..m.nodes.len() - k].iter().copied()),
    );
    if outliers.iter().any(|v| !v.is_finite()) {
        return Err(SpectrumError::NotFinite);
    }
    Ok(finish(
        SpectrumMethod::Slq,
        None,
        outliers,
        measures,
        (opts.probes, steps, products),
        bulk_span,
        (opts.sigma, SIGMA_DIVISIONS.min(steps.max(2))),
    ))
}

/// One probe's measure: the Gauss quadrature of Lanczos on the deflated
/// operator from `z` projected off `vectors`, at mass (P − k)/P, then the
/// outliers at mass 1/P each (last). Returns it with the products used.
fn probe_measure(
    op: &dyn SymmetricOperator,
    outliers: &[f64],
    vectors: &[Array1<f64>],
    mut z: Array1<f64>,
    steps: usize,
) -> Result<(Measure, usize), SpectrumError> {
    let p = op.dim();
    reorthogonalize(vectors, &mut z);
    let norm = z.dot(&z).sqrt();
    let mut basis = vec![z / norm];
    let (mut alphas, mut betas): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut t_norm = 0.0f64;
    loop {
        let m = alphas.len();
        let mut w = op.apply(basis[m].view());
        let a = w.dot(&basis[m]);
        w.scaled_add(-a, &basis[m]);
        if let Some(&b) = betas.last() {
            w.scaled_add(-b, &basis[m - 1]);
        }
        alphas.push(a);
        reorthogonalize(vectors, &mut w);
        reorthogonalize(&basis, &mut w);
        let b = w.dot(&w).sqrt();
        t_norm = t_norm.max(a.abs() + b + betas.last().copied().unwrap_or(0.0));
        // A zero β: the Krylov space is invariant and the quadrature exact.
        if alphas.len() == steps || b.is_nan() || b <= 1e-13 * t_norm {
            break;
        }
        betas.push(b);
        basis.push(w / b);
    }
    if alphas.iter().chain(&betas).any(|v| !v.is_finite()) {
        return Err(SpectrumError::NotFinite);
    }
    let (nodes, vecs) = eigen_full(&alphas, &betas).ok_or(SpectrumError::Eigen)?;
    let bulk_mass = (p - outliers.len()) as f64 / p as f64;
    let mut m = Measure {
        weights: (0..nodes.len())
            .map(|j| bulk_mass * vecs[(0, j)] * vecs[(0, j)])
            .collect(),
        nodes,
    };
    m.nodes.extend_from_slice(outliers);
    m.weights.extend(outliers.iter().map(|_| 1.0 / p as f64));
    Ok((m, alphas.len()))
}

/// A positive, finite σ if one is given.
fn check_sigma(opts: &SpectrumOptions) -> Result<(), SpectrumError> {
    match opts.sigma {
        Some(s) if !(s > 0.0 && s.is_finite()) => Err(SpectrumError::Setting {
            what: format!("sigma: expected a positive number, got {s}"),
        }),
        _ => Ok(()),
    }
}

/// (min, max) of `values`, `None` if empty.
fn span(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Builds the spectrum from its measures: σ (given, or the bulk's width
/// over `divisions`), the grid and the densities.
fn finish(
    method: SpectrumMethod,
    eigenvalues: Option<Vec<f64>>,
    outliers: Vec<f64>,
    measures: Vec<Measure>,
    (probes, steps, products): (usize, usize, usize),
    bulk: Option<(f64, f64)>,
    (sigma, divisions): (Option<f64>, usize),
) -> Spectrum {
    let all = span(measures.iter().flat_map(|m| m.nodes.iter().copied())).unwrap_or((0.0, 0.0));
    let bulk = bulk.unwrap_or(all);
    let sigma = sigma.unwrap_or_else(|| default_sigma(bulk, all, divisions as f64));
    let lambda = grid(bulk, &outliers, sigma);
    let densities: Vec<Vec<f64>> = measures
        .par_iter()
        .map(|m| m.density(&lambda, sigma))
        .collect();
    let (mut density, mut low, mut high) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..lambda.len() {
        let at: Vec<f64> = densities.iter().map(|d| d[i]).collect();
        let (mean, se) = mean_stderr(&at);
        density.push(mean);
        low.push((mean - se).max(0.0));
        high.push(mean + se);
    }
    Spectrum {
        method,
        eigenvalues,
        outliers,
        measures,
        probes,
        steps,
        products,
        sigma,
        lambda,
        density,
        density_low: low,
        density_high: high,
    }
}

/// The default σ: the bulk's width / `divisions`; if the bulk is one
/// point, the whole spectrum's; if that is one point too, 10⁻³ of its
/// magnitude (or 10⁻⁶ at zero).
fn default_sigma(bulk: (f64, f64), all: (f64, f64), divisions: f64) -> f64 {
    let (b, a) = (bulk.1 - bulk.0, all.1 - all.0);
    if b > 0.0 {
        b / divisions
    } else if a > 0.0 {
        a / divisions
    } else {
        let scale = all.0.abs().max(all.1.abs());
        if scale > 0.0 { 1e-3 * scale } else { 1e-6 }
    }
}

/// The ascending grid: evenly spaced points (≤ σ/4 apart, unless that would
/// exceed [`MAX_GRID_POINTS`]) over the bulk and around each outlier, out to
/// 8σ; overlapping pieces are merged, and nothing lies between pieces,
/// where the density is below e⁻³² of its peak.
fn grid(bulk: (f64, f64), outliers: &[f64], sigma: f64) -> Vec<f64> {
    let reach = REACH_SIGMAS * sigma;
    let mut pieces: Vec<(f64, f64)> = std::iter::once(bulk)
        .chain(outliers.iter().map(|&l| (l, l)))
        .map(|(lo, hi)| (lo - reach, hi + reach))
        .collect();
    pieces.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for (lo, hi) in pieces {
        match merged.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    let length: f64 = merged.iter().map(|(lo, hi)| hi - lo).sum();
    let spacing = (sigma / POINTS_PER_SIGMA).max(length / MAX_GRID_POINTS as f64);
    let mut lambda = Vec::new();
    for (lo, hi) in merged {
        let n = ((hi - lo) / spacing).ceil().max(1.0) as usize;
        lambda.extend((0..=n).map(|i| lo + (hi - lo) * i as f64 / n as f64));
    }
    lambda
}

/// ∫ f dλ by the trapezoid rule on the (ascending) grid `lambda`.
pub fn integrate(lambda: &[f64], f: &[f64]) -> f64 {
    lambda
        .windows(2)
        .zip(f.windows(2))
        .map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0] + y[1]))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// A symmetric matrix with a bulk in [-1, 1] and three outliers.
    fn spiked(n: usize, seed: u64) -> Array2<f64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let a = Array2::from_shape_fn((n, n), |_| rng.random_range(-1.0..1.0));
        let mut h = (&a + &a.t()) / (2.0 * (n as f64).sqrt());
        for (i, s) in [40.0, 25.0, 10.0].into_iter().enumerate() {
            h[(i, i)] += s;
        }
        h
    }

    fn opts() -> SpectrumOptions {
        SpectrumOptions {
            outliers: 3,
            probes: 8,
            steps: 40,
            ..SpectrumOptions::default()
        }
    }

    #[test]
    fn exact_density_integrates_to_one_with_the_right_moments() {
        let h = spiked(150, 1);
        let s = exact_spectrum_of(h.view(), &opts()).unwrap();
        let ev = s.eigenvalues.as_ref().unwrap();
        assert_eq!(ev.len(), 150);
        assert!(ev.windows(2).all(|w| w[0] <= w[1]));
        assert!(s.lambda.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            s.outliers,
            ev.iter().rev().take(3).copied().collect::<Vec<_>>()
        );
        let mass = integrate(&s.lambda, &s.density);
        assert!((mass - 1.0).abs() < 1e-9, "{mass}");
        let trace: f64 = (0..150).map(|i| h[(i, i)]).sum();
        let first: Vec<f64> = s
            .lambda
            .iter()
            .zip(&s.density)
            .map(|(l, d)| l * d)
            .collect();
        assert!((integrate(&s.lambda, &first) - trace / 150.0).abs() < 1e-9);
        let frob = h.iter().map(|x| x * x).sum::<f64>() / 150.0;
        let second: Vec<f64> = s
            .lambda
            .iter()
            .zip(&s.density)
            .map(|(l, d)| l * l * d)
            .collect();
        let got = integrate(&s.lambda, &second) - s.sigma * s.sigma;
        assert!((got - frob).abs() < 1e-8 * frob, "{got} vs {frob}");
        assert_eq!(s.density, s.density_low);
    }

    #[test]
    fn slq_agrees_with_the_exact_spectrum() {
        let h = spiked(300, 2);
        let exact = exact_spectrum_of(h.view(), &opts()).unwrap();
        let slq = slq_spectrum(&h, &opts()).unwrap();
        for (a, b) in exact.outliers.iter().zip(&slq.outliers) {
            assert!((a - b).abs() < 1e-8 * a.abs());
        }
        assert!((integrate(&slq.lambda, &slq.density) - 1.0).abs() < 1e-9);
        for k in [1, 2] {
            let (want, _) = exact.moment(k);
            let (got, se) = slq.moment(k);
            assert!(se > 0.0);
            assert!(
                (got - want).abs() < 4.0 * se,
                "moment {k}: {got} ± {se} vs {want}"
            );
        }
        let on_grid = exact.measures[0].density(&slq.lambda, slq.sigma);
        let diff: Vec<f64> = on_grid
            .iter()
            .zip(&slq.density)
            .map(|(a, b)| (a - b).abs())
            .collect();
        let l1 = integrate(&slq.lambda, &diff);
        let band = slq.band_l1();
        assert!(l1 < 2.0 * band, "L1 distance {l1}, band {band}");
        assert!(
            slq.density_low
                .iter()
                .zip(&slq.density_high)
                .all(|(l, h)| l <= h)
        );
    }

    #[test]
    fn slq_is_deterministic_and_checks_its_settings() {
        let h = spiked(60, 3);
        assert_eq!(
            slq_spectrum(&h, &opts()).unwrap(),
            slq_spectrum(&h, &opts()).unwrap()
        );
        let one = SpectrumOptions {
            probes: 1,
            ..opts()
        };
        assert_eq!(
            slq_spectrum(&h, &one).unwrap_err().to_string(),
            "spectrum setting probes: expected at least 2, got 1"
        );
        let bad = SpectrumOptions {
            sigma: Some(-1.0),
            ..opts()
        };
        assert!(exact_spectrum_of(h.view(), &bad).is_err());
    }

    #[test]
    fn a_small_space_is_exhausted_exactly() {
        let h = Array2::from_diag(&ndarray::array![3.0, -1.0, 2.0, 0.5]);
        let s = slq_spectrum(
            &h,
            &SpectrumOptions {
                outliers: 1,
                ..opts()
            },
        )
        .unwrap();
        assert_eq!(s.steps, 3);
        for m in &s.measures {
            for (&l, &w) in m.nodes.iter().zip(&m.weights) {
                if w > 1e-12 {
                    assert!(
                        [3.0, -1.0, 2.0, 0.5].iter().any(|e| (e - l).abs() < 1e-12),
                        "{l}"
                    );
                }
            }
            assert!((m.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }
}
