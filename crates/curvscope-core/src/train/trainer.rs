//! Minibatch training with any of the [`crate::optim`] optimizers, one step
//! at a time, deterministic.
//!
//! The app drives a [`Trainer`] from its training thread and changes the
//! optimizer's settings or the batch size between steps without resetting it;
//! a recording replays the same steps bit for bit, since every random choice
//! (the batch order) comes from the seeded generator.

use crate::contiguous::Flat;
use crate::model::architecture::Architecture;
use crate::model::dataset::{Dataset, Targets};
use crate::model::loss::LossKind;
use crate::model::objective::Objective;
use crate::optim::OptimizerState;
use crate::spec::TrainerSettings;
use ndarray::Array1;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// A loss this many times the first step's (or non-finite) counts as divergence.
const DIVERGENCE_FACTOR: f64 = 1e6;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport {
    /// Steps taken so far, this one included.
    pub step: u64,
    /// The minibatch loss before the step.
    pub batch_loss: f64,
}

/// Training stopped: the loss became non-finite or exploded.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("diverged at step {step} (batch loss {loss:e})")]
pub struct Diverged {
    /// The step at which it happened.
    pub step: u64,
    /// The offending batch loss (NaN, ±inf, or huge).
    pub loss: f64,
}

/// A network in training on a train/test split.
#[derive(Clone)]
pub struct Trainer {
    architecture: Architecture,
    loss: LossKind,
    train: Dataset,
    train_objective: Objective,
    test_objective: Option<Objective>,
    theta: Array1<f64>,
    optimizer: OptimizerState,
    settings: TrainerSettings,
    rng: StdRng,
    order: Vec<usize>,
    cursor: usize,
    step: u64,
    first_loss: Option<f64>,
    diverged: Option<Diverged>,
}

/// The rows `rows` of `data`, in that order.
fn select_rows(data: &Dataset, rows: &[usize]) -> Dataset {
    let x = data.x.select(ndarray::Axis(0), rows);
    let y = match &data.y {
        Targets::Regression(t) => Targets::Regression(t.select(ndarray::Axis(0), rows)),
        Targets::Binary(t) => Targets::Binary(t.select(ndarray::Axis(0), rows)),
        Targets::Classes(t) => Targets::Classes(rows.iter().map(|&r| t[r]).collect()),
    };
    Dataset { x, y }
}

impl Trainer {
    /// Starts training `theta` on `train` (and reports the loss on `test`, if
    /// any), with batches drawn by a generator seeded with `seed`.
    pub fn new(
        architecture: Architecture,
        loss: LossKind,
        train: Dataset,
        test: Option<Dataset>,
        theta: Array1<f64>,
        settings: TrainerSettings,
        seed: u64,
    ) -> Self {
        assert_eq!(theta.len(), architecture.n_params(), "parameter count");
        let train_objective = Objective::new(architecture.clone(), loss, &train);
        let test_objective = test
            .filter(|t| !t.is_empty())
            .map(|t| Objective::new(architecture.clone(), loss, &t));
        let optimizer = OptimizerState::new(&settings.optimizer, theta.len());
        Self {
            architecture,
            loss,
            order: (0..train.len()).collect(),
            train,
            train_objective,
            test_objective,
            theta,
            optimizer,
            settings,
            rng: StdRng::seed_from_u64(seed),
            cursor: usize::MAX,
            step: 0,
            first_loss: None,
            diverged: None,
        }
    }

    /// The next minibatch's rows: epochs of a seeded shuffle, so every sample
    /// is used once per epoch.
    fn next_batch(&mut self, size: usize) -> Vec<usize> {
        let mut rows = Vec::with_capacity(size);
        while rows.len() < size {
            if self.cursor >= self.order.len() {
                self.order.shuffle(&mut self.rng);
                self.cursor = 0;
            }
            let take = (size - rows.len()).min(self.order.len() - self.cursor);
            rows.extend_from_slice(&self.order[self.cursor..self.cursor + take]);
            self.cursor += take;
        }
        rows
    }

    /// One optimizer step. After a divergence every call returns that
    /// divergence again (and changes nothing) until the trainer is rebuilt.
    pub fn step(&mut self) -> Result<StepReport, Diverged> {
        if let Some(d) = self.diverged {
            return Err(d);
        }
        let n = self.train.len();
        let size = self.settings.batch_size.map_or(n, |b| b.clamp(1, n));
        let (batch_loss, grad) = if size == n {
            self.train_objective.loss_and_grad(self.theta.flat())
        } else {
            let rows = self.next_batch(size);
            let batch = select_rows(&self.train, &rows);
            Objective::new(self.architecture.clone(), self.loss, &batch)
                .loss_and_grad(self.theta.flat())
        };
        let first = *self.first_loss.get_or_insert(batch_loss.abs().max(1e-12));
        let step = self.step + 1;
        let exploded = !batch_loss.is_finite() || batch_loss.abs() > DIVERGENCE_FACTOR * first;
        if exploded || grad.iter().any(|g| !g.is_finite()) {
            let d = Diverged {
                step,
                loss: batch_loss,
            };
            self.diverged = Some(d);
            return Err(d);
        }
        self.optimizer
            .step(&self.settings.optimizer, &mut self.theta, &grad);
        self.step = step;
        Ok(StepReport { step, batch_loss })
    }

    /// Current settings.
    pub fn settings(&self) -> TrainerSettings {
        self.settings
    }

    /// Replaces the settings; training goes on from where it is (θ, the
    /// optimizer's state and the batch order are kept; a change of update
    /// rule starts the new rule's state afresh).
    pub fn set_settings(&mut self, settings: TrainerSettings) {
        self.settings = settings;
    }

    /// The current parameters.
    pub fn theta(&self) -> &Array1<f64> {
        &self.theta
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The divergence that stopped training, if any.
    pub fn diverged(&self) -> Option<Diverged> {
        self.diverged
    }

    /// The training set (all of it, in its original order).
    pub fn train_data(&self) -> &Dataset {
        &self.train
    }

    /// The full training set's objective (for loss, curvature and slices).
    pub fn train_objective(&self) -> &Objective {
        &self.train_objective
    }

    /// The loss on the whole training set at the current parameters.
    pub fn train_loss(&self) -> f64 {
        self.train_objective.loss(self.theta.flat())
    }

    /// The loss on the test set, if there is one.
    pub fn test_loss(&self) -> Option<f64> {
        let theta = self.theta.flat();
        self.test_objective.as_ref().map(|o| o.loss(theta))
    }
}
