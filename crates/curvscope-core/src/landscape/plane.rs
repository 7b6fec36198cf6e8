//! A landscape plane: an origin θ₀ and two directions spanning a plane.
//! Projects training points onto the plane (with their distance off it) and
//! keeps a recomputed plane aligned with the previous one, so that a surface
//! redrawn along fresh eigenvectors does not flip or swap its axes.

use ndarray::{Array1, ArrayView1};

/// The plane θ₀ + a·d0 + b·d1.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    /// The origin θ₀.
    pub origin: Array1<f64>,
    /// The two directions (any lengths, not parallel).
    pub directions: [Array1<f64>; 2],
}

/// A point's place relative to a plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Coordinate along the first direction.
    pub a: f64,
    /// Coordinate along the second direction.
    pub b: f64,
    /// Euclidean distance from the point to the plane.
    pub off_plane: f64,
}

impl Plane {
    /// The least-squares coordinates of `theta` in the plane and its distance
    /// from it (solving the 2 × 2 normal equations of the two directions).
    /// `None` if the directions are (numerically) parallel or zero.
    pub fn project(&self, theta: ArrayView1<f64>) -> Option<Projection> {
        let r = &theta - &self.origin;
        let [d0, d1] = &self.directions;
        let (g00, g01, g11) = (d0.dot(d0), d0.dot(d1), d1.dot(d1));
        let det = g00 * g11 - g01 * g01;
        if det.is_nan() || det <= 1e-14 * g00 * g11 {
            return None;
        }
        let (r0, r1) = (d0.dot(&r), d1.dot(&r));
        let a = (g11 * r0 - g01 * r1) / det;
        let b = (g00 * r1 - g01 * r0) / det;
        let residual = &r - &(d0 * a) - &(d1 * b);
        Some(Projection {
            a,
            b,
            off_plane: residual.dot(&residual).sqrt(),
        })
    }

    /// Reorders and re-signs `new` directions to match `self`'s: the pairing
    /// (kept or swapped) with the larger total |cosine| wins, then each
    /// direction's sign is chosen to point the same way as its partner.
    pub fn align(&self, new: [Array1<f64>; 2]) -> [Array1<f64>; 2] {
        let cos = |u: &Array1<f64>, v: &Array1<f64>| {
            let n = (u.dot(u) * v.dot(v)).sqrt();
            if n > 0.0 { u.dot(v) / n } else { 0.0 }
        };
        let [old0, old1] = &self.directions;
        let kept = cos(old0, &new[0]).abs() + cos(old1, &new[1]).abs();
        let swapped = cos(old0, &new[1]).abs() + cos(old1, &new[0]).abs();
        let [n0, n1] = new;
        let (mut first, mut second) = if swapped > kept { (n1, n0) } else { (n0, n1) };
        if cos(old0, &first) < 0.0 {
            first.mapv_inplace(|v| -v);
        }
        if cos(old1, &second) < 0.0 {
            second.mapv_inplace(|v| -v);
        }
        [first, second]
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn plane() -> Plane {
        Plane {
            origin: array![1.0, 0.0, 0.0, 2.0],
            directions: [array![1.0, 1.0, 0.0, 0.0], array![0.0, 1.0, 1.0, 0.0]],
        }
    }

    #[test]
    fn points_in_the_plane_project_exactly() {
        let f = plane();
        let p = &f.origin + &(&f.directions[0] * 0.3) + &(&f.directions[1] * -1.2);
        let q = f.project(p.view()).unwrap();
        assert!((q.a - 0.3).abs() < 1e-14 && (q.b + 1.2).abs() < 1e-14);
        assert!(q.off_plane < 1e-14);
    }

    #[test]
    fn off_plane_distance_is_the_orthogonal_part() {
        let f = plane();
        // (0, 0, 0, 1) is orthogonal to both directions.
        let p = &f.origin + &(&f.directions[0] * 2.0) + &array![0.0, 0.0, 0.0, 0.5];
        let q = f.project(p.view()).unwrap();
        assert!((q.a - 2.0).abs() < 1e-14 && q.b.abs() < 1e-14);
        assert!((q.off_plane - 0.5).abs() < 1e-14);
    }

    #[test]
    fn parallel_directions_have_no_projection() {
        let mut f = plane();
        f.directions[1] = &f.directions[0] * 3.0;
        assert!(f.project(f.origin.view()).is_none());
    }

    #[test]
    fn alignment_undoes_swaps_and_sign_flips() {
        let f = plane();
        let [d0, d1] = f.directions.clone();
        let flipped_and_swapped = [&d1 * -1.0, d0.clone()];
        let aligned = f.align(flipped_and_swapped);
        assert_eq!(aligned, [d0.clone(), d1.clone()]);
        let nudged = [&d0 * -1.0 + array![0.0, 0.1, 0.0, 0.0], d1.clone()];
        let aligned = f.align(nudged);
        assert!(aligned[0].dot(&d0) > 0.0);
        assert_eq!(aligned[1], d1);
    }
}
