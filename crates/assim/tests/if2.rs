//! IF2 on the linear-Gaussian model with the observation noise sd unknown:
//! from a wrong start it should reach the maximum of the exact (Kalman)
//! likelihood, found here by a grid search.

mod common;

use common::*;
use didymos_assim::{if2, If2Options};

#[test]
fn if2_finds_the_kalman_mle_of_the_noise_sd() {
    let model = LinGauss::new(LinGauss::default_space());
    let data = simulate(20_151_116, T, 0.9, 0.0, 1.0);
    let ll = |r: f64| kalman(&data, 0.9, 0.0, r).log_lik;
    let (mle, ll_max) = (0..=540)
        .map(|i| 0.3 + 0.005 * i as f64)
        .map(|r| (r, ll(r)))
        .fold(
            (0.0, f64::NEG_INFINITY),
            |b, x| if x.1 > b.1 { x } else { b },
        );
    let opts = If2Options {
        iterations: 50,
        particles: 1000,
        rw_sd: vec![("r_sd".into(), 0.05)],
        ..If2Options::default()
    };
    let start = [0.9, 0.0, 3.0];
    let res = if2(&model, &data, &start, T, 11, &opts).unwrap();
    let est = res.estimate[P_RSD];
    eprintln!(
        "MLE r_sd {mle:.3} (ll {ll_max:.3}); IF2 {est:.3} (ll {:.3}); trace {:.2} → {:.2}",
        ll(est),
        res.log_lik[0],
        res.log_lik[res.log_lik.len() - 1]
    );
    assert_eq!(res.log_lik.len(), 50);
    assert_eq!(res.swarm.len(), 1000);
    assert_eq!(res.estimate[P_RHO], 0.9);
    // Within 10% of the MLE, and within 0.5 log-likelihood units of the max.
    assert!((est / mle).ln().abs() < 0.1, "IF2 {est} vs MLE {mle}");
    assert!(ll(est) > ll_max - 0.5);
    assert!(res.log_lik[49] > res.log_lik[0] + 5.0);
}

#[test]
fn if2_is_deterministic_across_threads() {
    let model = LinGauss::new(LinGauss::default_space());
    let data = simulate(3, T, 0.9, 0.0, 1.0);
    let opts = If2Options {
        iterations: 3,
        particles: 200,
        rw_sd: vec![("r_sd".into(), 0.05), ("rho".into(), 0.05)],
        ..If2Options::default()
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| if2(&model, &data, &[0.8, 0.0, 2.0], T, 5, &opts).unwrap())
    };
    let (a, b) = (run(1), run(3));
    assert_eq!(a.estimate, b.estimate);
    assert_eq!(a.log_lik, b.log_lik);
    assert!(a.estimate[P_RHO] != 0.8 && a.estimate[P_RSD] != 2.0);
}
