//! The viridis colour map, shared by the app's surface and the file exports.

/// The viridis map's sRGB stops at t = 0, ¼, ½, ¾ and 1.
const STOPS: [[f32; 3]; 5] = [
    [0.267, 0.005, 0.329],
    [0.229, 0.322, 0.546],
    [0.128, 0.567, 0.551],
    [0.369, 0.789, 0.383],
    [0.993, 0.906, 0.144],
];

/// The sRGB colour (each channel 0..1) for t in [0, 1] (clamped; NaN reads
/// as 0), interpolated linearly between the stops (for 2D drawing;
/// [`viridis`] is linear, for vertex colours).
pub fn viridis_srgb(t: f32) -> [f32; 3] {
    let t = if t.is_nan() { 0.0 } else { t };
    let x = t.clamp(0.0, 1.0) * 4.0;
    let i = (x.floor() as usize).min(3);
    let f = x - i as f32;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    std::array::from_fn(|k| a[k] + (b[k] - a[k]) * f)
}

/// A colour of the viridis map for t in [0, 1] (clamped), as linear RGB
/// (each channel 0..1, the sRGB value raised to 2.2), for vertex colours
/// that a renderer treats as linear.
pub fn viridis(t: f32) -> [f32; 3] {
    viridis_srgb(t).map(|c| c.powf(2.2))
}

/// A colour of the viridis map for t in [0, 1] (clamped), as 8-bit sRGB,
/// for files whose colours are stored as bytes (PLY).
pub fn viridis_srgb8(t: f32) -> [u8; 3] {
    viridis_srgb(t).map(|c| (c * 255.0).round().clamp(0.0, 255.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_middle_are_the_stops() {
        assert_eq!(viridis_srgb8(0.0), [68, 1, 84]);
        assert_eq!(viridis_srgb8(1.0), [253, 231, 37]);
        assert_eq!(viridis_srgb8(0.5), [33, 145, 141]);
        let lin = viridis(1.0);
        assert!((lin[0] - 0.993f32.powf(2.2)).abs() < 1e-6);
        // Out of range clamps.
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
    }
}
