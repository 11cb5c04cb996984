//! Reporting delays: the share of a day's model incidence that is reported
//! d days later, and the special functions (regularised incomplete gamma,
//! erfc) used to discretise continuous delay distributions.

use crate::error::{Error, Located, Result};
use crate::params::ln_gamma;

/// A discrete delay distribution: `pmf[d]` = P(report delay = d days).
/// The pmf is non-negative and sums to 1; its length is the maximum delay
/// plus one.
#[derive(Debug, Clone, PartialEq)]
pub struct Delay {
    pub pmf: Vec<f64>,
}

fn delay_error(msg: impl Into<String>) -> Error {
    Error::input(Located::default().field("delay"), msg)
}

impl Delay {
    /// No delay: everything is reported the same day.
    pub fn none() -> Self {
        Delay { pmf: vec![1.0] }
    }

    /// A delay from explicit weights (renormalised to sum to 1).
    pub fn from_pmf(pmf: Vec<f64>) -> Result<Self> {
        let d = Delay { pmf };
        d.check_weights()?;
        let total: f64 = d.pmf.iter().sum();
        Ok(Delay {
            pmf: d.pmf.iter().map(|w| w / total).collect(),
        })
    }

    fn check_weights(&self) -> Result<()> {
        if self.pmf.is_empty() {
            return Err(delay_error("delay pmf is empty"));
        }
        if let Some((d, w)) = self
            .pmf
            .iter()
            .enumerate()
            .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
        {
            return Err(delay_error(format!(
                "delay pmf[{d}] = {w} (weights must be finite and ≥ 0)"
            )));
        }
        if self.pmf.iter().sum::<f64>() <= 0.0 {
            return Err(delay_error("delay pmf sums to 0"));
        }
        Ok(())
    }

    /// Check that the pmf is non-negative and sums to 1 (within 1e-9).
    pub fn validate(&self) -> Result<()> {
        self.check_weights()?;
        let total: f64 = self.pmf.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(delay_error(format!("delay pmf sums to {total}, not 1")));
        }
        Ok(())
    }

    /// A gamma delay with the given mean and sd (days), discretised as
    /// `pmf[d]` ∝ P(d ≤ X < d+1) for d = 0..=max_days, renormalised.
    pub fn discretised_gamma(mean: f64, sd: f64, max_days: usize) -> Result<Self> {
        check_mean_sd(mean, sd)?;
        let shape = (mean / sd).powi(2);
        let scale = sd * sd / mean;
        Self::discretise(|x| gamma_cdf(shape, scale, x), max_days)
    }

    /// A log-normal delay with the given mean and sd (days, of the delay
    /// itself, not of its log), discretised like [`Delay::discretised_gamma`].
    pub fn discretised_lognormal(mean: f64, sd: f64, max_days: usize) -> Result<Self> {
        check_mean_sd(mean, sd)?;
        let sigma2 = (sd * sd / (mean * mean)).ln_1p();
        let mu = mean.ln() - 0.5 * sigma2;
        let sigma = sigma2.sqrt();
        Self::discretise(|x| lognormal_cdf(mu, sigma, x), max_days)
    }

    fn discretise(cdf: impl Fn(f64) -> f64, max_days: usize) -> Result<Self> {
        let pmf: Vec<f64> = (0..=max_days)
            .map(|d| (cdf(d as f64 + 1.0) - cdf(d as f64)).max(0.0))
            .collect();
        let total: f64 = pmf.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return Err(delay_error(format!(
                "no probability mass within 0..={max_days} days; raise max_days"
            )));
        }
        Self::from_pmf(pmf)
    }

    /// Number of days the delay spans (max delay + 1).
    pub fn len(&self) -> usize {
        self.pmf.len()
    }

    /// Always false for a valid delay.
    pub fn is_empty(&self) -> bool {
        self.pmf.is_empty()
    }

    /// Mean delay in days, Σ d·`pmf[d]`.
    pub fn mean(&self) -> f64 {
        self.pmf.iter().enumerate().map(|(d, p)| d as f64 * p).sum()
    }

    /// Reported amount on the last day of `incidence_oldest_first` (t):
    /// `Σ_d pmf[d]·incidence[t−d]`. Days before the start of the slice
    /// contribute 0.
    pub fn convolve(&self, incidence_oldest_first: &[f64]) -> f64 {
        self.pmf
            .iter()
            .zip(incidence_oldest_first.iter().rev())
            .map(|(p, x)| p * x)
            .sum()
    }
}

