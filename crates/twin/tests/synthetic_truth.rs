//! Synthetic-truth recovery: data drawn from the MMCA toy twin itself (a
//! known `beta_scale` path from the model's own log random walk, recorded as
//! the truth; a gamma reporting delay; negative-binomial noise, drawn with
//! `StreamSet::simulate`). Over many replicate data sets, the particle
//! filter's 90% interval for `beta_scale` on the last data day and the 90%
//! predictive interval for the 14-day total of the observed stream must
//! cover the truth in 80–97% of replicates (100 replicates: a calibrated
//! 90% interval falls outside that band with probability < 1%).
//!
//! The truth's initial `beta_scale` is drawn from the same prior the filter
//! uses and its path from the same process noise, so the posterior is
//! calibrated by construction (up to Monte Carlo error of the filter).
//!
//! Checked when written: these seeds give 85/100 (beta_scale) and 88/100
//! (14-day total); two other seed sets gave 88/87 and 93/94 (pooled 266/300
//! and 269/300). A filter whose random walk is too small (sd 0.01 against a
//! truth of 0.04) fails: 38/100 and 64/100. A fixed step path (1.0, then 1.4
//! from day 16) is not a draw from the filter's prior, so the Bayesian
//! coverage argument does not hold for it: it over-covers (100/100 for
//! beta_scale), which is why the truth here is a random-walk draw.

mod common;

use common::*;
use didymos_core::rng::member_rng;
use didymos_core::Model;
use didymos_epi::mmca::BETA_SCALE;
use didymos_twin::predict::forecast;

/// Last day with data.
const T: usize = 30;
const HORIZON: usize = 14;
/// Random-walk sd of log beta_scale per day (truth and filter alike).
const SD: f64 = 0.04;
/// Prior sd of log beta_scale on day 1 (truth drawn from it too).
const PRIOR_SD: f64 = 0.2;
const DISPERSION: f64 = 20.0;
const PARTICLES: usize = 500;
const REPLICATES: usize = 100;

#[test]
fn particle_filter_recovers_synthetic_truth() {
    let model = model(T + HORIZON, SD, PRIOR_SD);
    let stream = infections_stream(&model, DISPERSION);
    let template = stream_set(&model, vec![stream.clone()]);
    let (mut beta_in, mut total_in) = (0, 0);
    let mut misses = Vec::new();
    for r in 0..REPLICATES {
        let seed = 10_000 + r as u64;
        let params = model
            .parameters()
            .draw(&mut member_rng(seed, 0, 0x5052_494f))
            .expect("truth draw");
        let truth = simulate_truth(&model, params, &template, T + HORIZON, seed);
        let data = observed(&model, &stream, &truth, T);

        let mut filter = pf(&model, &data, PARTICLES, 777 + r as u64);
        filter.advance_to(T).expect("filter");
        let ens = filter.ensemble();
        let log_w = filter.log_weights();
        let betas: Vec<f64> = (0..ens.len()).map(|m| ens.params(m)[BETA_SCALE]).collect();
        let (lo, hi) = (
            weighted_quantile(&betas, &log_w, 0.05),
            weighted_quantile(&betas, &log_w, 0.95),
        );
        let b = truth.beta[T - 1];
        let beta_ok = lo <= b && b <= hi;

        let fc = forecast(ens, filter.history(), &log_w, &data, HORIZON, 99 + r as u64)
            .expect("forecast");
        let total = fc[0].locations.len() - 1;
        assert_eq!(fc[0].locations[total], "total");
        let samples = fc[0].summed(total, 1, HORIZON);
        let (flo, fhi) = (quantile(&samples, 0.05), quantile(&samples, 0.95));
        let y: f64 = (T + 1..=T + HORIZON)
            .map(|d| truth.data[d - 1].iter().sum::<f64>())
            .sum();
        let total_ok = flo <= y && y <= fhi;

        eprintln!(
            "rep {r:2}: beta truth {b:.3} in [{lo:.3}, {hi:.3}] {beta_ok}; \
             14-day total {y} in [{flo}, {fhi}] {total_ok}; cases on day {T}: {:?}",
            truth.data[T - 1]
        );
        beta_in += beta_ok as usize;
        total_in += total_ok as usize;
        if !(beta_ok && total_ok) {
            misses.push(r);
        }
    }
    let share = |k: usize| k as f64 / REPLICATES as f64;
    let ok = |k: usize| (0.80..=0.97).contains(&share(k));
    assert!(
        ok(beta_in) && ok(total_in),
        "coverage of the 90% intervals over {REPLICATES} replicates: beta_scale {beta_in}/{REPLICATES}, \
         14-day total {total_in}/{REPLICATES} (each must lie in 80–97%); replicates with a miss: {misses:?}"
    );
    eprintln!("coverage: beta_scale {beta_in}/{REPLICATES}, 14-day total {total_in}/{REPLICATES}");
}
