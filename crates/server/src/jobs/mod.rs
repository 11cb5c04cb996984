//! Service jobs and their provenance: every assimilation, forecast and
//! scenario run gets a folder under `runs/` with its outputs and a W3C
//! PROV-JSON `prov.json` (crates/prov), and a row in the `runs` table.

mod flood_scenario;
mod forecast;
pub mod scenario;

pub use forecast::{
    publish_forecast, record_forecast, ForecastBody, Nowcast, ProvisionalDays, StoredForecast,
    TargetQuantiles, WeeklyQuantiles,
};

use std::path::Path;

use didymos_prov::Recorder;

use crate::hosted::Hosted;
use crate::store::{self, now_ms, RunRow};
use crate::AppState;

/// A provenance recorder for a service job; argv records what was asked.
pub fn recorder(kind: &str, args: &[&str]) -> Recorder {
    let mut argv = vec!["didymos-server".to_string(), kind.to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    Recorder::start(kind, argv, didymos_prov::build_info!())
}

/// Records the twin's spec and every data file it read.
pub fn record_spec(prov: &mut Recorder, twin: &Hosted) -> Result<(), String> {
    for (role, p) in twin.inputs() {
        prov.used(role, &p).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Records a job that already finished (the live loop's jobs).
pub fn record_finished_run(
    state: &AppState,
    twin: &str,
    id: &str,
    kind: &str,
    dir: &Path,
    result: &serde_json::Value,
) -> Result<(), String> {
    let now = now_ms();
    let row = RunRow {
        id: id.into(),
        twin_id: twin.into(),
        kind: kind.into(),
        status: "succeeded".into(),
        progress: 1.0,
        created_ms: now,
        finished_ms: Some(now),
        error: None,
        result: Some(result.to_string()),
        dir: dir.to_string_lossy().into_owned(),
    };
    state
        .store
        .write_blocking(move |c| store::insert_run(c, &row))
        .map_err(|e| e.to_string())
}
