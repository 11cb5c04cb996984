//! The Forecast Hub's weekly targets as windows of days around an origin.
//!
//! A Hub's `k wk ahead` target is an epiweek (Sunday to Saturday), the one
//! ending on [`Target::end_date`] of the forecast date: from a Tuesday to
//! a Saturday, week 1 is the next whole epiweek; from a Sunday or a Monday
//! it is the epiweek under way, whose first day or two are already observed
//! at the origin (the last day of data). Such a target's value is then the
//! observed sum of those days plus the forecast of the rest. The backtest
//! keeps scoring whole weeks counted from the origin (the same windows
//! whatever the weekday); what is written for users follows the Hub.

use didymos_core::observation::Stream;
use didymos_core::Date;
use didymos_forecast::{HorizonUnit, Target};

use crate::companions::observed_sum;

/// One weekly target of a forecast made at an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpiweekTarget {
    /// k of `k wk ahead`.
    pub weeks_ahead: u32,
    /// The Saturday ending the epiweek.
    pub end: Date,
    /// Days after the origin of the epiweek's Sunday (≤ 0 when it is on or
    /// before the origin) and of its Saturday (≥ 1).
    pub first: i32,
    pub last: usize,
}

impl EpiweekTarget {
    /// The forecast days (1-based horizons) in the epiweek.
    pub fn forecast_days(&self) -> (usize, usize) {
        (self.first.max(1) as usize, self.last)
    }

    /// Weeks from the origin to the epiweek's end: the horizon at which a
    /// forecaster of 7-day sums ending at the origin forecasts it.
    pub fn weeks_from_origin(&self) -> f64 {
        self.last as f64 / 7.0
    }
}

/// The Hub's weekly targets of a forecast made at `origin` whose epiweeks
/// end within `horizon` days of it, in order.
pub fn epiweek_targets(origin: Date, horizon: usize) -> Vec<EpiweekTarget> {
    let mut out = Vec::new();
    for k in 1.. {
        let end = Target::new(k, HorizonUnit::Week, "").end_date(origin);
        let last = end.days_since(origin);
        if last < 1 || last as usize > horizon {
            break;
        }
        out.push(EpiweekTarget {
            weeks_ahead: k,
            end,
            first: last - 6,
            last: last as usize,
        });
    }
    out
}

/// The most epiweeks a forecast of `horizon` days reports, over the seven
/// weekdays its origin can fall on.
pub fn most_epiweeks(horizon: usize) -> u32 {
    let some_monday = Date::from_ymd(2024, 1, 1).expect("a valid date");
    (0..7)
        .map(|d| epiweek_targets(some_monday.add_days(d), horizon).len() as u32)
        .max()
        .unwrap_or(0)
}

/// The observed sum of `target`'s days up to the origin (day `origin` of
/// the stream's calendar) at location `loc` (or the total, `loc` = the
/// number of locations): 0 when the epiweek starts after the origin,
/// `None` when a day it needs is missing or before the record.
pub fn observed_part(
    stream: &Stream,
    loc: usize,
    origin: usize,
    target: &EpiweekTarget,
) -> Option<f64> {
    if target.first >= 1 {
        return Some(0.0);
    }
    let from = usize::try_from(origin as i64 + i64::from(target.first)).ok()?;
    if from == 0 {
        return None;
    }
    observed_sum(stream, loc, from, origin)
}
