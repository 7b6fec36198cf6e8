//! Command-line interface: argument definitions and dispatch.

mod analyze;
mod bench;

use clap::{Parser, Subcommand};

/// curvscope: exact float64 curvature and loss landscapes of small networks.
#[derive(Debug, Parser)]
#[command(name = "curvscope", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Loss, gradient, Hessian eigenvalues, trace and a loss grid of a problem file.
    Analyze(analyze::AnalyzeArgs),
    /// Time the core operations (grid, eigenvalues, trace) and print a table.
    Bench(bench::BenchArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // Start the worker threads now, so that no timed step pays for it.
    rayon::broadcast(|_| ());
    match cli.command {
        Command::Analyze(a) => analyze::run(a),
        Command::Bench(b) => bench::run(b),
    }
}
