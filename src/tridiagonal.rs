//! Eigenvalues of a symmetric tridiagonal matrix with the last component of
//! each eigenvector: exactly what Lanczos' residual test needs, at O(m²) per
//! call instead of a full O(m³) eigendecomposition every iteration.
//!
//! Implicit QL with Wilkinson shifts (the classic `tqli`), applying the
//! rotations to one row (the last) of the eigenvector matrix only.

/// √(a² + b²) without libm's slow `hypot` where no overflow is possible.
fn norm2(a: f64, b: f64) -> f64 {
    if a.abs() < 1e150 && b.abs() < 1e150 {
        (a * a + b * b).sqrt()
    } else {
        a.hypot(b)
    }
}

/// Eigenvalues (ascending) of the tridiagonal matrix with diagonal `diag`
/// and off-diagonal `off` (length `diag.len() - 1`), and for each the last
/// component of its unit eigenvector. `None` if QL fails to converge.
pub fn eigen_last_row(diag: &[f64], off: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = diag.len();
    assert_eq!(off.len() + 1, n.max(1), "off-diagonal length");
    let mut d = diag.to_vec();
    let mut e: Vec<f64> = off.iter().copied().chain(std::iter::once(0.0)).collect();
    let mut row = vec![0.0; n];
    if n == 0 {
        return Some((d, row));
    }
    row[n - 1] = 1.0;
    for l in 0..n {
        let mut iterations = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > 60 {
                return None;
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = norm2(g, 1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut deflated = false;
            for i in (l..m).rev() {
                let f = s * e[i];
                let b = c * e[i];
                r = norm2(f, g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
                let f = row[i + 1];
                row[i + 1] = s * row[i] + c * f;
                row[i] = c * row[i] - s * f;
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| d[a].total_cmp(&d[b]));
    Some((
        order.iter().map(|&i| d[i]).collect(),
        order.iter().map(|&i| row[i]).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eigen::symmetric_eigen;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};

    #[test]
    fn matches_the_dense_eigensolver() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        for n in [1usize, 2, 3, 7, 40, 150] {
            let diag: Vec<f64> = (0..n).map(|_| rng.random_range(-2.0..2.0)).collect();
            let mut off: Vec<f64> = (0..n.saturating_sub(1))
                .map(|_| rng.random_range(0.0..1.0))
                .collect();
            if n > 5 {
                off[2] = 0.0; // a split matrix too
            }
            let (values, last) = eigen_last_row(&diag, &off).unwrap();
            let mut t = Array2::zeros((n, n));
            for i in 0..n {
                t[(i, i)] = diag[i];
                if i + 1 < n {
                    t[(i, i + 1)] = off[i];
                    t[(i + 1, i)] = off[i];
                }
            }
            let dense = symmetric_eigen(t.view()).unwrap();
            for i in 0..n {
                assert!(
                    (values[i] - dense.values[i]).abs() < 1e-13,
                    "n={n} value {i}"
                );
                assert!(
                    (last[i].abs() - dense.vectors[(n - 1, i)].abs()).abs() < 1e-10,
                    "n={n} last {i}"
                );
            }
        }
    }
}
