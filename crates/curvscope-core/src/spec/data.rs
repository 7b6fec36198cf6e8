//! Where a run's data comes from: a synthetic set, a CSV file, or a
//! problem file (which brings its network and parameters too).

use crate::defaults;
use crate::io::csv_data::CsvData;
use crate::io::problem::ProblemFile;
use crate::model::synthetic::DataKind;
use std::sync::Arc;

/// A synthetic data set made from the run's seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Synthetic {
    /// Which set.
    pub kind: DataKind,
    /// Training and test samples.
    pub samples: (usize, usize),
    /// Standard deviation of the noise added to the inputs (and targets).
    pub noise: f64,
}

impl Synthetic {
    /// The set `kind` with the default sizes and noise.
    pub const fn of(kind: DataKind) -> Self {
        Self {
            kind,
            samples: defaults::SAMPLES,
            noise: defaults::NOISE,
        }
    }
}

impl Default for Synthetic {
    fn default() -> Self {
        Self::of(DataKind::Moons)
    }
}

/// Where a run's data comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    /// A synthetic set, made from the run's seed.
    Synthetic(Synthetic),
    /// A CSV data set (its training and test rows).
    Csv(Arc<CsvData>),
    /// A problem file: its network, data and parameters (no test set).
    Problem(Arc<ProblemFile>),
}

impl Default for DataSource {
    fn default() -> Self {
        DataSource::Synthetic(Synthetic::default())
    }
}

impl DataSource {
    /// The number of training samples.
    pub fn train_samples(&self) -> usize {
        match self {
            DataSource::Synthetic(s) => s.samples.0,
            DataSource::Csv(c) => c.train.len(),
            DataSource::Problem(p) => p.n_samples(),
        }
    }

    /// Whether `other` is the same data (for files: the same contents).
    pub fn same_as(&self, other: &DataSource) -> bool {
        match (self, other) {
            (DataSource::Synthetic(a), DataSource::Synthetic(b)) => {
                (a.kind, a.samples, a.noise.to_bits()) == (b.kind, b.samples, b.noise.to_bits())
            }
            (DataSource::Csv(a), DataSource::Csv(b)) => Arc::ptr_eq(a, b) || a == b,
            (DataSource::Problem(a), DataSource::Problem(b)) => Arc::ptr_eq(a, b) || a == b,
            _ => false,
        }
    }

    /// The synthetic set, if the data is one.
    pub fn synthetic(&self) -> Option<&Synthetic> {
        match self {
            DataSource::Synthetic(s) => Some(s),
            _ => None,
        }
    }

    /// The CSV data set, if the data is one.
    pub fn csv(&self) -> Option<&Arc<CsvData>> {
        match self {
            DataSource::Csv(c) => Some(c),
            _ => None,
        }
    }

    /// The problem file, if the run starts from one.
    pub fn problem(&self) -> Option<&Arc<ProblemFile>> {
        match self {
            DataSource::Problem(p) => Some(p),
            _ => None,
        }
    }
}
