//! `curvscope bench`: median timings of the core operations on the sample
//! problems and a ~20k-parameter network, with achieved GFLOP/s.

use crate::contiguous::Flat;
use crate::curvature::lanczos::{LanczosOptions, lanczos};
use crate::curvature::layers::HEATMAP_SIDE;
use crate::curvature::trace::hutchinson;
use crate::curvature::trace::trace_for;
use crate::curvature::waterfall::{
    Axis, Column, RASTER_ROWS, RASTER_WIDTH, WATERFALL_COLUMNS, Waterfall,
};
use crate::defaults;
use crate::io::problem::Problem;
use crate::kernels::gemm::{Backend, kernel_gemm_acc, small_gemm_acc};
use crate::landscape::directions::{RandomScaling, random_direction};
use crate::landscape::grid::{Slice, grid_coordinates};
use crate::landscape::plane::PlaneKind;
use crate::model::objective::Objective;
use crate::spec::SessionConfig;
use crate::train::runner::{Command, Runner, run_paced};
use crate::train::session::Session;
use ndarray::Array2;
use rand::SeedableRng;
use serde::Serialize;
use std::time::Instant;

/// Grid points per side of the benchmarked grid.
pub const BENCH_GRID: usize = 51;

/// Timings of one problem (seconds, medians).
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    /// Problem name.
    pub problem: String,
    /// Number of parameters.
    pub params: usize,
    /// Number of samples.
    pub samples: usize,
    /// 51×51 grid.
    pub grid_s: f64,
    /// Achieved GFLOP/s of the grid (matrix-product and layer arithmetic).
    pub grid_gflops: f64,
    /// Top-5 and smallest eigenvalues to 1e-10 (operator build + Lanczos).
    pub eigen_s: f64,
    /// Hessian-vector products the Lanczos run used.
    pub eigen_hvps: usize,
    /// Exact trace (or Hutchinson where the exact one is too costly).
    pub trace_s: f64,
    /// `exact` or `hutchinson`.
    pub trace_method: &'static str,
    /// Hutchinson with 100 probes.
    pub hutchinson100_s: f64,
}

/// The whole benchmark report.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Rayon worker threads used.
    pub threads: usize,
    /// The instruction set the kernels ran on (`avx512`, `avx2`, `baseline`
    /// or `neon`; `CURVSCOPE_SIMD` forces one).
    pub isa: &'static str,
    /// Who computed the 192 × 192 × 512 product below on this instruction set.
    pub gemm_backend: &'static str,
    /// float64 throughput of the products the core runs (the chosen backend)
    /// on that shape, GFLOP/s, all threads.
    pub gemm_gflops: f64,
    /// Runs per median.
    pub runs: usize,
    /// float64 matrix-product throughput measured here (GFLOP/s, all threads):
    /// the general library product (matrixmultiply, 512³) ...
    pub library_matmul_gflops: f64,
    /// ... and our own kernel on the 192 × 192 × 512 product (the shape
    /// class of the grid's hot loop), whichever backend the core uses there.
    pub kernel_matmul_gflops: f64,
    /// One row per problem.
    pub rows: Vec<BenchRow>,
    /// The live app's default run (moons, 2-16-16-1) at [`LIVE_SPEED`].
    pub live: LiveBench,
    /// The same at the speed slider's top (training as fast as it can,
    /// taking one core of its own).
    pub live_full_speed: LiveBench,
    /// The whole-curvature readouts on the default run.
    pub spectrum: SpectrumBench,
}

/// The whole-curvature readouts on the live app's default run at its start
/// (medians, seconds): what one inspection and the pictures drawn from it
/// cost (the app adds the upload of each picture to the GPU).
#[derive(Debug, Clone, Serialize)]
pub struct SpectrumBench {
    /// Parameters of the default run.
    pub params: usize,
    /// One inspection: the dense Hessian, all its eigenvalues, and each
    /// layer's top eigenvalue and trace (`Session::inspect`).
    pub inspection_s: f64,
    /// The waterfall's raster from a full history
    /// ([`WATERFALL_COLUMNS`] spectra, [`RASTER_ROWS`] × [`RASTER_WIDTH`]
    /// cells, linear axis).
    pub waterfall_s: f64,
    /// The heatmap's cells from the dense Hessian (at most
    /// [`HEATMAP_SIDE`] on a side).
    pub heatmap_s: f64,
}

