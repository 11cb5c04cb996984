//! Portable elementary functions for model kernels.
//!
//! Why not libm: its `exp` and `pow` are calls the compiler cannot vectorise,
//! they were a fifth of a model kernel's time, and their last bit
//! depends on the C library's version. These are plain IEEE arithmetic
//! (`+ − × √`, correctly rounded everywhere), so a run gives the same bits
//! on every machine, and a loop over a slice compiles to SIMD code.

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split so that `n · LN2_HI` is exact for |n| < 2¹¹ (fdlibm's split).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1.5 · 2⁵²: adding it rounds to an integer held in the low mantissa bits.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;
/// Inputs are clamped to this range, where 2ⁿ·p stays a normal number.
pub const EXP_MIN_ARG: f64 = -708.0;
pub const EXP_MAX_ARG: f64 = 709.0;

/// eˣ within 2 ulp of the exact value for x in [`EXP_MIN_ARG`],
/// [`EXP_MAX_ARG`]; below that it returns e^EXP_MIN_ARG (≈ 3e-308) instead
/// of a subnormal or 0, above it e^EXP_MAX_ARG. NaN gives NaN.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let (n_int, r, q) = reduce(x);
    let p = q * r + 1.0;
    // p ∈ [0.70, 1.42]: adding n to its exponent field multiplies by 2ⁿ and
    // stays normal for the clamped range.
    let scaled = f64::from_bits(p.to_bits().wrapping_add(n_int << 52));
    if x.is_nan() {
        x
    } else {
        scaled
    }
}

/// eˣ − 1 within 2 ulp for x in [`EXP_MIN_ARG`], [`EXP_MAX_ARG`], without
/// the cancellation of `exp(x) - 1.0` near 0 (where that loses up to all
/// digits: 1 − e⁻¹⁰⁻⁸ keeps about 8). Clamped and NaN as [`exp`].
#[inline(always)]
pub fn exp_m1(x: f64) -> f64 {
    let (n_int, r, q) = reduce(x);
    // eˣ − 1 = 2ⁿ(1 + rq) − 1 = 2ⁿ·rq + (2ⁿ − 1); for n = 0 that is rq with a
    // single rounding, and 2ⁿ − 1 is exact for the n that matter.
    let two_n = f64::from_bits(1.0f64.to_bits().wrapping_add(n_int << 52));
    let v = two_n * (r * q) + (two_n - 1.0);
    if x.is_nan() {
        x
    } else {
        v
    }
}

/// Range reduction x = n·ln2 + r, |r| ≤ ln2/2, and q with e^r = 1 + r·q.
#[inline(always)]
fn reduce(x: f64) -> (u64, f64, f64) {
    // `clamp` keeps NaN (the callers return it).
    let xc = x.clamp(EXP_MIN_ARG, EXP_MAX_ARG);
    let t = xc * LOG2_E + ROUND_SHIFT;
    let n = t - ROUND_SHIFT;
    // The integer n, read from the mantissa of t (exact for |n| < 2⁵¹).
    let n_int = t.to_bits().wrapping_sub(ROUND_SHIFT.to_bits());
    // The split keeps r exact to about 2⁻⁶⁰ relative.
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    // Taylor series to r¹³ (q to r¹²): truncation below 5e-18 relative.
    let mut q = 1.0 / 6_227_020_800.0;
    q = q * r + 1.0 / 479_001_600.0;
    q = q * r + 1.0 / 39_916_800.0;
    q = q * r + 1.0 / 3_628_800.0;
    q = q * r + 1.0 / 362_880.0;
    q = q * r + 1.0 / 40_320.0;
    q = q * r + 1.0 / 5_040.0;
    q = q * r + 1.0 / 720.0;
    q = q * r + 1.0 / 120.0;
    q = q * r + 1.0 / 24.0;
    q = q * r + 1.0 / 6.0;
    q = q * r + 0.5;
    q = q * r + 1.0;
    (n_int, r, q)
}

/// `xs[i] = exp(xs[i])` for every element; a separate pass so it vectorises.
pub fn exp_in_place(xs: &mut [f64]) {
    for x in xs {
        *x = exp(*x);
    }
}

/// xʸ for x ≥ 0 when 2y is an integer in 0..=6 (xᵏ·√x, k ≤ 3), falling back
/// to `powf` otherwise. Within 2 ulp of the exact value; used for exponents
/// such as 2.5 that data sets carry as parameters.
#[inline]
pub fn pow_nonneg(x: f64, y: f64) -> f64 {
    let twice = 2.0 * y;
    if (0.0..=6.0).contains(&twice) && twice == twice.trunc() && x >= 0.0 {
        let k = (twice as u32) / 2;
        let mut v = 1.0;
        for _ in 0..k {
            v *= x;
        }
        if twice as u32 % 2 == 1 {
            v *= x.sqrt();
        }
        v
    } else {
        x.powf(y)
    }
}
