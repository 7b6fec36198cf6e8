//! Branch-free scalar cores of the transcendental functions the slice
//! kernels need: e^x, ln, log1p, tanh, the logistic function, softplus, erfc
//! and the normal distribution.
//!
//! libm's functions are calls the compiler cannot vectorize. These are
//! branch-free (both sides of a choice are computed, then selected) and
//! `#[inline(always)]`, so inside a slice kernel LLVM vectorizes them for the
//! instruction set the kernel is compiled for.
//!
//! Accuracy against libm (tests below), over the whole range including ±0,
//! subnormals, ±∞ and NaN, in ulp of the binade of the exact value: e^x
//! (whole range, to the subnormals), ln and log1p within 2 ulp; tanh, the
//! logistic function and softplus within 4; erfc within 4 wherever erfc(x)
//! is a normal number (x < 26.5), and the one-division erfc GELU's values
//! use within 6 there (with FMA); φ within 4 of a reference that is itself
//! within 2. [`super::activation`] states the bounds of the activations.

/// 1.5 · 2^52: adding it rounds to an integer held in the low mantissa bits.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;
const LN2_HI: f64 = 0.6931471803691238;
const LN2_LO: f64 = 1.9082149292705877e-10;

/// Cephes' Padé form of e^r on |r| ≤ ln2/2: e^r = (Q(r²) + rP(r²)) / (Q(r²) − rP(r²)).
#[inline(always)]
fn exp_pade<const F: bool>(r: f64) -> (f64, f64) {
    let rr = r * r;
    let p = 0.00012617719307481058_f64
        .fma::<F>(rr, 0.030299440770744195)
        .fma::<F>(rr, 1.0);
    let q = 3.0019850513866446e-06_f64
        .fma::<F>(rr, 0.002524483403496841)
        .fma::<F>(rr, 0.22726554820815503)
        .fma::<F>(rr, 2.0);
    (q, r * p)
}

/// Splits x = n ln2 + r (|r| ≤ ln2/2) and returns (r, 2^n); x in [-700, 700].
#[inline(always)]
fn reduce<const F: bool>(x: f64) -> (f64, f64) {
    let t = x.fma::<F>(std::f64::consts::LOG2_E, ROUND_SHIFT);
    let n = t - ROUND_SHIFT;
    let r = (-n).fma::<F>(LN2_LO, (-n).fma::<F>(LN2_HI, x));
    // 2^n from the low bits of t: (n + 1023) << 52.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    (r, scale)
}

/// e^x, branch-free; arguments are clamped to [-700, 700] (NaN propagates).
#[inline(always)]
pub(crate) fn exp_core<const F: bool>(x: f64) -> f64 {
    let x = x.clamp(-700.0, 700.0);
    let (r, scale) = reduce::<F>(x);
    let (q, rp) = exp_pade::<F>(r);
    scale * ((q + rp) / (q - rp))
}

/// tanh(x) with a single division: with 2|x| = n ln2 + r and e^r = (Q+rP)/(Q−rP),
/// tanh|x| = ((s−1)Q + (s+1)rP) / ((s+1)Q + (s−1)rP), s = 2^n. For small |x|
/// (n = 0) the numerator is 2rP exactly, so small arguments keep full
/// relative precision. NaN propagates; ±inf gives ±1.
#[inline(always)]
pub(crate) fn tanh_core<const F: bool>(x: f64) -> f64 {
    let ax = x.abs();
    // NaN > 20 is false, so NaN flows through and out as NaN.
    let y = if ax > 20.0 { 40.0 } else { 2.0 * ax };
    let (r, s) = reduce::<F>(y);
    let (q, rp) = exp_pade::<F>(r);
    let num = (s - 1.0).fma::<F>(q, (s + 1.0) * rp);
    let den = (s + 1.0).fma::<F>(q, (s - 1.0) * rp);
    (num / den).copysign(x)
}

