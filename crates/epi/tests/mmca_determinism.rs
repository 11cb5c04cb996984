//! An ensemble with a prior on βᴵ gives bit-identical states and
//! observations whatever the thread count (1 or 2) and batch size (1, 7, 32),
//! and a member's trajectory does not depend on its batch mates. All
//! comparisons are on f64 bit patterns.

mod common;

use common::*;
use didymos_core::{Ensemble, Located, Prior, RunOptions};
use didymos_epi::mmca::MmcaModel;

const MEMBERS: usize = 45;
const DAYS: usize = 30;

fn model() -> MmcaModel {
    let events = vec![
        (8, containment(0.5, 0.2, 0.3)),
        (15, containment(0.7, 0.1, 0.8)),
        (16, containment(0.6, 0.1, 0.8)),
    ];
    let mut model = MmcaModel::new(toy3(DAYS, config_epi_with_theta(), events)).unwrap();
    model
        .parameters_mut()
        .set_prior(
            "beta_i",
            Prior::Normal {
                mean: 0.09,
                sd: 0.02,
            },
            &Located::default(),
        )
        .unwrap();
    model
}

/// Per day, per member: (state bits, observation bits); plus the parameters.
type Record = (Vec<Vec<u64>>, Vec<Vec<Vec<u64>>>, Vec<Vec<Vec<u64>>>);

fn run(model: &MmcaModel, seed: u64, threads: usize, batch: usize) -> Record {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut ens = Ensemble::from_priors(model, MEMBERS, seed).unwrap();
        let params: Vec<Vec<u64>> = (0..MEMBERS).map(|m| bits(ens.params(m))).collect();
        let mut states = Vec::new();
        let mut obs = Vec::new();
        let snapshot = |ens: &Ensemble<'_, MmcaModel>| {
            (
                (0..MEMBERS).map(|m| bits(ens.state(m))).collect::<Vec<_>>(),
                (0..MEMBERS)
                    .map(|m| bits(ens.observation(m)))
                    .collect::<Vec<_>>(),
            )
        };
        let (s, o) = snapshot(&ens);
        states.push(s);
        obs.push(o);
        let opts = RunOptions {
            batch_size: Some(batch),
            observe: true,
        };
        while ens.day() < DAYS {
            ens.step(&opts);
            let (s, o) = snapshot(&ens);
            states.push(s);
            obs.push(o);
        }
        (params, states, obs)
    })
}

#[test]
fn bit_identical_across_threads_and_batches() {
    let model = model();
    let reference = run(&model, 2024, 1, 1);
    // The prior actually spreads βᴵ and the members' trajectories differ.
    let beta: Vec<f64> = reference.0.iter().map(|p| f64::from_bits(p[0])).collect();
    let distinct = {
        let mut b = beta.clone();
        b.sort_by(f64::total_cmp);
        b.dedup();
        b.len()
    };
    assert_eq!(distinct, MEMBERS, "βᴵ draws are not distinct: {beta:?}");
    assert!(beta.iter().all(|b| (0.0..=1.0).contains(b)));
    assert_ne!(reference.1[DAYS - 1][0], reference.1[DAYS - 1][1]);
    for threads in [1, 2] {
        for batch in [1, 7, 32] {
            let r = run(&model, 2024, threads, batch);
            assert_eq!(
                r.0, reference.0,
                "parameters, {threads} threads, batch {batch}"
            );
            for day in 0..DAYS {
                for m in 0..MEMBERS {
                    assert_eq!(
                        r.1[day][m],
                        reference.1[day][m],
                        "state of member {m} on day {}, {threads} threads, batch {batch}",
                        day + 1
                    );
                    assert_eq!(
                        r.2[day][m],
                        reference.2[day][m],
                        "observation of member {m} on day {}, {threads} threads, batch {batch}",
                        day + 1
                    );
                }
            }
        }
    }
}

#[test]
fn different_seed_gives_different_parameters() {
    let model = model();
    let a = Ensemble::from_priors(&model, MEMBERS, 1).unwrap();
    let b = Ensemble::from_priors(&model, MEMBERS, 2).unwrap();
    let c = Ensemble::from_priors(&model, MEMBERS, 1).unwrap();
    let mut differing = 0;
    for m in 0..MEMBERS {
        assert_eq!(
            bits(a.params(m)),
            bits(c.params(m)),
            "same seed, member {m}"
        );
        if a.params(m)[0] != b.params(m)[0] {
            differing += 1;
        }
        // Only βᴵ has a prior.
        assert_eq!(bits(&a.params(m)[1..]), bits(&b.params(m)[1..]));
    }
    assert_eq!(differing, MEMBERS, "seeds 1 and 2 share βᴵ draws");
}

/// A member run alone (ensemble of one, with its drawn parameters) follows
/// the same trajectory bit for bit as inside a batch of 32.
#[test]
fn member_independent_of_batch_mates() {
    let model = model();
    let ens = Ensemble::from_priors(&model, MEMBERS, 99).unwrap();
    let params: Vec<Vec<f64>> = (0..MEMBERS).map(|m| ens.params(m).to_vec()).collect();
    let mut all = Ensemble::with_params(&model, params.clone(), 99).unwrap();
    let opts = RunOptions {
        batch_size: Some(32),
        observe: true,
    };
    all.run_to(DAYS, &opts, |_| {});
    for m in [0, 13, 31, 32, MEMBERS - 1] {
        let mut alone = Ensemble::with_params(&model, vec![params[m].clone()], 5).unwrap();
        alone.run_to(
            DAYS,
            &RunOptions {
                batch_size: Some(1),
                observe: true,
            },
            |_| {},
        );
        assert_eq!(bits(alone.state(0)), bits(all.state(m)), "member {m}");
        assert_eq!(
            bits(alone.observation(0)),
            bits(all.observation(m)),
            "member {m}"
        );
    }
}
