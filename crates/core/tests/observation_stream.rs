//! Streams and the fused `StreamSet` data model: hand-computed expected
//! values, the likelihood, missing data, validation and recovery of the
//! output scale from simulated data.

use std::collections::HashMap;

use didymos_core::observation::{
    Aggregation, Ascertainment, Delay, Noise, StrataMode, Stream, StreamSet, MIN_MEAN,
};
use didymos_core::DataModel;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const K: usize = 2; // observables
const S: usize = 2; // strata

fn units() -> Vec<String> {
    vec!["u1".into(), "u2".into()]
}

/// Observable 1 per cell (u1s0, u1s1, u2s0, u2s1) for days 1..=4;
/// observable 0 is 1000 and must be ignored.
const VALUES: [[f64; 4]; 4] = [
    [1.0, 2.0, 3.0, 4.0], // day 1: u1 = 3, u2 = 7
    [2.0, 3.0, 5.0, 1.0], // day 2: u1 = 5, u2 = 6
    [0.0, 4.0, 2.0, 2.0], // day 3: u1 = 4, u2 = 4
    [6.0, 1.0, 3.0, 3.0], // day 4: u1 = 7, u2 = 6
];

fn rows() -> Vec<Vec<f64>> {
    VALUES
        .iter()
        .map(|v| v.iter().flat_map(|x| [1000.0, *x]).collect())
        .collect()
}

/// History for `day` (1-based): rows up to and including it, at most
/// `window` of them.
fn history(rows: &[Vec<f64>], day: usize, window: usize) -> Vec<&[f64]> {
    rows[day.saturating_sub(window)..day]
        .iter()
        .map(|r| r.as_slice())
        .collect()
}

/// Stream "agg": u1 → "B", u2 → "A", strata summed, delay [0.5, 0.3, 0.2],
/// ascertainment 0.5, NB(k = 5).
fn aggregated_stream() -> Stream {
    let lookup: HashMap<String, String> = [("u1", "B"), ("u2", "A")]
        .iter()
        .map(|(u, l)| (u.to_string(), l.to_string()))
        .collect();
    let agg = Aggregation::from_lookup(&units(), S, &lookup, StrataMode::AllStrata).unwrap();
    Stream::new("agg", 1, agg)
        .with_delay(Delay::from_pmf(vec![0.5, 0.3, 0.2]).unwrap())
        .with_ascertainment(Ascertainment::Constant(0.5))
        .with_noise(Noise::NegBinomial { dispersion: 5.0 })
}

/// Stream "cells": every (unit, stratum), no delay, ascertainment 1 until
/// day 3 and 0.5 from day 4, Poisson.
fn per_cell_stream() -> Stream {
    let agg = Aggregation::identity(&units(), S, StrataMode::PerStratum).unwrap();
    Stream::new("cells", 1, agg).with_ascertainment(Ascertainment::Daily(vec![(1, 1.0), (4, 0.5)]))
}

fn toy_set() -> StreamSet {
    let mut a = aggregated_stream();
    a.insert(4, "A", None, 3.0).unwrap();
    a.insert(4, "B", None, 2.0).unwrap();
    // Day 5: a row with every value missing.
    a.data.insert(5, vec![None, None]);
    let mut c = per_cell_stream();
    c.insert(4, "u1", Some(0), 4.0).unwrap();
    c.insert(4, "u2", Some(1), 1.0).unwrap();
    c.insert(3, "u1", Some(0), 0.0).unwrap();
    StreamSet::new(vec![a, c], 2, S, K).unwrap()
}

fn ln_factorial(y: u32) -> f64 {
    (1..=y).map(|j| (j as f64).ln()).sum()
}

fn poisson(y: u32, mu: f64) -> f64 {
    y as f64 * mu.ln() - mu - ln_factorial(y)
}

