//! The binomial-chain variant of the MMCA model (`ProcessNoise::
//! binomial_chain`): each day's transitions are drawn. Checked against the
//! deterministic chain it must agree with on average, against the binomial
//! law of a single transition, for conservation, and for determinism
//! across thread counts and batch sizes.

mod common;

use common::*;
use didymos_core::{Ensemble, Model, RunOptions};
use didymos_epi::mmca::{MmcaModel, ProcessNoise};

const G: usize = 3;

fn model(days: usize, binomial_chain: bool) -> MmcaModel {
    model_with(days, binomial_chain, Vec::new())
}

fn model_with(
    days: usize,
    binomial_chain: bool,
    containments: Vec<(usize, didymos_epi::mmca::Containment)>,
) -> MmcaModel {
    MmcaModel::new(toy3(days, config_epi_with_theta(), containments))
        .unwrap()
        .with_process_noise(ProcessNoise {
            binomial_chain,
            ..ProcessNoise::default()
        })
        .unwrap()
}

/// Per state variable, in persons: mean and standard deviation over
/// `members` copies of `start` stepped once from day `day`.
fn one_step_from(m: &MmcaModel, start: &[f64], day: usize, members: usize) -> Vec<(f64, f64)> {
    let mut ens = Ensemble::with_params(m, vec![m.parameters().values(); members], 99).unwrap();
    ens.run_to(day, &RunOptions::default(), |_| {});
    for k in 0..members {
        ens.state_mut(k).copy_from_slice(start);
    }
    ens.step(&RunOptions::default());
    (0..start.len())
        .map(|v| {
            let n = TOY3_POP[v / NC];
            let x: Vec<f64> = (0..members).map(|k| ens.state(k)[v] * n).collect();
            let mean = x.iter().sum::<f64>() / members as f64;
            let var = x.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / (members - 1) as f64;
            (mean, var.sqrt())
        })
        .collect()
}

/// Everyone susceptible, except `persons` of patch 0, stratum 0 in
/// compartment `c`.
fn susceptible_but(c: usize, persons: f64) -> Vec<f64> {
    let mut start = vec![0.0; TOY3_POP.len() * NC];
    for (ig, &n) in TOY3_POP.iter().enumerate() {
        if n > 0.0 {
            start[ig * NC + S] = 1.0;
        }
    }
    let n = TOY3_POP[0];
    start[sx(G, 0, 0, S)] = (n - persons) / n;
    start[sx(G, 0, 0, c)] = persons / n;
    start
}

#[test]
fn one_transition_is_binomial() {
    // Patch 0, stratum 0 (15,000 persons): 1,000 exposed, everyone else
    // susceptible and nobody infectious anywhere, so tomorrow's A holds
    // exactly the E → A moves: Binomial(1000, η).
    let m = model(5, true);
    let start = susceptible_but(E, 1000.0);
    let n = TOY3_POP[0];
    let eta = config_epi().eta[0];
    let members = 4000;
    let (mean, sd) = one_step_from(&m, &start, 0, members)[sx(G, 0, 0, A)];
    let (want_mean, want_var) = (1000.0 * eta, 1000.0 * eta * (1.0 - eta));
    let se = (want_var / members as f64).sqrt();
    assert!(
        (mean - want_mean).abs() < 4.0 * se,
        "mean {mean} vs {want_mean} ± {se}"
    );
    // The sample variance's relative standard error is √(2/(n−1)) ≈ 2.2%.
    let ratio = sd * sd / want_var;
    assert!((ratio - 1.0).abs() < 0.1, "variance ratio {ratio}");
    // And it is a count: whole persons only.
    let mut ens = Ensemble::with_params(&m, vec![m.parameters().values(); 50], 3).unwrap();
    for k in 0..50 {
        ens.state_mut(k).copy_from_slice(&start);
    }
    ens.step(&RunOptions::default());
    for k in 0..50 {
        let a = ens.state(k)[sx(G, 0, 0, A)] * n;
        assert!((a - a.round()).abs() < 1e-6, "{a} persons");
    }
}

