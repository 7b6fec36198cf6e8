//! Vectorizable float64 kernels for the hot loops (exp, log1p, tanh over
//! whole slices).
//!
//! libm's `exp`, `log1p` and `tanh` are calls the compiler cannot vectorize,
//! and the grid sampler evaluates tens of millions of them. The kernels here
//! are branch-free (both sides of a choice are computed, then selected), so
//! LLVM vectorizes them, and `multiversion` compiles them for AVX-512, AVX2+FMA
//! and NEON with a runtime choice, so the binary still runs on any CPU.
//! Accuracy: within a few ulp of libm over the whole range (tested below).

use super::simd_kernel;
use macro_rules_attribute::apply;

/// 1.5 · 2^52: adding it rounds to an integer held in the low mantissa bits.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;
const LN2_HI: f64 = 0.6931471803691238;
const LN2_LO: f64 = 1.9082149292705877e-10;

/// Cephes' Padé form of e^r on |r| ≤ ln2/2: e^r = (Q(r²) + rP(r²)) / (Q(r²) − rP(r²)).
#[inline(always)]
fn exp_pade(r: f64) -> (f64, f64) {
    let rr = r * r;
    let p = 0.00012617719307481058_f64
        .mul_add(rr, 0.030299440770744195)
        .mul_add(rr, 1.0);
    let q = 3.0019850513866446e-06_f64
        .mul_add(rr, 0.002524483403496841)
        .mul_add(rr, 0.22726554820815503)
        .mul_add(rr, 2.0);
    (q, r * p)
}

/// Splits x = n ln2 + r (|r| ≤ ln2/2) and returns (r, 2^n); x in [-700, 700].
#[inline(always)]
fn reduce(x: f64) -> (f64, f64) {
    let t = x.mul_add(std::f64::consts::LOG2_E, ROUND_SHIFT);
    let n = t - ROUND_SHIFT;
    let r = (-n).mul_add(LN2_LO, (-n).mul_add(LN2_HI, x));
    // 2^n from the low bits of t: (n + 1023) << 52.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    (r, scale)
}

/// e^x, branch-free; arguments are clamped to [-700, 700] (NaN propagates).
#[inline(always)]
fn exp_core(x: f64) -> f64 {
    let x = x.clamp(-700.0, 700.0);
    let (r, scale) = reduce(x);
    let (q, rp) = exp_pade(r);
    scale * ((q + rp) / (q - rp))
}

/// tanh(x) with a single division: with 2|x| = n ln2 + r and e^r = (Q+rP)/(Q−rP),
/// tanh|x| = ((s−1)Q + (s+1)rP) / ((s+1)Q + (s−1)rP), s = 2^n. For small |x|
/// (n = 0) the numerator is 2rP exactly, so small arguments keep full
/// relative precision. NaN propagates; ±inf gives ±1.
#[inline(always)]
fn tanh_core(x: f64) -> f64 {
    let ax = x.abs();
    // NaN > 20 is false, so NaN flows through and out as NaN.
    let y = if ax > 20.0 { 40.0 } else { 2.0 * ax };
    let (r, s) = reduce(y);
    let (q, rp) = exp_pade(r);
    let num = (s - 1.0).mul_add(q, (s + 1.0) * rp);
    let den = (s + 1.0).mul_add(q, (s - 1.0) * rp);
    (num / den).copysign(x)
}

