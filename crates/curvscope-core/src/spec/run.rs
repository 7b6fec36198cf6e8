//! A run's whole description, and the one check of it.

use super::{DataSource, ModelSpec};
use crate::defaults::{self, RuleError};
use crate::landscape::plane::PlaneKind;
use crate::model::architecture::Architecture;
use crate::model::finite::NotFinite;
use crate::optim::{Method, Optimizer, sgd::Sgd};

/// How a run trains: the optimizer and the batch size; any of it may
/// change between steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainerSettings {
    /// The learning rate and update rule.
    pub optimizer: Optimizer,
    /// Samples per step; `None` for full-batch gradient descent.
    pub batch_size: Option<usize>,
}

impl Default for TrainerSettings {
    fn default() -> Self {
        Self::sgd(
            defaults::LEARNING_RATE,
            defaults::BATCH_SIZE,
            defaults::MOMENTUM,
        )
    }
}

impl TrainerSettings {
    /// Heavy-ball SGD with learning rate η, momentum β and this batch size
    /// (`None`: full batch).
    pub const fn sgd(learning_rate: f64, batch_size: Option<usize>, momentum: f64) -> Self {
        Self {
            optimizer: Optimizer {
                learning_rate,
                method: Method::Sgd(Sgd { momentum }),
            },
            batch_size,
        }
    }

    /// The learning rate η.
    pub fn learning_rate(&self) -> f64 {
        self.optimizer.learning_rate
    }

    /// These settings at learning rate `eta`.
    pub fn with_learning_rate(mut self, eta: f64) -> Self {
        self.optimizer.learning_rate = eta;
        self
    }

    /// The momentum β of the update rule (None for a rule without one).
    pub fn momentum(&self) -> Option<f64> {
        self.optimizer.method.get("momentum")
    }
}

/// A configuration that breaks a rule; its field is the key a lesson file
/// uses (the command line and the panel name it their own way).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A number outside its rule.
    #[error("{field}: {error}")]
    Number {
        /// The field.
        field: &'static str,
        /// What was wrong.
        error: RuleError,
    },
    /// A count outside its range, or a list of the wrong length.
    #[error("{field}: {message}")]
    Count {
        /// The field.
        field: &'static str,
        /// What was expected and found.
        message: String,
    },
    /// Too large to show live (see [`defaults::MAX_WORK`]).
    #[error(
        "{samples} training samples × {params} parameters = {work:.1e} is more work than a live run can show (at most {max:.0e}: fewer samples or narrower layers; `curvscope analyze` takes larger problems)",
        work = *samples as f64 * *params as f64,
        max = defaults::MAX_WORK
    )]
    TooMuchWork {
        /// Training samples.
        samples: usize,
        /// Parameters.
        params: usize,
    },
}

impl ConfigError {
    /// The field it concerns (`None` for the run as a whole).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ConfigError::Number { field, .. } | ConfigError::Count { field, .. } => Some(field),
            ConfigError::TooMuchWork { .. } => None,
        }
    }

    /// What is wrong, without the field.
    pub fn message(&self) -> String {
        match self {
            ConfigError::Number { error, .. } => error.to_string(),
            ConfigError::Count { message, .. } => message.clone(),
            ConfigError::TooMuchWork { .. } => self.to_string(),
        }
    }
}

/// Why a session cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CannotStart {
    /// The loss or its gradient is not finite at the start.
    #[error(transparent)]
    NotFinite(#[from] NotFinite),
    /// Too much work for a live run (see [`SessionConfig::check_work`]).
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Everything a session is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// The data (a problem file brings its network and parameters too).
    pub data: DataSource,
    /// The network, on synthetic or CSV data (a problem file has its own).
    pub model: ModelSpec,
    /// The optimizer and batch size.
    pub settings: TrainerSettings,
    /// Seed of data, initialization, batch order and the random plane.
    pub seed: u64,
    /// Landscape grid points per side and half-width.
    pub grid: (usize, f64),
    /// The surface's plane.
    pub plane: PlaneKind,
    /// Number of top eigenvalues to track.
    pub top_k: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            data: DataSource::default(),
            model: ModelSpec::default(),
            settings: TrainerSettings::default(),
            seed: 0,
            grid: defaults::GRID,
            plane: PlaneKind::Eigen,
            top_k: defaults::TOP_K,
        }
    }
}

/// `Err` naming `field` unless `lo <= n <= hi`.
fn count(field: &'static str, n: usize, lo: usize, hi: usize) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&n) {
        Ok(())
    } else {
        Err(ConfigError::Count {
            field,
            message: format!("expected {lo} to {hi}, got {n}"),
        })
    }
}

impl SessionConfig {
    /// The network this configuration trains: the problem file's, or the
    /// model on the data's input and output widths.
    pub fn architecture(&self) -> Architecture {
        let (n_in, n_out) = match &self.data {
            DataSource::Problem(p) => return p.architecture.clone(),
            DataSource::Csv(c) => (c.features.len(), c.n_outputs),
            DataSource::Synthetic(s) => s.kind.widths(),
        };
        self.model.architecture(n_in, n_out)
    }

