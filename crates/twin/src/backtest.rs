//! Rolling-origin backtests.
//!
//! One particle filter runs forward through the record. At each origin the
//! filter has assimilated data up to and including that day and nothing
//! later (it only ever asks the data model about days it has reached), and
//! a forecast is made from a copy of its posterior. So each forecast uses
//! only the data available at its origin, in one pass instead of one refit
//! per origin. A test checks this by cutting the data at each origin.
//!
//! A record with revisions (values first reported provisionally, then
//! corrected) is backtested as issued: each origin sees each value as it
//! stood at the end of that day ([`Vintage`]), and is scored on the final
//! values, as it would have been in real time.
//!
//! Forecasts are scored per stream, location (and total) and horizon in
//! weeks: week k sums days origin+7(k−1)+1 … origin+7k. They are compared
//! with the Forecast Hub's persistence baseline fitted to the weekly sums
//! that end at the origin. Companions are scored beside them from the same
//! information: a damped trend on those weekly sums (log scale; only where
//! they are all ≥ 0), a leading-indicator ratio for streams given a leading
//! series, and the ensemble of the model with them (equal-weight quantile
//! average), the way forecast hubs combine a mechanistic model with
//! statistical ones.

use didymos_core::observation::{Stream, StreamSet};
use didymos_core::{Model, Result};
use didymos_forecast::{
    bias, crps_sorted, interval_coverage, persistence_baseline_sampled, wis, BaselineOptions,
    QuantileForecast,
};

use crate::companions::{observed_sum, weekly_history, Companions, TrendOptions};
use crate::filter::Filter;
use crate::predict::{forecast_with, StreamForecast};

#[derive(Debug, Clone)]
pub struct BacktestOptions {
    /// Origins (1-based days), increasing.
    pub origins: Vec<usize>,
    pub weeks: usize,
    pub seed: u64,
    /// The companions' settings (the spec's `[assimilation.companions]`).
    pub companions: TrendOptions,
}

/// One scored forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub origin: usize,
    pub stream: String,
    pub location: String,
    pub weeks_ahead: usize,
    /// [`MODEL`], [`BASELINE`], [`TREND`], [`LEAD`] or [`ENSEMBLE`].
    pub forecaster: &'static str,
    pub truth: f64,
    /// The forecast's quantiles at the Hub's levels.
    pub quantiles: QuantileForecast,
    pub median: f64,
    pub wis: f64,
    pub covered_50: bool,
    pub covered_90: bool,
    /// In [−1, 1], positive when the forecast was too high
    /// ([`didymos_forecast::bias`]).
    pub bias: f64,
    /// The CRPS of the forecaster's predictive sample, for those that have
    /// one: the model (its members' sums) and the baseline (its simulated
    /// sums). The companions and the ensemble are quantiles only, so WIS,
    /// the CRPS's quantile form, is their score.
    pub crps: Option<f64>,
}

/// The twin's own forecasts.
pub const MODEL: &str = "model";
/// The Forecast Hub's persistence baseline (the yardstick).
pub const BASELINE: &str = "baseline";
/// The damped trend on the weekly sums ([`didymos_forecast::trend`]).
pub const TREND: &str = "trend";
/// The leading-indicator ratio ([`didymos_forecast::lead`]).
pub const LEAD: &str = "lead";
/// The equal-weight quantile average of the model, the trend and (where
/// there is one) the lead forecaster.
pub const ENSEMBLE: &str = "ensemble";

/// Relative WIS and coverage for one horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct HorizonSummary {
    pub weeks_ahead: usize,
    pub n: usize,
    pub model_wis: f64,
    pub baseline_wis: f64,
    pub relative_wis: f64,
    pub coverage_50: f64,
    pub coverage_90: f64,
    pub baseline_coverage_90: f64,
    /// Mean bias (0: as often too high as too low, by as much).
    pub bias: f64,
    /// Mean CRPS, and the baseline's over the same forecasts, where the
    /// forecaster has a sample for every one of them.
    pub crps: Option<f64>,
    pub baseline_crps: Option<f64>,
    /// Σ CRPS / Σ baseline CRPS.
    pub relative_crps: Option<f64>,
}

