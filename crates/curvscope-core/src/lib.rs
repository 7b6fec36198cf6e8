//! curvscope's numerical core: exact float64 curvature and loss landscapes
//! of small MLPs, and the deterministic training runs the app shows.
//!
//! This crate has no window, GPU or Bevy dependency (the boundary is a Cargo
//! edge, not a convention): the app (`curvscope`, Bevy plugins) and the
//! command line sit on it. The folders follow the data's way through:
//!
//! - [`model`]: the network, its activations and losses, L(θ) and ∇L;
//! - [`curvature`]: Hessian-vector products, Lanczos, the dense Hessian,
//!   the trace, and the live curvature tracker;
//! - [`landscape`]: directions, the plane through θ, loss grids;
//! - [`train`]: synthetic data, the trainer, sessions, the director that
//!   plays lessons, and the [`train::runner::Runner`] behind the live app;
//! - [`lesson`]: lesson files;
//! - [`io`]: problem files, exports, videos, safe file writes;
//! - [`kernels`]: vectorized elementwise math and small matrix products;
//! - [`analysis`]: what `curvscope analyze` and `curvscope bench` compute;
//! - [`defaults`]: the default settings and the one check of settings.

pub mod analysis;
pub mod colormap;
pub mod contiguous;
pub mod curvature;
pub mod defaults;
pub mod display;
pub mod io;
pub mod kernels;
pub mod landscape;
pub mod lesson;
pub mod model;
pub mod optim;
pub mod spec;
pub mod system;
pub mod train;