fn check_mean_sd(mean: f64, sd: f64) -> Result<()> {
    if !(mean.is_finite() && mean > 0.0 && sd.is_finite() && sd > 0.0) {
        return Err(delay_error(format!(
            "delay mean and sd must be finite and > 0, got mean {mean}, sd {sd}"
        )));
    }
    Ok(())
}

const ITMAX: usize = 10_000;
const EPS: f64 = 1e-16;
const FPMIN: f64 = 1e-300;

/// Regularised lower incomplete gamma P(a, x) = γ(a, x)/Γ(a), for a > 0.
/// Series for x < a + 1, continued fraction (modified Lentz) otherwise
/// (Numerical Recipes §6.2). Relative accuracy ≈ 1e-15.
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if x.is_nan() || a.is_nan() || a <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x.is_infinite() {
        return 1.0;
    }
    if x < a + 1.0 {
        gamma_series(a, x)
    } else {
        1.0 - gamma_cont_frac(a, x)
    }
}

/// Regularised upper incomplete gamma Q(a, x) = 1 − P(a, x), computed
/// directly in the tail so that small values keep relative accuracy.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x.is_nan() || a.is_nan() || a <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    if x < a + 1.0 {
        1.0 - gamma_series(a, x)
    } else {
        gamma_cont_frac(a, x)
    }
}

/// P(a, x) by its series, for x < a + 1.
fn gamma_series(a: f64, x: f64) -> f64 {
    let mut ap = a;
    let mut del = 1.0 / a;
    let mut sum = del;
    for _ in 0..ITMAX {
        ap += 1.0;
        del *= x / ap;
        sum += del;
        if del.abs() < sum.abs() * EPS {
            break;
        }
    }
    sum * (-x + a * x.ln() - ln_gamma(a)).exp()
}

/// Q(a, x) by its continued fraction, for x ≥ a + 1.
fn gamma_cont_frac(a: f64, x: f64) -> f64 {
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / FPMIN;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..=ITMAX {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < FPMIN {
            d = FPMIN;
        }
        c = b + an / c;
        if c.abs() < FPMIN {
            c = FPMIN;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    (-x + a * x.ln() - ln_gamma(a)).exp() * h
}

/// CDF of the gamma distribution with `shape` and `scale` at `x`.
pub fn gamma_cdf(shape: f64, scale: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    gamma_p(shape, x / scale)
}

/// Complementary error function, erfc(x) = 1 − erf(x), via the incomplete
/// gamma: erfc(x) = Q(1/2, x²) for x ≥ 0 and 2 − erfc(−x) for x < 0. Keeps
/// relative accuracy in the upper tail (≈ 1e-15).
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        2.0 - erfc(-x)
    } else {
        gamma_q(0.5, x * x)
    }
}

/// Error function, erf(x) = 1 − erfc(x) (computed as ±P(1/2, x²) so that
/// small |x| keeps relative accuracy).
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let p = gamma_p(0.5, x * x);
    if x < 0.0 {
        -p
    } else {
        p
    }
}

/// CDF at `x` of the log-normal distribution whose log has mean `mu` and
/// sd `sigma`: ½·erfc(−(ln x − mu)/(sigma·√2)).
pub fn lognormal_cdf(mu: f64, sigma: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    0.5 * erfc(-(x.ln() - mu) / (sigma * std::f64::consts::SQRT_2))
}
