//! Statistical companions of a twin's weekly forecasts: a damped trend on
//! the observed weekly sums and the ensemble of the twin with it. Both use
//! only the data up to the origin. `backtest` scores them beside the twin;
//! `didymos forecast --ensemble` writes the ensemble.

use didymos_core::observation::Stream;
use didymos_core::Result;
use didymos_forecast::{damped_trend, quantile_average, QuantileForecast, TrendOptions};

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

/// The equal-weight quantile average of the twin's forecast and the trend's.
pub fn ensemble_of(model: &QuantileForecast, trend: &QuantileForecast) -> Result<QuantileForecast> {
    quantile_average(&[(model, 1.0), (trend, 1.0)])
}
