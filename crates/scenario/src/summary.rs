//! What a scenario did: quantiles over time, peaks, cumulative totals,
//! paired differences against the baseline and capacity exceedance.

use didymos_core::{Error, Result};
use didymos_forecast::quantiles;
use serde::{Deserialize, Serialize};

use crate::engine::Outcome;

/// Quantile levels reported everywhere: the median with 50% and 90%
/// central intervals.
pub const LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Values at [`LEVELS`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantileSet {
    pub q05: f64,
    pub q25: f64,
    pub q50: f64,
    pub q75: f64,
    pub q95: f64,
}

impl QuantileSet {
    pub fn of(samples: &[f64]) -> Result<QuantileSet> {
        let mut s = samples.to_vec();
        let q = quantiles(&mut s, &LEVELS).map_err(|e| Error::Numerical(e.to_string()))?;
        Ok(QuantileSet {
            q05: q[0],
            q25: q[1],
            q50: q[2],
            q75: q[3],
            q95: q[4],
        })
    }
    pub fn as_array(&self) -> [f64; 5] {
        [self.q05, self.q25, self.q50, self.q75, self.q95]
    }
}

/// One scenario, observable and unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesSummary {
    pub scenario: String,
    pub observable: String,
    pub unit: String,
    /// Per day from the outcome's first day.
    pub daily: Vec<QuantileSet>,
    /// The largest daily value of each member.
    pub peak_size: QuantileSet,
    /// The day offset (0 = first day) of each member's peak.
    pub peak_offset: QuantileSet,
    /// Sum over the horizon of each member; `None` for stocks.
    pub cumulative: Option<QuantileSet>,
}

fn member_series(o: &Outcome, k: usize, u: usize, m: usize) -> impl Iterator<Item = f64> + '_ {
    o.values[k][u].iter().map(move |day| day[m])
}

/// Summaries for every observable and unit of an outcome.
pub fn summarise(o: &Outcome) -> Result<Vec<SeriesSummary>> {
    let mut out = Vec::new();
    for (k, name) in o.observables.iter().enumerate() {
        for (u, unit) in o.units.iter().enumerate() {
            out.push(summarise_one(o, k, u, name, unit)?);
        }
    }
    Ok(out)
}

pub fn summarise_one(
    o: &Outcome,
    k: usize,
    u: usize,
    name: &str,
    unit: &str,
) -> Result<SeriesSummary> {
    let daily = o.values[k][u]
        .iter()
        .map(|day| QuantileSet::of(day))
        .collect::<Result<Vec<_>>>()?;
    let n = o.members();
    let mut peak = Vec::with_capacity(n);
    let mut when = Vec::with_capacity(n);
    let mut cum = Vec::with_capacity(n);
    for m in 0..n {
        let (mut best, mut at) = (f64::NEG_INFINITY, 0);
        let mut sum = 0.0;
        for (t, v) in member_series(o, k, u, m).enumerate() {
            // The first day of the largest value: ties keep the earliest.
            if v > best {
                best = v;
                at = t;
            }
            sum += v;
        }
        peak.push(best);
        when.push(at as f64);
        cum.push(sum);
    }
    Ok(SeriesSummary {
        scenario: o.name.clone(),
        observable: name.into(),
        unit: unit.into(),
        daily,
        peak_size: QuantileSet::of(&peak)?,
        peak_offset: QuantileSet::of(&when)?,
        cumulative: if o.is_flow[k] {
            Some(QuantileSet::of(&cum)?)
        } else {
            None
        },
    })
}

/// Paired difference, baseline minus scenario, of cumulative totals over
/// the horizon (positive = averted), member by member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub scenario: String,
    pub baseline: String,
    pub observable: String,
    pub unit: String,
    pub averted: QuantileSet,
    pub mean: f64,
    /// Share of members for which the scenario is better than the baseline.
    pub prob_fewer: f64,
}

pub fn difference(baseline: &Outcome, other: &Outcome, k: usize, u: usize) -> Result<Difference> {
    let same_shape = baseline.observables == other.observables
        && baseline.units == other.units
        && baseline.days() == other.days()
        && baseline.members() == other.members()
        && baseline.first_day == other.first_day;
    if !same_shape {
        return Err(Error::Other(format!(
            "scenarios `{}` and `{}` are not comparable (different horizons, members or units)",
            baseline.name, other.name
        )));
    }
    let n = baseline.members();
    let d: Vec<f64> = (0..n)
        .map(|m| {
            let b: f64 = member_series(baseline, k, u, m).sum();
            let s: f64 = member_series(other, k, u, m).sum();
            b - s
        })
        .collect();
    Ok(Difference {
        scenario: other.name.clone(),
        baseline: baseline.name.clone(),
        observable: baseline.observables[k].clone(),
        unit: baseline.units[u].clone(),
        averted: QuantileSet::of(&d)?,
        mean: d.iter().sum::<f64>() / n as f64,
        prob_fewer: d.iter().filter(|x| **x > 0.0).count() as f64 / n as f64,
    })
}

/// The probability that an observable exceeds a threshold on some day of
/// the horizon, and on each day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exceedance {
    pub scenario: String,
    pub observable: String,
    pub unit: String,
    pub threshold: f64,
    pub within_horizon: f64,
    pub daily: Vec<f64>,
}

pub fn exceedance(o: &Outcome, k: usize, u: usize, threshold: f64) -> Exceedance {
    let n = o.members().max(1) as f64;
    let series = &o.values[k][u];
    let daily = series
        .iter()
        .map(|day| day.iter().filter(|v| **v > threshold).count() as f64 / n)
        .collect();
    let ever = (0..o.members())
        .filter(|&m| member_series(o, k, u, m).any(|v| v > threshold))
        .count() as f64
        / n;
    Exceedance {
        scenario: o.name.clone(),
        observable: o.observables[k].clone(),
        unit: o.units[u].clone(),
        threshold,
        within_horizon: ever,
        daily,
    }
}
