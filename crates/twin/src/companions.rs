//! Statistical companions of a twin's weekly forecasts: a damped trend on
//! the observed weekly sums, a leading-indicator ratio where the stream has
//! a leading series (cases before admissions, say), and the equal-weight
//! ensemble of the twin with them. All use only the data up to the origin.
//! `backtest` scores them beside the twin; `didymos forecast --ensemble`
//! writes the ensemble.

use didymos_core::observation::{Stream, StreamSet};
use didymos_core::{Date, Result};
pub use didymos_forecast::TrendOptions;
use didymos_forecast::{damped_trend_at, lead_ratio_at, quantile_average, QuantileForecast};

use crate::epiweeks::{epiweek_targets, observed_part, EpiweekTarget};
use crate::predict::StreamForecast;

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

/// One location's companion forecasts at an origin, weeks 1..=`weeks`.
pub struct Companions {
    trend: Vec<QuantileForecast>,
    lead: Option<Vec<QuantileForecast>>,
}

impl Companions {
    /// From `past`, the location's weekly sums ending at `origin` (see
    /// [`weekly_history`]), and the stream's leading series if it has one.
    /// `None` when the trend is undefined (fewer than two weeks, or a
    /// negative value: it works on ln(1 + y)); the lead is left out where
    /// it is undefined (under three weeks of either series, a negative
    /// value, or a leading series at 0 for the two weeks its ratio needs).
    /// Forecasts are made at `horizons`, in weeks from the origin (whole
    /// weeks in the backtest; an epiweek ending five days on is 5/7); the
    /// accessors take the 1-based position in it. `opts` sets the trend
    /// (damping, window, spread floor; the lead takes its spread the same
    /// way); its levels must be the twin's.
    pub fn new(
        past: &[f64],
        leading: Option<&Stream>,
        (loc, origin): (usize, usize),
        horizons: &[f64],
        opts: &TrendOptions,
    ) -> Result<Option<Self>> {
        let usable = |xs: &[f64], min: usize| xs.len() >= min && xs.iter().all(|&v| v >= 0.0);
        if !usable(past, 2) {
            return Ok(None);
        }
        let trend = damped_trend_at(past, horizons, opts)?;
        let lead = match leading {
            Some(x) => {
                let past_leading = weekly_history(x, loc, origin);
                if usable(past, 3) && usable(&past_leading, 3) {
                    lead_ratio_at(past, &past_leading, horizons, opts)?
                } else {
                    None
                }
            }
            None => None,
        };
        Ok(Some(Companions { trend, lead }))
    }

    /// The damped trend's forecast at the `k`-th horizon (k ≥ 1).
    pub fn trend(&self, k: usize) -> &QuantileForecast {
        &self.trend[k - 1]
    }

    /// The lead forecaster's, where there is one.
    pub fn lead(&self, k: usize) -> Option<&QuantileForecast> {
        self.lead.as_ref().map(|l| &l[k - 1])
    }

    /// The equal-weight quantile average of the twin's forecast `model`
    /// with the companions' at the `k`-th horizon.
    pub fn ensemble(&self, k: usize, model: &QuantileForecast) -> Result<QuantileForecast> {
        equal_average(model, self.trend(k), self.lead(k))
    }

    /// The companions' forecasts at the `k`-th horizon for a week whose
    /// first days are observed (`given`: the observed sum and the share of
    /// the week still to come) or not (`None`): each companion's forecast
    /// q of the 7-day sum becomes `observed + rest·q`, the known days plus
    /// the share `rest` of the week that is still to come (a monotone map,
    /// so still quantiles). The trend's, then the lead's where there is
    /// one.
    pub fn parts(
        &self,
        k: usize,
        given: Option<(f64, f64)>,
    ) -> Result<(QuantileForecast, Option<QuantileForecast>)> {
        let given = |q: &QuantileForecast| match given {
            None => Ok(q.clone()),
            Some((observed, rest)) => {
                let values = q.values().iter().map(|v| observed + rest * v).collect();
                QuantileForecast::new(q.levels().to_vec(), values)
            }
        };
        Ok((given(self.trend(k))?, self.lead(k).map(given).transpose()?))
    }
}

/// The equal-weight quantile average of the twin's forecast with the
/// companions'.
fn equal_average(
    model: &QuantileForecast,
    trend: &QuantileForecast,
    lead: Option<&QuantileForecast>,
) -> Result<QuantileForecast> {
    let mut parts = vec![(model, 1.0), (trend, 1.0)];
    if let Some(l) = lead {
        parts.push((l, 1.0));
    }
    quantile_average(&parts)
}

/// The share of a week's admissions (or whatever the stream counts) that
/// its first `days` days carry, from the stream's total over the `weeks`
/// whole weeks before the one starting on day `start`: reported counts
/// have a weekday pattern (the 2020 Spanish admissions put 11% of a week
/// on Sundays, not 1/7), so the days still to come of an epiweek under way
/// are not simply (7 − days)/7 of it. Stops at the first week with a gap;
/// `days`/7 when there is no such week or nothing was counted.
pub fn first_days_share(stream: &Stream, start: usize, days: usize, weeks: usize) -> f64 {
    let total = stream.aggregation.len();
    let (mut part, mut whole) = (0.0, 0.0);
    for j in 1..=weeks {
        let Some(from) = start.checked_sub(7 * j).filter(|&d| d >= 1) else {
            break;
        };
        match (
            observed_sum(stream, total, from, from + days - 1),
            observed_sum(stream, total, from, from + 6),
        ) {
            (Some(p), Some(w)) if p >= 0.0 && w >= p => {
                part += p;
                whole += w;
            }
            _ => break,
        }
    }
    if whole > 0.0 {
        part / whole
    } else {
        days as f64 / 7.0
    }
}

