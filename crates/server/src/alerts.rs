//! Alert rules on forecast exceedance probabilities, evaluated after every
//! forecast, and their notifications: an SSE event, and a webhook POST
//! delivered with retries (exponential backoff) and a log of every attempt.
//!
//! A rule fires when P(sum of `target` at `location` over forecast days
//! 1..=`days` > `threshold`) > `probability`, estimated from the forecast's
//! samples. Events are raised on changes of state (ok → firing → ok).

use std::time::Duration;

use didymos_twin::predict::StreamForecast;

use crate::registry::TwinEntry;
use crate::store::{self, now_ms, AttemptRow, DeliveryRow};
use crate::{AppState, SharedState};

/// Share of samples above `threshold` of the sum over days `1..=days`.
pub fn exceedance(f: &StreamForecast, location: usize, days: usize, threshold: f64) -> f64 {
    let days = days.min(f.values[location].len()).max(1);
    let sums = f.summed(location, 1, days);
    let above = sums.iter().filter(|s| **s > threshold).count();
    above as f64 / sums.len().max(1) as f64
}

/// Evaluates the twin's rules on a new forecast; records and publishes
/// state changes and queues their webhooks.
pub fn evaluate(
    state: &AppState,
    twin: &TwinEntry,
    forecast_id: i64,
    fc: &[StreamForecast],
) -> Result<(), String> {
    let id = twin.id.clone();
    let rules = state
        .store
        .read_blocking(move |c| store::list_rules(c, &id))
        .map_err(|e| e.to_string())?;
    let mut queued = false;
    for rule in rules {
        let Some(f) = fc.iter().find(|f| f.stream == rule.target) else {
            continue;
        };
        let Some(l) = f.locations.iter().position(|l| *l == rule.location) else {
            continue;
        };
        let p = exceedance(f, l, rule.days, rule.threshold);
        let r = rule.clone();
        let event = state
            .store
            .write_blocking(move |c| {
                store::record_evaluation(
                    c,
                    &r,
                    forecast_id,
                    p,
                    |event_id, s| payload(&r, event_id, s, p, forecast_id).to_string(),
                    now_ms(),
                )
            })
            .map_err(|e| e.to_string())?;
        if let Some(ev) = event {
            queued |= rule.webhook_url.is_some();
            crate::events::publish(
                &state.events,
                "alert",
                &twin.id,
                payload(&rule, ev.id, &ev.state, p, forecast_id),
            );
        }
    }
    if queued {
        state.deliveries.notify_one();
    }
    Ok(())
}

fn payload(
    rule: &store::RuleRow,
    event_id: i64,
    state: &str,
    probability: f64,
    forecast_id: i64,
) -> serde_json::Value {
    serde_json::json!({
        "event_id": event_id,
        "rule_id": rule.id,
        "rule": rule.name,
        "twin": rule.twin_id,
        "state": state,
        "probability": probability,
        "condition": {
            "target": rule.target,
            "location": rule.location,
            "days": rule.days,
            "threshold": rule.threshold,
            "probability": rule.probability,
        },
        "forecast_id": forecast_id,
    })
}

/// Attempts before a delivery is given up (logged as failed).
pub const MAX_ATTEMPTS: u32 = 6;
/// First retry delay; doubled after each failure.
const BASE_BACKOFF_MS: i64 = 250;

/// Sends due webhooks until the server stops.
pub fn spawn_sender(state: SharedState) {
    tokio::spawn(async move {
        loop {
            let due = state
                .store
                .read(|c| store::due_deliveries(c, now_ms()))
                .await;
            for d in due.unwrap_or_default() {
                deliver(&state, d).await;
            }
            let next = state.store.read(store::next_due).await.ok().flatten();
            let wait = match next {
                Some(at) => Duration::from_millis((at - now_ms()).clamp(5, 5_000) as u64),
                None => Duration::from_secs(5),
            };
            tokio::select! {
                _ = state.deliveries.notified() => {},
                _ = tokio::time::sleep(wait) => {},
            }
        }
    });
}

async fn deliver(state: &SharedState, d: DeliveryRow) {
    let (url, body) = (d.url.clone(), d.payload.clone());
    let sent = tokio::task::spawn_blocking(move || {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .build();
        match agent
            .post(&url)
            .set("Content-Type", "application/json")
            .send_string(&body)
        {
            Ok(r) => (Some(r.status()), None),
            Err(ureq::Error::Status(code, _)) => (Some(code), Some(format!("HTTP {code}"))),
            Err(e) => (None, Some(e.to_string())),
        }
    })
    .await
    .unwrap_or((None, Some("the sender task failed".into())));
    let attempt = AttemptRow {
        attempt: d.attempts + 1,
        at_ms: now_ms(),
        http_status: sent.0,
        error: sent.1,
    };
    let (status, next) = if attempt.error.is_none() {
        ("delivered", attempt.at_ms)
    } else if attempt.attempt >= MAX_ATTEMPTS {
        tracing::warn!(
            "webhook {} to {} failed {} times; giving up",
            d.id,
            d.url,
            attempt.attempt
        );
        ("failed", attempt.at_ms)
    } else {
        let backoff = BASE_BACKOFF_MS << (attempt.attempt - 1);
        ("pending", attempt.at_ms + backoff)
    };
    let id = d.id;
    if let Err(e) = state
        .store
        .write(move |c| store::record_attempt(c, id, &attempt, status, next))
        .await
    {
        tracing::error!("cannot log webhook attempt: {e}");
    }
}
