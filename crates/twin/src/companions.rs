//! Statistical companions of a twin's weekly forecasts: a damped trend on
//! the observed weekly sums, a leading-indicator ratio where the stream has
//! a leading series (cases before admissions, say), and the equal-weight
//! ensemble of the twin with them. All use only the data up to the origin.
//! `backtest` scores them beside the twin; `didymos forecast --ensemble`
//! writes the ensemble.

use didymos_core::observation::Stream;
use didymos_core::Result;
use didymos_forecast::{
    damped_trend, lead_ratio, quantile_average, QuantileForecast, TrendOptions,
};

/// The observed sum over days `from..=to` at `loc` (`None` if any is
/// missing); `loc == n_locations` means the total over locations.
pub fn observed_sum(stream: &Stream, loc: usize, from: usize, to: usize) -> Option<f64> {
    let n_loc = stream.aggregation.len();
    let mut sum = 0.0;
    for d in from..=to {
        let row = stream.data.get(&d)?;
        if loc == n_loc {
            for v in row {
                sum += (*v)?;
            }
        } else {
            sum += row.get(loc).copied().flatten()?;
        }
    }
    Some(sum)
}

/// Weekly sums at `loc` ending at `origin` (days origin−6..origin, then the
/// week before, …), oldest first, back to the first week with a gap.
pub fn weekly_history(stream: &Stream, loc: usize, origin: usize) -> Vec<f64> {
    let mut past = Vec::new();
    let mut end = origin;
    while end >= 7 {
        match observed_sum(stream, loc, end - 6, end) {
            Some(v) => past.push(v),
            None => break,
        }
        end -= 7;
    }
    past.reverse();
    past
}

/// The damped trend of `past` (weekly sums) for weeks 1..=`weeks`; `None`
/// when it is undefined: fewer than two weeks, or a negative value (it
/// works on ln(1 + y)).
pub fn trend_forecasts(past: &[f64], weeks: usize) -> Result<Option<Vec<QuantileForecast>>> {
    if past.len() < 2 || past.iter().any(|&v| v < 0.0) {
        return Ok(None);
    }
    let horizons: Vec<u32> = (1..=weeks as u32).collect();
    damped_trend(past, &horizons, &TrendOptions::default()).map(Some)
}

/// The lead forecaster of `past` from `past_leading` (weekly sums ending on
/// the same day) for weeks 1..=`weeks`; `None` when undefined: under three
/// weeks of either, a negative value, or a leading series at 0 for the two
/// weeks the ratio needs.
pub fn lead_forecasts(
    past: &[f64],
    past_leading: &[f64],
    weeks: usize,
) -> Result<Option<Vec<QuantileForecast>>> {
    let usable = |xs: &[f64]| xs.len() >= 3 && xs.iter().all(|&v| v >= 0.0);
    if !(usable(past) && usable(past_leading)) {
        return Ok(None);
    }
    let horizons: Vec<u32> = (1..=weeks as u32).collect();
    lead_ratio(past, past_leading, &horizons, &TrendOptions::default())
}

/// The equal-weight quantile average of the twin's forecast and its
/// companions'.
pub fn ensemble_of(parts: &[&QuantileForecast]) -> Result<QuantileForecast> {
    let weighted: Vec<(&QuantileForecast, f64)> = parts.iter().map(|&q| (q, 1.0)).collect();
    quantile_average(&weighted)
}
