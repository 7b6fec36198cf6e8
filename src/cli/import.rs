//! `curvscope import`: a PyTorch MLP (safetensors) and a CSV file into a
//! problem file.

use anyhow::Context as _;
use clap::Args;
use curvscope_core::contiguous::Flat as _;
use curvscope_core::io::csv_data::{CsvData, CsvSpec, Split};
use curvscope_core::io::import;
use curvscope_core::io::safetensors::Mlp;
use curvscope_core::model::activation::Activation;
use curvscope_core::model::objective::Objective;
use std::path::PathBuf;

use super::data::{LossArg, activation, loss};

/// Arguments of `curvscope import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The model: a PyTorch Sequential of Linear layers and activations,
    /// saved with safetensors (tensors `0.weight`, `0.bias`, `2.weight`, ...).
    model: PathBuf,
    /// The data: a CSV file with a header row.
    #[arg(long, value_name = "DATA.csv")]
    data: PathBuf,
    /// The target column; every other column is a feature, in file order.
    #[arg(long, value_name = "COLUMN")]
    target: String,
    /// The feature columns, in the model's input order (default: every
    /// column but the target).
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// The hidden activation (default: the file's metadata key `activation`).
    #[arg(long, value_parser = activation())]
    activation: Option<Activation>,
    /// The loss; the target column then follows the problem format's rule
    /// for it (default: chosen from the target and the model's outputs).
    #[arg(long, value_enum)]
    loss: Option<LossArg>,
    /// Standardize the features (default: the file's values as they are,
    /// the scale the model was trained on).
    #[arg(long)]
    standardize: bool,
    /// The problem file to write.
    #[arg(long, value_name = "PROBLEM.json")]
    out: PathBuf,
}

/// Runs `import`.
pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    super::check_output(&args.out, [&args.model, &args.data])?;
    let model = Mlp::load(&args.model, args.activation)?;
    let spec = CsvSpec {
        features: args.features,
        split: Split::Fraction(0.0),
        loss: args.loss.map(loss),
        standardize: args.standardize,
        ..CsvSpec::new(&args.data, &args.target)
    };
    let data = CsvData::load(spec)?;
    let problem = import::problem(model, &data).map_err(|e| {
        anyhow::anyhow!("{} with {}: {e}", args.model.display(), args.data.display())
    })?;
    problem
        .save(&args.out)
        .with_context(|| args.out.display().to_string())?;
    let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
    println!(
        "wrote {}: layers {:?} {}, {} on {} samples, {} parameters, loss {:.10e}",
        args.out.display(),
        problem.architecture.layers,
        problem.architecture.activation.name(),
        problem.loss.name(),
        problem.n_samples(),
        problem.n_params(),
        objective.loss(problem.params.flat())
    );
    if let Some(classes) = &data.classes {
        // The numbering the model's outputs are read with.
        let numbered: Vec<String> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = {i}"))
            .collect();
        println!("classes {}", numbered.join(", "));
    }
    Ok(())
}
