//! Partial pooling of the per-patch transmission multipliers: each day a
//! patch's log multiplier moves a share θ of the way to the member's mean
//! over patches, and the walk's noise comes on top.

mod common;

use common::*;
use didymos_core::{Ensemble, RunOptions};
use didymos_epi::mmca::{MmcaModel, ProcessNoise};

fn model(noise: ProcessNoise) -> MmcaModel {
    MmcaModel::new(toy3(10, config_epi(), Vec::new()))
        .unwrap()
        .with_process_noise(noise)
        .unwrap()
}

fn log_scales(ens: &Ensemble<'_, MmcaModel>, member: usize) -> Vec<f64> {
    let first = ens.model().first_patch_scale();
    ens.params(member)[first..].iter().map(|x| x.ln()).collect()
}

#[test]
fn pooling_without_noise_halves_each_departure_from_the_mean() {
    let m = model(ProcessNoise {
        log_beta_pooling: 0.5,
        ..ProcessNoise::default()
    });
    let mut ens = Ensemble::from_priors(&m, 2, 3).unwrap();
    let first = m.first_patch_scale();
    let start = [1.2, -0.6, 0.3];
    assert_eq!(
        ens.params(0).len() - first,
        start.len(),
        "toy3 has 3 patches"
    );
    for member in 0..2 {
        for (x, l) in ens.params_mut(member)[first..].iter_mut().zip(start) {
            *x = f64::exp(l);
        }
    }
    ens.step(&RunOptions::default());
    let mean = start.iter().sum::<f64>() / 3.0;
    for member in 0..2 {
        for (got, l) in log_scales(&ens, member).iter().zip(start) {
            let want = mean + 0.5 * (l - mean);
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }
}

#[test]
fn pooling_keeps_patches_together_under_noise() {
    // Over 200 days of independent walks the patches spread apart (sd of
    // log b across patches grows like σ√t); pooled, the spread settles near
    // σ/√(2θ).
    let spread = |theta: f64| {
        let m = MmcaModel::new(toy3(201, config_epi(), Vec::new()))
            .unwrap()
            .with_process_noise(ProcessNoise {
                log_beta_patch_sd: 0.05,
                log_beta_pooling: theta,
                ..ProcessNoise::default()
            })
            .unwrap();
        let mut ens = Ensemble::from_priors(&m, 64, 11).unwrap();
        ens.run_to(201, &RunOptions::default(), |_| {});
        let mut total = 0.0;
        for member in 0..ens.len() {
            let l = log_scales(&ens, member);
            let mean = l.iter().sum::<f64>() / l.len() as f64;
            total += l.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (l.len() - 1) as f64;
        }
        (total / ens.len() as f64).sqrt()
    };
    let (free, pooled) = (spread(0.0), spread(0.1));
    assert!(free > 0.5, "independent walks spread: {free}");
    assert!(pooled < 0.2, "pooled walks stay together: {pooled}");
}

#[test]
fn pooling_rate_must_be_below_one() {
    for bad in [1.0, -0.1, f64::NAN] {
        let err = MmcaModel::new(toy3(10, config_epi(), Vec::new()))
            .unwrap()
            .with_process_noise(ProcessNoise {
                log_beta_pooling: bad,
                ..ProcessNoise::default()
            })
            .err()
            .expect("rejected");
        assert!(err.to_string().contains("log_beta_pooling"), "{err}");
    }
}
