//! Forecast: run the posterior ensemble forward and sample what each
//! stream will report, location by location and in total.
//!
//! The members are first resampled by their weights (systematic, with a
//! uniform keyed by (seed, origin)), so every sample counts equally. Each
//! member then continues with its own process noise, and its reports are
//! drawn from the stream's noise model around the expected (delayed,
//! ascertained) value, on random streams of their own, so a forecast never
//! disturbs the filter it started from and is the same whatever the
//! thread count.

use didymos_assim::stats::systematic;
use didymos_assim::ObsHistory;
use didymos_core::observation::StreamSet;
use didymos_core::rng::member_rng;
use didymos_core::{Ensemble, Error, Model, Result, RunOptions};
use didymos_forecast::{quantiles, QuantileForecast, HUB_LEVELS};

use crate::epiweeks::EpiweekTarget;
use rand::Rng;
use rayon::prelude::*;

const STREAM_PICK: u64 = 0x5049_434b;
const STREAM_PROCESS: u64 = 0x464f_5245;
const STREAM_REPORT: u64 = 0x5245_504f;

/// The location name used for the sum over all of a stream's locations.
pub const TOTAL: &str = "total";

/// Predictive samples for one stream: `values[location][h - 1][member]`
/// for horizons h = 1..=H days after the origin; the last location is
/// [`TOTAL`].
#[derive(Debug, Clone, PartialEq)]
pub struct StreamForecast {
    pub stream: String,
    pub locations: Vec<String>,
    pub values: Vec<Vec<Vec<f64>>>,
}

impl StreamForecast {
    /// Samples of the sum over days `from..=to` (1-based horizons).
    pub fn summed(&self, location: usize, from: usize, to: usize) -> Vec<f64> {
        let v = &self.values[location];
        (0..v[0].len())
            .map(|m| (from..=to).map(|h| v[h - 1][m]).sum())
            .collect()
    }

    /// The Hub's quantiles of the sum over days `from..=to`.
    pub fn hub_quantiles(
        &self,
        location: usize,
        from: usize,
        to: usize,
    ) -> Result<QuantileForecast> {
        self.hub_quantiles_plus(location, (from, to), 0.0)
    }

    /// As [`Self::hub_quantiles`], with the sum's samples they were read
    /// from, sorted: for sample scores such as the CRPS.
    pub fn hub_quantiles_sampled(
        &self,
        location: usize,
        from: usize,
        to: usize,
    ) -> Result<(QuantileForecast, Vec<f64>)> {
        let mut s = self.summed(location, from, to);
        let q = quantiles(&mut s, &HUB_LEVELS)?;
        Ok((QuantileForecast::new(HUB_LEVELS.to_vec(), q)?, s))
    }

    /// The Hub's quantiles of an epiweek target: the samples summed over
    /// its forecast days plus `observed`, the observed sum of its days up
    /// to the origin ([`crate::epiweeks::observed_part`]).
    pub fn epiweek_quantiles(
        &self,
        location: usize,
        target: &EpiweekTarget,
        observed: f64,
    ) -> Result<QuantileForecast> {
        self.hub_quantiles_plus(location, target.forecast_days(), observed)
    }

    /// The Hub's quantiles of `known` plus the sum over days `from..=to`
    /// (adding 0.0 leaves every sample's bits as they are).
    fn hub_quantiles_plus(
        &self,
        location: usize,
        (from, to): (usize, usize),
        known: f64,
    ) -> Result<QuantileForecast> {
        let mut s = self.summed(location, from, to);
        for v in &mut s {
            *v += known;
        }
        QuantileForecast::new(HUB_LEVELS.to_vec(), quantiles(&mut s, &HUB_LEVELS)?)
    }
}

/// Forecast `horizon` days past the ensemble's current day (the origin),
/// with the ensemble's own model.
pub fn forecast<M: Model>(
    ens: &Ensemble<'_, M>,
    hist: &ObsHistory,
    log_w: &[f64],
    data: &StreamSet,
    horizon: usize,
    seed: u64,
) -> Result<Vec<StreamForecast>> {
    forecast_with(ens.model(), ens, hist, log_w, data, horizon, seed)
}

