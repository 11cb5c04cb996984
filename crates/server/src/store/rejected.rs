//! MQTT messages (or records of them) that could not be stored as
//! observations, kept with the reason. A publisher gets no answer to a
//! bad message, so acknowledging it to the broker without keeping it would
//! lose it without trace.

use rusqlite::{params, Connection, OptionalExtension};

use super::{StoreError, StoreResult};

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
    /// When a retry stored it.
    pub stored_ms: Option<i64>,
}

const COLUMNS: &str = "id, topic, payload, size, reason, received_ms, stored_ms";

fn rejected_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RejectedRow> {
    Ok(RejectedRow {
        id: r.get(0)?,
        topic: r.get(1)?,
        payload: r.get(2)?,
        size: r.get(3)?,
        reason: r.get(4)?,
        received_ms: r.get(5)?,
        stored_ms: r.get(6)?,
    })
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

/// The newest first, before id `before` when given; with `pending_only`,
/// only those no retry has stored.
pub fn list_rejected(
    conn: &Connection,
    limit: usize,
    before: Option<i64>,
    pending_only: bool,
) -> StoreResult<Vec<RejectedRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM rejected_messages
         WHERE id < ?1 AND (NOT ?3 OR stored_ms IS NULL) ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = st.query_map(
        params![before.unwrap_or(i64::MAX), limit as i64, pending_only],
        rejected_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub fn get_rejected(conn: &Connection, id: i64) -> StoreResult<RejectedRow> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM rejected_messages WHERE id = ?1"),
        [id],
        rejected_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("no rejected MQTT message {id}")))
}

/// Marks rejected message `id` as stored by a retry; a conflict if one
/// already did (two retries at once store it once).
pub fn mark_rejected_stored(conn: &Connection, id: i64, now_ms: i64) -> StoreResult<()> {
    let n = conn.execute(
        "UPDATE rejected_messages SET stored_ms = ?2 WHERE id = ?1 AND stored_ms IS NULL",
        params![id, now_ms],
    )?;
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "rejected MQTT message {id} was stored by an earlier retry"
        )));
    }
    Ok(())
}

/// The (twin, stream) pairs bound to MQTT `topic`, oldest binding first.
pub fn topic_bindings(conn: &Connection, topic: &str) -> StoreResult<Vec<(String, String)>> {
    let mut st = conn.prepare_cached(
        "SELECT twin_id, name FROM streams WHERE mqtt_topic = ?1 ORDER BY created_ms, twin_id, name",
    )?;
    let rows = st.query_map([topic], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
