//! Shared helpers: the bundled basin and the second basin from the shared
//! data folder (tests that need it print `SKIPPED: …` when it is absent).
#![allow(dead_code)]

use std::path::PathBuf;

use didymos_core::{Calendar, Date};
use didymos_hydro::{
    read_camels_forcing, read_camels_streamflow, Gr4jModel, Gr4jOptions, Streamflow,
};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn bundled_dir() -> PathBuf {
    repo_root().join("data/flood/camels_us")
}

pub fn shared_dir() -> PathBuf {
    repo_root().join("../shared/data/flood/camels_us")
}

pub fn date(s: &str) -> Date {
    s.parse().unwrap()
}

pub struct Basin {
    pub id: String,
    pub model: Gr4jModel,
    pub flow: Streamflow,
    pub area_m2: f64,
    /// Observed discharge (mm/day) for days 1..=n of the model calendar.
    pub observed: Vec<Option<f64>>,
}

/// A basin over 2000-01-01 … 2002-12-31 with a one-year spin-up.
pub fn basin(dir: &std::path::Path, id: &str) -> Basin {
    let f = read_camels_forcing(&dir.join(format!("{id}_lump_cida_forcing_leap.txt"))).unwrap();
    let flow =
        read_camels_streamflow(&dir.join(format!("{id}_streamflow_qc.txt")), f.area_m2).unwrap();
    let (start, end) = (date("2000-01-01"), date("2002-12-31"));
    let forcing = f.forcing(start, end).unwrap();
    let cal = Calendar::new(start, end).unwrap();
    let model = Gr4jModel::new(id, forcing, cal, Gr4jOptions::default()).unwrap();
    Basin {
        id: id.to_string(),
        model,
        observed: flow.series(start, end),
        flow,
        area_m2: f.area_m2,
    }
}

/// The second basin, or `None` after printing why it is skipped.
pub fn shared_basin(id: &str) -> Option<Basin> {
    let dir = shared_dir();
    if !dir.join(format!("{id}_streamflow_qc.txt")).exists() {
        didymos_core::skipped!("{} not found (shared CAMELS data absent)", dir.display());
        return None;
    }
    Some(basin(&dir, id))
}