/// ln(x) for positive normal finite x: x = 2^e m with m in [√½, √2), then
/// ln m = 2 atanh(f), f = (m − 1)/(m + 1), |f| ≤ 0.1716, by its odd series.
#[inline(always)]
pub(crate) fn ln_core<const F: bool>(x: f64) -> f64 {
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
    p = p.fma::<F>(ff, 1.0 / 19.0);
    p = p.fma::<F>(ff, 1.0 / 17.0);
    p = p.fma::<F>(ff, 1.0 / 15.0);
    p = p.fma::<F>(ff, 1.0 / 13.0);
    p = p.fma::<F>(ff, 1.0 / 11.0);
    p = p.fma::<F>(ff, 1.0 / 9.0);
    p = p.fma::<F>(ff, 1.0 / 7.0);
    p = p.fma::<F>(ff, 1.0 / 5.0);
    p = p.fma::<F>(ff, 1.0 / 3.0);
    let ln_m = (2.0 * f).fma::<F>(ff * p, 2.0 * f);
    e.fma::<F>(LN2_HI, e.fma::<F>(LN2_LO, ln_m))
}

/// ln(1 + u) for u ≥ 0 (finite): ln of w = 1 + u, plus the part of u that
/// rounding dropped from w (divided by w ≈ 1 where it matters).
#[inline(always)]
pub(crate) fn log1p_core<const F: bool>(u: f64) -> f64 {
    let w = 1.0 + u;
    let lost = u - (w - 1.0);
    ln_core::<F>(w) + lost / w
}

/// e^(a + b) for a correction |b| ≤ 1 that is not rounded into a: the
/// reduction a − n ln2 is done on a alone (exactly), then b is added to the
/// reduced argument, so a large exact a and a small b (a two-part argument)
/// keep b's bits. Any range: the result underflows to 0 below about −745
/// (through the subnormals) and overflows to ∞ above about 709.8; NaN
/// propagates.
#[inline(always)]
pub(crate) fn exp_split<const F: bool>(a: f64, b: f64) -> f64 {
    // 2^n is applied as two factors 2^h 2^(n−h), each a normal number.
    let a = a.clamp(-1100.0, 710.0);
    let t = (a + b).fma::<F>(std::f64::consts::LOG2_E, ROUND_SHIFT);
    let n = t - ROUND_SHIFT;
    let r = (-n).fma::<F>(LN2_LO, (-n).fma::<F>(LN2_HI, a)) + b;
    let th = 0.5f64.fma::<F>(n, ROUND_SHIFT);
    let tl = (n - (th - ROUND_SHIFT)) + ROUND_SHIFT;
    let pow2 = |t: f64| f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    let (q, rp) = exp_pade::<F>(r);
    (q + rp) / (q - rp) * pow2(th) * pow2(tl)
}

/// e^x over the whole range (see [`exp_split`]).
#[inline(always)]
pub(crate) fn exp_full<const F: bool>(x: f64) -> f64 {
    exp_split::<F>(x, 0.0)
}

/// The logistic function 1 / (1 + e^−z), with e^−|z| so that nothing
/// overflows; NaN propagates.
#[inline(always)]
pub(crate) fn sigmoid_core<const F: bool>(z: f64) -> f64 {
    let e = exp_full::<F>(-z.abs());
    let r = 1.0 / (1.0 + e);
    if z >= 0.0 { r } else { e * r }
}

/// log(1 + e^z), stable for any z; NaN propagates.
#[inline(always)]
pub(crate) fn softplus_core<const F: bool>(z: f64) -> f64 {
    let e = exp_full::<F>(-z.abs());
    // max(NaN, 0) is 0, but e is NaN then and carries it.
    z.max(0.0) + log1p_core::<F>(e)
}

/// a·b + c, fused (one rounding) in the copies compiled with FMA (`F`),
/// else a multiply and an add: without FMA hardware, `f64::mul_add` is a
/// library call that neither inlines nor vectorizes.
pub(crate) trait MulAdd {
    /// a·b + c.
    fn fma<const F: bool>(self, b: f64, c: f64) -> f64;
}

