//! Command-line interface: argument definitions and dispatch.

mod analyze;
mod app;
mod bench;
mod data;
mod export_safetensors;
mod import;
mod record;
mod window;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use curvscope_core::io::fsutil::check_writable;

/// curvscope: exact float64 curvature and loss landscapes of small networks.
/// Without a command it opens the live app.
#[derive(Debug, Parser)]
#[command(name = "curvscope", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    app: app::AppArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Loss, gradient, Hessian eigenvalues, trace and a loss grid of a problem file.
    Analyze(analyze::AnalyzeArgs),
    /// Time the core operations (grid, eigenvalues, trace) and print a table.
    Bench(bench::BenchArgs),
    /// Run the app in a window for some frames, save a PNG of it, and exit.
    Screenshot(app::ScreenshotArgs),
    /// Render a lesson (or a run) frame by frame into a video: .mp4, .gif or PNG frames.
    Record(record::RecordArgs),
    /// Turn a PyTorch MLP (safetensors) and a CSV file into a problem file.
    Import(import::ImportArgs),
    /// Write a problem file's network as a PyTorch-loadable safetensors file.
    ExportSafetensors(export_safetensors::ExportArgs),
}

/// Runs the parsed command.
/// Refuses an `--out` that is one of the `inputs` or cannot be written,
/// before any work.
pub fn check_output<'a>(
    out: &std::path::Path,
    inputs: impl IntoIterator<Item = &'a std::path::PathBuf>,
) -> anyhow::Result<()> {
    for input in inputs {
        if curvscope_core::io::fsutil::same_file(out, input) {
            anyhow::bail!(
                "--out {}: that is an input file; choose another name",
                out.display()
            );
        }
    }
    check_writable(out).with_context(|| format!("--out: cannot write {}", out.display()))
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    // A bad CURVSCOPE_SIMD is an error here, not a silent fallback later.
    curvscope_core::kernels::Isa::requested()?;
    // Start the worker threads now, so that no timed step pays for it.
    rayon::broadcast(|_| ());
    match cli.command {
        Some(Command::Analyze(a)) => analyze::run(a),
        Some(Command::Bench(b)) => bench::run(b),
        Some(Command::Record(r)) => record::run(r),
        Some(Command::Import(i)) => import::run(i),
        Some(Command::ExportSafetensors(e)) => export_safetensors::run(e),
        Some(Command::Screenshot(s)) => {
            let options = s.options()?;
            // Refused before any window: a path that cannot take the picture.
            check_writable(s.out())
                .with_context(|| format!("--out: cannot write {}", s.out().display()))?;
            let runner = options.runner()?;
            let outcome = options
                .screenshot
                .as_ref()
                .map(|r| r.outcome.clone())
                .unwrap_or_default();
            let exit = window::with_window(|| curvscope::app::run(options, runner))?;
            match outcome.lock().unwrap_or_else(|e| e.into_inner()).take() {
                Some(Ok(())) => {
                    println!("wrote {}", s.out().display());
                    Ok(())
                }
                Some(Err(e)) => Err(e.into()),
                None => anyhow::bail!(
                    "the app stopped before the screenshot was saved ({exit:?}); {} is unchanged",
                    s.out().display()
                ),
            }
        }
        None => {
            let options = cli.app.options()?;
            let runner = options.runner()?;
            let exit = window::with_window(|| curvscope::app::run(options, runner))?;
            if exit.is_success() {
                Ok(())
            } else {
                anyhow::bail!("the app stopped with {exit:?}")
            }
        }
    }
}
