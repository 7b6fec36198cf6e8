//! The perceptual colormap of heights (viridis).

/// A colour of the viridis map for t in [0, 1] (linear RGB, 0..1).
pub fn viridis(t: f32) -> [f32; 3] {
    const STOPS: [[f32; 3]; 5] = [
        [0.267, 0.005, 0.329],
        [0.229, 0.322, 0.546],
        [0.128, 0.567, 0.551],
        [0.369, 0.789, 0.383],
        [0.993, 0.906, 0.144],
    ];
    let x = t.clamp(0.0, 1.0) * 4.0;
    let i = (x.floor() as usize).min(3);
    let f = x - i as f32;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    std::array::from_fn(|k| {
        let srgb = a[k] + (b[k] - a[k]) * f;
        srgb.powf(2.2)
    })
}