#[test]
fn on_average_it_is_the_deterministic_chain() {
    // From a mid-epidemic state, every compartment's mean after one drawn
    // day is the deterministic day's value, within 4.5 standard errors:
    // on an ordinary day and on a containment day (households confined).
    for containments in [
        vec![],
        vec![
            (30, containment(0.6, 0.2, 0.5)),
            (31, containment(0.5, 0.2, 0.5)),
        ],
    ] {
        let det = model_with(40, false, containments.clone());
        let start = simulate_days(&det, 30).state(30).to_vec();
        let want = {
            let mut ens = Ensemble::with_params(&det, vec![det.parameters().values()], 1).unwrap();
            ens.state_mut(0).copy_from_slice(&start);
            ens.run_to(30, &RunOptions::default(), |_| {});
            ens.state_mut(0).copy_from_slice(&start);
            ens.step(&RunOptions::default());
            ens.state(0).to_vec()
        };
        // The containment case really confines someone.
        let confines = want.chunks(NC).any(|x| x[CH] > 0.0);
        assert_eq!(confines, !containments.is_empty());
        let drawn = model_with(40, true, containments);
        let members = 2000;
        let stats = one_step_from(&drawn, &start, 30, members);
        let mut checked = 0;
        for (k, &w) in want.iter().enumerate() {
            let n = TOY3_POP[k / NC];
            let (mean, sd) = stats[k];
            let se = sd / (members as f64).sqrt();
            let w = w * n;
            assert!(
                (mean - w).abs() <= 4.5 * se + 1e-9 * w.abs().max(1.0),
                "{} of patch {}, stratum {}: mean {mean} vs deterministic {w} (se {se})",
                NAMES[k % NC],
                k / NC / G,
                k / NC % G
            );
            checked += usize::from(sd > 0.0);
        }
        assert!(checked > 30, "only {checked} compartments varied");
    }
}

#[test]
fn population_is_conserved_and_nothing_is_negative() {
    let m = model(120, true);
    let mut ens = Ensemble::from_priors(&m, 16, 5).unwrap();
    ens.run_to(120, &RunOptions::default(), |e| {
        for k in 0..e.len() {
            let st = e.state(k);
            for (ig, &n) in TOY3_POP.iter().enumerate() {
                let x = &st[ig * NC..][..NC];
                assert!(x.iter().all(|v| *v >= 0.0 && v.is_finite()), "{x:?}");
                let persons: f64 = x.iter().map(|v| v * n).sum();
                assert!((persons - n).abs() <= 1e-9 * n, "{persons} vs {n}");
            }
        }
    });
    // The members took different paths.
    let deaths = |k: usize| ens.state(k)[sx(G, 0, 2, D)];
    assert!((1..16).any(|k| deaths(k) != deaths(0)));
}

#[test]
fn a_single_case_can_fade_out() {
    // One asymptomatic person in patch 0: in some members the chain of
    // transmission breaks at once, in others it takes off. The
    // deterministic chain always takes off (it has no chance events).
    let m = model(60, true);
    let start = susceptible_but(A, 1.0);
    let members = 1000;
    let mut ens = Ensemble::with_params(&m, vec![m.parameters().values(); members], 8).unwrap();
    for k in 0..members {
        ens.state_mut(k).copy_from_slice(&start);
    }
    ens.run_to(60, &RunOptions::default(), |_| {});
    let infected_ever = |k: usize| {
        let st = ens.state(k);
        (0..TOY3_POP.len())
            .map(|ig| (1.0 - st[ig * NC + S] - st[ig * NC + CH]) * TOY3_POP[ig])
            .sum::<f64>()
    };
    let totals: Vec<f64> = (0..members).map(infected_ever).collect();
    let faded = totals.iter().filter(|&&t| t < 10.0).count();
    let took_off = totals.iter().filter(|&&t| t > 1000.0).count();
    assert!(
        faded > 10 && took_off > 500,
        "faded {faded}, took off {took_off}"
    );
}

#[test]
fn the_same_draws_whatever_the_threads_and_batches() {
    let m = model(30, true);
    let run = |threads: usize, batch: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut ens = Ensemble::from_priors(&m, 23, 77).unwrap();
            let opts = RunOptions {
                batch_size: Some(batch),
                observe: true,
            };
            ens.run_to(30, &opts, |_| {});
            (0..23)
                .flat_map(|k| bits(ens.state(k)))
                .chain((0..23).flat_map(|k| bits(ens.observation(k))))
                .collect::<Vec<u64>>()
        })
    };
    let reference = run(1, 1);
    assert_eq!(reference, run(2, 7));
    assert_eq!(reference, run(2, 32));
}
