//! The backtest's companions (damped trend, lead ratio, ensemble with the
//! twin): they use only data up to each origin, every scored twin forecast
//! has them, and the ensemble is no worse than the average of its parts
//! (WIS is convex in the quantiles, so the equal-weight quantile average
//! scores at most the mean of its parts' scores).

mod common;

use std::collections::HashMap;

use common::*;
use didymos_core::observation::{Stream, StreamSet};
use didymos_core::Model;
use didymos_epi::mmca::MmcaModel;
use didymos_forecast::{quantile_average, QuantileForecast};
use didymos_twin::backtest::{
    backtest_leading, BacktestOptions, Score, BASELINE, ENSEMBLE, LEAD, MODEL, TREND,
};
use didymos_twin::companions::{history_days, weekly_ensembles, TrendOptions};
use didymos_twin::predict::{StreamForecast, TOTAL};

const DAYS: usize = 49;
const ORIGINS: [usize; 3] = [21, 28, 35];
const WEEKS: usize = 2;

fn opts() -> BacktestOptions {
    BacktestOptions {
        origins: ORIGINS.to_vec(),
        weeks: WEEKS,
        seed: 77,
        companions: Default::default(),
    }
}

type Key = (usize, String, usize);

fn by_forecaster(scores: &[Score]) -> HashMap<&'static str, HashMap<Key, Score>> {
    let mut out: HashMap<&'static str, HashMap<Key, Score>> = HashMap::new();
    for s in scores {
        out.entry(s.forecaster)
            .or_default()
            .insert((s.origin, s.location.clone(), s.weeks_ahead), s.clone());
    }
    out
}

/// Observations of one simulated epidemic, every day to `DAYS`.
fn simulated(model: &MmcaModel) -> StreamSet {
    let stream = infections_stream(model, 20.0);
    let template = stream_set(model, vec![stream.clone()]);
    let truth = simulate_truth(model, model.parameters().values(), &template, DAYS, 5);
    observed(model, &stream, &truth, DAYS)
}

/// A leading series at the stream's locations: five times its values plus
/// three (what a count reported earlier in the chain might look like).
fn leading_of(data: &StreamSet) -> Stream {
    let mut s = data.streams()[0].clone();
    for row in s.data.values_mut() {
        for v in row.iter_mut() {
            *v = v.map(|x| 5.0 * x + 3.0);
        }
    }
    s
}

/// `s` with every value on `day` changed.
fn perturbed(s: &Stream, day: usize) -> Stream {
    let mut s = s.clone();
    for v in s.data.get_mut(&day).expect("day with data").iter_mut() {
        *v = Some(v.unwrap_or(0.0) * 3.0 + 17.0);
    }
    s
}

/// A forecast to combine with: any samples do, two weeks, 30 members, at
/// `n_loc` locations and their total.
fn any_forecast(n_loc: usize) -> StreamForecast {
    let mut locations: Vec<String> = (0..n_loc).map(|l| format!("p{l}")).collect();
    locations.push(TOTAL.to_string());
    let values = (0..=n_loc)
        .map(|l| {
            (1..=14)
                .map(|h| (0..30).map(|m| (l * 7 + h * 3 + m) as f64).collect())
                .collect()
        })
        .collect();
    StreamForecast {
        stream: "cases".into(),
        locations,
        values,
    }
}

fn run(model: &MmcaModel, data: &StreamSet, leading: &Stream) -> Vec<Score> {
    let lead = [Some(leading.clone())];
    backtest_leading(pf(model, data, 40, 5), data, &lead, &opts(), |_| Ok(None))
        .expect("backtest")
        .scores
}

#[test]
fn every_twin_forecast_has_its_companions_and_an_ensemble_no_worse_than_their_mean() {
    let model = model(DAYS, 0.04, 0.2);
    let data = simulated(&model);
    let scores = run(&model, &data, &leading_of(&data));
    let f = by_forecaster(&scores);
    let (m, b, t, l, e) = (&f[MODEL], &f[BASELINE], &f[TREND], &f[LEAD], &f[ENSEMBLE]);
    assert!(!m.is_empty());
    assert_eq!(m.len(), b.len());
    assert_eq!(
        m.len(),
        t.len(),
        "counts are ≥ 0, so every location has a trend"
    );
    assert_eq!(
        m.len(),
        l.len(),
        "three weeks before every origin: a lead everywhere"
    );
    assert_eq!(m.len(), e.len());
    for (key, ms) in m {
        let parts = [ms, &t[key], &l[key]];
        let es = &e[key];
        assert_eq!(es.truth, ms.truth);
        let lo = parts.iter().map(|s| s.median).fold(f64::INFINITY, f64::min);
        let hi = parts
            .iter()
            .map(|s| s.median)
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(
            lo - 1e-9 <= es.median && es.median <= hi + 1e-9,
            "{key:?}: ensemble median {} outside [{lo}, {hi}]",
            es.median
        );
        let mean = parts.iter().map(|s| s.wis).sum::<f64>() / 3.0;
        assert!(
            es.wis <= mean + 1e-9 * mean.max(1.0),
            "{key:?}: ensemble WIS {} > mean of parts {mean}",
            es.wis
        );
    }
}

