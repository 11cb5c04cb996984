//! Rolling-origin backtest of the flood twin: no observation after an
//! origin reaches its forecast, and the scores are what they say.

mod common;
use common::*;
use didymos_hydro::backtest::{backtest, BacktestOptions, Forecaster};
use didymos_hydro::twin::FloodTwin;

fn twin() -> FloodTwin {
    // The spec's starting parameters (no calibration: the test is about
    // information flow, not skill) and a small ensemble.
    let mut t = FloodTwin::load(&repo_root().join("data/flood/twin.toml")).unwrap();
    t.spec.assimilation.members = 40;
    t
}

fn origins() -> Vec<didymos_core::Date> {
    ["2002-02-04", "2002-03-25", "2002-04-08", "2002-10-14"]
        .iter()
        .map(|d| date(d))
        .collect()
}

#[test]
fn no_observation_after_an_origin_reaches_its_forecast() {
    let t = twin();
    // The forecasts' seed is the spec's, as `FloodTwin::forecast` uses.
    let seed = t.spec.assimilation.seed;
    let bt = backtest(&t, &BacktestOptions::new(origins(), 5, seed)).unwrap();
    assert!(bt.skipped.is_empty());
    assert_eq!(bt.forecasts.len(), 4);
    for (origin, (with, _)) in origins().iter().zip(&bt.forecasts) {
        // A fresh filter on data cut at the origin gives the same forecast,
        // bit for bit: the one-pass filter used nothing later.
        let alone = twin().forecast(*origin, 5, Vec::new()).unwrap();
        assert_eq!(with.origin, *origin);
        assert_eq!(with.samples, alone.samples, "origin {origin}");
    }

    // Change every observation after the second origin: forecasts from
    // the first two origins do not move, later ones do.
    let mut changed = twin();
    let cutoff = origins()[1];
    for (d, q) in changed.streamflow.mm_per_day.iter_mut() {
        if *d > cutoff {
            *q *= 3.0;
        }
    }
    let bt2 = backtest(&changed, &BacktestOptions::new(origins(), 5, seed)).unwrap();
    for k in 0..2 {
        assert_eq!(bt.forecasts[k], bt2.forecasts[k], "origin {k}");
    }
    assert_ne!(bt.forecasts[3].0, bt2.forecasts[3].0);
    // The open loop never sees data.
    assert_eq!(bt.forecasts[3].1, bt2.forecasts[3].1);
}

#[test]
fn scores_are_consistent() {
    let t = twin();
    let bt = backtest(&t, &BacktestOptions::new(origins(), 3, 1)).unwrap();
    assert_eq!(bt.scores.len(), 4 * 3 * 3, "origins × leads × forecasters");
    for s in &bt.scores {
        assert_eq!(s.target, s.origin.add_days(s.lead as i32));
        let obs = t.streamflow.mm_per_day[&s.target];
        assert_eq!(s.observed, obs);
        assert!(s.q05 <= s.q25 && s.q25 <= s.median && s.median <= s.q75 && s.q75 <= s.q95);
        assert!(s.crps >= 0.0 && s.wis >= 0.0, "{s:?}");
        assert_eq!(s.covered_90, s.q05 <= obs && obs <= s.q95);
        if s.forecaster == Forecaster::Persistence {
            let last = t.streamflow.mm_per_day[&s.origin];
            assert!((s.median - last).abs() < 1e-9 * last.max(1.0), "{s:?}");
        }
    }
    let summary = bt.summary();
    assert_eq!(summary.len(), 3 * 3);
    for h in &summary {
        assert_eq!(h.n, 4);
        if h.forecaster == Forecaster::Persistence {
            assert_eq!(h.relative_wis, 1.0);
        }
    }
    // Same inputs, same numbers.
    assert_eq!(
        bt,
        backtest(&t, &BacktestOptions::new(origins(), 3, 1)).unwrap()
    );
}

#[test]
fn bad_origins_are_errors() {
    let t = twin();
    let bad = |o: Vec<&str>, h: usize| {
        let o = o.iter().map(|d| date(d)).collect();
        backtest(&t, &BacktestOptions::new(o, h, 1))
            .unwrap_err()
            .to_string()
    };
    assert!(bad(vec!["2002-12-30"], 7).contains("runs past the end of the record"));
    assert!(bad(vec!["1999-06-01"], 7).contains("outside the twin's range"));
    assert!(bad(vec!["2002-03-01", "2002-02-01"], 7).contains("strictly increasing"));
    assert!(bad(vec![], 7).contains("none given"));
    assert!(bad(vec!["2002-03-01"], 0).contains("at least 1 day"));
}
