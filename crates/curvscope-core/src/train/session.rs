//! A live training session: the trainer, its curvature and the loss surface
//! around the current point, advanced in small pieces by the app's training
//! thread (or by a recording, deterministically).

use crate::contiguous::Flat;
use crate::curvature::hvp::HessianOperator;
use crate::curvature::lanczos::{LanczosOptions, lanczos};
use crate::curvature::layers::{HessianPicture, LayerCurvature, hessian_picture, per_layer};
use crate::curvature::spectrum::{Spectrum, SpectrumOptions, exact_spectrum_of, slq_spectrum};
use crate::curvature::tracker::{CurvatureSnapshot, CurvatureTracker};
use crate::defaults;
use crate::io::csv_data::CsvData;
use crate::io::problem::{Problem, ProblemFile};
use crate::landscape::directions::{RandomScaling, orthogonalize, scale_direction};
use crate::landscape::grid::{Slice, grid_coordinates};
use crate::landscape::lines::{Lines, eigen_line, interpolation_line};
use crate::landscape::pca::pca_plane;
use crate::landscape::plane::Plane;
use crate::landscape::shared::{SharedAxis, SharedPlane};
use crate::model::activation::Activation;
use crate::model::architecture::Architecture;
use crate::model::finite::{NotFinite, check_finite};
use crate::train::health::{Health, LossHistory};
use crate::train::synthetic::{DataKind, init_params};
use crate::train::trainer::{Diverged, Trainer, TrainerSettings};
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use std::sync::Arc;

/// Which two directions span the surface's plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaneKind {
    /// The top two Hessian eigenvectors (aligned with the previous plane).
    Eigen,
    /// Two fixed random directions, filter-normalized to the current point.
    Random,
    /// The top eigenvector and a filter-normalized random direction
    /// orthogonal to it.
    EigenRandom,
    /// The top two principal directions of the recorded path θ_t − θ_now
    /// (Li et al. 2018): the plane the training path lies in (the top
    /// eigenvectors until the path has two directions).
    Pca,
    /// Twin runs from one start on one landscape: the plane through the
    /// start and both current points, one surface for both (see
    /// [`crate::landscape::shared`]). A single run, or twins on different
    /// data or networks, get the top eigenvectors instead (the panel does
    /// not offer it to them and lessons refuse it).
    Shared,
}

impl PlaneKind {
    /// All kinds, in menu order.
    pub const ALL: [PlaneKind; 5] = [
        PlaneKind::Eigen,
        PlaneKind::Random,
        PlaneKind::EigenRandom,
        PlaneKind::Pca,
        PlaneKind::Shared,
    ];

    /// A short name for menus.
    pub fn name(self) -> &'static str {
        match self {
            PlaneKind::Eigen => "top eigenvectors",
            PlaneKind::Random => "random (filter-normalized)",
            PlaneKind::EigenRandom => "top eigenvector + random",
            PlaneKind::Pca => "training path (PCA)",
            PlaneKind::Shared => "both runs (one shared plane)",
        }
    }

    /// Its name in files: `eigen`, `random`, `eigen-random`, `pca` (the
    /// names of `curvscope analyze --directions`) or `shared`, in lessons
    /// and exports.
    pub fn tag(self) -> &'static str {
        match self {
            PlaneKind::Eigen => "eigen",
            PlaneKind::Random => "random",
            PlaneKind::EigenRandom => "eigen-random",
            PlaneKind::Pca => "pca",
            PlaneKind::Shared => "shared",
        }
    }
}

/// Why a session cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CannotStart {
    /// The loss or its gradient is not finite at the start.
    #[error(transparent)]
    NotFinite(#[from] NotFinite),
    /// Too large to show live (see [`defaults::MAX_WORK`]).
    #[error(
        "{samples} training samples × {params} parameters is more work than a live run can show (at most {max:.0e}; `curvscope analyze` takes larger problems)",
        max = defaults::MAX_WORK
    )]
    TooMuchWork {
        /// Training samples.
        samples: usize,
        /// Parameters.
        params: usize,
    },
}

