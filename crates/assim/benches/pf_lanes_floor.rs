//! A second bound, not a product: the fused bootstrap filter of
//! `pf_fused_floor` with the state stored by variable (one array per state
//! component) and the Gaussian draws made eight members at a time by a
//! branch-free Box–Muller transform (portable `ln`, `sin`/`cos` polynomials,
//! SplitMix64 outputs over per-member Weyl sequences), written so that the
//! compiler vectorises across members. It answers: would members in SIMD
//! lanes and a vectorisable generator bring the filter near the 3–8 ns per
//! particle-step that 30× `particles` needs? (BENCHMARKS.md: no; the draws
//! cost about as much as the scalar ziggurat, and the rest of the loop
//! 12–16 ns.)
//!
//! `cargo bench -p didymos-assim --bench pf_lanes_floor` after
//! `bench/pf/run.sh` has written `target/pf_lg_data.csv`; build with
//! `RUSTFLAGS="-C target-cpu=native"` (and a separate `CARGO_TARGET_DIR`) to
//! let it use AVX-512. Knobs: `PF_NS` (default `1000,10000,100000`, multiples
//! of 8), `PF_RUNS` (default 3), `PF_BENCH_DIR`, `PF_SKIP_DRAWS=1`.

// Lane loops index several arrays by the lane number; that is the shape the
// vectoriser wants.
#![allow(clippy::needless_range_loop)]

use std::time::Instant;

mod floor_driver;

use didymos_core::rng::mix64;

const LANES: usize = 8;
const Q_SD: f64 = 0.5;
const M0: [f64; 4] = [1.0, -1.0, 0.5, 0.0];
const LN_2PI: f64 = 1.837_877_066_409_345_5;
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1.5·2⁵²: a small integer k added to its bits gives 1.5·2⁵² + k.
const INT_SHIFT: f64 = 6_755_399_441_055_744.0;

/// ln x for positive normal x: x = 2ᵏ·m, m ∈ [√½, √2), ln m = 2 atanh s
/// with s = (m − 1)/(m + 1) (|s| ≤ 0.172, series to s²³).
#[inline(always)]
fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    let k = (bits.wrapping_sub(0x3fe6_a09e_667f_3bcd) as i64) >> 52;
    let m = f64::from_bits(bits.wrapping_sub((k as u64) << 52));
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let mut p = 1.0 / 23.0;
    for d in [21.0, 19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0] {
        p = p * z + 1.0 / d;
    }
    // k as a float without an int-to-float conversion (not vectorisable
    // before AVX-512DQ).
    let kf = f64::from_bits(INT_SHIFT.to_bits().wrapping_add(k as u64)) - INT_SHIFT;
    let two_s = 2.0 * s;
    kf * LN2_HI + (two_s + (two_s * z * p + kf * LN2_LO))
}

/// (cos t, sin t) for |t| ≤ π/4 (Taylor series to t¹⁶ and t¹⁵).
#[inline(always)]
fn cos_sin_small(t: f64) -> (f64, f64) {
    let z = t * t;
    let mut s = -1.0 / 1_307_674_368_000.0;
    for c in [
        1.0 / 6_227_020_800.0,
        -1.0 / 39_916_800.0,
        1.0 / 362_880.0,
        -1.0 / 5_040.0,
        1.0 / 120.0,
        -1.0 / 6.0,
    ] {
        s = s * z + c;
    }
    let mut c = 1.0 / 20_922_789_888_000.0;
    for k in [
        -1.0 / 87_178_291_200.0,
        1.0 / 479_001_600.0,
        -1.0 / 3_628_800.0,
        1.0 / 40_320.0,
        -1.0 / 720.0,
        1.0 / 24.0,
    ] {
        c = c * z + k;
    }
    (1.0 - 0.5 * z + z * z * c, t + t * z * s)
}

