//! When one observation is far beyond what any member predicts, the
//! particle filter's weights degenerate onto one member; its record for
//! that day names the stream, location and value responsible.

mod common;

use common::*;
use didymos_assim::{ParticleFilter, PfOptions};
use didymos_core::rng::member_rng;
use didymos_core::{DataModel, Model};

const T: usize = 30;
const BAD_DAY: usize = 20;

#[test]
fn a_degenerate_day_names_the_observation_behind_it() {
    let model = model(T, 0.05, 0.3);
    let stream = infections_stream(&model, 20.0);
    let template = stream_set(&model, vec![stream.clone()]);
    let params = model
        .parameters()
        .draw(&mut member_rng(5, 0, 1))
        .expect("truth draw");
    let mut truth = simulate_truth(&model, params, &template, T, 5);
    // A reporting error: one location's count is multiplied a thousandfold.
    truth.data[BAD_DAY - 1][1] = truth.data[BAD_DAY - 1][1] * 1000.0 + 5000.0;
    let data = observed(&model, &stream, &truth, T);
    let location = &data.streams()[0].aggregation.locations()[1].location;

    let mut pf = ParticleFilter::new(&model, &data, 200, 9, PfOptions::default()).unwrap();
    pf.advance_to(T).unwrap();
    let bad = pf.records().iter().find(|r| r.day == BAD_DAY).unwrap();
    assert!(bad.ess < 2.0, "ESS {}", bad.ess);
    let said = bad
        .dominant
        .as_deref()
        .expect("a degenerate day is explained");
    assert!(
        said.contains("stream `cases`")
            && said.contains(&format!(
                "location `{location}`: observed {}",
                truth.data[BAD_DAY - 1][1]
            )),
        "{said}"
    );
    // Days the weights stay spread say nothing.
    assert!(pf
        .records()
        .iter()
        .filter(|r| r.ess >= 2.0)
        .all(|r| r.dominant.is_none()));
}

#[test]
fn the_terms_add_up_to_the_log_likelihood() {
    let model = model(T, 0.05, 0.3);
    let stream = infections_stream(&model, 20.0);
    let template = stream_set(&model, vec![stream.clone()]);
    let params = model.parameters().values();
    let truth = simulate_truth(&model, params.clone(), &template, T, 6);
    let data = observed(&model, &stream, &truth, T);
    let day = 15;
    let from = day - data.window().min(day);
    let hist: Vec<&[f64]> = truth.obs[from..day].iter().map(Vec::as_slice).collect();
    let terms = data.log_lik_terms(day, &params, &hist).unwrap();
    assert_eq!(terms.len(), data.observed(day).len());
    let total = data.log_lik(day, &params, &hist);
    let sum: f64 = terms.iter().sum();
    assert!(
        (sum - total).abs() <= 1e-12 * total.abs(),
        "{sum} vs {total}"
    );
}
