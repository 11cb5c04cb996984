//! `MmcaModel::with_interventions` on the toy twin: identity without
//! interventions, monotone effect of confinement, exact cordon, contact
//! reduction and the restore after a confinement window.

mod common;

use common::*;
use didymos_epi::mmca::{Containment, Direction, Intervention, MmcaModel};

const DAYS: usize = 90;
const G: usize = 3;
const M: usize = 3;

fn plain(events: Vec<(usize, Containment)>) -> MmcaModel {
    MmcaModel::new(toy3(DAYS, config_epi_with_theta(), events)).unwrap()
}

/// Persons ever infected (neither S nor CH) in patch `i`, stratum `g`.
fn infected(model: &MmcaModel, state: &[f64], i: usize, g: usize) -> f64 {
    let w = model.stride();
    let x = &state[(i * G + g) * w..][..w];
    let never = x[S] + x[CH] + if w > NC { x[NC] } else { 0.0 };
    let n = model.network().pop[i * G + g];
    (x.iter().sum::<f64>() - never) * n
}

fn attack_rate(model: &MmcaModel, state: &[f64]) -> f64 {
    let mut inf = 0.0;
    for i in 0..M {
        for g in 0..G {
            inf += infected(model, state, i, g);
        }
    }
    inf / model.network().pop.iter().sum::<f64>()
}

#[test]
fn no_interventions_is_bit_identical() {
    for events in [vec![], vec![(20, containment(0.6, 0.3, 0.4))]] {
        let base = plain(events);
        let same = base.with_interventions(&[], false).unwrap();
        let (a, b) = (simulate(&base), simulate(&same));
        assert_eq!(same.stride(), NC);
        for day in 1..=DAYS {
            assert_eq!(bits(a.state(day)), bits(b.state(day)), "day {day}");
            assert_eq!(bits(a.obs(day)), bits(b.obs(day)), "day {day}");
        }
        // The vaccinated layout with nobody vaccinated: the 11 plain
        // compartments and every observable are still the same bits.
        let wide = base.with_interventions(&[], true).unwrap();
        assert_eq!(wide.stride(), NC + 4);
        let c = simulate(&wide);
        for day in 1..=DAYS {
            let lifted = wide.lift_state(&base, a.state(day)).unwrap();
            assert_eq!(bits(&lifted), bits(c.state(day)), "day {day}");
            assert_eq!(bits(a.obs(day)), bits(c.obs(day)), "day {day}");
        }
        assert_eq!(same.lift_state(&base, a.state(5)).unwrap(), a.state(5));
    }
}

#[test]
fn attack_rate_decreases_with_confinement_strength() {
    let base = plain(vec![]);
    let mut last = f64::INFINITY;
    for k in 0..=5 {
        let kappa0 = k as f64 * 0.2;
        let iv = Intervention::Confinement {
            from: 10,
            to: DAYS,
            containment: containment(kappa0, 0.2, 0.3),
        };
        let model = base.with_interventions(&[iv], false).unwrap();
        let t = simulate(&model);
        let ar = attack_rate(&model, t.state(DAYS));
        eprintln!("κ₀ = {kappa0:.1}: attack rate {ar:.6}");
        assert!(ar <= last, "κ₀ = {kappa0}: attack rate {ar} > {last}");
        last = ar;
    }
    let free = attack_rate(&base, simulate(&base).state(DAYS));
    assert!(last < free);
}

#[test]
fn confinement_window_restores_the_baseline_measure() {
    let c = containment(0.5, 0.2, 0.6);
    let base = plain(vec![(15, c)]);
    let strict = containment(0.9, 0.1, 0.8);
    let iv = Intervention::Confinement {
        from: 20,
        to: 30,
        containment: strict,
    };
    let m = base
        .with_interventions(std::slice::from_ref(&iv), false)
        .unwrap();
    let s = m.containment_schedule();
    assert_eq!(s.in_force(19), Some(&Some(c)));
    for d in 20..=30 {
        assert_eq!(s.on(d).collect::<Vec<_>>(), vec![&Some(strict)], "day {d}");
    }
    assert_eq!(s.on(31).collect::<Vec<_>>(), vec![&Some(c)]);
    let (a, b) = (simulate(&base), simulate(&m));
    for day in 1..=20 {
        assert_eq!(bits(a.state(day)), bits(b.state(day)), "day {day}");
    }
    assert!(attack_rate(&m, b.state(DAYS)) < attack_rate(&base, a.state(DAYS)));

    // Without a baseline measure, the day after the window releases: the
    // confined go back to S and the free regime returns.
    let free = plain(vec![]);
    let m = free.with_interventions(&[iv], false).unwrap();
    assert_eq!(
        m.containment_schedule().on(31).collect::<Vec<_>>(),
        vec![&None]
    );
    let t = simulate(&m);
    let ch: f64 = (0..M * G).map(|ig| t.state(31)[ig * NC + CH]).sum();
    let ch_after: f64 = (0..M * G).map(|ig| t.state(32)[ig * NC + CH]).sum();
    assert!(ch > 0.0 && ch_after == 0.0);
    assert_eq!(
        bits(&m.regime(40).k_eff),
        bits(&free.regime(40).k_eff),
        "free contacts after the release"
    );
}