/// Times the whole-curvature readouts on the default run (`runs` per median).
pub fn bench_spectrum(runs: usize) -> SpectrumBench {
    let session = Session::new(SessionConfig::default()).expect("the default run starts");
    let inspection = session.inspect().expect("the default run's loss is finite");
    let inspection_s = median_seconds(runs, || {
        std::hint::black_box(session.inspect());
    });
    let params = session.config().n_params();
    let mut waterfall = Waterfall::default();
    for step in 0..WATERFALL_COLUMNS as u64 {
        waterfall.push(Column::new(
            step,
            &inspection.spectrum,
            inspection.limit,
            params,
        ));
    }
    let waterfall_s = median_seconds(runs, || {
        std::hint::black_box(waterfall.raster(Axis::Linear, RASTER_ROWS, RASTER_WIDTH));
    });
    let picture = inspection
        .picture
        .as_ref()
        .expect("the default run is small enough to draw");
    let heatmap_s = median_seconds(runs, || {
        std::hint::black_box(picture.binned(HEATMAP_SIDE));
    });
    SpectrumBench {
        params,
        inspection_s,
        waterfall_s,
        heatmap_s,
    }
}

/// The live app's default run (moons, 2-16-16-1, batch 32, 64×64 surface)
/// as its training thread runs it: the same [`run_paced`] loop, measuring
/// thread and cadence rule, at a given speed, without rendering.
#[derive(Debug, Clone, Serialize)]
pub struct LiveBench {
    /// Surface and curvature refreshes per second while training.
    pub refresh_hz: f64,
    /// Training steps per second meanwhile.
    pub steps_per_second: f64,
    /// Wall time of one refresh (curvature and surface), median.
    pub measure_s: f64,
    /// Wall time of the 1D views (the line from the start and the three
    /// eigenvector lines, 65 points each and 24 probes near the centre)
    /// after 2000 steps, median; part of every refresh.
    pub lines_s: f64,
    /// Seconds timed.
    pub seconds: f64,
    /// Steps per second asked for.
    pub speed: f64,
    /// From a change of plane to the update with the new surface, median.
    pub plane_change_s: f64,
    /// The same, the slowest of the changes timed.
    pub plane_change_max_s: f64,
}

/// Median wall time of the default run's 1D views after 2000 steps.
fn bench_lines(runs: usize) -> f64 {
    let mut session = Session::new(SessionConfig::default()).expect("the default run starts");
    session.train(2000);
    session.measure();
    median_seconds(runs, || {
        session.lines();
    })
}

/// Steps per second asked of the live run in [`BenchReport::live`]: the
/// fastest speed a lesson may ask and stay live (see `docs/lessons.md`).
pub const LIVE_SPEED: f64 = 2000.0;

/// Plane changes timed after the refresh rate.
const PLANE_CHANGES: usize = 6;

/// Plays the default run at `speed` steps per second for `seconds` (after a
/// second's warm-up) in the app's loop on its own thread, and counts
/// refreshes and steps; then changes the plane `PLANE_CHANGES` times
/// (eigenvectors ↔ random) and times each change until an update carries
/// the surface on the new plane.
pub fn bench_live(speed: f64, seconds: f64) -> LiveBench {
    const WARM_UP: f64 = 1.0;
    let runner = Runner::plain(vec![("live".into(), SessionConfig::default())])
        .expect("the default run starts");
    let (commands, inbox) = std::sync::mpsc::channel();
    commands
        .send(Command::Speed(speed))
        .expect("the loop's inbox");
    let controls = commands.clone();
    let thread = std::thread::spawn(move || {
        let start = Instant::now();
        let mut first = None;
        let mut last = (0.0, 0, 0);
        let mut costs = Vec::new();
        let mut changes: Vec<f64> = Vec::new();
        let mut asked: Option<(PlaneKind, Instant)> = None;
        run_paced(runner, &inbox, |u| {
            let t = start.elapsed().as_secs_f64();
            if t < WARM_UP + seconds {
                let now = (t, u.measurements, u.runs.first().map_or(0, |r| r.step));
                if t >= WARM_UP {
                    let (_, m0, _) = *first.get_or_insert(now);
                    if u.measurements > last.1 && u.measurements > m0 {
                        costs.push(u.measure_seconds);
                    }
                    last = now;
                }
                return true;
            }
            let shown = u
                .runs
                .first()
                .and_then(|r| r.surface.as_ref())
                .map(|s| s.kind);
            match asked {
                Some((kind, at)) if shown == Some(kind) => {
                    changes.push(at.elapsed().as_secs_f64());
                    asked = None;
                }
                Some(_) => return true,
                None => {}
            }
            if changes.len() == PLANE_CHANGES {
                return false;
            }
            let kind = if changes.len().is_multiple_of(2) {
                PlaneKind::Random
            } else {
                PlaneKind::Eigen
            };
            asked = Some((kind, Instant::now()));
            controls
                .send(Command::Landscape(kind, defaults::GRID))
                .is_ok()
        });
        (first.unwrap_or(last), last, costs, changes)
    });
    let ((t0, m0, s0), (t1, m1, s1), mut costs, mut changes) =
        thread.join().expect("the live loop");
    drop(commands);
    let span = (t1 - t0).max(f64::MIN_POSITIVE);
    costs.sort_by(f64::total_cmp);
    changes.sort_by(f64::total_cmp);
    LiveBench {
        refresh_hz: (m1 - m0) as f64 / span,
        steps_per_second: (s1 - s0) as f64 / span,
        measure_s: costs.get(costs.len() / 2).copied().unwrap_or(f64::NAN),
        lines_s: bench_lines(11),
        seconds: span,
        speed,
        plane_change_s: changes.get(changes.len() / 2).copied().unwrap_or(f64::NAN),
        plane_change_max_s: changes.last().copied().unwrap_or(f64::NAN),
    }
}