/// ln(x) for positive normal finite x: x = 2^e m with m in [√½, √2), then
/// ln m = 2 atanh(f), f = (m − 1)/(m + 1), |f| ≤ 0.1716, by its odd series.
#[inline(always)]
fn ln_core(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    // Exponent as a float without an int→float conversion: 2^52 + e − 2^52.
    let mut e = f64::from_bits(((bits >> 52) & 0x7ff) | 0x4330_0000_0000_0000)
        - 4_503_599_627_370_496.0
        - 1023.0;
    let big = m > std::f64::consts::SQRT_2;
    m = if big { 0.5 * m } else { m };
    e = if big { e + 1.0 } else { e };
    let f = (m - 1.0) / (m + 1.0);
    let ff = f * f;
    // 2 atanh(f) = 2f (1 + ff/3 + ff²/5 + ...); ff ≤ 0.02944: 10 terms.
    let mut p: f64 = 1.0 / 21.0;
    p = p.mul_add(ff, 1.0 / 19.0);
    p = p.mul_add(ff, 1.0 / 17.0);
    p = p.mul_add(ff, 1.0 / 15.0);
    p = p.mul_add(ff, 1.0 / 13.0);
    p = p.mul_add(ff, 1.0 / 11.0);
    p = p.mul_add(ff, 1.0 / 9.0);
    p = p.mul_add(ff, 1.0 / 7.0);
    p = p.mul_add(ff, 1.0 / 5.0);
    p = p.mul_add(ff, 1.0 / 3.0);
    let ln_m = (2.0 * f).mul_add(ff * p, 2.0 * f);
    e.mul_add(LN2_HI, e.mul_add(LN2_LO, ln_m))
}

/// ln(1 + u) for u ≥ 0 (finite): ln of w = 1 + u, plus the part of u that
/// rounding dropped from w (divided by w ≈ 1 where it matters).
#[inline(always)]
fn log1p_core(u: f64) -> f64 {
    let w = 1.0 + u;
    let lost = u - (w - 1.0);
    ln_core(w) + lost / w
}

/// log(1 + e^z), stable for any z.
#[inline(always)]
fn softplus_core(z: f64) -> f64 {
    z.max(0.0) + log1p_core(exp_core(-z.abs()))
}

/// Replaces every entry of `values` by its tanh.
#[apply(simd_kernel!)]
pub fn tanh_in_place(values: &mut [f64]) {
    for v in values.iter_mut() {
        *v = tanh_core(*v);
    }
}

/// out[i] = e^{scale · (base[i] + c · dir[i])}, exponents clamped to ±700;
/// returns the largest |exponent| before clamping (NaN if any was NaN), so
/// the caller can tell whether the clamp changed anything.
#[apply(simd_kernel!)]
pub fn exp_affine_into(out: &mut [f64], base: &[f64], dir: &[f64], c: f64, scale: f64) -> f64 {
    let n = out.len();
    let (base, dir) = (&base[..n], &dir[..n]);
    // Three simple passes, each of which vectorizes.
    for i in 0..n {
        out[i] = scale * c.mul_add(dir[i], base[i]);
    }
    let (largest, any_nan) = out.iter().fold((0.0f64, false), |(m, nan), &x| {
        (m.max(x.abs()), nan | x.is_nan())
    });
    for o in out.iter_mut() {
        *o = exp_core(*o);
    }
    // A NaN exponent must not pass as in range.
    if any_nan { f64::NAN } else { largest }
}

/// out[i] = 1 − 2 / (e1[i] · e2[i] + 1): tanh(u + v) from e1 = e^{2u}, e2 = e^{2v}.
#[apply(simd_kernel!)]
pub fn tanh_from_exp_product(out: &mut [f64], e1: &[f64], e2: &[f64]) {
    let n = out.len();
    let (e1, e2) = (&e1[..n], &e2[..n]);
    for i in 0..n {
        out[i] = 1.0 - 2.0 / e1[i].mul_add(e2[i], 1.0);
    }
}

/// out[i] = 1 / (e1[i] · e2[i] + 1): sigmoid(u + v) from e1 = e^{−u}, e2 = e^{−v}.
#[apply(simd_kernel!)]
pub fn sigmoid_from_exp_product(out: &mut [f64], e1: &[f64], e2: &[f64]) {
    let n = out.len();
    let (e1, e2) = (&e1[..n], &e2[..n]);
    for i in 0..n {
        out[i] = 1.0 / e1[i].mul_add(e2[i], 1.0);
    }
}

