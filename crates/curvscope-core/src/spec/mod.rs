//! The types that describe a run, so that a run's description cannot be
//! wrong: where its data comes from ([`DataSource`]), the network it builds
//! ([`ModelSpec`]), how it trains ([`TrainerSettings`]: the optimizer and the
//! batch size), and all of it together ([`SessionConfig`]), with the one
//! check of a configuration ([`SessionConfig::check`]) that the command
//! line, the lesson reader and the panel use.

mod data;
mod model;
mod run;

pub use data::{DataSource, Synthetic};
pub use model::ModelSpec;
pub use run::{CannotStart, ConfigError, SessionConfig, TrainerSettings};
