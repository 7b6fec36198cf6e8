//! A live training session: the trainer, its curvature and the loss surface
//! around the current point, advanced in small pieces by the app's training
//! thread (or by a recording, deterministically).

use crate::contiguous::Flat;
use crate::curvature::lanczos::{LanczosOptions, lanczos};
use crate::curvature::layers::{LayerCurvature, per_layer};
use crate::curvature::spectrum::{Spectrum, SpectrumOptions, exact_spectrum, slq_spectrum};
use crate::curvature::tracker::{CurvatureSnapshot, CurvatureTracker};
use crate::defaults;
use crate::io::csv_data::CsvData;
use crate::io::problem::{Problem, ProblemFile};
use crate::landscape::directions::{RandomScaling, orthogonalize, scale_direction};
use crate::landscape::grid::{Slice, grid_coordinates};
use crate::landscape::pca::pca_plane;
use crate::landscape::plane::Plane;
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
}

impl PlaneKind {
    /// All kinds, in menu order.
    pub const ALL: [PlaneKind; 4] = [
        PlaneKind::Eigen,
        PlaneKind::Random,
        PlaneKind::EigenRandom,
        PlaneKind::Pca,
    ];

    /// A short name for menus.
    pub fn name(self) -> &'static str {
        match self {
            PlaneKind::Eigen => "top eigenvectors",
            PlaneKind::Random => "random (filter-normalized)",
            PlaneKind::EigenRandom => "top eigenvector + random",
            PlaneKind::Pca => "training path (PCA)",
        }
    }

    /// Its name in files: `eigen`, `random` or `eigen-random` (the names of
    /// `curvscope analyze --directions`), in lessons and exports.
    pub fn tag(self) -> &'static str {
        match self {
            PlaneKind::Eigen => "eigen",
            PlaneKind::Random => "random",
            PlaneKind::EigenRandom => "eigen-random",
            PlaneKind::Pca => "pca",
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

/// A recorded training point, placed relative to the current surface.
#[derive(Debug, Clone, Copy, PartialEq)]
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

/// The loss on a grid around the current point, along the top two
/// eigenvectors (aligned with the previous surface's axes).
#[derive(Debug, Clone, PartialEq)]
pub struct Surface {
    /// Grid coordinates along both axes.
    pub coords: Vec<f64>,
    /// loss[i][j] at (coords[i], coords[j]).
    pub loss: Array2<f64>,
    /// The curvature along each axis, dᵀHd / dᵀd (the eigenvalue for an
    /// eigenvector axis).
    pub axis_curvatures: [f64; 2],
    /// The kind of plane.
    pub kind: PlaneKind,
    /// The recorded training path, oldest first, projected on the plane.
    pub path: Vec<PathPoint>,
    /// A PCA plane's share of the path's spread along each direction (None
    /// for the other planes, and while the path is too short for one).
    pub explained: Option<[f64; 2]>,
}

/// Largest network whose on-demand spectrum is exact (its dense Hessian
/// and eigensolver take about 25 ms at 337 parameters, growing as P³).
pub const EXACT_INSPECTION_PARAMS: usize = 2000;

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
    /// Wall time it took.
    pub seconds: f64,
}

/// Steps between two recorded path points.
const PATH_EVERY: u64 = 10;
/// Recorded path points kept (older ones are thinned out).
const PATH_POINTS: usize = 256;

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
    /// Set once training diverged.
    pub diverged: Option<Diverged>,
    /// What the loss history says (see [`crate::train::health`]).
    pub health: Health,
    /// The configuration of the run (its settings as they are now).
    pub config: SessionConfig,
}

/// A training run with its curvature and surface.
pub struct Session {
    config: SessionConfig,
    trainer: Trainer,
    tracker: CurvatureTracker,
    plane: Option<Plane>,
    curvature: Option<CurvatureSnapshot>,
    /// Training losses at the recent measurements.
    losses: LossHistory,
    surface: Option<Surface>,
    path: Vec<Array1<f64>>,
    /// Fixed Gaussian directions for the random planes.
    random_base: [Array1<f64>; 2],
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
        Ok(Self {
            tracker: CurvatureTracker::new(config.top_k),
            config,
            trainer,
            plane: None,
            curvature: None,
            losses: LossHistory::default(),
            surface: None,
            path: Vec::new(),
            random_base,
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
        let spectrum = if op.dim() <= EXACT_INSPECTION_PARAMS {
            exact_spectrum(&op, &opts)
        } else {
            slq_spectrum(&op, &opts)
        }
        .ok()?;
        let layers = per_layer(&op, 300, self.config.seed);
        Some(Inspection {
            step: self.trainer.steps(),
            spectrum,
            layers,
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

    /// Measures curvature and recomputes the surface at the current point.
    pub fn measure(&mut self) {
        if self.trainer.diverged().is_some() {
            return;
        }
        let theta = self.trainer.theta().clone();
        let theta_s = theta.flat();
        let objective = self.trainer.train_objective();
        // One operator serves the eigenvalues, the trace and the axis curvatures.
        let op = objective.hessian_at(theta_s);
        if !op.loss().is_finite() {
            // Nothing here can be measured (the trainer stops on its own).
            return;
        }
        self.losses.push(op.loss());
        let curvature = self.tracker.measure(&self.trainer, &op);
        let tracked: Vec<Array1<f64>> = self
            .tracker
            .top_pairs()
            .take(2)
            .map(|(_, d)| d.clone())
            .collect();
        let pair = <[_; 2]>::try_from(tracked).or_else(|_| {
            // Fewer than two tracked eigenvectors: ask for two.
            let opts = LanczosOptions {
                top_k: 2,
                want_min: false,
                ..Default::default()
            };
            let eig = lanczos(&op, &opts, &[]);
            <[_; 2]>::try_from(eig.top.into_iter().map(|p| p.vector).collect::<Vec<_>>())
        });
        let Ok([d0, d1]) = pair else {
            // No two eigenvectors (a Hessian that is not finite here): keep
            // the last surface rather than draw a wrong one.
            self.curvature = Some(curvature);
            return;
        };
        let arch = objective.architecture();
        let random = |k: usize| {
            scale_direction(
                arch,
                theta_s,
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
            PlaneKind::Eigen => match previous {
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
        let rayleigh = |d: &Array1<f64>| {
            let dd = d.dot(d);
            if dd > 0.0 {
                d.dot(&op.hvp(d.view())) / dd
            } else {
                f64::NAN
            }
        };
        let values = [rayleigh(&directions[0]), rayleigh(&directions[1])];
        let plane = Plane {
            origin: theta.clone(),
            directions,
        };
        let (n, r) = self.config.grid;
        let coords = grid_coordinates(n.max(2), r);
        let slice = Slice::new(
            objective,
            theta.view(),
            plane.directions[0].view(),
            plane.directions[1].view(),
        );
        let loss = slice.grid(&coords, &coords);
        let path = self
            .path
            .iter()
            .filter_map(|p| plane.project(p.view()))
            .map(|q| PathPoint {
                a: q.a,
                b: q.b,
                loss: slice.loss_at(q.a, q.b),
                off_plane: q.off_plane,
            })
            .collect();
        self.surface = Some(Surface {
            coords,
            loss,
            axis_curvatures: values,
            kind: self.config.plane,
            path,
            explained,
        });
        self.plane = Some(plane);
        self.curvature = Some(curvature);
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
            diverged: self.trainer.diverged(),
            health: self.losses.health(),
            config: self.config.clone(),
        }
    }
}