/// Median of `runs` timed calls of `f` after one warm-up call.
pub fn median_seconds(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// Floating-point operations of one grid point: the first layer's affine
/// combination, the later layers' products, and the bias adds.
fn grid_point_flops(problem: &Problem) -> f64 {
    let n = problem.n_samples() as f64;
    let layers = &problem.architecture.layers;
    let first = 4.0 * n * layers[1] as f64;
    let rest: f64 = layers[1..]
        .windows(2)
        .map(|w| (2.0 * w[0] as f64 + 1.0) * w[1] as f64 * n)
        .sum();
    first + rest
}

/// float64 matrix-product throughput of the general library product: one
/// 512×512 product per thread, in parallel.
pub fn library_matmul_gflops(runs: usize) -> f64 {
    let n = 512;
    let threads = rayon::current_num_threads();
    let a = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 3) % 11) as f64 * 0.1);
    let t = median_seconds(runs, || {
        rayon::broadcast(|_| {
            let c = a.dot(&a);
            std::hint::black_box(c);
        });
    });
    2.0 * (n as f64).powi(3) * threads as f64 / t / 1e9
}

/// The shape of the product [`gemm_gflops`] times (m, k, n).
const GEMM_SHAPE: (usize, usize, usize) = (192, 192, 512);

/// Who computes the [`gemm_gflops`] product on this instruction set.
pub fn gemm_backend() -> Backend {
    Backend::for_shape(GEMM_SHAPE.0, GEMM_SHAPE.1)
}

/// float64 throughput of Z (192 × 512) += W · A with W 192 × 192, ten times
/// per thread, all threads in parallel: by the core's product (`ours` false:
/// the backend it chose) or by our own kernel.
pub fn gemm_gflops(runs: usize, ours: bool) -> f64 {
    let (m, k, n) = GEMM_SHAPE;
    let reps = 10;
    let threads = rayon::current_num_threads();
    let wt: Vec<f64> = (0..k * m).map(|i| ((i * 7) % 13) as f64 * 0.01).collect();
    let a: Vec<f64> = (0..k * n).map(|i| ((i * 3) % 11) as f64 * 0.01).collect();
    let t = median_seconds(runs, || {
        rayon::broadcast(|_| {
            let mut z = vec![0.0; m * n];
            for _ in 0..reps {
                if ours {
                    kernel_gemm_acc(&mut z, &wt, &a, m, k, n);
                } else {
                    small_gemm_acc(&mut z, &wt, &a, m, k, n);
                }
            }
            std::hint::black_box(z);
        });
    });
    2.0 * (m * k * n * reps * threads) as f64 / t / 1e9
}

