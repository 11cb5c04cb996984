//! Scenario jobs: what-if scenarios branched from the twin's latest
//! checkpoint with common random numbers (crates/scenario), as the CLI's
//! `didymos scenario --from-checkpoint` does, run on a blocking thread
//! with progress and cancellation between stages: an epidemic twin's
//! interventions here, a flood twin's forcing scenarios in
//! `super::flood_scenario`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use didymos_core::Model;
use didymos_epi::mmca::MmcaModel;
use didymos_epi::scenarios::load_scenarios;
use didymos_scenario::{difference, exceedance, summarise, Options, Posterior};
use didymos_twin::checkpoint;

use crate::hosted::Hosted;
use crate::registry::TwinEntry;
use crate::store::{self, now_ms};
use crate::AppState;

/// Forecast length when the scenarios file gives no horizon (as the CLI).
const DEFAULT_HORIZON_DAYS: usize = 42;

/// What a job needs, checked before it is queued.
pub struct ScenarioJob {
    pub run_id: String,
    pub dir: PathBuf,
    pub scenarios: PathBuf,
    /// The job's own link to the twin's checkpoint it branches from,
    /// removed when the job ends.
    pub checkpoint: PathBuf,
    /// That checkpoint where the twin's assimilation wrote it, beside its
    /// prov.json (the file itself may be pruned by the time the job runs).
    pub posterior: PathBuf,
    pub members: Option<usize>,
    pub seed: u64,
}

/// Loads the scenarios file against the twin (the CLI's errors on failure).
pub fn check(twin: &TwinEntry, path: &Path) -> Result<(), String> {
    match &twin.hosted {
        Hosted::Epidemic(loaded) => load_scenarios(path, &loaded.model)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Hosted::Flood(flood) => super::flood_scenario::check(flood, path).map(|_| ()),
    }
}

fn set(
    state: &AppState,
    id: &str,
    status: &str,
    progress: f64,
    error: Option<String>,
    result: Option<String>,
) {
    let (id, status) = (id.to_string(), status.to_string());
    let finished = matches!(status.as_str(), "succeeded" | "failed" | "cancelled").then(now_ms);
    let _ = state.store.write_blocking(move |c| {
        store::update_run(
            c,
            &id,
            &status,
            progress,
            error.as_deref(),
            result.as_deref(),
            finished,
        )
    });
}

/// Runs the job to its end, recording status, progress and result.
pub fn run(state: &AppState, twin: &TwinEntry, job: &ScenarioJob, cancel: Arc<AtomicBool>) {
    let cancelled = || cancel.load(Ordering::Relaxed);
    let outcome = if cancelled() {
        Ok(None)
    } else {
        set(state, &job.run_id, "running", 0.05, None, None);
        execute(state, twin, job, &cancelled)
    };
    // The job's link to its checkpoint has served (prov.json keeps the
    // file's hash); once the twin prunes the original it would hold the
    // whole file.
    let _ = std::fs::remove_file(&job.checkpoint);
    match outcome {
        Ok(Some(result)) => {
            set(
                state,
                &job.run_id,
                "succeeded",
                1.0,
                None,
                Some(result.to_string()),
            );
            crate::events::publish(
                &state.events,
                "job",
                &twin.id,
                serde_json::json!({"id": job.run_id, "status": "succeeded"}),
            );
        }
        Ok(None) => set(state, &job.run_id, "cancelled", 0.0, None, None),
        Err(e) => set(state, &job.run_id, "failed", 1.0, Some(e), None),
    }
}

