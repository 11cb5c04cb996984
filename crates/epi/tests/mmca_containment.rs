//! A containment applied on day t_c changes exactly what the paper and
//! MMCAcovid19.jl say, from the step t_c → t_c+1 on.
//!
//! Comparisons are bit-for-bit (f64 bit patterns) unless a tolerance is
//! stated; the hand-computed CH is compared at 1e-14 relative.

mod common;

use common::*;
use didymos_epi::mmca::{Containment, EpiParams, MmcaModel, MmcaSetup};

const DAYS: usize = 60;
const G: usize = 3;
const M: usize = 3;
const TC: usize = 25;

fn run(setup: MmcaSetup) -> (MmcaModel, Trajectory) {
    let model = MmcaModel::new(setup).unwrap();
    let t = simulate(&model);
    (model, t)
}

fn toy(events: Vec<(usize, Containment)>) -> MmcaSetup {
    toy3(DAYS, config_epi_with_theta(), events)
}

#[test]
fn containment_acts_from_the_step_after_its_day() {
    let c = containment(0.6, 0.3, 0.4);
    let (_, free) = run(toy(vec![]));
    let (model, cont) = run(toy(vec![(TC, c)]));
    for day in 1..=TC {
        assert_eq!(
            bits(free.state(day)),
            bits(cont.state(day)),
            "state differs on day {day} ≤ t_c"
        );
        assert_eq!(
            bits(free.obs(day)),
            bits(cont.obs(day)),
            "observation differs on day {day} ≤ t_c"
        );
    }
    for day in TC + 1..=DAYS {
        assert_ne!(
            bits(free.state(day)),
            bits(cont.state(day)),
            "state unchanged on day {day} > t_c"
        );
    }

    // CH on day t_c+1, by hand for each patch:
    // CHᵢ = (1−ϕ)κ₀·(Σ_g (S+PH+PD+HR+HD+D+R+CH)(t_c)·nᵢᵍ / nᵢ)^σ and
    // CH(t_c+1) = CHᵢ·(S(t_c) + CH(t_c)), with CH(t_c) = 0 (first containment).
    let pop = &model.network().pop;
    let x = cont.state(TC);
    let sigma = model.setup().population.sigma;
    let mut worst: f64 = 0.0;
    for i in 0..M {
        let mut safe = 0.0;
        let mut n_i = 0.0;
        for g in 0..G {
            let v = |c: usize| x[sx(G, i, g, c)];
            safe += (v(S) + v(PH) + v(PD) + v(HR) + v(HD) + v(D) + v(R) + v(CH)) * pop[i * G + g];
            n_i += pop[i * G + g];
        }
        let ch_i = (1.0 - c.phi) * c.kappa0 * (safe / n_i).powf(sigma);
        assert!(ch_i > 0.0 && ch_i < 1.0);
        for g in 0..G {
            assert_eq!(x[sx(G, i, g, CH)], 0.0);
            let expected = ch_i * x[sx(G, i, g, S)];
            let got = cont.state(TC + 1)[sx(G, i, g, CH)];
            let e = rel_err(got, expected);
            worst = worst.max(e);
            assert!(
                e <= 1e-14,
                "patch {i}, stratum {g}: CH(t_c+1) = {got:e}, by hand {expected:e} (rel {e:e})"
            );
        }
    }
    eprintln!("CH(t_c+1) by hand: worst relative error {worst:e}");

    // Published MMCAcovid19.jl: CH persists on the days after an isolated
    // containment (it is only released by the next containment).
    for day in TC + 2..=DAYS {
        for ig in 0..M * G {
            assert_eq!(
                cont.state(day)[ig * NC + CH].to_bits(),
                cont.state(TC + 1)[ig * NC + CH].to_bits(),
                "CH changed on day {day}, cell {ig}, without a containment"
            );
        }
    }
}

#[test]
fn full_permeability_confines_nobody() {
    let (_, t) = run(toy(vec![
        (TC, containment(0.8, 1.0, 0.5)),
        (40, containment(0.3, 1.0, 0.0)),
    ]));
    for (d, st) in t.states.iter().enumerate() {
        for ig in 0..M * G {
            assert_eq!(st[ig * NC + CH], 0.0, "ϕ = 1 but CH ≠ 0 on day {}", d + 1);
        }
    }
}

