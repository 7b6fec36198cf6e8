//! Hidden-layer activations over whole slices: values σ(z), the derivatives
//! σ', σ'' the Hessian needs, and the σ' scaling of backpropagation, each a
//! branch-free loop that vectorizes (`model::activation::Activation` picks
//! the kernels of each activation).
//!
//! Accuracy against the scalar reference (`Activation::value` and
//! `Activation::derivatives`, on libm's tanh, exp, log1p and erfc), tested
//! below on every instruction set the CPU has, over |z| up to 800 and the
//! special values (±0, subnormals, ±1e300, ±∞, NaN), in ulp of the binade of
//! the reference (below 2^−1000, where float64 keeps fewer bits, in ulp of
//! 2^−1000):
//! - values: relu and linear exact; sigmoid and softplus within 4 ulp,
//!   tanh within 5 (4 with FMA), gelu within 6;
//! - derivatives: tanh and sigmoid apply the reference's formulas to σ(z),
//!   so from the same σ(z) they are exact; softplus within 4 ulp of σ'
//!   (σ'' = σ'(1 − σ') in ulp of σ', its cancellation as in the reference);
//!   gelu within 8 ulp of the largest term of each formula (Φ or |z|φ for
//!   σ' = Φ + zφ, φ max(2, z²) for σ'' = φ(2 − z²)): where terms cancel the
//!   error is absolute at that scale;
//! - backpropagation's g ⊙ σ' is exactly g times the σ' above.

use super::math::MulAdd;
use super::math::{
    gelu_core, normal_cdf_core, normal_pdf_core, sigmoid_core, softplus_core, tanh_core,
};
use super::simd_kernel;
use macro_rules_attribute::apply;

/// Replaces every entry of `values` by its tanh.
#[apply(simd_kernel!)]
pub fn tanh_in_place(values: &mut [f64]) {
    for v in values.iter_mut() {
        *v = tanh_core::<FMA>(*v);
    }
}

/// Replaces every entry by its logistic function.
#[apply(simd_kernel!)]
pub fn sigmoid_in_place(values: &mut [f64]) {
    for v in values.iter_mut() {
        *v = sigmoid_core::<FMA>(*v);
    }
}

/// Replaces every entry z by log(1 + e^z).
#[apply(simd_kernel!)]
pub fn softplus_in_place(values: &mut [f64]) {
    for v in values.iter_mut() {
        *v = softplus_core::<FMA>(*v);
    }
}

/// Replaces every entry z by z Φ(z) (exact GELU, see `gelu_core`).
#[apply(simd_kernel!)]
pub fn gelu_in_place(values: &mut [f64]) {
    for v in values.iter_mut() {
        *v = gelu_core::<FMA>(*v);
    }
}

/// Replaces every entry z by max(z, 0) (NaN becomes 0, as `f64::max` does).
#[apply(simd_kernel!)]
pub fn relu_in_place(values: &mut [f64]) {
    for v in values.iter_mut() {
        *v = if *v > 0.0 { *v } else { 0.0 };
    }
}

/// σ' and σ'' of tanh from a = tanh z: 1 − a², −2a(1 − a²).
#[apply(simd_kernel!)]
pub fn tanh_derivatives(a: &[f64], d1: &mut [f64], d2: &mut [f64]) {
    let n = a.len();
    let (d1, d2) = (&mut d1[..n], &mut d2[..n]);
    for i in 0..n {
        let d = 1.0 - a[i] * a[i];
        d1[i] = d;
        d2[i] = -2.0 * a[i] * d;
    }
}

/// σ' and σ'' of the logistic function from a = σ(z): a(1 − a), σ'(1 − 2a).
#[apply(simd_kernel!)]
pub fn sigmoid_derivatives(a: &[f64], d1: &mut [f64], d2: &mut [f64]) {
    let n = a.len();
    let (d1, d2) = (&mut d1[..n], &mut d2[..n]);
    for i in 0..n {
        let d = a[i] * (1.0 - a[i]);
        d1[i] = d;
        d2[i] = d * (1.0 - 2.0 * a[i]);
    }
}

/// σ' and σ'' of softplus: s = sigmoid(z), then s(1 − s).
#[apply(simd_kernel!)]
pub fn softplus_derivatives(z: &[f64], d1: &mut [f64], d2: &mut [f64]) {
    let n = z.len();
    let (d1, d2) = (&mut d1[..n], &mut d2[..n]);
    for i in 0..n {
        let s = sigmoid_core::<FMA>(z[i]);
        d1[i] = s;
        d2[i] = s * (1.0 - s);
    }
}

/// σ' and σ'' of GELU: Φ(z) + z φ(z), φ(z)(2 − z²).
#[apply(simd_kernel!)]
pub fn gelu_derivatives(z: &[f64], d1: &mut [f64], d2: &mut [f64]) {
    let n = z.len();
    let (d1, d2) = (&mut d1[..n], &mut d2[..n]);
    for i in 0..n {
        let (cdf, pdf) = (normal_cdf_core::<FMA>(z[i]), normal_pdf_core::<FMA>(z[i]));
        d1[i] = z[i].fma::<FMA>(pdf, cdf);
        d2[i] = pdf * (2.0 - z[i] * z[i]);
    }
}

