//! Observation noise: the distribution of an observed count around the
//! expected value a model (after aggregation, delay and ascertainment)
//! predicts for it.

use rand::Rng;
use rand_distr::{Distribution, Gamma, Normal};

use crate::params::ln_gamma;

/// The smallest expected value [`crate::observation::StreamSet`] passes to
/// [`Noise::log_pmf`]. A model that predicts exactly 0 where a positive
/// count was observed would otherwise get log-likelihood −∞, and a filter
/// whose members all have weight 0 cannot recover. With the floor such a
/// member gets a very low but finite weight (≈ y·ln 1e-10). `log_pmf`
/// itself is exact and does not apply it.
pub const MIN_MEAN: f64 = 1e-10;

/// Below this many terms, `ln Γ(y+k) − ln Γ(k)` is summed as `Σ ln(k+j)`,
/// which keeps full precision when the dispersion `k` is huge.
const DIRECT_SUM_LIMIT: f64 = 64.0;

/// From this dispersion on, `ln Γ(y+k) − ln Γ(k)` uses the difference of
/// Stirling series (truncation error < 1e-30).
const STIRLING_FROM: f64 = 1e4;

/// The distribution of an observation given its expected value `mean`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Noise {
    /// y ~ Poisson(mean); variance = mean.
    Poisson,
    /// y ~ negative binomial with mean `mean` and size `dispersion` (k):
    /// variance = mean + mean²/k. `k = ∞` is Poisson. In scipy's terms,
    /// `nbinom(n = k, p = k/(k + mean))`.
    NegBinomial { dispersion: f64 },
    /// Gaussian on the log scale: ln(y+1) ~ Normal(ln(mean+1), sd²).
    /// `mean` is then the median of y, not its mean. `log_pmf` is the log
    /// density of ln(y+1) (not a probability mass over integers); it is
    /// meant for comparing members on the same data, where the Jacobian
    /// term would cancel anyway.
    LogNormal { sd: f64 },
}

impl Noise {
    /// Check the noise parameters. Returns a message for the caller to
    /// locate.
    pub fn validate(&self) -> std::result::Result<(), String> {
        match *self {
            Noise::Poisson => Ok(()),
            Noise::NegBinomial { dispersion } => {
                if dispersion > 0.0 {
                    Ok(())
                } else {
                    Err(format!(
                        "negative binomial dispersion must be > 0 (infinity allowed), got {dispersion}"
                    ))
                }
            }
            Noise::LogNormal { sd } => {
                if sd.is_finite() && sd > 0.0 {
                    Ok(())
                } else {
                    Err(format!("log-normal sd must be finite and > 0, got {sd}"))
                }
            }
        }
    }

    /// log p(y | mean), exact.
    ///
    /// For Poisson and negative binomial, `y` must be a non-negative
    /// integer (otherwise −∞). A mean of 0 (negative means are treated as
    /// 0) is the point mass at 0: log p(0|0) = 0 and log p(y>0|0) = −∞.
    /// Callers that need a finite value for a zero prediction clamp the
    /// mean to [`MIN_MEAN`] first, as `StreamSet` does. NaN in gives NaN
    /// out only for a NaN mean; a NaN `y` gives −∞.
    pub fn log_pmf(&self, y: f64, mean: f64) -> f64 {
        if mean.is_nan() {
            return f64::NAN;
        }
        let mean = mean.max(0.0);
        match *self {
            Noise::Poisson => poisson_log_pmf(y, mean),
            Noise::NegBinomial { dispersion } => {
                if dispersion.is_infinite() {
                    return poisson_log_pmf(y, mean);
                }
                if !is_count(y) {
                    return f64::NEG_INFINITY;
                }
                if mean == 0.0 {
                    return if y == 0.0 { 0.0 } else { f64::NEG_INFINITY };
                }
                if mean.is_infinite() {
                    return f64::NEG_INFINITY;
                }
                let k = dispersion;
                let ln_rising = ln_rising_factorial(k, y);
                // k ln(k/(k+μ)) = −k ln(1 + μ/k); y ln(μ/(k+μ)).
                let ln_k_term = -k * (mean / k).ln_1p();
                let ln_y_term = if y == 0.0 {
                    0.0
                } else {
                    y * (mean.ln() - (k + mean).ln())
                };
                ln_rising - ln_gamma(y + 1.0) + ln_k_term + ln_y_term
            }
            Noise::LogNormal { sd } => {
                if y.is_nan() || y <= -1.0 {
                    return f64::NEG_INFINITY;
                }
                let z = (y.ln_1p() - mean.ln_1p()) / sd;
                -0.5 * z * z - sd.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
            }
        }
    }

