//! Alert rules on forecast exceedance probabilities, evaluated after every
//! forecast, and their notifications: an SSE event, and a webhook POST
//! delivered with retries (exponential backoff) and a log of every attempt.
//!
//! A rule fires when P(A > `threshold`) > `probability`. What A is, and
//! where the probability comes from, depends on the forecast it reads:
//! * the twin's (the default): A is the `aggregate` of `target` at
//!   `location` over forecast days 1..=`days`, their sum (counts over a
//!   period) or their maximum (a daily peak, such as a flood's discharge),
//!   and P is the share of members' paths above the threshold;
//! * an epidemic twin's weekly ensemble: A is the sum over the Hub epiweek
//!   `week` weeks ahead, and P is read off the ensemble's 23 quantiles
//!   ([`QuantileForecast::exceedance`]). The ensemble is the better
//!   calibrated forecast in the 2020 backtest (BENCHMARKS.md), so a rule on
//!   it says "more likely than p" more honestly; a forecast whose epiweeks
//!   stop short of `week` leaves the rule as it was.
//!
//! Events are raised on changes of state (ok → firing → ok).

use std::time::Duration;

use didymos_forecast::QuantileForecast;
use didymos_twin::companions::WeeklyEnsemble;
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

/// Which forecast a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleForecast {
    /// The twin's members, day by day (`days`, `aggregate`).
    #[default]
    Twin,
    /// An epidemic twin's weekly ensemble (`week`): the twin with its
    /// statistical companions, by the Forecast Hub's epiweeks.
    Ensemble,
}

impl RuleForecast {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleForecast::Twin => "twin",
            RuleForecast::Ensemble => "ensemble",
        }
    }
    pub fn parse(s: &str) -> RuleForecast {
        match s {
            "ensemble" => RuleForecast::Ensemble,
            _ => RuleForecast::Twin,
        }
    }
}

/// The lowest and highest `probability` an ensemble rule may compare
/// with: 1 − τ of the Hub's outer levels, the bounds
/// [`QuantileForecast::exceedance`] gives outside the outer quantiles. Any
/// probability in `[LOW, HIGH)` is decided correctly by those bounds.
pub const ENSEMBLE_PROBABILITY: (f64, f64) = (0.01, 0.99);

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

/// The rule's week of the weekly ensemble, with the Saturday it ends on.
fn ensemble_week<'a>(
    weekly: &'a [WeeklyEnsemble],
    rule: &store::RuleRow,
) -> Option<(didymos_core::Date, &'a QuantileForecast)> {
    let e = weekly
        .iter()
        .find(|e| e.stream == rule.target && e.location == rule.location)?;
    e.weeks
        .iter()
        .find(|(t, _)| Some(t.weeks_ahead) == rule.week)
        .map(|(t, q)| (t.end, q))
}

/// Evaluates the twin's rules on a new forecast (its members' paths and,
/// for an epidemic twin, its weekly ensemble); records and publishes
/// state changes and queues their webhooks.
pub fn evaluate(
    state: &AppState,
    twin: &TwinEntry,
    forecast_id: i64,
    (fc, weekly): (&[StreamForecast], &[WeeklyEnsemble]),
) -> Result<(), String> {
    let id = twin.id.clone();
    let rules = state
        .store
        .read_blocking(move |c| store::list_rules(c, &id))
        .map_err(|e| e.to_string())?;
    let mut queued = false;
    for rule in rules {
        let (p, week_ends) = match rule.forecast {
            RuleForecast::Twin => {
                let Some(f) = fc.iter().find(|f| f.stream == rule.target) else {
                    continue;
                };
                let Some(l) = f.locations.iter().position(|l| *l == rule.location) else {
                    continue;
                };
                let p = exceedance(f, l, rule.days, rule.threshold, rule.aggregate);
                (p, None)
            }
            RuleForecast::Ensemble => {
                let Some((end, q)) = ensemble_week(weekly, &rule) else {
                    continue;
                };
                (q.exceedance(rule.threshold), Some(end))
            }
        };
        let r = rule.clone();
        let event = state
            .store
            .write_blocking(move |c| {
                store::record_evaluation(
                    c,
                    &r,
                    forecast_id,
                    p,
                    |event_id, s| payload(&r, event_id, s, (p, week_ends), forecast_id).to_string(),
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
                payload(&rule, ev.id, &ev.state, (p, week_ends), forecast_id),
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
    (probability, week_ends): (f64, Option<didymos_core::Date>),
    forecast_id: i64,
) -> serde_json::Value {
    // Each kind of rule names only its own fields: `days` and `aggregate`
    // mean nothing for an epiweek.
    let period = match rule.forecast {
        RuleForecast::Twin => serde_json::json!({"days": rule.days, "aggregate": rule.aggregate}),
        RuleForecast::Ensemble => serde_json::json!({"week": rule.week}),
    };
    let mut condition = serde_json::json!({
        "target": rule.target,
        "location": rule.location,
        "threshold": rule.threshold,
        "return_period_years": rule.return_period_years,
        "probability": rule.probability,
        "forecast": rule.forecast,
    });
    if let (Some(c), Some(extra)) = (condition.as_object_mut(), period.as_object()) {
        c.extend(extra.clone());
    }
    let mut p = serde_json::json!({
        "event_id": event_id,
        "rule_id": rule.id,
        "rule": rule.name,
        "twin": rule.twin_id,
        "state": state,
        "probability": probability,
        "condition": condition,
        "forecast_id": forecast_id,
    });
    if let Some(end) = week_ends {
        p["week_ends"] = end.to_string().into();
    }
    p
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

    fn rule(forecast: RuleForecast, week: Option<u32>) -> store::RuleRow {
        store::RuleRow {
            id: 7,
            twin_id: "t".into(),
            name: "r".into(),
            target: "q".into(),
            location: "a".into(),
            days: if week.is_some() { 0 } else { 14 },
            forecast,
            week,
            threshold: 100.0,
            probability: 0.5,
            webhook_url: None,
            aggregate: Aggregate::Sum,
            return_period_years: None,
            state: "ok".into(),
            last_probability: None,
            created_ms: 0,
        }
    }

    #[test]
    fn payloads_name_each_kind_of_rule_by_its_own_fields() {
        let end = didymos_core::Date::from_ymd(2020, 3, 21).unwrap();
        let p = payload(
            &rule(RuleForecast::Ensemble, Some(2)),
            1,
            "firing",
            (0.7, Some(end)),
            3,
        );
        let c = &p["condition"];
        assert_eq!(c["forecast"], "ensemble");
        assert_eq!(c["week"], 2);
        assert!(
            c.get("days").is_none() && c.get("aggregate").is_none(),
            "{p}"
        );
        assert_eq!(p["week_ends"], "2020-03-21");
        assert_eq!(p["probability"], 0.7);

        let p = payload(&rule(RuleForecast::Twin, None), 1, "ok", (0.2, None), 3);
        let c = &p["condition"];
        assert_eq!(c["forecast"], "twin");
        assert_eq!(c["days"], 14);
        assert_eq!(c["aggregate"], "sum");
        assert!(
            c.get("week").is_none() && p.get("week_ends").is_none(),
            "{p}"
        );
    }
}
