//! Poisson and binomial draws that are safe for any arguments.
//!
//! `rand_distr` 0.4's samplers have edges that user input can reach: its
//! Poisson loops forever for means above about 1e306 and returns −1 for
//! means below about 1e-16 (where e^−mean rounds to 1), and its binomial
//! panics for n > 2³¹ when n·min(p, 1−p) is small (it falls through to
//! BTPE, whose triangle then has a negative width) and for n·p near 2⁶³.
//! A spec with an absurd population or ascertainment, or a corrupted
//! state, must give absurd numbers or an error, never a hang or a panic.
//! Inside the ranges where those samplers are sound, the draws are theirs,
//! unchanged; outside, the approximations below are closer than an f64
//! count can resolve.

use rand::Rng;
use rand_distr::{Binomial, Distribution, Poisson};

use super::standard_normal;

/// Above this mean a count is drawn from its normal approximation: the
/// Poisson's skewness there is below 3·10⁻⁸, and f64 stops resolving whole
/// numbers at 2⁵³ ≈ 9·10¹⁵ anyway.
const NORMAL_FROM: f64 = 1e15;

/// A Poisson draw with mean `mean` (0 for a mean that is not > 0; the mean
/// itself for an infinite one).
pub fn poisson<R: Rng + ?Sized>(mean: f64, rng: &mut R) -> f64 {
    if mean.is_nan() || mean <= 0.0 {
        return 0.0;
    }
    if mean.is_infinite() {
        return mean;
    }
    if (-mean).exp() == 1.0 {
        // P(y ≥ 1) ≈ mean, P(y ≥ 2) ≈ mean²/2: below f64's resolution.
        return if rng.gen::<f64>() < mean { 1.0 } else { 0.0 };
    }
    if mean >= NORMAL_FROM {
        return (mean + mean.sqrt() * standard_normal(rng)).round().max(0.0);
    }
    match Poisson::new(mean) {
        Ok(p) => p.sample(rng),
        Err(_) => mean.round(),
    }
}

/// A binomial draw: successes in `n` trials of probability `p` (clamped
/// to [0, 1]; NaN counts as 0).
pub fn binomial<R: Rng + ?Sized>(n: u64, p: f64, rng: &mut R) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    // The sampler's own rules: inversion for small n·p with n ≤ 2³¹−1,
    // BTPE otherwise, which is sound only for a mean well above 1.
    let small = p.min(1.0 - p);
    let mean = n as f64 * small;
    if n <= i32::MAX as u64 || (10.0..NORMAL_FROM).contains(&mean) {
        return Binomial::new(n, p).map_or(0, |b| b.sample(rng));
    }
    let k = if mean < 10.0 {
        // n > 2³¹ and a rare outcome (min(p, 1−p) < 5·10⁻⁹): the Poisson
        // limit, off by at most min(p, 1−p) in total variation.
        poisson(mean, rng)
    } else {
        let sd = (mean * (1.0 - small)).sqrt();
        (mean + sd * standard_normal(rng)).round()
    };
    let k = (k.max(0.0) as u64).min(n);
    if small == p {
        k
    } else {
        n - k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::member_rng;

    #[test]
    fn extreme_arguments_neither_hang_nor_panic() {
        let mut rng = member_rng(1, 0, 0);
        for mean in [
            1e-300,
            1e-17,
            1e-16,
            0.5,
            11.9,
            1e9,
            1e15,
            1e306,
            1.7e308,
            f64::MAX,
        ] {
            let y = poisson(mean, &mut rng);
            assert!(y.is_finite() && y >= 0.0, "poisson({mean}) = {y}");
            assert!((y / mean - 1.0).abs() < 1.0 || mean < 100.0);
        }
        assert_eq!(poisson(f64::INFINITY, &mut rng), f64::INFINITY);
        assert_eq!(poisson(f64::NAN, &mut rng), 0.0);
        for n in [1, 1000, 1 << 31, 1 << 40, 1 << 53, 1 << 62, u64::MAX] {
            for p in [1e-300, 1e-10, 1e-3, 0.3, 0.5, 0.999_999, 1.0 - 1e-16] {
                let k = binomial(n, p, &mut rng);
                assert!(k <= n, "binomial({n}, {p}) = {k}");
                let mean = n as f64 * p;
                if mean > 1e6 {
                    assert!((k as f64 / mean - 1.0).abs() < 1e-2, "{n} {p} {k}");
                }
            }
        }
    }

    #[test]
    fn large_n_rare_outcomes_keep_their_mean() {
        // n > 2³¹ with n·p = 3 takes the Poisson limit: mean and variance 3.
        let mut rng = member_rng(2, 0, 0);
        let draws: Vec<f64> = (0..20_000)
            .map(|_| binomial(3 << 40, 1.0 / (1u64 << 40) as f64, &mut rng) as f64)
            .collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        // Standard errors: √(3/20000) ≈ 0.012 for the mean, ≈ 0.04 for the variance.
        assert!((mean - 3.0).abs() < 0.05, "mean {mean}");
        assert!((var - 3.0).abs() < 0.2, "variance {var}");
        // The complement side: p near 1 counts failures the same way.
        let n = 3 << 40;
        let k = binomial(n, 1.0 - 1.0 / (1u64 << 40) as f64, &mut rng);
        assert!(n - k < 30, "{}", n - k);
    }

    #[test]
    fn ordinary_arguments_draw_what_rand_distr_draws() {
        let (mut a, mut b) = (member_rng(3, 0, 0), member_rng(3, 0, 0));
        for (n, p) in [(10u64, 0.3), (5_000_000, 1e-4), (7, 0.9), (1 << 30, 0.5)] {
            let mine = binomial(n, p, &mut a);
            let theirs = Binomial::new(n, p).unwrap().sample(&mut b);
            assert_eq!(mine, theirs);
        }
        for mean in [0.1, 5.0, 40.0, 1e12] {
            assert_eq!(
                poisson(mean, &mut a),
                Poisson::new(mean).unwrap().sample(&mut b)
            );
        }
    }
}
