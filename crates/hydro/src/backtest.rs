//! Rolling-origin backtests of the flood twin: at each origin, forecast
//! discharge `horizon` days ahead and score each lead day against the
//! observed discharge, for three forecasters:
//!
//! - **twin**: the assimilating ensemble. One filter runs forward through
//!   the record; at each origin it has assimilated the observations up to
//!   and including that day and nothing later (a filter only asks the data
//!   model about days it has reached), and the forecast is made from its
//!   posterior. A test cuts the data at each origin and gets the same
//!   forecasts bit for bit.
//! - **open_loop**: the same noisy model and ensemble, never updated.
//! - **persistence**: the last observation, with the spread of the Forecast
//!   Hub baseline (`didymos_forecast::persistence_baseline`: past one-day
//!   changes pooled with their negatives, summed over the lead) fitted to
//!   the run of consecutive observed days that ends at the origin. By
//!   default on ln(Q + [`LOG_OFFSET`]), so the spread is relative to the
//!   flow (a flood's rise does not widen a low-flow forecast), and mapped
//!   back; [`PersistenceScale::Linear`] fits it to Q itself.
//!
//! **Forcing after the origin is the observed record**: a hindcast with
//! perfect meteorology. It measures what the model and the assimilation do
//! with known rain, not the skill of a weather forecast.
//!
//! Scores per lead day: CRPS of the predictive samples (observation noise
//! included; for persistence, samples of the same distribution), WIS of
//! the 23 Forecast Hub quantiles, 50% and 90% central-interval coverage,
//! and over the origins NSE and KGE of the median. A forecast is scored
//! only where the observation and the persistence forecast both exist, so
//! relative WIS compares like with like.

use didymos_core::{Date, Error, Model, Result};
use didymos_forecast::{
    crps_samples, interval_coverage, persistence_baseline_sampled, quantiles, wis, BaselineOptions,
    QuantileForecast, HUB_LEVELS,
};

use crate::metrics::{kge, nse};
use crate::twin::FloodTwin;
use crate::warning::{discharge_forecast, DischargeForecast};

/// Added to discharge (mm/day) before taking logs for the log-scale
/// persistence baseline, so zero flow stays finite.
pub const LOG_OFFSET: f64 = 1e-3;

/// Who made a forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Forecaster {
    Twin,
    OpenLoop,
    Persistence,
}

impl Forecaster {
    pub const ALL: [Forecaster; 3] = [
        Forecaster::Twin,
        Forecaster::OpenLoop,
        Forecaster::Persistence,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Forecaster::Twin => "twin",
            Forecaster::OpenLoop => "open_loop",
            Forecaster::Persistence => "persistence",
        }
    }
}

/// The scale the persistence baseline's changes are taken on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersistenceScale {
    /// ln(Q + [`LOG_OFFSET`]): relative changes.
    Log,
    /// Q itself (quantiles truncated at 0), as the Hub baseline does.
    Linear,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BacktestOptions {
    /// Forecast origins (data cut-offs), strictly increasing.
    pub origins: Vec<Date>,
    /// Days ahead, ≥ 1.
    pub horizon: usize,
    /// Seed of the forecasts' random draws (observation noise) and of the
    /// persistence baseline's Monte Carlo sums.
    pub seed: u64,
    pub persistence: PersistenceScale,
    /// Simulated sums per lead ≥ 2 for the persistence baseline (each used
    /// as +s and −s).
    pub baseline_sims: usize,
}

impl BacktestOptions {
    pub fn new(origins: Vec<Date>, horizon: usize, seed: u64) -> Self {
        BacktestOptions {
            origins,
            horizon,
            seed,
            persistence: PersistenceScale::Log,
            baseline_sims: 10_000,
        }
    }
}

