//! Dense symmetric eigendecomposition (faer) and the eigenvector sign rule.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut1};

/// Eigenvalues (ascending) and eigenvectors (as columns) of a symmetric matrix.
#[derive(Debug, Clone)]
pub struct SymmetricEigen {
    /// Eigenvalues in ascending order.
    pub values: Array1<f64>,
    /// Unit eigenvectors, column i for `values[i]`.
    pub vectors: Array2<f64>,
}

/// Error of the dense eigensolver (it failed to converge).
#[derive(Debug, Clone, thiserror::Error)]
#[error("symmetric eigensolver did not converge")]
pub struct EigenError;

/// Eigendecomposition of the symmetric matrix `a` (its lower triangle is read).
pub fn symmetric_eigen(a: ArrayView2<f64>) -> Result<SymmetricEigen, EigenError> {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "square matrix");
    let m = faer::Mat::<f64>::from_fn(n, n, |i, j| a[(i, j)]);
    let evd = m
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|_| EigenError)?;
    let (s, u) = (evd.S(), evd.U());
    let values = Array1::from_shape_fn(n, |i| s[i]);
    let vectors = Array2::from_shape_fn((n, n), |(i, j)| u[(i, j)]);
    Ok(SymmetricEigen { values, vectors })
}

/// Eigenvalues only (ascending) of the symmetric matrix `a` (its lower
/// triangle is read): cheaper than [`symmetric_eigen`] for large matrices.
pub fn symmetric_eigenvalues(a: ArrayView2<f64>) -> Result<Vec<f64>, EigenError> {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "square matrix");
    let m = faer::Mat::<f64>::from_fn(n, n, |i, j| a[(i, j)]);
    let mut values = m
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .map_err(|_| EigenError)?;
    values.sort_by(f64::total_cmp);
    Ok(values)
}

/// Fixes an eigenvector's sign: its entry of largest magnitude (the first such
/// entry on ties) is made positive. The same point then always gives the same
/// frame, whatever sign the solver happened to return.
pub fn fix_sign(mut v: ArrayViewMut1<f64>) {
    let mut best = 0.0f64;
    let mut sign = 1.0;
    for &x in v.iter() {
        if x.abs() > best {
            best = x.abs();
            sign = x.signum();
        }
    }
    if sign < 0.0 {
        v.mapv_inplace(|x| -x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn eigen_of_a_small_matrix() {
        let a = array![[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, -1.0]];
        let e = symmetric_eigen(a.view()).unwrap();
        let want = [-1.0, 1.0, 3.0];
        for (g, w) in e.values.iter().zip(want) {
            assert!((g - w).abs() < 1e-14);
        }
        for (g, w) in symmetric_eigenvalues(a.view()).unwrap().iter().zip(want) {
            assert!((g - w).abs() < 1e-14);
        }
        let v = e.vectors.column(2);
        let av = a.dot(&v);
        for i in 0..3 {
            assert!((av[i] - 3.0 * v[i]).abs() < 1e-14);
        }
    }

    #[test]
    fn sign_rule_makes_the_largest_entry_positive() {
        let mut v = array![0.3, -0.9, 0.9];
        fix_sign(v.view_mut());
        assert_eq!(v, array![-0.3, 0.9, -0.9]);
        let mut w = array![-0.3, 0.9, -0.9];
        fix_sign(w.view_mut());
        assert_eq!(w, array![-0.3, 0.9, -0.9]);
    }
}
