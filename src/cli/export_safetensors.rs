//! `curvscope export-safetensors`: a problem file's network back to a
//! PyTorch-loadable safetensors file.

use anyhow::Context as _;
use clap::Args;
use curvscope_core::contiguous::Flat as _;
use curvscope_core::io::problem::Problem;
use curvscope_core::io::safetensors::{self, Mlp};
use std::path::PathBuf;

/// Arguments of `curvscope export-safetensors`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The problem file (curvscope-problem/1 JSON).
    problem: PathBuf,
    /// The safetensors file to write (float64 tensors `0.weight`,
    /// `0.bias`, `2.weight`, ...: a Sequential's Linear layers).
    #[arg(long, value_name = "MODEL.safetensors")]
    out: PathBuf,
    /// Take the tensor names from this safetensors file (the one the
    /// problem was imported from), e.g. `net.0.weight`; its shapes must match.
    #[arg(long, value_name = "MODEL.safetensors")]
    like: Option<PathBuf>,
}

/// Runs `export-safetensors`.
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    super::check_output(
        &args.out,
        std::iter::once(&args.problem).chain(args.like.as_ref()),
    )?;
    let problem =
        Problem::load(&args.problem).with_context(|| args.problem.display().to_string())?;
    let arch = &problem.architecture;
    let names = match &args.like {
        None => safetensors::sequential_names(arch.n_layers()),
        Some(like) => {
            let model = Mlp::load(like, Some(arch.activation))?;
            if model.architecture.layers != arch.layers {
                anyhow::bail!(
                    "--like {}: its layers {:?} are not the problem's {:?}",
                    like.display(),
                    model.architecture.layers,
                    arch.layers
                );
            }
            model.names
        }
    };
    safetensors::save(arch, problem.params.flat(), &names, None, &args.out)?;
    println!(
        "wrote {}: layers {:?} {}, tensors {}",
        args.out.display(),
        arch.layers,
        arch.activation.name(),
        names
            .iter()
            .map(|n| format!("{n}.weight, {n}.bias"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
