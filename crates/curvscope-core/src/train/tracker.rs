//! Curvature while training: warm-started eigenvalues, the trace and the
//! stability readout η·λmax against the optimizer's limit (2(1 + β) for
//! heavy-ball SGD), recomputed every few steps from a [`Trainer`]'s current
//! point.

use crate::curvature::condition::condition_number;
use crate::curvature::hvp::HessianOperator;
use crate::curvature::lanczos::{LanczosOptions, lanczos};
use crate::curvature::trace::TraceEstimate;
use crate::curvature::trace::trace_for;
use crate::spec::TrainerSettings;
use crate::train::trainer::Trainer;
use ndarray::Array1;

/// Where η·λmax stands against the stability limit of gradient descent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StabilityBand {
    /// η·λmax below 90% of the limit.
    Stable,
    /// Within ±10% of the limit: the edge of stability.
    Edge,
    /// Above 110% of the limit: gradient descent oscillates and grows along
    /// the top eigenvector.
    Unstable,
}

impl StabilityBand {
    /// The band of `eta_lambda` (η·λ) for the stability `limit` (2(1 + β)).
    pub fn classify(eta_lambda: f64, limit: f64) -> Self {
        let ratio = eta_lambda / limit;
        if ratio < 0.9 {
            StabilityBand::Stable
        } else if ratio <= 1.1 {
            StabilityBand::Edge
        } else {
            StabilityBand::Unstable
        }
    }
}

/// The curvature at one training step.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvatureSnapshot {
    /// The step it was measured at.
    pub step: u64,
    /// The largest eigenvalues, descending.
    pub top: Vec<f64>,
    /// The smallest eigenvalue (negative at a saddle).
    pub min: f64,
    /// The trace (exact or Hutchinson).
    pub trace: TraceEstimate,
    /// See [`condition_number`].
    pub condition_number: Option<f64>,
    /// η·λ for each top eigenvalue, largest first.
    pub eta_lambda: Vec<f64>,
    /// The optimizer's stability limit on η·λmax (2(1 + β) for heavy-ball
    /// SGD).
    pub limit: f64,
    /// The band of η·λmax.
    pub band: StabilityBand,
    /// Hessian-vector products this measurement used.
    pub products: usize,
}

/// Measures curvature repeatedly along a training run, starting each Lanczos
/// run from the previous eigenvectors (few products when the point moved
/// little).
#[derive(Debug, Clone)]
pub struct CurvatureTracker {
    top_k: usize,
    /// The last run's eigenvectors: the top ones (descending), then the smallest.
    warm: Vec<Array1<f64>>,
    /// The last run's top eigenvalues, descending.
    top_values: Vec<f64>,
}

impl CurvatureTracker {
    /// A tracker of the `top_k` largest eigenvalues (and the smallest).
    pub fn new(top_k: usize) -> Self {
        Self {
            top_k: top_k.max(1),
            warm: Vec::new(),
            top_values: Vec::new(),
        }
    }

    /// The last measurement's top eigenpairs (unit vectors, descending).
    pub fn top_pairs(&self) -> impl Iterator<Item = (f64, &Array1<f64>)> {
        self.top_values.iter().copied().zip(&self.warm)
    }

    /// The curvature at the trainer's current point; `op` is the Hessian
    /// there (built by the caller, who may need it for more).
    pub fn measure(&mut self, trainer: &Trainer, op: &HessianOperator) -> CurvatureSnapshot {
        let n_params = op.dim();
        let opts = LanczosOptions {
            top_k: self.top_k.min(n_params),
            ..Default::default()
        };
        let result = lanczos(op, &opts, &self.warm);
        self.warm = result
            .top
            .iter()
            .chain(result.min.iter())
            .map(|p| p.vector.clone())
            .collect();
        let top: Vec<f64> = result.top.iter().map(|p| p.value).collect();
        self.top_values = top.clone();
        let min = result.min.as_ref().map_or(f64::NAN, |p| p.value);
        let mut snapshot = CurvatureSnapshot {
            step: trainer.steps(),
            condition_number: condition_number(&top, min, n_params),
            band: StabilityBand::Stable,
            trace: trace_for(op, trainer.steps()),
            products: result.products,
            top,
            min,
            eta_lambda: Vec::new(),
            limit: f64::NAN,
        };
        snapshot.restate(trainer.settings());
        snapshot
    }
}

impl CurvatureSnapshot {
    /// Recomputes η·λ, the limit and the band for `settings` (the settings
    /// may have changed while the eigenvalues were measured on another
    /// thread: the gauge always compares them with the η and β in use).
    pub fn restate(&mut self, settings: TrainerSettings) {
        let optimizer = settings.optimizer;
        self.limit = optimizer.stability_limit();
        self.eta_lambda = self
            .top
            .iter()
            .map(|l| optimizer.learning_rate * l)
            .collect();
        self.band = StabilityBand::classify(
            self.eta_lambda.first().copied().unwrap_or(f64::NAN),
            self.limit,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_split_at_ten_percent_around_the_limit() {
        assert_eq!(StabilityBand::classify(1.7, 2.0), StabilityBand::Stable);
        assert_eq!(StabilityBand::classify(1.8, 2.0), StabilityBand::Edge);
        assert_eq!(StabilityBand::classify(2.2, 2.0), StabilityBand::Edge);
        assert_eq!(StabilityBand::classify(2.3, 2.0), StabilityBand::Unstable);
        assert_eq!(StabilityBand::classify(3.5, 3.8), StabilityBand::Edge);
    }
}
