//! Bootstrap particle filter against the exact Kalman log-likelihood of a
//! linear-Gaussian model, plus determinism and collapse diagnostics.

mod common;

use common::*;
use didymos_assim::{ParticleFilter, PfOptions};
use didymos_core::{DataModel, RunOptions};

const DATA_SEED: u64 = 20_151_116;

fn pf_loglik(model: &LinGauss, data: &LgData, n: usize, seed: u64, opts: PfOptions) -> f64 {
    let mut pf = ParticleFilter::new(model, data, n, seed, opts).unwrap();
    pf.advance_to(T).unwrap();
    assert_eq!(pf.records().len(), T);
    pf.log_lik()
}

#[test]
fn pf_loglik_matches_kalman() {
    let model = LinGauss::new(LinGauss::default_space());
    let data = simulate(DATA_SEED, T, 0.9, 0.0, 1.0);
    let exact = kalman(&data, 0.9, 0.0, 1.0).log_lik;
    let runs: Vec<f64> = (1..=24)
        .map(|s| pf_loglik(&model, &data, 2000, s, PfOptions::default()))
        .collect();
    let k = runs.len() as f64;
    let mean = runs.iter().sum::<f64>() / k;
    let sd = (runs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
    let se = sd / k.sqrt();
    eprintln!("exact {exact:.4}, PF mean {mean:.4} ± {se:.4} (SE; sd {sd:.4}, {k} runs)");
    assert!(sd > 0.0 && sd < 1.0, "implausible PF spread {sd}");
    assert!(
        (mean - exact).abs() <= 3.0 * se,
        "PF {mean} ± {se} vs exact {exact}"
    );
}

#[test]
fn incremental_equals_batch_and_records() {
    let model = LinGauss::new(LinGauss::default_space());
    let data = simulate(DATA_SEED, T, 0.9, 0.0, 1.0);
    let mut a = ParticleFilter::new(&model, &data, 300, 7, PfOptions::default()).unwrap();
    a.advance_to(T).unwrap();
    let mut b = ParticleFilter::new(&model, &data, 300, 7, PfOptions::default()).unwrap();
    for t in [1, 1, 5, 6, 13, T] {
        b.advance_to(t).unwrap();
    }
    assert_eq!(a.log_lik().to_bits(), b.log_lik().to_bits());
    assert_eq!(a.records(), b.records());
    assert_eq!(a.state_mean(), b.state_mean());
    let total: f64 = a.records().iter().map(|r| r.log_lik).sum();
    assert!((total - a.log_lik()).abs() < 1e-9);
    assert!(a
        .records()
        .iter()
        .all(|r| r.ess > 0.0 && r.ess <= 300.0 + 1e-9));
    // Threshold 0.5 resamples only sometimes; 1.0 on every day.
    let every = PfOptions {
        resample_threshold: 1.0,
        ..PfOptions::default()
    };
    let mut c = ParticleFilter::new(&model, &data, 300, 7, every).unwrap();
    c.advance_to(T).unwrap();
    assert!(c.records().iter().all(|r| r.resampled));
    assert!(a.records().iter().any(|r| !r.resampled));
}

#[test]
fn bit_identical_across_threads_and_batches() {
    let model = LinGauss::new(LinGauss::default_space());
    let data = simulate(DATA_SEED, T, 0.9, 0.0, 1.0);
    let run = |threads: usize, batch: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let opts = PfOptions {
                resample_threshold: 0.5,
                run: RunOptions {
                    batch_size: Some(batch),
                    observe: true,
                },
                ..PfOptions::default()
            };
            pf_loglik(&model, &data, 500, 42, opts)
        })
    };
    let base = run(1, 1);
    for (t, b) in [(2, 1), (1, 16), (2, 16), (4, 7)] {
        assert_eq!(
            base.to_bits(),
            run(t, b).to_bits(),
            "threads {t}, batch {b}"
        );
    }
}