/// Two standard normals from two 64-bit words (Box–Muller): radius from
/// u₁ ∈ (0, 1], angle = a quarter turn picked by w₂'s low bits plus
/// (π/2)(f − ½) with f ∈ [0, 1) from its top bits. No branches.
#[inline(always)]
fn box_muller(w1: u64, w2: u64) -> (f64, f64) {
    let u1 = 2.0 - f64::from_bits(0x3ff0_0000_0000_0000 | (w1 >> 12));
    let r = (-2.0 * ln(u1)).sqrt();
    let f = f64::from_bits(0x3ff0_0000_0000_0000 | (w2 >> 12)) - 1.5;
    let (c0, s0) = cos_sin_small(f * std::f64::consts::FRAC_PI_2);
    let swap = (w2 & 1).wrapping_neg();
    let neg = ((w2 >> 1) & 1) << 63;
    let (cb, sb) = (c0.to_bits(), s0.to_bits());
    let xb = (cb & !swap) | ((sb ^ (1 << 63)) & swap);
    let yb = (sb & !swap) | (cb & swap);
    (r * f64::from_bits(xb ^ neg), r * f64::from_bits(yb ^ neg))
}

/// Per-member Weyl sequences (start, odd increment).
struct Streams {
    weyl: Vec<u64>,
    gamma: Vec<u64>,
}

impl Streams {
    fn new(seed: u64, n: usize) -> Self {
        Streams {
            weyl: (0..n).map(|m| mix64(seed ^ mix64(m as u64 + 1))).collect(),
            gamma: (0..n)
                .map(|m| mix64(seed.wrapping_add(m as u64) ^ 0x6A09_E667) | 1)
                .collect(),
        }
    }

    /// One normal pair for each of members `m0 .. m0 + LANES`.
    #[inline(always)]
    fn pair(&mut self, m0: usize, a: &mut [f64; LANES], b: &mut [f64; LANES]) {
        let w: &mut [u64; LANES] = (&mut self.weyl[m0..m0 + LANES]).try_into().unwrap();
        let g: &[u64; LANES] = (&self.gamma[m0..m0 + LANES]).try_into().unwrap();
        let (mut r1, mut r2) = ([0u64; LANES], [0u64; LANES]);
        for i in 0..LANES {
            let w1 = w[i].wrapping_add(g[i]);
            let w2 = w1.wrapping_add(g[i]);
            w[i] = w2;
            r1[i] = mix64(w1);
            r2[i] = mix64(w2);
        }
        for i in 0..LANES {
            (a[i], b[i]) = box_muller(r1[i], r2[i]);
        }
    }
}

/// One filter pass; returns the log-likelihood estimate.
fn run(y: &[[f64; 2]], n: usize, seed: u64, draws: bool) -> f64 {
    let (s, c) = (std::f64::consts::PI / 6.0).sin_cos();
    let (a, b) = (0.9 * c, 0.9 * s);
    let mut rng = Streams::new(seed, n);
    let mut x: [Vec<f64>; 4] = std::array::from_fn(|_| vec![0.0; n]);
    let mut spare: [Vec<f64>; 4] = std::array::from_fn(|_| vec![0.0; n]);
    let (mut lw, mut w, mut anc) = (vec![0.0f64; n], vec![0.0f64; n], vec![0usize; n]);
    let mut e = [[0.0; LANES]; 4];
    for m0 in (0..n).step_by(LANES) {
        let [e0, e1, e2, e3] = &mut e;
        rng.pair(m0, e0, e1);
        rng.pair(m0, e2, e3);
        for (v, xv) in x.iter_mut().enumerate() {
            for i in 0..LANES {
                xv[m0 + i] = M0[v] + e[v][i];
            }
        }
    }
    let mut resampler = mix64(seed ^ 0x5245_5341);
    let mut ll = 0.0;
    for (day, yt) in y.iter().enumerate() {
        if day > 0 {
            let [x0, x1, x2, x3] = &mut x;
            for m0 in (0..n).step_by(LANES) {
                let [e0, e1, e2, e3] = &mut e;
                if draws {
                    rng.pair(m0, e0, e1);
                    rng.pair(m0, e2, e3);
                }
                for i in 0..LANES {
                    let j = m0 + i;
                    let p = [x0[j], x1[j], x2[j], x3[j]];
                    x0[j] = a * p[0] - b * p[1] + Q_SD * e[0][i];
                    x1[j] = b * p[0] + a * p[1] + Q_SD * e[1][i];
                    x2[j] = a * p[2] - b * p[3] + Q_SD * e[2][i];
                    x3[j] = b * p[2] + a * p[3] + Q_SD * e[3][i];
                }
            }
        }
        let mut mx = f64::NEG_INFINITY;
        for j in 0..n {
            let (o1, o2) = (x[0][j] + 0.5 * x[2][j], 0.5 * x[1][j] + x[3][j]);
            let (d1, d2) = (yt[0] - o1, yt[1] - o2);
            lw[j] += -0.5 * (d1 * d1 + d2 * d2) - LN_2PI;
            mx = mx.max(lw[j]);
        }
        let (cond, resampled) = floor_driver::weigh(&mut lw, mx, &mut w, &mut anc, || {
            resampler = resampler.wrapping_add(0x9E37_79B9_7F4A_7C15);
            (mix64(resampler) >> 11) as f64 / (1u64 << 53) as f64
        });
        ll += cond;
        if resampled {
            for (d, s) in spare.iter_mut().zip(&x) {
                for (dv, &i) in d.iter_mut().zip(&anc) {
                    *dv = s[i];
                }
            }
            std::mem::swap(&mut x, &mut spare);
        }
    }
    ll
}