pub struct Backtest {
    pub scores: Vec<Score>,
    /// Forecast samples per origin (for reports).
    pub forecasts: Vec<(usize, Vec<StreamForecast>)>,
}

/// Run `filter` (fresh, on day 1, over `data`) through the origins,
/// forecasting with the filter's own model.
pub fn backtest<M: Model>(
    filter: Filter<'_, M, StreamSet>,
    data: &StreamSet,
    opts: &BacktestOptions,
) -> Result<Backtest> {
    backtest_with(filter, data, opts, |_| Ok(None))
}

/// As [`backtest`], forecasting from each origin with the model that
/// `forecast_model(origin)` gives (`None`: the filter's own), e.g. one whose
/// interventions are frozen at the origin.
pub fn backtest_with<M: Model>(
    filter: Filter<'_, M, StreamSet>,
    data: &StreamSet,
    opts: &BacktestOptions,
    forecast_model: impl Fn(usize) -> Result<Option<M>>,
) -> Result<Backtest> {
    backtest_leading(filter, data, &[], opts, forecast_model)
}

/// As [`backtest_with`], with a leading series for some streams
/// (`leading[s]` for stream `s` of `data`, reported at the same locations;
/// `None` or absent: none) from which the [`LEAD`] companion forecasts.
pub fn backtest_leading<M: Model>(
    filter: Filter<'_, M, StreamSet>,
    data: &StreamSet,
    leading: &[Option<Stream>],
    opts: &BacktestOptions,
    forecast_model: impl Fn(usize) -> Result<Option<M>>,
) -> Result<Backtest> {
    backtest_as_issued(filter, data, leading, &[], opts, forecast_model)
}

/// The record as a forecaster had it on one origin, where that differs
/// from the final record: values revised, or first issued, after it.
pub struct Vintage {
    /// The streams as issued by the end of the origin (same streams and
    /// locations as the final record's).
    pub data: StreamSet,
    /// Their leading series as issued then.
    pub leading: Vec<Option<Stream>>,
    /// The first day whose values differ from the final record's.
    pub first_revised: usize,
}

/// As [`backtest_leading`] on a record with revisions: `vintages[k]` is the
/// record as issued by origin `k` (`None`, or `vintages` empty: what had been
/// issued by then was final). Each forecast, its baseline and its companions
/// use only what had been issued by their origin; the scores use the final
/// values. The filter runs once over the final record; an origin with a
/// vintage forks it on the last day before the first revised one and reads
/// the vintage from there, which is exactly a filter that had read the
/// vintage from the start (the days before agree).
pub fn backtest_as_issued<M: Model>(
    mut filter: Filter<'_, M, StreamSet>,
    data: &StreamSet,
    leading: &[Option<Stream>],
    vintages: &[Option<Vintage>],
    opts: &BacktestOptions,
    forecast_model: impl Fn(usize) -> Result<Option<M>>,
) -> Result<Backtest> {
    let n = opts.origins.len();
    if !vintages.is_empty() && vintages.len() != n {
        return Err(didymos_core::Error::Other(format!(
            "{} vintages for {n} origins",
            vintages.len()
        )));
    }
    let vintage = |k: usize| vintages.get(k).and_then(Option::as_ref);
    let fork_day = |k: usize| {
        let origin = opts.origins[k];
        vintage(k).map_or(origin, |v| v.first_revised.saturating_sub(1).min(origin))
    };
    // Forks in the order of their days, so the one filter only goes forward.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&k| (fork_day(k), k));
    let horizon = 7 * opts.weeks;
    let mut per_origin: Vec<Option<(Vec<Score>, Vec<StreamForecast>)>> =
        (0..n).map(|_| None).collect();
    for k in order {
        let origin = opts.origins[k];
        let own = forecast_model(origin)?;
        let (fc, known, known_leading) = match vintage(k) {
            None => {
                filter.advance_to(origin)?;
                (
                    forecast_from(&filter, own.as_ref(), data, horizon, opts.seed)?,
                    data,
                    leading,
                )
            }
            Some(v) => {
                let at = fork_day(k);
                if at >= 1 {
                    filter.advance_to(at)?;
                }
                let mut fork = filter.fork(&v.data)?;
                fork.advance_to(origin)?;
                let fc = forecast_from(&fork, own.as_ref(), &v.data, horizon, opts.seed)?;
                (fc, &v.data, v.leading.as_slice())
            }
        };
        let mut scores = Vec::new();
        let streams = known.streams().iter().zip(data.streams()).zip(&fc);
        for (s, ((known, truth), f)) in streams.enumerate() {
            let lead = known_leading.get(s).and_then(Option::as_ref);
            score_stream((known, truth), lead, f, origin, opts, &mut scores)?;
        }
        per_origin[k] = Some((scores, fc));
    }
    let mut scores = Vec::new();
    let mut forecasts = Vec::new();
    for (k, done) in per_origin.into_iter().enumerate() {
        if let Some((s, fc)) = done {
            scores.extend(s);
            forecasts.push((opts.origins[k], fc));
        }
    }
    Ok(Backtest { scores, forecasts })
}

