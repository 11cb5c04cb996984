//! MQTT messages (or records of them) that could not be stored as
//! observations, kept with the reason. A publisher gets no answer to a
//! bad message, so acknowledging it to the broker without keeping it would
//! lose it without trace.

use rusqlite::{params, Connection};

use super::StoreResult;

/// Most bytes kept of one rejected payload.
pub const MAX_KEPT_BYTES: usize = 64 << 10;

#[derive(Debug, Clone)]
pub struct RejectedRow {
    pub id: i64,
    pub topic: String,
    pub payload: Vec<u8>,
    /// Bytes of the payload as received (more than `payload` holds when cut).
    pub size: i64,
    pub reason: String,
    pub received_ms: i64,
}

pub fn insert_rejected(
    conn: &Connection,
    topic: &str,
    payload: &[u8],
    reason: &str,
    received_ms: i64,
) -> StoreResult<()> {
    let kept = &payload[..payload.len().min(MAX_KEPT_BYTES)];
    conn.execute(
        "INSERT INTO rejected_messages (topic, payload, size, reason, received_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![topic, kept, payload.len() as i64, reason, received_ms],
    )?;
    Ok(())
}

/// The newest first, before id `before` when given.
pub fn list_rejected(
    conn: &Connection,
    limit: usize,
    before: Option<i64>,
) -> StoreResult<Vec<RejectedRow>> {
    let mut st = conn.prepare_cached(
        "SELECT id, topic, payload, size, reason, received_ms FROM rejected_messages
         WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = st.query_map(params![before.unwrap_or(i64::MAX), limit as i64], |r| {
        Ok(RejectedRow {
            id: r.get(0)?,
            topic: r.get(1)?,
            payload: r.get(2)?,
            size: r.get(3)?,
            reason: r.get(4)?,
            received_ms: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
