//! How a twin's past forecasts scored against what has since been
//! observed (see [`crate::skill`]).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use didymos_core::Date;
use serde::Deserialize;
use utoipa::IntoParams;

use super::twin_entry;
use crate::auth::Caller;
use crate::problem::{ApiPath, ApiQuery, ApiResult, Problem};
use crate::skill::{self, SkillRequest};
use crate::SharedState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SkillQuery {
    /// Only this target (e.g. `new_hospitalized`).
    pub target: Option<String>,
    /// Only this location, or `total` (the sum over locations).
    pub location: Option<String>,
    /// Forecasts issued from this date (their origin, `YYYY-MM-DD`;
    /// default: eight weeks before `to`).
    pub from: Option<String>,
    /// Forecasts issued up to this date (default: the day before the
    /// twin's checkpoint, the first whose forecast has a complete day).
    pub to: Option<String>,
}

/// Scores of the twin's published forecasts (the last one of each origin)
/// on the days and epiweeks it has assimilated since: WIS, 50% and 90%
/// coverage and bias of its daily forecasts, and of its weekly ensemble
/// against the Forecast Hub's persistence baseline.
#[utoipa::path(get, path = "/v1/twins/{twin}/skill", tag = "forecasts",
    params(("twin" = String, Path), SkillQuery),
    responses((status = 200, body = crate::skill::Skill), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn twin_skill(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
    ApiQuery(q): ApiQuery<SkillQuery>,
) -> ApiResult<Response> {
    caller.require_read()?;
    let entry = twin_entry(&state, &twin)?;
    let date = |name: &str, v: &Option<String>| -> ApiResult<Option<Date>> {
        v.as_deref()
            .map(|d| {
                d.parse::<Date>()
                    .map_err(|e| Problem::unprocessable(format!("`{name}`: {e}")))
            })
            .transpose()
    };
    let (from, to) = (date("from", &q.from)?, date("to", &q.to)?);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(Problem::unprocessable(format!(
                "`from` ({f}) is after `to` ({t})"
            )));
        }
        if t.days_since(f) >= skill::MAX_DAYS {
            return Err(Problem::unprocessable(format!(
                "{f} to {t} is more than {} days of forecasts; ask for less at a time",
                skill::MAX_DAYS
            )));
        }
    }
    let targets = entry.observables();
    if let Some(t) = q
        .target
        .as_deref()
        .filter(|t| !targets.iter().any(|x| x == t))
    {
        return Err(Problem::unprocessable(format!(
            "`target`: twin `{twin}` forecasts no `{t}`; it forecasts {}",
            targets.join(", ")
        )));
    }
    if let Some(l) = q.location.as_deref() {
        // A stream per stratum labels its locations `LOCATION/STRATUM`.
        let (place, stratum) = l.split_once('/').map_or((l, None), |(p, s)| (p, Some(s)));
        let known = l == "total"
            || entry.locations().iter().any(|x| x == place)
                && stratum.is_none_or(|s| entry.strata().iter().any(|x| x == s));
        if !known {
            return Err(Problem::unprocessable(format!(
                "`location`: twin `{twin}` has no location `{l}` (its locations, or `total`)"
            )));
        }
    }
    let req = SkillRequest {
        target: q.target,
        location: q.location,
        from,
        to,
    };
    let answer = tokio::task::spawn_blocking(move || skill::skill(&state, &entry, &req))
        .await
        .map_err(|e| Problem::internal(e.to_string()))?
        .map_err(Problem::internal)?;
    // `from` alone can pass the last origin scored, which only the twin's
    // checkpoint tells.
    if let (Some(f), Some(t)) = (&answer.from, &answer.to) {
        if f > t {
            return Err(Problem::unprocessable(format!(
                "`from` ({f}) is after the last origin that can be scored yet ({t}, \
                 the day before the twin's checkpoint)"
            )));
        }
    }
    // Serialized from the cached answer itself, not a copy of it (a year
    // of origins is thousands of rows).
    Ok(Json(answer.as_ref()).into_response())
}
