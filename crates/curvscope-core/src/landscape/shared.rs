//! One plane for two runs from the same start: the plane through the shared
//! starting point θ₀ and both current points θ₁, θ₂, so that two optimizers
//! are compared on one slice of one landscape (loss-landscape #18).
//!
//! The directions are orthonormal (Gram–Schmidt of θ₁ − θ₀, then θ₂ − θ₀),
//! so lengths and angles on the surface are distances in parameter space.
//! Where the runs have not yet spread over two directions (at the start, or
//! when both went the same way) the missing directions are the fallback
//! vectors, in order (the top Hessian eigenvectors). The plane's origin is
//! the centre of the square that holds the three points, so a symmetric grid
//! around it shows all of them.

use crate::landscape::plane::Plane;
use ndarray::{Array1, ArrayView1};

/// What a direction of a shared plane is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedAxis {
    /// From the start towards run `i`'s current point (for the second
    /// direction: the part orthogonal to the first).
    Towards(usize),
    /// The fallback vector `k` (the k-th top eigenvector of the first run).
    Fallback(usize),
}

/// The plane of two runs, with the half-width of a grid that holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedPlane {
    /// Origin (the centre of the square holding start and both points) and
    /// two orthonormal directions.
    pub plane: Plane,
    /// Half-width of a square grid around the origin that holds the start
    /// and both current points with a margin (at least the minimum asked).
    pub half_width: f64,
    /// What each direction is.
    pub axes: [SharedAxis; 2],
}

/// Why no shared plane could be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SharedError {
    /// The runs' parameter vectors differ in length.
    #[error("the two runs have different networks ({0} and {1} parameters): no plane holds both")]
    Lengths(usize, usize),
    /// Fewer than two independent directions, fallback included.
    #[error("the runs and the fallback directions span fewer than two directions")]
    Degenerate,
}

/// The grid's half-width is this much larger than the points' spread.
const MARGIN: f64 = 1.25;

/// A candidate is a new direction when this share of its length is left
/// after removing the directions already taken.
const INDEPENDENT: f64 = 1e-6;

