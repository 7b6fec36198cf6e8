//! `curvscope analyze`: everything about one problem at its parameters, as the
//! JSON result of `docs/analysis-format.md`.

use crate::analysis::memory;
use crate::contiguous::Flat;
use crate::curvature::condition::condition_number;
use crate::curvature::lanczos::{LanczosOptions, LanczosResult, lanczos};
use crate::curvature::trace::trace_for;
use crate::io::problem::Problem;
use crate::landscape::directions::{RandomScaling, orthogonalize, random_direction};
use crate::landscape::grid::{Slice, grid_coordinates};
use crate::model::finite::{NotFinite, check_finite};
use crate::model::objective::Objective;
use ndarray::Array1;
use rand::SeedableRng;
use serde::Serialize;
use std::time::Instant;

/// The `format` tag of analysis results.
pub const ANALYSIS_FORMAT: &str = "curvscope-analysis/1";

/// Largest grid side accepted (the grid holds side² losses).
pub const MAX_GRID: usize = 1001;

/// Largest half-width accepted: beyond it the coordinates themselves lose
/// meaning (any network's loss overflows long before).
pub const MAX_RANGE: f64 = 1e100;

/// Which two directions span the landscape plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectionChoice {
    /// The problem file's `directions`, used exactly as given.
    File,
    /// The top two Hessian eigenvectors (unit norm).
    Eigen,
    /// Two filter-normalized random directions.
    Random,
    /// The top eigenvector and a filter-normalized random direction made
    /// orthogonal to it.
    EigenRandom,
}

impl DirectionChoice {
    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            DirectionChoice::File => "file",
            DirectionChoice::Eigen => "eigen",
            DirectionChoice::Random => "random",
            DirectionChoice::EigenRandom => "eigen-random",
        }
    }
}

/// Settings of one analysis.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Number of largest eigenvalues to report.
    pub top_k: usize,
    /// Grid points per side (≥ 2).
    pub grid: usize,
    /// Half-width R of the grid square [-R, R]².
    pub range: f64,
    /// Directions; `None` means `file` when the problem has them, else `eigen`.
    pub directions: Option<DirectionChoice>,
    /// Seed of random directions and of the Lanczos start vector.
    pub seed: u64,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            top_k: 5,
            grid: 21,
            range: 1.0,
            directions: None,
            seed: 0,
        }
    }
}

/// Why an analysis could not be done (the problem itself was valid).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// A setting is out of range for this problem.
    #[error("{option}: {message}")]
    Option {
        /// The command-line option, e.g. `--top-k`.
        option: &'static str,
        /// What was expected and what was given.
        message: String,
    },
    /// The loss or its gradient is not finite at the parameters.
    #[error(transparent)]
    NotFinite(#[from] NotFinite),
    /// The problem does not fit in the memory available.
    #[error(transparent)]
    TooLarge(#[from] memory::TooLarge),
    /// A computed quantity (eigenvalue, trace) is not finite.
    #[error(
        "the {what} is not finite ({value:e}): the Hessian overflows float64 at these parameters"
    )]
    ResultNotFinite {
        /// What: `largest eigenvalue`, `smallest eigenvalue`, `trace`, …
        what: &'static str,
        /// The value computed.
        value: f64,
    },
    /// The loss overflows somewhere on the grid.
    #[error(
        "the loss is not finite at grid point a = {a:e}, b = {b:e} (it overflows float64 there); use a smaller --range"
    )]
    GridNotFinite {
        /// Coordinate along the first direction.
        a: f64,
        /// Coordinate along the second direction.
        b: f64,
    },
}

/// The Hessian part of the result.
#[derive(Debug, Clone, Serialize)]
pub struct HessianReport {
    /// The largest eigenvalues, descending.
    pub top: Vec<f64>,
    /// The smallest eigenvalue (negative at a saddle).
    pub min: f64,
    /// The trace.
    pub trace: f64,
    /// `exact` or `hutchinson`.
    pub trace_method: &'static str,
    /// Standard error of the trace (0 when exact).
    pub trace_stderr: f64,
    /// λmax / (smallest positive λ among the computed eigenvalues: the top
    /// ones and the smallest, ignoring values below the rounding floor
    /// P·ε·λmax); `null` when none is positive. With only the extreme
    /// eigenvalues computed this is a lower bound of the full spectrum's.
    pub condition_number: Option<f64>,
    /// How the eigenvalues were computed.
    pub method: String,
    /// Eigenvectors of `top`, unit norm, sign rule of [`crate::curvature::dense::fix_sign`].
    #[serde(skip)]
    pub top_vectors: Vec<Array1<f64>>,
}

/// The grid part of the result.
#[derive(Debug, Clone, Serialize)]
pub struct GridReport {
    /// Points per side.
    pub n: usize,
    /// Half-width of the square.
    pub r: f64,
    /// Which directions were used.
    pub directions: &'static str,
    /// Coordinates along both axes.
    pub alphas: Vec<f64>,
    /// loss[i][j] = L(params + alphas[i] d0 + alphas[j] d1).
    pub loss: Vec<Vec<f64>>,
}