impl MulAdd for f64 {
    #[inline(always)]
    fn fma<const F: bool>(self, b: f64, c: f64) -> f64 {
        if F { self.mul_add(b, c) } else { self * b + c }
    }
}

/// z² − zz exactly, for zz = z² rounded: one FMA, or Dekker's product of
/// the halves of z (split by Veltkamp's 2^27 + 1) without one.
#[inline(always)]
fn square_error<const F: bool>(z: f64, zz: f64) -> f64 {
    if F {
        z.mul_add(z, -zz)
    } else {
        let c = 134_217_729.0 * z;
        let hi = c - (c - z);
        let lo = z - hi;
        ((hi * hi - zz) + 2.0 * hi * lo) + lo * lo
    }
}

/// 1/√(2π).
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// The standard normal density φ(z) = e^(−z²/2) / √(2π), with z² split into
/// its rounded value and rounding error (one FMA) so that the exponent is
/// exact: within 2 ulp wherever φ is normal (|z| < 37.5).
#[inline(always)]
pub(crate) fn normal_pdf_core<const F: bool>(z: f64) -> f64 {
    let zz = z * z;
    // z² overflows for |z| > 1.3e154: φ is 0 there, and so is the correction.
    let lo = if zz < f64::INFINITY {
        square_error::<F>(z, zz)
    } else {
        0.0
    };
    INV_SQRT_2PI * exp_split::<F>(-0.5 * zz, -0.5 * lo)
}

/// Horner's rule, coefficients from the constant term up.
#[inline(always)]
fn horner<const F: bool, const N: usize>(x: f64, c: [f64; N]) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc.fma::<F>(x, k))
}

/// Coefficient-wise choice between two polynomials (both evaluated as one).
#[inline(always)]
fn pick<const N: usize>(first: bool, a: [f64; N], b: [f64; N]) -> [f64; N] {
    std::array::from_fn(|i| if first { a[i] } else { b[i] })
}

// FreeBSD's (Sun's) rational approximations of erf and erfc, as in libm
// (its decimal digits kept, hence the allowances below):
// |x| < 0.84375 (PP/QQ in x²), 0.84375 ≤ |x| < 1.25 (PA/QA in |x| − 1),
// 1.25 ≤ |x| < 2.857 (RA/SA in 1/x²), 2.857 ≤ |x| < 28 (RB/SB in 1/x²).
#[allow(clippy::excessive_precision)]
const ERX: f64 = 8.45062911510467529297e-01;
#[allow(clippy::excessive_precision)]
const PP: [f64; 5] = [
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
];
#[allow(clippy::excessive_precision)]
const QQ: [f64; 6] = [
    1.0,
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
];
#[allow(clippy::excessive_precision)]
const PA: [f64; 7] = [
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
];
#[allow(clippy::excessive_precision)]
const QA: [f64; 7] = [
    1.0,
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
];
#[allow(clippy::excessive_precision)]
const RA: [f64; 8] = [
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e+01,
    -6.23753324503260060396e+01,
    -1.62396669462573470355e+02,
    -1.84605092906711035994e+02,
    -8.12874355063065934246e+01,
    -9.81432934416914548592e+00,
];
#[allow(clippy::excessive_precision)]
const SA: [f64; 9] = [
    1.0,
    1.96512716674392571292e+01,
    1.37657754143519042600e+02,
    4.34565877475229228821e+02,
    6.45387271733267880336e+02,
    4.29008140027567833386e+02,
    1.08635005541779435134e+02,
    6.57024977031928170135e+00,
    -6.04244152148580987438e-02,
];
#[allow(clippy::excessive_precision)]
const RB: [f64; 8] = [
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e+01,
    -1.60636384855821916062e+02,
    -6.37566443368389627722e+02,
    -1.02509513161107724954e+03,
    -4.83519191608651397019e+02,
    0.0,
];
#[allow(clippy::excessive_precision)]
const SB: [f64; 9] = [
    1.0,
    3.03380607434824582924e+01,
    3.25792512996573918826e+02,
    1.53672958608443695994e+03,
    3.19985821950859553908e+03,
    2.55305040643316442583e+03,
    4.74528541206955367215e+02,
    -2.24409524465858183362e+01,
    0.0,
];