/// g ⊙= σ'(z) for the activations whose σ' comes from a = σ(z):
/// tanh (1 − a²) when `tanh`, else the logistic function (a(1 − a)).
#[apply(simd_kernel!)]
pub fn scale_by_derivative_of_value(g: &mut [f64], a: &[f64], tanh: bool) {
    let a = &a[..g.len()];
    if tanh {
        for (g, &a) in g.iter_mut().zip(a) {
            *g *= 1.0 - a * a;
        }
    } else {
        for (g, &a) in g.iter_mut().zip(a) {
            *g *= a * (1.0 - a);
        }
    }
}

/// g ⊙= σ'(z) for the activations whose σ' comes from z: softplus
/// (sigmoid(z)) when `softplus`, else GELU (Φ(z) + z φ(z)).
#[apply(simd_kernel!)]
pub fn scale_by_derivative_of_input(g: &mut [f64], z: &[f64], softplus: bool) {
    let z = &z[..g.len()];
    if softplus {
        for (g, &z) in g.iter_mut().zip(z) {
            *g *= sigmoid_core::<FMA>(z);
        }
    } else {
        for (g, &z) in g.iter_mut().zip(z) {
            *g *= z.fma::<FMA>(normal_pdf_core::<FMA>(z), normal_cdf_core::<FMA>(z));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels::{err_ulps, for_each_isa, samples};
    use crate::model::activation::Activation;

    /// Wide random inputs and the special values.
    fn inputs() -> Vec<f64> {
        let mut z = samples(&[1e-9, 0.3, 1.0, 2.5, 5.0, 12.0, 40.0, 800.0], 400_000, 11);
        let special = [
            0.0,
            -0.0,
            5e-324,
            -5e-324,
            1e-310,
            f64::MIN_POSITIVE,
            1e-300,
            -1e-300,
            0.84375 * std::f64::consts::SQRT_2,
            -1.25 * std::f64::consts::SQRT_2,
            -2.857142857142857 * std::f64::consts::SQRT_2,
            -37.0,
            -38.5,
            -39.0,
            -745.5,
            709.9,
            1e300,
            -1e300,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        z.extend(special);
        z
    }

    /// Worst error of `got` against `want` in ulp of max(|want|, floor).
    fn worst(
        zs: &[f64],
        got: &[f64],
        want: impl Fn(f64) -> f64,
        floor: impl Fn(f64) -> f64,
    ) -> (f64, f64) {
        zs.iter()
            .zip(got)
            .map(|(&z, &g)| (err_ulps(g, want(z), floor(z)), z))
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
    }

    #[test]
    fn values_match_the_scalar_reference() {
        let zs = inputs();
        for_each_isa(|isa| {
            for (act, bound) in [
                (Activation::Tanh, 5.0),
                (Activation::Relu, 0.0),
                (Activation::Linear, 0.0),
                (Activation::Sigmoid, 4.0),
                (Activation::Softplus, 4.0),
                (Activation::Gelu, 6.0),
            ] {
                let mut got = zs.clone();
                act.apply_in_place(&mut got);
                let (err, at) = worst(&zs, &got, |z| act.value(z), |_| TINY);
                assert!(err <= bound, "{isa:?} {act:?}: {err} ulp at z = {at:e}");
            }
        });
    }

    #[test]
    fn derivatives_match_the_scalar_reference() {
        let zs = inputs();
        for_each_isa(|isa| {
            for (act, bound) in Activation::ALL
                .into_iter()
                .zip([0.0, 0.0, 8.0, 0.0, 4.0, 0.0])
            {
                let a: Vec<f64> = zs.iter().map(|&z| act.value(z)).collect();
                let (mut d1, mut d2) = (vec![0.0; zs.len()], vec![0.0; zs.len()]);
                act.derivatives_into(&zs, &a, &mut d1, &mut d2);
                let reference = |z: f64| act.derivatives(z, act.value(z));
                let (e1, at1) = worst(&zs, &d1, |z| reference(z).0, |z| scales(act, z).0.max(TINY));
                let (e2, at2) = worst(&zs, &d2, |z| reference(z).1, |z| scales(act, z).1.max(TINY));
                assert!(e1 <= bound, "{isa:?} {act:?} σ': {e1} ulp at z = {at1:e}");
                assert!(e2 <= bound, "{isa:?} {act:?} σ'': {e2} ulp at z = {at2:e}");
                // Backpropagation scales by the same σ'.
                let g = samples(&[3.0], zs.len(), 12);
                let mut scaled = g.clone();
                act.scale_by_derivative(&mut scaled, &zs, &a);
                for ((s, g), d) in scaled.iter().zip(&g).zip(&d1) {
                    assert!(err_ulps(*s, g * d, 0.0) == 0.0, "{isa:?} {act:?} scaling");
                }
            }
        });
    }

    /// Below this, errors are measured absolutely: results there are near
    /// or in the subnormals, where float64 itself keeps fewer bits.
    const TINY: f64 = 9.332_636_185_032_189e-302; // 2^-1000

    /// The scales of σ'(z) and σ''(z) their errors are measured in: the
    /// largest term of each formula (where terms cancel, as in Φ + zφ near
    /// z = −0.75 or 2 − z² near √2, the error is absolute at that scale).
    fn scales(act: Activation, z: f64) -> (f64, f64) {
        use crate::model::activation::{normal_pdf, sigmoid};
        match act {
            Activation::Gelu => {
                let (cdf, pdf) = (Activation::Gelu.value(z) / z, normal_pdf(z));
                (cdf.max((z * pdf).abs()), pdf * (z * z).max(2.0))
            }
            Activation::Softplus => (sigmoid(z), sigmoid(z)),
            _ => (0.0, 0.0),
        }
    }
}
