//! Vectorizable float64 kernels for the hot loops (exp, log1p, tanh over
//! whole slices).
//!
//! libm's `exp`, `log1p` and `tanh` are calls the compiler cannot vectorize,
//! and the grid sampler evaluates tens of millions of them. The kernels here
//! are branch-free (both sides of a choice are computed, then selected), so
//! LLVM vectorizes them, and `multiversion` compiles them for AVX-512, AVX2+FMA
//! and NEON with a runtime choice, so the binary still runs on any CPU.
//! Accuracy: within a few ulp of libm over the whole range (tested below).

use multiversion::multiversion;
use multiversion::target::selected_target;

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
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
pub fn tanh_in_place(values: &mut [f64]) {
    for v in values.iter_mut() {
        *v = tanh_core(*v);
    }
}

/// out[i] = e^{scale · (base[i] + c · dir[i])}, exponents clamped to ±700;
/// returns the largest |exponent| before clamping (NaN if any was NaN), so
/// the caller can tell whether the clamp changed anything.
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
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
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
pub fn tanh_from_exp_product(out: &mut [f64], e1: &[f64], e2: &[f64]) {
    let n = out.len();
    let (e1, e2) = (&e1[..n], &e2[..n]);
    for i in 0..n {
        out[i] = 1.0 - 2.0 / e1[i].mul_add(e2[i], 1.0);
    }
}

/// out[i] = 1 / (e1[i] · e2[i] + 1): sigmoid(u + v) from e1 = e^{−u}, e2 = e^{−v}.
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
pub fn sigmoid_from_exp_product(out: &mut [f64], e1: &[f64], e2: &[f64]) {
    let n = out.len();
    let (e1, e2) = (&e1[..n], &e2[..n]);
    for i in 0..n {
        out[i] = 1.0 / e1[i].mul_add(e2[i], 1.0);
    }
}

/// out[i] = base[i] + a · da[i] + b · db[i].
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
pub fn affine2(out: &mut [f64], base: &[f64], da: &[f64], db: &[f64], a: f64, b: f64) {
    let n = out.len();
    let (base, da, db) = (&base[..n], &da[..n], &db[..n]);
    for i in 0..n {
        out[i] = b.mul_add(db[i], a.mul_add(da[i], base[i]));
    }
}

/// Σ_i softplus(z[i]) − y[i] z[i]: the summed `bce_logits` loss.
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
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
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
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
fn gemm_block<const R: usize, const C: usize>(
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
                *acc = wq.mul_add(x, *acc);
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
fn gemm_rows<const R: usize, const C: usize>(
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
            gemm_block::<R, C>(z, wt, a, start, (n_out, n), r0, c0);
        }
        c0 += C;
    }
    if C > 8 && c0 + 8 <= n {
        for r0 in rows.clone().step_by(R) {
            gemm_block::<R, 8>(z, wt, a, start, (n_out, n), r0, c0);
        }
        c0 += 8;
    }
    if C > 4 && c0 + 4 <= n {
        for r0 in rows.clone().step_by(R) {
            gemm_block::<R, 4>(z, wt, a, start, (n_out, n), r0, c0);
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
                s = wt[j * n_out + r].mul_add(a[j * n + c], s);
            }
            z[r * n + c] = s;
        }
    }
}

/// The row-block schedule shared by [`small_gemm_acc`] and [`small_gemm_bias`].
#[inline(always)]
fn small_gemm(
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
        gemm_rows::<6, 16>(z, wt, a, start, dims, 0..full);
    } else {
        gemm_rows::<6, 8>(z, wt, a, start, dims, 0..full);
    }
    // Fewer rows: wider column blocks keep enough independent sums in flight.
    let rest = full..n_out;
    match n_out - full {
        1 => gemm_rows::<1, 32>(z, wt, a, start, dims, rest),
        2 => gemm_rows::<2, 16>(z, wt, a, start, dims, rest),
        3 => gemm_rows::<3, 16>(z, wt, a, start, dims, rest),
        4 => gemm_rows::<4, 16>(z, wt, a, start, dims, rest),
        5 => gemm_rows::<5, 8>(z, wt, a, start, dims, rest),
        _ => {}
    }
}

/// Z += W · A for the small, wide products of the landscape sampler and the
/// Hessian-vector product (Z: n_out × n, A: n_in × n, row-major; W given
/// transposed as `wt`, n_in × n_out). A register-blocked kernel without
/// packing, faster than a general product when the matrices are this small.
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
pub fn small_gemm_acc(z: &mut [f64], wt: &[f64], a: &[f64], n_out: usize, n_in: usize, n: usize) {
    let wide = selected_target!().supports_feature_str("avx512f");
    small_gemm(z, wt, a, Start::Accumulate, (n_out, n_in, n), wide);
}

/// Z = b 1ᵀ + W · A (a whole layer: bias plus product), shapes as in
/// [`small_gemm_acc`]; Z's previous contents are ignored.
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
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
    let wide = selected_target!().supports_feature_str("avx512f");
    small_gemm(z, wt, a, Start::Bias(bias), (n_out, n_in, n), wide);
}

/// Adds the R × CC block at (i, j) of X · Yᵀ to Z: R·CC dot products over k,
/// each with `LANES` partial sums, sharing their loads.
#[inline(always)]
fn nt_block<const R: usize, const CC: usize>(
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
                    *s = a.mul_add(b, *s);
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
#[multiversion(targets(
    "x86_64+avx512f+avx512vl+avx512dq+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
pub fn small_gemm_nt_acc(z: &mut [f64], x: &[f64], y: &[f64], m: usize, p: usize, k: usize) {
    const B: usize = 2;
    assert!(
        z.len() == m * p && x.len() == m * k && y.len() == p * k,
        "small_gemm_nt_acc shapes"
    );
    let (m_full, p_full) = (m - m % B, p - p % B);
    for i in (0..m_full).step_by(B) {
        for j in (0..p_full).step_by(B) {
            nt_block::<B, B>(z, x, y, (p, k), i, j);
        }
        for j in p_full..p {
            nt_block::<B, 1>(z, x, y, (p, k), i, j);
        }
    }
    for i in m_full..m {
        for j in (0..p_full).step_by(B) {
            nt_block::<1, B>(z, x, y, (p, k), i, j);
        }
        for j in p_full..p {
            nt_block::<1, 1>(z, x, y, (p, k), i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn rel_err(got: f64, want: f64) -> f64 {
        if want == 0.0 {
            got.abs()
        } else {
            ((got - want) / want).abs()
        }
    }

    fn samples(scales: &[f64], n: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..n)
            .map(|i| {
                let s = scales[i % scales.len()];
                rng.random_range(-s..s)
            })
            .collect()
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
    fn small_gemm_matches_a_plain_product() {
        for &(n_out, n_in, n) in &[
            (24, 24, 300),
            (16, 16, 256),
            (7, 3, 13),
            (1, 5, 9),
            (13, 140, 37),
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
