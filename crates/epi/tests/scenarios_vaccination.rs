//! The vaccinated-compartment extension on the toy twin: conservation,
//! protection against infection and severe disease, and observables that
//! count the vaccinated.

mod common;

use common::*;
use didymos_core::Model;
use didymos_epi::mmca::{Containment, Intervention, MmcaModel};

const DAYS: usize = 80;
const G: usize = 3;
const W: usize = NC + 4;
const SV: usize = 11;
const EV: usize = 12;
const AV: usize = 13;
const IV: usize = 14;

fn plain(events: Vec<(usize, Containment)>) -> MmcaModel {
    MmcaModel::new(toy3(DAYS, config_epi_with_theta(), events)).unwrap()
}

fn campaign(e_inf: f64, e_sev: f64) -> Intervention {
    Intervention::Vaccination {
        from: 5,
        to: 50,
        daily_share: 0.01,
        priority: vec![2, 1],
        efficacy_infection: e_inf,
        efficacy_severe: e_sev,
    }
}

/// Σ over days, patches and strata of observable `k`.
fn total(t: &Trajectory, k: usize) -> f64 {
    t.obs.iter().flat_map(|o| o.chunks(NO).map(|c| c[k])).sum()
}

#[test]
fn population_is_conserved_every_day() {
    let base = plain(vec![
        (20, containment(0.6, 0.3, 0.4)),
        (35, containment(0.2, 0.5, 0.1)),
    ]);
    let m = base
        .with_interventions(&[campaign(0.6, 0.9)], true)
        .unwrap();
    let t = simulate(&m);
    let n0 = m.conserved_total(t.state(1)).unwrap();
    for day in 1..=DAYS {
        let st = t.state(day);
        let n = m.conserved_total(st).unwrap();
        assert!(((n - n0) / n0).abs() <= 1e-12, "day {day}: {n} vs {n0}");
        for (ig, x) in st.chunks(W).enumerate() {
            let sum: f64 = x.iter().sum();
            if m.network().pop[ig] > 0.0 {
                assert!((sum - 1.0).abs() <= 1e-12, "day {day}, cell {ig}: {sum}");
            }
            assert!(x.iter().all(|&v| v >= 0.0), "day {day}, cell {ig}: {x:?}");
        }
    }
    let sv: f64 = t.state(DAYS).chunks(W).map(|x| x[SV]).sum();
    assert!(sv > 0.0);
}

#[test]
fn doses_follow_the_priority_order() {
    let base = plain(vec![]);
    let m = base
        .with_interventions(&[campaign(0.6, 0.9)], true)
        .unwrap();
    let t = simulate(&m);
    let pop = &m.network().pop;
    let vaccinated = |day: usize, g: usize| -> f64 {
        (0..3)
            .map(|i| {
                let x = &t.state(day)[(i * G + g) * W..][..W];
                (x[SV] + x[EV] + x[AV] + x[IV]) * pop[i * G + g]
            })
            .sum()
    };
    let total_pop: f64 = pop.iter().sum();
    // Day 6 shows the doses of day 5: 1% of everyone, all to O (9,001 +
    // 2,000 + 802 persons, more than one day's 743 doses).
    let doses = 0.01 * total_pop;
    assert!(
        rel_err(vaccinated(6, 2), doses) < 1e-9,
        "{}",
        vaccinated(6, 2)
    );
    assert_eq!(vaccinated(6, 1), 0.0);
    assert_eq!(vaccinated(DAYS, 0), 0.0, "Y is not in the priority list");
    // Once O's susceptibles are exhausted, M gets the doses.
    assert!(vaccinated(DAYS, 1) > 0.0);
    let s_old: f64 = (0..3).map(|i| t.state(DAYS)[(i * G + 2) * W + S]).sum();
    assert_eq!(s_old, 0.0);
}

#[test]
fn sterilising_vaccine_protects_fully() {
    let base = plain(vec![]);
    let m = base
        .with_interventions(&[campaign(1.0, 1.0)], true)
        .unwrap();
    let t = simulate(&m);
    for (d, st) in t.states.iter().enumerate() {
        for x in st.chunks(W) {
            assert_eq!((x[EV], x[AV], x[IV]), (0.0, 0.0, 0.0), "day {}", d + 1);
        }
    }
    let (a, b) = (simulate(&base), t);
    assert!(total(&b, NEW_INFECTED) < total(&a, NEW_INFECTED));
}

#[test]
fn severe_efficacy_reduces_hospitalisations() {
    let base = plain(vec![]);
    let run = |ivs: &[Intervention]| simulate(&base.with_interventions(ivs, true).unwrap());
    let none = run(&[]);
    let weak = run(&[campaign(0.5, 0.5)]);
    let strong = run(&[campaign(0.5, 0.95)]);
    let h = |t: &Trajectory| total(t, NEW_HOSPITALIZED);
    eprintln!(
        "hospitalised: none {} weak {} strong {}",
        h(&none),
        h(&weak),
        h(&strong)
    );
    assert!(h(&weak) < h(&none));
    assert!(h(&strong) < h(&weak));
    // Same infections either way: efficacy_severe acts after infection.
    assert!(rel_err(total(&weak, NEW_INFECTED), total(&strong, NEW_INFECTED)) < 1e-12);
    let occupancy_peak = |t: &Trajectory| {
        t.obs
            .iter()
            .map(|o| o.chunks(NO).map(|c| c[HOSPITAL_OCCUPANCY]).sum::<f64>())
            .fold(0.0, f64::max)
    };
    assert!(occupancy_peak(&strong) < occupancy_peak(&none));
}

/// A vaccine without any effect moves people between identical chains, so
/// the totals (and observables, which must count the vaccinated flows)
/// match the unvaccinated run to rounding.
#[test]
fn useless_vaccine_changes_nothing_in_aggregate() {
    let base = plain(vec![]);
    let m = base
        .with_interventions(&[campaign(0.0, 0.0)], true)
        .unwrap();
    let (a, b) = (simulate(&base), simulate(&m));
    for day in 1..=DAYS {
        for (k, (x, y)) in a.obs(day).iter().zip(b.obs(day)).enumerate() {
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                "day {day}, obs {k}: {x} vs {y}"
            );
        }
    }
}

#[test]
fn vaccination_needs_its_layout_and_one_efficacy() {
    let base = plain(vec![]);
    assert!(base
        .with_interventions(&[campaign(0.6, 0.9)], false)
        .is_err());
    let later = Intervention::Vaccination {
        from: 60,
        to: 70,
        daily_share: 0.01,
        priority: vec![0],
        efficacy_infection: 0.3,
        efficacy_severe: 0.9,
    };
    assert!(base
        .with_interventions(&[campaign(0.6, 0.9), later], true)
        .is_err());
    // Lifting a plain state gives empty vaccinated compartments.
    let m = base.with_interventions(&[], true).unwrap();
    let t = simulate(&base);
    let lifted = m.lift_state(&base, t.state(30)).unwrap();
    assert_eq!(lifted.len(), m.layout().len());
    for (x, y) in lifted.chunks(W).zip(t.state(30).chunks(NC)) {
        assert_eq!(&x[..NC], y);
        assert_eq!(&x[NC..], &[0.0; 4]);
    }
    assert!(base.lift_state(&m, &lifted).is_ok());
    assert!(m.lift_state(&base, &lifted).is_err(), "wrong length");
}