/// One forecaster's forecast of one lead day from one origin, scored.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadScore {
    pub origin: Date,
    /// Days after the origin, 1 …= horizon.
    pub lead: usize,
    pub target: Date,
    pub forecaster: Forecaster,
    /// Observed discharge on the target day (mm/day).
    pub observed: f64,
    /// Quantiles (mm/day).
    pub median: f64,
    pub q05: f64,
    pub q25: f64,
    pub q75: f64,
    pub q95: f64,
    pub crps: f64,
    pub wis: f64,
    pub covered_50: bool,
    pub covered_90: bool,
}

/// Scores of one forecaster at one lead, over the origins.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadSummary {
    pub lead: usize,
    pub forecaster: Forecaster,
    pub n: usize,
    pub crps: f64,
    pub wis: f64,
    /// Σ WIS / Σ WIS of persistence over the same forecasts.
    pub relative_wis: f64,
    pub coverage_50: f64,
    pub coverage_90: f64,
    /// NSE and KGE of the median against the observations.
    pub nse: f64,
    pub kge: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FloodBacktest {
    pub horizon: usize,
    /// Origins forecast from.
    pub origins: Vec<Date>,
    /// Origins not scored: no observation on the origin day (persistence
    /// has nothing to persist) or fewer than two consecutive observed days.
    pub skipped: Vec<Date>,
    /// Ordered by origin, lead, forecaster.
    pub scores: Vec<LeadScore>,
    /// The ensemble forecasts at each scored origin: (assimilating twin,
    /// open loop).
    pub forecasts: Vec<(DischargeForecast, DischargeForecast)>,
}

impl FloodBacktest {
    /// Per lead and forecaster.
    pub fn summary(&self) -> Vec<LeadSummary> {
        let mut out = Vec::new();
        for lead in 1..=self.horizon {
            let pick = |f: Forecaster| -> Vec<&LeadScore> {
                self.scores
                    .iter()
                    .filter(|s| s.lead == lead && s.forecaster == f)
                    .collect()
            };
            let base: f64 = pick(Forecaster::Persistence).iter().map(|s| s.wis).sum();
            for f in Forecaster::ALL {
                let s = pick(f);
                let n = s.len();
                let mean =
                    |g: fn(&LeadScore) -> f64| s.iter().map(|x| g(x)).sum::<f64>() / n as f64;
                let share =
                    |g: fn(&LeadScore) -> bool| s.iter().filter(|x| g(x)).count() as f64 / n as f64;
                let median: Vec<f64> = s.iter().map(|x| x.median).collect();
                let observed: Vec<Option<f64>> = s.iter().map(|x| Some(x.observed)).collect();
                out.push(LeadSummary {
                    lead,
                    forecaster: f,
                    n,
                    crps: mean(|x| x.crps),
                    wis: mean(|x| x.wis),
                    relative_wis: s.iter().map(|x| x.wis).sum::<f64>() / base,
                    coverage_50: share(|x| x.covered_50),
                    coverage_90: share(|x| x.covered_90),
                    nse: nse(&median, &observed),
                    kge: kge(&median, &observed),
                });
            }
        }
        out
    }
}

