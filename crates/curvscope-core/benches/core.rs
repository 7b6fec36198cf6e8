//! Criterion benchmarks of the numerical core: the operations `curvscope bench`
//! times, on the bundled sample problems (`sine`, `moons`, `spiral3`) and the
//! ~20k-parameter 2-140-140-1 network (`wide`, 10 samples instead of 100).
//!
//! - `grid_51x51/<problem>`: slice set-up and the 51×51 loss grid along the
//!   problem's directions;
//! - `eigen_top5_min/<problem>`: Hessian operator build and Lanczos for the
//!   top-5 and smallest eigenvalues;
//! - `hvp/<problem>`: one Hessian-vector product on a built operator;
//! - `exact_trace/<problem>`: the exact trace (left out where `trace_for`
//!   would use Hutchinson instead);
//! - `hutchinson100/<problem>`: Hutchinson's estimate with 100 probes.
//!
//! Run with `cargo bench --bench core`; filter by name with e.g.
//! `cargo bench --bench core -- grid` or `cargo bench --bench core -- sine`.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_main};
use curvscope_core::analysis::bench::BENCH_GRID;
use curvscope_core::analysis::samples::SAMPLE_PROBLEMS;
use curvscope_core::analysis::samples::wide_benchmark_problem;
use curvscope_core::contiguous::Flat;
use curvscope_core::curvature::hvp::HessianOperator;
use curvscope_core::curvature::lanczos::{LanczosOptions, lanczos};
use curvscope_core::curvature::trace::trace_for;
use curvscope_core::curvature::trace::{TraceMethod, hutchinson};
use curvscope_core::io::problem::Problem;
use curvscope_core::landscape::grid::{Slice, grid_coordinates};
use curvscope_core::model::objective::Objective;
use ndarray::Array1;
use std::hint::black_box;
use std::time::Duration;

/// Samples per benchmark of the wide network (its grid takes ~1 s).
const WIDE_SAMPLES: usize = 10;

/// A benchmarked problem with its objective.
struct Case {
    name: String,
    problem: Problem,
    objective: Objective,
    wide: bool,
}

impl Case {
    fn new(name: &str, problem: Problem, wide: bool) -> Self {
        let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
        Self {
            name: name.to_string(),
            problem,
            objective,
            wide,
        }
    }

    fn theta(&self) -> &[f64] {
        self.problem.params.flat()
    }

    fn hessian(&self) -> HessianOperator<'_> {
        self.objective.hessian_at(self.theta())
    }

    /// The problem's two slice directions.
    fn directions(&self) -> (&Array1<f64>, &Array1<f64>) {
        match self.problem.directions.as_deref() {
            Some([d0, d1, ..]) => (d0, d1),
            _ => panic!("{}: benchmark problems carry two directions", self.name),
        }
    }
}

/// The sample problems, then the wide network (last, since it lowers its
/// group's sample size for the benchmarks that follow).
fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = SAMPLE_PROBLEMS
        .iter()
        .map(|(file, json)| {
            let problem = Problem::from_json_str(json).unwrap_or_else(|e| panic!("{file}: {e}"));
            Case::new(file.trim_end_matches(".json"), problem, false)
        })
        .collect();
    cases.push(Case::new("wide", wide_benchmark_problem(0), true));
    cases
}

/// Group `name`, in which `bench` adds `name/<problem>` for each case.
fn group(
    c: &mut Criterion,
    name: &str,
    cases: &[Case],
    mut bench: impl FnMut(&mut BenchmarkGroup<'_, WallTime>, BenchmarkId, &Case),
) {
    let mut group = c.benchmark_group(name);
    for case in cases {
        if case.wide {
            group.sample_size(WIDE_SAMPLES);
        }
        bench(&mut group, BenchmarkId::from_parameter(&case.name), case);
    }
    group.finish();
}

fn core(c: &mut Criterion) {
    let cases = cases();

    let alphas = grid_coordinates(BENCH_GRID, 1.0);
    group(c, "grid_51x51", &cases, |g, id, case| {
        let (d0, d1) = case.directions();
        let theta = case.problem.params.view();
        g.bench_function(id, |b| {
            b.iter(|| {
                Slice::new(&case.objective, theta, d0.view(), d1.view()).grid(&alphas, &alphas)
            })
        });
    });

    let opts = LanczosOptions {
        top_k: 5,
        ..Default::default()
    };
    group(c, "eigen_top5_min", &cases, |g, id, case| {
        g.bench_function(id, |b| b.iter(|| lanczos(&case.hessian(), &opts, &[])));
    });

    group(c, "hvp", &cases, |g, id, case| {
        let op = case.hessian();
        let v = case.directions().0;
        g.bench_function(id, |b| b.iter(|| op.hvp(black_box(v.view()))));
    });

    group(c, "exact_trace", &cases, |g, id, case| {
        let op = case.hessian();
        if trace_for(&op, 0).method == TraceMethod::Exact {
            g.bench_function(id, |b| b.iter(|| trace_for(&op, 0)));
        }
    });

    group(c, "hutchinson100", &cases, |g, id, case| {
        let op = case.hessian();
        g.bench_function(id, |b| b.iter(|| hutchinson(&op, 100, 0)));
    });
}

/// Runs the `core` benchmarks with the command line's options: what
/// `criterion_group!` would write, written out because the macro's `pub fn`
/// has no doc comment, which `missing_docs` (`[workspace.lints]`) refuses.
fn benches() {
    // Short warm-up and measurement keep a full run to about two minutes;
    // `--warm-up-time` and `--measurement-time` override them.
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    core(&mut criterion);
}
criterion_main!(benches);
