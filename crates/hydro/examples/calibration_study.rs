//! Calibration settings compared on calibration-period evidence only.
//!
//! For each setting, basin and seed: calibrate on 2000–2001 and report the
//! fit, plus a split-sample test inside the calibration period (calibrate
//! on 2000, score 2001; calibrate on 2001, score 2000). Settings are chosen
//! on the split-sample scores; the 2002 validation is printed for the
//! record.
//!
//! cargo run --release -p didymos-hydro --example calibration_study -- [SETTING [SEEDS]]
//! (SETTING: run only settings whose name starts with it; SEEDS: seeds
//! 1..=SEEDS, default 3). The second basin is read from ../shared/data.

use didymos_core::{Calendar, Date};
use didymos_hydro::{
    calibrate, kge, nse, read_camels_forcing, read_camels_streamflow, CalibrationOptions,
    Gr4jModel, Gr4jOptions, Objective,
};

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

struct Setting {
    name: &'static str,
    hydrotel: bool,
    spin_up: usize,
    objective: Objective,
    population: usize,
    generations: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let basins = [
        (root.join("data/flood/camels_us"), "01022500"),
        (root.join("../shared/data/flood/camels_us"), "01547700"),
    ];
    let only: Option<&str> = args.first().map(String::as_str);
    // Seeds 1..=N (second argument; default 3).
    let seeds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let s = |name, hydrotel, spin_up, objective, population, generations| Setting {
        name,
        hydrotel,
        spin_up,
        objective,
        population,
        generations,
    };
    let settings = [
        s("base", false, 365, Objective::Kge, 30, 60),
        s("hydrotel", true, 365, Objective::Kge, 30, 60),
        s("hydrotel+spin730", true, 730, Objective::Kge, 30, 60),
        s("hydrotel+kge_sqrt", true, 365, Objective::KgeSqrt, 30, 60),
        s(
            "hydrotel+kge_highlow",
            true,
            365,
            Objective::KgeHighLow,
            30,
            60,
        ),
        s("hydrotel+de60x100", true, 365, Objective::Kge, 60, 100),
        s("spin730", false, 730, Objective::Kge, 30, 60),
        s("sqrt+spin730", true, 730, Objective::KgeSqrt, 30, 60),
        s("sqrt+de60x100", true, 365, Objective::KgeSqrt, 60, 100),
        s(
            "highlow+de60x100",
            true,
            365,
            Objective::KgeHighLow,
            60,
            100,
        ),
    ];
    for st in &settings {
        if only.is_some_and(|o| !st.name.starts_with(o)) {
            continue;
        }
        for (dir, id) in &basins {
            let f =
                read_camels_forcing(&dir.join(format!("{id}_lump_cida_forcing_leap.txt"))).unwrap();
            let flow =
                read_camels_streamflow(&dir.join(format!("{id}_streamflow_qc.txt")), f.area_m2)
                    .unwrap();
            let (start, end) = (date("2000-01-01"), date("2002-12-31"));
            let mut forcing = f.forcing(start, end).unwrap();
            if !st.hydrotel {
                forcing = forcing.with_solid_fraction(None).unwrap();
            }
            let opts = Gr4jOptions {
                spin_up_days: st.spin_up,
                ..Default::default()
            };
            let model =
                Gr4jModel::new(id, forcing, Calendar::new(start, end).unwrap(), opts).unwrap();
            let obs = flow.series(start, end);
            for seed in 1..=seeds {
                let run = |first: usize, last: usize| {
                    let mut o = CalibrationOptions::new(first, last);
                    o.objective = st.objective;
                    o.population = st.population;
                    o.generations = st.generations;
                    o.seed = seed;
                    let c = calibrate(&model, &obs, &o).unwrap();
                    model.simulate(&c.params).unwrap().discharge
                };
                let full = run(1, 731);
                let a = run(1, 366); // 2000 → score 2001
                let b = run(367, 731); // 2001 → score 2000
                let split = 0.5 * (kge(&a[366..731], &obs[366..731]) + kge(&b[..366], &obs[..366]));
                println!(
                    "{:<22} {id} seed {seed}: cal KGE {:.3} NSE {:.3} | split-sample KGE {:.3} (2000→2001 {:.3}, 2001→2000 {:.3}) | val 2002 KGE {:.3} NSE {:.3}",
                    st.name,
                    kge(&full[..731], &obs[..731]),
                    nse(&full[..731], &obs[..731]),
                    split,
                    kge(&a[366..731], &obs[366..731]),
                    kge(&b[..366], &obs[..366]),
                    kge(&full[731..], &obs[731..]),
                    nse(&full[731..], &obs[731..]),
                );
            }
        }
    }
}