/// Benchmarks one problem.
pub fn bench_problem(name: &str, problem: &Problem, runs: usize) -> BenchRow {
    let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
    let theta = problem.params.flat();
    let (d0, d1) = match &problem.directions {
        Some(d) if d.len() >= 2 => (d[0].clone(), d[1].clone()),
        _ => {
            let mut rng = rand::rngs::StdRng::seed_from_u64(0);
            let mut r = || {
                random_direction(
                    &problem.architecture,
                    theta,
                    RandomScaling::Filter,
                    &mut rng,
                )
            };
            (r(), r())
        }
    };
    let alphas = grid_coordinates(BENCH_GRID, 1.0);
    let grid_s = median_seconds(runs, || {
        let slice = Slice::new(&objective, problem.params.view(), d0.view(), d1.view());
        std::hint::black_box(slice.grid(&alphas, &alphas));
    });
    let opts = LanczosOptions {
        top_k: 5.min(problem.n_params()),
        ..Default::default()
    };
    let mut hvps = 0;
    let eigen_s = median_seconds(runs, || {
        let op = objective.hessian_at(theta);
        hvps = lanczos(&op, &opts, &[]).products;
    });
    let op = objective.hessian_at(theta);
    let mut method = "exact";
    let trace_s = median_seconds(runs, || method = trace_for(&op, 0).method.name());
    let hutchinson100_s = median_seconds(runs, || {
        std::hint::black_box(hutchinson(&op, 100, 0));
    });
    let points = (BENCH_GRID * BENCH_GRID) as f64;
    BenchRow {
        problem: name.to_string(),
        params: problem.n_params(),
        samples: problem.n_samples(),
        grid_s,
        grid_gflops: grid_point_flops(problem) * points / grid_s / 1e9,
        eigen_s,
        eigen_hvps: hvps,
        trace_s,
        trace_method: method,
        hutchinson100_s,
    }
}

impl BenchReport {
    /// The report as a fixed-width table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<18} {:>6} {:>7} {:>10} {:>8} {:>10} {:>5} {:>10} {:>10}\n",
            "problem",
            "params",
            "samples",
            "grid 51²",
            "GFLOP/s",
            "top-5+min",
            "HVPs",
            "trace",
            "hutch-100"
        );
        for r in &self.rows {
            s += &format!(
                "{:<18} {:>6} {:>7} {:>9.2}ms {:>8.1} {:>8.2}ms {:>5} {:>8.2}ms{} {:>8.2}ms\n",
                r.problem,
                r.params,
                r.samples,
                r.grid_s * 1e3,
                r.grid_gflops,
                r.eigen_s * 1e3,
                r.eigen_hvps,
                r.trace_s * 1e3,
                if r.trace_method == "exact" { " " } else { "*" },
                r.hutchinson100_s * 1e3,
            );
        }
        s += &format!(
            "medians of {} runs, {} threads, instruction set {}; float64 products \
             measured here: {:.1} GFLOP/s (192×192×512 by {}; our kernel {:.1}), \
             {:.1} GFLOP/s (matrixmultiply, 512³)\n",
            self.runs,
            self.threads,
            self.isa,
            self.gemm_gflops,
            self.gemm_backend,
            self.kernel_matmul_gflops,
            self.library_matmul_gflops,
        );
        for live in [&self.live, &self.live_full_speed] {
            s += &format!(
                "live app run (moons, 2-16-16-1, batch 32, 64×64 surface, the app's loop and \
                 measuring thread, {:.0} steps/s asked): {:.1} refreshes/s, {:.0} steps/s \
                 meanwhile; curvature + surface {:.1} ms (of which the 1D views {:.2} ms); a \
                 new plane shown after {:.0} ms (median; slowest {:.0} ms)\n",
                live.speed,
                live.refresh_hz,
                live.steps_per_second,
                live.measure_s * 1e3,
                live.lines_s * 1e3,
                live.plane_change_s * 1e3,
                live.plane_change_max_s * 1e3,
            );
        }
        s += &format!(
            "whole curvature on that run ({} parameters): inspection (all eigenvalues, \
             layers) {:.1} ms; waterfall raster of {} spectra {:.2} ms; Hessian heatmap \
             {:.2} ms\n",
            self.spectrum.params,
            self.spectrum.inspection_s * 1e3,
            WATERFALL_COLUMNS,
            self.spectrum.waterfall_s * 1e3,
            self.spectrum.heatmap_s * 1e3
        );
        if self.rows.iter().any(|r| r.trace_method != "exact") {
            s += "* trace by Hutchinson (the exact diagonal would cost too much)\n";
        }
        s
    }
}
