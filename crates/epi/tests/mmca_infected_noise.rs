//! Multiplicative noise on each patch's infected compartments
//! (`ProcessNoise::log_infected_sd`): one log-normal factor of mean 1 per
//! patch and day scales E, A and I, the difference moving to or from S, so
//! every (patch, stratum) still sums to 1.

mod common;

use common::*;
use didymos_core::{Ensemble, Model, RunOptions};
use didymos_epi::mmca::{Compartment, MmcaModel, ProcessNoise};

fn model(days: usize, sd: f64) -> MmcaModel {
    model_with(days, sd, config_epi())
}

fn model_with(days: usize, sd: f64, epi: didymos_epi::mmca::EpiParams) -> MmcaModel {
    MmcaModel::new(toy3(days, epi, Vec::new()))
        .unwrap()
        .with_process_noise(ProcessNoise {
            log_infected_sd: sd,
            ..ProcessNoise::default()
        })
        .unwrap()
}

fn infected(m: &MmcaModel, state: &[f64], patch: usize) -> f64 {
    let g_n = m.layout().strata.len();
    (0..g_n)
        .map(|g| {
            [Compartment::E, Compartment::A, Compartment::I]
                .iter()
                .map(|&c| m.persons(state, patch, g, c))
                .sum::<f64>()
        })
        .sum()
}

#[test]
fn one_days_factor_is_lognormal_with_mean_one() {
    // With every transition rate 0 the day changes nothing but the noise,
    // so each patch's infected persons are multiplied by exactly the drawn
    // factor exp(σε − σ²/2): its log has mean −σ²/2 and sd σ.
    let still = didymos_epi::mmca::EpiParams {
        beta_i: 0.0,
        beta_a: 0.0,
        eta: vec![0.0; 3],
        alpha: vec![0.0; 3],
        mu: vec![0.0; 3],
        ..config_epi()
    };
    let (n, sd) = (3000, 0.3);
    let m = model_with(5, sd, still);
    let mut ens = Ensemble::from_priors(&m, n, 5).unwrap();
    let before: Vec<Vec<f64>> = (0..n).map(|k| ens.state(k).to_vec()).collect();
    ens.step(&RunOptions::default());
    let mut logs = Vec::new();
    for (k, b) in before.iter().enumerate() {
        for patch in 0..3 {
            let (a, z) = (infected(&m, b, patch), infected(&m, ens.state(k), patch));
            if a > 0.0 {
                logs.push((z / a).ln());
            }
        }
    }
    assert!(logs.len() >= n, "seeded patches have infected persons");
    let k = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / k;
    let var = logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
    let want = -0.5 * sd * sd;
    assert!(
        (mean - want).abs() < 4.0 * (var / k).sqrt(),
        "mean log factor {mean:.4} vs {want:.4}"
    );
    // sd of a sample sd ≈ σ/√(2k): 4 of them is under 5% here.
    assert!(
        (var.sqrt() / sd - 1.0).abs() < 0.05,
        "log sd {:.4} vs {sd}",
        var.sqrt()
    );
}

#[test]
fn population_is_conserved_and_nothing_goes_negative_under_strong_noise() {
    let m = model(120, 1.5);
    let mut ens = Ensemble::from_priors(&m, 200, 9).unwrap();
    let stride = m.stride();
    for day in 1..120 {
        ens.step(&RunOptions::default());
        for member in 0..ens.len() {
            for (b, block) in ens.state(member).chunks_exact(stride).enumerate() {
                let total: f64 = block.iter().sum();
                let n = m.network().pop[b];
                if n > 0.0 {
                    assert!((total - 1.0).abs() < 1e-12, "day {day}, block {b}: {total}");
                }
                assert!(
                    block.iter().all(|x| *x >= 0.0),
                    "day {day}, block {b}: {block:?}"
                );
            }
        }
    }
}

#[test]
fn a_negative_or_huge_sd_is_refused() {
    for sd in [-0.1, f64::NAN, 3.0] {
        let e = MmcaModel::new(toy3(10, config_epi(), Vec::new()))
            .unwrap()
            .with_process_noise(ProcessNoise {
                log_infected_sd: sd,
                ..ProcessNoise::default()
            })
            .err()
            .unwrap_or_else(|| panic!("sd {sd} accepted"));
        assert!(e.to_string().contains("log_infected_sd"), "{e}");
    }
}