#[test]
fn full_cordon_keeps_an_uninfected_patch_at_zero() {
    // Patch B (index 1) has no seeds; its residents commute to A and C.
    let base = plain(vec![]);
    let cordon = Intervention::Mobility {
        from: 1,
        to: DAYS,
        patches: vec![1],
        direction: Direction::Both,
        scale: 0.0,
    };
    let m = base.with_interventions(&[cordon], false).unwrap();
    let (open, closed) = (simulate(&base), simulate(&m));
    let in_b =
        |model: &MmcaModel, st: &[f64]| -> f64 { (0..G).map(|g| infected(model, st, 1, g)).sum() };
    for day in 1..=DAYS {
        assert_eq!(in_b(&m, closed.state(day)), 0.0, "day {day}");
    }
    assert!(in_b(&base, open.state(DAYS)) > 1.0);
    // Rows still sum to 1 on the cordoned network.
    let net = m.network_on(5);
    for i in 0..M {
        let (_, r) = net.outgoing.row(i);
        assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-12, "row {i}");
    }

    // Outflow only: B's residents stay home but A's commuters still come.
    let out_only = Intervention::Mobility {
        from: 1,
        to: DAYS,
        patches: vec![1],
        direction: Direction::Outflow,
        scale: 0.0,
    };
    let m = base.with_interventions(&[out_only], false).unwrap();
    let t = simulate(&m);
    assert!(in_b(&m, t.state(DAYS)) > 0.0);
}

#[test]
fn contact_reduction_reduces_that_stratums_infections() {
    let base = plain(vec![]);
    let iv = Intervention::Contacts {
        from: 5,
        to: 60,
        stratum: 0,
        scale: 0.5,
    };
    let m = base.with_interventions(&[iv], false).unwrap();
    let (a, b) = (simulate(&base), simulate(&m));
    let y =
        |model: &MmcaModel, st: &[f64]| -> f64 { (0..M).map(|i| infected(model, st, i, 0)).sum() };
    assert!(y(&m, b.state(DAYS)) < y(&base, a.state(DAYS)));
    for day in 1..=5 {
        assert_eq!(bits(a.state(day)), bits(b.state(day)), "day {day}");
    }
    // The scale enters through the regime's kᵍ and its normalisation zᵍ.
    assert_eq!(m.regime(10).k_eff[0], base.regime(10).k_eff[0] * 0.5);
    assert_eq!(bits(&m.regime(61).norm), bits(&base.regime(61).norm));
}

#[test]
fn bad_interventions_are_errors_not_panics() {
    let base = plain(vec![]);
    let cases = [
        Intervention::Contacts {
            from: 1,
            to: 5,
            stratum: 7,
            scale: 0.5,
        },
        Intervention::Mobility {
            from: 1,
            to: 5,
            patches: vec![9],
            direction: Direction::Both,
            scale: 0.5,
        },
        Intervention::Contacts {
            from: 3,
            to: DAYS + 1,
            stratum: 0,
            scale: 0.5,
        },
        Intervention::Contacts {
            from: 0,
            to: 3,
            stratum: 0,
            scale: -1.0,
        },
    ];
    for iv in cases {
        assert!(base.with_interventions(&[iv], false).is_err());
    }
    let c = Intervention::Confinement {
        from: 10,
        to: 20,
        containment: containment(0.5, 0.2, 0.3),
    };
    let d = Intervention::Confinement {
        from: 20,
        to: 25,
        containment: containment(0.5, 0.2, 0.3),
    };
    let e = base.with_interventions(&[c, d], false).err().unwrap();
    assert!(e.to_string().contains("interventions 1 and 2"), "{e}");
}