/// How many days of a stream's record (ending at the origin) the
/// companions read with `opts`: the trend's window of weekly changes needs
/// one more week than the window (the lead needs three weeks). A service
/// that keeps only recent rows reads this many and gets the same
/// companions as from the whole record (unless an older week was
/// negative, which the whole record's trend would refuse).
pub fn history_days(opts: &TrendOptions) -> usize {
    7 * (opts.window + 1).max(3)
}

/// One location's weekly ensemble forecasts of the Hub's epiweek targets.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyEnsemble {
    pub stream: String,
    /// A location of the stream, or [`crate::predict::TOTAL`].
    pub location: String,
    /// Each target with its forecast, in order of `weeks_ahead`; a target
    /// whose observed days (before or on the origin) are missing is left
    /// out.
    pub weeks: Vec<(EpiweekTarget, QuantileForecast)>,
    /// The twin's own forecast of each of `weeks`' targets, in the same
    /// order: what the ensemble averaged in, so that users can see whether
    /// the mechanistic model alone would have done as well.
    pub twin: Vec<QuantileForecast>,
    /// The damped trend's forecast of each of `weeks`' targets, as
    /// averaged in (a week under way: its observed days plus the trend's
    /// share of the rest).
    pub trend: Vec<QuantileForecast>,
    /// The lead forecaster's, the same way; empty where the location has
    /// none.
    pub lead: Vec<QuantileForecast>,
}

/// Every stream's weekly ensembles, and the locations left out.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyEnsembles {
    pub forecasts: Vec<WeeklyEnsemble>,
    /// Per stream, the locations whose trend is undefined (see
    /// [`Companions::new`]), which have no ensemble.
    pub left_out: Vec<(String, Vec<String>)>,
}

/// The ensemble of each stream's forecast in `fc` (made at day
/// `origin.0`, the date `origin.1`) with its companions from `data` and
/// `leading`, for the Hub's epiweek targets within the forecast's horizon
/// ([`epiweek_targets`]), per location and in total, as `didymos forecast
/// --ensemble` writes and the live service publishes. An epiweek that
/// began on or before the origin (a Sunday or Monday origin's week 1) is
/// its observed days plus the forecast of the rest: the twin's days after
/// the origin, and the companions' 7-day sums ending on its Saturday
/// scaled to the share of a week those days carry ([`first_days_share`]).
/// Days a stream holds as incomplete ([`Stream::completeness`]) are read
/// divided by their completeness ([`Stream::nowcast`]).
pub fn weekly_ensembles(
    fc: &[StreamForecast],
    (data, leading): (&StreamSet, &[Option<Stream>]),
    (origin, origin_date): (usize, Date),
    opts: &TrendOptions,
) -> Result<WeeklyEnsembles> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (s, (stream, f)) in data.streams().iter().zip(fc).enumerate() {
        // Provisional last days (a record as issued) are read as estimates
        // of their final counts, as the backtest's companions read them:
        // the targets are final counts.
        let stream = stream.nowcast();
        let stream = stream.as_ref();
        let lead_of = leading.get(s).and_then(Option::as_ref).map(Stream::nowcast);
        let lead_of = lead_of.as_deref();
        let targets = epiweek_targets(origin_date, f.values.first().map_or(0, Vec::len));
        if targets.is_empty() {
            continue;
        }
        let horizons: Vec<f64> = targets
            .iter()
            .map(EpiweekTarget::weeks_from_origin)
            .collect();
        let mut left_out = Vec::new();
        for (l, location) in f.locations.iter().enumerate() {
            let past = weekly_history(stream, l, origin);
            let Some(companions) = Companions::new(&past, lead_of, (l, origin), &horizons, opts)?
            else {
                left_out.push(location.clone());
                continue;
            };
            let mut e = WeeklyEnsemble {
                stream: f.stream.clone(),
                location: location.clone(),
                weeks: Vec::with_capacity(targets.len()),
                twin: Vec::with_capacity(targets.len()),
                trend: Vec::with_capacity(targets.len()),
                lead: Vec::new(),
            };
            for (i, t) in targets.iter().enumerate() {
                let Some(observed) = observed_part(stream, l, origin, t) else {
                    continue;
                };
                let q = f.epiweek_quantiles(l, t, observed)?;
                let given = (t.first < 1).then(|| {
                    let days = (1 - t.first) as usize;
                    let start = origin + 1 - days;
                    let rest = 1.0 - first_days_share(stream, start, days, opts.window);
                    (observed, rest)
                });
                let (trend, lead) = companions.parts(i + 1, given)?;
                e.weeks
                    .push((t.clone(), equal_average(&q, &trend, lead.as_ref())?));
                e.twin.push(q);
                e.trend.push(trend);
                e.lead.extend(lead);
            }
            out.push(e);
        }
        if !left_out.is_empty() {
            skipped.push((f.stream.clone(), left_out));
        }
    }
    Ok(WeeklyEnsembles {
        forecasts: out,
        left_out: skipped,
    })
}