fn execute(
    state: &AppState,
    twin: &TwinEntry,
    job: &ScenarioJob,
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<serde_json::Value>, String> {
    let mut prov = super::recorder("scenario", &[&twin.id]);
    super::record_spec(&mut prov, &twin.hosted)?;
    prov.used("scenarios", &job.scenarios)
        .map_err(|e| e.to_string())?;
    prov.used_copy_of("checkpoint", &job.checkpoint, &job.posterior)
        .map_err(|e| e.to_string())?;
    let stage = |progress: f64| {
        set(state, &job.run_id, "running", progress, None, None);
        !cancelled()
    };
    let result = match &twin.hosted {
        Hosted::Epidemic(loaded) => epidemic(&loaded.model, job, &stage)?,
        Hosted::Flood(flood) => super::flood_scenario::execute(flood, job, &stage)?,
    };
    let Some(result) = result else {
        return Ok(None);
    };
    let out = job.dir.join("result.json");
    didymos_core::fs::write_atomic(&out, result.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    prov.generated("output", &out).map_err(|e| e.to_string())?;
    prov.finish(&job.dir).map_err(|e| e.to_string())?;
    Ok(Some(result))
}

/// An epidemic twin's intervention scenarios; `stage(progress)` reports
/// progress and returns false when the job was cancelled.
fn epidemic(
    model: &MmcaModel,
    job: &ScenarioJob,
    stage: &dyn Fn(f64) -> bool,
) -> Result<Option<serde_json::Value>, String> {
    let err = |e: didymos_core::Error| e.to_string();
    let cal = *model.calendar();
    let file = load_scenarios(&job.scenarios, model).map_err(err)?;
    let (ens, _hist, saved) = checkpoint::load_parts(&job.checkpoint, model).map_err(err)?;
    let branch = saved.day;
    if let Some(d) = file.branch {
        if cal.day_in_range(d) != Some(branch) {
            return Err(format!(
                "the scenarios branch on {d} but the twin's posterior is on {}; remove `branch`",
                cal.date_of(branch)
            ));
        }
    }
    let horizon_day = match file.horizon {
        Some(d) => cal
            .day_in_range(d)
            .ok_or_else(|| format!("horizon {d} is outside the twin's range"))?,
        None => (branch + DEFAULT_HORIZON_DAYS).min(cal.n_days()),
    };
    file.check_window(branch, horizon_day).map_err(err)?;
    let post = Posterior::from_ensemble(&ens, saved.log_w.clone());
    drop(ens);
    if !stage(0.2) {
        return Ok(None);
    }
    let base = model.with_containments_until(branch).map_err(err)?;
    let opts = Options {
        horizon_day,
        seed: job.seed,
        members: job.members,
    };
    let outcomes = didymos_epi::scenarios::run_file(&file, &base, &post, &opts).map_err(err)?;
    if !stage(0.8) {
        return Ok(None);
    }
    let baseline = &outcomes[file.baseline];
    let total = baseline.units.len() - 1;
    let mut per_scenario = Vec::new();
    for (i, o) in outcomes.iter().enumerate() {
        let cumulative: Vec<serde_json::Value> = summarise(o)
            .map_err(err)?
            .into_iter()
            .filter(|s| s.unit == baseline.units[total])
            .map(|s| {
                serde_json::json!({"observable": s.observable, "cumulative": s.cumulative, "peak": s.peak_size})
            })
            .collect();
        let mut averted = Vec::new();
        if i != file.baseline {
            for (k, flow) in o.is_flow.iter().enumerate() {
                if *flow {
                    averted.push(difference(baseline, o, k, total).map_err(err)?);
                }
            }
        }
        let capacity: Vec<_> = file
            .capacity
            .iter()
            .flat_map(|cap| {
                cap.thresholds
                    .iter()
                    .map(|&(unit, threshold)| exceedance(o, cap.observable, unit, threshold))
                    .map(|e| serde_json::json!({"observable": e.observable, "unit": e.unit, "threshold": e.threshold, "probability": e.within_horizon}))
                    .collect::<Vec<_>>()
            })
            .collect();
        per_scenario.push(serde_json::json!({
            "name": o.name,
            "national": cumulative,
            "averted_vs_baseline": averted,
            "capacity_exceedance": capacity,
        }));
    }
    Ok(Some(serde_json::json!({
        "branch": cal.date_of(branch).to_string(),
        "horizon": cal.date_of(horizon_day).to_string(),
        "baseline": baseline.name,
        "members": baseline.members(),
        "seed": job.seed,
        "scenarios": per_scenario,
    })))
}