/// Whether a backtest can score anything from `origin` in `data`: some
/// stream has, at some location or in total, the two whole weeks up to the
/// origin that the persistence baseline needs (every forecaster is scored
/// only beside it) and the whole week after it, the first target. Lets a
/// caller refuse origins before running the filter over them.
pub fn can_score(data: &StreamSet, origin: usize) -> bool {
    origin >= 14
        && data.streams().iter().any(|s| {
            (0..=s.aggregation.len()).any(|l| {
                observed_sum(s, l, origin - 13, origin - 7).is_some()
                    && observed_sum(s, l, origin - 6, origin).is_some()
                    && observed_sum(s, l, origin + 1, origin + 7).is_some()
            })
        })
}

/// The forecast from `filter`'s posterior, with `model` when given (else
/// the filter's own), reading `data` for what was observed.
fn forecast_from<M: Model>(
    filter: &Filter<'_, M, StreamSet>,
    model: Option<&M>,
    data: &StreamSet,
    horizon: usize,
    seed: u64,
) -> Result<Vec<StreamForecast>> {
    forecast_with(
        model.unwrap_or(filter.ensemble().model()),
        filter.ensemble(),
        filter.history(),
        &filter.log_weights(),
        data,
        horizon,
        seed,
    )
}

/// Scores one stream's forecast: its history (for the baseline and the
/// companions) as known at the origin, its truth as finally recorded.
fn score_stream(
    (known, truth): (&Stream, &Stream),
    leading: Option<&Stream>,
    f: &StreamForecast,
    origin: usize,
    opts: &BacktestOptions,
    out: &mut Vec<Score>,
) -> Result<()> {
    let horizons: Vec<u32> = (1..=opts.weeks as u32).collect();
    let weeks_ahead: Vec<f64> = horizons.iter().map(|&h| f64::from(h)).collect();
    // The companions read the record's provisional last days as estimates
    // of their final counts; the baseline, the yardstick, reads them as
    // they were reported, as the Forecast Hub's did.
    let (nowcast, leading) = (known.nowcast(), leading.map(Stream::nowcast));
    for (l, location) in f.locations.iter().enumerate() {
        let past = weekly_history(known, l, origin);
        // A complete record (the usual case) is its own nowcast.
        let past_nowcast = match &nowcast {
            std::borrow::Cow::Borrowed(_) => past.clone(),
            std::borrow::Cow::Owned(n) => weekly_history(n, l, origin),
        };
        let baseline = if past.len() >= 2 {
            let b = BaselineOptions {
                seed: opts.seed,
                ..BaselineOptions::default()
            };
            Some(persistence_baseline_sampled(&past, &horizons, &b)?)
        } else {
            None
        };
        // A series with a negative value gets no trend (nor ensemble) rows
        // rather than failing the backtest.
        let companions = Companions::new(
            &past_nowcast,
            leading.as_deref(),
            (l, origin),
            &weeks_ahead,
            &opts.companions,
        )?;
        for k in 1..=opts.weeks {
            let Some(truth) = observed_sum(truth, l, origin + 7 * (k - 1) + 1, origin + 7 * k)
            else {
                continue;
            };
            let (from, to) = (7 * (k - 1) + 1, 7 * k);
            let (q, sums) = f.hub_quantiles_sampled(l, from, to)?;
            let mut push =
                |forecaster: &'static str, q: &QuantileForecast, crps: Option<f64>| -> Result<()> {
                    out.push(Score {
                        origin,
                        stream: known.name.clone(),
                        location: location.clone(),
                        weeks_ahead: k,
                        forecaster,
                        truth,
                        quantiles: q.clone(),
                        median: q.median().unwrap_or(f64::NAN),
                        wis: wis(q, truth)?.wis,
                        covered_50: interval_coverage(q, truth, 0.5)?,
                        covered_90: interval_coverage(q, truth, 0.9)?,
                        bias: bias(q, truth)?,
                        crps,
                    });
                    Ok(())
                };
            // Score the model only where the baseline can be scored too, so
            // relative WIS compares like with like.
            if let Some(b) = &baseline {
                let model_crps = crps_sorted(&sums, truth)?;
                push(MODEL, &q, Some(model_crps))?;
                let b = &b[k - 1];
                push(
                    BASELINE,
                    &b.quantiles,
                    Some(crps_sorted(&b.samples, truth)?),
                )?;
                if let Some(c) = &companions {
                    push(TREND, c.trend(k), None)?;
                    if let Some(ld) = c.lead(k) {
                        push(LEAD, ld, None)?;
                    }
                    push(ENSEMBLE, &c.ensemble(k, &q)?, None)?;
                }
            }
        }
    }
    Ok(())
}

