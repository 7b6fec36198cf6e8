//! `curvscope bench`.

use anyhow::Context;
use clap::Args;
use curvscope_core::analysis::bench::{
    BenchReport, LIVE_SPEED, bench_live, bench_problem, bench_spectrum, gemm_backend, gemm_gflops,
    library_matmul_gflops,
};
use curvscope_core::analysis::samples::SAMPLE_PROBLEMS;
use curvscope_core::analysis::samples::wide_benchmark_problem;
use curvscope_core::defaults;
use curvscope_core::io::fsutil::{check_writable, write_atomically};
use curvscope_core::io::problem::Problem;
use curvscope_core::kernels::isa;
use std::path::PathBuf;

/// Seconds the live run is timed for.
const LIVE_SECONDS: f64 = 4.0;

/// Arguments of `curvscope bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Problem files to time (default: the bundled samples and a ~20k-parameter network).
    problems: Vec<PathBuf>,
    /// Timed runs per median.
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Leave out the ~20k-parameter network (it takes a few seconds a run).
    #[arg(long)]
    no_wide: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "OUT.json")]
    json: Option<PathBuf>,
    /// Write the ~20k-parameter benchmark problem to this file and exit
    /// (to time other tools on exactly the same problem).
    #[arg(long, value_name = "FILE.json")]
    save_wide: Option<PathBuf>,
}

/// Runs `bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.save_wide {
        wide_benchmark_problem(0).save(path)?;
        println!("wrote {}", path.display());
        return Ok(());
    }
    if args.runs == 0 {
        anyhow::bail!("--runs: expected at least 1, got 0");
    }
    if let Some(out) = &args.json {
        check_writable(out).with_context(|| format!("--json: cannot write {}", out.display()))?;
    }
    let mut problems: Vec<(String, Problem)> = Vec::new();
    if args.problems.is_empty() {
        for (name, text) in SAMPLE_PROBLEMS {
            problems.push((
                name.to_string(),
                Problem::from_json_str(text).with_context(|| name.to_string())?,
            ));
        }
        if !args.no_wide {
            problems.push(("wide-2-140-140-1".into(), wide_benchmark_problem(0)));
        }
    }
    for path in &args.problems {
        let shown = path.display().to_string();
        let problem = Problem::load(path).with_context(|| shown.clone())?;
        let name = path
            .file_name()
            .map_or(shown, |n| n.to_string_lossy().into_owned());
        problems.push((name, problem));
    }
    let library = library_matmul_gflops(args.runs);
    let (gemm, kernel) = (gemm_gflops(args.runs, false), gemm_gflops(args.runs, true));
    let mut rows = Vec::new();
    for (name, problem) in &problems {
        eprintln!("timing {name} ...");
        rows.push(bench_problem(name, problem, args.runs));
    }
    eprintln!("timing the live session ...");
    let live = bench_live(LIVE_SPEED, LIVE_SECONDS);
    let live_full_speed = bench_live(defaults::MAX_SPEED, LIVE_SECONDS);
    eprintln!("timing the whole-curvature readouts ...");
    let spectrum = bench_spectrum(args.runs);
    let report = BenchReport {
        live,
        live_full_speed,
        spectrum,
        threads: rayon::current_num_threads(),
        isa: isa().name(),
        gemm_backend: gemm_backend().name(),
        gemm_gflops: gemm,
        runs: args.runs,
        library_matmul_gflops: library,
        kernel_matmul_gflops: kernel,
        rows,
    };
    print!("{}", report.table());
    if let Some(out) = &args.json {
        let text = serde_json::to_string_pretty(&report).context("serializing the report")?;
        write_atomically(out, text.as_bytes())
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}
