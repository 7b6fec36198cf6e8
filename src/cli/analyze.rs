//! `curvscope analyze`.

use anyhow::Context;
use clap::{Args, ValueEnum};
use curvscope_core::analysis::analyze::{AnalyzeOptions, DirectionChoice, SpectrumChoice, analyze};
use curvscope_core::io::fsutil::{check_writable, same_file, write_atomically};
use curvscope_core::io::problem::Problem;
use std::path::PathBuf;

/// Directions of the landscape plane.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Directions {
    /// The problem file's `directions`, exactly as given (default when present).
    File,
    /// The top two Hessian eigenvectors, unit norm (default otherwise).
    Eigen,
    /// Two filter-normalized random directions (Li et al. 2018), seeded by --seed.
    Random,
    /// The top eigenvector and a filter-normalized random direction orthogonal to it.
    EigenRandom,
    /// The top two principal directions of the problem file's `trajectory` (Li et al. 2018).
    Pca,
}

/// How the whole spectrum is computed.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Spectrum {
    /// Exact up to the dense limit (6000 parameters), slq above.
    Auto,
    /// All eigenvalues of the dense Hessian.
    Exact,
    /// Stochastic Lanczos quadrature (16 Rademacher probes x 80 steps, top 5 deflated).
    Slq,
}

/// Arguments of `curvscope analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Problem file (curvscope-problem/1 JSON).
    problem: PathBuf,
    /// Number of largest Hessian eigenvalues to compute (1 to the number of parameters).
    #[arg(long, default_value_t = 5)]
    top_k: usize,
    /// Grid points per side of the loss grid (2 to 1001).
    #[arg(long, default_value_t = 21)]
    grid: usize,
    /// Half-width R of the grid square [-R, R]² (0 < R ≤ 1e100).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    range: f64,
    /// Directions of the landscape plane.
    #[arg(long, value_enum)]
    directions: Option<Directions>,
    /// Seed of random directions, of the Lanczos start vector and of the spectrum's probes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also the whole Hessian spectrum as a density (without a value: auto).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "auto")]
    spectrum: Option<Spectrum>,
    /// Also each layer's Hessian block: its top eigenvalue and trace.
    #[arg(long)]
    per_layer: bool,
    /// Also the 1D views: the loss along each top eigenvector with its
    /// quadratic model, and from the trajectory's first point to the params.
    #[arg(long)]
    lines: bool,
    /// Also write the full result (curvscope-analysis/1) to this JSON file.
    #[arg(long, value_name = "OUT.json")]
    json: Option<PathBuf>,
}

/// Runs `analyze`.
pub fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    let shown = args.problem.display().to_string();
    if let Some(out) = &args.json {
        // Refused before any work: overwriting the input, or a path that
        // cannot take the result.
        if same_file(out, &args.problem) {
            anyhow::bail!(
                "--json {}: that is the problem file itself; choose another name",
                out.display()
            );
        }
        check_writable(out).with_context(|| format!("--json: cannot write {}", out.display()))?;
    }
    let problem = Problem::load(&args.problem).with_context(|| shown.clone())?;
    let name = args
        .problem
        .file_name()
        .map_or(shown.clone(), |n| n.to_string_lossy().into_owned());
    let opts = AnalyzeOptions {
        top_k: args.top_k,
        grid: args.grid,
        range: args.range,
        directions: args.directions.map(|d| match d {
            Directions::File => DirectionChoice::File,
            Directions::Eigen => DirectionChoice::Eigen,
            Directions::Random => DirectionChoice::Random,
            Directions::EigenRandom => DirectionChoice::EigenRandom,
            Directions::Pca => DirectionChoice::Pca,
        }),
        seed: args.seed,
        spectrum: args.spectrum.map(|s| match s {
            Spectrum::Auto => SpectrumChoice::Auto,
            Spectrum::Exact => SpectrumChoice::Exact,
            Spectrum::Slq => SpectrumChoice::Slq,
        }),
        per_layer: args.per_layer,
        lines: args.lines,
    };
    let report = analyze(&problem, &name, &opts).with_context(|| shown.clone())?;
    println!("{}", report.summary());
    if let Some(out) = &args.json {
        let text = serde_json::to_string_pretty(&report).context("serializing the result")?;
        write_atomically(out, text.as_bytes())
            .with_context(|| format!("{shown}: cannot write {}", out.display()))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