/// Relative WIS (Σ model WIS / Σ baseline WIS) and coverage per horizon,
/// over the scores that pass `keep` (a stream, some locations).
pub fn summarise(
    scores: &[Score],
    weeks: usize,
    keep: impl Fn(&Score) -> bool,
) -> Vec<HorizonSummary> {
    summarise_forecaster(scores, weeks, MODEL, keep)
}

/// As [`summarise`] for forecaster `who` ([`TREND`], [`ENSEMBLE`], …):
/// `model_wis` and the coverages are then `who`'s, and the baseline is
/// summed over the same forecasts (those `who` has).
pub fn summarise_forecaster(
    scores: &[Score],
    weeks: usize,
    who: &str,
    keep: impl Fn(&Score) -> bool,
) -> Vec<HorizonSummary> {
    (1..=weeks)
        .map(|k| {
            let model: Vec<&Score> = scores
                .iter()
                .filter(|s| s.weeks_ahead == k && s.forecaster == who && keep(s))
                .collect();
            let key = |s: &Score| (s.origin, s.stream.clone(), s.location.clone());
            let has: std::collections::HashSet<_> = model.iter().map(|s| key(s)).collect();
            let base: Vec<&Score> = scores
                .iter()
                .filter(|s| {
                    s.weeks_ahead == k
                        && s.forecaster == BASELINE
                        && keep(s)
                        && has.contains(&key(s))
                })
                .collect();
            let n = model.len();
            let mw: f64 = model.iter().map(|s| s.wis).sum();
            let bw: f64 = base.iter().map(|s| s.wis).sum();
            let share = |xs: &[&Score], f: fn(&Score) -> bool| {
                xs.iter().filter(|s| f(s)).count() as f64 / n.max(1) as f64
            };
            // Only where every forecast (and its baseline) has a CRPS.
            let crps_sum =
                |xs: &[&Score]| -> Option<f64> { xs.iter().map(|s| s.crps).sum::<Option<f64>>() };
            let (mc, bc) = match n {
                0 => (None, None),
                _ => (crps_sum(&model), crps_sum(&base)),
            };
            HorizonSummary {
                weeks_ahead: k,
                n,
                model_wis: mw / n.max(1) as f64,
                baseline_wis: bw / n.max(1) as f64,
                relative_wis: mw / bw,
                coverage_50: share(&model, |s| s.covered_50),
                coverage_90: share(&model, |s| s.covered_90),
                baseline_coverage_90: share(&base, |s| s.covered_90),
                bias: model.iter().map(|s| s.bias).sum::<f64>() / n.max(1) as f64,
                crps: mc.map(|c| c / n as f64),
                baseline_crps: mc.and(bc).map(|c| c / n as f64),
                relative_crps: mc.zip(bc).map(|(m, b)| m / b),
            }
        })
        .collect()
}
