//! The condition number over the computed eigenvalues.

/// Condition number over the computed eigenvalues (see `analysis::analyze::HessianReport`):
/// λmax divided by the smallest computed eigenvalue that is positive and above
/// the rounding floor P·ε·λmax (smaller ones cannot be told from 0).
pub fn condition_number(top: &[f64], min: f64, n_params: usize) -> Option<f64> {
    let lmax = top.first().copied()?;
    let floor = n_params as f64 * f64::EPSILON * lmax;
    let smallest_positive = top
        .iter()
        .chain([min].iter())
        .copied()
        .filter(|&v| v > floor)
        .fold(f64::INFINITY, f64::min);
    (lmax > 0.0 && smallest_positive.is_finite()).then(|| lmax / smallest_positive)
}
