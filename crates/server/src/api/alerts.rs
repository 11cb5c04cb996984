//! Alert rules, the events they raised, and the webhook delivery log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{time_text, twin_entry};
use crate::auth::Caller;
use crate::problem::{ApiJson, ApiPath, ApiResult, Problem};
use crate::store::{self, now_ms, RuleRow};
use crate::SharedState;

/// Fires when P(sum of `target` at `location` over the next `days` days >
/// `threshold`) > `probability`, on any forecast.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRule {
    pub name: String,
    /// A forecast target, e.g. `new_hospitalized`.
    pub target: String,
    /// A location of the twin, or `total`.
    pub location: String,
    /// Forecast days summed (1 = tomorrow only).
    pub days: usize,
    pub threshold: f64,
    /// In [0, 1).
    pub probability: f64,
    /// POSTed a JSON payload on each change of state (plain http://).
    #[serde(default)]
    pub webhook_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rule {
    pub id: i64,
    pub twin: String,
    pub name: String,
    pub target: String,
    pub location: String,
    pub days: usize,
    pub threshold: f64,
    pub probability: f64,
    pub webhook_url: Option<String>,
    /// `ok` or `firing`.
    pub state: String,
    /// The exceedance probability at the last evaluation.
    pub last_probability: Option<f64>,
    pub created: String,
}

impl From<RuleRow> for Rule {
    fn from(r: RuleRow) -> Rule {
        Rule {
            id: r.id,
            twin: r.twin_id,
            name: r.name,
            target: r.target,
            location: r.location,
            days: r.days,
            threshold: r.threshold,
            probability: r.probability,
            webhook_url: r.webhook_url,
            state: r.state,
            last_probability: r.last_probability,
            created: time_text(r.created_ms),
        }
    }
}

#[utoipa::path(post, path = "/v1/twins/{twin}/alert-rules", tag = "alerts", params(("twin" = String, Path)),
    request_body = CreateRule,
    responses((status = 201, body = Rule), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_rule(
    _caller: crate::auth::Admin,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
    ApiJson(req): ApiJson<CreateRule>,
) -> ApiResult<(StatusCode, Json<Rule>)> {
    let entry = twin_entry(&state, &twin)?;
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(Problem::unprocessable("a rule needs a name (at most 200 bytes)").at("/name"));
    }
    if !entry.observables().contains(&req.target) {
        return Err(Problem::unprocessable(format!(
            "twin `{twin}` forecasts no `{}`; its targets are: {}",
            req.target,
            entry.observables().join(", ")
        ))
        .at("/target"));
    }
    if req.location != "total" && !entry.units().contains(&req.location) {
        return Err(Problem::unprocessable(format!(
            "twin `{twin}` has no location `{}` (use one of its locations or `total`)",
            req.location
        ))
        .at("/location"));
    }
    if !(1..=366).contains(&req.days) {
        return Err(Problem::unprocessable("days must be in 1..=366").at("/days"));
    }
    if !req.threshold.is_finite() {
        return Err(Problem::unprocessable("threshold must be a finite number").at("/threshold"));
    }
    if !(0.0..1.0).contains(&req.probability) {
        return Err(Problem::unprocessable("probability must be in [0, 1)").at("/probability"));
    }
    if let Some(u) = &req.webhook_url {
        if !u.starts_with("http://") || u.len() > 2000 {
            return Err(Problem::unprocessable(
                "webhook_url must be a plain http:// URL (use a local TLS proxy for https)",
            )
            .at("/webhook_url"));
        }
    }
    let mut row = RuleRow {
        id: 0,
        twin_id: twin.clone(),
        name: req.name,
        target: req.target,
        location: req.location,
        days: req.days,
        threshold: req.threshold,
        probability: req.probability,
        webhook_url: req.webhook_url,
        state: "ok".into(),
        last_probability: None,
        created_ms: now_ms(),
    };
    let r = row.clone();
    row.id = state
        .store
        .write(move |c| store::insert_rule(c, &r))
        .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/v1/twins/{twin}/alert-rules", tag = "alerts", params(("twin" = String, Path)),
    responses((status = 200, body = Vec<Rule>), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_rules(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<Vec<Rule>>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    let rows = state
        .store
        .read(move |c| store::list_rules(c, &twin))
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/v1/twins/{twin}/alert-rules/{id}", tag = "alerts",
    params(("twin" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Rule), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_rule(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath((twin, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Rule>> {
    caller.require_read()?;
    let row = state
        .store
        .read(move |c| store::get_rule(c, &twin, id))
        .await?;
    Ok(Json(row.into()))
}

#[utoipa::path(delete, path = "/v1/twins/{twin}/alert-rules/{id}", tag = "alerts",
    params(("twin" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_rule(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath((twin, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    state
        .store
        .write(move |c| store::delete_rule(c, &twin, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertEvent {
    pub id: i64,
    pub rule_id: i64,
    pub forecast_id: i64,
    /// `firing` or `resolved`.
    pub state: String,
    pub probability: f64,
    pub created: String,
}

/// Alert events of a twin, newest first.
#[utoipa::path(get, path = "/v1/twins/{twin}/alerts", tag = "alerts", params(("twin" = String, Path)),
    responses((status = 200, body = Vec<AlertEvent>), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_events(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<Vec<AlertEvent>>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    let rows = state
        .store
        .read(move |c| store::list_events(c, &twin, 1000))
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|e| AlertEvent {
                id: e.id,
                rule_id: e.rule_id,
                forecast_id: e.forecast_id,
                state: e.state,
                probability: e.probability,
                created: time_text(e.created_ms),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub attempt: u32,
    pub at: String,
    pub http_status: Option<u16>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub event_id: i64,
    pub url: String,
    /// `pending`, `delivered` or `failed` (after the last retry).
    pub status: String,
    pub attempts: Vec<DeliveryAttempt>,
    pub payload: serde_json::Value,
}

/// The webhook delivery log of a twin, newest first.
#[utoipa::path(get, path = "/v1/twins/{twin}/deliveries", tag = "alerts", params(("twin" = String, Path)),
    responses((status = 200, body = Vec<Delivery>), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_deliveries(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<Vec<Delivery>>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    let rows = state
        .store
        .read(move |c| store::list_deliveries(c, &twin, 1000))
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(d, attempts)| Delivery {
                id: d.id,
                event_id: d.event_id,
                url: d.url,
                status: d.status,
                payload: serde_json::from_str(&d.payload).unwrap_or_default(),
                attempts: attempts
                    .into_iter()
                    .map(|a| DeliveryAttempt {
                        attempt: a.attempt,
                        at: time_text(a.at_ms),
                        http_status: a.http_status,
                        error: a.error,
                    })
                    .collect(),
            })
            .collect(),
    ))
}