/// erfc(x), branch-free: libm's four rational approximations, each lane
/// choosing its numerator and denominator before the one division, and the
/// tail's two exponentials e^(−z²−0.5625) e^((z−x)(z+x)+R/S) taken as one
/// [`exp_split`] (the first part exact). NaN propagates.
#[inline(always)]
pub(crate) fn erfc_core<const F: bool>(x: f64) -> f64 {
    let ax = x.abs();
    let near = ax < 0.84375;
    let mid = ax < 1.25;
    // The tail on |x| clamped to [1, 28] (erfc(28) is 0 in float64).
    let at = ax.clamp(1.0, 28.0);
    let inv = 1.0 / at;
    let s = inv * inv;
    let first_tail = at < f64::from_bits(0x4006_db6d_0000_0000);
    let r_tail = horner::<F, _>(s, pick(first_tail, RA, RB));
    let s_tail = horner::<F, _>(s, pick(first_tail, SA, SB));
    let xx = x * x;
    let num = if near {
        horner::<F, _>(xx, PP)
    } else if mid {
        horner::<F, _>(ax - 1.0, PA)
    } else {
        r_tail
    };
    let den = if near {
        horner::<F, _>(xx, QQ)
    } else if mid {
        horner::<F, _>(ax - 1.0, QA)
    } else {
        s_tail
    };
    let q = num / den;
    let small = if x < 0.0 || ax < 0.25 {
        1.0 - x.fma::<F>(q, x)
    } else {
        0.5 - (x - 0.5 + x * q)
    };
    // z: |x| with its low 32 bits cleared, so z² is exact.
    let z = f64::from_bits(at.to_bits() & 0xffff_ffff_0000_0000);
    let tail = exp_split::<F>(-z * z - 0.5625, (z - at) * (z + at) + q) * inv;
    let positive = if mid { 1.0 - ERX - q } else { tail };
    let far = if x < 0.0 { 2.0 - positive } else { positive };
    let out = if near { small } else { far };
    if x.is_nan() { x } else { out }
}

/// The standard normal distribution function Φ(z) = erfc(−z/√2) / 2, with
/// −z/√2 rounded as −z · (1/√2).
#[inline(always)]
pub(crate) fn normal_cdf_core<const F: bool>(z: f64) -> f64 {
    // A multiply, not a division (the slowest vector operation); the scalar
    // reference rounds its argument the same way.
    0.5 * erfc_core::<F>(-z * std::f64::consts::FRAC_1_SQRT_2)
}

// The one-division erfc's approximations, fitted for it (rational and
// polynomial minimax in relative error, Lawson-weighted least squares in
// 40-digit mpmath, checked on 1500 points between the nodes):
// erf(x) = x (1 + N(x²)) on |x| < 0.84375, within 1e-17, and
// erfcx(a) = e^{a²} erfc(a) = P(a)/Q(a) on [0.84375, 27.5], within 6e-19.
// P is padded with a zero to Q's length (one Estrin scheme for both).
const ERF_NEAR: [f64; 11] = [
    0.12837916709551256,
    -0.37612638903183376,
    0.1128379167093422,
    -0.026866170640584334,
    0.005223977574600246,
    -0.000854832369836372,
    0.0001205519699141655,
    -1.492206351920515e-05,
    1.6400938977007488e-06,
    -1.57099095151588e-07,
    1.0713822082434597e-08,
];
const ERFCX_P: [f64; 11] = [
    0.9999999991578848,
    2.322306137029832,
    2.6577320243165303,
    1.9348417614464093,
    0.9803339299601483,
    0.35785048265094477,
    0.09434876718159571,
    0.01745358594021717,
    0.0020851896107636297,
    0.0001267570592830873,
    0.0,
];
const ERFCX_Q: [f64; 11] = [
    1.0,
    3.450685293920315,
    5.551413481550623,
    5.500508344414802,
    3.7313676707383014,
    1.8193631041999444,
    0.6496289688254987,
    0.16907678688053557,
    0.031048011131133146,
    0.003695902355461448,
    0.00022467103785579534,
];