/// κ₀ = 0 and δ = 0: p_eff = p, nobody confined, and the only change is the
/// contacts: kᵍ_eff = kᵍ_h·0 + (kᵍ_h + kᵍ_w)·1·1 = kᵍ_h + kᵍ_w, except the
/// last stratum, which keeps its home contacts kᴳ_h. A run without
/// containment whose kᵍ are set to those values is identical bit for bit.
/// The config has kᴳ_w = 0, which would hide the last-stratum rule, so the
/// last stratum gets work contacts here (kᴳ_w = 0.5).
#[test]
fn zero_kappa_zero_delta_only_switches_contacts() {
    let toy_kw = |events: Vec<(usize, Containment)>| {
        let mut s = toy(events);
        s.population.k_work[G - 1] = 0.5;
        s
    };
    let (_, cont) = run(toy_kw(vec![(1, containment(0.0, 0.4, 0.0))]));
    let mut setup = toy_kw(vec![]);
    let pp = &setup.population;
    let k: Vec<f64> = (0..G)
        .map(|g| {
            if g == G - 1 {
                pp.k_home[g]
            } else {
                pp.k_home[g] + pp.k_work[g]
            }
        })
        .collect();
    assert_ne!(
        k, pp.k,
        "the toy must have kᵍ ≠ kᵍ_h + kᵍ_w for the test to mean anything"
    );
    setup.population.k = k;
    let (_, switched) = run(setup);
    let (_, free) = run(toy_kw(vec![]));
    for day in 1..=DAYS {
        assert_eq!(
            bits(cont.state(day)),
            bits(switched.state(day)),
            "state, day {day}"
        );
        assert_eq!(
            bits(cont.obs(day)),
            bits(switched.obs(day)),
            "observation, day {day}"
        );
    }
    assert_ne!(
        bits(free.state(DAYS)),
        bits(cont.state(DAYS)),
        "the contact switch changed nothing"
    );
}

/// The same on a later day t_c: identical before, contacts switched after.
#[test]
fn zero_kappa_zero_delta_later_day() {
    let (_, cont) = run(toy(vec![(TC, containment(0.0, 0.0, 0.0))]));
    let (_, free) = run(toy(vec![]));
    for day in 1..=TC {
        assert_eq!(bits(cont.state(day)), bits(free.state(day)), "day {day}");
    }
    // The last stratum keeps kᴳ_h = 3.28 < kᴳ = 6.76, the others get
    // kᵍ_h + kᵍ_w < kᵍ: fewer new exposures in every populated cell.
    let (a, b) = (cont.state(TC + 1), free.state(TC + 1));
    for ig in 0..M * G {
        if TOY3_POP[ig] > 0.0 && b[ig * NC + S] < 1.0 {
            assert!(a[ig * NC + E] < b[ig * NC + E], "cell {ig}: E not reduced");
        }
    }
    for ig in 0..M * G {
        assert_eq!(a[ig * NC + CH], 0.0);
    }
}

