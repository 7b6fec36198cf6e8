//! curvscope: exact float64 curvature and loss landscapes of small MLPs.
//!
//! The numerical core (this library's modules) has no Bevy types, so it can be
//! tested and benchmarked on its own; the app and the command line sit on it.

pub mod activation;
pub mod analysis;
pub mod architecture;
pub mod bench;
pub mod curvature;
pub mod dataset;
pub mod directions;
pub mod eigen;
pub mod fastmath;
pub mod frame;
pub mod fsutil;
pub mod hessian;
pub mod lanczos;
pub mod landscape;
pub mod loss;
pub mod objective;
pub mod problem;
pub mod samples;
pub mod synthetic;
pub mod trace;
pub mod trainer;
pub mod tridiagonal;
