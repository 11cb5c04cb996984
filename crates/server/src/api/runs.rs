//! Service jobs (assimilation, forecast, scenario) and their provenance.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::time_text;
use crate::auth::Caller;
use crate::problem::{ApiPath, ApiQuery, ApiResult, Problem};
use crate::store::{self, RunRow};
use crate::SharedState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Run {
    pub id: String,
    pub twin: String,
    /// `assimilate`, `forecast` or `scenario`.
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`; an
    /// assimilation whose checkpoint a change to its data overtook is
    /// `superseded` (its forecast stands, from the data it read).
    pub status: String,
    /// 0 to 1.
    pub progress: f64,
    pub created: String,
    pub finished: Option<String>,
    pub error: Option<String>,
    pub result: Option<serde_json::Value>,
    /// Where its W3C PROV-JSON document is served.
    pub prov: String,
}

impl From<RunRow> for Run {
    fn from(r: RunRow) -> Run {
        Run {
            prov: format!("/v1/runs/{}/prov", r.id),
            id: r.id,
            twin: r.twin_id,
            kind: r.kind,
            status: r.status,
            progress: r.progress,
            created: time_text(r.created_ms),
            finished: r.finished_ms.map(time_text),
            error: r.error,
            result: r.result.and_then(|t| serde_json::from_str(&t).ok()),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RunFilter {
    pub twin: Option<String>,
    pub kind: Option<String>,
    /// At most this many, newest first (default 100).
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/runs", tag = "runs", params(RunFilter),
    responses((status = 200, body = Vec<Run>), (status = 401, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_runs(
    caller: Caller,
    State(state): State<SharedState>,
    ApiQuery(q): ApiQuery<RunFilter>,
) -> ApiResult<Json<Vec<Run>>> {
    caller.require_read()?;
    let limit = q.limit.unwrap_or(100).clamp(1, 10_000);
    let rows = state
        .store
        .read(move |c| store::list_runs(c, q.twin.as_deref(), q.kind.as_deref(), limit))
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/v1/runs/{id}", tag = "runs", params(("id" = String, Path)),
    responses((status = 200, body = Run), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_run(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Run>> {
    caller.require_read()?;
    let row = state.store.read(move |c| store::get_run(c, &id)).await?;
    Ok(Json(row.into()))
}

/// The run's W3C PROV-JSON document (also at `/runs/{id}/prov`).
#[utoipa::path(get, path = "/v1/runs/{id}/prov", tag = "runs", params(("id" = String, Path)),
    responses((status = 200, description = "PROV-JSON", content_type = "application/json"), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn run_prov(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    caller.require_read()?;
    let row = state.store.read(move |c| store::get_run(c, &id)).await?;
    let path = std::path::Path::new(&row.dir).join(didymos_prov::PROV_FILE);
    let text = std::fs::read(&path).map_err(|_| {
        Problem::not_found(format!(
            "run `{}` has no provenance record (it is {})",
            row.id, row.status
        ))
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}
