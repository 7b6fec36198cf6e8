//! The PCA plane of a training trajectory (Li et al. 2018, §7): the top two
//! principal directions of the recorded points θ_t − θ_now (not centered),
//! so that the path lies (almost) in the plane through θ_now.
//!
//! With T points of P parameters (T small, P possibly large) the directions
//! come from the T × T Gram matrix G = X Xᵀ of the rows x_t = θ_t − θ_now
//! (the thin SVD by the Gram trick): G u = s² u gives the direction
//! v = Xᵀ u / s, and s² / Σ s_j² is the share of ‖X‖²_F it explains.

use crate::curvature::dense::{fix_sign, symmetric_eigen};
use crate::landscape::plane::{Plane, Projection};
use ndarray::{Array1, Array2, ArrayView1};

/// Why no PCA plane could be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PcaError {
    /// A point's length differs from θ's.
    #[error("trajectory point {index} has {got} numbers, expected {expected}")]
    Length {
        /// Index of the point.
        index: usize,
        /// Its length.
        got: usize,
        /// θ's length.
        expected: usize,
    },
    /// The points θ_t − θ_now span fewer than two directions.
    #[error(
        "the trajectory's {points} points span fewer than two directions from the current parameters (a PCA plane needs two)"
    )]
    Degenerate {
        /// Number of points.
        points: usize,
    },
    /// A number is not finite, or the eigensolver failed.
    #[error("the trajectory's principal directions could not be computed (non-finite numbers)")]
    NotFinite,
}

/// A PCA plane through θ_now with its explained variance.
#[derive(Debug, Clone, PartialEq)]
pub struct PcaPlane {
    /// Origin θ_now and the two principal directions (unit norm, orthogonal,
    /// sign rule of [`fix_sign`]).
    pub plane: Plane,
    /// The share of Σ_t ‖θ_t − θ_now‖² along each direction (each in [0, 1]).
    pub explained: [f64; 2],
    /// The largest distance of a recorded point from the plane.
    pub max_off_plane: f64,
}

impl PcaPlane {
    /// Coordinates of `theta` in the plane and its distance from it.
    pub fn project(&self, theta: ArrayView1<f64>) -> Projection {
        self.plane
            .project(theta)
            .expect("orthonormal directions always project")
    }

    /// The distance of `theta` from the plane (the off-plane readout).
    pub fn off_plane(&self, theta: ArrayView1<f64>) -> f64 {
        self.project(theta).off_plane
    }
}

/// The PCA plane of the points `trajectory` around `origin` (θ_now).
pub fn pca_plane(
    trajectory: &[Array1<f64>],
    origin: ArrayView1<f64>,
) -> Result<PcaPlane, PcaError> {
    let p = origin.len();
    if let Some((index, t)) = trajectory.iter().enumerate().find(|(_, t)| t.len() != p) {
        return Err(PcaError::Length {
            index,
            got: t.len(),
            expected: p,
        });
    }
    let t = trajectory.len();
    let x = Array2::from_shape_fn((t, p), |(i, j)| trajectory[i][j] - origin[j]);
    let gram = x.dot(&x.t());
    if gram.iter().any(|v| !v.is_finite()) {
        return Err(PcaError::NotFinite);
    }
    let eig = symmetric_eigen(gram.view()).map_err(|_| PcaError::NotFinite)?;
    let total: f64 = eig.values.iter().map(|v| v.max(0.0)).sum();
    let degenerate = PcaError::Degenerate { points: t };
    if t < 2 || total <= 0.0 {
        return Err(degenerate);
    }
    let direction = |i: usize| {
        let s2 = eig.values[t - 1 - i];
        if s2.is_nan() || s2 <= 1e-12 * total {
            return None;
        }
        let mut v = x.t().dot(&eig.vectors.column(t - 1 - i));
        let norm = v.dot(&v).sqrt();
        v /= norm;
        fix_sign(v.view_mut());
        Some((v, s2 / total))
    };
    let ((d0, e0), (d1, e1)) = match (direction(0), direction(1)) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(degenerate),
    };
    let mut pca = PcaPlane {
        plane: Plane {
            origin: origin.to_owned(),
            directions: [d0, d1],
        },
        explained: [e0, e1],
        max_off_plane: 0.0,
    };
    pca.max_off_plane = trajectory
        .iter()
        .map(|theta| pca.off_plane(theta.view()))
        .fold(0.0, f64::max);
    Ok(pca)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_path_in_a_plane_is_found_exactly() {
        let origin = array![1.0, -2.0, 0.5, 3.0];
        let (u, v) = (array![1.0, 0.0, 1.0, 0.0], array![0.0, 2.0, 0.0, -1.0]);
        let path: Vec<Array1<f64>> = (0..6)
            .map(|i| {
                let s = i as f64;
                &origin + &(&u * (s * 0.5)) + &(&v * (s * s * 0.1 - 0.3))
            })
            .collect();
        let pca = pca_plane(&path, origin.view()).unwrap();
        assert!(pca.max_off_plane < 1e-12, "{}", pca.max_off_plane);
        assert!((pca.explained[0] + pca.explained[1] - 1.0).abs() < 1e-12);
        assert!(pca.explained[0] >= pca.explained[1]);
        let [d0, d1] = &pca.plane.directions;
        assert!((d0.dot(d0) - 1.0).abs() < 1e-12 && d0.dot(d1).abs() < 1e-12);
    }

    #[test]
    fn degenerate_and_mismatched_paths_are_refused() {
        let origin = array![0.0, 0.0, 0.0];
        let line = vec![array![1.0, 1.0, 0.0], array![2.0, 2.0, 0.0]];
        assert_eq!(
            pca_plane(&line, origin.view()),
            Err(PcaError::Degenerate { points: 2 })
        );
        assert_eq!(
            pca_plane(&[array![1.0, 0.0]], origin.view()),
            Err(PcaError::Length {
                index: 0,
                got: 2,
                expected: 3
            })
        );
    }
}