/// Everything a session is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// The data set.
    pub data: DataKind,
    /// Training and test samples.
    pub samples: (usize, usize),
    /// Noise of the data.
    pub noise: f64,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Hidden activation.
    pub activation: Activation,
    /// Optimizer settings.
    pub settings: TrainerSettings,
    /// Seed of data, initialization and batch order.
    pub seed: u64,
    /// Landscape grid points per side and half-width.
    pub grid: (usize, f64),
    /// The surface's plane.
    pub plane: PlaneKind,
    /// Number of top eigenvalues to track.
    pub top_k: usize,
    /// Start from this problem file's network, data and parameters instead
    /// of synthetic data (`data`, `samples`, `noise`, `hidden` and
    /// `activation` are then unused; `seed` still drives the batch order and
    /// the random plane). Restarting with the same configuration goes back
    /// to the file's parameters.
    pub problem: Option<Arc<ProblemFile>>,
    /// Train on this CSV data set instead of synthetic data (`data`,
    /// `samples` and `noise` are then unused; the network takes its
    /// features and gives its outputs, with `hidden` and `activation`
    /// between). A `problem` takes precedence.
    pub csv: Option<Arc<CsvData>>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            data: DataKind::Moons,
            samples: (256, 128),
            noise: 0.1,
            hidden: vec![16, 16],
            activation: Activation::Tanh,
            settings: defaults::SETTINGS,
            seed: 0,
            grid: defaults::GRID,
            plane: PlaneKind::Eigen,
            top_k: defaults::TOP_K,
            problem: None,
            csv: None,
        }
    }
}

impl SessionConfig {
    /// The network's number of parameters (the problem file's, if any).
    pub fn n_params(&self) -> usize {
        match &self.problem {
            Some(p) => p.n_params(),
            None => self.architecture().n_params(),
        }
    }

    /// The network this configuration builds (on synthetic or CSV data).
    fn architecture(&self) -> Architecture {
        let (n_in, n_out) = match &self.csv {
            Some(c) => (c.features.len(), c.n_outputs),
            None => self.data.widths(),
        };
        let mut layers = vec![n_in];
        layers.extend(self.hidden.iter().copied().filter(|&w| w > 0));
        layers.push(n_out);
        Architecture::new(layers, self.activation)
    }

    /// Training samples × parameters: what one pass over the data costs
    /// (see [`defaults::MAX_WORK`]).
    pub fn work(&self) -> f64 {
        self.train_samples() as f64 * self.n_params() as f64
    }

    /// Refused with [`CannotStart::TooMuchWork`] when training samples ×
    /// parameters exceed [`defaults::MAX_WORK`] (checked by
    /// [`Session::new`], and by the app before it offers a rebuild).
    pub fn check_work(&self) -> Result<(), CannotStart> {
        if self.work() > defaults::MAX_WORK {
            return Err(CannotStart::TooMuchWork {
                samples: self.train_samples(),
                params: self.n_params(),
            });
        }
        Ok(())
    }

    /// Whether a run of `other` starts at the same point of the same loss
    /// landscape (same network, training data and initialization): what
    /// twin runs need to share one plane ([`PlaneKind::Shared`]). Only the
    /// optimizer, the plane's grid and the tracked eigenvalues may differ.
    pub fn same_landscape(&self, other: &SessionConfig) -> bool {
        match (&self.problem, &other.problem) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
            (None, None) => {
                let same_csv = match (&self.csv, &other.csv) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
                    (None, None) => {
                        (self.data, self.samples, self.noise.to_bits())
                            == (other.data, other.samples, other.noise.to_bits())
                    }
                    _ => false,
                };
                same_csv
                    && (&self.hidden, self.activation, self.seed)
                        == (&other.hidden, other.activation, other.seed)
            }
            _ => false,
        }
    }

    /// The number of training samples: the problem file's, the CSV file's
    /// training rows, or `samples.0`.
    pub fn train_samples(&self) -> usize {
        match (&self.problem, &self.csv) {
            (Some(p), _) => p.n_samples(),
            (None, Some(c)) => c.train.len(),
            (None, None) => self.samples.0,
        }
    }
}

/// A recorded training point, placed relative to the current surface
/// (the default: the plane's centre, at loss 0).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PathPoint {
    /// Coordinates of its projection on the plane.
    pub a: f64,
    /// See `a`.
    pub b: f64,
    /// The loss on the plane at (a, b) (what the surface shows there).
    pub loss: f64,
    /// Its distance from the plane: the path is honest only where this is small.
    pub off_plane: f64,
}

