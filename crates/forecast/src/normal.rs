//! The standard normal quantile function Φ⁻¹, for forecasters that put
//! Gaussian spreads on a (log) scale.
//!
//! Wichura's algorithm AS 241 (PPND16; Applied Statistics 37(3), 1988):
//! rational approximations on three ranges of p, accurate to about 1e-16
//! relative. Why not a crate: this is forty lines of published
//! coefficients, and the statistics crates that carry it pull in far more.

// The coefficients are kept digit for digit as published, so they can be
// checked against the paper, though f64 holds only about 17 digits.
#![allow(clippy::excessive_precision)]

const A: [f64; 8] = [
    3.387_132_872_796_366_608,
    133.141_667_891_784_377_45,
    1_971.590_950_306_551_442_7,
    13_731.693_765_509_461_125,
    45_921.953_931_549_871_457,
    67_265.770_927_008_700_853,
    33_430.575_583_588_128_105,
    2_509.080_928_730_122_672_7,
];
const B: [f64; 8] = [
    1.0,
    42.313_330_701_600_911_252,
    687.187_007_492_057_908_30,
    5_394.196_021_424_751_107_7,
    21_213.794_301_586_595_867,
    39_307.895_800_092_710_610,
    28_729.085_735_721_942_674,
    5_226.495_278_852_854_561_0,
];
const C: [f64; 8] = [
    1.423_437_110_749_683_577_34,
    4.630_337_846_156_545_295_90,
    5.769_497_221_460_691_405_50,
    3.647_848_324_763_204_605_04,
    1.270_458_252_452_368_382_58,
    0.241_780_725_177_450_611_770,
    0.022_723_844_989_269_184_583_3,
    7.745_450_142_783_414_076_40e-4,
];
const D: [f64; 8] = [
    1.0,
    2.053_191_626_637_758_821_87,
    1.676_384_830_183_803_849_40,
    0.689_767_334_985_100_004_550,
    0.148_103_976_427_480_074_590,
    0.015_198_666_563_616_457_196_6,
    5.475_938_084_995_344_946_00e-4,
    1.050_750_071_644_416_843_24e-9,
];
const E: [f64; 8] = [
    6.657_904_643_501_103_777_20,
    5.463_784_911_164_114_369_90,
    1.784_826_539_917_291_335_80,
    0.296_560_571_828_504_891_230,
    0.026_532_189_526_576_123_093_0,
    0.001_242_660_947_388_078_438_60,
    2.711_555_568_743_487_578_15e-5,
    2.010_334_399_292_288_132_65e-7,
];
const F: [f64; 8] = [
    1.0,
    0.599_832_206_555_887_937_690,
    0.136_929_880_922_735_805_310,
    0.014_875_361_290_850_614_852_5,
    7.868_691_311_456_132_591_00e-4,
    1.846_318_317_510_054_681_80e-5,
    1.421_511_758_316_445_888_70e-7,
    2.044_263_103_389_939_785_64e-15,
];

fn poly(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc * x + k)
}

/// Φ⁻¹(p): the z with P(Z ≤ z) = p for a standard normal Z. p = 0 gives
/// −∞, p = 1 gives +∞, and p outside [0, 1] or NaN gives NaN.
pub fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    if tail == 0.0 {
        return if q < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let r = (-tail.ln()).sqrt();
    let z = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 {
        -z
    } else {
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_across_all_three_ranges() {
        // scipy.stats.norm.ppf (scipy 1.x), printed with repr.
        let cases = [
            (1e-300, -37.047_096_299_361_2),
            (1e-20, -9.262_340_089_798_409),
            (1e-10, -6.361_340_902_404_056),
            (1e-5, -4.264_890_793_922_825),
            (0.001, -3.090_232_306_167_813),
            (0.01, -2.326_347_874_040_840_8),
            (0.025, -1.959_963_984_540_054_5),
            (0.05, -1.644_853_626_951_472_9),
            (0.1, -1.281_551_565_544_600_4),
            (0.25, -0.674_489_750_196_081_7),
            (0.4, -0.253_347_103_135_799_7),
            (0.5, 0.0),
            (0.6, 0.253_347_103_135_799_7),
            (0.9, 1.281_551_565_544_600_4),
            (0.975, 1.959_963_984_540_054),
            (0.99, 2.326_347_874_040_840_8),
            (0.999_999, 4.753_424_308_817_087),
            (1.0 - 1e-12, 7.034_486_910_047_835_6),
        ];
        for (p, want) in cases as [(f64, f64); 18] {
            let got = normal_quantile(p);
            let tol = 1e-14 * want.abs().max(1.0);
            assert!((got - want).abs() <= tol, "p {p}: {got} vs {want}");
        }
    }

    #[test]
    fn edges_and_bad_input() {
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(-0.1).is_nan());
        assert!(normal_quantile(1.5).is_nan());
        assert!(normal_quantile(f64::NAN).is_nan());
        // Symmetric and increasing.
        for k in 1..100 {
            let p = k as f64 / 100.0;
            // 1 − p is itself rounded, so symmetry holds to rounding.
            let (lo, hi) = (normal_quantile(p), normal_quantile(1.0 - p));
            assert!((lo + hi).abs() < 4e-15, "p {p}: {lo} vs {hi}");
            assert!(normal_quantile(p) < normal_quantile(p + 0.005));
        }
    }
}
