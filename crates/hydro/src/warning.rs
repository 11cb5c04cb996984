//! Ensemble discharge forecasts and flood warnings: the probability that
//! discharge exceeds a threshold on each forecast day (and at any time in
//! the horizon), with thresholds given by the user or derived from the
//! observed record as a return-period flow.
//!
//! Return periods come from the annual maxima of daily discharge (years
//! with at least [`MIN_DAYS_PER_YEAR`] observed days), either from a Gumbel
//! (EV1) distribution fitted by the method of moments,
//! Q_T = μ − β·ln(−ln(1 − 1/T)) with β = s·√6/π and μ = m − 0.5772·β, or
//! empirically, interpolating the Weibull plotting positions
//! T = (n + 1)/rank. With the few years of a short record either is a rough
//! figure; the Gumbel fit extrapolates, the empirical one cannot go beyond
//! T = n + 1.

use didymos_core::observation::StreamSet;
use didymos_core::{Date, Error, Model, Result};
use didymos_twin::filter::Filter;
use didymos_twin::predict::forecast_with;

use crate::assimilate::litres_per_second_per_mm_day;
use crate::camels::Streamflow;
use crate::model::Gr4jModel;

/// Years with fewer observed days give no annual maximum.
pub const MIN_DAYS_PER_YEAR: usize = 330;
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// Predictive samples of discharge (mm/day), `samples[h - 1][member]` for
/// the days after the origin.
#[derive(Debug, Clone, PartialEq)]
pub struct DischargeForecast {
    pub origin: Date,
    pub samples: Vec<Vec<f64>>,
}

impl DischargeForecast {
    pub fn horizon(&self) -> usize {
        self.samples.len()
    }
    pub fn date(&self, h: usize) -> Date {
        self.origin.add_days(h as i32)
    }
    /// P(Q > threshold) on each day.
    pub fn exceedance(&self, threshold: f64) -> Vec<f64> {
        self.samples
            .iter()
            .map(|s| s.iter().filter(|&&q| q > threshold).count() as f64 / s.len().max(1) as f64)
            .collect()
    }
    /// P(Q > threshold on at least one day of the horizon).
    pub fn exceedance_any(&self, threshold: f64) -> f64 {
        let n = self.samples.first().map_or(0, Vec::len);
        let hit = (0..n)
            .filter(|&m| self.samples.iter().any(|s| s[m] > threshold))
            .count();
        hit as f64 / n.max(1) as f64
    }
    /// Quantile `q` of each day's samples.
    pub fn quantile(&self, q: f64) -> Result<Vec<f64>> {
        self.samples
            .iter()
            .map(|s| didymos_forecast::quantile(&mut s.clone(), q))
            .collect()
    }
}

/// Forecast `horizon` days from the filter's current day with
/// `forecast_model` (the twin's model, e.g. with forecast forcing traces
/// appended via [`Gr4jModel::with_forcing`]).
pub fn discharge_forecast(
    filter: &Filter<'_, Gr4jModel, StreamSet>,
    forecast_model: &Gr4jModel,
    data: &StreamSet,
    area_m2: f64,
    horizon: usize,
    seed: u64,
) -> Result<DischargeForecast> {
    let ens = filter.ensemble();
    let fc = forecast_with(
        forecast_model,
        ens,
        filter.history(),
        &filter.log_weights(),
        data,
        horizon,
        seed,
    )?;
    let scale = litres_per_second_per_mm_day(area_m2);
    let samples = fc[0].values[0]
        .iter()
        .map(|day| day.iter().map(|v| v / scale).collect())
        .collect();
    Ok(DischargeForecast {
        origin: ens.model().calendar().date_of(ens.day()),
        samples,
    })
}

/// (year, maximum daily discharge) for years with enough observed days.
pub fn annual_maxima(obs: &Streamflow) -> Vec<(i32, f64)> {
    let mut years: std::collections::BTreeMap<i32, (usize, f64)> = Default::default();
    for (d, q) in &obs.mm_per_day {
        let e = years.entry(d.ymd().0).or_insert((0, f64::NEG_INFINITY));
        e.0 += 1;
        e.1 = e.1.max(*q);
    }
    years
        .into_iter()
        .filter(|(_, (n, _))| *n >= MIN_DAYS_PER_YEAR)
        .map(|(y, (_, m))| (y, m))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnPeriodMethod {
    Gumbel,
    Empirical,
}

/// The T-year flow from annual maxima (same unit as the maxima).
pub fn return_period_flow(maxima: &[f64], years: f64, method: ReturnPeriodMethod) -> Result<f64> {
    if !(years > 1.0 && years.is_finite()) {
        return Err(Error::Other(format!(
            "return period must be > 1 year, got {years}"
        )));
    }
    if maxima.len() < 2 || maxima.iter().any(|m| !m.is_finite()) {
        return Err(Error::Other(format!(
            "a return-period flow needs at least two finite annual maxima, got {}",
            maxima.len()
        )));
    }
    let n = maxima.len() as f64;
    match method {
        ReturnPeriodMethod::Gumbel => {
            let m = maxima.iter().sum::<f64>() / n;
            let s = (maxima.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let beta = s * 6f64.sqrt() / std::f64::consts::PI;
            let mu = m - EULER_GAMMA * beta;
            Ok(mu - beta * (-(1.0 - 1.0 / years).ln()).ln())
        }
        ReturnPeriodMethod::Empirical => {
            let mut x = maxima.to_vec();
            x.sort_by(|a, b| b.total_cmp(a)); // largest first: rank 1
                                              // Return period of rank r is (n + 1)/r, decreasing with r.
            let t = |r: usize| (n + 1.0) / r as f64;
            if years > t(1) {
                return Err(Error::Other(format!(
                    "{years}-year flow is beyond the {} years of record (empirical method)",
                    x.len()
                )));
            }
            if years <= t(x.len()) {
                return Ok(x[x.len() - 1]);
            }
            let r = (1..x.len())
                .find(|&r| years <= t(r) && years > t(r + 1))
                .unwrap_or(1);
            let w = (t(r) - years) / (t(r) - t(r + 1));
            Ok(x[r - 1] + w * (x[r] - x[r - 1]))
        }
    }
}
