//! curvscope: exact float64 curvature and loss landscapes of small MLPs.
//!
//! The numerical core (every module but [`app`]) has no Bevy types, so it is
//! tested and benchmarked on its own; the app ([`app`], Bevy plugins) and the
//! command line sit on it.

pub mod activation;
pub mod analysis;
pub mod app;
pub mod architecture;
pub mod bench;
pub mod colormap;
pub mod curvature;
pub mod dataset;
pub mod directions;
pub mod director;
pub mod eigen;
pub mod export;
pub mod fastmath;
pub mod frame;
pub mod fsutil;
pub mod hessian;
pub mod lanczos;
pub mod landscape;
pub mod lesson;
pub mod loss;
pub mod objective;
pub mod problem;
pub mod samples;
pub mod session;
pub mod synthetic;
pub mod trace;
pub mod trainer;
pub mod tridiagonal;
pub mod video;
