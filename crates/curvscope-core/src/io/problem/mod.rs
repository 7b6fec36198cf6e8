//! Problem files (`docs/problem-format.md`): a model, its data and a
//! point in parameter space, read with every rule checked and written so
//! that they read back bit-exactly.

mod error;
mod json;
mod read;
mod write;

pub use error::ProblemError;

use ndarray::Array1;

use crate::model::architecture::Architecture;
use crate::model::dataset::Dataset;
use crate::model::loss::LossKind;

/// The exact value of a problem file's `format` field.
pub const FORMAT_TAG: &str = "curvscope-problem/1";

/// Largest parameter count a problem file may declare.
pub const MAX_PARAMS: usize = 50_000_000;

/// Largest problem file read, in bytes (512 MiB: a 20-million-parameter
/// problem written at full precision); larger files are refused before
/// anything is read.
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// Largest number of samples times the widest layer (the size of one
/// activation buffer) a problem file may declare.
pub const MAX_ACTIVATIONS: usize = 100_000_000;

/// Most points a problem file's `trajectory` may hold.
pub const MAX_TRAJECTORY_POINTS: usize = 1024;

/// Everything the loss depends on: model, loss, data and parameters.
///
/// A `Problem` read from a file has passed every rule of the format: the
/// parameter vector fits the architecture, every row fits the layer widths,
/// every target fits the loss and every number is finite.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Layer widths and hidden activation.
    pub architecture: Architecture,
    /// The loss the parameters are evaluated on.
    pub loss: LossKind,
    /// Inputs and targets.
    pub data: Dataset,
    /// All parameters, flat, in the layout of [`Architecture`].
    pub params: Array1<f64>,
    /// Optional parameter-space directions to slice the landscape along.
    pub directions: Option<Vec<Array1<f64>>>,
    /// Optional recorded parameter vectors of a training run, oldest first
    /// (at most [`MAX_TRAJECTORY_POINTS`]), for the PCA plane.
    pub trajectory: Option<Vec<Array1<f64>>>,
}

/// A problem with the file it was read from, as a run starts from it (a
/// lesson names the file; see `"data": {"problem": ...}` in
/// `docs/lessons.md`). It reads as the [`Problem`] it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemFile {
    /// The file it was read from; `None` for a problem made in memory,
    /// which no lesson can name.
    pub file: Option<std::path::PathBuf>,
    /// The problem.
    pub problem: Problem,
}

impl ProblemFile {
    /// Reads the problem file at `path`, keeping the path.
    pub fn load(path: &std::path::Path) -> Result<Self, ProblemError> {
        Ok(Self {
            file: Some(path.to_path_buf()),
            problem: Problem::load(path)?,
        })
    }
}

impl ProblemFile {
    /// Its file name, for menus (or "a problem made in memory").
    pub fn name(&self) -> String {
        self.file
            .as_deref()
            .and_then(|f| f.file_name())
            .map_or_else(
                || "a problem made in memory".to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
    }
}

impl From<Problem> for ProblemFile {
    fn from(problem: Problem) -> Self {
        Self {
            file: None,
            problem,
        }
    }
}

impl std::ops::Deref for ProblemFile {
    type Target = Problem;

    fn deref(&self) -> &Problem {
        &self.problem
    }
}

impl Problem {
    /// Number of parameters (the length of `params`).
    pub fn n_params(&self) -> usize {
        self.params.len()
    }

    /// Number of samples (rows of `data.x`).
    pub fn n_samples(&self) -> usize {
        self.data.len()
    }
}
