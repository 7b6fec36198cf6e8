//! Options shared by the commands that read your own data: `--data` as a
//! synthetic set's name or a CSV file, column lists, losses, activations.

use clap::ValueEnum;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use curvscope_core::model::activation::Activation;
use curvscope_core::model::loss::LossKind;
use curvscope_core::model::synthetic::DataKind;
use std::path::PathBuf;

/// What `--data` names.
#[derive(Debug, Clone, PartialEq)]
pub enum DataArg {
    /// A synthetic data set.
    Kind(DataKind),
    /// A CSV file.
    Csv(PathBuf),
}

/// Parses `--data`: a synthetic set's name, or a path ending in `.csv` (or
/// naming an existing file).
pub fn data_arg(text: &str) -> Result<DataArg, String> {
    if let Some(kind) = DataKind::from_name(text) {
        return Ok(DataArg::Kind(kind));
    }
    let path = PathBuf::from(text);
    let csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if csv || path.is_file() {
        Ok(DataArg::Csv(path))
    } else {
        Err(format!(
            "expected one of {} or a CSV file (NAME.csv), got {text:?}",
            DataKind::ALL.map(DataKind::name).join(", ")
        ))
    }
}

/// A loss named on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum LossArg {
    /// Mean squared error; the target holds numbers.
    Mse,
    /// Binary cross-entropy on one logit; the target holds numbers in [0, 1].
    BceLogits,
    /// Softmax cross-entropy; the target holds class indices 0..K−1.
    SoftmaxCe,
}

/// The core's loss of a [`LossArg`].
pub fn loss(arg: LossArg) -> LossKind {
    match arg {
        LossArg::Mse => LossKind::Mse,
        LossArg::BceLogits => LossKind::BceLogits,
        LossArg::SoftmaxCe => LossKind::SoftmaxCe,
    }
}

/// Parses an activation's name (clap lists them in `--help` and errors).
pub fn activation() -> impl TypedValueParser<Value = Activation> {
    PossibleValuesParser::new(Activation::ALL.map(Activation::name))
        .map(|name| Activation::from_name(&name).expect("a listed name"))
}