fn negbin(y: u32, mu: f64, k: f64) -> f64 {
    let rising: f64 = (0..y).map(|j| (k + j as f64).ln()).sum();
    rising - ln_factorial(y) + k * (k / (k + mu)).ln() + y as f64 * (mu / (k + mu)).ln()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12 * b.abs().max(1.0)
}

#[test]
fn expected_values_by_hand() {
    let rows = rows();
    let set = toy_set();
    assert_eq!(set.window(), 3);

    // Day 4, location A (u2): 0.5 · (0.5·6 + 0.3·4 + 0.2·6) = 2.7
    //        location B (u1): 0.5 · (0.5·7 + 0.3·4 + 0.2·5) = 2.85
    // Cells on day 4 at ascertainment 0.5: 0.5 · [6, 1, 3, 3].
    let h4 = history(&rows, 4, set.window());
    let e = set.expected(4, &h4);
    assert!(close(e[0][0], 2.7) && close(e[0][1], 2.85), "{e:?}");
    assert_eq!(e[1], vec![3.0, 0.5, 1.5, 1.5]);

    // Day 2: days before the history start contribute 0.
    // A: 0.5 · (0.5·6 + 0.3·7) = 2.55; B: 0.5 · (0.5·5 + 0.3·3) = 1.7.
    let h2 = history(&rows, 2, set.window());
    let e = set.expected(2, &h2);
    assert!(close(e[0][0], 2.55) && close(e[0][1], 1.7), "{e:?}");
    // Cells on day 3 at ascertainment 1.
    let e = set.expected(3, &history(&rows, 3, 3));
    assert_eq!(e[1], vec![0.0, 4.0, 2.0, 2.0]);

    // observed / predict: stream order, then location order.
    assert_eq!(set.observed(4), vec![3.0, 2.0, 4.0, 1.0]);
    assert_eq!(set.entries(4), &[(0, 0), (0, 1), (1, 0), (1, 3)]);
    let mut out = vec![0.0; 4];
    set.predict(4, &[], &h4, &mut out);
    assert!(close(out[0], 2.7) && close(out[1], 2.85));
    assert_eq!(&out[2..], &[3.0, 1.5]);

    // Error variances: NB μ + μ²/k, Poisson μ, floored at 1.
    assert!(close(set.error_variance(4, 0, 2.7), 2.7 + 2.7 * 2.7 / 5.0));
    assert_eq!(set.error_variance(4, 2, 3.0), 3.0);
    assert_eq!(set.error_variance(4, 3, 0.2), 1.0);
}

#[test]
fn log_lik_is_the_manual_sum() {
    let rows = rows();
    let set = toy_set();
    let ll = set.log_lik(4, &[], &history(&rows, 4, 3));
    let manual = negbin(3, 2.7, 5.0) + negbin(2, 2.85, 5.0) + poisson(4, 3.0) + poisson(1, 1.5);
    assert!(close(ll, manual), "{ll} vs {manual}");

    // Day 3: one observed 0 where the model predicts 0 → floored mean.
    let ll3 = set.log_lik(3, &[], &history(&rows, 3, 3));
    assert!(close(ll3, -MIN_MEAN), "{ll3}");
    assert_eq!(set.observed(3), vec![0.0]);

    // A positive count against a zero prediction is unlikely, not impossible.
    let mut c = per_cell_stream();
    c.insert(3, "u1", Some(0), 2.0).unwrap();
    let one = StreamSet::new(vec![c], 2, S, K).unwrap();
    let ll = one.log_lik(3, &[], &history(&rows, 3, 1));
    assert!(ll.is_finite() && ll < -40.0, "{ll}");
}

#[test]
fn days_without_data() {
    let rows = rows();
    let set = toy_set();
    assert!(set.has_data(3) && set.has_data(4));
    assert!(!set.has_data(1) && !set.has_data(2));
    // Day 5 has a row, but every value is missing.
    assert!(!set.has_data(5));
    assert!(set.observed(2).is_empty());
    assert_eq!(set.log_lik(2, &[], &history(&rows, 2, 3)), 0.0);
    assert_eq!(set.days().collect::<Vec<_>>(), vec![3, 4]);
}

