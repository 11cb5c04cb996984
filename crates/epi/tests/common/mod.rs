//! Shared helpers for the MMCA integration tests: toy setups built directly
//! in Rust, a point-parameter runner that records every day, and indexing.
#![allow(dead_code)]

use didymos_core::{Calendar, Date, Ensemble, Model, RunOptions, Timeline};
use didymos_epi::mmca::{
    Containment, Edge, EpiParams, Metapopulation, MmcaModel, MmcaSetup, PopulationParams, Seed,
};

/// Compartments per (patch, stratum).
pub const NC: usize = 11;
pub const S: usize = 0;
pub const E: usize = 1;
pub const A: usize = 2;
pub const I: usize = 3;
pub const PH: usize = 4;
pub const PD: usize = 5;
pub const HR: usize = 6;
pub const HD: usize = 7;
pub const R: usize = 8;
pub const D: usize = 9;
pub const CH: usize = 10;
pub const NAMES: [&str; NC] = ["S", "E", "A", "I", "PH", "PD", "HR", "HD", "R", "D", "CH"];

/// Observables per (patch, stratum).
pub const NO: usize = 4;
pub const NEW_INFECTED: usize = 0;
pub const NEW_HOSPITALIZED: usize = 1;
pub const NEW_DEATHS: usize = 2;
pub const HOSPITAL_OCCUPANCY: usize = 3;

pub fn date(s: &str) -> Date {
    s.parse().expect("valid date")
}

/// A calendar of `n_days` days starting on 2020-02-09 (day 1).
pub fn calendar(n_days: usize) -> Calendar {
    let start = date("2020-02-09");
    Calendar::new(start, start.add_days(n_days as i32 - 1)).expect("end >= start")
}

/// State index of (patch, stratum, compartment).
pub fn sx(g_n: usize, patch: usize, g: usize, c: usize) -> usize {
    (patch * g_n + g) * NC + c
}

/// Observation index of (patch, stratum, observable).
pub fn ox(g_n: usize, patch: usize, g: usize, k: usize) -> usize {
    (patch * g_n + g) * NO + k
}

pub fn containment(kappa0: f64, phi: f64, delta: f64) -> Containment {
    Containment { kappa0, phi, delta }
}

pub fn timeline(events: Vec<(usize, Containment)>) -> Timeline<Containment> {
    Timeline::from_iter(events)
}

/// The epidemic rates of /work/shared/data/epidemic/mitma_zones/
/// config_MMCACovid19.json (EpiSim's MITMA example), strata Y, M, O.
/// βᴬ = scale_β·βᴵ = 0.51·0.0903 = 0.046053, as in the file.
pub fn config_epi() -> EpiParams {
    EpiParams {
        beta_i: 0.0903,
        beta_a: 0.046053,
        eta: vec![0.2747252747252747; 3],
        alpha: vec![0.26595744680851063, 0.641025641025641, 0.641025641025641],
        mu: vec![1.0, 0.3125, 0.3125],
        theta: vec![0.0, 0.0, 0.0],
        gamma: vec![0.003, 0.01, 0.08],
        zeta: vec![0.12820512820512822; 3],
        lambda: vec![1.0, 1.0, 1.0],
        omega: vec![0.0, 0.04, 0.3],
        psi: vec![0.14285714285714285; 3],
        chi: vec![0.047619047619047616; 3],
    }
}

/// The config's epidemic rates with a non-zero direct death probability θ so
/// that the I → PD → D path is exercised (the config has θ = 0).
pub fn config_epi_with_theta() -> EpiParams {
    EpiParams {
        theta: vec![0.0, 0.008, 0.05],
        ..config_epi()
    }
}

