//! Float64 matrix products for the small, wide products of the landscape
//! sampler, the gradient and the Hessian-vector product: our register-blocked
//! kernel, or a library product where one was measured faster for the shape
//! on the active instruction set (see [`Backend`]).

use super::math::MulAdd;
use super::simd_kernel;
use super::{Isa, isa};
use macro_rules_attribute::apply;

/// Where a product's block starts: the current Z (Z += W · A) or a bias per
/// row (Z = b 1ᵀ + W · A, with no pass over Z beforehand).
#[derive(Clone, Copy)]
enum Start<'b> {
    Accumulate,
    Bias(&'b [f64]),
}

/// Rows `r0..r0+R`, columns `c0..c0+C` of W · A into Z, keeping the R × C
/// block in registers while it runs over the inner dimension. `wt` is W
/// transposed (n_in × n_out), so the R weights of one step are contiguous;
/// the fixed-size arrays let the compiler drop bounds checks.
#[inline(always)]
fn gemm_block<const F: bool, const R: usize, const C: usize>(
    z: &mut [f64],
    wt: &[f64],
    a: &[f64],
    start: Start,
    dims: (usize, usize),
    r0: usize,
    c0: usize,
) {
    let (n_out, n) = dims;
    let mut acc = [[0.0f64; C]; R];
    for (q, row) in acc.iter_mut().enumerate() {
        match start {
            Start::Accumulate => row.copy_from_slice(&z[(r0 + q) * n + c0..(r0 + q) * n + c0 + C]),
            Start::Bias(b) => row.fill(b[r0 + q]),
        }
    }
    for (arow, wrow) in a.chunks_exact(n).zip(wt.chunks_exact(n_out)) {
        let av: &[f64; C] = arow[c0..c0 + C].try_into().expect("block width");
        let wv: &[f64; R] = wrow[r0..r0 + R].try_into().expect("block height");
        for (row, &wq) in acc.iter_mut().zip(wv) {
            for (acc, &x) in row.iter_mut().zip(av) {
                *acc = wq.fma::<F>(x, *acc);
            }
        }
    }
    for (q, row) in acc.iter().enumerate() {
        z[(r0 + q) * n + c0..(r0 + q) * n + c0 + C].copy_from_slice(row);
    }
}

/// Rows `rows` (a multiple of R long) of the product, by column blocks of C,
/// then of 8 and 4, then the last few columns one by one (scalar chains are
/// latency-bound, so as few columns as possible are left to them). Column
/// blocks are the outer loop: one block of A's columns stays in L1 while every
/// row block passes over it.
#[inline(always)]
fn gemm_rows<const F: bool, const R: usize, const C: usize>(
    z: &mut [f64],
    wt: &[f64],
    a: &[f64],
    start: Start,
    dims: (usize, usize, usize),
    rows: std::ops::Range<usize>,
) {
    let (n_out, n_in, n) = dims;
    let mut c0 = 0;
    while c0 + C <= n {
        for r0 in rows.clone().step_by(R) {
            gemm_block::<F, R, C>(z, wt, a, start, (n_out, n), r0, c0);
        }
        c0 += C;
    }
    if C > 8 && c0 + 8 <= n {
        for r0 in rows.clone().step_by(R) {
            gemm_block::<F, R, 8>(z, wt, a, start, (n_out, n), r0, c0);
        }
        c0 += 8;
    }
    if C > 4 && c0 + 4 <= n {
        for r0 in rows.clone().step_by(R) {
            gemm_block::<F, R, 4>(z, wt, a, start, (n_out, n), r0, c0);
        }
        c0 += 4;
    }
    for r in rows {
        for c in c0..n {
            let mut s = match start {
                Start::Accumulate => z[r * n + c],
                Start::Bias(b) => b[r],
            };
            for j in 0..n_in {
                s = wt[j * n_out + r].fma::<F>(a[j * n + c], s);
            }
            z[r * n + c] = s;
        }
    }
}