/// c₀ + c₁x + … + c₁₀x¹⁰ by Estrin's scheme, given x², x⁴, x⁸: fewer
/// dependent steps than Horner's rule, and fewer roundings on each term
/// where all terms are positive and x is large.
#[inline(always)]
fn estrin11<const F: bool>(x: f64, x2: f64, x4: f64, x8: f64, c: [f64; 11]) -> f64 {
    let p01 = c[1].fma::<F>(x, c[0]);
    let p23 = c[3].fma::<F>(x, c[2]);
    let p45 = c[5].fma::<F>(x, c[4]);
    let p67 = c[7].fma::<F>(x, c[6]);
    let p89 = c[9].fma::<F>(x, c[8]);
    let p03 = p23.fma::<F>(x2, p01);
    let p47 = p67.fma::<F>(x2, p45);
    let p810 = c[10].fma::<F>(x2, p89);
    p810.fma::<F>(x8, p47.fma::<F>(x4, p03))
}

/// erfc(x) with a single division, for GELU's values (about twice as fast
/// as [`erfc_core`] with FMA, whose three divisions and four rational forms
/// it replaces): 1 − x(1 + N(x²)) on |x| < 0.84375 (no division), else
/// e^(−a²) P(a)/Q(a) with a = |x| (2 minus it for x < 0), where the
/// exponential's Padé quotient and P/Q share the division. Within 6 ulp
/// with FMA wherever erfc is normal (x < 26.5), within 2 ulp of the
/// smallest normal number where it is subnormal; without FMA its roundings
/// add up to 8, so the copies without FMA keep [`erfc_core`]. NaN
/// propagates.
#[inline(always)]
pub(crate) fn erfc_one_division<const F: bool>(x: f64) -> f64 {
    let poly = horner::<F, _>(x * x, ERF_NEAR);
    let near = if x < 0.0 || x.abs() < 0.25 {
        1.0 - x.fma::<F>(poly, x)
    } else {
        // 1 − erf as 0.5 − (erf − 0.5): x − 0.5 is exact here.
        0.5 - x.fma::<F>(poly, x - 0.5)
    };
    // The tail on |x| clamped to [0.84375, 27.3] (erfc is 0 from 27.23 on;
    // NaN passes the clamp and every choice below, and comes out).
    let a = x.abs().clamp(0.84375, 27.3);
    let aa = a * a;
    // e^(−a²) = 2^n e^r with a² = aa + lo split exactly (one FMA) and
    // r = −(aa + n ln2 + lo), n ≤ −1.
    let t = (-aa).fma::<F>(std::f64::consts::LOG2_E, ROUND_SHIFT);
    let n = t - ROUND_SHIFT;
    let r = -(n.fma::<F>(LN2_LO, n.fma::<F>(LN2_HI, aa)) + square_error::<F>(a, aa));
    let (q, rp) = exp_pade::<F>(r);
    // 2^n as 2^(n+60) 2^−60: the first is normal for n ≥ −1082 (a ≤ 27.3),
    // the second rounds once into the subnormals.
    let scale = f64::from_bits((t + 60.0).to_bits().wrapping_add(1023) << 52);
    let a4 = aa * aa;
    let p = estrin11::<F>(a, aa, a4, a4 * a4, ERFCX_P);
    let d = estrin11::<F>(a, aa, a4, a4 * a4, ERFCX_Q);
    // (Q + rP) P / ((Q − rP) D), with Q + rP as (Q − rP) + 2rP so that the
    // rounding of Q − rP cancels between numerator and denominator.
    let qm = q - rp;
    let tail = qm.fma::<F>(p, (2.0 * rp) * p) / (qm * d) * scale * TWO_POW_MINUS_60;
    let far = if x < 0.0 { 2.0 - tail } else { tail };
    if x.abs() < 0.84375 { near } else { far }
}