    /// The network's number of parameters.
    pub fn n_params(&self) -> usize {
        match &self.data {
            DataSource::Problem(p) => p.n_params(),
            _ => self.architecture().n_params(),
        }
    }

    /// The number of training samples.
    pub fn train_samples(&self) -> usize {
        self.data.train_samples()
    }

    /// Training samples × parameters: what one pass over the data costs
    /// (see [`defaults::MAX_WORK`]).
    pub fn work(&self) -> f64 {
        self.train_samples() as f64 * self.n_params() as f64
    }

    /// The one check of a configuration: every setting within its rule,
    /// and no more work than a live run can show. The command line, the
    /// lesson reader and the panel use it (a session itself refuses only
    /// too much work and a start that is not finite).
    pub fn check(&self) -> Result<(), ConfigError> {
        self.settings
            .optimizer
            .check()
            .map_err(|(field, error)| ConfigError::Number { field, error })?;
        if let Some(b) = self.settings.batch_size {
            count("batch_size", b, 1, usize::MAX)?;
        }
        if let DataSource::Synthetic(s) = &self.data {
            count("samples", s.samples.0, 1, defaults::MAX_SAMPLES)?;
            count("samples", s.samples.1, 0, defaults::MAX_SAMPLES)?;
            defaults::NOISE_RULE
                .check(s.noise)
                .map_err(|error| ConfigError::Number {
                    field: "noise",
                    error,
                })?;
        }
        if self.data.problem().is_none() {
            count(
                "hidden",
                self.model.hidden.len(),
                1,
                defaults::MAX_HIDDEN_LAYERS,
            )?;
            for &w in &self.model.hidden {
                count("hidden", w, 1, defaults::MAX_WIDTH)?;
            }
        }
        count("grid", self.grid.0, 2, defaults::MAX_GRID)?;
        defaults::RANGE_RULE
            .check(self.grid.1)
            .map_err(|error| ConfigError::Number {
                field: "range",
                error,
            })?;
        count("top_k", self.top_k, 1, defaults::MAX_TOP_K)?;
        self.check_work()
    }

    /// Refused when training samples × parameters exceed
    /// [`defaults::MAX_WORK`].
    pub fn check_work(&self) -> Result<(), ConfigError> {
        if self.work() > defaults::MAX_WORK {
            return Err(ConfigError::TooMuchWork {
                samples: self.train_samples(),
                params: self.n_params(),
            });
        }
        Ok(())
    }

    /// Whether a run of `other` starts at the same point of the same loss
    /// landscape (same network, training data and initialization): what
    /// twin runs need to share one plane ([`PlaneKind::Shared`]). Only the
    /// optimizer, the plane's grid and the tracked eigenvalues may differ.
    pub fn same_landscape(&self, other: &SessionConfig) -> bool {
        if !self.data.same_as(&other.data) {
            return false;
        }
        // A problem file fixes the network and the start; otherwise the
        // model and the seed (which draws the initialization) decide.
        self.data.problem().is_some() || (&self.model, self.seed) == (&other.model, other.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Synthetic;

    #[test]
    fn the_default_configuration_passes_its_check() {
        assert_eq!(SessionConfig::default().check(), Ok(()));
    }

    #[test]
    fn the_check_names_the_field() {
        let field = |c: SessionConfig| c.check().unwrap_err().field();
        let mut c = SessionConfig::default();
        c.settings.optimizer.learning_rate = 0.0;
        assert_eq!(field(c), Some("learning_rate"));
        let mut c = SessionConfig::default();
        c.settings.optimizer.method.set("momentum", 1.5);
        assert_eq!(field(c), Some("momentum"));
        let mut c = SessionConfig::default();
        c.settings.batch_size = Some(0);
        assert_eq!(field(c), Some("batch_size"));
        let mut c = SessionConfig::default();
        c.model.hidden = vec![16, 0];
        assert_eq!(field(c), Some("hidden"));
        let c = SessionConfig {
            data: DataSource::Synthetic(Synthetic {
                noise: f64::NAN,
                ..Synthetic::default()
            }),
            ..SessionConfig::default()
        };
        assert_eq!(field(c), Some("noise"));
        let c = SessionConfig {
            model: ModelSpec {
                hidden: vec![256, 256],
                ..ModelSpec::default()
            },
            data: DataSource::Synthetic(Synthetic {
                samples: (10_000, 0),
                ..Synthetic::default()
            }),
            ..SessionConfig::default()
        };
        let e = c.check().unwrap_err();
        assert_eq!(e.field(), None);
        assert!(
            e.to_string()
                .starts_with("10000 training samples × 66817 parameters = 6.7e8 is more work"),
            "{e}"
        );
    }

    #[test]
    fn twins_share_a_landscape_only_with_the_same_data_model_and_seed() {
        let a = SessionConfig::default();
        let mut b = a.clone();
        b.settings.optimizer.learning_rate = 0.5;
        b.grid = (8, 3.0);
        assert!(a.same_landscape(&b));
        b.seed = 1;
        assert!(!a.same_landscape(&b));
        let mut c = a.clone();
        c.data = DataSource::Synthetic(Synthetic {
            noise: 0.2,
            ..Synthetic::default()
        });
        assert!(!a.same_landscape(&c));
    }
}
