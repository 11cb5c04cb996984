//! Alert rules, the events they raise, and webhook deliveries with a log
//! of every attempt.

use rusqlite::{params, Connection, OptionalExtension};

use super::{StoreError, StoreResult};
use crate::alerts::{Aggregate, RuleForecast};

#[derive(Debug, Clone)]
pub struct RuleRow {
    pub id: i64,
    pub twin_id: String,
    pub name: String,
    pub target: String,
    pub location: String,
    /// Forecast days aggregated (twin rules; 0 for ensemble rules).
    pub days: usize,
    /// The forecast the rule reads.
    pub forecast: RuleForecast,
    /// Ensemble rules: the epiweek, in weeks ahead.
    pub week: Option<u32>,
    /// Resolved at creation (from `return_period_years` if given).
    pub threshold: f64,
    pub probability: f64,
    pub webhook_url: Option<String>,
    /// How the forecast days are combined before the threshold.
    pub aggregate: Aggregate,
    /// The return period the threshold was resolved from, if any.
    pub return_period_years: Option<f64>,
    /// `ok` or `firing`.
    pub state: String,
    pub last_probability: Option<f64>,
    pub created_ms: i64,
}

const RULE_COLUMNS: &str = "id, twin_id, name, target, location, days, threshold, probability, \
    webhook_url, state, last_probability, created_ms, aggregate, return_period_years, forecast, week";

fn rule_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RuleRow> {
    Ok(RuleRow {
        id: r.get(0)?,
        twin_id: r.get(1)?,
        name: r.get(2)?,
        target: r.get(3)?,
        location: r.get(4)?,
        days: r.get::<_, i64>(5)? as usize,
        threshold: r.get(6)?,
        probability: r.get(7)?,
        webhook_url: r.get(8)?,
        state: r.get(9)?,
        last_probability: r.get(10)?,
        created_ms: r.get(11)?,
        aggregate: Aggregate::parse(&r.get::<_, String>(12)?),
        return_period_years: r.get(13)?,
        forecast: RuleForecast::parse(&r.get::<_, String>(14)?),
        week: r.get::<_, Option<i64>>(15)?.map(|w| w as u32),
    })
}

