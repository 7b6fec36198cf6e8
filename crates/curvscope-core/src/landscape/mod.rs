//! Loss landscapes: random and eigen directions, the plane through the
//! current point (projections, alignment between updates), the PCA plane of
//! a trajectory, the shared plane of twin runs, and loss grids and 1D lines.

pub mod directions;
pub mod grid;
pub mod lines;
pub mod pca;
pub mod plane;
pub mod shared;
pub mod surface;