/// Data that no member can explain on day 3.
struct Impossible<'a>(&'a LgData);
impl DataModel for Impossible<'_> {
    fn window(&self) -> usize {
        1
    }
    fn has_data(&self, day: usize) -> bool {
        self.0.has_data(day)
    }
    fn log_lik(&self, day: usize, p: &[f64], h: &[&[f64]]) -> f64 {
        match day {
            3 => f64::NAN,
            _ => self.0.log_lik(day, p, h),
        }
    }
    fn observed(&self, day: usize) -> Vec<f64> {
        self.0.observed(day)
    }
    fn predict(&self, day: usize, p: &[f64], h: &[&[f64]], out: &mut [f64]) {
        self.0.predict(day, p, h, out)
    }
    fn error_variance(&self, day: usize, i: usize, m: f64) -> f64 {
        self.0.error_variance(day, i, m)
    }
}

#[test]
fn collapse_is_an_error_naming_the_day() {
    let model = LinGauss::new(LinGauss::default_space());
    let data = simulate(DATA_SEED, T, 0.9, 0.0, 1.0);
    let bad = Impossible(&data);
    let mut pf = ParticleFilter::new(&model, &bad, 100, 1, PfOptions::default()).unwrap();
    let err = pf.advance_to(T).unwrap_err().to_string();
    assert!(err.contains("day 3") && err.contains("0 of 100"), "{err}");
    assert!(pf.log_lik().is_finite());
    assert_eq!(pf.records().len(), 2);
}

/// Window 3; each member is scored on its latest row minus its own offset,
/// so the weights are those of the plain model.
struct Windowed<'a>(&'a LgData);
impl DataModel for Windowed<'_> {
    fn window(&self) -> usize {
        3
    }
    fn has_data(&self, day: usize) -> bool {
        self.0.has_data(day)
    }
    fn log_lik(&self, day: usize, p: &[f64], h: &[&[f64]]) -> f64 {
        assert!(h.len() == day.min(3), "day {day}: {} rows", h.len());
        let last: Vec<f64> = h[h.len() - 1].iter().map(|v| v - p[P_OFFSET]).collect();
        self.0.log_lik(day, p, &[&last])
    }
    fn observed(&self, day: usize) -> Vec<f64> {
        self.0.observed(day)
    }
    fn predict(&self, day: usize, p: &[f64], h: &[&[f64]], out: &mut [f64]) {
        self.0.predict(day, p, h, out)
    }
    fn error_variance(&self, day: usize, i: usize, m: f64) -> f64 {
        self.0.error_variance(day, i, m)
    }
}

#[test]
fn history_follows_members_through_resampling() {
    use didymos_core::{Ensemble, ParamDef, ParameterSpace, Transform};
    // Member m carries offset 1000·m into its observables, tagging every
    // history row with its lineage.
    let space = ParameterSpace::new(vec![
        ParamDef::new("rho", 0.9, (0.0, 1.0)),
        ParamDef::new("offset", 0.0, (-1e6, 1e6)),
        ParamDef::new("r_sd", 1.0, (1e-3, 100.0)).with_transform(Transform::Log),
    ]);
    let model = LinGauss::new(space);
    let data = simulate(DATA_SEED, T, 0.9, 0.0, 1.0);
    let wd = Windowed(&data);
    let n = 200;
    let params = (0..n).map(|m| vec![0.9, 1000.0 * m as f64, 1.0]).collect();
    let ens = Ensemble::with_params(&model, params, 4).unwrap();
    let opts = PfOptions {
        resample_threshold: 1.0,
        ..PfOptions::default()
    };
    let mut pf = ParticleFilter::from_ensemble(ens, &wd, opts).unwrap();
    pf.advance_to(T).unwrap();
    let e = pf.ensemble();
    let mut distinct: Vec<f64> = (0..n).map(|m| e.params(m)[P_OFFSET]).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    assert!(
        distinct.len() < n,
        "resampling should have duplicated members"
    );
    for m in 0..n {
        let rows = pf.history().rows(m);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2], e.observation(m));
        for r in rows {
            assert!(r.iter().all(|v| (v - e.params(m)[P_OFFSET]).abs() < 100.0));
        }
    }
}
