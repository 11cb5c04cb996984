//! EAKF against the exact Kalman filter on the linear-Gaussian model, and
//! estimation of a static parameter.

mod common;

use common::*;
use didymos_assim::{Eakf, EakfOptions, Quantity, StateRepair, Support, SupportFn};
use didymos_core::{Located, Prior};

const DATA_SEED: u64 = 20_151_116;

fn opts_no_repair() -> EakfOptions {
    EakfOptions {
        repair: StateRepair::None,
        ..EakfOptions::default()
    }
}

/// With a linear observation operator, Gaussian noise and serial scalar
/// updates (R diagonal), the EAKF is the Kalman filter up to sampling
/// error: the forecast step samples the process noise, so the ensemble
/// mean carries an error of order √(Pᵢᵢ/N) ≈ 0.02 here, which the updates
/// keep from growing (the filter is contractive). Over the 3 seeds × 4
/// components below the largest error at T is 3.6√(Pᵢᵢ/N) (0.069); we allow
/// 5√(Pᵢᵢ/N) per component and a 15% error on the filtered variances (the
/// largest seen is 4%).
#[test]
fn eakf_matches_kalman_filtered_means() {
    let model = LinGauss::new(LinGauss::default_space());
    let data = simulate(DATA_SEED, T, 0.9, 0.0, 1.0);
    let kf = kalman(&data, 0.9, 0.0, 1.0);
    let n = 2000;
    for seed in [1, 2, 3] {
        let mut f = Eakf::new(&model, &data, n, seed, opts_no_repair()).unwrap();
        f.advance_to(T).unwrap();
        assert_eq!(f.ensemble().day(), T);
        let mean = f.state_mean();
        let (m_kf, p_kf) = (kf.means[T - 1], kf.covs[T - 1]);
        for i in 0..4 {
            let tol = 5.0 * (p_kf[i][i] / n as f64).sqrt();
            let var: f64 = (0..n)
                .map(|m| (f.ensemble().state(m)[i] - mean[i]).powi(2))
                .sum::<f64>()
                / (n - 1) as f64;
            eprintln!(
                "seed {seed} x{i}: EAKF {:.4} KF {:.4} (err {:.4}, tol {tol:.4}); var {var:.4} vs {:.4}",
                mean[i],
                m_kf[i],
                (mean[i] - m_kf[i]).abs(),
                p_kf[i][i]
            );
            assert!((mean[i] - m_kf[i]).abs() <= tol, "seed {seed}, x{i}");
            assert!(
                (var / p_kf[i][i] - 1.0).abs() < 0.15,
                "seed {seed}, var x{i}"
            );
        }
    }
}

#[test]
fn eakf_estimates_a_static_offset() {
    // Truth: offset 1; prior N(0, 2²); compared with the exact posterior.
    let mut space = LinGauss::default_space();
    let prior = Prior::Normal { mean: 0.0, sd: 2.0 };
    space
        .set_prior("offset", prior.clone(), &Located::default())
        .unwrap();
    let model = LinGauss::new(space);
    let data = simulate(DATA_SEED + 1, T, 0.9, 1.0, 1.0);
    let mut f = Eakf::new(&model, &data, 1000, 5, opts_no_repair()).unwrap();
    f.advance_to(T).unwrap();
    let pm = f.param_mean();
    let e = f.ensemble();
    let sd = ((0..e.len())
        .map(|m| (e.params(m)[P_OFFSET] - pm[P_OFFSET]).powi(2))
        .sum::<f64>()
        / (e.len() - 1) as f64)
        .sqrt();
    let (post_mean, post_sd) = offset_posterior(&data, &prior);
    eprintln!(
        "offset: EAKF {:.3} ± {sd:.3}; exact posterior {post_mean:.3} ± {post_sd:.3} (truth 1)",
        pm[P_OFFSET]
    );
    // The offset is linear in the observations, so the EAKF posterior is
    // Gaussian-exact up to sampling error (~post_sd/√N ≈ 0.01).
    assert!((pm[P_OFFSET] - post_mean).abs() < 0.2 * post_sd, "{pm:?}");
    assert!(
        (sd / post_sd - 1.0).abs() < 0.15,
        "EAKF sd {sd} vs {post_sd}"
    );
    // Parameters that are not estimated stay where they were.
    assert!((0..e.len()).all(|m| e.params(m)[P_RHO] == 0.9 && e.params(m)[P_RSD] == 1.0));
}

