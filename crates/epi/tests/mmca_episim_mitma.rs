//! End-to-end run of EpiSim's MITMA example (2,850 patches, 3 strata,
//! ~110k mobility edges, daily κ₀ series from kappa0_from_mitma.csv) loaded
//! with `didymos_epi::episim::load_episim`, over all days of the config
//! (2020-02-09 … 2020-05-31).
//!
//! Checks every day: no NaN/inf in states or observables, every compartment
//! ≥ 0.0 exactly, Σ compartments (persons) = rounded population of each
//! patch and stratum within 1e-12 relative; at the end: positive total
//! new_infected and total deaths between 1e3 and 1e6.
//!
//! Skipped (with `SKIPPED: ...` on stderr) when the shared data are absent.

mod common;

use std::path::PathBuf;

use common::*;
use didymos_core::Model;
use didymos_epi::episim::{load_episim, EpisimOptions};
use didymos_epi::mmca::MmcaModel;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/epidemic/mitma_zones")
}

#[test]
fn mitma_runs_all_days_conserving_population() {
    let dir = data_dir();
    if !dir.join("config_MMCACovid19.json").is_file() {
        didymos_core::skipped!("../shared/data/epidemic/mitma_zones not found");
        return;
    }
    let started = std::time::Instant::now();
    let (setup, warnings) = load_episim(
        &dir.join("config_MMCACovid19.json"),
        &dir,
        &EpisimOptions::default(),
    )
    .expect("MITMA loads");
    for w in &warnings {
        eprintln!("{w}");
    }
    let n_days = setup.calendar.n_days();
    assert_eq!(n_days, 113, "2020-02-09 … 2020-05-31");
    // The κ₀ series starts on 2020-03-16 (day 37) and is daily to the end.
    let days: Vec<usize> = setup.containments.iter().map(|(d, _)| d).collect();
    assert_eq!(days.first(), Some(&37));
    assert_eq!(days.last(), Some(&n_days));
    assert_eq!(
        days.len(),
        n_days - 37 + 1,
        "one containment per day from 2020-03-16"
    );
    let kappas: Vec<f64> = setup.containments.iter().map(|(_, c)| c.kappa0).collect();
    assert!(kappas.iter().any(|&k| k > 0.5), "κ₀ series never above 0.5");

    let model = MmcaModel::new(setup).unwrap();
    let g_n = model.layout().strata.len();
    let m_n = model.layout().units.len();
    assert_eq!(g_n, 3);
    assert_eq!(m_n, 2850);
    let pop = model.network().pop.clone();
    let n_total: f64 = pop.iter().sum();
    assert!(
        pop.iter().all(|n| n.fract() == 0.0 && *n >= 0.0),
        "populations must be rounded"
    );

    let traj = simulate(&model);
    assert_eq!(traj.states.len(), n_days);
    let mut max_rel: f64 = 0.0;
    let mut new_infected = 0.0;
    let mut deaths_from_obs = 0.0;
    for (d, (st, ob)) in traj.states.iter().zip(&traj.obs).enumerate() {
        let day = d + 1;
        for (ig, &n) in pop.iter().enumerate() {
            let x = &st[ig * NC..][..NC];
            for (c, &v) in x.iter().enumerate() {
                assert!(v.is_finite(), "day {day}, cell {ig}: {} = {v}", NAMES[c]);
                assert!(
                    v >= 0.0,
                    "day {day}, patch {}, stratum {}: {} = {v:e} < 0",
                    ig / g_n,
                    ig % g_n,
                    NAMES[c]
                );
            }
            let persons: f64 = x.iter().map(|v| v * n).sum();
            if n == 0.0 {
                assert_eq!(
                    persons, 0.0,
                    "day {day}, cell {ig}: persons in an empty stratum"
                );
            } else {
                let e = rel_err(persons, n);
                max_rel = max_rel.max(e);
                assert!(
                    e <= 1e-12,
                    "day {day}, patch {}, stratum {}: {persons} vs {n} (rel {e:e})",
                    ig / g_n,
                    ig % g_n
                );
            }
        }
        assert!(
            ob.iter().all(|o| o.is_finite()),
            "non-finite observation on day {day}"
        );
        new_infected += (0..m_n * g_n)
            .map(|ig| ob[ig * NO + NEW_INFECTED])
            .sum::<f64>();
        deaths_from_obs += (0..m_n * g_n)
            .map(|ig| ob[ig * NO + NEW_DEATHS])
            .sum::<f64>();
        let total = model.conserved_total(st).unwrap();
        assert!(
            rel_err(total, n_total) <= 1e-12,
            "day {day}: total {total} vs {n_total}"
        );
    }
    let last = traj.state(n_days);
    let deaths: f64 = pop
        .iter()
        .enumerate()
        .map(|(ig, n)| last[ig * NC + D] * n)
        .sum();
    let confined: f64 = pop
        .iter()
        .enumerate()
        .map(|(ig, n)| last[ig * NC + CH] * n)
        .sum();
    eprintln!(
        "MITMA: {n_days} days in {:.1} s, N = {n_total}, Σ new_infected = {new_infected:.0}, deaths = {deaths:.0}, \
         confined on the last day = {confined:.0}, max conservation rel err {max_rel:e}",
        started.elapsed().as_secs_f64()
    );
    assert!(new_infected > 0.0);
    assert!((1e3..=1e6).contains(&deaths), "total deaths {deaths}");
    // Σ new_deaths over days telescopes to D(T)·n − D(1)·n with D(1) = 0.
    assert!(
        rel_err(deaths_from_obs, deaths) <= 1e-9,
        "Σ new_deaths {deaths_from_obs} vs D(T) {deaths}"
    );
    assert!(confined > 0.0, "the daily containments confined nobody");
}