pub fn insert_rule(conn: &Connection, r: &RuleRow) -> StoreResult<i64> {
    conn.execute(
        "INSERT INTO alert_rules (twin_id, name, target, location, days, threshold, probability, webhook_url, state, created_ms, aggregate, return_period_years, forecast, week)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'ok', ?9, ?10, ?11, ?12, ?13)",
        params![
            r.twin_id,
            r.name,
            r.target,
            r.location,
            r.days as i64,
            r.threshold,
            r.probability,
            r.webhook_url,
            r.created_ms,
            r.aggregate.as_str(),
            r.return_period_years,
            r.forecast.as_str(),
            r.week.map(i64::from)
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn list_rules(conn: &Connection, twin: &str) -> StoreResult<Vec<RuleRow>> {
    let mut st = conn.prepare(&format!(
        "SELECT {RULE_COLUMNS} FROM alert_rules WHERE twin_id = ?1 ORDER BY id"
    ))?;
    let rows = st.query_map([twin], rule_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub fn get_rule(conn: &Connection, twin: &str, id: i64) -> StoreResult<RuleRow> {
    conn.query_row(
        &format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE twin_id = ?1 AND id = ?2"),
        params![twin, id],
        rule_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("twin `{twin}` has no alert rule {id}")))
}

pub fn delete_rule(conn: &Connection, twin: &str, id: i64) -> StoreResult<()> {
    let n = conn.execute(
        "DELETE FROM alert_rules WHERE twin_id = ?1 AND id = ?2",
        params![twin, id],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "twin `{twin}` has no alert rule {id}"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: i64,
    pub rule_id: i64,
    pub twin_id: String,
    pub forecast_id: i64,
    pub state: String,
    pub probability: f64,
    pub created_ms: i64,
}

/// Records a rule's new evaluation; when its state changed, also an event
/// and (with a webhook) a pending delivery. Returns the event, if any.
pub fn record_evaluation(
    conn: &Connection,
    rule: &RuleRow,
    forecast_id: i64,
    probability: f64,
    payload: impl FnOnce(i64, &str) -> String,
    now_ms: i64,
) -> StoreResult<Option<EventRow>> {
    let state = if probability > rule.probability {
        "firing"
    } else {
        "ok"
    };
    conn.execute(
        "UPDATE alert_rules SET state = ?2, last_probability = ?3 WHERE id = ?1",
        params![rule.id, state, probability],
    )?;
    if state == rule.state {
        return Ok(None);
    }
    let event_state = if state == "firing" {
        "firing"
    } else {
        "resolved"
    };
    conn.execute(
        "INSERT INTO alert_events (rule_id, twin_id, forecast_id, state, probability, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            rule.id,
            rule.twin_id,
            forecast_id,
            event_state,
            probability,
            now_ms
        ],
    )?;
    let id = conn.last_insert_rowid();
    if let Some(url) = &rule.webhook_url {
        conn.execute(
            "INSERT INTO deliveries (event_id, url, payload, next_attempt_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![id, url, payload(id, event_state), now_ms],
        )?;
    }
    Ok(Some(EventRow {
        id,
        rule_id: rule.id,
        twin_id: rule.twin_id.clone(),
        forecast_id,
        state: event_state.into(),
        probability,
        created_ms: now_ms,
    }))
}

pub fn list_events(conn: &Connection, twin: &str, limit: usize) -> StoreResult<Vec<EventRow>> {
    let mut st = conn.prepare(
        "SELECT id, rule_id, twin_id, forecast_id, state, probability, created_ms FROM alert_events
         WHERE twin_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = st.query_map(params![twin, limit as i64], |r| {
        Ok(EventRow {
            id: r.get(0)?,
            rule_id: r.get(1)?,
            twin_id: r.get(2)?,
            forecast_id: r.get(3)?,
            state: r.get(4)?,
            probability: r.get(5)?,
            created_ms: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: i64,
    pub event_id: i64,
    pub url: String,
    pub payload: String,
    /// pending, delivered, failed.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub attempt: u32,
    pub at_ms: i64,
    pub http_status: Option<u16>,
    pub error: Option<String>,
}

const DELIVERY_COLUMNS: &str =
    "d.id, d.event_id, d.url, d.payload, d.status, d.attempts, d.next_attempt_ms, d.updated_ms";

fn delivery_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.get(0)?,
        event_id: r.get(1)?,
        url: r.get(2)?,
        payload: r.get(3)?,
        status: r.get(4)?,
        attempts: r.get::<_, i64>(5)? as u32,
        next_attempt_ms: r.get(6)?,
        updated_ms: r.get(7)?,
    })
}

/// Pending deliveries due by `now_ms`.
pub fn due_deliveries(conn: &Connection, now_ms: i64) -> StoreResult<Vec<DeliveryRow>> {
    let mut st = conn.prepare(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_ms <= ?1
         ORDER BY d.next_attempt_ms LIMIT 64"
    ))?;
    let rows = st.query_map([now_ms], delivery_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// When the next pending delivery is due, if any.
pub fn next_due(conn: &Connection) -> StoreResult<Option<i64>> {
    Ok(conn.query_row(
        "SELECT min(next_attempt_ms) FROM deliveries WHERE status = 'pending'",
        [],
        |r| r.get(0),
    )?)
}

/// Logs an attempt and sets what happens next.
pub fn record_attempt(
    conn: &Connection,
    delivery: i64,
    attempt: &AttemptRow,
    status: &str,
    next_attempt_ms: i64,
) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO delivery_attempts (delivery_id, attempt, at_ms, http_status, error) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![delivery, attempt.attempt, attempt.at_ms, attempt.http_status, attempt.error],
    )?;
    conn.execute(
        "UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt_ms = ?4, updated_ms = ?5 WHERE id = ?1",
        params![delivery, status, attempt.attempt, next_attempt_ms, attempt.at_ms],
    )?;
    Ok(())
}

/// The delivery log of a twin: deliveries with their attempts.
pub fn list_deliveries(
    conn: &Connection,
    twin: &str,
    limit: usize,
) -> StoreResult<Vec<(DeliveryRow, Vec<AttemptRow>)>> {
    let mut st = conn.prepare(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN alert_events e ON e.id = d.event_id
         WHERE e.twin_id = ?1 ORDER BY d.id DESC LIMIT ?2"
    ))?;
    let deliveries = st
        .query_map(params![twin, limit as i64], delivery_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut at = conn.prepare(
        "SELECT attempt, at_ms, http_status, error FROM delivery_attempts WHERE delivery_id = ?1 ORDER BY id",
    )?;
    let mut out = Vec::new();
    for d in deliveries {
        let attempts = at
            .query_map([d.id], |r| {
                Ok(AttemptRow {
                    attempt: r.get::<_, i64>(0)? as u32,
                    at_ms: r.get(1)?,
                    http_status: r.get::<_, Option<i64>>(2)?.map(|s| s as u16),
                    error: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push((d, attempts));
    }
    Ok(out)
}
