//! The backtest's companions (damped trend, ensemble with the twin): they
//! use only data up to each origin, every scored twin forecast has them,
//! and the ensemble is no worse than the average of its parts (WIS is
//! convex in the quantiles, so the quantile average scores at most the mean
//! of the two scores).

mod common;

use std::collections::HashMap;

use common::*;
use didymos_core::observation::StreamSet;
use didymos_core::Model;
use didymos_epi::mmca::MmcaModel;
use didymos_twin::backtest::{backtest, BacktestOptions, Score, BASELINE, ENSEMBLE, MODEL, TREND};

const DAYS: usize = 49;
const ORIGINS: [usize; 3] = [21, 28, 35];
const WEEKS: usize = 2;

fn opts() -> BacktestOptions {
    BacktestOptions {
        origins: ORIGINS.to_vec(),
        weeks: WEEKS,
        seed: 77,
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

fn run(model: &MmcaModel, data: &StreamSet) -> Vec<Score> {
    backtest(pf(model, data, 40, 5), data, &opts())
        .expect("backtest")
        .scores
}

#[test]
fn every_twin_forecast_has_a_trend_and_an_ensemble_no_worse_than_their_mean() {
    let model = model(DAYS, 0.04, 0.2);
    let data = simulated(&model);
    let scores = run(&model, &data);
    let f = by_forecaster(&scores);
    let (m, b, t, e) = (&f[MODEL], &f[BASELINE], &f[TREND], &f[ENSEMBLE]);
    assert!(!m.is_empty());
    assert_eq!(m.len(), b.len());
    assert_eq!(
        m.len(),
        t.len(),
        "counts are ≥ 0, so every location has a trend"
    );
    assert_eq!(m.len(), e.len());
    for (key, ms) in m {
        let (ts, es) = (&t[key], &e[key]);
        assert_eq!(es.truth, ms.truth);
        let (lo, hi) = (ms.median.min(ts.median), ms.median.max(ts.median));
        assert!(
            lo - 1e-9 <= es.median && es.median <= hi + 1e-9,
            "{key:?}: ensemble median {} outside [{lo}, {hi}]",
            es.median
        );
        let mean = 0.5 * (ms.wis + ts.wis);
        assert!(
            es.wis <= mean + 1e-9 * mean.max(1.0),
            "{key:?}: ensemble WIS {} > mean of parts {mean}",
            es.wis
        );
    }
}

#[test]
fn the_trend_uses_only_weeks_up_to_each_origin() {
    let model = model(DAYS, 0.04, 0.2);
    let full = simulated(&model);
    let first = ORIGINS[0];
    let perturbed = |day: usize| {
        let mut s = full.streams()[0].clone();
        for v in s.data.get_mut(&day).expect("day with data").iter_mut() {
            *v = Some(v.unwrap_or(0.0) * 3.0 + 17.0);
        }
        stream_set(&model, vec![s])
    };
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
    let base = run(&model, &full);
    // The day after the first origin: its trend must not move.
    let after = run(&model, &perturbed(first + 1));
    assert_eq!(
        medians(&base, TREND),
        medians(&after, TREND),
        "data after the origin reached the trend"
    );
    assert_eq!(medians(&base, ENSEMBLE), medians(&after, ENSEMBLE));
    // The origin itself is in its last week: the trend must see it.
    let at = run(&model, &perturbed(first));
    assert_ne!(
        medians(&base, TREND),
        medians(&at, TREND),
        "the origin's own day did not reach the trend"
    );
}
