//! The MQTT subscriber's counters, the messages it could not store, and
//! trying one of them again.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::time_text;
use crate::auth::Caller;
use crate::problem::{ApiPath, ApiQuery, ApiResult, Problem};
use crate::store::{self, now_ms};
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
    /// When a retry stored it (absent while it waits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RejectedFilter {
    /// At most this many, newest first (1–10000, default 100).
    pub limit: Option<usize>,
    /// Only those with a smaller id (the next page).
    pub before: Option<i64>,
    /// Only those no retry has stored (default false).
    pub pending: Option<bool>,
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
        .read(move |c| store::list_rejected(c, limit, q.before, q.pending.unwrap_or(false)))
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
                stored: r.stored_ms.map(time_text),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetryResult {
    /// The twin its records went to.
    pub twin: String,
    /// Observations stored by this retry.
    pub stored: usize,
    /// Records of the message that still cannot be stored, each kept as a
    /// new rejected message with its reason.
    pub still_rejected: Vec<String>,
}

/// Try a rejected message again, as if it had just arrived on its topic.
///
/// For a message refused for something since put right: a stream that was
/// paused or not yet bound to the topic, a twin that was not loaded. Its
/// records that now pass are stored and the message is marked stored (it
/// stays listed, for the audit); those that still fail are kept as new
/// rejected messages. If none passes, nothing changes and the answer says
/// why. Needs the ingest scope for the streams it stores to.
#[utoipa::path(post, path = "/v1/mqtt/rejected/{id}/retry", tag = "meta",
    params(("id" = i64, Path)),
    responses((status = 200, body = RetryResult), (status = 403, body = crate::problem::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 409, body = crate::problem::ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn retry_rejected(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RetryResult>> {
    let row = state
        .store
        .read(move |c| store::get_rejected(c, id))
        .await?;
    if let Some(ms) = row.stored_ms {
        return Err(Problem::conflict(format!(
            "rejected MQTT message {id} was stored by a retry at {}",
            time_text(ms)
        )));
    }
    if row.size as usize > row.payload.len() {
        return Err(Problem::unprocessable(format!(
            "rejected MQTT message {id} had {} bytes, of which only the first {} were kept: it cannot be tried again",
            row.size,
            row.payload.len()
        )));
    }
    let topic = row.topic.clone();
    let bindings = state
        .store
        .read(move |c| store::topic_bindings(c, &topic))
        .await?;
    // A caller who may write to none of the topic's streams learns nothing
    // more from a retry.
    if let Some((t, s)) = bindings.first() {
        if !bindings.iter().any(|(t, s)| caller.can_ingest(t, s)) {
            caller.require_ingest(t, s)?;
        }
    }
    let now = now_ms();
    let (valid, rejected) = crate::mqtt::sort_message(&state, &bindings, &row.payload, now);
    let Some((twin, _)) = bindings.first().filter(|_| !valid.is_empty()) else {
        let why: Vec<&str> = rejected.iter().take(3).map(|(_, w)| w.as_str()).collect();
        return Err(Problem::unprocessable(format!(
            "rejected MQTT message {id} still cannot be stored: {}",
            why.join("; ")
        )));
    };
    let twin = twin.clone();
    for o in &valid {
        caller.require_ingest(&twin, &o.stream)?;
    }
    let (stored, topic, t) = (valid.len(), row.topic, twin.clone());
    let still_rejected: Vec<String> = rejected.iter().map(|(_, w)| w.clone()).collect();
    state
        .store
        .write(move |c| {
            store::mark_rejected_stored(c, id, now)?;
            crate::mqtt::store_sorted(c, Some(&t), &topic, (&valid, &rejected), now)
        })
        .await?;
    state.mark_dirty(&twin);
    Ok(Json(RetryResult {
        twin,
        stored,
        still_rejected,
    }))
}