    /// One draw of y given `mean` (negative or NaN means give 0). Poisson
    /// and negative binomial (as a Gamma–Poisson mixture) return whole
    /// numbers; log-normal draws are continuous and clamped at 0.
    pub fn sample<R: Rng + ?Sized>(&self, mean: f64, rng: &mut R) -> f64 {
        if mean.is_nan() || mean <= 0.0 {
            return 0.0;
        }
        match *self {
            Noise::Poisson => sample_poisson(mean, rng),
            Noise::NegBinomial { dispersion } => {
                if dispersion.is_infinite() {
                    return sample_poisson(mean, rng);
                }
                let lambda = match Gamma::new(dispersion, mean / dispersion) {
                    Ok(g) => g.sample(rng),
                    Err(_) => return 0.0,
                };
                sample_poisson(lambda, rng)
            }
            Noise::LogNormal { sd } => {
                // An invalid sd (see `validate`) gives the median itself.
                match Normal::new(mean.ln_1p(), sd) {
                    Ok(normal) => (normal.sample(rng).exp() - 1.0).max(0.0),
                    Err(_) => mean,
                }
            }
        }
    }

    /// Variance of y given `mean` (negative means are treated as 0), for
    /// Kalman-type updates. Log-normal: the variance of exp(Z) − 1 with
    /// Z ~ Normal(ln(mean+1), sd²), i.e. (e^{sd²} − 1)·e^{sd²}·(mean+1)².
    pub fn variance(&self, mean: f64) -> f64 {
        let mean = mean.max(0.0);
        match *self {
            Noise::Poisson => mean,
            Noise::NegBinomial { dispersion } => mean + mean * mean / dispersion,
            Noise::LogNormal { sd } => {
                let s2 = sd * sd;
                s2.exp_m1() * s2.exp() * (mean + 1.0) * (mean + 1.0)
            }
        }
    }
}

/// ln Γ(k+y) − ln Γ(k) for a whole y ≥ 0, without the cancellation that
/// the plain difference suffers when k is huge.
fn ln_rising_factorial(k: f64, y: f64) -> f64 {
    if y < DIRECT_SUM_LIMIT {
        (0..y as u64).map(|j| (k + j as f64).ln()).sum()
    } else if k >= STIRLING_FROM {
        // Stirling: ln Γ(z) = (z−½)ln z − z + ½ln 2π + s(z), with
        // s(z) = 1/(12z) − 1/(360z³) + 1/(1260z⁵) + O(z⁻⁷).
        let s = |z: f64| {
            let r = 1.0 / z;
            let r2 = r * r;
            r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 / 1260.0))
        };
        (k - 0.5) * (y / k).ln_1p() + y * (k + y).ln() - y + s(k + y) - s(k)
    } else {
        ln_gamma(y + k) - ln_gamma(k)
    }
}

fn is_count(y: f64) -> bool {
    y >= 0.0 && y.is_finite() && y.fract() == 0.0
}

fn poisson_log_pmf(y: f64, mean: f64) -> f64 {
    if !is_count(y) {
        return f64::NEG_INFINITY;
    }
    if mean == 0.0 {
        return if y == 0.0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if mean.is_infinite() {
        return f64::NEG_INFINITY;
    }
    let ln_y_term = if y == 0.0 { 0.0 } else { y * mean.ln() };
    ln_y_term - mean - ln_gamma(y + 1.0)
}

fn sample_poisson<R: Rng + ?Sized>(mean: f64, rng: &mut R) -> f64 {
    crate::rng::poisson(mean, rng)
}