#[test]
fn companions_use_only_weeks_up_to_each_origin() {
    let model = model(DAYS, 0.04, 0.2);
    let full = simulated(&model);
    let leading = leading_of(&full);
    let first = ORIGINS[0];
    let medians = |scores: &[Score], who: &str| -> Vec<(Key, u64)> {
        let mut v: Vec<(Key, u64)> = scores
            .iter()
            .filter(|s| s.forecaster == who && s.origin == first)
            .map(|s| {
                (
                    (s.origin, s.location.clone(), s.weeks_ahead),
                    s.median.to_bits(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let with_target = |s: Stream| stream_set(&model, vec![s]);
    let base = run(&model, &full, &leading);
    // The day after the first origin, in the target and in the leading
    // series: that origin's companions must not move.
    let after = run(
        &model,
        &with_target(perturbed(&full.streams()[0], first + 1)),
        &leading,
    );
    let lead_after = run(&model, &full, &perturbed(&leading, first + 1));
    for who in [TREND, LEAD, ENSEMBLE] {
        assert_eq!(
            medians(&base, who),
            medians(&after, who),
            "{who}: target after origin"
        );
        assert_eq!(
            medians(&base, who),
            medians(&lead_after, who),
            "{who}: leading after origin"
        );
    }
    // The origin's own day is in its last week: both must see it.
    let at = run(
        &model,
        &with_target(perturbed(&full.streams()[0], first)),
        &leading,
    );
    assert_ne!(
        medians(&base, TREND),
        medians(&at, TREND),
        "target's origin day unseen"
    );
    let lead_at = run(&model, &full, &perturbed(&leading, first));
    assert_ne!(
        medians(&base, LEAD),
        medians(&lead_at, LEAD),
        "leading origin day unseen"
    );
    assert_eq!(medians(&base, TREND), medians(&lead_at, TREND));
}

/// The last `days` days up to `origin` of `s` (and nothing else).
fn recent(s: &Stream, origin: usize, days: usize) -> Stream {
    let mut s = s.clone();
    s.data.retain(|&d, _| d + days > origin && d <= origin);
    s
}

/// The ensemble's parts that a forecast keeps (the twin's, the trend's,
/// the lead's) averaged again, quantile by quantile: they must give back
/// the ensemble, so that scoring each part scores what went into it.
fn parts_averaged(
    e: &didymos_twin::companions::WeeklyEnsemble,
) -> Vec<(didymos_twin::epiweeks::EpiweekTarget, QuantileForecast)> {
    assert_eq!(e.twin.len(), e.weeks.len());
    assert_eq!(e.trend.len(), e.weeks.len());
    assert_eq!(
        e.lead.len(),
        e.weeks.len(),
        "every location has a lead here"
    );
    (0..e.weeks.len())
        .map(|k| {
            let parts = [(&e.twin[k], 1.0), (&e.trend[k], 1.0), (&e.lead[k], 1.0)];
            (e.weeks[k].0.clone(), quantile_average(&parts).unwrap())
        })
        .collect()
}

/// The live service reads only the last `history_days(opts)` of the
/// record: its weekly ensemble must equal the one from the whole record,
/// and one week fewer must not (else the figure could be anything), for
/// the default settings and a shorter window.
#[test]
fn the_recent_history_gives_the_whole_records_weekly_ensemble() {
    const LONG: usize = 13 * 7;
    const ORIGIN: usize = 12 * 7;
    let model = model(LONG, 0.04, 0.2);
    let stream = infections_stream(&model, 20.0);
    let template = stream_set(&model, vec![stream.clone()]);
    let truth = simulate_truth(&model, model.parameters().values(), &template, LONG, 9);
    let full = observed(&model, &stream, &truth, LONG);
    let leading = leading_of(&full);
    let n_loc = full.streams()[0].aggregation.len();
    let fc = [any_forecast(n_loc)];
    let short = TrendOptions {
        window: 3,
        ..TrendOptions::default()
    };
    // A Saturday, and a Sunday and a Monday, whose week 1 is under way
    // (its companions also read the weekday pattern of earlier weeks).
    for (opts, origin) in [
        (TrendOptions::default(), ORIGIN),
        (TrendOptions::default(), ORIGIN + 1),
        (short.clone(), ORIGIN),
        (short, ORIGIN + 2),
    ] {
        let days = history_days(&opts);
        assert!(
            origin > days + 7,
            "the record must be longer than the window"
        );
        let lead = [Some(leading.clone())];
        let at = (origin, model.calendar().date_of(origin));
        let whole = weekly_ensembles(&fc, (&full, &lead), at, &opts).unwrap();
        assert_eq!(
            whole.forecasts.len(),
            n_loc + 1,
            "every location and the total"
        );
        assert!(whole.left_out.is_empty());
        for e in &whole.forecasts {
            assert_eq!(parts_averaged(e), e.weeks, "{} on day {origin}", e.location);
        }
        let cut = |days: usize| {
            let target = stream_set(&model, vec![recent(&full.streams()[0], origin, days)]);
            let lead = [Some(recent(&leading, origin, days))];
            weekly_ensembles(&fc, (&target, &lead), at, &opts).unwrap()
        };
        assert_eq!(cut(days), whole, "window {}, day {origin}", opts.window);
        assert_ne!(cut(days - 7), whole, "window {}, day {origin}", opts.window);
    }
}

/// A record as issued: the weekly ensemble reads its incomplete last days
/// as their estimated final counts (divided by their completeness), the
/// same as a record that gave those estimates outright, for the stream
/// and its leading series alike; read as reported, they would differ.
#[test]
fn the_weekly_ensemble_reads_incomplete_days_as_estimates_of_the_final_counts() {
    const LONG: usize = 13 * 7;
    const ORIGIN: usize = 12 * 7 + 1;
    let model = model(LONG, 0.04, 0.2);
    let stream = infections_stream(&model, 20.0);
    let template = stream_set(&model, vec![stream.clone()]);
    let truth = simulate_truth(&model, model.parameters().values(), &template, LONG, 9);
    let full = observed(&model, &stream, &truth, LONG);
    let fc = [any_forecast(full.streams()[0].aggregation.len())];
    // The last ten days issued at half their final counts (the final
    // record doubles them: counts stay whole).
    let shares: std::collections::BTreeMap<usize, f64> =
        (0..10).map(|k| (ORIGIN - k, 0.5)).collect();
    let completed = |s: &Stream| {
        let mut s = s.clone();
        for day in shares.keys() {
            for v in s.data.get_mut(day).unwrap().iter_mut().flatten() {
                *v *= 2.0;
            }
        }
        s
    };
    let issued = |s: &Stream| {
        let mut s = s.clone();
        s.completeness = shares.clone();
        s
    };
    let leading = leading_of(&full);
    let final_set = stream_set(&model, vec![completed(&full.streams()[0])]);
    let at = (ORIGIN, model.calendar().date_of(ORIGIN));
    let opts = TrendOptions::default();
    let final_lead = [Some(completed(&leading))];
    let final_record = weekly_ensembles(&fc, (&final_set, &final_lead), at, &opts).unwrap();
    let as_issued = stream_set(&model, vec![issued(&full.streams()[0])]);
    let lead = [Some(issued(&leading))];
    let nowcast = weekly_ensembles(&fc, (&as_issued, &lead), at, &opts).unwrap();
    let close = |a: &[didymos_twin::companions::WeeklyEnsemble],
                 b: &[didymos_twin::companions::WeeklyEnsemble]| {
        a.iter().zip(b).all(|(x, y)| {
            x.weeks.iter().zip(&y.weeks).all(|((_, p), (_, q))| {
                p.values()
                    .iter()
                    .zip(q.values())
                    .all(|(u, v)| (u - v).abs() <= 1e-9 * v.abs().max(1.0))
            })
        })
    };
    assert_eq!(nowcast.forecasts.len(), final_record.forecasts.len());
    assert!(close(&nowcast.forecasts, &final_record.forecasts));
    // Read as reported, the same record forecasts otherwise.
    let mut raw = as_issued.clone();
    raw.set_completeness(0, Default::default());
    let mut raw_lead = issued(&leading);
    raw_lead.completeness.clear();
    let raw = weekly_ensembles(&fc, (&raw, &[Some(raw_lead)]), at, &opts).unwrap();
    assert!(!close(&raw.forecasts, &final_record.forecasts));
}