/// The row-block schedule shared by [`kernel_gemm_acc`] and `kernel_gemm_bias`.
#[inline(always)]
fn small_gemm<const F: bool>(
    z: &mut [f64],
    wt: &[f64],
    a: &[f64],
    start: Start,
    dims: (usize, usize, usize),
    wide: bool,
) {
    let (n_out, n_in, n) = dims;
    assert!(
        z.len() == n_out * n && wt.len() == n_out * n_in && a.len() == n_in * n,
        "small_gemm shapes"
    );
    // 32 vector registers (AVX-512) hold a 6 × 16 block: twelve independent
    // sums, enough to keep both FMA units busy; 16 registers hold 6 × 8.
    let full = n_out - n_out % 6;
    if wide {
        gemm_rows::<F, 6, 16>(z, wt, a, start, dims, 0..full);
    } else {
        gemm_rows::<F, 6, 8>(z, wt, a, start, dims, 0..full);
    }
    // Fewer rows: wider column blocks keep enough independent sums in flight.
    let rest = full..n_out;
    match n_out - full {
        1 => gemm_rows::<F, 1, 32>(z, wt, a, start, dims, rest),
        2 => gemm_rows::<F, 2, 16>(z, wt, a, start, dims, rest),
        3 => gemm_rows::<F, 3, 16>(z, wt, a, start, dims, rest),
        4 => gemm_rows::<F, 4, 16>(z, wt, a, start, dims, rest),
        5 => gemm_rows::<F, 5, 8>(z, wt, a, start, dims, rest),
        _ => {}
    }
}

/// Who computes a product Z (m × n) += W (m × k) · A (k × n).
///
/// Measured with `cargo bench --bench gemm` (one thread, on the grid's and
/// the HVP's shapes; README, performance): on AVX-512 our kernel is fastest
/// while W is small (m k < [`LIBRARY_MIN_MK`]: the libraries' packing and
/// set-up cost more than they save), faer's product above (its AVX-512
/// micro-kernels reach about 1.5× ours there). On AVX2, matrixmultiply's
/// packed AVX2+FMA kernel beats ours from 6 rows on; below 6 rows ours wins
/// (matrixmultiply's kernel is 8 rows tall). The baseline runs ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// [`kernel_gemm_acc`].
    Kernel,
    /// `faer::linalg::matmul::matmul`, one thread.
    Faer,
    /// `matrixmultiply::dgemm`.
    MatrixMultiply,
}

/// Smallest m k (entries of W) for which faer's product runs on AVX-512.
pub const LIBRARY_MIN_MK: usize = 2048;

impl Backend {
    /// The backend for an m × k times k × n product on the active
    /// instruction set.
    pub fn for_shape(m: usize, k: usize) -> Backend {
        match isa() {
            Isa::Avx512 if m * k >= LIBRARY_MIN_MK => Backend::Faer,
            Isa::Avx2 if m >= 6 => Backend::MatrixMultiply,
            _ => Backend::Kernel,
        }
    }

    /// Its name, as `curvscope bench` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Kernel => "curvscope kernel",
            Backend::Faer => "faer",
            Backend::MatrixMultiply => "matrixmultiply",
        }
    }
}

/// Z += W · A for the small, wide products of the landscape sampler and the
/// Hessian-vector product (Z: n_out × n, A: n_in × n, row-major; W given
/// transposed as `wt`, n_in × n_out), by the [`Backend`] for the shape.
pub fn small_gemm_acc(z: &mut [f64], wt: &[f64], a: &[f64], n_out: usize, n_in: usize, n: usize) {
    assert!(
        z.len() == n_out * n && wt.len() == n_out * n_in && a.len() == n_in * n,
        "small_gemm shapes"
    );
    match Backend::for_shape(n_out, n_in) {
        Backend::Kernel => kernel_gemm_acc(z, wt, a, n_out, n_in, n),
        Backend::Faer => {
            let dst = faer::MatMut::from_row_major_slice_mut(z, n_out, n);
            let lhs = faer::MatRef::from_column_major_slice(wt, n_out, n_in);
            let rhs = faer::MatRef::from_row_major_slice(a, n_in, n);
            faer::linalg::matmul::matmul(dst, faer::Accum::Add, lhs, rhs, 1.0, faer::Par::Seq);
        }
        Backend::MatrixMultiply => {
            let (m, cols) = (n_out as isize, n as isize);
            // SAFETY: the strides describe the three buffers, whose lengths
            // were checked above: W column-major (wt), A and Z row-major.
            unsafe {
                matrixmultiply::dgemm(
                    n_out,
                    n_in,
                    n,
                    1.0,
                    wt.as_ptr(),
                    1,
                    m,
                    a.as_ptr(),
                    cols,
                    1,
                    1.0,
                    z.as_mut_ptr(),
                    cols,
                    1,
                )
            }
        }
    }
}