/// With pᵍ = 1 for all strata and κ₀ = 1 on day 1, p_eff = 0: the patches are
/// decoupled even though connected. Only patch 0 is seeded; the others never
/// see an infection. With ϕ = 1 nobody is confined, so S stays exactly 1;
/// with ϕ < 1 the unseeded patches are split between S and CH only.
#[test]
fn full_mobility_reduction_decouples_patches() {
    let epi = config_epi_with_theta();
    let decoupled = |events: Vec<(usize, Containment)>| {
        let mut s = toy3(DAYS, epi.clone(), events);
        s.population.p_mobility = vec![1.0; G];
        s.seeds.truncate(1);
        assert_eq!(s.seeds[0].patch, 0);
        run(s).1
    };
    let t = decoupled(vec![(1, containment(1.0, 1.0, 0.2))]);
    for day in 1..=DAYS {
        let st = t.state(day);
        for i in 1..M {
            for g in 0..G {
                let expected = if TOY3_POP[i * G + g] > 0.0 { 1.0 } else { 0.0 };
                assert_eq!(
                    st[sx(G, i, g, S)],
                    expected,
                    "day {day}, patch {i}, stratum {g}: S"
                );
                for c in 1..NC {
                    assert_eq!(
                        st[sx(G, i, g, c)],
                        0.0,
                        "day {day}, patch {i}, stratum {g}: {}",
                        NAMES[c]
                    );
                }
            }
        }
    }
    assert!(
        t.state(DAYS)[sx(G, 0, 1, R)] > 0.0,
        "patch 0 had no epidemic"
    );

    let t = decoupled(vec![
        (1, containment(1.0, 0.3, 0.2)),
        (30, containment(1.0, 0.5, 0.0)),
    ]);
    for day in 1..=DAYS {
        let st = t.state(day);
        for i in 1..M {
            for g in 0..G {
                if TOY3_POP[i * G + g] == 0.0 {
                    continue;
                }
                let (s, ch) = (st[sx(G, i, g, S)], st[sx(G, i, g, CH)]);
                assert!(
                    (s + ch - 1.0).abs() <= 1e-15,
                    "day {day}, patch {i}, stratum {g}: S + CH = {}",
                    s + ch
                );
                for c in [E, A, I, PH, PD, HR, HD, R, D] {
                    assert_eq!(
                        st[sx(G, i, g, c)],
                        0.0,
                        "day {day}, patch {i}, stratum {g}: {}",
                        NAMES[c]
                    );
                }
            }
        }
    }

    // Control: without the containment the unseeded patches are infected.
    let t = decoupled(vec![]);
    for i in 1..M {
        assert!(
            t.state(3)[sx(G, i, 0, E)] > 0.0,
            "patch {i} not reached without containment"
        );
    }
}

/// A second containment releases CH and confines a new share computed from
/// (S + CH_old): CH(t₂+1) = CHᵢ·(S(t₂) + CH(t₂)), with the base including the
/// previously confined.
#[test]
fn second_containment_releases_and_reconfines() {
    let (c1, c2) = (containment(0.7, 0.2, 0.5), containment(0.4, 0.6, 0.1));
    let (model, t) = run(toy(vec![(TC, c1), (40, c2)]));
    let pop = &model.network().pop;
    let sigma = model.setup().population.sigma;
    let x = t.state(40);
    for i in 0..M {
        let mut safe = 0.0;
        for g in 0..G {
            let v = |c: usize| x[sx(G, i, g, c)];
            safe += (v(S) + v(PH) + v(PD) + v(HR) + v(HD) + v(D) + v(R) + v(CH)) * pop[i * G + g];
        }
        let n_i: f64 = (0..G).map(|g| pop[i * G + g]).sum();
        let ch_i = (1.0 - c2.phi) * c2.kappa0 * (safe / n_i).powf(sigma);
        for g in 0..G {
            let old = x[sx(G, i, g, CH)];
            if pop[i * G + g] > 0.0 {
                assert!(old > 0.0, "no CH before the second containment ({i}, {g})");
            }
            let expected = ch_i * (x[sx(G, i, g, S)] + old);
            let got = t.state(41)[sx(G, i, g, CH)];
            assert!(
                rel_err(got, expected) <= 1e-14,
                "({i}, {g}): CH(41) = {got:e}, by hand {expected:e}"
            );
        }
    }
}

/// Containments are keyed by 1-based day: a containment on day t_c first
/// changes the state of day t_c + 1, whatever t_c.
#[test]
fn divergence_follows_the_containment_day() {
    let epi: EpiParams = config_epi_with_theta();
    let c = containment(0.5, 0.5, 0.5);
    for tc in [1, 2, 10, DAYS - 1] {
        let (_, a) = run(toy3(DAYS, epi.clone(), vec![(tc, c)]));
        let (_, b) = run(toy3(DAYS, epi.clone(), vec![]));
        let first_diff = (1..=DAYS).find(|&d| bits(a.state(d)) != bits(b.state(d)));
        assert_eq!(first_diff, Some(tc + 1), "containment on day {tc}");
    }
    // A containment on the last day has no effect on the simulated days.
    let (_, a) = run(toy3(DAYS, epi.clone(), vec![(DAYS, c)]));
    let (_, b) = run(toy3(DAYS, epi, vec![]));
    assert_eq!(bits(a.state(DAYS)), bits(b.state(DAYS)));
}
