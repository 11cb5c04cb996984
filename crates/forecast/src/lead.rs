//! A leading-indicator forecaster: a series that another one follows with
//! a lag (a count reported earlier in the same chain of events) predicts it.
//!
//! With weekly sums of the target y and of the leading series x, oldest
//! first and ending in the same week, the target's recent ratio to the
//! leading series a week earlier, r = (y₀ + y₋₁)/(x₋₁ + x₋₂), times the
//! latest leading week, r·x₀, is the median at every horizon (what x has
//! already shown, carried forward). The spread is the damped trend's: on
//! ln(1 + y), the sd of the target's last `window` weekly changes (at least
//! `min_sd`) times √h.

use didymos_core::{Error, Result};

use crate::scores::QuantileForecast;
use crate::trend::{check_horizons, log_change_sd, log_scale_quantiles, TrendOptions};

/// Quantile forecasts of `target` at `horizons` from `leading`; `None` when
/// the ratio is undefined (the leading series summed to 0 over the two
/// weeks). Both series: at least three weeks, finite, ≥ 0, the last week of
/// each ending on the same day. `opts` supplies the levels, `window` and
/// `min_sd` (its damping is not used).
pub fn lead_ratio(
    target: &[f64],
    leading: &[f64],
    horizons: &[u32],
    opts: &TrendOptions,
) -> Result<Option<Vec<QuantileForecast>>> {
    if horizons.contains(&0) {
        return Err(Error::Other("horizons start at 1".into()));
    }
    let h: Vec<f64> = horizons.iter().map(|&h| f64::from(h)).collect();
    lead_ratio_at(target, leading, &h, opts)
}

/// As [`lead_ratio`] at horizons in weeks that may fall between whole
/// weeks (> 0): the same median, spread sd·√h.
pub fn lead_ratio_at(
    target: &[f64],
    leading: &[f64],
    horizons: &[f64],
    opts: &TrendOptions,
) -> Result<Option<Vec<QuantileForecast>>> {
    for (name, xs) in [("target", target), ("leading", leading)] {
        if xs.len() < 3 {
            return Err(Error::Other(format!(
                "the lead forecaster needs three weeks of the {name} series, got {}",
                xs.len()
            )));
        }
        if let Some(i) = xs.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(Error::Other(format!(
                "{name} week {i} is {}: the lead forecaster needs values ≥ 0",
                xs[i]
            )));
        }
    }
    check_horizons(horizons)?;
    let (n, m) = (target.len(), leading.len());
    let before = leading[m - 2] + leading[m - 3];
    if before <= 0.0 {
        return Ok(None);
    }
    let ratio = (target[n - 1] + target[n - 2]) / before;
    let centre = (ratio * leading[m - 1]).ln_1p();
    let sd = log_change_sd(target, opts.window, opts.min_sd);
    horizons
        .iter()
        .map(|&h| log_scale_quantiles(centre, sd * h.sqrt(), &opts.levels))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}
