//! A flood twin's scenario jobs: forcing scenarios ("30% more rain from
//! Monday", data/flood/scenarios.toml) branched from the twin's latest
//! checkpoint with common random numbers, as `didymos scenario` runs them
//! for a flood spec. The result gives each scenario's peak discharge, the
//! chance of exceeding the spec's warning levels, and its runoff against
//! the baseline, all with intervals over the posterior.

use didymos_core::Model;
use didymos_hydro::scenarios::{load_flood_scenarios, FloodScenarioFile};
use didymos_scenario::summary::summarise_one;
use didymos_scenario::{difference, exceedance, Posterior};
use didymos_twin::checkpoint;
use serde_json::{json, Value};

use super::scenario::ScenarioJob;
use crate::hosted::flood::FloodHosted;

/// Loads the scenarios file against the twin (the CLI's errors on failure).
pub fn check(flood: &FloodHosted, path: &std::path::Path) -> Result<FloodScenarioFile, String> {
    load_flood_scenarios(path, &flood.noisy).map_err(|e| e.to_string())
}

/// Runs the scenarios; `stage(progress)` reports progress and returns
/// false when the job was cancelled (then the result is `None`).
pub fn execute(
    flood: &FloodHosted,
    job: &ScenarioJob,
    stage: &dyn Fn(f64) -> bool,
) -> Result<Option<Value>, String> {
    let err = |e: didymos_core::Error| e.to_string();
    let model = &flood.noisy;
    let cal = *model.calendar();
    let file = check(flood, &job.scenarios)?;
    let (ens, _hist, saved) = checkpoint::load_parts(&job.checkpoint, model).map_err(err)?;
    let post = Posterior::from_ensemble(&ens, saved.log_w.clone());
    drop(ens);
    let horizon_day = file.horizon_after(model, post.day).map_err(err)?;
    let branch = cal.date_of(post.day);
    if !stage(0.2) {
        return Ok(None);
    }
    let outcomes = file
        .run(model, &post, horizon_day, job.seed, job.members)
        .map_err(err)?;
    if !stage(0.8) {
        return Ok(None);
    }
    let discharge = outcomes[0]
        .observable("discharge")
        .ok_or("the flood model has no discharge observable")?;
    let levels = flood.twin.warning_levels().map_err(err)?;
    let baseline = &outcomes[file.baseline];
    let interval = |q: &didymos_scenario::summary::QuantileSet| json!({"q05": q.q05, "q50": q.q50, "q95": q.q95});
    let mut per_scenario = Vec::new();
    for o in &outcomes {
        let peak = summarise_one(o, discharge, 0, "discharge", &o.units[0])
            .map_err(err)?
            .peak_size;
        let exceed: Vec<Value> = levels
            .iter()
            .map(|(name, q)| {
                let e = exceedance(o, discharge, 0, *q);
                json!({"level": name, "threshold_mm_per_day": q, "probability": e.within_horizon})
            })
            .collect();
        // Runoff added over the horizon (the difference's "averted" is
        // baseline − scenario).
        let runoff = if o.name == baseline.name {
            Value::Null
        } else {
            let d = difference(baseline, o, discharge, 0).map_err(err)?.averted;
            json!({"q05": -d.q95, "q50": -d.q50, "q95": -d.q05})
        };
        per_scenario.push(json!({
            "name": o.name,
            "peak_discharge_mm_per_day": interval(&peak),
            "warning_levels": exceed,
            "runoff_vs_baseline_mm": runoff,
        }));
    }
    Ok(Some(json!({
        "branch": branch.to_string(),
        "horizon": cal.date_of(horizon_day).to_string(),
        "baseline": baseline.name,
        "members": baseline.members(),
        "seed": job.seed,
        "scenarios": per_scenario,
    })))
}