/// out[i] = base[i] + a · da[i] + b · db[i].
#[apply(simd_kernel!)]
pub fn affine2(out: &mut [f64], base: &[f64], da: &[f64], db: &[f64], a: f64, b: f64) {
    let n = out.len();
    let (base, da, db) = (&base[..n], &da[..n], &db[..n]);
    for i in 0..n {
        out[i] = b.mul_add(db[i], a.mul_add(da[i], base[i]));
    }
}

/// Σ_i softplus(z[i]) − y[i] z[i]: the summed `bce_logits` loss.
#[apply(simd_kernel!)]
pub fn bce_logits_sum(z: &[f64], y: &[f64]) -> f64 {
    const BLOCK: usize = 64;
    let y = &y[..z.len()];
    let mut total = 0.0;
    let mut terms = [0.0f64; BLOCK];
    for (zb, yb) in z.chunks(BLOCK).zip(y.chunks(BLOCK)) {
        // A plain element-wise loop vectorizes; the sum follows.
        for ((t, &z), &y) in terms.iter_mut().zip(zb).zip(yb) {
            *t = softplus_core(z) - y * z;
        }
        total += terms[..zb.len()].iter().sum::<f64>();
    }
    total
}

/// Σ over samples i of logsumexp(z[·, i]) − z[class_i, i]: the summed
/// `softmax_ce` loss, for logits stored class-major (`width` rows of
/// `classes.len()` samples each), so that every loop runs over contiguous
/// samples and vectorizes.
#[apply(simd_kernel!)]
pub fn softmax_ce_sum(logits: &[f64], width: usize, classes: &[usize]) -> f64 {
    const BLOCK: usize = 64;
    let n = classes.len();
    assert_eq!(logits.len(), width * n, "logits shape");
    let mut total = 0.0;
    for start in (0..n).step_by(BLOCK) {
        let len = BLOCK.min(n - start);
        let col = |k: usize| &logits[k * n + start..k * n + start + len];
        let (mut max, mut arg, mut others) = ([0.0f64; BLOCK], [0.0f64; BLOCK], [0.0f64; BLOCK]);
        max[..len].copy_from_slice(col(0));
        for k in 1..width {
            for (r, &v) in col(k).iter().enumerate() {
                let bigger = v > max[r];
                max[r] = if bigger { v } else { max[r] };
                arg[r] = if bigger { k as f64 } else { arg[r] };
            }
        }
        // The largest term is e^0 = 1; log1p of the others keeps precision
        // when one class dominates.
        for k in 0..width {
            for (r, &v) in col(k).iter().enumerate() {
                let e = exp_core(v - max[r]);
                others[r] += if arg[r] == k as f64 { 0.0 } else { e };
            }
        }
        for (m, o) in max[..len].iter_mut().zip(&others[..len]) {
            *m += log1p_core(*o);
        }
        for (r, lse) in max[..len].iter().enumerate() {
            total += lse - logits[classes[start + r] * n + start + r];
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::samples;
    use rand::{Rng, SeedableRng};

    fn rel_err(got: f64, want: f64) -> f64 {
        if want == 0.0 {
            got.abs()
        } else {
            ((got - want) / want).abs()
        }
    }

    #[test]
    fn tanh_matches_libm_to_a_few_ulp() {
        let mut xs = samples(&[1e-8, 0.1, 0.35, 0.7, 3.0, 12.0, 40.0], 300_000, 7);
        xs.extend([
            0.0, -0.0, 0.3465, -0.3466, 19.0, 20.5, 1e300, -1e-300, 5e-324,
        ]);
        let mut got = xs.clone();
        tanh_in_place(&mut got);
        let worst = xs
            .iter()
            .zip(&got)
            .map(|(&x, &g)| rel_err(g, x.tanh()))
            .fold(0.0, f64::max);
        assert!(worst < 1e-15, "worst relative error {worst:e}");
        assert!(got[xs.len() - 9].is_sign_positive() && got[xs.len() - 8].is_sign_negative());
    }

    #[test]
    fn tanh_handles_non_finite() {
        let mut v = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
        tanh_in_place(&mut v);
        assert!(v[0].is_nan());
        assert_eq!((v[1], v[2]), (1.0, -1.0));
    }

    #[test]
    fn exp_matches_libm() {
        let xs = samples(&[1e-9, 0.5, 10.0, 300.0, 699.0], 200_000, 3);
        let mut got = vec![0.0; xs.len()];
        let zeros = vec![0.0; xs.len()];
        exp_affine_into(&mut got, &xs, &zeros, 0.0, 1.0);
        let worst = xs
            .iter()
            .zip(&got)
            .map(|(&x, &g)| rel_err(g, x.exp()))
            .fold(0.0, f64::max);
        assert!(worst < 1e-15, "worst relative error {worst:e}");
        let mut nan = [0.0];
        assert!(exp_affine_into(&mut nan, &[f64::NAN], &[0.0], 0.0, 1.0).is_nan());
        assert!(nan[0].is_nan());
    }

    #[test]
    fn log1p_and_ln_match_libm() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..200_000 {
            let u: f64 = 10f64.powf(rng.random_range(-300.0..3.0));
            assert!(rel_err(log1p_core(u), u.ln_1p()) < 1e-15, "log1p({u})");
            let x: f64 = 10f64.powf(rng.random_range(-300.0..300.0));
            assert!(
                (ln_core(x) - x.ln()).abs() <= 1e-15 * x.ln().abs().max(1.0),
                "ln({x})"
            );
        }
        assert_eq!(log1p_core(0.0), 0.0);
    }

    #[test]
    fn losses_match_their_scalar_forms() {
        let z = samples(&[0.01, 2.0, 30.0, 800.0], 1001, 9);
        let y: Vec<f64> = (0..z.len()).map(|i| (i % 3) as f64 / 2.0).collect();
        let want: f64 = z
            .iter()
            .zip(&y)
            .map(|(&z, &y)| z.max(0.0) + (-z.abs()).exp().ln_1p() - y * z)
            .sum();
        assert!(rel_err(bce_logits_sum(&z, &y), want) < 1e-14);
        let classes: Vec<usize> = (0..z.len() / 3).map(|i| i % 3).collect();
        let n = classes.len();
        let logits = &z[..n * 3];
        let want: f64 = (0..n)
            .map(|i| {
                let row: Vec<f64> = (0..3).map(|k| logits[k * n + i]).collect();
                let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln() - row[classes[i]]
            })
            .sum();
        assert!(rel_err(softmax_ce_sum(logits, 3, &classes), want) < 1e-13);
    }

    #[test]
    fn exp_products_give_tanh_and_sigmoid_of_sums() {
        let (u, v) = (0.3_f64, -1.1_f64);
        let (mut t, mut s) = ([0.0], [0.0]);
        tanh_from_exp_product(&mut t, &[(2.0 * u).exp()], &[(2.0 * v).exp()]);
        sigmoid_from_exp_product(&mut s, &[(-u).exp()], &[(-v).exp()]);
        assert!(rel_err(t[0], (u + v).tanh()) < 1e-15);
        assert!(rel_err(s[0], 1.0 / (1.0 + (-(u + v)).exp())) < 1e-15);
    }

    #[test]
    fn affine_kernel_agrees_with_plain_arithmetic() {
        let mut out = [0.0; 3];
        affine2(
            &mut out,
            &[0.1, -2.0, 3.5],
            &[1.0, 0.5, -0.25],
            &[-1.0, 2.0, 0.125],
            0.3,
            -0.7,
        );
        for (o, w) in out
            .iter()
            .zip([0.1 + 0.3 + 0.7, -2.0 + 0.15 - 1.4, 3.5 - 0.075 - 0.0875])
        {
            assert!((o - w).abs() < 1e-15);
        }
    }
}
