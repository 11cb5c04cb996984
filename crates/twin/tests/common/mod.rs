//! Shared helpers for the twin integration tests: a small MMCA toy built
//! directly in Rust (after crates/epi/tests/common), synthetic data drawn
//! with `StreamSet::simulate`, and small utilities.
#![allow(dead_code)]

use didymos_assim::{Eakf, ParticleFilter, PfOptions};
use didymos_core::observation::{Aggregation, Delay, Noise, StrataMode, Stream, StreamSet};
use didymos_core::rng::member_rng;
use didymos_core::{Calendar, Date, Ensemble, Located, Model, Prior, RunOptions, Timeline};
use didymos_epi::filtering::mmca_eakf_options;
use didymos_epi::mmca::{
    Edge, EpiParams, Metapopulation, MmcaModel, MmcaSetup, PopulationParams, ProcessNoise, Seed,
    BETA_SCALE,
};
use didymos_twin::filter::Filter;

/// Index of `new_infected` among the MMCA observables.
pub const NEW_INFECTED: usize = 0;

pub fn calendar(n_days: usize) -> Calendar {
    let start: Date = "2020-02-09".parse().expect("valid date");
    Calendar::new(start, start.add_days(n_days as i32 - 1)).expect("end >= start")
}

/// EpiSim MITMA-example rates for one stratum ("M").
fn epi_one() -> EpiParams {
    EpiParams {
        beta_i: 0.0903,
        beta_a: 0.046053,
        eta: vec![0.2747252747252747],
        alpha: vec![0.641025641025641],
        mu: vec![0.3125],
        theta: vec![0.0],
        gamma: vec![0.01],
        zeta: vec![0.12820512820512822],
        lambda: vec![1.0],
        omega: vec![0.04],
        psi: vec![0.14285714285714285],
        chi: vec![0.047619047619047616],
    }
}

fn population_one() -> PopulationParams {
    PopulationParams {
        strata: vec!["M".into()],
        contact: vec![vec![1.0]],
        k: vec![13.3],
        k_home: vec![3.17],
        k_work: vec![5.18],
        p_mobility: vec![1.0],
        xi: 0.01,
        sigma: 2.5,
    }
}

/// Two patches ("A", "B"), one stratum, commuting A → B and B → A, seeded
/// in A. Small enough to filter hundreds of particles in a debug build.
pub fn toy2(n_days: usize) -> MmcaSetup {
    MmcaSetup {
        calendar: calendar(n_days),
        epi: epi_one(),
        population: population_one(),
        metapopulation: Metapopulation {
            ids: vec!["A".into(), "B".into()],
            area: vec![120.0, 35.5],
            population: vec![vec![60000.0], vec![25000.0]],
        },
        edges: vec![
            Edge {
                source: 0,
                target: 0,
                ratio: 0.8,
            },
            Edge {
                source: 0,
                target: 1,
                ratio: 0.2,
            },
            Edge {
                source: 1,
                target: 0,
                ratio: 0.3,
            },
            Edge {
                source: 1,
                target: 1,
                ratio: 0.7,
            },
        ],
        seeds: vec![Seed {
            patch: 0,
            counts: vec![20.0],
        }],
        containments: Timeline::from_iter(Vec::new()),
    }
}

/// The toy model with a log-scale random walk on `beta_scale` (sd `sd` per
/// day) and, if `prior_sd > 0`, a log-normal prior LN(0, prior_sd) on the
/// initial `beta_scale`.
pub fn model(n_days: usize, sd: f64, prior_sd: f64) -> MmcaModel {
    let mut m = MmcaModel::new(toy2(n_days))
        .expect("toy model")
        .with_process_noise(ProcessNoise {
            log_beta_sd: sd,
            log_beta_patch_sd: 0.0,
            ..ProcessNoise::default()
        })
        .expect("noise");
    if prior_sd > 0.0 {
        m.parameters_mut()
            .set_prior(
                "beta_scale",
                Prior::LogNormal {
                    mu: 0.0,
                    sigma: prior_sd,
                },
                &Located::default(),
            )
            .expect("prior");
    }
    m
}

/// The toy model with per-patch random walks too (for the EAKF, which
/// estimates `beta_scale.<patch>`), and log-normal priors on them.
pub fn model_patchwise(n_days: usize, sd: f64) -> MmcaModel {
    let mut m = MmcaModel::new(toy2(n_days))
        .expect("toy model")
        .with_process_noise(ProcessNoise {
            log_beta_sd: 0.0,
            log_beta_patch_sd: sd,
            ..ProcessNoise::default()
        })
        .expect("noise");
    for id in ["A", "B"] {
        m.parameters_mut()
            .set_prior(
                &format!("beta_scale.{id}"),
                Prior::LogNormal {
                    mu: 0.0,
                    sigma: 0.2,
                },
                &Located::default(),
            )
            .expect("prior");
    }
    m
}