/// The config's population parameters (C, k, k_h, k_w, p, ξ, σ).
pub fn config_population() -> PopulationParams {
    PopulationParams {
        strata: vec!["Y".into(), "M".into(), "O".into()],
        contact: vec![
            vec![0.598, 0.38486, 0.01714],
            vec![0.244, 0.721, 0.0353],
            vec![0.1919, 0.5705, 0.2376],
        ],
        k: vec![11.8, 13.3, 6.76],
        k_home: vec![3.15, 3.17, 3.28],
        k_work: vec![1.72, 5.18, 0.0],
        p_mobility: vec![0.0, 1.0, 0.0],
        xi: 0.01,
        sigma: 2.5,
    }
}

/// Three patches, three strata, asymmetric mobility:
/// - patch 0 ("A"): non-integer populations (rounded half to even),
/// - patch 1 ("B"): zero area (with ξ > 0) and a zero population in
///   stratum M,
/// - patch 2 ("C"): no outgoing edge (EpiSim's self-loop correction Rᵢᵢ = 1),
///   but it receives commuters from A and B.
///
/// Seeds in A (patch 0) and C (patch 2).
pub fn toy3(n_days: usize, epi: EpiParams, containments: Vec<(usize, Containment)>) -> MmcaSetup {
    MmcaSetup {
        calendar: calendar(n_days),
        epi,
        population: config_population(),
        metapopulation: Metapopulation {
            ids: vec!["A".into(), "B".into(), "C".into()],
            area: vec![120.0, 0.0, 35.5],
            population: vec![
                vec![15000.4, 42000.5, 9000.6],
                vec![3001.5, 0.0, 2000.0],
                vec![500.0, 1200.0, 802.5],
            ],
        },
        edges: vec![
            Edge {
                source: 0,
                target: 0,
                ratio: 0.7,
            },
            Edge {
                source: 0,
                target: 1,
                ratio: 0.2,
            },
            Edge {
                source: 0,
                target: 2,
                ratio: 0.1,
            },
            Edge {
                source: 1,
                target: 0,
                ratio: 0.5,
            },
            Edge {
                source: 1,
                target: 1,
                ratio: 0.3,
            },
            Edge {
                source: 1,
                target: 2,
                ratio: 0.2,
            },
        ],
        seeds: vec![
            Seed {
                patch: 0,
                counts: vec![2.0, 5.0, 1.0],
            },
            Seed {
                patch: 2,
                counts: vec![0.0, 3.0, 0.0],
            },
        ],
        containments: timeline(containments),
    }
}

/// Rounded populations of [`toy3`], `[i*G + g]`.
pub const TOY3_POP: [f64; 9] = [
    15000.0, 42000.0, 9001.0, 3002.0, 0.0, 2000.0, 500.0, 1200.0, 802.0,
];

/// Every day's state and observation of one member (index 0 = day 1).
#[derive(Debug, Clone)]
pub struct Trajectory {
    pub states: Vec<Vec<f64>>,
    pub obs: Vec<Vec<f64>>,
}

impl Trajectory {
    /// State on 1-based `day`.
    pub fn state(&self, day: usize) -> &[f64] {
        &self.states[day - 1]
    }
    /// Observation on 1-based `day`.
    pub fn obs(&self, day: usize) -> &[f64] {
        &self.obs[day - 1]
    }
}

/// Run the model with its point parameters over all days of its calendar.
pub fn simulate(model: &MmcaModel) -> Trajectory {
    simulate_days(model, model.calendar().n_days())
}

/// Run the model with its point parameters up to 1-based day `n_days`.
pub fn simulate_days(model: &MmcaModel, n_days: usize) -> Trajectory {
    let mut ens =
        Ensemble::with_params(model, vec![model.parameters().values()], 7).expect("ensemble");
    let mut t = Trajectory {
        states: vec![ens.state(0).to_vec()],
        obs: vec![ens.observation(0).to_vec()],
    };
    let opts = RunOptions::default();
    while ens.day() < n_days {
        ens.step(&opts);
        t.states.push(ens.state(0).to_vec());
        t.obs.push(ens.observation(0).to_vec());
    }
    t
}

/// |a − b| / max(|a|, |b|), 0 when both are 0.
pub fn rel_err(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

pub fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}
