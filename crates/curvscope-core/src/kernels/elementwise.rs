//! Slice kernels of the grid sampler and the losses: exponential factors,
//! activations of sums from them, affine combinations, and the summed
//! losses, on the branch-free cores of [`super::math`].

use super::math::MulAdd;
use super::math::{exp_core, gelu_core, log1p_core, softplus_core};
use super::simd_kernel;
use macro_rules_attribute::apply;

/// `out[i] = e^{scale · (base[i] + c · dir[i])}`, exponents clamped to ±700;
/// returns the largest |exponent| before clamping (NaN if any was NaN), so
/// the caller can tell whether the clamp changed anything.
#[apply(simd_kernel!)]
pub fn exp_affine_into(out: &mut [f64], base: &[f64], dir: &[f64], c: f64, scale: f64) -> f64 {
    let n = out.len();
    let (base, dir) = (&base[..n], &dir[..n]);
    // Three simple passes, each of which vectorizes.
    for i in 0..n {
        out[i] = scale * c.fma::<FMA>(dir[i], base[i]);
    }
    let (largest, any_nan) = out.iter().fold((0.0f64, false), |(m, nan), &x| {
        (m.max(x.abs()), nan | x.is_nan())
    });
    for o in out.iter_mut() {
        *o = exp_core::<FMA>(*o);
    }
    // A NaN exponent must not pass as in range.
    if any_nan { f64::NAN } else { largest }
}

/// `out[i] = 1 − 2 / (e1[i] · e2[i] + 1)`: tanh(u + v) from e1 = e^{2u}, e2 = e^{2v}.
#[apply(simd_kernel!)]
pub fn tanh_from_exp_product(out: &mut [f64], e1: &[f64], e2: &[f64]) {
    let n = out.len();
    let (e1, e2) = (&e1[..n], &e2[..n]);
    for i in 0..n {
        out[i] = 1.0 - 2.0 / e1[i].fma::<FMA>(e2[i], 1.0);
    }
}

/// `out[i] = 1 / (e1[i] · e2[i] + 1)`: sigmoid(u + v) from e1 = e^{−u}, e2 = e^{−v}.
#[apply(simd_kernel!)]
pub fn sigmoid_from_exp_product(out: &mut [f64], e1: &[f64], e2: &[f64]) {
    let n = out.len();
    let (e1, e2) = (&e1[..n], &e2[..n]);
    for i in 0..n {
        out[i] = 1.0 / e1[i].fma::<FMA>(e2[i], 1.0);
    }
}

/// `out[i] = log(1 + e1[i] · e2[i])`: softplus(u + v) from e1 = e^u, e2 = e^v
/// (each at most e^350, so that the product stays finite).
#[apply(simd_kernel!)]
pub fn softplus_from_exp_product(out: &mut [f64], e1: &[f64], e2: &[f64]) {
    let n = out.len();
    let (e1, e2) = (&e1[..n], &e2[..n]);
    for i in 0..n {
        out[i] = log1p_core::<FMA>(e1[i] * e2[i]);
    }
}

/// `out[i] = base[i] + a · da[i] + b · db[i]`.
#[apply(simd_kernel!)]
pub fn affine2(out: &mut [f64], base: &[f64], da: &[f64], db: &[f64], a: f64, b: f64) {
    let n = out.len();
    let (base, da, db) = (&base[..n], &da[..n], &db[..n]);
    for i in 0..n {
        out[i] = b.fma::<FMA>(db[i], a.fma::<FMA>(da[i], base[i]));
    }
}

/// `out[i] = gelu(base[i] + a · da[i] + b · db[i])`: [`affine2`] and GELU in
/// one pass, the grid's first layer without storing and reloading it.
#[apply(simd_kernel!)]
pub fn gelu_of_affine2(out: &mut [f64], base: &[f64], da: &[f64], db: &[f64], a: f64, b: f64) {
    let n = out.len();
    let (base, da, db) = (&base[..n], &da[..n], &db[..n]);
    for i in 0..n {
        out[i] = gelu_core::<FMA>(b.fma::<FMA>(db[i], a.fma::<FMA>(da[i], base[i])));
    }
}

/// `Σ_i softplus(z[i]) − y[i] z[i]`: the summed `bce_logits` loss.
#[apply(simd_kernel!)]
pub fn bce_logits_sum(z: &[f64], y: &[f64]) -> f64 {
    const BLOCK: usize = 64;
    let y = &y[..z.len()];
    let mut total = 0.0;
    let mut terms = [0.0f64; BLOCK];
    for (zb, yb) in z.chunks(BLOCK).zip(y.chunks(BLOCK)) {
        // A plain element-wise loop vectorizes; the sum follows.
        for ((t, &z), &y) in terms.iter_mut().zip(zb).zip(yb) {
            *t = softplus_core::<FMA>(z) - y * z;
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
                let e = exp_core::<FMA>(v - max[r]);
                others[r] += if arg[r] == k as f64 { 0.0 } else { e };
            }
        }
        for (m, o) in max[..len].iter_mut().zip(&others[..len]) {
            *m += log1p_core::<FMA>(*o);
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
    use crate::kernels::{for_each_isa, samples};

    fn rel_err(got: f64, want: f64) -> f64 {
        if want == 0.0 {
            got.abs()
        } else {
            ((got - want) / want).abs()
        }
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
        let (mut t, mut s, mut p) = ([0.0], [0.0], [0.0]);
        tanh_from_exp_product(&mut t, &[(2.0 * u).exp()], &[(2.0 * v).exp()]);
        sigmoid_from_exp_product(&mut s, &[(-u).exp()], &[(-v).exp()]);
        softplus_from_exp_product(&mut p, &[u.exp()], &[v.exp()]);
        assert!(rel_err(p[0], (u + v).exp().ln_1p()) < 1e-15);
        assert!(rel_err(t[0], (u + v).tanh()) < 1e-15);
        assert!(rel_err(s[0], 1.0 / (1.0 + (-(u + v)).exp())) < 1e-15);
    }

    #[test]
    fn fused_gelu_layer_is_affine2_then_gelu() {
        let base = samples(&[0.5, 3.0, 30.0], 1003, 21);
        let da = samples(&[1.0, 4.0], 1003, 22);
        let db = samples(&[2.0], 1003, 23);
        for_each_isa(|isa| {
            let mut fused = vec![0.0; base.len()];
            gelu_of_affine2(&mut fused, &base, &da, &db, 0.7, -1.3);
            let mut apart = vec![0.0; base.len()];
            affine2(&mut apart, &base, &da, &db, 0.7, -1.3);
            crate::model::activation::Activation::Gelu.apply_in_place(&mut apart);
            assert_eq!(fused, apart, "{isa:?}");
        });
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
