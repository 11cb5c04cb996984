//! Precipitation + groundwater exchange = actual ET + discharge + Δstorage,
//! where storage counts snow, both stores and both unit-hydrograph buffers.

mod common;
use common::*;
use didymos_core::{Ensemble, Model, RunOptions};
use didymos_hydro::model::OBSERVABLES;
use didymos_hydro::Gr4jOptions;

fn obs_index(name: &str) -> usize {
    OBSERVABLES.iter().position(|o| *o == name).unwrap()
}

#[test]
fn noise_free_run_closes_to_rounding() {
    let b = basin(&bundled_dir(), "01022500");
    // Exchange both ways and a long UH: every store matters.
    for p in [
        [350.0, 0.0, 90.0, 1.7, 0.25, 3.7],
        [254.0, -2.0, 190.0, 3.3, 0.9, 6.5],
        [800.0, 1.5, 40.0, 9.7, 0.0, 10.0],
    ] {
        let sim = b.model.simulate(&p).unwrap();
        let mut residual = 0.0;
        let mut before = sim.initial_storage;
        for d in 0..sim.discharge.len() {
            let inflow = sim.precipitation[d] + sim.exchange[d];
            let out = sim.actual_et[d] + sim.discharge[d] + sim.storage[d] - before;
            residual += inflow - out;
            before = sim.storage[d];
        }
        assert!(residual.abs() <= 1e-9, "{p:?}: residual {residual:e} mm");
        assert!(sim.exchange.iter().any(|e| *e != 0.0) || p[1] == 0.0);
    }
}

#[test]
fn every_member_of_a_noisy_ensemble_closes() {
    let b = basin(&bundled_dir(), "01022500");
    // Precipitation noise keeps the balance (the member's own precipitation
    // is observed); routing noise would not, so it stays off.
    let opts = Gr4jOptions {
        precip_log_sd: 0.4,
        ..Default::default()
    };
    let model = b.model.with_options(opts).unwrap();
    let mut ens = Ensemble::from_priors(&model, 4, 11).unwrap();
    let (p, e, aet, q, s) = (
        obs_index("precipitation"),
        obs_index("groundwater_exchange"),
        obs_index("actual_et"),
        obs_index("discharge"),
        obs_index("storage"),
    );
    let start: Vec<f64> = (0..4).map(|m| ens.observation(m)[s]).collect();
    let mut residual = [0.0; 4];
    let mut snow_seen = false;
    ens.run_to(model.calendar().n_days(), &RunOptions::default(), |ens| {
        for (m, r) in residual.iter_mut().enumerate() {
            let o = ens.observation(m);
            *r += o[p] + o[e] - o[aet] - o[q];
            snow_seen |= o[obs_index("snow_pack")] > 10.0;
        }
    });
    for (m, r) in residual.iter().enumerate() {
        let ds = ens.observation(m)[s] - start[m];
        assert!((r - ds).abs() <= 1e-9, "member {m}: {:e}", r - ds);
    }
    assert!(snow_seen, "the Maine winters should build a snow pack");
}
