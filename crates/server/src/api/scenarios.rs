//! Scenario jobs: submit (202 with the job), list, get, cancel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use super::runs::Run;
use super::twin_entry;
use crate::auth::Caller;
use crate::jobs::scenario::{self, ScenarioJob};
use crate::problem::{ApiJson, ApiPath, ApiResult, Problem};
use crate::store::{self, now_ms, RunRow};
use crate::SharedState;

/// What-if scenarios to branch from the twin's latest posterior, in the
/// scenarios TOML format of `didymos scenario`: interventions for an
/// epidemic twin (data/spain/scenarios-2020.toml), forcing for a flood twin
/// (data/flood/scenarios.toml).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitScenarios {
    /// The scenarios file's TOML text.
    #[serde(default)]
    pub scenarios_toml: Option<String>,
    /// Or the path of one on the server.
    #[serde(default)]
    pub scenarios_path: Option<String>,
    /// Members to run per scenario (default: all of the posterior's).
    #[serde(default)]
    pub members: Option<usize>,
    /// Random seed (default: the twin's).
    #[serde(default)]
    pub seed: Option<u64>,
}

#[utoipa::path(post, path = "/v1/twins/{twin}/scenarios", tag = "scenarios", params(("twin" = String, Path)),
    request_body = SubmitScenarios,
    responses((status = 202, body = Run), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 409, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn submit_scenarios(
    _caller: crate::auth::ScenarioRunner,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
    ApiJson(req): ApiJson<SubmitScenarios>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    let entry = twin_entry(&state, &twin)?;
    // The same bounds as a twin's own members: a job the memory check would
    // fail later is refused now.
    super::twins::check_members(req.members)?;
    let t = twin.clone();
    let row = state.store.read(move |c| store::get_twin(c, &t)).await?;
    let checkpoint = row.checkpoint_path.clone().ok_or_else(|| {
        Problem::conflict(format!(
            "twin `{twin}` has no posterior yet: ingest data and wait for its first assimilation"
        ))
    })?;
    let run_id = crate::live::new_run_id("scenario");
    let dir = state.runs_dir().join(&run_id);
    let io = |e: std::io::Error| Problem::internal(e.to_string());
    std::fs::create_dir_all(&dir).map_err(io)?;
    // The job's own link to the posterior it branches from (a copy where
    // links are not possible): the live loop prunes old checkpoints as the
    // twin moves on, and the job must read the one it was given.
    let own = dir.join("checkpoint.bin");
    let linked = std::fs::hard_link(&checkpoint, &own)
        .or_else(|_| std::fs::copy(&checkpoint, &own).map(|_| ()));
    if let Err(e) = linked {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(Problem::conflict(format!(
            "twin `{twin}` moved on to a new checkpoint while the job was submitted ({e}); submit it again"
        )));
    }
    let scenarios = match (&req.scenarios_toml, &req.scenarios_path) {
        (Some(text), None) => {
            let p = dir.join("scenarios.toml");
            std::fs::write(&p, text).map_err(io)?;
            p
        }
        (None, Some(p)) => std::fs::canonicalize(p)
            .map_err(|e| Problem::unprocessable(format!("{p}: {e}")).at("/scenarios_path"))?,
        _ => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(Problem::unprocessable(
                "give exactly one of `scenarios_toml` and `scenarios_path`",
            ));
        }
    };
    let (e2, s2) = (entry.clone(), scenarios.clone());
    let checked = tokio::task::spawn_blocking(move || scenario::check(&e2, &s2))
        .await
        .map_err(|e| Problem::internal(e.to_string()))?;
    if let Err(e) = checked {
        let _ = std::fs::remove_dir_all(&dir);
        let field = if req.scenarios_toml.is_some() {
            "/scenarios_toml"
        } else {
            "/scenarios_path"
        };
        return Err(Problem::unprocessable(e).at(field));
    }
    let run = RunRow {
        id: run_id.clone(),
        twin_id: twin.clone(),
        kind: "scenario".into(),
        status: "queued".into(),
        progress: 0.0,
        created_ms: now_ms(),
        finished_ms: None,
        error: None,
        result: None,
        dir: dir.to_string_lossy().into_owned(),
    };
    let r = run.clone();
    state.store.write(move |c| store::insert_run(c, &r)).await?;
    let cancel = Arc::new(AtomicBool::new(false));
    if let Ok(mut m) = state.cancel.lock() {
        m.insert(run_id.clone(), cancel.clone());
    }
    let job = ScenarioJob {
        run_id: run_id.clone(),
        dir,
        scenarios,
        checkpoint: own,
        posterior: checkpoint.into(),
        members: req.members,
        seed: req.seed.unwrap_or(row.seed),
    };
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        scenario::run(&st, &entry, &job, cancel);
        if let Ok(mut m) = st.cancel.lock() {
            m.remove(&job.run_id);
        }
    });
    Ok((StatusCode::ACCEPTED, Json(run.into())))
}

#[utoipa::path(get, path = "/v1/twins/{twin}/scenarios", tag = "scenarios", params(("twin" = String, Path)),
    responses((status = 200, body = Vec<Run>), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_scenario_jobs(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<Vec<Run>>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    let rows = state
        .store
        .read(move |c| store::list_runs(c, Some(&twin), Some("scenario"), 1000))
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "scenarios", params(("id" = String, Path)),
    responses((status = 200, body = Run), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_job(
    caller: Caller,
    state: State<SharedState>,
    id: ApiPath<String>,
) -> ApiResult<Json<Run>> {
    // A job is a run: the same record, under the scenarios tag.
    super::runs::get_run(caller, state, id).await
}

/// Cancel a queued or running job (it stops at its next stage).
#[utoipa::path(post, path = "/v1/jobs/{id}/cancel", tag = "scenarios", params(("id" = String, Path)),
    responses((status = 202, body = Run), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 409, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn cancel_job(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    caller.require_scenarios()?;
    let i = id.clone();
    let row = state.store.read(move |c| store::get_run(c, &i)).await?;
    let flag = state.cancel.lock().ok().and_then(|m| m.get(&id).cloned());
    match flag {
        Some(f) => f.store(true, Ordering::Relaxed),
        None => {
            return Err(Problem::conflict(format!(
                "job `{id}` is {} and cannot be cancelled",
                row.status
            )))
        }
    }
    Ok((StatusCode::ACCEPTED, Json(row.into())))
}