#[test]
fn default_repair_clamps_states_and_inflation_widens() {
    let model = LinGauss::new(LinGauss::default_space());
    let data = simulate(DATA_SEED, T, 0.9, 0.0, 1.0);
    let mut f = Eakf::new(&model, &data, 200, 3, EakfOptions::default()).unwrap();
    f.advance_to(5).unwrap();
    let e = f.ensemble();
    assert!((0..e.len()).all(|m| e.state(m).iter().all(|&x| x >= 0.0)));
    let spread = |lambda: f64| {
        let opts = EakfOptions {
            inflation: lambda,
            ..opts_no_repair()
        };
        let mut f = Eakf::new(&model, &data, 200, 3, opts).unwrap();
        f.advance_to(T).unwrap();
        let mean = f.state_mean();
        let e = f.ensemble();
        (0..e.len())
            .map(|m| (e.state(m)[0] - mean[0]).powi(2))
            .sum::<f64>()
    };
    assert!(spread(1.1) > spread(1.0));
}

#[test]
fn eakf_incremental_equals_batch() {
    let model = LinGauss::new(LinGauss::default_space());
    let data = simulate(DATA_SEED, T, 0.9, 0.0, 1.0);
    let mut a = Eakf::new(&model, &data, 100, 8, opts_no_repair()).unwrap();
    a.advance_to(T).unwrap();
    let mut b = Eakf::new(&model, &data, 100, 8, opts_no_repair()).unwrap();
    for t in [1, 4, 4, 11, T] {
        b.advance_to(t).unwrap();
    }
    assert_eq!(a.state_mean(), b.state_mean());
}

/// Localisation on the 4-d model: observation 0 (y₁ = x₁ + x₃/2) reaches
/// x₁, x₃ and the offset; observation 1 (y₂ = x₂/2 + x₄) reaches x₂, x₄.
fn local_weight(j: usize, q: Quantity) -> f64 {
    match (j, q) {
        (0, Quantity::State(0 | 2)) | (1, Quantity::State(1 | 3)) => 1.0,
        (0, Quantity::Param(_)) => 0.5,
        _ => 0.0,
    }
}

#[test]
fn a_support_changes_nothing_but_what_is_asked() {
    // With a support covering every non-zero weight, the filter gives the
    // same ensemble bit for bit as when it asks the localiser about all.
    let model = LinGauss::new(LinGauss::default_space());
    let data = simulate(DATA_SEED, T, 0.9, 0.0, 1.0);
    let run = |support: Option<SupportFn>| {
        let opts = EakfOptions {
            inflation: 1.05,
            localize: Some(std::sync::Arc::new(|_d, j, q| local_weight(j, q))),
            support,
            ..opts_no_repair()
        };
        let mut f = Eakf::new(&model, &data, 60, 4, opts).unwrap();
        f.advance_to(T).unwrap();
        (f.state_mean(), f.param_mean())
    };
    let support: SupportFn = std::sync::Arc::new(|_d, j| Support {
        params: if j == 0 { vec![P_OFFSET] } else { vec![] },
        states: if j == 0 {
            vec![0..1, 2..3]
        } else {
            vec![1..2, 3..4]
        },
        predicted: vec![],
    });
    let all = run(None);
    let supported = run(Some(support));
    assert_eq!(all, supported);
    // A support that leaves out x₃ stops its update: the result differs.
    let narrow: SupportFn = std::sync::Arc::new(|_d, j| Support {
        params: if j == 0 { vec![P_OFFSET] } else { vec![] },
        states: if j == 0 {
            std::iter::once(0..1).collect()
        } else {
            vec![1..2, 3..4]
        },
        predicted: vec![],
    });
    assert_ne!(all.0, run(Some(narrow)).0);
}
