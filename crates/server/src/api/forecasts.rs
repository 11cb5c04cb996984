//! Forecasts: the latest quantiles per target and location, and past
//! forecasts by issue date (their origin).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{time_text, twin_entry};
use crate::auth::Caller;
use crate::jobs::ForecastBody;
use crate::problem::{ApiPath, ApiQuery, ApiResult, Problem};
use crate::store::{self, ForecastRow};
use crate::SharedState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ForecastFilter {
    /// Only this target (e.g. `new_hospitalized`).
    pub target: Option<String>,
    /// Only this location (or `total`).
    pub location: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Forecast {
    pub id: i64,
    pub twin: String,
    /// The run that made it (see /v1/runs/{id}/prov).
    pub run_id: String,
    pub created: String,
    #[serde(flatten)]
    pub body: ForecastBody,
}

fn view(row: ForecastRow, filter: &ForecastFilter) -> ApiResult<Forecast> {
    let mut body: ForecastBody =
        serde_json::from_str(&row.body).map_err(|e| Problem::internal(e.to_string()))?;
    // A target or location the forecast does not have is a mistake to
    // name, not an empty answer to give.
    let known = |what: &str, asked: &Option<String>, have: Vec<&String>| -> ApiResult<()> {
        let Some(x) = asked.as_ref().filter(|x| !have.contains(x)) else {
            return Ok(());
        };
        let mut have: Vec<&str> = have.into_iter().map(String::as_str).collect();
        have.sort_unstable();
        have.dedup();
        let shown = match have.len() {
            0..=12 => have.join(", "),
            n => format!("{}, … ({n} in all)", have[..12].join(", ")),
        };
        Err(Problem::unprocessable(format!(
            "`{what}`: forecast {} has no `{x}`; it has {shown}",
            row.id
        )))
    };
    known(
        "target",
        &filter.target,
        body.targets.iter().map(|t| &t.target).collect(),
    )?;
    known(
        "location",
        &filter.location,
        body.targets.iter().map(|t| &t.location).collect(),
    )?;
    let wanted = |target: &str, location: &str| {
        filter.target.as_ref().is_none_or(|x| x == target)
            && filter.location.as_ref().is_none_or(|x| x == location)
    };
    body.targets.retain(|t| wanted(&t.target, &t.location));
    body.weekly_ensemble
        .retain(|t| wanted(&t.target, &t.location));
    Ok(Forecast {
        id: row.id,
        twin: row.twin_id,
        run_id: row.run_id,
        created: time_text(row.created_ms),
        body,
    })
}

/// The newest forecast's quantiles.
#[utoipa::path(get, path = "/v1/twins/{twin}/forecasts/latest", tag = "forecasts",
    params(("twin" = String, Path), ForecastFilter),
    responses((status = 200, body = Forecast), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn latest_forecast(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
    ApiQuery(filter): ApiQuery<ForecastFilter>,
) -> ApiResult<Json<Forecast>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    let t = twin.clone();
    let row = state
        .store
        .read(move |c| store::latest_forecast(c, &t))
        .await?
        .ok_or_else(|| Problem::not_found(format!("twin `{twin}` has no forecast yet")))?;
    view(row, &filter).map(Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ForecastListQuery {
    /// Only forecasts issued on this date (their origin, `YYYY-MM-DD`).
    pub issued: Option<String>,
    /// At most this many, newest first (default 100; 1 to 10,000, more
    /// is read as 10,000).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastSummary {
    pub id: i64,
    pub origin: String,
    pub created: String,
    pub run_id: String,
}

#[utoipa::path(get, path = "/v1/twins/{twin}/forecasts", tag = "forecasts",
    params(("twin" = String, Path), ForecastListQuery),
    responses((status = 200, body = Vec<ForecastSummary>), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_forecasts(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
    ApiQuery(q): ApiQuery<ForecastListQuery>,
) -> ApiResult<Json<Vec<ForecastSummary>>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    // Matched as the store writes origins, whatever spelling was sent
    // (`2020-3-20` is 2020-03-20).
    let issued = q
        .issued
        .as_deref()
        .map(|d| {
            d.parse::<didymos_core::Date>()
                .map(|d| d.to_string())
                .map_err(|e| Problem::unprocessable(format!("`issued`: {e}")))
        })
        .transpose()?;
    if q.limit == Some(0) {
        return Err(Problem::unprocessable(
            "`limit`: at least 1 (at most 10,000 are listed)",
        ));
    }
    let limit = q.limit.unwrap_or(100).min(10_000);
    let rows = state
        .store
        .read(move |c| store::list_forecasts(c, &twin, issued.as_deref(), limit))
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ForecastSummary {
                id: r.id,
                origin: r.origin,
                created: time_text(r.created_ms),
                run_id: r.run_id,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/v1/twins/{twin}/forecasts/{id}", tag = "forecasts",
    params(("twin" = String, Path), ("id" = i64, Path), ForecastFilter),
    responses((status = 200, body = Forecast), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_forecast(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath((twin, id)): ApiPath<(String, i64)>,
    ApiQuery(filter): ApiQuery<ForecastFilter>,
) -> ApiResult<Json<Forecast>> {
    caller.require_read()?;
    let row = state
        .store
        .read(move |c| store::get_forecast(c, &twin, id))
        .await?;
    view(row, &filter).map(Json)
}