#[test]
fn validation_errors() {
    // Negative counts, at insert and at construction.
    let mut a = aggregated_stream();
    let err = a.insert(2, "A", None, -1.0).unwrap_err().to_string();
    assert!(err.contains("negative") && err.contains("`agg`"), "{err}");
    assert!(a.insert(2, "A", None, 1.5).is_err()); // not a count
    assert!(a.insert(2, "A", None, f64::NAN).is_err());
    a.data.insert(2, vec![Some(-3.0), None]);
    let err = StreamSet::new(vec![a], 2, S, K).unwrap_err().to_string();
    assert!(err.contains("negative count -3"), "{err}");

    // Unknown locations are named.
    let mut a = aggregated_stream();
    let err = a.insert(2, "C", None, 1.0).unwrap_err().to_string();
    assert!(err.contains("unknown location `C`"), "{err}");
    let mut c = per_cell_stream();
    let err = c.insert(2, "u1", None, 1.0).unwrap_err().to_string();
    assert!(err.contains("`u1`") && err.contains("stratum"), "{err}");
    let err = c.insert(2, "u11", Some(0), 1.0).unwrap_err().to_string();
    assert!(err.contains("unknown location `u11`"), "{err}");

    // Shape mismatches.
    let err = StreamSet::new(vec![aggregated_stream()], 2, S, 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("observable index 1"), "{err}");
    assert!(StreamSet::new(vec![aggregated_stream()], 3, S, K).is_err());
    let mut short = aggregated_stream();
    short.data.insert(2, vec![Some(1.0)]);
    assert!(StreamSet::new(vec![short], 2, S, K).is_err());
    // Duplicate names, bad parts.
    assert!(StreamSet::new(vec![aggregated_stream(), aggregated_stream()], 2, S, K).is_err());
    let bad = aggregated_stream().with_noise(Noise::NegBinomial { dispersion: -1.0 });
    assert!(StreamSet::new(vec![bad], 2, S, K).is_err());
    let bad =
        aggregated_stream().with_ascertainment(Ascertainment::Daily(vec![(3, 1.0), (2, 0.5)]));
    assert!(StreamSet::new(vec![bad], 2, S, K).is_err());
    let bad = aggregated_stream().with_ascertainment(Ascertainment::Constant(-0.1));
    assert!(StreamSet::new(vec![bad], 2, S, K).is_err());
}

#[test]
fn daily_ascertainment_is_piecewise_constant() {
    let a = Ascertainment::Daily(vec![(5, 0.2), (10, 0.4), (20, 0.1)]);
    assert_eq!(a.at(1), 0.2); // before the first entry: the first value
    assert_eq!(a.at(5), 0.2);
    assert_eq!(a.at(9), 0.2);
    assert_eq!(a.at(10), 0.4);
    assert_eq!(a.at(19), 0.4);
    assert_eq!(a.at(20), 0.1);
    assert_eq!(a.at(500), 0.1);
    assert_eq!(Ascertainment::Constant(0.3).at(7), 0.3);
}

#[test]
fn simulate_draws_every_location() {
    let rows = rows();
    let set = toy_set();
    let h = history(&rows, 4, 3);
    let a = set.simulate(4, &h, &mut ChaCha8Rng::seed_from_u64(9));
    let b = set.simulate(4, &h, &mut ChaCha8Rng::seed_from_u64(9));
    assert_eq!(a, b);
    let keys: Vec<(usize, usize)> = a.iter().map(|&(s, l, _)| (s, l)).collect();
    assert_eq!(keys, [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (1, 3)]);
    assert!(a.iter().all(|&(_, _, v)| v >= 0.0 && v.fract() == 0.0));
}

