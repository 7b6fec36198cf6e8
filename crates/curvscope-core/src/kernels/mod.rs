//! Hot loops: vectorized elementwise math ([`elementwise`]) and
//! register-blocked small matrix products ([`gemm`]), each compiled for
//! AVX-512, AVX2+FMA and NEON with a run-time choice.

pub mod elementwise;
pub mod gemm;

/// Compiles a kernel for each instruction set we tune for (AVX-512,
/// AVX2+FMA, NEON) beside the baseline, choosing at run time: the one list
/// of targets, applied as `#[apply(simd_kernel!)]`.
macro_rules! simd_kernel {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        $(#[$attr])*
        #[multiversion::multiversion(targets(
            "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
            "x86_64+avx2+fma",
            "aarch64+neon"
        ))]
        $vis fn $($rest)*
    };
}
use simd_kernel;

/// Random test inputs: `n` uniform numbers in (-s, s), the scales s taken in turn.
#[cfg(test)]
pub(crate) fn samples(scales: &[f64], n: usize, seed: u64) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let s = scales[i % scales.len()];
            rng.random_range(-s..s)
        })
        .collect()
}
