//! Observations: durable batches (with idempotency keys), history by
//! stream and time, the latest value per stream, and what the live loop
//! needs (new rows by day).

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension};

use super::{StoreError, StoreResult};

/// One validated observation, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewObservation {
    pub stream: String,
    pub t_ms: i64,
    /// Days since 1970-01-01 of `t_ms` (UTC): the twin's day it counts for.
    pub day: i32,
    pub location: Option<String>,
    pub stratum: Option<String>,
    pub value: f64,
    /// When its source published it, if the sender says (else: when it
    /// arrived).
    pub issued_ms: Option<i64>,
}

/// A stored observation.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObservation {
    pub id: i64,
    pub stream: String,
    pub t_ms: i64,
    pub day: i32,
    pub location: Option<String>,
    pub stratum: Option<String>,
    pub value: f64,
    pub received_ms: i64,
    /// When its source published it, as sent (`None`: not said).
    pub issued_ms: Option<i64>,
    /// When it was retracted (then the live loop no longer reads it).
    pub retracted_ms: Option<i64>,
    pub retraction_reason: Option<String>,
}

/// What storing a batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    pub accepted: usize,
    /// The idempotency key was seen before: nothing new was stored.
    pub duplicate: bool,
    /// A twin whose late values rewind it, given a value for a day it had
    /// assimilated: where it went back to.
    pub rewound: Option<super::Rewind>,
}

/// Stores `obs` in one go. With an idempotency key already used for this
/// twin, stores nothing and answers like the first time (a conflict if the
/// body differs: the key then names another batch).
pub fn insert_batch(
    conn: &Connection,
    twin: &str,
    obs: &[NewObservation],
    idempotency: Option<(&str, &str)>,
    received_ms: i64,
) -> StoreResult<BatchOutcome> {
    let mut batch_id: Option<i64> = None;
    if let Some((key, body_sha)) = idempotency {
        let seen: Option<(String, i64)> = conn
            .query_row(
                "SELECT body_sha256, accepted FROM batches WHERE twin_id = ?1 AND idempotency_key = ?2",
                [twin, key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((sha, accepted)) = seen {
            if sha != body_sha {
                return Err(StoreError::Conflict(format!(
                    "Idempotency-Key `{key}` was already used for a different batch"
                )));
            }
            return Ok(BatchOutcome {
                accepted: accepted as usize,
                duplicate: true,
                rewound: None,
            });
        }
        conn.execute(
            "INSERT INTO batches (twin_id, idempotency_key, body_sha256, accepted, received_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![twin, key, body_sha, obs.len() as i64, received_ms],
        )?;
        batch_id = Some(conn.last_insert_rowid());
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO observations (twin_id, stream, t_ms, day, location, stratum, value, received_ms, batch_id, issued_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    // For a twin that rewinds for late values: the earliest day it has
    // assimilated whose standing value this batch changes (a value sent
    // again unchanged, as publishers that resend their last week do,
    // changes nothing). Rows for later days, the usual case, are not
    // looked up.
    let rewinds_through = match super::get_twin(conn, twin) {
        Ok(t) if t.late_values == "rewind" => t.assimilated_through()?,
        Ok(_) | Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let mut standing = conn.prepare_cached(
        "SELECT value FROM observations
         WHERE twin_id = ?1 AND stream = ?2 AND day = ?3 AND location IS ?4 AND stratum IS ?5
           AND retracted_ms IS NULL
         ORDER BY id DESC LIMIT 1",
    )?;
    let mut changed_day: Option<i32> = None;
    let mut streams = BTreeSet::new();
    for o in obs {
        let late = rewinds_through.is_some_and(|through| o.day <= through);
        if late && changed_day.is_none_or(|d| o.day < d) {
            let now: Option<f64> = standing
                .query_row(params![twin, o.stream, o.day, o.location, o.stratum], |r| {
                    r.get(0)
                })
                .optional()?;
            if now != Some(o.value) {
                changed_day = Some(o.day);
            }
        }
        insert.execute(params![
            twin,
            o.stream,
            o.t_ms,
            o.day,
            o.location,
            o.stratum,
            o.value,
            received_ms,
            batch_id,
            o.issued_ms
        ])?;
        streams.insert(o.stream.as_str());
    }
    let mut touch = conn.prepare_cached(
        "UPDATE streams SET last_received_ms = ?3,
             last_time_ms = max(coalesce(last_time_ms, ?4), ?4)
         WHERE twin_id = ?1 AND name = ?2",
    )?;
    for s in streams {
        let last = obs
            .iter()
            .filter(|o| o.stream == s)
            .map(|o| o.t_ms)
            .max()
            .unwrap_or(0);
        touch.execute(params![twin, s, received_ms, last])?;
    }
    // In the same transaction: an acknowledged late value is never left
    // out of a twin that rewinds for it.
    let rewound = match changed_day {
        Some(day) => Some(super::rewind(conn, twin, day)?),
        None => None,
    };
    Ok(BatchOutcome {
        accepted: obs.len(),
        duplicate: false,
        rewound,
    })
}

fn stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredObservation> {
    Ok(StoredObservation {
        id: r.get(0)?,
        stream: r.get(1)?,
        t_ms: r.get(2)?,
        day: r.get(3)?,
        location: r.get(4)?,
        stratum: r.get(5)?,
        value: r.get(6)?,
        received_ms: r.get(7)?,
        retracted_ms: r.get(8)?,
        retraction_reason: r.get(9)?,
        issued_ms: r.get(10)?,
    })
}

const COLUMNS: &str =
    "id, stream, t_ms, day, location, stratum, value, received_ms, retracted_ms, retraction_reason, issued_ms";

/// Which observations a history read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryRange {
    pub from_ms: i64,
    pub to_ms: i64,
    /// The keyset cursor (t_ms, id) of the previous page's last row.
    pub after: Option<(i64, i64)>,
    pub limit: usize,
    pub include_retracted: bool,
}

/// History of one stream in `[from, to]`, ordered by (time, id).
pub fn stream_history(
    conn: &Connection,
    twin: &str,
    stream: &str,
    range: &HistoryRange,
) -> StoreResult<Vec<StoredObservation>> {
    let (at, aid) = range.after.unwrap_or((i64::MIN, i64::MIN));
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM observations
         WHERE twin_id = ?1 AND stream = ?2 AND t_ms >= ?3 AND t_ms <= ?4 AND (t_ms, id) > (?5, ?6)
           AND (?8 OR retracted_ms IS NULL)
         ORDER BY t_ms, id LIMIT ?7"
    ))?;
    let rows = st.query_map(
        params![
            twin,
            stream,
            range.from_ms,
            range.to_ms,
            at,
            aid,
            range.limit as i64,
            range.include_retracted
        ],
        stored,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The latest observation (by time, then arrival) of `stream` that stands.
pub fn latest(
    conn: &Connection,
    twin: &str,
    stream: &str,
) -> StoreResult<Option<StoredObservation>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM observations
                 WHERE twin_id = ?1 AND stream = ?2 AND retracted_ms IS NULL
                 ORDER BY t_ms DESC, id DESC LIMIT 1"
            ),
            [twin, stream],
            stored,
        )
        .optional()?)
}