/// Negative binomial data simulated from a known model output: the
/// likelihood over scalings c of that output peaks near c = 1.
#[test]
fn negbinomial_likelihood_peaks_at_the_true_scaling() {
    let n_units = 3;
    let n_days = 80;
    // One stratum, one observable: a wave per unit.
    let truth: Vec<Vec<f64>> = (1..=n_days)
        .map(|t| {
            (0..n_units)
                .map(|u| {
                    let peak = 30.0 + 8.0 * u as f64;
                    20.0 + 300.0 * (-((t as f64 - peak) / 12.0).powi(2)).exp()
                })
                .collect()
        })
        .collect();
    let unit_names: Vec<String> = (0..n_units).map(|u| format!("cell{u}")).collect();
    let agg = Aggregation::identity(&unit_names, 1, StrataMode::AllStrata).unwrap();
    let template = Stream::new("obs", 0, agg)
        .with_delay(Delay::discretised_gamma(4.0, 2.0, 12).unwrap())
        .with_ascertainment(Ascertainment::Constant(0.4))
        .with_noise(Noise::NegBinomial { dispersion: 8.0 });
    let sim = StreamSet::new(vec![template.clone()], n_units, 1, 1).unwrap();
    let w = sim.window();

    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut stream = template;
    for day in 1..=n_days {
        let h = history(&truth, day, w);
        for (_, loc, value) in sim.simulate(day, &h, &mut rng) {
            let name = unit_names[loc].clone();
            stream.insert(day, &name, None, value).unwrap();
        }
    }
    let set = StreamSet::new(vec![stream], n_units, 1, 1).unwrap();

    let grid: Vec<f64> = (0..=50).map(|i| 0.5 + 0.02 * i as f64).collect();
    let lls: Vec<f64> = grid
        .iter()
        .map(|c| {
            let scaled: Vec<Vec<f64>> = truth
                .iter()
                .map(|r| r.iter().map(|x| c * x).collect())
                .collect();
            (1..=n_days)
                .map(|day| set.log_lik(day, &[], &history(&scaled, day, w)))
                .sum()
        })
        .collect();
    let best = lls
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| grid[i])
        .unwrap();
    println!("best scaling {best}");
    assert!((best - 1.0).abs() <= 0.1, "best scaling {best}");
    // And it is a real peak: both ends of the grid are much worse.
    let top = lls.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    assert!(lls[0] < top - 20.0 && lls[50] < top - 20.0, "{lls:?}");
}

#[test]
fn a_compact_set_reads_only_its_observables_with_the_same_numbers() {
    // Both toy streams read observable 1 of 2: the compact set keeps, per
    // cell, that one column of each row.
    let rows = rows();
    let full = toy_set();
    assert_eq!(full.history_columns(), None);
    let compact = toy_set().compact();
    assert_eq!(compact.history_columns(), Some(&[1, 3, 5, 7][..]));
    let narrow: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| [1, 3, 5, 7].iter().map(|&c| r[c]).collect())
        .collect();
    for day in 1..=4 {
        let (h, hn) = (history(&rows, day, 3), history(&narrow, day, 3));
        assert_eq!(full.expected(day, &h), compact.expected(day, &hn));
        assert_eq!(
            full.log_lik(day, &[], &h).to_bits(),
            compact.log_lik(day, &[], &hn).to_bits()
        );
        // Whole rows still read the same on the compact set.
        assert_eq!(full.expected(day, &h), compact.expected(day, &h));
    }
    // Compacting twice, or a set that reads every observable, changes nothing.
    let again = toy_set().compact().compact();
    assert_eq!(again.history_columns(), compact.history_columns());
    let mut all = per_cell_stream();
    all.observable = 0;
    let both = StreamSet::new(vec![aggregated_stream(), all], 2, S, K)
        .unwrap()
        .compact();
    assert_eq!(both.history_columns(), None);
}
