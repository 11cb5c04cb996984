//! Server-sent events: what the live loop publishes (assimilations,
//! forecasts, alerts, jobs), fanned out to every `GET /v1/events` client.

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::problem::{ApiQuery, ApiResult};
use crate::SharedState;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceEvent {
    /// `assimilation`, `forecast`, `alert`, `job`, `error`, `retraction`.
    pub kind: String,
    pub twin: String,
    pub data: serde_json::Value,
}

pub fn publish(
    tx: &broadcast::Sender<ServiceEvent>,
    kind: &str,
    twin: &str,
    data: serde_json::Value,
) {
    // No subscriber is not an error.
    let _ = tx.send(ServiceEvent {
        kind: kind.into(),
        twin: twin.into(),
        data,
    });
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventFilter {
    /// Only this twin's events.
    pub twin: Option<String>,
}

/// Live events as `text/event-stream` (event name = kind, data = JSON).
#[utoipa::path(get, path = "/v1/events", params(EventFilter), tag = "events",
    responses((status = 200, description = "An SSE stream of ServiceEvent", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn events(
    caller: Caller,
    state: axum::extract::State<SharedState>,
    ApiQuery(filter): ApiQuery<EventFilter>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    caller.require_read()?;
    let rx = state.events.subscribe();
    let stopping = state.stopping.subscribe();
    let stream = futures_util::stream::unfold(
        (rx, stopping, filter.twin),
        |(mut rx, mut stopping, twin)| async move {
            loop {
                if *stopping.borrow() {
                    return None;
                }
                let received = tokio::select! {
                    r = rx.recv() => r,
                    _ = stopping.changed() => return None,
                };
                match received {
                    Ok(ev) => {
                        if twin.as_ref().is_some_and(|t| *t != ev.twin) {
                            continue;
                        }
                        let data = serde_json::to_string(&ev).unwrap_or_default();
                        let event = Event::default().event(ev.kind.clone()).data(data);
                        return Some((Ok(event), (rx, stopping, twin)));
                    }
                    // A slow client skips what it missed rather than stalling others.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