/// As [`forecast`], running the members forward with `model` (same shape
/// as the ensemble's): for example the twin with its interventions frozen
/// at the origin, so the forecast uses no covariate from after it.
pub fn forecast_with<M: Model>(
    model: &M,
    ens: &Ensemble<'_, M>,
    hist: &ObsHistory,
    log_w: &[f64],
    data: &StreamSet,
    horizon: usize,
    seed: u64,
) -> Result<Vec<StreamForecast>> {
    let origin = ens.day();
    // A horizon computed as `last day − origin` with the last day before
    // the origin wraps to near 2⁶⁴: refuse it here rather than let the
    // allocation below abort the process.
    if origin.checked_add(horizon).is_none() {
        return Err(Error::Other(format!(
            "cannot forecast {horizon} days from day {origin}: the horizon ends before the \
             origin (a negative number of days)"
        )));
    }
    // Factors estimated from the data stop at the origin, whatever later
    // days `data` holds (a backtest's set holds the whole record).
    let data = &*data.as_of(origin);
    let n = ens.len();
    let u: f64 = member_rng(seed, origin as u64, STREAM_PICK).gen();
    let anc = systematic(log_w, u, n);
    if anc.len() != n {
        return Err(Error::Numerical(format!(
            "cannot forecast from day {origin}: the weights are degenerate"
        )));
    }
    let pick = |f: &dyn Fn(usize) -> Vec<f64>| anc.iter().map(|&a| f(a)).collect::<Vec<_>>();
    let rngs = (0..n)
        .map(|m| member_rng(seed, m as u64, STREAM_PROCESS ^ (origin as u64) << 20))
        .collect();
    let mut fut = Ensemble::from_parts(
        model,
        seed,
        origin,
        pick(&|a| ens.params(a).to_vec()),
        pick(&|a| ens.state(a).to_vec()),
        pick(&|a| ens.observation(a).to_vec()),
        rngs,
    )?;
    // Each member's observation history from its ancestor, kept as the
    // filter keeps it (only the columns `data` reads; a history read from a
    // checkpoint without a filter is told which columns those are here).
    let mut past = hist.selected(&anc);
    past.fit_to(data, ens.widths().2)?;
    let mut report: Vec<_> = (0..n)
        .map(|m| member_rng(seed, m as u64, STREAM_REPORT ^ (origin as u64) << 20))
        .collect();
    // Values per member per day: every stream's locations and its total.
    let width: usize = data.streams().iter().map(|s| s.aggregation.len() + 1).sum();

    let mut out: Vec<StreamForecast> = data
        .streams()
        .iter()
        .map(|s| {
            let mut locations: Vec<String> = s
                .aggregation
                .locations()
                .iter()
                .map(|l| label(l, model))
                .collect();
            locations.push(TOTAL.into());
            let values = vec![vec![vec![0.0; n]; horizon]; locations.len()];
            StreamForecast {
                stream: s.name.clone(),
                locations,
                values,
            }
        })
        .collect();
    let opts = RunOptions {
        batch_size: None,
        observe: true,
    };
    for h in 1..=horizon {
        fut.step(&opts);
        let day = fut.day();
        past.push(&fut);
        // Each member's reports come from its own stream in a fixed order
        // (stream by stream, location by location), so drawing members in
        // parallel gives the same numbers on any number of threads.
        let streams = data.streams();
        let draws: Vec<Vec<f64>> = (0..n)
            .into_par_iter()
            .zip(report.par_iter_mut())
            .map(|(m, rng)| {
                let view = past.rows(m);
                let mut ys = Vec::with_capacity(width);
                for (si, s) in streams.iter().enumerate() {
                    let mut total = 0.0;
                    for l in 0..s.aggregation.len() {
                        let y = s.noise.sample(data.expected_at(si, day, l, &view), rng);
                        ys.push(y);
                        total += y;
                    }
                    ys.push(total);
                }
                ys
            })
            .collect();
        for (m, ys) in draws.iter().enumerate() {
            let mut ys = ys.iter();
            for f in out.iter_mut() {
                for (loc, y) in f.values.iter_mut().zip(&mut ys) {
                    loc[h - 1][m] = *y;
                }
            }
        }
    }
    Ok(out)
}

fn label<M: Model>(l: &didymos_core::observation::ObsLocation, model: &M) -> String {
    match l.stratum {
        None => l.location.clone(),
        Some(s) => format!(
            "{}/{}",
            l.location,
            model.layout().strata.get(s).map_or("?", String::as_str)
        ),
    }
}
