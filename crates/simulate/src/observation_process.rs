//! The observation process of one stream, from the truth to published
//! records. For each location (and stratum when `per_stratum`), on each
//! report day r:
//!
//! 1. expected = w(weekday of r) · Σ_d delay(d) · ascertainment(r−d) · truth(r−d):
//!    the delay spreads a day's events over later report days, the weekday
//!    factor (mean 1 over a week) moves reports between weekdays;
//! 2. count ~ Poisson or negative binomial (overdispersion) around it;
//! 3. with `outlier_rate`, the count is multiplied or divided (even odds)
//!    by `outlier_scale`, and always changed: a 0 becomes a spike of
//!    `outlier_scale` times the expected count (at least 1), and a count
//!    that rounding would leave as it was moves by 1;
//! 4. with `missing_rate`, nothing is published for that day;
//! 5. during an outage (planned or random) nothing is published; with a
//!    dump, the missed days are all published the day after the outage
//!    (`issued` = that day);
//! 6. with `backfill_rate`, the first publication holds a binomial thinning
//!    (`backfill_initial_share`) of the count, and a revision with the full
//!    count follows `backfill_lag_days` later (`issued` = that day), unless
//!    that is after the end of the calendar (the last days stay incomplete,
//!    as in real data);
//! 7. every timestamp is shifted by `clock_skew_hours` (RFC 3339 in UTC).
//!
//! Each effect draws from its own random stream per (stream, series), so
//! switching one effect on or off never changes the draws of another, and
//! the truth never depends on any of them.

use didymos_core::rng::{self, member_rng};
use didymos_core::Date;
use rand::Rng;

use crate::config::StreamConfig;
use crate::purpose;
use crate::record::Record;
use crate::timefmt::skewed;
use crate::truth::Truth;

/// Something the simulation injected, for scoring detectors (events.csv).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: &'static str,
    pub stream: String,
    pub from: Date,
    pub to: Date,
    pub location: Option<String>,
    pub detail: String,
}

/// Records and events of a simulation.
#[derive(Debug, Default)]
pub struct Generated {
    pub records: Vec<Record>,
    pub events: Vec<Event>,
}

/// The day (0-based) an outage's missed records are published on, per day
/// in an outage; `None` outside outages.
enum OutageDay {
    Normal,
    Lost,
    DumpedOn(usize),
}

fn outage_days(
    s: &StreamConfig,
    si: usize,
    truth: &Truth,
    seed: u64,
    out: &mut Generated,
) -> Vec<OutageDay> {
    let n = truth.n_days();
    let mut windows: Vec<(usize, usize, bool)> = s
        .outages
        .iter()
        .map(|o| (o.from - 1, o.to - 1, o.dump))
        .collect();
    if s.outage_rate > 0.0 {
        let mut rng = member_rng(seed, si as u64, purpose::OUTAGE);
        let mut t = 0;
        while t < n {
            let (u, v): (f64, f64) = (rng.gen(), rng.gen());
            if u < s.outage_rate {
                // Exponential length with the configured mean, at least a day.
                let len = (-(1.0 - v).ln() * s.outage_mean_days).round().max(1.0) as usize;
                let to = (t + len - 1).min(n - 1);
                windows.push((t, to, s.outage_dump));
                t = to + 2;
            } else {
                t += 1;
            }
        }
    }
    let mut days: Vec<OutageDay> = (0..n).map(|_| OutageDay::Normal).collect();
    for &(from, to, dump) in &windows {
        let dump_day = (dump && to + 1 < n).then_some(to + 1);
        for d in days.iter_mut().take(to + 1).skip(from) {
            *d = dump_day.map_or(OutageDay::Lost, OutageDay::DumpedOn);
        }
        out.events.push(Event {
            kind: "outage",
            stream: s.name.clone(),
            from: truth.dates[from],
            to: truth.dates[to],
            location: None,
            detail: match dump_day {
                Some(d) => format!("dumped on {}", truth.dates[d]),
                None => "lost".into(),
            },
        });
    }
    days
}

