//! Inputs and targets of a supervised problem.

use ndarray::{Array1, Array2};

/// Targets, in the form each loss needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// `mse`: one row of `n_outputs` numbers per sample.
    Regression(Array2<f64>),
    /// `bce_logits`: one probability in [0, 1] per sample.
    Binary(Array1<f64>),
    /// `softmax_ce`: one class index per sample.
    Classes(Vec<usize>),
}

impl Targets {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Targets::Regression(y) => y.nrows(),
            Targets::Binary(y) => y.len(),
            Targets::Classes(y) => y.len(),
        }
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A data set: N input rows and their targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Inputs, N × n_inputs.
    pub x: Array2<f64>,
    /// Targets for the N rows.
    pub y: Targets,
}

impl Dataset {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.x.nrows() == 0
    }
}
