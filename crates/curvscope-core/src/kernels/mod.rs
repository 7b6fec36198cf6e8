//! Hot loops: branch-free scalar cores of exp, log, tanh and erf ([`math`]),
//! whole-slice activations and their derivatives ([`activation`]), loss and
//! grid helpers ([`elementwise`]) and register-blocked small matrix products
//! ([`gemm`]). Every slice kernel is compiled for AVX-512, AVX2+FMA and the
//! baseline, and one of them is chosen at run time ([`isa`]).

pub mod activation;
pub mod elementwise;
pub mod gemm;
pub mod math;

use std::sync::OnceLock;

/// The environment variable that forces an instruction set:
/// `avx512`, `avx2` or `baseline` (e.g. to time the AVX2 path on an
/// AVX-512 machine). Unset or empty: the best one the CPU has.
pub const SIMD_ENV: &str = "CURVSCOPE_SIMD";

/// An instruction set the kernels are compiled for, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// x86-64 without AVX (SSE2), or aarch64 with NEON (its baseline).
    Baseline,
    /// x86-64 with AVX2 and FMA.
    Avx2,
    /// x86-64 with AVX-512 F, VL and DQ (and AVX2, FMA).
    Avx512,
}

/// A bad [`SIMD_ENV`] value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimdEnvError {
    /// Not one of the names.
    #[error("{SIMD_ENV}={0}: expected avx512, avx2 or baseline")]
    Unknown(String),
    /// Named an instruction set this CPU lacks.
    #[error("{SIMD_ENV}={0}: this CPU has at most {1}")]
    Unsupported(String, &'static str),
}

impl Isa {
    /// The name `curvscope bench` prints and [`SIMD_ENV`] accepts.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Baseline if cfg!(target_arch = "aarch64") => "neon",
            Isa::Baseline => "baseline",
        }
    }

    /// The best instruction set this CPU has.
    pub fn detected() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f")
                && has!("avx512vl")
                && has!("avx512dq")
                && has!("avx2")
                && has!("fma")
            {
                return Isa::Avx512;
            }
            if has!("avx2") && has!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }

    /// The instruction set [`SIMD_ENV`] asks for (`None` if unset or empty).
    pub fn requested() -> Result<Option<Isa>, SimdEnvError> {
        let Ok(value) = std::env::var(SIMD_ENV) else {
            return Ok(None);
        };
        let isa = match value.trim().to_ascii_lowercase().as_str() {
            "" => return Ok(None),
            "avx512" => Isa::Avx512,
            "avx2" => Isa::Avx2,
            "baseline" | "neon" | "scalar" => Isa::Baseline,
            _ => return Err(SimdEnvError::Unknown(value)),
        };
        let best = Isa::detected();
        if isa > best {
            return Err(SimdEnvError::Unsupported(value, best.name()));
        }
        Ok(Some(isa))
    }
}

/// The instruction set every kernel runs on in this process: [`SIMD_ENV`]'s
/// if it is valid and the CPU has it, else the best detected (the command
/// line reports a bad value as an error before any work).
pub fn isa() -> Isa {
    #[cfg(test)]
    if let Some(isa) = TEST_ISA.get() {
        return isa;
    }
    static ACTIVE: OnceLock<Isa> = OnceLock::new();
    *ACTIVE.get_or_init(|| {
        Isa::requested()
            .ok()
            .flatten()
            .unwrap_or_else(Isa::detected)
    })
}

#[cfg(test)]
thread_local! {
    /// The instruction set this test thread forces (see [`for_each_isa`]).
    static TEST_ISA: std::cell::Cell<Option<Isa>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` once on every instruction set this CPU has (on this thread).
#[cfg(test)]
pub(crate) fn for_each_isa(mut f: impl FnMut(Isa)) {
    for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512] {
        if isa <= Isa::detected() {
            TEST_ISA.set(Some(isa));
            f(isa);
        }
    }
    TEST_ISA.set(None);
}

/// Compiles a slice kernel three times (AVX-512, AVX2+FMA, baseline) and
/// calls the one [`isa`] names; applied as `#[apply(simd_kernel!)]`. The
/// `#[inline(always)]` helpers a kernel calls are compiled into each copy;
/// the body sees `FMA`, true where the copy may fuse multiply-adds (pass it
/// to the [`math`] cores and `.fma::<FMA>`).
/// On aarch64 the baseline copy is the NEON one.
macro_rules! simd_kernel {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2,fma")]
                fn avx512($($arg: $ty),*) $(-> $ret)? {
                    #[allow(dead_code)]
                    const FMA: bool = true;
                    $body
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    #[allow(dead_code)]
                    const FMA: bool = true;
                    $body
                }
                match $crate::kernels::isa() {
                    // SAFETY: `isa()` names only instruction sets the CPU has.
                    $crate::kernels::Isa::Avx512 => return unsafe { avx512($($arg),*) },
                    $crate::kernels::Isa::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::kernels::Isa::Baseline => {}
                }
            }
            // aarch64 always has FMA; x86-64's baseline does not.
            #[allow(dead_code)]
            const FMA: bool = cfg!(target_arch = "aarch64");
            $body
        }
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

/// |got − want| in units in the last place of max(|want|, floor) (0 when
/// both are NaN or the same infinity; infinite when only one is).
#[cfg(test)]
pub(crate) fn err_ulps(got: f64, want: f64, floor: f64) -> f64 {
    if want.is_nan() || want.is_infinite() || got.is_nan() || got.is_infinite() {
        let same = (want.is_nan() && got.is_nan()) || want == got;
        return if same { 0.0 } else { f64::INFINITY };
    }
    let scale = want.abs().max(floor).max(f64::MIN_POSITIVE);
    let ulp = f64::from_bits(scale.to_bits() & 0x7ff0_0000_0000_0000) * f64::EPSILON;
    (got - want).abs() / ulp
}