/// The plane through `start` and the current points `now` (two runs), its
/// missing directions taken from `fallback`; the grid's half-width is at
/// least `min_half_width`.
pub fn shared_plane(
    start: ArrayView1<f64>,
    now: [ArrayView1<f64>; 2],
    fallback: &[Array1<f64>],
    min_half_width: f64,
) -> Result<SharedPlane, SharedError> {
    let p = start.len();
    for point in now {
        if point.len() != p {
            return Err(SharedError::Lengths(p, point.len()));
        }
    }
    let scale = 1.0 + start.dot(&start).sqrt();
    let mut candidates: Vec<(Array1<f64>, SharedAxis)> = now
        .iter()
        .enumerate()
        .map(|(i, point)| (point - &start, SharedAxis::Towards(i)))
        .collect();
    candidates.extend(
        fallback
            .iter()
            .filter(|f| f.len() == p)
            .enumerate()
            .map(|(k, f)| (f.clone(), SharedAxis::Fallback(k))),
    );
    let mut basis: Vec<(Array1<f64>, SharedAxis)> = Vec::new();
    for (mut c, axis) in candidates {
        let length = c.dot(&c).sqrt();
        if !length.is_finite() || length <= 1e-12 * scale {
            continue;
        }
        // Twice, for orthogonality to rounding (as in Lanczos).
        for _ in 0..2 {
            for (b, _) in &basis {
                let along = b.dot(&c);
                c.scaled_add(-along, b);
            }
        }
        let rest = c.dot(&c).sqrt();
        if rest > INDEPENDENT * length {
            basis.push((c / rest, axis));
        }
        if basis.len() == 2 {
            break;
        }
    }
    let [(d0, a0), (d1, a1)] = <[_; 2]>::try_from(basis).map_err(|_| SharedError::Degenerate)?;
    // The three points' coordinates relative to the start; the square
    // around them.
    let coords: Vec<[f64; 2]> = std::iter::once([0.0, 0.0])
        .chain(now.iter().map(|point| {
            let r = point - &start;
            [d0.dot(&r), d1.dot(&r)]
        }))
        .collect();
    let range = |k: usize| {
        coords
            .iter()
            .map(|c| c[k])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            })
    };
    let ((lo0, hi0), (lo1, hi1)) = (range(0), range(1));
    let centre = [0.5 * (lo0 + hi0), 0.5 * (lo1 + hi1)];
    let spread = 0.5 * (hi0 - lo0).max(hi1 - lo1);
    let mut origin = start.to_owned();
    origin.scaled_add(centre[0], &d0);
    origin.scaled_add(centre[1], &d1);
    Ok(SharedPlane {
        plane: Plane {
            origin,
            directions: [d0, d1],
        },
        half_width: (MARGIN * spread).max(min_half_width),
        axes: [a0, a1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn start_and_both_points_lie_in_the_plane_inside_the_grid() {
        let start = array![1.0, 2.0, 3.0, 4.0];
        let one = array![2.0, 2.0, 3.5, 4.0];
        let two = array![1.0, 0.0, 3.0, 4.5];
        let shared = shared_plane(start.view(), [one.view(), two.view()], &[], 0.1).unwrap();
        assert_eq!(
            shared.axes,
            [SharedAxis::Towards(0), SharedAxis::Towards(1)]
        );
        let [d0, d1] = &shared.plane.directions;
        assert!((d0.dot(d0) - 1.0).abs() < 1e-14 && d0.dot(d1).abs() < 1e-14);
        for point in [&start, &one, &two] {
            let q = shared.plane.project(point.view()).unwrap();
            assert!(q.off_plane < 1e-12, "{q:?}");
            assert!(q.a.abs() < shared.half_width && q.b.abs() < shared.half_width);
        }
        // The square fits the points: the widest one is at the margin.
        let widest = [&start, &one, &two]
            .iter()
            .map(|p| {
                let q = shared.plane.project(p.view()).unwrap();
                q.a.abs().max(q.b.abs())
            })
            .fold(0.0, f64::max);
        assert!((shared.half_width - MARGIN * widest).abs() < 1e-12);
        // The first direction points from the start to the first run.
        assert!(d0.dot(&(&one - &start)) > 0.0);
    }

    #[test]
    fn runs_on_one_line_or_at_the_start_take_the_fallback_directions() {
        let start = array![0.0, 0.0, 0.0];
        let e = [array![0.0, 1.0, 0.0], array![0.0, 0.0, 1.0]];
        let at_start = shared_plane(start.view(), [start.view(), start.view()], &e, 0.5).unwrap();
        assert_eq!(
            at_start.axes,
            [SharedAxis::Fallback(0), SharedAxis::Fallback(1)]
        );
        assert_eq!(at_start.half_width, 0.5);
        assert_eq!(at_start.plane.origin, start);
        let (one, two) = (array![2.0, 0.0, 0.0], array![4.0, 0.0, 0.0]);
        let line = shared_plane(start.view(), [one.view(), two.view()], &e, 0.5).unwrap();
        assert_eq!(line.axes, [SharedAxis::Towards(0), SharedAxis::Fallback(0)]);
        assert_eq!(line.half_width, MARGIN * 2.0);
        assert!(
            line.plane.project(two.view()).unwrap().off_plane < 1e-14,
            "both runs lie on the first axis"
        );
        assert_eq!(
            shared_plane(start.view(), [start.view(), start.view()], &[], 1.0),
            Err(SharedError::Degenerate)
        );
        assert_eq!(
            shared_plane(start.view(), [one.view(), array![1.0].view()], &[], 1.0),
            Err(SharedError::Lengths(3, 1))
        );
    }
}