/// Wall-clock seconds of each part.
#[derive(Debug, Clone, Serialize)]
pub struct Seconds {
    /// Building the Hessian operator and the Lanczos run.
    pub hessian: f64,
    /// The trace (exact diagonal or Hutchinson).
    pub trace: f64,
    /// Choosing directions and sampling the grid.
    pub grid: f64,
}

/// The complete analysis result (`curvscope-analysis/1`).
#[derive(Debug, Clone, Serialize)]
pub struct AnalysisReport {
    /// Always [`ANALYSIS_FORMAT`].
    pub format: &'static str,
    /// The problem's file name.
    pub problem: String,
    /// Number of parameters.
    pub n_params: usize,
    /// Number of samples.
    pub n_samples: usize,
    /// L(params).
    pub loss: f64,
    /// ‖∇L(params)‖.
    pub grad_norm: f64,
    /// Curvature.
    pub hessian: HessianReport,
    /// The landscape grid.
    pub grid: GridReport,
    /// Timings.
    pub seconds: Seconds,
}

fn option_error(option: &'static str, message: String) -> AnalysisError {
    AnalysisError::Option { option, message }
}

/// Checks the settings against the problem before any work is done.
fn check_options(
    problem: &Problem,
    opts: &AnalyzeOptions,
) -> Result<DirectionChoice, AnalysisError> {
    let p = problem.n_params();
    if opts.top_k == 0 || opts.top_k > p {
        return Err(option_error(
            "--top-k",
            format!(
                "expected 1..={p} (the number of parameters), got {}",
                opts.top_k
            ),
        ));
    }
    if !(2..=MAX_GRID).contains(&opts.grid) {
        return Err(option_error(
            "--grid",
            format!("expected 2..={MAX_GRID} points per side, got {}", opts.grid),
        ));
    }
    if !(opts.range > 0.0 && opts.range <= MAX_RANGE) {
        return Err(option_error(
            "--range",
            format!(
                "expected a finite number in (0, {MAX_RANGE:e}], got {}",
                compact(opts.range)
            ),
        ));
    }
    let has_file = problem.directions.as_ref().is_some_and(|d| !d.is_empty());
    let choice = opts.directions.unwrap_or(if has_file {
        DirectionChoice::File
    } else {
        DirectionChoice::Eigen
    });
    if choice == DirectionChoice::File {
        let n = problem.directions.as_ref().map_or(0, |d| d.len());
        if n < 2 {
            return Err(option_error(
                "--directions",
                format!(
                    "`file` needs 2 directions in the problem file, it has {n}; use eigen, random or eigen-random"
                ),
            ));
        }
    }
    if choice == DirectionChoice::Eigen && p < 2 {
        return Err(option_error(
            "--directions",
            "`eigen` needs at least 2 parameters".into(),
        ));
    }
    Ok(choice)
}

/// The two slice directions.
fn choose_directions(
    problem: &Problem,
    choice: DirectionChoice,
    eig: &LanczosResult,
    seed: u64,
) -> (Array1<f64>, Array1<f64>) {
    let theta = problem.params.flat();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut random = || {
        random_direction(
            &problem.architecture,
            theta,
            RandomScaling::Filter,
            &mut rng,
        )
    };
    match choice {
        DirectionChoice::File => {
            let d = problem.directions.as_ref().expect("checked");
            (d[0].clone(), d[1].clone())
        }
        DirectionChoice::Eigen => (eig.top[0].vector.clone(), eig.top[1].vector.clone()),
        DirectionChoice::Random => (random(), random()),
        DirectionChoice::EigenRandom => {
            let top = eig.top[0].vector.clone();
            let r = orthogonalize(&random(), &top);
            (top, r)
        }
    }
}

