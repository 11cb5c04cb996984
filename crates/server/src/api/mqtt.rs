//! The MQTT subscriber's counters and the messages it could not store.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::time_text;
use crate::auth::Caller;
use crate::problem::{ApiQuery, ApiResult, Problem};
use crate::store;
use crate::SharedState;

/// MQTT subscriber status and counters.
#[utoipa::path(get, path = "/v1/mqtt", tag = "meta",
    responses((status = 200, body = crate::mqtt::MqttStatus), (status = 401, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn mqtt_status(
    caller: Caller,
    State(state): State<SharedState>,
) -> ApiResult<Json<crate::mqtt::MqttStatus>> {
    caller.require_read()?;
    Ok(Json(crate::mqtt::status(&state)))
}

/// A message, or one record of it, that could not be stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedMessage {
    pub id: i64,
    pub topic: String,
    pub received: String,
    pub reason: String,
    /// The payload as text (invalid UTF-8 shown as U+FFFD), at most 64 KiB.
    pub payload: String,
    /// Its size in bytes as received.
    pub size: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RejectedFilter {
    /// At most this many, newest first (1–10000, default 100).
    pub limit: Option<usize>,
    /// Only those with a smaller id (the next page).
    pub before: Option<i64>,
}

/// MQTT messages (or records of them) that were refused, with the reason.
/// Each was kept before the broker was told it was received.
#[utoipa::path(get, path = "/v1/mqtt/rejected", tag = "meta", params(RejectedFilter),
    responses((status = 200, body = Vec<RejectedMessage>), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_rejected(
    caller: Caller,
    State(state): State<SharedState>,
    ApiQuery(q): ApiQuery<RejectedFilter>,
) -> ApiResult<Json<Vec<RejectedMessage>>> {
    caller.require_read()?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(Problem::unprocessable("`limit` must be in 1..=10000"));
    }
    let rows = state
        .store
        .read(move |c| store::list_rejected(c, limit, q.before))
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| RejectedMessage {
                id: r.id,
                topic: r.topic,
                received: time_text(r.received_ms),
                reason: r.reason,
                payload: String::from_utf8_lossy(&r.payload).into_owned(),
                size: r.size,
            })
            .collect(),
    ))
}
