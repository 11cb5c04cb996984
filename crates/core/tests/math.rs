//! The portable exp/pow against the platform's libm, in ulps.

use didymos_core::math::{exp, exp_in_place, pow_nonneg, EXP_MAX_ARG, EXP_MIN_ARG};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn ulps(a: f64, b: f64) -> u64 {
    assert!(
        a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0,
        "{a} vs {b}"
    );
    a.to_bits().abs_diff(b.to_bits())
}

#[test]
fn exp_is_within_two_ulp_of_libm_over_its_range() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut worst = 0;
    for i in 0..400_000 {
        // Half the draws where kernels use it (probabilities: x in [-40, 0]),
        // half over the whole range.
        let x = if i % 2 == 0 {
            rng.gen_range(-40.0..=0.0)
        } else {
            rng.gen_range(EXP_MIN_ARG..=EXP_MAX_ARG)
        };
        worst = worst.max(ulps(exp(x), x.exp()));
    }
    assert!(worst <= 2, "worst error {worst} ulp");
}

#[test]
fn exp_exact_points_and_edges() {
    assert_eq!(exp(0.0), 1.0);
    assert_eq!(exp(-0.0), 1.0);
    assert!(exp(f64::NAN).is_nan());
    assert_eq!(exp(f64::NEG_INFINITY), exp(EXP_MIN_ARG));
    assert!(exp(f64::NEG_INFINITY) > 0.0 && exp(f64::NEG_INFINITY) < 1e-300);
    assert_eq!(1.0 - exp(f64::NEG_INFINITY), 1.0);
    assert!(ulps(exp(1.0), std::f64::consts::E) <= 1);
    for k in -20..=20 {
        let x = k as f64 * std::f64::consts::LN_2;
        assert!(ulps(exp(x), x.exp()) <= 2, "2^{k}");
    }
}

#[test]
fn exp_in_place_equals_scalar() {
    let xs: Vec<f64> = (0..1001).map(|i| -30.0 + 0.06 * i as f64).collect();
    let mut ys = xs.clone();
    exp_in_place(&mut ys);
    for (x, y) in xs.iter().zip(&ys) {
        assert_eq!(exp(*x).to_bits(), y.to_bits());
    }
}

#[test]
fn pow_nonneg_matches_powf() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for y in [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 0.3, 7.5] {
        assert_eq!(pow_nonneg(0.0, y), 0f64.powf(y), "0^{y}");
        assert_eq!(pow_nonneg(1.0, y), 1.0);
        for _ in 0..20_000 {
            let x: f64 = rng.gen_range(1e-6..=1.0);
            assert!(ulps(pow_nonneg(x, y), x.powf(y)) <= 2, "{x}^{y}");
        }
    }
}

#[test]
fn exp_m1_is_within_two_ulp_of_libm_even_near_zero() {
    use didymos_core::math::exp_m1;
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let mut worst = 0;
    for i in 0..400_000 {
        let x: f64 = match i % 4 {
            0 => -10f64.powf(rng.gen_range(-15.0..=0.0)),
            1 => 10f64.powf(rng.gen_range(-15.0..=0.0)),
            2 => rng.gen_range(-40.0..=0.0),
            _ => rng.gen_range(EXP_MIN_ARG..=EXP_MAX_ARG),
        };
        let (a, b) = (exp_m1(x), x.exp_m1());
        let d = if a == b {
            0
        } else {
            assert_eq!(a.signum(), b.signum(), "{x}");
            a.abs().to_bits().abs_diff(b.abs().to_bits())
        };
        worst = worst.max(d);
    }
    assert!(worst <= 2, "worst error {worst} ulp");
    assert_eq!(exp_m1(0.0), 0.0);
    assert!(exp_m1(f64::NAN).is_nan());
    assert_eq!(exp_m1(f64::NEG_INFINITY), -1.0);
}
