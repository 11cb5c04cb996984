//! Alert rules on forecast exceedance probabilities, evaluated after every
//! forecast, and their notifications: an SSE event, and a webhook POST
//! delivered with retries (exponential backoff) and a log of every attempt.
//!
//! A rule fires when P(A > `threshold`) > `probability`, estimated from the
//! forecast's samples, where A is the `aggregate` of `target` at `location`
//! over forecast days 1..=`days`: their sum (counts over a period, the
//! default) or their maximum (a daily peak, such as a flood's discharge).
//! Events are raised on changes of state (ok → firing → ok).

use std::time::Duration;

use didymos_twin::predict::StreamForecast;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::registry::TwinEntry;
use crate::store::{self, now_ms, AttemptRow, DeliveryRow};
use crate::{AppState, SharedState};

/// How a rule combines the forecast days before comparing with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// The sum over the days (e.g. admissions in the next two weeks).
    #[default]
    Sum,
    /// The largest day (e.g. the peak discharge).
    Max,
}

impl Aggregate {
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Sum => "sum",
            Aggregate::Max => "max",
        }
    }
    pub fn parse(s: &str) -> Aggregate {
        match s {
            "max" => Aggregate::Max,
            _ => Aggregate::Sum,
        }
    }
}

/// Share of samples whose `aggregate` over days `1..=days` is above
/// `threshold` (each sample is one member's path, so the maximum is the
/// path's peak).
pub fn exceedance(
    f: &StreamForecast,
    location: usize,
    days: usize,
    threshold: f64,
    aggregate: Aggregate,
) -> f64 {
    let v = &f.values[location];
    let days = days.min(v.len()).max(1);
    let members = v.first().map_or(0, Vec::len);
    let above = match aggregate {
        Aggregate::Sum => f
            .summed(location, 1, days)
            .iter()
            .filter(|s| **s > threshold)
            .count(),
        Aggregate::Max => (0..members)
            .filter(|&m| v[..days].iter().any(|day| day[m] > threshold))
            .count(),
    };
    above as f64 / members.max(1) as f64
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
        let p = exceedance(f, l, rule.days, rule.threshold, rule.aggregate);
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
            "aggregate": rule.aggregate,
            "threshold": rule.threshold,
            "return_period_years": rule.return_period_years,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_peaks() {
        // Two days, three members: paths (1, 5), (2, 2), (4, 0); sums 6, 4,
        // 4; peaks 5, 2, 4.
        let f = StreamForecast {
            stream: "q".into(),
            locations: vec!["a".into()],
            values: vec![vec![vec![1.0, 2.0, 4.0], vec![5.0, 2.0, 0.0]]],
        };
        assert_eq!(exceedance(&f, 0, 2, 3.5, Aggregate::Sum), 1.0);
        assert_eq!(exceedance(&f, 0, 2, 3.5, Aggregate::Max), 2.0 / 3.0);
        assert_eq!(exceedance(&f, 0, 2, 4.5, Aggregate::Sum), 1.0 / 3.0);
        assert_eq!(exceedance(&f, 0, 2, 4.5, Aggregate::Max), 1.0 / 3.0);
        assert_eq!(exceedance(&f, 0, 1, 3.5, Aggregate::Max), 1.0 / 3.0);
        // More days than forecast: all of them.
        assert_eq!(exceedance(&f, 0, 9, 5.5, Aggregate::Sum), 1.0 / 3.0);
        assert_eq!(exceedance(&f, 0, 9, 5.5, Aggregate::Max), 0.0);
    }
}