/// Runs the whole analysis of `problem` (named `name` in the result).
pub fn analyze(
    problem: &Problem,
    name: &str,
    opts: &AnalyzeOptions,
) -> Result<AnalysisReport, AnalysisError> {
    let choice = check_options(problem, opts)?;
    let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
    let theta = problem.params.flat();

    let t0 = Instant::now();
    check_finite(&objective, &problem.data, theta)?;
    let op = objective.hessian_at(theta);
    let (loss, grad_norm) = (op.loss(), op.grad().dot(op.grad()).sqrt());
    // Eigen directions need two eigenvectors even when fewer values are asked for.
    let k = opts.top_k.max(if choice == DirectionChoice::Eigen {
        2
    } else {
        1
    });
    let defaults = LanczosOptions::default();
    let max_iter = memory::lanczos_steps(
        problem,
        (k + 20).min(problem.n_params()),
        defaults.max_iter,
        memory::available_bytes(),
    )?;
    let lz_opts = LanczosOptions {
        top_k: k,
        want_min: true,
        seed: opts.seed,
        max_iter,
        ..defaults
    };
    let eig = lanczos(&op, &lz_opts, &[]);
    let hessian_secs = t0.elapsed().as_secs_f64();
    let not_finite = |what, value: f64| {
        (!value.is_finite()).then_some(AnalysisError::ResultNotFinite { what, value })
    };
    if let Some(e) = eig
        .top
        .iter()
        .find_map(|p| not_finite("largest eigenvalues", p.value))
        .or_else(|| {
            eig.min
                .as_ref()
                .and_then(|p| not_finite("smallest eigenvalue", p.value))
        })
    {
        return Err(e);
    }

    let t1 = Instant::now();
    let trace = trace_for(&op, opts.seed);
    let trace_secs = t1.elapsed().as_secs_f64();
    if let Some(e) = not_finite("trace", trace.value)
        .or_else(|| not_finite("trace's standard error", trace.stderr))
    {
        return Err(e);
    }

    let t2 = Instant::now();
    let (d0, d1) = choose_directions(problem, choice, &eig, opts.seed);
    let alphas = grid_coordinates(opts.grid, opts.range);
    let slice = Slice::new(&objective, problem.params.view(), d0.view(), d1.view());
    let grid = slice.grid(&alphas, &alphas);
    let grid_secs = t2.elapsed().as_secs_f64();
    if let Some(((i, j), _)) = grid.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(AnalysisError::GridNotFinite {
            a: alphas[i],
            b: alphas[j],
        });
    }

    let top: Vec<f64> = eig.top.iter().take(opts.top_k).map(|p| p.value).collect();
    let min = eig.min.as_ref().map_or(f64::NAN, |p| p.value);
    let method = format!(
        "lanczos, full reorthogonalization, {} HVPs, residual {:.0e}{}",
        eig.products,
        eig.relative_residual,
        if eig.converged {
            String::new()
        } else if max_iter < defaults.max_iter {
            format!(" (not converged: the basis was capped at {max_iter} vectors to fit in memory)")
        } else {
            " (not converged)".to_string()
        }
    );
    Ok(AnalysisReport {
        format: ANALYSIS_FORMAT,
        problem: name.to_string(),
        n_params: problem.n_params(),
        n_samples: problem.n_samples(),
        loss,
        grad_norm,
        hessian: HessianReport {
            condition_number: condition_number(&top, min, problem.n_params()),
            top,
            min,
            trace: trace.value,
            trace_method: trace.method.name(),
            trace_stderr: trace.stderr,
            method,
            top_vectors: eig
                .top
                .iter()
                .take(opts.top_k)
                .map(|p| p.vector.clone())
                .collect(),
        },
        grid: GridReport {
            n: opts.grid,
            r: opts.range,
            directions: choice.name(),
            loss: grid.rows().into_iter().map(|r| r.to_vec()).collect(),
            alphas,
        },
        seconds: Seconds {
            hessian: hessian_secs,
            trace: trace_secs,
            grid: grid_secs,
        },
    })
}

/// A number in plain notation when short, scientific otherwise.
fn compact(x: f64) -> String {
    let plain = format!("{x}");
    if plain.len() <= 10 {
        plain
    } else {
        format!("{x:e}")
    }
}

impl AnalysisReport {
    /// A short human summary for the terminal.
    pub fn summary(&self) -> String {
        let h = &self.hessian;
        let top: Vec<String> = h.top.iter().map(|v| format!("{v:.6e}")).collect();
        let trace = match h.trace_method {
            "exact" => format!("{:.6e} (exact)", h.trace),
            _ => format!("{:.6e} ± {:.1e} (Hutchinson)", h.trace, h.trace_stderr),
        };
        let cond = h
            .condition_number
            .map_or("undefined (no positive eigenvalue)".into(), |c| {
                format!("{c:.4e}")
            });
        let g = &self.grid;
        let (lo, hi) = g
            .loss
            .iter()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        format!(
            "{name}: {p} parameters, {n} samples\n\
             loss        {loss:.10e}\n\
             grad norm   {gn:.6e}\n\
             top eigs    {top}\n\
             min eig     {min:.6e}{saddle}\n\
             trace       {trace}\n\
             condition   {cond} (λmax / smallest positive computed λ)\n\
             method      {method}\n\
             grid        {gn2}×{gn2} over [-{r}, {r}]², directions {dirs}: loss {lo:.4e} .. {hi:.4e}\n\
             seconds     hessian {hs:.4}, trace {ts:.4}, grid {gs:.4}",
            name = self.problem,
            p = self.n_params,
            n = self.n_samples,
            loss = self.loss,
            gn = self.grad_norm,
            top = top.join(", "),
            min = h.min,
            saddle = if h.min < 0.0 {
                "  (negative: a saddle direction)"
            } else {
                ""
            },
            method = h.method,
            gn2 = g.n,
            r = compact(g.r),
            dirs = g.directions,
            hs = self.seconds.hessian,
            ts = self.seconds.trace,
            gs = self.seconds.grid,
        )
    }
}