/// The observed stream: new infections per patch, a gamma reporting delay
/// (mean 3 d, sd 1.5 d), ascertainment 1, negative-binomial noise.
pub fn infections_stream(model: &MmcaModel, dispersion: f64) -> Stream {
    let layout = model.layout();
    let agg = Aggregation::identity(&layout.units, layout.strata.len(), StrataMode::AllStrata)
        .expect("aggregation");
    Stream::new("cases", NEW_INFECTED, agg)
        .with_delay(Delay::discretised_gamma(3.0, 1.5, 8).expect("delay"))
        .with_noise(Noise::NegBinomial { dispersion })
}

pub fn stream_set(model: &MmcaModel, streams: Vec<Stream>) -> StreamSet {
    let l = model.layout();
    StreamSet::new(
        streams,
        l.units.len(),
        l.strata.len(),
        model.observables().len(),
    )
    .expect("stream set")
}

/// The truth: one member with the given parameters, stepped with the
/// model's own process noise (stream keyed by `seed`).
pub struct Truth {
    /// `beta_scale` on each day (index 0 = day 1).
    pub beta: Vec<f64>,
    /// Observation rows (index 0 = day 1).
    pub obs: Vec<Vec<f64>>,
    /// Simulated data: `data[day-1][location]` for every day.
    pub data: Vec<Vec<f64>>,
}

/// Run one member from `params` to `n_days` and draw data for each day with
/// `StreamSet::simulate` on a template stream set (its own data unused).
pub fn simulate_truth(
    model: &MmcaModel,
    params: Vec<f64>,
    template: &StreamSet,
    n_days: usize,
    seed: u64,
) -> Truth {
    use didymos_core::DataModel;
    let mut ens = Ensemble::with_params(model, vec![params], seed).expect("truth ensemble");
    let window = template.window();
    let mut rng = member_rng(seed, 0, 0x5452_5554);
    let mut t = Truth {
        beta: vec![ens.params(0)[BETA_SCALE]],
        obs: vec![ens.observation(0).to_vec()],
        data: Vec::new(),
    };
    let opts = RunOptions::default();
    loop {
        let day = ens.day();
        let from = t.obs.len().saturating_sub(window);
        let hist: Vec<&[f64]> = t.obs[from..].iter().map(Vec::as_slice).collect();
        let draws = template.simulate(day, &hist, &mut rng);
        let n_loc = template.streams()[0].aggregation.len();
        let mut row = vec![0.0; n_loc];
        for (s, l, v) in draws {
            if s == 0 {
                row[l] = v;
            }
        }
        t.data.push(row);
        if day >= n_days {
            break;
        }
        ens.step(&opts);
        t.beta.push(ens.params(0)[BETA_SCALE]);
        t.obs.push(ens.observation(0).to_vec());
    }
    t
}

/// A stream set carrying `truth.data` on days `1..=last` (every location).
pub fn observed(model: &MmcaModel, stream: &Stream, truth: &Truth, last: usize) -> StreamSet {
    let mut s = stream.clone();
    s.data.clear();
    for day in 1..=last {
        s.data
            .insert(day, truth.data[day - 1].iter().map(|&v| Some(v)).collect());
    }
    stream_set(model, vec![s])
}

/// Weighted quantile of `xs` with log-weights `log_w` (inverse of the
/// weighted empirical CDF).
pub fn weighted_quantile(xs: &[f64], log_w: &[f64], q: f64) -> f64 {
    let max = log_w.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut pairs: Vec<(f64, f64)> = xs
        .iter()
        .zip(log_w)
        .map(|(&x, &l)| (x, (l - max).exp()))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    for (x, w) in &pairs {
        acc += w / total;
        if acc >= q {
            return *x;
        }
    }
    pairs.last().expect("non-empty").0
}

/// Unweighted empirical quantile (type 1).
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    let zeros = vec![0.0; xs.len()];
    weighted_quantile(xs, &zeros, q)
}

pub fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

pub fn pf<'a>(
    model: &'a MmcaModel,
    data: &'a StreamSet,
    n: usize,
    seed: u64,
) -> Filter<'a, MmcaModel, StreamSet> {
    Filter::Particle(ParticleFilter::new(model, data, n, seed, PfOptions::default()).expect("pf"))
}

pub fn eakf<'a>(
    model: &'a MmcaModel,
    data: &'a StreamSet,
    n: usize,
    seed: u64,
) -> Filter<'a, MmcaModel, StreamSet> {
    let opts = mmca_eakf_options(model, data, 1.02);
    Filter::Eakf(Eakf::new(model, data, n, seed, opts).expect("eakf"))
}
