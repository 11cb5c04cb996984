//! `scenarios.json`: everything `didymos report` needs from a scenario run
//! (summaries, differences, exceedance, the forecast with its observations
//! and the run's metadata), so the report is rebuilt without re-running.

use std::path::Path;

use didymos_core::{Date, Error, Result};
use didymos_scenario::{Difference, Exceedance, QuantileSet, SeriesSummary};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleMeta {
    pub twin: String,
    pub branch: Date,
    pub horizon: Date,
    pub data_cutoff: Option<Date>,
    /// How the posterior was obtained (filter, checkpoint, prior).
    pub posterior: String,
    pub members: usize,
    pub seed: u64,
    pub software: String,
    pub git_commit: String,
}

impl BundleMeta {
    /// The metadata of a run of this build of Didymos.
    pub fn new(
        twin: String,
        (branch, horizon): (Date, Date),
        data_cutoff: Option<Date>,
        posterior: String,
        members: usize,
        seed: u64,
    ) -> BundleMeta {
        BundleMeta {
            twin,
            branch,
            horizon,
            data_cutoff,
            posterior,
            members,
            seed,
            software: format!("didymos {}", env!("CARGO_PKG_VERSION")),
            git_commit: option_env!("DIDYMOS_GIT_COMMIT")
                .unwrap_or("unknown")
                .into(),
        }
    }
}

/// Observations and the forecast of what will be reported, for one stream
/// and location.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FanSeries {
    pub stream: String,
    pub location: String,
    /// Chart title and unit, when the default wording does not fit.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    pub observed: Vec<(Date, f64)>,
    pub forecast: Vec<(Date, QuantileSet)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    pub meta: BundleMeta,
    /// The date of each summary's first daily value.
    pub first_date: Date,
    pub baseline: String,
    /// Units of the model and their populations (for per-capita maps).
    pub units: Vec<String>,
    pub population: Vec<f64>,
    pub series: Vec<SeriesSummary>,
    pub differences: Vec<Difference>,
    pub exceedance: Vec<Exceedance>,
    pub forecast: Vec<FanSeries>,
}

impl Bundle {
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_vec(self).map_err(|e| Error::Other(e.to_string()))?;
        didymos_core::fs::write_atomic(path, &text)
    }
    pub fn read(path: &Path) -> Result<Bundle> {
        let text = didymos_core::fs::read_bytes(path, didymos_core::fs::DATA_MAX_BYTES)?;
        serde_json::from_slice(&text).map_err(|e| {
            Error::Other(format!(
                "{}: not a scenarios.json written by `didymos scenario`: {e}",
                path.display()
            ))
        })
    }
}
