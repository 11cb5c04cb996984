//! The backtest's sample scores, recomputed here from their definitions on
//! a synthetic record: each model row's CRPS is that of its members' sums
//! over the target week, and each baseline row's one week ahead is that of
//! the Hub baseline's one-step distribution (last week's sum plus each
//! past weekly change and its negative, truncated at 0). The quantile-only
//! forecasters have no CRPS, and every row's bias has the sign of its
//! median's error.

mod common;

use common::*;
use didymos_core::observation::Stream;
use didymos_twin::backtest::{
    backtest, summarise, summarise_forecaster, BacktestOptions, Score, BASELINE, MODEL,
};

const DAYS: usize = 56;
const ORIGINS: [usize; 3] = [28, 35, 42];
const WEEKS: usize = 2;

/// E|X − y| − ½E|X − X'| over all pairs: the O(n²) definition.
fn crps_by_pairs(x: &[f64], y: f64) -> f64 {
    let n = x.len() as f64;
    let a: f64 = x.iter().map(|v| (v - y).abs()).sum::<f64>() / n;
    let b: f64 = x
        .iter()
        .map(|u| x.iter().map(|v| (u - v).abs()).sum::<f64>())
        .sum::<f64>();
    a - 0.5 * b / (n * n)
}

/// The stream's sum at location `l` (the total past the last) over days
/// `from..=to`, `None` if a day or value is missing.
fn week_sum(stream: &Stream, l: usize, from: usize, to: usize) -> Option<f64> {
    let mut sum = 0.0;
    for day in from..=to {
        let row = stream.data.get(&day)?;
        sum += match row.get(l) {
            Some(v) => (*v)?,
            None => row.iter().copied().sum::<Option<f64>>()?,
        };
    }
    Some(sum)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn model_and_baseline_crps_are_those_of_their_samples() {
    let model = model(DAYS, 0.04, 0.2);
    let stream = infections_stream(&model, 20.0);
    let template = stream_set(&model, vec![stream.clone()]);
    let params = didymos_core::Model::parameters(&model).values();
    let truth = simulate_truth(&model, params, &template, DAYS, 5);
    let data = observed(&model, &stream, &truth, DAYS);
    let opts = BacktestOptions {
        origins: ORIGINS.to_vec(),
        weeks: WEEKS,
        seed: 7,
        companions: Default::default(),
    };
    let bt = backtest(pf(&model, &data, 80, 3), &data, &opts).expect("backtest");
    let observed = &data.streams()[0];
    let (mut models, mut baselines) = (0, 0);
    for s in &bt.scores {
        let (_, fc) = bt
            .forecasts
            .iter()
            .find(|(o, _)| *o == s.origin)
            .expect("the origin's forecast");
        let f = &fc[0];
        let l = f
            .locations
            .iter()
            .position(|x| *x == s.location)
            .expect("location");
        let (from, to) = (7 * (s.weeks_ahead - 1) + 1, 7 * s.weeks_ahead);
        match s.forecaster {
            MODEL => {
                let sums: Vec<f64> = (0..f.values[l][0].len())
                    .map(|m| (from..=to).map(|h| f.values[l][h - 1][m]).sum())
                    .collect();
                let expected = crps_by_pairs(&sums, s.truth);
                let got = s.crps.expect("a model row has a CRPS");
                assert!(close(got, expected), "{s:?}: {got} vs {expected}");
                models += 1;
            }
            BASELINE if s.weeks_ahead == 1 => {
                let mut past = Vec::new();
                let mut end = s.origin;
                while end >= 7 {
                    let Some(v) = week_sum(observed, l, end - 6, end) else {
                        break;
                    };
                    past.push(v);
                    end -= 7;
                }
                past.reverse();
                let last = past[past.len() - 1];
                let changes = past.windows(2).map(|w| w[1] - w[0]);
                let samples: Vec<f64> = changes
                    .flat_map(|d| [(last + d).max(0.0), (last - d).max(0.0)])
                    .collect();
                let expected = crps_by_pairs(&samples, s.truth);
                let got = s.crps.expect("a baseline row has a CRPS");
                assert!(close(got, expected), "{s:?}: {got} vs {expected}");
                baselines += 1;
            }
            BASELINE => assert!(s.crps.is_some_and(|c| c >= 0.0), "{s:?}"),
            _ => assert_eq!(s.crps, None, "{s:?}"),
        }
        check_bias(s);
    }
    // Two locations and the total, three origins, two weeks.
    assert_eq!((models, baselines), (18, 9));

    // The summary: mean CRPS over the rows, relative to the baseline's;
    // none for the trend, which has quantiles only.
    let rows = |who: &str, k: usize| -> Vec<&Score> {
        let of = |s: &&Score| s.forecaster == who && s.weeks_ahead == k;
        bt.scores.iter().filter(of).collect()
    };
    for h in summarise(&bt.scores, WEEKS, |_| true) {
        let k = h.weeks_ahead;
        let mean = |xs: &[&Score]| -> f64 {
            xs.iter().map(|s| s.crps.unwrap()).sum::<f64>() / xs.len() as f64
        };
        let (m, b) = (mean(&rows(MODEL, k)), mean(&rows(BASELINE, k)));
        assert!(close(h.crps.unwrap(), m) && close(h.baseline_crps.unwrap(), b));
        assert!(close(h.relative_crps.unwrap(), m / b));
        let bias = rows(MODEL, k).iter().map(|s| s.bias).sum::<f64>() / h.n as f64;
        assert!(close(h.bias, bias));
    }
    for h in summarise_forecaster(&bt.scores, WEEKS, "trend", |_| true) {
        assert!(h.n > 0 && h.crps.is_none() && h.relative_crps.is_none());
    }
}

/// Bias lies in [−1, 1], and is positive exactly when the median was
/// above the truth (scoringutils' quantile bias).
fn check_bias(s: &Score) {
    assert!((-1.0..=1.0).contains(&s.bias), "{s:?}");
    if s.median > s.truth {
        assert!(s.bias > 0.0, "{s:?}");
    } else if s.median < s.truth {
        assert!(s.bias < 0.0, "{s:?}");
    } else {
        assert_eq!(s.bias, 0.0, "{s:?}");
    }
}