/// Append the records of stream `s` (index `si` in the scenario).
pub fn generate_stream(s: &StreamConfig, si: usize, truth: &Truth, seed: u64, out: &mut Generated) {
    let n = truth.n_days();
    let outages = outage_days(s, si, truth, seed, out);
    let n_strata = truth.strata.len();
    let strata: Vec<Option<usize>> = if s.per_stratum {
        (0..n_strata).map(Some).collect()
    } else {
        vec![None]
    };
    let ascertainment: Vec<f64> = (1..=n).map(|d| s.ascertainment_on(d)).collect();
    let stamp = |day: usize| {
        if s.clock_skew_hours == 0.0 {
            truth.dates[day].to_string()
        } else {
            skewed(truth.dates[day], s.clock_skew_hours)
        }
    };
    for &unit in &s.locations {
        for &stratum in &strata {
            // One series: its own random streams, keyed by (patch, stratum).
            let series = (unit * (n_strata + 1) + stratum.unwrap_or(n_strata)) as u64;
            let stream_purpose = |p: u64| p + si as u64;
            let mut rng_noise = member_rng(seed, series, stream_purpose(purpose::NOISE));
            let mut rng_outlier = member_rng(seed, series, stream_purpose(purpose::OUTLIER));
            let mut rng_missing = member_rng(seed, series, stream_purpose(purpose::MISSING));
            let mut rng_backfill = member_rng(seed, series, stream_purpose(purpose::BACKFILL));
            let x: Vec<f64> = (0..n)
                .map(|t| {
                    let v = match stratum {
                        Some(g) => truth.get(t, unit, g, s.observable),
                        None => truth.total(t, unit, s.observable),
                    };
                    v * ascertainment[t]
                })
                .collect();
            let location = truth.units[unit].clone();
            let stratum_label = stratum.map(|g| truth.strata[g].clone());
            let record = |day: usize, value: f64, issued: Option<usize>| Record {
                stream: s.name.clone(),
                time: stamp(day),
                location: Some(location.clone()),
                stratum: stratum_label.clone(),
                value,
                issued: issued.map(stamp),
                flag: None,
            };
            for r in 0..n {
                let weekday = truth.dates[r].iso_weekday() as usize - 1;
                let expected = s.weekday_effect[weekday] * s.delay.convolve(&x[..=r]);
                let mut y = s.noise.sample(expected, &mut rng_noise);
                let (u_outlier, up): (f64, bool) = (rng_outlier.gen(), rng_outlier.gen());
                if u_outlier < s.outlier_rate {
                    let clean = y;
                    y = outlier(y, expected, s.outlier_scale, up);
                    out.events.push(Event {
                        kind: "outlier",
                        stream: s.name.clone(),
                        from: truth.dates[r],
                        to: truth.dates[r],
                        location: Some(location.clone()),
                        detail: format!("{clean} -> {y}"),
                    });
                }
                let u_missing: f64 = rng_missing.gen();
                let u_backfill: f64 = rng_backfill.gen();
                if u_missing < s.missing_rate {
                    continue;
                }
                match outages[r] {
                    OutageDay::Lost => continue,
                    OutageDay::DumpedOn(d) => {
                        out.records.push(record(r, y, Some(d)));
                        continue;
                    }
                    OutageDay::Normal => {}
                }
                if u_backfill < s.backfill_rate {
                    let first =
                        rng::binomial(y as u64, s.backfill_initial_share, &mut rng_backfill) as f64;
                    out.records.push(record(r, first, None));
                    if r + s.backfill_lag_days < n {
                        out.records
                            .push(record(r, y, Some(r + s.backfill_lag_days)));
                    }
                } else {
                    out.records.push(record(r, y, None));
                }
            }
        }
    }
}

/// The count `y` made an outlier: multiplied (`up`) or divided by `scale`,
/// rounded. An event scored as injected must be visible in the data, so a
/// 0 (which neither changes) becomes a spike of the series' typical size
/// there, `scale` × the expected count, and a count that rounding leaves
/// as it was (a scale near 1) moves by 1 in the drawn direction. No extra
/// draw: every other effect's numbers stay as they were for a seed.
fn outlier(y: f64, expected: f64, scale: f64, up: bool) -> f64 {
    if y == 0.0 {
        return (scale * expected).round().max(1.0);
    }
    let z = if up { y * scale } else { y / scale }.round();
    match (z == y, up) {
        (false, _) => z,
        (true, true) => y + 1.0,
        (true, false) => y - 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::outlier;

    #[test]
    fn an_outlier_always_changes_the_count() {
        assert_eq!(outlier(10.0, 9.0, 5.0, true), 50.0);
        assert_eq!(outlier(10.0, 9.0, 5.0, false), 2.0);
        assert_eq!(outlier(0.0, 3.2, 5.0, false), 16.0);
        assert_eq!(outlier(0.0, 0.01, 5.0, true), 1.0);
        assert_eq!(outlier(2.0, 2.0, 1.0, true), 3.0);
        assert_eq!(outlier(2.0, 2.0, 1.2, false), 1.0);
        for y in 0..50 {
            for up in [true, false] {
                let y = f64::from(y);
                assert_ne!(outlier(y, 1.0, 1.0, up), y);
            }
        }
    }
}
