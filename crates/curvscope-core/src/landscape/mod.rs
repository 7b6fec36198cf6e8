//! Loss landscapes: random and eigen directions, the plane through the
//! current point (projections, alignment between updates), the PCA plane of
//! a trajectory, and loss grids and lines on it.

pub mod directions;
pub mod grid;
pub mod pca;
pub mod plane;