/// Backtest `twin` (its parameters as they are: calibrate it first, on a
/// period that ends before the first origin) over `opts.origins`.
pub fn backtest(twin: &FloodTwin, opts: &BacktestOptions) -> Result<FloodBacktest> {
    let cal = *twin.model.calendar();
    let at = |what: &str, msg: String| Error::Other(format!("backtest {what}: {msg}"));
    if opts.horizon == 0 {
        return Err(at("horizon", "must be at least 1 day".into()));
    }
    if opts.origins.is_empty() {
        return Err(at("origins", "none given".into()));
    }
    if opts.origins.windows(2).any(|w| w[0] >= w[1]) {
        return Err(at("origins", "must be strictly increasing".into()));
    }
    let mut days = Vec::with_capacity(opts.origins.len());
    for &o in &opts.origins {
        let day = cal.day_in_range(o).ok_or_else(|| {
            at(
                "origin",
                format!(
                    "{o} is outside the twin's range {} … {}",
                    cal.start, cal.end
                ),
            )
        })?;
        if day + opts.horizon > cal.n_days() {
            return Err(at(
                "origin",
                format!(
                    "a {}-day forecast from {o} runs past the end of the record ({}): \
                     choose an earlier last origin or a shorter horizon",
                    opts.horizon, cal.end
                ),
            ));
        }
        days.push(day);
    }
    if opts.baseline_sims == 0 {
        return Err(at("baseline_sims", "must be at least 1".into()));
    }

    let model = twin.noisy_model()?;
    let area = twin.area_m2;
    let seed = opts.seed;
    let data = twin.streams(&model, None)?;
    let none = twin.streams(&model, Some(cal.start.add_days(-1)))?;
    let mut with = twin.filter(&model, &data)?;
    let mut without = twin.filter(&model, &none)?;

    let mut out = FloodBacktest {
        horizon: opts.horizon,
        origins: opts.origins.clone(),
        skipped: Vec::new(),
        scores: Vec::new(),
        forecasts: Vec::new(),
    };
    for (&origin, &day) in opts.origins.iter().zip(&days) {
        with.advance_to(day)?;
        without.advance_to(day)?;
        let Some(history) = observed_run(&twin.observed, day) else {
            out.skipped.push(origin);
            continue;
        };
        let fa = discharge_forecast(&with, &model, &data, area, opts.horizon, seed)?;
        let fb = discharge_forecast(&without, &model, &none, area, opts.horizon, seed)?;
        let persistence = Persistence::fit(history, opts)?;
        for lead in 1..=opts.horizon {
            let Some(y) = twin.observed.get(day + lead - 1).copied().flatten() else {
                continue;
            };
            let target = origin.add_days(lead as i32);
            let base = (origin, lead, target, y);
            out.scores.push(score_samples(
                base,
                Forecaster::Twin,
                &fa.samples[lead - 1],
            )?);
            out.scores.push(score_samples(
                base,
                Forecaster::OpenLoop,
                &fb.samples[lead - 1],
            )?);
            let (q, samples) = persistence.lead(lead, seed)?;
            out.scores
                .push(score(base, Forecaster::Persistence, &q, &samples)?);
        }
        out.forecasts.push((fa, fb));
    }
    Ok(out)
}

/// The observed values of the run of consecutive observed days that ends
/// on `day` (1-based), oldest first; `None` if shorter than two days.
fn observed_run(observed: &[Option<f64>], day: usize) -> Option<Vec<f64>> {
    let mut run = Vec::new();
    for d in (1..=day).rev() {
        match observed.get(d - 1).copied().flatten() {
            Some(v) if v.is_finite() => run.push(v),
            _ => break,
        }
    }
    run.reverse();
    (run.len() >= 2).then_some(run)
}

type Base = (Date, usize, Date, f64);

fn score_samples(base: Base, f: Forecaster, samples: &[f64]) -> Result<LeadScore> {
    let mut s = samples.to_vec();
    let q = QuantileForecast::new(HUB_LEVELS.to_vec(), quantiles(&mut s, &HUB_LEVELS)?)?;
    score(base, f, &q, &s)
}

fn score(
    (origin, lead, target, y): Base,
    forecaster: Forecaster,
    q: &QuantileForecast,
    samples: &[f64],
) -> Result<LeadScore> {
    let level = |l: f64| q.value_at(l).unwrap_or(f64::NAN);
    Ok(LeadScore {
        origin,
        lead,
        target,
        forecaster,
        observed: y,
        median: q.median().unwrap_or(f64::NAN),
        q05: level(0.05),
        q25: level(0.25),
        q75: level(0.75),
        q95: level(0.95),
        crps: crps_samples(samples, y)?,
        wis: wis(q, y)?.wis,
        covered_50: interval_coverage(q, y, 0.5)?,
        covered_90: interval_coverage(q, y, 0.9)?,
    })
}

/// The persistence baseline at one origin.
struct Persistence {
    scale: PersistenceScale,
    /// The observed run up to the origin, on `scale`.
    history: Vec<f64>,
    options: BaselineOptions,
}

