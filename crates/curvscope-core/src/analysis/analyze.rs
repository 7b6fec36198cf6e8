//! `curvscope analyze`: everything about one problem at its parameters, as the
//! JSON result of `docs/analysis-format.md`.

use crate::analysis::memory;
use crate::contiguous::Flat;
use crate::curvature::condition::condition_number;
use crate::curvature::hvp::MAX_DENSE_PARAMS;
use crate::curvature::lanczos::{LanczosOptions, LanczosResult, lanczos};
use crate::curvature::layers::{LayerCurvature, per_layer};
use crate::curvature::spectrum::{
    Spectrum, SpectrumError, SpectrumMethod, SpectrumOptions, exact_spectrum, slq_spectrum,
};
use crate::curvature::trace::trace_for;
use crate::io::problem::Problem;
use crate::landscape::directions::{RandomScaling, orthogonalize, random_direction};
use crate::landscape::grid::{Slice, grid_coordinates};
use crate::landscape::lines::{HOLDS_WITHIN, eigen_line, interpolation_line};
use crate::landscape::pca::{PcaPlane, pca_plane};
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
    /// The top two principal directions of the problem file's `trajectory`
    /// around `params` (unit norm).
    Pca,
}

impl DirectionChoice {
    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            DirectionChoice::File => "file",
            DirectionChoice::Eigen => "eigen",
            DirectionChoice::Random => "random",
            DirectionChoice::EigenRandom => "eigen-random",
            DirectionChoice::Pca => "pca",
        }
    }
}

/// Which spectrum `analyze` computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpectrumChoice {
    /// Exact up to [`MAX_DENSE_PARAMS`] parameters, SLQ above.
    Auto,
    /// All eigenvalues of the dense Hessian.
    Exact,
    /// Stochastic Lanczos quadrature.
    Slq,
}

