//! Eigenvalues of a symmetric tridiagonal matrix (the Lanczos matrix T) with
//! the last component of each eigenvector, exactly what Lanczos' residual
//! test needs, at O(m²) per call; or with all eigenvectors, once, for the
//! Ritz vectors.
//!
//! Implicit QL with Wilkinson shifts (the classic `tqli`), applying the
//! rotations only to the rows of the eigenvector matrix that are asked for.

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
    let mut row = vec![0.0; n];
    if let Some(last) = row.last_mut() {
        *last = 1.0;
    }
    let values = ql(diag, off, &mut row)?;
    let order = ascending(&values);
    Some((
        order.iter().map(|&i| values[i]).collect(),
        order.iter().map(|&i| row[i]).collect(),
    ))
}

/// Eigenvalues (ascending) and unit eigenvectors (column i for value i,
/// n × n row-major) of the tridiagonal matrix. `None` if QL fails.
pub fn eigen_full(diag: &[f64], off: &[f64]) -> Option<(Vec<f64>, ndarray::Array2<f64>)> {
    let n = diag.len();
    let mut z = ndarray::Array2::<f64>::eye(n);
    let values = ql(diag, off, z.as_slice_mut().expect("standard layout"))?;
    let order = ascending(&values);
    let vectors = ndarray::Array2::from_shape_fn((n, n), |(r, c)| z[(r, order[c])]);
    Some((order.iter().map(|&i| values[i]).collect(), vectors))
}

/// Indices that sort `values` ascending.
fn ascending(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    order
}

/// QL iterations on (diag, off); the rotations are applied to `rows`, a
/// row-major block of whole rows (length a multiple of n) of the
/// eigenvector matrix, which starts as the matching rows of the identity.
/// Returns the unsorted eigenvalues.
fn ql(diag: &[f64], off: &[f64], rows: &mut [f64]) -> Option<Vec<f64>> {
    let n = diag.len();
    assert_eq!(off.len() + 1, n.max(1), "off-diagonal length");
    let mut d = diag.to_vec();
    let mut e: Vec<f64> = off.iter().copied().chain(std::iter::once(0.0)).collect();
    if n == 0 {
        return Some(d);
    }
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
                for row in rows.chunks_exact_mut(n) {
                    let f = row[i + 1];
                    row[i + 1] = s * row[i] + c * f;
                    row[i] = c * row[i] - s * f;
                }
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::dense::symmetric_eigen;
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
            let (full_values, vectors) = eigen_full(&diag, &off).unwrap();
            assert_eq!(values, full_values);
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
                let v = vectors.column(i);
                let residual = t.dot(&v) - &v * values[i];
                assert!(residual.dot(&residual).sqrt() < 1e-12, "n={n} vector {i}");
                assert!((v.dot(&v) - 1.0).abs() < 1e-12, "n={n} norm {i}");
                assert_eq!(v[n - 1], last[i], "n={n} last row of the full vectors");
            }
        }
    }
}