/// A shared plane's extras: what its axes are and where the runs' common
/// start lies on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharedSurface {
    /// What each direction is (towards a run, or a fallback eigenvector).
    pub axes: [SharedAxis; 2],
    /// The start, placed on the plane.
    pub start: PathPoint,
}

/// The loss on a grid on the run's plane (for every plane but the shared
/// one, centred on the current point).
#[derive(Debug, Clone, PartialEq)]
pub struct Surface {
    /// Grid coordinates along both axes.
    pub coords: Vec<f64>,
    /// `loss[i][j]` at (`coords[i]`, `coords[j]`).
    pub loss: Array2<f64>,
    /// The curvature along each axis, dᵀHd / dᵀd (the eigenvalue for an
    /// eigenvector axis).
    pub axis_curvatures: [f64; 2],
    /// The kind of plane.
    pub kind: PlaneKind,
    /// The recorded training path, oldest first, projected on the plane.
    pub path: Vec<PathPoint>,
    /// The current point on the plane: (0, 0) but on a shared plane.
    pub current: PathPoint,
    /// The shared plane's axes and start (None for the other planes).
    pub shared: Option<SharedSurface>,
    /// A PCA plane's share of the path's spread along each direction (None
    /// for the other planes, and while the path is too short for one).
    pub explained: Option<[f64; 2]>,
}

/// Largest network whose on-demand spectrum is exact (its dense Hessian
/// and eigensolver take about 25 ms at 337 parameters, growing as P³).
pub const EXACT_INSPECTION_PARAMS: usize = crate::curvature::layers::MAX_PICTURE_PARAMS;

/// The whole curvature at one step, measured on demand.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// The step it was measured at.
    pub step: u64,
    /// The eigenvalue spectrum (exact, or SLQ above
    /// [`EXACT_INSPECTION_PARAMS`]).
    pub spectrum: Spectrum,
    /// Each layer's block: top eigenvalue and trace.
    pub layers: Vec<LayerCurvature>,
    /// The dense Hessian with its layer boundaries (up to
    /// [`EXACT_INSPECTION_PARAMS`] parameters: the exact spectrum's own
    /// matrix, at no extra cost).
    pub picture: Option<HessianPicture>,
    /// The stability limit 2(1+β)/η in force at the step.
    pub limit: f64,
    /// Wall time it took.
    pub seconds: f64,
}

/// Steps between two recorded path points.
const PATH_EVERY: u64 = 10;
/// Recorded path points kept (older ones are thinned out).
const PATH_POINTS: usize = 256;
/// Points per side of the first surface after a live change of plane, grid
/// or range (see [`Session::show_coarse_first`]).
pub const COARSE_GRID: usize = 16;

/// What the app shows after a piece of training.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Steps taken.
    pub step: u64,
    /// Loss on the whole training set.
    pub train_loss: f64,
    /// Loss on the test set.
    pub test_loss: Option<f64>,
    /// Settings in force.
    pub settings: TrainerSettings,
    /// The latest curvature measurement.
    pub curvature: Option<CurvatureSnapshot>,
    /// The latest surface.
    pub surface: Option<Surface>,
    /// The latest 1D views (interpolation from the start, eigenvector lines).
    pub lines: Option<Lines>,
    /// Set once training diverged.
    pub diverged: Option<Diverged>,
    /// What the loss history says (see [`crate::train::health`]).
    pub health: Health,
    /// The configuration of the run (its settings as they are now).
    pub config: SessionConfig,
}

/// A training run with its curvature and surface. A clone can be measured on
/// another thread and the result taken back with [`Session::adopt_measurement`].
#[derive(Clone)]
pub struct Session {
    config: SessionConfig,
    trainer: Trainer,
    tracker: CurvatureTracker,
    plane: Option<Plane>,
    curvature: Option<CurvatureSnapshot>,
    /// Training losses at the recent measurements.
    losses: LossHistory,
    surface: Option<Surface>,
    lines: Option<Lines>,
    path: Vec<Array1<f64>>,
    /// The parameters the run started from.
    start: Array1<f64>,
    /// Fixed Gaussian directions for the random planes.
    random_base: [Array1<f64>; 2],
    /// Coarse first surfaces asked for, and shown (see
    /// [`Session::show_coarse_first`]).
    coarse: (u64, u64),
    /// Whether measurements take the 1D views (see [`Session::set_lines`]).
    with_lines: bool,
}

