//! Time one model year per member: the bundled basin's 2001, run (a) as a
//! noise-free `simulate` and (b) as an ensemble with precipitation and
//! routing noise through the core `Ensemble` (the path filters use).
//!
//! `cargo bench -p didymos-hydro --bench gr4j_year`

use std::path::PathBuf;
use std::time::Instant;

use didymos_core::{Calendar, Date, Ensemble, RunOptions};
use didymos_hydro::{read_camels_forcing, Gr4jModel, Gr4jOptions};

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/flood/camels_us");
    let f = read_camels_forcing(&dir.join("01022500_lump_cida_forcing_leap.txt")).unwrap();
    let (start, end) = (
        Date::from_ymd(2001, 1, 1).unwrap(),
        Date::from_ymd(2001, 12, 31).unwrap(),
    );
    let forcing = f.forcing(start, end).unwrap();
    let cal = Calendar::new(start, end).unwrap();
    let opts = Gr4jOptions {
        spin_up_days: 0,
        ..Default::default()
    };
    let model = Gr4jModel::new("01022500", forcing, cal, opts).unwrap();
    let p = [254.0, -2.0, 190.0, 1.2, 0.1, 6.5];

    let reps = 2000;
    let t = Instant::now();
    let mut sink = 0.0;
    for _ in 0..reps {
        sink += model.simulate(&p).unwrap().discharge[364];
    }
    let per = t.elapsed().as_secs_f64() / reps as f64;
    println!(
        "simulate: {:.1} µs per model year ({:.0} ns/day) [{sink:.3}]",
        per * 1e6,
        per * 1e9 / 365.0
    );

    let noisy = model
        .with_options(Gr4jOptions {
            precip_log_sd: 0.3,
            routing_log_sd: 0.05,
            ..opts
        })
        .unwrap();
    let threads = rayon::current_num_threads();
    for members in [1000, 10_000] {
        let mut ens = Ensemble::from_priors(&noisy, members, 1).unwrap();
        let t = Instant::now();
        ens.run_to(365, &RunOptions::default(), |_| {});
        let wall = t.elapsed().as_secs_f64();
        println!(
            "ensemble {members} members × 1 year (noise, observables, {threads} threads): {:.3} s wall, {:.2} µs per member-year",
            wall,
            wall / members as f64 * 1e6
        );
    }
}
