//! How losses become heights in the 3D view: one map shared by every run's
//! surface (so that two surfaces side by side compare), linear or
//! logarithmic, times a user height factor; and where each run's surface
//! sits in the world.

use bevy::prelude::*;
use ndarray::Array2;

/// Half-width of a surface in world units.
pub const EXTENT: f32 = 2.0;
/// Height of the loss range in world units at height factor 1.
pub const HEIGHT: f32 = 1.5;
/// Gap between two surfaces side by side, in world units.
const GAP: f32 = 1.2;

/// Maps a loss to a normalized height in [0, 1] over a range of losses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeightMap {
    /// The smallest finite loss (height 0).
    pub lo: f64,
    /// The largest finite loss (height 1).
    pub hi: f64,
    /// Logarithmic: heights by ln(loss + shift), shift making the lowest
    /// loss a small positive number when it is not already positive.
    pub log: bool,
}

impl HeightMap {
    /// The map over the finite entries of some grids (0 to 1 when none).
    pub fn over<'a>(grids: impl IntoIterator<Item = &'a Array2<f64>>, log: bool) -> Self {
        let (lo, hi) = grids
            .into_iter()
            .flat_map(|g| g.iter())
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if lo > hi {
            return Self {
                lo: 0.0,
                hi: 1.0,
                log,
            };
        }
        Self { lo, hi, log }
    }

    /// The shift added before the logarithm: none when every loss is
    /// positive, else enough that the lowest becomes 1e-6 of the range.
    fn shift(&self) -> f64 {
        let span = (self.hi - self.lo).max(f64::MIN_POSITIVE);
        if self.lo > 0.0 {
            0.0
        } else {
            1e-6 * span - self.lo
        }
    }

    /// The normalized height of a loss: 0 at `lo`, 1 at `hi` (and beyond it
    /// for larger losses); non-finite losses sit at 1.
    pub fn norm(&self, v: f64) -> f32 {
        if !v.is_finite() {
            return 1.0;
        }
        let span = self.hi - self.lo;
        if span <= 0.0 {
            return 0.0;
        }
        if self.log {
            let s = self.shift();
            let (a, b) = ((self.lo + s).ln(), (self.hi + s).ln());
            let x = (v + s).max(f64::MIN_POSITIVE).ln();
            ((x - a) / (b - a)) as f32
        } else {
            ((v - self.lo) / span) as f32
        }
    }

    /// The loss at a normalized height (the inverse of [`HeightMap::norm`]).
    pub fn loss(&self, h: f32) -> f64 {
        let h = f64::from(h);
        if self.log {
            let s = self.shift();
            let (a, b) = ((self.lo + s).ln(), (self.hi + s).ln());
            (a + h * (b - a)).exp() - s
        } else {
            self.lo + h * (self.hi - self.lo)
        }
    }
}

/// The runs' colours (sRGB), in the plots and on a shared surface.
pub const RUN_RGB: [[u8; 3]; 2] = [[100, 180, 255], [255, 150, 80]];

/// Where run `i` of `n` sits along the world's x axis (its grid centre).
pub fn run_offset(i: usize, n: usize) -> f32 {
    (i as f32 - (n.max(1) - 1) as f32 / 2.0) * (2.0 * EXTENT + GAP)
}

/// World position of grid coordinates (a, b) at normalized height `h`, for
/// a surface of half-width `r` drawn `height` world units tall at `offset`.
pub fn world_point(a: f64, b: f64, r: f64, h: f32, height: f32, offset: f32) -> Vec3 {
    Vec3::new(
        offset + (a / r) as f32 * EXTENT,
        h * height,
        (b / r) as f32 * EXTENT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_and_log_maps_span_zero_to_one_and_invert() {
        let g = Array2::from_shape_fn((3, 3), |(i, j)| 1e-3 * 10f64.powi((i + j) as i32));
        for log in [false, true] {
            let m = HeightMap::over([&g], log);
            assert_eq!(m.norm(1e-3), 0.0);
            assert!((m.norm(10.0) - 1.0).abs() < 1e-6);
            for v in [2e-3, 0.05, 3.0] {
                assert!((m.loss(m.norm(v)) / v - 1.0).abs() < 1e-5, "{v} log={log}");
            }
        }
        // Log spreads the low losses: 1e-2 is a quarter up on a log scale
        // (4 decades), but only 0.1% on a linear one.
        let (lin, log) = (HeightMap::over([&g], false), HeightMap::over([&g], true));
        assert!((log.norm(1e-2) - 0.25).abs() < 1e-6);
        assert!(lin.norm(1e-2) < 0.001);
    }

    #[test]
    fn log_map_handles_zero_and_negative_losses() {
        let g = Array2::from_shape_vec((1, 3), vec![-1.0, 0.0, 1.0]).unwrap();
        let m = HeightMap::over([&g], true);
        assert_eq!(m.norm(-1.0), 0.0);
        assert!((m.norm(1.0) - 1.0).abs() < 1e-6);
        assert!(
            m.norm(0.0) > 0.9,
            "log scale lifts everything above the lowest"
        );
        assert_eq!(m.norm(f64::NAN), 1.0);
    }

    #[test]
    fn runs_sit_side_by_side_around_the_origin() {
        assert_eq!(run_offset(0, 1), 0.0);
        assert_eq!(run_offset(0, 2), -run_offset(1, 2));
        assert!(run_offset(1, 2) - run_offset(0, 2) > 2.0 * EXTENT);
    }
}