impl Session {
    /// A fresh session: new data and initialization from the seed, or the
    /// network, training data and parameters of `config.problem` (with no
    /// test set) when it is set. Refused when the loss or its gradient is
    /// not finite at the start (the one check every entry point applies).
    pub fn new(config: SessionConfig) -> Result<Self, CannotStart> {
        config.check_work()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(config.seed);
        let (arch, loss, train, test, theta) = match &config.problem {
            Some(p) => (
                p.architecture.clone(),
                p.loss,
                p.data.clone(),
                None,
                p.params.clone(),
            ),
            None if config.csv.is_some() => {
                let csv = config.csv.as_deref().expect("checked");
                let arch = config.architecture();
                let theta = init_params(&arch, &mut rng);
                (arch, csv.loss, csv.train.clone(), csv.test.clone(), theta)
            }
            None => {
                let train = config
                    .data
                    .generate(config.samples.0.max(1), config.noise, &mut rng);
                let test = config
                    .data
                    .generate(config.samples.1, config.noise, &mut rng);
                let arch = config.architecture();
                let theta = init_params(&arch, &mut rng);
                (arch, config.data.loss(), train, Some(test), theta)
            }
        };
        let random_base = [0, 1].map(|_| {
            use rand_distr::{Distribution, StandardNormal};
            (0..theta.len())
                .map(|_| StandardNormal.sample(&mut rng))
                .collect::<Array1<f64>>()
        });
        let trainer = Trainer::new(arch, loss, train, test, theta, config.settings, config.seed);
        check_finite(
            trainer.train_objective(),
            trainer.train_data(),
            trainer.theta().flat(),
        )?;
        let start = trainer.theta().clone();
        Ok(Self {
            tracker: CurvatureTracker::new(config.top_k),
            config,
            trainer,
            plane: None,
            curvature: None,
            losses: LossHistory::default(),
            surface: None,
            lines: None,
            path: Vec::new(),
            start,
            random_base,
            coarse: (0, 0),
            with_lines: false,
        })
    }

