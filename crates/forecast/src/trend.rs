//! A damped-trend forecaster on the log scale, a statistical companion to a
//! twin's forecasts (see [`crate::ensemble`]).
//!
//! On x = ln(1 + y) of a non-negative series (oldest first), the last step's
//! change g continues with damping φ: at horizon h the median is
//! x_last + g·(φ + φ² + … + φʰ), and the spread is Gaussian on that scale
//! with sd s·√h, s the standard deviation of the last `window` steps'
//! changes (at least `min_sd`). Quantiles are exp(·) − 1, floored at 0.
//! Damping between 0 (persistence) and 1 (a straight-line trend) is what
//! lets it follow a rise without running away with it; on the log scale
//! its spread scales with the level, which the Hub's additive baseline does
//! not.

use didymos_core::{Error, Result};

use crate::normal::normal_quantile;
use crate::quantiles::HUB_LEVELS;
use crate::scores::QuantileForecast;

/// The default number of weekly changes that give the spread.
pub const DEFAULT_WINDOW: usize = 8;

/// Settings of [`damped_trend`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrendOptions {
    /// Levels to report; strictly increasing inside (0, 1).
    pub levels: Vec<f64>,
    /// φ in [0, 1].
    pub damping: f64,
    /// How many of the latest changes give the spread (≥ 1).
    pub window: usize,
    /// Floor of the one-step sd on the log scale (≥ 0): a series that has
    /// not moved lately still gets an interval.
    pub min_sd: f64,
}

impl Default for TrendOptions {
    /// φ = 0.5, the last 8 changes, sd at least 0.05: on the Spanish twin's
    /// autumn 2020 backtest, φ = 0.25 and 0.5 scored within 0.02 of each
    /// other (BENCHMARKS.md).
    fn default() -> Self {
        TrendOptions {
            levels: HUB_LEVELS.to_vec(),
            damping: 0.5,
            window: DEFAULT_WINDOW,
            min_sd: 0.05,
        }
    }
}

/// Quantile forecasts of `history` (oldest first, at least two values, all
/// finite and ≥ 0) at each of `horizons` (steps ahead, ≥ 1).
pub fn damped_trend(
    history: &[f64],
    horizons: &[u32],
    opts: &TrendOptions,
) -> Result<Vec<QuantileForecast>> {
    if horizons.contains(&0) {
        return Err(Error::Other("horizons start at 1".into()));
    }
    let h: Vec<f64> = horizons.iter().map(|&h| f64::from(h)).collect();
    damped_trend_at(history, &h, opts)
}

/// As [`damped_trend`] at horizons that may fall between steps (> 0; e.g.
/// 5/7 of a week: a 7-day window ending five days on). The damped sum of
/// steps φ + φ² + … + φʰ extends to φ(1 − φʰ)/(1 − φ) between whole steps
/// (h for φ = 1), and the spread is sd·√h as at whole steps.
pub fn damped_trend_at(
    history: &[f64],
    horizons: &[f64],
    opts: &TrendOptions,
) -> Result<Vec<QuantileForecast>> {
    if history.len() < 2 {
        return Err(Error::Other(format!(
            "the damped trend needs at least two observations, got {}",
            history.len()
        )));
    }
    if let Some(i) = history.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(Error::Other(format!(
            "observation {i} is {}: the damped trend works on ln(1 + y) and needs y ≥ 0",
            history[i]
        )));
    }
    check_horizons(horizons)?;
    if !(0.0..=1.0).contains(&opts.damping)
        || opts.window == 0
        || opts.min_sd.is_nan()
        || opts.min_sd < 0.0
    {
        return Err(Error::Other(format!(
            "damped trend settings: damping {} must be in [0, 1], window {} ≥ 1, min_sd {} ≥ 0",
            opts.damping, opts.window, opts.min_sd
        )));
    }
    let x: Vec<f64> = history.iter().map(|v| v.ln_1p()).collect();
    let slope = x[x.len() - 1] - x[x.len() - 2];
    let sd = log_change_sd(history, opts.window, opts.min_sd);
    let last = *x.last().expect("length checked above");
    horizons
        .iter()
        .map(|&h| {
            let steps = damped_steps(opts.damping, h);
            log_scale_quantiles(last + slope * steps, sd * h.sqrt(), &opts.levels)
        })
        .collect()
}

/// φ + φ² + … + φʰ, summed term by term at whole h (so whole horizons give
/// the same bits as they always have) and in closed form between.
fn damped_steps(phi: f64, h: f64) -> f64 {
    if h.fract() == 0.0 {
        (1..=h as i32).map(|j| phi.powi(j)).sum()
    } else if phi == 1.0 {
        h
    } else {
        phi * (1.0 - phi.powf(h)) / (1.0 - phi)
    }
}

/// Horizons are finite and > 0.
pub(crate) fn check_horizons(horizons: &[f64]) -> Result<()> {
    match horizons.iter().find(|h| !(h.is_finite() && **h > 0.0)) {
        Some(h) => Err(Error::Other(format!(
            "horizon {h}: horizons are finite and > 0"
        ))),
        None => Ok(()),
    }
}

/// The population sd of the last `window` changes of ln(1 + y) (at least
/// `min_sd`; `min_sd` for a single value).
pub(crate) fn log_change_sd(history: &[f64], window: usize, min_sd: f64) -> f64 {
    let x: Vec<f64> = history.iter().map(|v| v.ln_1p()).collect();
    let changes: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    if changes.is_empty() {
        return min_sd;
    }
    let recent = &changes[changes.len().saturating_sub(window)..];
    let mean = recent.iter().sum::<f64>() / recent.len() as f64;
    let var = recent.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / recent.len() as f64;
    var.sqrt().max(min_sd)
}

/// Quantiles exp(centre + spread·Φ⁻¹(level)) − 1, floored at 0.
pub(crate) fn log_scale_quantiles(
    centre: f64,
    spread: f64,
    levels: &[f64],
) -> Result<QuantileForecast> {
    let values = levels
        .iter()
        .map(|&l| (centre + spread * normal_quantile(l)).exp_m1().max(0.0))
        .collect();
    QuantileForecast::new(levels.to_vec(), values)
}
