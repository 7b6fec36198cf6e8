//! Our small-product kernel against faer's matmul, matrixmultiply and the
//! `gemm` crate on the shapes of the grid and the Hessian-vector product:
//! Z (m × n) += W (m × k) · A (k × n), one thread, GFLOP/s (medians).
//!
//! Run with `cargo bench --bench gemm`; `CURVSCOPE_SIMD=avx2 cargo bench
//! --bench gemm` times our AVX2 path on an AVX-512 machine (the libraries
//! choose their own paths).

use curvscope_core::kernels::{gemm::kernel_gemm_acc, isa};
use std::hint::black_box;
use std::time::Instant;

/// (m, k, n): layer width out, width in, samples per chunk.
const SHAPES: [(usize, usize, usize); 8] = [
    (16, 16, 128),
    (16, 16, 256),
    (24, 24, 256),
    (64, 64, 256),
    (64, 10, 256),
    (4, 64, 256),
    (140, 140, 256),
    (192, 192, 512),
];

/// Median seconds of one call, over 7 timings of enough calls for ~20 ms.
fn time(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    let once = start.elapsed().as_secs_f64().max(1e-7);
    let reps = ((0.02 / once) as usize).max(1);
    let mut t: Vec<f64> = (0..7)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..reps {
                f();
            }
            s.elapsed().as_secs_f64() / reps as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[3]
}

fn main() {
    println!("instruction set of our kernel: {}", isa().name());
    println!(
        "{:>15} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}   (GFLOP/s, one thread)",
        "m×k×n", "ours", "faer", "mmul", "gemm", "pgx-256", "pgx-512"
    );
    for (m, k, n) in SHAPES {
        let wt: Vec<f64> = (0..k * m).map(|i| ((i * 7) % 13) as f64 * 0.01).collect();
        let a: Vec<f64> = (0..k * n).map(|i| ((i * 3) % 11) as f64 * 0.01).collect();
        let mut z = vec![0.0; m * n];
        let ours = time(|| kernel_gemm_acc(black_box(&mut z), &wt, &a, m, k, n));
        let faer = time(|| {
            let dst = faer::MatMut::from_row_major_slice_mut(black_box(&mut z), m, n);
            let lhs = faer::MatRef::from_column_major_slice(&wt, m, k);
            let rhs = faer::MatRef::from_row_major_slice(&a, k, n);
            faer::linalg::matmul::matmul(dst, faer::Accum::Add, lhs, rhs, 1.0, faer::Par::Seq);
        });
        let (mi, ni) = (m as isize, n as isize);
        let mmul = time(|| {
            let c = black_box(&mut z).as_mut_ptr();
            // SAFETY: the strides describe the three buffers' shapes.
            unsafe {
                matrixmultiply::dgemm(
                    m,
                    k,
                    n,
                    1.0,
                    wt.as_ptr(),
                    1,
                    mi,
                    a.as_ptr(),
                    ni,
                    1,
                    1.0,
                    c,
                    ni,
                    1,
                )
            }
        });
        let gemm = time(|| {
            let c = black_box(&mut z).as_mut_ptr();
            // SAFETY: as above.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    c,
                    1,
                    ni,
                    true,
                    wt.as_ptr(),
                    mi,
                    1,
                    a.as_ptr(),
                    1,
                    ni,
                    1.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                )
            }
        });
        let mut pg = |instr| {
            time(|| {
                use private_gemm_x86::*;
                let c = black_box(&mut z).as_mut_ptr();
                let (null, one) = (std::ptr::null(), 1.0f64);
                // SAFETY: as above; no index lists or diagonal.
                unsafe {
                    gemm(
                        DType::F64,
                        IType::U64,
                        instr,
                        m,
                        n,
                        k,
                        c as *mut (),
                        ni,
                        1,
                        null,
                        null,
                        DstKind::Full,
                        Accum::Add,
                        wt.as_ptr() as *const (),
                        1,
                        mi,
                        false,
                        null,
                        0,
                        a.as_ptr() as *const (),
                        ni,
                        1,
                        false,
                        &raw const one as *const (),
                        1,
                    )
                }
            })
        };
        let pg256 = pg(private_gemm_x86::InstrSet::Avx256);
        let pg512 = pg(private_gemm_x86::InstrSet::Avx512);
        let rate = |t: f64| 2.0 * (m * k * n) as f64 / t / 1e9;
        println!(
            "{:>15} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            format!("{m}×{k}×{n}"),
            rate(ours),
            rate(faer),
            rate(mmul),
            rate(gemm),
            rate(pg256),
            rate(pg512)
        );
    }
}