    /// The current point as a problem: the network, its loss, the training
    /// data, the current parameters, and the surface's two directions once
    /// one was measured, so that `curvscope analyze --directions file`
    /// slices along the app's plane (the very surface the app shows when the
    /// run is paused after a measurement), and the recorded path as its
    /// trajectory (`analyze --directions pca` takes its plane from it).
    pub fn to_problem(&self) -> Problem {
        let objective = self.trainer.train_objective();
        Problem {
            architecture: objective.architecture().clone(),
            loss: objective.loss_kind(),
            data: self.trainer.train_data().clone(),
            params: self.trainer.theta().clone(),
            directions: self.plane.as_ref().map(|p| p.directions.to_vec()),
            trajectory: (!self.path.is_empty()).then(|| self.path.clone()),
        }
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Changes the optimizer settings without a reset.
    pub fn set_settings(&mut self, settings: TrainerSettings) {
        self.config.settings = settings;
        self.trainer.set_settings(settings);
    }

    /// Changes the surface's plane, size and range (taking effect at the
    /// next [`Session::measure`]).
    pub fn set_landscape(&mut self, plane: PlaneKind, grid: (usize, f64)) {
        self.config.plane = plane;
        self.config.grid = grid;
    }

    /// Makes the next surface a quick one of [`COARSE_GRID`] points a side
    /// (the live app's answer to a change of plane, grid or range: the new
    /// plane shows at once); the measurement after it has the whole grid.
    pub fn show_coarse_first(&mut self) {
        self.coarse.0 += 1;
    }

    /// Whether the surface shown is coarser than the grid asked for (a
    /// quick first one; the next measurement refines it).
    pub fn surface_is_coarse(&self) -> bool {
        self.surface
            .as_ref()
            .is_some_and(|s| s.coords.len() < self.config.grid.0.max(2))
    }

    /// Points per side of the surface measured now: coarse once after
    /// [`Session::show_coarse_first`], else the grid asked for.
    fn grid_points(&mut self) -> usize {
        let n = self.config.grid.0.max(2);
        if self.coarse.1 < self.coarse.0 {
            self.coarse.1 = self.coarse.0;
            n.min(COARSE_GRID)
        } else {
            n
        }
    }

    /// Whether measurements take the 1D views (off by default: they cost
    /// about a seventh of a live refresh on the default run, so they are
    /// measured only while a window shows them).
    pub fn set_lines(&mut self, on: bool) {
        self.with_lines = on;
    }

    /// Where training diverged, if it did.
    pub fn diverged(&self) -> Option<Diverged> {
        self.trainer.diverged()
    }

    /// Tracks `top_k` eigenvalues from the next [`Session::measure`] on.
    pub fn set_top_k(&mut self, top_k: usize) {
        self.config.top_k = top_k.max(1);
        self.tracker = CurvatureTracker::new(self.config.top_k);
    }

    /// Up to `steps` optimizer steps; stops early at a divergence. Every
    /// `PATH_EVERY` steps the point is recorded for the training path.
    pub fn train(&mut self, steps: usize) -> Option<Diverged> {
        for _ in 0..steps {
            if let Err(d) = self.trainer.step() {
                return Some(d);
            }
            if self.trainer.steps().is_multiple_of(PATH_EVERY) {
                self.push_path_point();
            }
        }
        None
    }

    /// The whole spectrum and each layer's block at the current point, on
    /// demand (the live measurement does not pay for it): exact up to
    /// [`EXACT_INSPECTION_PARAMS`] parameters, stochastic Lanczos
    /// quadrature above. None where the loss is not finite.
    pub fn inspect(&self) -> Option<Inspection> {
        let start = std::time::Instant::now();
        let objective = self.trainer.train_objective();
        let op = objective.hessian_at(self.trainer.theta().flat());
        if !op.loss().is_finite() {
            return None;
        }
        let opts = SpectrumOptions::default();
        let (spectrum, picture) = if op.dim() <= EXACT_INSPECTION_PARAMS {
            let picture = hessian_picture(&op)?;
            let mut spectrum = exact_spectrum_of(picture.matrix.view(), &opts).ok()?;
            spectrum.products = op.dim();
            (spectrum, Some(picture))
        } else {
            (slq_spectrum(&op, &opts).ok()?, None)
        };
        let layers = per_layer(&op, 300, self.config.seed);
        let settings = self.trainer.settings();
        Some(Inspection {
            step: self.trainer.steps(),
            spectrum,
            layers,
            picture,
            limit: settings.stability_limit() / settings.learning_rate,
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    /// Adds the current point to the path, thinning the old half when full.
    fn push_path_point(&mut self) {
        if self.path.len() >= PATH_POINTS {
            let keep: Vec<Array1<f64>> = self
                .path
                .drain(..)
                .enumerate()
                .filter(|(i, _)| i % 2 == 0)
                .map(|(_, p)| p)
                .collect();
            self.path = keep;
        }
        self.path.push(self.trainer.theta().clone());
    }

    /// Measures curvature and recomputes the surface at the current point
    /// (a shared plane is measured by the director, which calls
    /// [`Session::measure_curvature`] and [`Session::show_shared`]; alone, a
    /// run takes the top eigenvectors for it).
    pub fn measure(&mut self) {
        let Some([d0, d1]) = self.measure_curvature() else {
            return;
        };
        let theta = self.trainer.theta().clone();
        let arch = self.trainer.train_objective().architecture();
        let random = |k: usize| {
            scale_direction(
                arch,
                theta.flat(),
                self.random_base[k].clone(),
                RandomScaling::Filter,
            )
        };
        let previous = self.plane.as_ref();
        let mut explained = None;
        let directions = match self.config.plane {
            PlaneKind::Pca => match pca_plane(&self.path, theta.view()) {
                Ok(pca) => {
                    explained = Some(pca.explained);
                    pca.plane.directions
                }
                // Too short a path: the top eigenvectors meanwhile.
                Err(_) => [d0, d1],
            },
            PlaneKind::Eigen | PlaneKind::Shared => match previous {
                Some(p) => p.align([d0, d1]),
                None => [d0, d1],
            },
            PlaneKind::Random => [random(0), random(1)],
            PlaneKind::EigenRandom => {
                let flip = previous.is_some_and(|p| p.directions[0].dot(&d0) < 0.0);
                let top = if flip { -d0 } else { d0 };
                let other = orthogonalize(&random(0), &top);
                [top, other]
            }
        };
        let plane = Plane {
            origin: theta,
            directions,
        };
        let coords = grid_coordinates(self.grid_points(), self.config.grid.1);
        let mut surface = self.surface_on(&plane, coords, None);
        surface.explained = explained;
        self.surface = Some(surface);
        self.plane = Some(plane);
    }

    /// Measures the curvature, the loss history and the 1D views at the
    /// current point; returns the top two eigenvectors (None where nothing
    /// can be measured: after a divergence, or a loss that is not finite;
    /// or no two eigenvectors, keeping the last surface rather than drawing
    /// a wrong one).
    pub fn measure_curvature(&mut self) -> Option<[Array1<f64>; 2]> {
        if self.trainer.diverged().is_some() {
            return None;
        }
        let theta = self.trainer.theta().clone();
        let objective = self.trainer.train_objective();
        // One operator serves the eigenvalues, the trace and the lines.
        let op = objective.hessian_at(theta.flat());
        if !op.loss().is_finite() {
            // Nothing here can be measured (the trainer stops on its own).
            return None;
        }
        self.losses.push(op.loss());
        self.curvature = Some(self.tracker.measure(&self.trainer, &op));
        self.lines = self.with_lines.then(|| self.lines_at(&op));
        let tracked: Vec<Array1<f64>> = self
            .tracker
            .top_pairs()
            .take(2)
            .map(|(_, d)| d.clone())
            .collect();
        <[_; 2]>::try_from(tracked)
            .or_else(|_| {
                // Fewer than two tracked eigenvectors: ask for two.
                let opts = LanczosOptions {
                    top_k: 2,
                    want_min: false,
                    ..Default::default()
                };
                let eig = lanczos(&op, &opts, &[]);
                <[_; 2]>::try_from(eig.top.into_iter().map(|p| p.vector).collect::<Vec<_>>())
            })
            .ok()
    }

    /// The 1D views at the current point along the eigenvectors tracked
    /// at the last measurement (None where the loss is not finite); the
    /// live measurement keeps them in the snapshot when asked to (see
    /// [`Session::set_lines`]), `curvscope bench` times this.
    pub fn lines(&self) -> Option<Lines> {
        let op = self
            .trainer
            .train_objective()
            .hessian_at(self.trainer.theta().flat());
        op.loss().is_finite().then(|| self.lines_at(&op))
    }

    /// The 1D views at the current point, whose Hessian is `op`.
    fn lines_at(&self, op: &HessianOperator) -> Lines {
        let objective = self.trainer.train_objective();
        let theta = self.trainer.theta().view();
        let eigen = self
            .tracker
            .top_pairs()
            .map(|(lambda, v)| {
                eigen_line(
                    objective,
                    theta,
                    (op.loss(), op.grad().view()),
                    (lambda, v.view()),
                    self.config.grid.1,
                )
            })
            .collect();
        Lines {
            step: self.trainer.steps(),
            interpolation: interpolation_line(objective, self.start.view(), theta),
            eigen,
        }
    }

    /// The surface on the shared plane of two runs (measured by the
    /// director after [`Session::measure_curvature`]): the grid's
    /// coordinates and losses are `grid` when given (the other run's: one
    /// landscape, one grid), else computed here.
    pub fn show_shared(&mut self, shared: &SharedPlane, grid: Option<(Vec<f64>, Array2<f64>)>) {
        let (coords, loss) = match grid {
            Some((coords, loss)) => (coords, Some(loss)),
            None => (
                grid_coordinates(self.grid_points(), shared.half_width),
                None,
            ),
        };
        let mut surface = self.surface_on(&shared.plane, coords, loss);
        let slice = self.slice(&shared.plane);
        surface.shared =
            self.place(&shared.plane, &slice, &self.start)
                .map(|start| SharedSurface {
                    axes: shared.axes,
                    start,
                });
        self.surface = Some(surface);
        self.plane = Some(shared.plane.clone());
    }

    /// The latest surface.
    pub fn surface(&self) -> Option<&Surface> {
        self.surface.as_ref()
    }

    /// The parameters now.
    pub fn theta(&self) -> &Array1<f64> {
        self.trainer.theta()
    }

    /// The parameters the run started from.
    pub fn start(&self) -> &Array1<f64> {
        &self.start
    }

    /// Whether `other` trains on the same loss landscape from the same
    /// start (same network, loss, training data and first parameters).
    pub fn same_landscape(&self, other: &Session) -> bool {
        let (a, b) = (
            self.trainer.train_objective(),
            other.trainer.train_objective(),
        );
        a.architecture() == b.architecture()
            && a.loss_kind() == b.loss_kind()
            && self.trainer.train_data() == other.trainer.train_data()
            && self.start == other.start
    }

    /// The slice of the loss along `plane` through its origin.
    fn slice<'s>(&'s self, plane: &Plane) -> Slice<'s> {
        Slice::new(
            self.trainer.train_objective(),
            plane.origin.view(),
            plane.directions[0].view(),
            plane.directions[1].view(),
        )
    }

    /// `theta` placed on `plane`: its projection, the loss there and its
    /// distance from the plane (None for parallel directions).
    fn place(&self, plane: &Plane, slice: &Slice, theta: &Array1<f64>) -> Option<PathPoint> {
        let q = plane.project(theta.view())?;
        Some(PathPoint {
            a: q.a,
            b: q.b,
            loss: slice.loss_at(q.a, q.b),
            off_plane: q.off_plane,
        })
    }

    /// The surface on `plane` over `coords` (the grid `loss` when given):
    /// the curvature along each axis at the current point, the path and the
    /// current point placed on the plane.
    fn surface_on(&self, plane: &Plane, coords: Vec<f64>, loss: Option<Array2<f64>>) -> Surface {
        let theta = self.trainer.theta();
        let op = self.trainer.train_objective().hessian_at(theta.flat());
        let rayleigh = |d: &Array1<f64>| {
            let dd = d.dot(d);
            if dd > 0.0 {
                d.dot(&op.hvp(d.view())) / dd
            } else {
                f64::NAN
            }
        };
        let [d0, d1] = &plane.directions;
        let slice = self.slice(plane);
        let loss = loss.unwrap_or_else(|| slice.grid(&coords, &coords));
        let path = self
            .path
            .iter()
            .filter_map(|p| self.place(plane, &slice, p))
            .collect();
        let origin = PathPoint {
            a: 0.0,
            b: 0.0,
            loss: op.loss(),
            off_plane: 0.0,
        };
        Surface {
            coords,
            loss,
            axis_curvatures: [rayleigh(d0), rayleigh(d1)],
            kind: self.config.plane,
            path,
            current: self.place(plane, &slice, theta).unwrap_or(origin),
            shared: None,
            explained: None,
        }
    }

    /// Takes what `measured` (a clone of this session, measured on another
    /// thread while this one trained on) found: its curvature, surface,
    /// plane, 1D views, the losses at the measurements and the tracker's
    /// warm start.
    /// The readouts keep the settings in use now (η·λ is restated), and a
    /// tracker of another `top_k` (changed meanwhile) is not taken back.
    pub fn adopt_measurement(&mut self, measured: Session) {
        if measured.config.top_k == self.config.top_k {
            self.tracker = measured.tracker;
        }
        self.plane = measured.plane;
        self.surface = measured.surface;
        self.lines = measured.lines;
        self.losses = measured.losses;
        self.coarse.1 = self.coarse.1.max(measured.coarse.1);
        self.curvature = measured.curvature.map(|mut c| {
            c.restate(self.trainer.settings());
            c
        });
    }

    /// The state to show now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            step: self.trainer.steps(),
            train_loss: self.trainer.train_loss(),
            test_loss: self.trainer.test_loss(),
            settings: self.trainer.settings(),
            curvature: self.curvature.clone(),
            surface: self.surface.clone(),
            lines: self.lines.clone(),
            diverged: self.trainer.diverged(),
            health: self.losses.health(),
            config: self.config.clone(),
        }
    }
}