/// Z = b 1ᵀ + W · A (a whole layer: bias plus product), shapes as in
/// [`small_gemm_acc`]; Z's previous contents are ignored.
pub fn small_gemm_bias(
    z: &mut [f64],
    wt: &[f64],
    bias: &[f64],
    a: &[f64],
    n_out: usize,
    n_in: usize,
    n: usize,
) {
    assert_eq!(bias.len(), n_out, "one bias per output row");
    if Backend::for_shape(n_out, n_in) == Backend::Kernel {
        kernel_gemm_bias(z, wt, bias, a, n_out, n_in, n);
    } else {
        for (row, &b) in z.chunks_exact_mut(n.max(1)).zip(bias) {
            row.fill(b);
        }
        small_gemm_acc(z, wt, a, n_out, n_in, n);
    }
}

/// Z += W · A by our register-blocked kernel without packing (shapes as in
/// [`small_gemm_acc`]).
#[apply(simd_kernel!)]
pub fn kernel_gemm_acc(z: &mut [f64], wt: &[f64], a: &[f64], n_out: usize, n_in: usize, n: usize) {
    let wide = isa() == Isa::Avx512;
    small_gemm::<FMA>(z, wt, a, Start::Accumulate, (n_out, n_in, n), wide);
}

/// Z = b 1ᵀ + W · A by our kernel.
#[apply(simd_kernel!)]
fn kernel_gemm_bias(
    z: &mut [f64],
    wt: &[f64],
    bias: &[f64],
    a: &[f64],
    n_out: usize,
    n_in: usize,
    n: usize,
) {
    let wide = isa() == Isa::Avx512;
    small_gemm::<FMA>(z, wt, a, Start::Bias(bias), (n_out, n_in, n), wide);
}