/// Every standing observation of the twin on days `(after_day,
/// through_day]`, in arrival order (so a later value for the same cell
/// wins, and retracting it brings back the one before).
pub fn observations_between_days(
    conn: &Connection,
    twin: &str,
    after_day: i32,
    through_day: i32,
) -> StoreResult<Vec<StoredObservation>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM observations
         WHERE twin_id = ?1 AND day > ?2 AND day <= ?3 AND retracted_ms IS NULL ORDER BY id"
    ))?;
    let rows = st.query_map(params![twin, after_day, through_day], stored)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The last day with data, and when the last observation arrived.
pub fn last_day(conn: &Connection, twin: &str) -> StoreResult<Option<(i32, i64)>> {
    let (day, received): (Option<i32>, Option<i64>) = conn.query_row(
        "SELECT max(day), max(received_ms) FROM observations
         WHERE twin_id = ?1 AND retracted_ms IS NULL",
        [twin],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(day.zip(received))
}

/// When the twin's observations last changed: the last arrival or
/// retraction (`None`: it has none).
pub fn last_change_ms(conn: &Connection, twin: &str) -> StoreResult<Option<i64>> {
    Ok(conn.query_row(
        "SELECT max((SELECT max(received_ms) FROM observations WHERE twin_id = ?1),
                    coalesce((SELECT max(retracted_ms) FROM observations WHERE twin_id = ?1), 0))",
        [twin],
        |r| r.get(0),
    )?)
}

/// What a twin's record stands at: its newest row's id and its last
/// retraction's time. Any store or retraction changes it.
pub fn record_version(conn: &Connection, twin: &str) -> StoreResult<(Option<i64>, Option<i64>)> {
    Ok(conn.query_row(
        "SELECT max(id), max(retracted_ms) FROM observations WHERE twin_id = ?1",
        [twin],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Whether a standing row for a day after `day` (days since 1970-01-01)
/// was stored before `before_ms`.
pub fn stored_after_day(
    conn: &Connection,
    twin: &str,
    day: i32,
    before_ms: i64,
) -> StoreResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM observations WHERE twin_id = ?1 AND day > ?2
                        AND received_ms < ?3 AND retracted_ms IS NULL)",
        params![twin, day, before_ms],
        |r| r.get(0),
    )?)
}

/// The (location, stratum) cells with data on `day` (for deciding whether
/// a day is complete).
pub fn cells_on_day(
    conn: &Connection,
    twin: &str,
    day: i32,
) -> StoreResult<Vec<(Option<String>, Option<String>)>> {
    let mut st = conn.prepare_cached(
        "SELECT DISTINCT o.location, o.stratum, s.location, s.stratum
         FROM observations o JOIN streams s ON s.twin_id = o.twin_id AND s.name = o.stream
         WHERE o.twin_id = ?1 AND o.day = ?2 AND o.retracted_ms IS NULL",
    )?;
    let rows = st.query_map(params![twin, day], |r| {
        let loc: Option<String> = r.get(0)?;
        let strat: Option<String> = r.get(1)?;
        let bound_loc: Option<String> = r.get(2)?;
        let bound_strat: Option<String> = r.get(3)?;
        Ok((loc.or(bound_loc), strat.or(bound_strat)))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The twin's standing (not retracted) observations.
pub fn count_observations(conn: &Connection, twin: &str) -> StoreResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM observations WHERE twin_id = ?1 AND retracted_ms IS NULL",
        [twin],
        |r| r.get(0),
    )?)
}
