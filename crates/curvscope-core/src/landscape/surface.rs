//! A surface: the loss on a grid over a plane through the parameters, with
//! the training path and the current point placed on it.

use crate::landscape::plane::PlaneKind;
use crate::landscape::shared::SharedAxis;
use ndarray::Array2;

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