/// Adds the R × CC block at (i, j) of X · Yᵀ to Z: R·CC dot products over k,
/// each with `LANES` partial sums, sharing their loads.
#[inline(always)]
fn nt_block<const F: bool, const R: usize, const CC: usize>(
    z: &mut [f64],
    x: &[f64],
    y: &[f64],
    dims: (usize, usize),
    i: usize,
    j: usize,
) {
    const LANES: usize = 8;
    let (p, k) = dims;
    let full = k - k % LANES;
    let mut acc = [[[0.0f64; LANES]; CC]; R];
    for t in (0..full).step_by(LANES) {
        let xv: [&[f64; LANES]; R] = std::array::from_fn(|r| {
            x[(i + r) * k + t..(i + r) * k + t + LANES]
                .try_into()
                .expect("lanes")
        });
        let yv: [&[f64; LANES]; CC] = std::array::from_fn(|c| {
            y[(j + c) * k + t..(j + c) * k + t + LANES]
                .try_into()
                .expect("lanes")
        });
        for (acc_r, xr) in acc.iter_mut().zip(xv) {
            for (acc_rc, yc) in acc_r.iter_mut().zip(yv) {
                for ((s, &a), &b) in acc_rc.iter_mut().zip(xr).zip(yc) {
                    *s = a.fma::<F>(b, *s);
                }
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        for (c, acc_rc) in acc_r.iter().enumerate() {
            let (xi, yj) = (
                &x[(i + r) * k..(i + r + 1) * k],
                &y[(j + c) * k..(j + c + 1) * k],
            );
            let tail: f64 = xi[full..].iter().zip(&yj[full..]).map(|(a, b)| a * b).sum();
            z[(i + r) * p + j + c] += acc_rc.iter().sum::<f64>() + tail;
        }
    }
}

/// Z += X · Yᵀ where X (m × k) and Y (p × k) are row-major and Z is m × p:
/// every entry a dot product over k (the samples), for weight gradients.
/// 2 × 2 blocks of entries share their loads.
#[apply(simd_kernel!)]
pub fn small_gemm_nt_acc(z: &mut [f64], x: &[f64], y: &[f64], m: usize, p: usize, k: usize) {
    const B: usize = 2;
    assert!(
        z.len() == m * p && x.len() == m * k && y.len() == p * k,
        "small_gemm_nt_acc shapes"
    );
    let (m_full, p_full) = (m - m % B, p - p % B);
    for i in (0..m_full).step_by(B) {
        for j in (0..p_full).step_by(B) {
            nt_block::<FMA, B, B>(z, x, y, (p, k), i, j);
        }
        for j in p_full..p {
            nt_block::<FMA, B, 1>(z, x, y, (p, k), i, j);
        }
    }
    for i in m_full..m {
        for j in (0..p_full).step_by(B) {
            nt_block::<FMA, 1, B>(z, x, y, (p, k), i, j);
        }
        for j in p_full..p {
            nt_block::<FMA, 1, 1>(z, x, y, (p, k), i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{for_each_isa, samples};

    #[test]
    fn small_gemm_matches_a_plain_product() {
        for_each_isa(|_| small_gemm_cases());
    }

    fn small_gemm_cases() {
        for &(n_out, n_in, n) in &[
            (24, 24, 300),
            (16, 16, 256),
            (7, 3, 13),
            (1, 5, 9),
            (13, 140, 37),
            (64, 64, 50),
            (4, 100, 33),
        ] {
            let w = samples(&[1.0], n_out * n_in, 1);
            let a = samples(&[1.0], n_in * n, 2);
            let mut z = samples(&[1.0], n_out * n, 3);
            let mut want = z.clone();
            for r in 0..n_out {
                for c in 0..n {
                    want[r * n + c] += (0..n_in)
                        .map(|j| w[r * n_in + j] * a[j * n + c])
                        .sum::<f64>();
                }
            }
            let wt: Vec<f64> = (0..n_in * n_out)
                .map(|k| w[(k % n_out) * n_in + k / n_out])
                .collect();
            small_gemm_acc(&mut z, &wt, &a, n_out, n_in, n);
            for (g, e) in z.iter().zip(&want) {
                assert!(
                    (g - e).abs() < 1e-13 * (1.0 + e.abs()),
                    "{n_out}x{n_in}x{n}"
                );
            }
        }
    }

    #[test]
    fn small_gemm_with_bias_replaces_the_output() {
        let (n_out, n_in, n) = (7, 5, 45);
        let wt = samples(&[1.0], n_in * n_out, 7);
        let a = samples(&[1.0], n_in * n, 8);
        let bias = samples(&[1.0], n_out, 9);
        let mut z = vec![f64::NAN; n_out * n];
        small_gemm_bias(&mut z, &wt, &bias, &a, n_out, n_in, n);
        for r in 0..n_out {
            for c in 0..n {
                let want = bias[r]
                    + (0..n_in)
                        .map(|j| wt[j * n_out + r] * a[j * n + c])
                        .sum::<f64>();
                assert!((z[r * n + c] - want).abs() < 1e-13, "({r}, {c})");
            }
        }
    }

    #[test]
    fn small_gemm_nt_matches_a_plain_product() {
        for &(m, p, k) in &[
            (16, 16, 128),
            (3, 24, 150),
            (1, 1, 7),
            (5, 3, 20),
            (24, 2, 300),
        ] {
            let x = samples(&[1.0], m * k, 4);
            let y = samples(&[1.0], p * k, 5);
            let mut z = samples(&[1.0], m * p, 6);
            let mut want = z.clone();
            for i in 0..m {
                for j in 0..p {
                    want[i * p + j] += (0..k).map(|t| x[i * k + t] * y[j * k + t]).sum::<f64>();
                }
            }
            small_gemm_nt_acc(&mut z, &x, &y, m, p, k);
            for (g, e) in z.iter().zip(&want) {
                assert!((g - e).abs() < 1e-12 * (1.0 + e.abs()), "{m}x{p}x{k}");
            }
        }
    }
}
