//! Hessian trace: exact (sum of the exact diagonal) or Hutchinson's estimate.

use crate::curvature::hvp::HessianOperator;
use crate::model::objective::Objective;
use ndarray::{Array2, s};
use rand::{Rng, SeedableRng};
use std::ops::Range;

/// How a trace was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceMethod {
    /// Sum of the exact diagonal.
    Exact,
    /// Hutchinson's estimator with Rademacher probes.
    Hutchinson,
}

impl TraceMethod {
    /// The name used in analysis files.
    pub fn name(self) -> &'static str {
        match self {
            TraceMethod::Exact => "exact",
            TraceMethod::Hutchinson => "hutchinson",
        }
    }
}

/// A trace value with its standard error (0 when exact).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceEstimate {
    /// The trace (or its estimate).
    pub value: f64,
    /// Standard error of the estimate; 0 for the exact trace.
    pub stderr: f64,
    /// How it was computed.
    pub method: TraceMethod,
    /// Number of probe vectors (0 for the exact trace).
    pub probes: usize,
}

/// The exact trace, from the exact diagonal.
pub fn exact_trace(op: &HessianOperator) -> TraceEstimate {
    TraceEstimate {
        value: op.trace(),
        stderr: 0.0,
        method: TraceMethod::Exact,
        probes: 0,
    }
}

/// Most memory the probes of one Hutchinson batch and their products take
/// (and at most an eighth of the memory available).
const HUTCHINSON_BATCH_BYTES: usize = 256 << 20;

/// Hutchinson's estimate mean(zᵀ H z) over `probes` Rademacher vectors z
/// (products batched and run in parallel), with the standard error of the mean.
pub fn hutchinson(op: &HessianOperator, probes: usize, seed: u64) -> TraceEstimate {
    hutchinson_block(op, 0..op.dim(), probes, seed)
}

/// Hutchinson's estimate of the trace of the diagonal block of H on the
/// parameters `block` (z zero outside it), with its standard error.
pub fn hutchinson_block(
    op: &HessianOperator,
    block: Range<usize>,
    probes: usize,
    seed: u64,
) -> TraceEstimate {
    assert!(
        probes >= 2,
        "Hutchinson needs at least two probes for an error bar"
    );
    let p = op.dim();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // Probes in batches whose vectors and products fit HUTCHINSON_BATCH_BYTES
    // (all at once for small networks); the same random signs in the same
    // order whatever the batch size.
    let room = HUTCHINSON_BATCH_BYTES.min(crate::system::available_bytes() as usize / 8);
    let batch = (room / (16 * p.max(1))).clamp(1, probes);
    let mut samples = Vec::with_capacity(probes);
    while samples.len() < probes {
        let rows = batch.min(probes - samples.len());
        let mut z = Array2::zeros((rows, p));
        z.slice_mut(s![.., block.clone()])
            .mapv_inplace(|_: f64| if rng.random::<bool>() { 1.0 } else { -1.0 });
        let hz = op.hvp_batch(z.view());
        samples.extend(
            z.rows()
                .into_iter()
                .zip(hz.rows())
                .map(|(a, b)| a.slice(s![block.clone()]).dot(&b.slice(s![block.clone()]))),
        );
    }
    let mean = samples.iter().sum::<f64>() / probes as f64;
    let var = samples.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / (probes - 1) as f64;
    TraceEstimate {
        value: mean,
        stderr: (var / probes as f64).sqrt(),
        method: TraceMethod::Hutchinson,
        probes,
    }
}

/// Above this estimated cost (floating-point operations) the exact diagonal
/// is replaced by a Hutchinson estimate.
const EXACT_TRACE_FLOP_BUDGET: f64 = 2e10;

/// Probes of the Hutchinson estimate when the exact trace is too costly.
pub const HUTCHINSON_PROBES: usize = 100;

/// Estimated cost of the exact diagonal (see `HessianOperator::diagonal`).
fn exact_trace_cost(objective: &Objective) -> f64 {
    let per_sample: f64 = objective
        .architecture()
        .layers
        .windows(2)
        .map(|w| {
            let (i, o) = (w[0] as f64, w[1] as f64);
            2.0 * (i * o * o + i * i * o)
        })
        .sum();
    per_sample * objective.n_samples() as f64
}

/// Whether the exact diagonal is affordable (below the cost budget).
pub fn exact_diagonal_affordable(objective: &Objective) -> bool {
    exact_trace_cost(objective) <= EXACT_TRACE_FLOP_BUDGET
}

/// The trace: exact when affordable, else Hutchinson with an error bar.
pub fn trace_for(op: &HessianOperator, seed: u64) -> TraceEstimate {
    if exact_diagonal_affordable(op.objective()) {
        exact_trace(op)
    } else {
        hutchinson(op, HUTCHINSON_PROBES, seed)
    }
}