/// 2^−60.
const TWO_POW_MINUS_60: f64 = 8.673_617_379_884_035e-19;

/// Φ(z) as [`normal_cdf_core`] but by [`erfc_one_division`].
#[inline(always)]
fn normal_cdf_one_division<const F: bool>(z: f64) -> f64 {
    0.5 * erfc_one_division::<F>(-z * std::f64::consts::FRAC_1_SQRT_2)
}

/// GELU's value z Φ(z): Φ by [`erfc_one_division`] where the copy has FMA,
/// else by the libm form ([`normal_cdf_core`]).
#[inline(always)]
pub(crate) fn gelu_core<const F: bool>(z: f64) -> f64 {
    z * if F {
        normal_cdf_one_division::<F>(z)
    } else {
        normal_cdf_core::<F>(z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{err_ulps, samples};
    use rand::{Rng, SeedableRng};

    /// Worst ulp error of `f` against `reference` over `xs` (and where).
    fn worst(xs: &[f64], f: impl Fn(f64) -> f64, reference: impl Fn(f64) -> f64) -> (f64, f64) {
        xs.iter()
            .map(|&x| (err_ulps(f(x), reference(x), f64::MIN_POSITIVE), x))
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
    }

    const SPECIAL: [f64; 12] = [
        0.0,
        -0.0,
        5e-324,
        -1e-310,
        1e-300,
        0.3465,
        -0.3466,
        20.5,
        1e300,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];

    #[test]
    fn tanh_is_within_4_ulp() {
        let mut xs = samples(&[1e-8, 0.1, 0.35, 0.7, 3.0, 12.0, 40.0], 300_000, 7);
        xs.extend(SPECIAL);
        let (err, at) = worst(&xs, tanh_core::<true>, f64::tanh);
        assert!(err <= 4.0, "{err} ulp at {at:e}");
        assert!(tanh_core::<true>(-0.0).is_sign_negative());
    }

    #[test]
    fn exp_is_within_2_ulp_over_the_whole_range() {
        let mut xs = samples(&[1e-9, 0.5, 10.0, 300.0, 720.0, 760.0], 300_000, 3);
        xs.extend(SPECIAL);
        xs.extend([-745.2, -744.0, -708.5, 709.7, 709.8, -1e5]);
        let (err, at) = worst(&xs, exp_full::<true>, f64::exp);
        assert!(err <= 2.0, "{err} ulp at {at:e}");
    }

    #[test]
    fn exp_split_keeps_the_correction() {
        // e^(a + b) with b below a's ulp: the plain sum would drop b.
        let (a, b) = (-600.0f64, 3e-14f64);
        let want = (-600.0f64).exp() * b.exp();
        assert!(err_ulps(exp_split::<true>(a, b), want, 0.0) <= 2.0);
    }

    #[test]
    fn log1p_and_ln_are_within_2_ulp() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..200_000 {
            let u: f64 = 10f64.powf(rng.random_range(-300.0..3.0));
            assert!(
                err_ulps(log1p_core::<true>(u), u.ln_1p(), 0.0) <= 2.0,
                "log1p({u})"
            );
            let x: f64 = 10f64.powf(rng.random_range(-300.0..300.0));
            assert!(err_ulps(ln_core::<true>(x), x.ln(), 0.0) <= 2.0, "ln({x})");
        }
        assert_eq!(log1p_core::<true>(0.0), 0.0);
    }

    #[test]
    fn logistic_and_softplus_are_within_4_ulp() {
        let mut xs = samples(&[1e-9, 0.5, 5.0, 40.0, 800.0], 300_000, 4);
        xs.extend(SPECIAL);
        let sigmoid = crate::model::activation::sigmoid;
        let softplus = crate::model::activation::softplus;
        let (err, at) = worst(&xs, sigmoid_core::<true>, sigmoid);
        assert!(err <= 4.0, "sigmoid: {err} ulp at {at:e}");
        let (err, at) = worst(&xs, softplus_core::<true>, softplus);
        assert!(err <= 4.0, "softplus: {err} ulp at {at:e}");
    }

    #[test]
    fn erfc_is_within_4_ulp_where_normal() {
        let mut xs = samples(&[1e-9, 0.3, 0.9, 1.3, 3.0, 6.0, 26.5], 400_000, 8);
        xs.extend(SPECIAL);
        xs.extend([
            0.84375,
            -0.84375,
            1.25,
            -1.25,
            0.25,
            2.857142857142857,
            28.0,
            -28.0,
        ]);
        let (err, at) = worst(&xs, erfc_core::<true>, libm::erfc);
        assert!(err <= 4.0, "{err} ulp at {at:e}");
        // Beyond 26.5 erfc is subnormal, then 0.
        assert_eq!(erfc_core::<true>(28.0), 0.0);
        assert_eq!(erfc_core::<true>(-30.0), 2.0);
    }

    #[test]
    fn one_division_erfc_is_within_6_ulp_where_normal() {
        let mut xs = samples(
            &[1e-9, 0.3, 0.9, 1.3, 3.0, 6.0, 12.0, 20.0, 26.5],
            600_000,
            13,
        );
        xs.extend(SPECIAL);
        // Both sides of each branch boundary.
        for b in [0.25f64, 0.84375, 27.3] {
            for x in [b, b.next_down(), b.next_up()] {
                xs.extend([x, -x]);
            }
        }
        let normal: Vec<f64> = xs
            .iter()
            .copied()
            .filter(|&x| x.is_nan() || libm::erfc(x) >= f64::MIN_POSITIVE)
            .collect();
        let (err, at) = worst(&normal, erfc_one_division::<true>, libm::erfc);
        assert!(err <= 6.0, "{err} ulp at {at:e}");
        // Where erfc is subnormal (26.55 < x < 27.3) or 0: within 2 ulp of
        // the smallest normal number.
        let tail = samples(&[0.45], 100_000, 14).into_iter().map(|u| 26.95 + u);
        for x in tail.filter(|&x| libm::erfc(x) < f64::MIN_POSITIVE) {
            let err = err_ulps(
                erfc_one_division::<true>(x),
                libm::erfc(x),
                f64::MIN_POSITIVE,
            );
            assert!(err <= 2.0, "{err} ulp at {x:e}");
        }
        for (x, want) in [
            (0.0, 1.0),
            (-0.0, 1.0),
            (27.5, 0.0),
            (28.0, 0.0),
            (1e300, 0.0),
            (f64::INFINITY, 0.0),
            (-6.0, 2.0),
            (-1e300, 2.0),
            (f64::NEG_INFINITY, 2.0),
        ] {
            assert_eq!(erfc_one_division::<true>(x), want, "erfc({x})");
        }
        assert!(erfc_one_division::<true>(f64::NAN).is_nan());
    }

    #[test]
    fn normal_density_is_within_4_ulp_of_the_reference() {
        let mut xs = samples(&[1e-9, 0.5, 3.0, 10.0, 37.5], 300_000, 9);
        xs.extend(SPECIAL);
        let reference = crate::model::activation::normal_pdf;
        // The reference (two libm exponentials) is itself within 2 ulp.
        let (err, at) = worst(&xs, normal_pdf_core::<true>, reference);
        assert!(err <= 4.0, "{err} ulp at {at:e}");
    }
}