/// The draws' own checks: ln and cos/sin against libm, the normals' first
/// four moments, and their cost per draw.
fn check_draws() {
    let mut ln_err: f64 = 0.0;
    for k in 1..100_000 {
        let x = k as f64 / 100_000.0;
        ln_err = ln_err.max(((ln(x) - x.ln()) / x.ln().abs()).abs());
    }
    let mut trig_err: f64 = 0.0;
    for k in -1000..=1000 {
        let t = k as f64 / 1000.0 * std::f64::consts::FRAC_PI_4;
        let (c, s) = cos_sin_small(t);
        trig_err = trig_err.max((c - t.cos()).abs()).max((s - t.sin()).abs());
    }
    assert!(ln_err < 1e-15 && trig_err < 1e-15, "{ln_err} {trig_err}");
    let n = 8192;
    let reps = 200;
    let mut rng = Streams::new(7, n);
    let (mut a, mut b) = ([0.0; LANES], [0.0; LANES]);
    let mut m = [0.0f64; 4];
    for _ in 0..reps {
        for m0 in (0..n).step_by(LANES) {
            rng.pair(m0, &mut a, &mut b);
            for z in a.iter().chain(&b) {
                let z2 = z * z;
                m[0] += z;
                m[1] += z2;
                m[2] += z2 * z;
                m[3] += z2 * z2;
            }
        }
    }
    let mut keep = 0.0;
    let t0 = Instant::now();
    for _ in 0..reps {
        for m0 in (0..n).step_by(LANES) {
            rng.pair(m0, &mut a, &mut b);
            keep += a[3] + b[5];
        }
    }
    let ns = t0.elapsed().as_secs_f64() * 1e9;
    std::hint::black_box(keep);
    let k = (2 * n * reps) as f64;
    let [m1, m2, m3, m4] = m.map(|v| v / k);
    for (got, want, var) in [
        (m1, 0.0, 1.0),
        (m2, 1.0, 2.0),
        (m3, 0.0, 15.0),
        (m4, 3.0, 96.0),
    ] {
        assert!(
            (got - want).abs() < 5.0 * (var / k).sqrt(),
            "moment {got} vs {want}"
        );
    }
    println!(
        "# Box-Muller lanes: ln err {ln_err:.1e}, cos/sin err {trig_err:.1e}; moments \
         {m1:.4} {m2:.4} {m3:.4} {m4:.4}; {:.2} ns per normal",
        ns / k
    );
}

fn main() {
    check_draws();
    floor_driver::time_table("by-variable lanes bound", LANES, run);
}
