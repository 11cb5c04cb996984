//! The record as it stands, and one stored forecast scored on it.

use std::collections::BTreeMap;

use didymos_core::observation::Stream;
use didymos_core::{Calendar, Date};
use didymos_forecast::QuantileForecast;
use didymos_twin::companions::observed_sum;

use super::answer::{Scored, Tally};
use super::baselines::Baselines;
use super::{Key, Weekly};
use crate::jobs::ForecastBody;

/// The record as it stands, through the last day scored.
pub(super) struct Record<'a> {
    /// Per forecast target: its stream and the factor to the forecast's
    /// unit ([`crate::hosted::LiveTwin::scored_streams`]).
    pub(super) streams: Vec<(String, &'a Stream, f64)>,
    pub(super) calendar: &'a Calendar,
    pub(super) strata: &'a [String],
    /// The twin's day (1-based) of the last date scored.
    pub(super) scored_day: usize,
}

/// A forecast target's observations at one location (or the total).
pub(super) struct Located<'a> {
    pub(super) stream: &'a Stream,
    /// The location's index in the stream, its number of locations for
    /// the total.
    pub(super) l: usize,
    /// From the stream's values to the forecast's unit.
    pub(super) factor: f64,
}

impl Located<'_> {
    /// The observed sum over days `from..=to`, `None` if one is missing.
    fn sum(&self, from: usize, to: usize) -> Option<f64> {
        observed_sum(self.stream, self.l, from, to).map(|v| v * self.factor)
    }
}

impl<'a> Record<'a> {
    /// The stream of `target` and the index of `location` in it (its
    /// locations, then the total).
    fn locate(&self, target: &str, location: &str) -> Option<Located<'a>> {
        let &(_, s, factor) = self.streams.iter().find(|(t, _, _)| t == target)?;
        let n = s.aggregation.len();
        if location == didymos_twin::predict::TOTAL {
            return Some(Located {
                stream: s,
                l: n,
                factor,
            });
        }
        let (place, stratum) = match location.split_once('/') {
            Some((p, x)) => (p, Some(self.strata.iter().position(|s| s == x)?)),
            None => (location, None),
        };
        let l = s
            .aggregation
            .locations()
            .iter()
            .position(|o| o.location == place && o.stratum == stratum)?;
        Some(Located {
            stream: s,
            l,
            factor,
        })
    }

    /// The twin's day of an ISO date in a stored forecast, if it is scored.
    fn day(&self, date: &str) -> Result<Option<usize>, String> {
        let d: Date = date.parse().map_err(|e| format!("stored forecast: {e}"))?;
        Ok(self
            .calendar
            .day_in_range(d)
            .filter(|&day| day <= self.scored_day))
    }

    /// Scores one daily target's complete days; whether any was.
    pub(super) fn daily(
        &self,
        levels: &[f64],
        t: &crate::jobs::TargetQuantiles,
        into: &mut BTreeMap<Key, Tally>,
    ) -> Result<bool, String> {
        let Some(at) = self.locate(&t.target, &t.location) else {
            return Ok(false);
        };
        let scope = scope_of(&t.location);
        let mut any = false;
        for (h, (date, q)) in t.dates.iter().zip(&t.quantiles).enumerate() {
            let Some(day) = self.day(date)? else { continue };
            let Some(y) = at.sum(day, day) else {
                continue;
            };
            let q = QuantileForecast::new(levels.to_vec(), q.clone()).map_err(|e| e.to_string())?;
            let key = (t.target.clone(), scope, h / 7 + 1);
            into.entry(key)
                .or_default()
                .add(&q, &Scored::of(&q, y)?, y)?;
            any = true;
        }
        Ok(any)
    }

    /// Scores one location's weekly ensemble, and each part of it kept
    /// (the twin's weekly forecasts, the trend's, the lead's), on its
    /// complete epiweeks, with the baseline fitted
    /// to the epiweeks completed by the origin.
    pub(super) fn weekly(
        &self,
        body: &ForecastBody,
        w: &crate::jobs::WeeklyQuantiles,
        baselines: &mut Baselines,
        into: &mut Weekly,
    ) -> Result<bool, String> {
        let Some(at) = self.locate(&w.target, &w.location) else {
            return Ok(false);
        };
        let origin: Date = body.origin.parse().map_err(|e| format!("{e}"))?;
        // The last Saturday on or before the origin ends the last epiweek
        // completed by then.
        let back = (origin.iso_weekday() + 1) % 7;
        let Some(saturday) = self.calendar.day_in_range(origin.add_days(-(back as i32))) else {
            return Ok(false);
        };
        let mut any = false;
        for (k, (end, q)) in w.week_ends.iter().zip(&w.quantiles).enumerate() {
            let Some(end_day) = self.day(end)? else {
                continue;
            };
            let Some(y) = end_day
                .checked_sub(6)
                .filter(|&d| d >= 1)
                .and_then(|start| at.sum(start, end_day))
            else {
                continue;
            };
            let weeks = ((end_day - saturday) / 7) as u32;
            let Some(b) = baselines.at(&at, saturday, weeks)? else {
                continue;
            };
            let key = (w.target.clone(), scope_of(&w.location), k + 1);
            let origin_key = (key.0.clone(), key.1, body.origin.clone(), key.2);
            // The ensemble, then each part of it, as `Weekly` lays them out.
            let parts = [
                Some(q),
                w.twin_quantiles.get(k),
                w.trend_quantiles.get(k),
                w.lead_quantiles.get(k),
            ];
            let baseline = Scored::of(b, y)?;
            let by_origin = into.by_origin.entry(origin_key).or_default();
            for ((q, pooled), per_origin) in parts.into_iter().zip(&mut into.pooled).zip(by_origin)
            {
                let Some(q) = q else { continue };
                let q = QuantileForecast::new(body.levels.clone(), q.clone())
                    .map_err(|e| e.to_string())?;
                let scored = Scored::of(&q, y)?;
                for tally in [pooled.entry(key.clone()).or_default(), per_origin] {
                    tally.add(&q, &scored, y)?;
                    tally.add_baseline(&baseline);
                }
            }
            any = true;
        }
        Ok(any)
    }
}

pub(super) fn scope_of(location: &str) -> &'static str {
    match location == didymos_twin::predict::TOTAL {
        true => "total",
        false => "locations",
    }
}
