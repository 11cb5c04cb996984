//! Forecasts: one JSON document of quantiles per forecast, by origin.

use rusqlite::{params, Connection, OptionalExtension};

use super::{StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct ForecastRow {
    pub id: i64,
    pub twin_id: String,
    /// The forecast's origin: the last day of data it used (ISO date).
    pub origin: String,
    pub created_ms: i64,
    pub run_id: String,
    pub body: String,
}

pub fn insert_forecast(
    conn: &Connection,
    twin: &str,
    origin: &str,
    run_id: &str,
    body: &str,
    created_ms: i64,
) -> StoreResult<i64> {
    conn.execute(
        "INSERT INTO forecasts (twin_id, origin, created_ms, run_id, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![twin, origin, created_ms, run_id, body],
    )?;
    let id = conn.last_insert_rowid();
    super::set_last_forecast(conn, twin, id)?;
    Ok(id)
}

fn forecast_row(r: &rusqlite::Row<'_>, with_body: bool) -> rusqlite::Result<ForecastRow> {
    Ok(ForecastRow {
        id: r.get(0)?,
        twin_id: r.get(1)?,
        origin: r.get(2)?,
        created_ms: r.get(3)?,
        run_id: r.get(4)?,
        body: if with_body { r.get(5)? } else { String::new() },
    })
}

pub fn get_forecast(conn: &Connection, twin: &str, id: i64) -> StoreResult<ForecastRow> {
    conn.query_row(
        "SELECT id, twin_id, origin, created_ms, run_id, body FROM forecasts WHERE twin_id = ?1 AND id = ?2",
        params![twin, id],
        |r| forecast_row(r, true),
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("twin `{twin}` has no forecast {id}")))
}

pub fn latest_forecast(conn: &Connection, twin: &str) -> StoreResult<Option<ForecastRow>> {
    Ok(conn
        .query_row(
            "SELECT id, twin_id, origin, created_ms, run_id, body FROM forecasts WHERE twin_id = ?1
             ORDER BY id DESC LIMIT 1",
            [twin],
            |r| forecast_row(r, true),
        )
        .optional()?)
}

/// Forecasts (without their bodies), newest first, optionally of one origin.
pub fn list_forecasts(
    conn: &Connection,
    twin: &str,
    origin: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<ForecastRow>> {
    let mut st = conn.prepare(
        "SELECT id, twin_id, origin, created_ms, run_id FROM forecasts
         WHERE twin_id = ?1 AND (?2 IS NULL OR origin = ?2) ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = st.query_map(params![twin, origin, limit as i64], |r| {
        forecast_row(r, false)
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The last forecast issued for each origin from `from` to `to` (ISO
/// dates, inclusive), oldest origin first, without their bodies (a year of
/// them is hundreds of MB; read each with [`get_forecast`]): what each
/// origin's forecast finally said, for scoring it.
pub fn last_forecast_per_origin(
    conn: &Connection,
    twin: &str,
    from: &str,
    to: &str,
) -> StoreResult<Vec<ForecastRow>> {
    let mut st = conn.prepare(
        "SELECT id, twin_id, origin, created_ms, run_id FROM forecasts
         WHERE id IN (SELECT max(id) FROM forecasts
                      WHERE twin_id = ?1 AND origin >= ?2 AND origin <= ?3 GROUP BY origin)
         ORDER BY origin",
    )?;
    let rows = st.query_map(params![twin, from, to], |r| forecast_row(r, false))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