impl Persistence {
    fn fit(history: Vec<f64>, opts: &BacktestOptions) -> Result<Self> {
        let scale = opts.persistence;
        Ok(Persistence {
            scale,
            history: history.iter().map(|&q| to_scale(scale, q)).collect(),
            options: BaselineOptions {
                levels: HUB_LEVELS.to_vec(),
                n_sims: opts.baseline_sims,
                seed: opts.seed,
                truncate_at_zero: scale == PersistenceScale::Linear,
            },
        })
    }

    /// Quantiles and samples (mm/day) for `lead`, from the same draws
    /// (the pool itself at lead 1; antithetic sums of `lead` draws beyond),
    /// so its WIS and its CRPS score the same forecast.
    fn lead(&self, lead: usize, seed: u64) -> Result<(QuantileForecast, Vec<f64>)> {
        // Its own stream per lead, so a lead's draws do not depend on
        // which other leads were drawn.
        let options = BaselineOptions {
            seed: seed ^ (0x5045_5253 + lead as u64),
            ..self.options.clone()
        };
        let fitted = persistence_baseline_sampled(&self.history, &[lead as u32], &options)?
            .pop()
            .ok_or_else(|| Error::Other("the baseline gave no forecast".into()))?;
        let q = &fitted.quantiles;
        let values = q
            .values()
            .iter()
            .map(|&v| from_scale(self.scale, v))
            .collect();
        let samples = fitted
            .samples
            .iter()
            .map(|&v| from_scale(self.scale, v))
            .collect();
        Ok((QuantileForecast::new(q.levels().to_vec(), values)?, samples))
    }
}

fn to_scale(scale: PersistenceScale, q: f64) -> f64 {
    match scale {
        PersistenceScale::Log => (q.max(0.0) + LOG_OFFSET).ln(),
        PersistenceScale::Linear => q,
    }
}

fn from_scale(scale: PersistenceScale, v: f64) -> f64 {
    match scale {
        PersistenceScale::Log => (v.exp() - LOG_OFFSET).max(0.0),
        PersistenceScale::Linear => v.max(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_run_stops_at_a_gap() {
        let o = [Some(1.0), None, Some(2.0), Some(3.0), Some(4.0)];
        assert_eq!(observed_run(&o, 5), Some(vec![2.0, 3.0, 4.0]));
        assert_eq!(observed_run(&o, 3), None);
        assert_eq!(observed_run(&o, 2), None);
        assert_eq!(observed_run(&o, 1), None);
    }

    #[test]
    fn log_scale_round_trips_and_keeps_zero() {
        for q in [0.0, 0.01, 1.0, 37.5] {
            let back = from_scale(PersistenceScale::Log, to_scale(PersistenceScale::Log, q));
            assert!((back - q).abs() < 1e-12 * q.max(1.0), "{q} → {back}");
        }
    }

    #[test]
    fn persistence_median_is_the_last_value() {
        let h = vec![3.0, 2.5, 2.2, 6.0, 4.0, 3.1];
        for scale in [PersistenceScale::Log, PersistenceScale::Linear] {
            let mut o = BacktestOptions::new(vec![], 3, 7);
            o.persistence = scale;
            let p = Persistence::fit(h.clone(), &o).unwrap();
            for lead in 1..=3 {
                let (q, s) = p.lead(lead, 7).unwrap();
                assert!((q.median().unwrap() - 3.1).abs() < 1e-9, "{scale:?} {lead}");
                assert!(s.iter().all(|v| v.is_finite() && *v >= 0.0));
                // The samples are symmetric on the fitted scale; mapped back
                // from logs, type-7 interpolation between the two middle
                // samples lands near, not exactly on, the last value.
                let mut s = s;
                let m = didymos_forecast::quantile(&mut s, 0.5).unwrap();
                assert!((m - 3.1).abs() < 0.05, "{scale:?} sample median {m}");
            }
        }
    }
}