impl SpectrumChoice {
    /// The method for a network of `params` parameters.
    pub fn method(self, params: usize) -> SpectrumMethod {
        match self {
            SpectrumChoice::Exact => SpectrumMethod::Exact,
            SpectrumChoice::Slq => SpectrumMethod::Slq,
            SpectrumChoice::Auto if params <= MAX_DENSE_PARAMS => SpectrumMethod::Exact,
            SpectrumChoice::Auto => SpectrumMethod::Slq,
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
    /// Seed of random directions, of the Lanczos start vector and of the
    /// spectrum's probes.
    pub seed: u64,
    /// The whole spectrum too, if asked for.
    pub spectrum: Option<SpectrumChoice>,
    /// Each layer's block top eigenvalue and trace too.
    pub per_layer: bool,
    /// The 1D views too: the line from the trajectory's first point, and
    /// the top eigenvector lines with their quadratic models.
    pub lines: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            top_k: 5,
            grid: 21,
            range: 1.0,
            directions: None,
            seed: 0,
            spectrum: None,
            per_layer: false,
            lines: false,
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
    /// The spectrum failed (eigensolver, overflow).
    #[error(transparent)]
    Spectrum(#[from] SpectrumError),
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
    /// `loss[i][j] = L(params + alphas[i] d0 + alphas[j] d1)`.
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
    /// The per-layer blocks, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_layer: Option<f64>,
    /// The 1D views, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<f64>,
}

/// The `spectrum` part of the result (see `docs/analysis-format.md`).
#[derive(Debug, Clone, Serialize)]
pub struct SpectrumReport {
    /// `exact` or `slq`.
    pub method: &'static str,
    /// All eigenvalues, ascending (exact only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eigenvalues: Option<Vec<f64>>,
    /// The ascending grid of λ.
    pub lambda: Vec<f64>,
    /// The smoothed density on `lambda`, outliers included (∫ = 1).
    pub density: Vec<f64>,
    /// `density` ∓ one standard error over the probes (equal for exact).
    pub density_low: Vec<f64>,
    /// See `density_low`.
    pub density_high: Vec<f64>,
    /// The largest eigenvalues, descending, drawn as separate points.
    pub outliers: Vec<f64>,
    /// Rademacher probes (0 for exact).
    pub probes: usize,
    /// Lanczos steps per probe (0 for exact).
    pub steps: usize,
    /// The Gaussian broadening σ.
    pub sigma: f64,
    /// tr(H)/P from the spectrum ...
    pub mean: f64,
    /// ... and its standard error (0 for exact).
    pub mean_stderr: f64,
    /// ‖H‖²_F / P = tr(H²)/P from the spectrum ...
    pub mean_square: f64,
    /// ... and its standard error (0 for exact).
    pub mean_square_stderr: f64,
    /// Hessian-vector products used.
    pub products: usize,
    /// Wall-clock seconds (the Hessian operator is shared and not counted).
    pub seconds: f64,
}

impl SpectrumReport {
    fn new(s: Spectrum, seconds: f64) -> Self {
        let ((mean, mean_stderr), (mean_square, mean_square_stderr)) = (s.moment(1), s.moment(2));
        Self {
            method: s.method.name(),
            eigenvalues: s.eigenvalues,
            lambda: s.lambda,
            density: s.density,
            density_low: s.density_low,
            density_high: s.density_high,
            outliers: s.outliers,
            probes: s.probes,
            steps: s.steps,
            sigma: s.sigma,
            mean,
            mean_stderr,
            mean_square,
            mean_square_stderr,
            products: s.products,
            seconds,
        }
    }
}

/// A loss along a line: `loss[i] = L(origin + alphas[i]·direction)`
/// (`null` where it is not finite).
#[derive(Debug, Clone, Serialize)]
pub struct LineReport {
    /// Coordinates along the line.
    pub alphas: Vec<f64>,
    /// The loss at each.
    pub loss: Vec<f64>,
}

/// One eigenvector line of the `lines` part.
#[derive(Debug, Clone, Serialize)]
pub struct EigenLineReport {
    /// The eigenvalue λ (of the unit eigenvector v).
    pub lambda: f64,
    /// The slope g·v of the loss along v at params.
    pub slope: f64,
    /// L(params + a·v) over [-range, range].
    pub line: LineReport,
    /// The quadratic model L + (g·v)·a + ½λa² at the same a.
    pub model: Vec<f64>,
    /// The largest |a| up to which the model misses the loss by at most
    /// [`HOLDS_WITHIN`] of its change from params (probed down to
    /// range/4096).
    pub holds_to: f64,
}

/// The `lines` part of the result, with `--lines` (the app's 1D views).
#[derive(Debug, Clone, Serialize)]
pub struct LinesReport {
    /// The loss from the trajectory's first point (a = 0) to params
    /// (a = 1), over [-0.5, 1.5]; absent without a trajectory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpolation: Option<LineReport>,
    /// Along each of the top_k eigenvectors, largest first.
    pub eigen: Vec<EigenLineReport>,
    /// The share of the loss's change the model may miss by and still
    /// "hold" ([`HOLDS_WITHIN`]).
    pub holds_within: f64,
}

/// The `pca` part of the result, with `--directions pca`.
#[derive(Debug, Clone, Serialize)]
pub struct PcaReport {
    /// Points of the trajectory.
    pub points: usize,
    /// Share of Σ‖θ_t − params‖² along each direction.
    pub explained: [f64; 2],
    /// Largest distance of a trajectory point from the plane.
    pub max_off_plane: f64,
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
    /// The whole spectrum, with `--spectrum`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spectrum: Option<SpectrumReport>,
    /// Each layer's block, in order, with `--per-layer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_layer: Option<Vec<LayerCurvature>>,
    /// The PCA plane, with `--directions pca`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pca: Option<PcaReport>,
    /// The 1D views, with `--lines`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<LinesReport>,
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
    if choice == DirectionChoice::Pca && problem.trajectory.as_ref().is_none_or(|t| t.is_empty()) {
        return Err(option_error(
            "--directions",
            "`pca` needs a `trajectory` (recorded parameter vectors) in the problem file, and it has none; use file, eigen, random or eigen-random".into(),
        ));
    }
    if opts
        .spectrum
        .is_some_and(|c| c.method(p) == SpectrumMethod::Exact)
        && p > MAX_DENSE_PARAMS
    {
        return Err(option_error(
            "--spectrum",
            format!(
                "`exact` needs the dense Hessian, limited to {MAX_DENSE_PARAMS} parameters; this problem has {p}; use slq"
            ),
        ));
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
    pca: Option<&PcaPlane>,
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
        DirectionChoice::Pca => {
            let [d0, d1] = &pca.expect("computed for pca").plane.directions;
            (d0.clone(), d1.clone())
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

    let spectrum = match opts.spectrum {
        Some(c) => Some(spectrum(
            problem,
            &op,
            c.method(problem.n_params()),
            opts.seed,
        )?),
        None => None,
    };

    let t_layers = Instant::now();
    let layers = opts.per_layer.then(|| per_layer(&op, max_iter, opts.seed));
    let layers_secs = opts.per_layer.then(|| t_layers.elapsed().as_secs_f64());
    if let Some(e) = layers.iter().flatten().find_map(|l| {
        not_finite("largest eigenvalue of a layer block", l.top)
            .or_else(|| not_finite("trace of a layer block", l.trace))
    }) {
        return Err(e);
    }

    let t2 = Instant::now();
    let pca = match (choice, &problem.trajectory) {
        (DirectionChoice::Pca, Some(path)) => Some(
            pca_plane(path, problem.params.view())
                .map_err(|e| option_error("--directions", format!("`pca`: {e}")))?,
        ),
        _ => None,
    };
    let (d0, d1) = choose_directions(problem, choice, &eig, pca.as_ref(), opts.seed);
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

    let t_lines = Instant::now();
    let lines = opts.lines.then(|| {
        let params = problem.params.view();
        let eigen = eig
            .top
            .iter()
            .take(opts.top_k)
            .map(|p| {
                let line = eigen_line(
                    &objective,
                    params,
                    (op.loss(), op.grad().view()),
                    (p.value, p.vector.view()),
                    opts.range,
                );
                EigenLineReport {
                    lambda: line.lambda,
                    slope: line.slope,
                    model: line.line.alphas.iter().map(|&a| line.model(a)).collect(),
                    holds_to: line.model_holds_to(HOLDS_WITHIN),
                    line: LineReport {
                        alphas: line.line.alphas,
                        loss: line.line.loss,
                    },
                }
            })
            .collect();
        let interpolation = problem
            .trajectory
            .as_ref()
            .and_then(|t| t.first())
            .map(|start| {
                let line = interpolation_line(&objective, start.view(), params);
                LineReport {
                    alphas: line.alphas,
                    loss: line.loss,
                }
            });
        LinesReport {
            interpolation,
            eigen,
            holds_within: HOLDS_WITHIN,
        }
    });
    let lines_secs = opts.lines.then(|| t_lines.elapsed().as_secs_f64());

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
        spectrum,
        per_layer: layers,
        pca: pca.map(|p| PcaReport {
            points: problem.trajectory.as_ref().map_or(0, Vec::len),
            explained: p.explained,
            max_off_plane: p.max_off_plane,
        }),
        lines,
        seconds: Seconds {
            hessian: hessian_secs,
            trace: trace_secs,
            grid: grid_secs,
            per_layer: layers_secs,
            lines: lines_secs,
        },
    })
}

/// The spectrum by `method`, with the default settings; SLQ's Lanczos
/// bases (steps and outliers) capped to the memory available.
fn spectrum(
    problem: &Problem,
    op: &crate::curvature::hvp::HessianOperator,
    method: SpectrumMethod,
    seed: u64,
) -> Result<SpectrumReport, AnalysisError> {
    let t = Instant::now();
    let defaults = SpectrumOptions::default();
    let p = problem.n_params();
    let s = match method {
        SpectrumMethod::Exact => {
            // The dense Hessian, its symmetrized copy and the solver's two.
            let needed = 4 * 8 * (p as u64) * (p as u64) + memory::pass_bytes(problem);
            let available = memory::available_bytes();
            if needed > available / 2 {
                return Err(memory::TooLarge {
                    needed: 2 * needed,
                    available,
                    what: format!("the dense {p} × {p} Hessian of the exact spectrum"),
                }
                .into());
            }
            exact_spectrum(op, &SpectrumOptions { seed, ..defaults })?
        }
        SpectrumMethod::Slq => {
            let k = defaults.outliers.min(p - 1);
            let most = (defaults.steps + k).min(p);
            let available = memory::available_bytes();
            let fit = memory::lanczos_steps(problem, k + 2, most, available)?;
            let outlier_steps =
                memory::lanczos_steps(problem, k + 2, defaults.outlier_steps, available)?;
            let opts = SpectrumOptions {
                steps: fit - k,
                outlier_steps,
                seed,
                ..defaults
            };
            slq_spectrum(op, &opts)?
        }
    };
    Ok(SpectrumReport::new(s, t.elapsed().as_secs_f64()))
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
        let mut text = format!(
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
        );
        if let Some(pca) = &self.pca {
            text += &format!(
                "\npca plane   {} trajectory points; explained {:.4}, {:.4}; largest off-plane distance {:.4e}",
                pca.points, pca.explained[0], pca.explained[1], pca.max_off_plane
            );
        }
        if let Some(lines) = &self.lines {
            let holds: Vec<String> = lines
                .eigen
                .iter()
                .enumerate()
                .map(|(k, e)| format!("v{} |a| <= {:.4e}", k + 1, e.holds_to))
                .collect();
            text += &format!(
                "\nlines       quadratic model within {:.0}% of the change along {}{}",
                100.0 * lines.holds_within,
                holds.join(", "),
                if lines.interpolation.is_some() {
                    "; line from the trajectory's start"
                } else {
                    "; no trajectory, no line from the start"
                }
            );
        }
        if let Some(s) = &self.spectrum {
            let how = match s.method {
                "exact" => format!("exact, {} eigenvalues", self.n_params),
                _ => format!("slq, {} probes x {} steps", s.probes, s.steps),
            };
            let outliers: Vec<String> = s.outliers.iter().map(|v| format!("{v:.4e}")).collect();
            text += &format!(
                "\nspectrum    {how}, sigma {:.3e}, outliers {}; tr H / P {:.6e} ± {:.1e} ({:.4} s)",
                s.sigma,
                outliers.join(", "),
                s.mean,
                s.mean_stderr,
                s.seconds
            );
        }
        for l in self.per_layer.iter().flatten() {
            let trace = match l.trace_method {
                "exact" => format!("{:.6e}", l.trace),
                _ => format!("{:.6e} ± {:.1e}", l.trace, l.trace_stderr),
            };
            text += &format!(
                "\nlayer {}     params {}..{}: top {:.6e}, trace {trace}",
                l.layer, l.start, l.end, l.top
            );
        }
        text
    }
}
