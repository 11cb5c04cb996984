//! Service jobs (assimilation, forecast, scenario): status, progress,
//! result, and the folder holding their outputs and `prov.json`.

use rusqlite::{params, Connection, OptionalExtension};

use super::{StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: String,
    pub twin_id: String,
    pub kind: String,
    /// queued, running, succeeded, failed, cancelled, superseded.
    pub status: String,
    pub progress: f64,
    pub created_ms: i64,
    pub finished_ms: Option<i64>,
    pub error: Option<String>,
    pub result: Option<String>,
    pub dir: String,
}

pub fn insert_run(conn: &Connection, r: &RunRow) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO runs (id, twin_id, kind, status, progress, created_ms, finished_ms, error, result, dir)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            r.id,
            r.twin_id,
            r.kind,
            r.status,
            r.progress,
            r.created_ms,
            r.finished_ms,
            r.error,
            r.result,
            r.dir
        ],
    )?;
    Ok(())
}

pub fn update_run(
    conn: &Connection,
    id: &str,
    status: &str,
    progress: f64,
    error: Option<&str>,
    result: Option<&str>,
    finished_ms: Option<i64>,
) -> StoreResult<()> {
    conn.execute(
        "UPDATE runs SET status = ?2, progress = ?3, error = ?4, result = coalesce(?5, result),
                finished_ms = ?6 WHERE id = ?1",
        params![id, status, progress, error, result, finished_ms],
    )?;
    Ok(())
}

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        twin_id: r.get(1)?,
        kind: r.get(2)?,
        status: r.get(3)?,
        progress: r.get(4)?,
        created_ms: r.get(5)?,
        finished_ms: r.get(6)?,
        error: r.get(7)?,
        result: r.get(8)?,
        dir: r.get(9)?,
    })
}

const COLUMNS: &str =
    "id, twin_id, kind, status, progress, created_ms, finished_ms, error, result, dir";

pub fn get_run(conn: &Connection, id: &str) -> StoreResult<RunRow> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM runs WHERE id = ?1"),
        [id],
        run_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("no run `{id}`")))
}

pub fn list_runs(
    conn: &Connection,
    twin: Option<&str>,
    kind: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<RunRow>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM runs WHERE (?1 IS NULL OR twin_id = ?1) AND (?2 IS NULL OR kind = ?2)
         ORDER BY created_ms DESC, id DESC LIMIT ?3"
    ))?;
    let rows = st.query_map(params![twin, kind, limit as i64], run_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// An assimilation run as a checkpoint the twin may keep.
#[derive(Debug, Clone)]
pub struct CheckpointRun {
    pub dir: String,
    /// The checkpoint's day (days since 1970-01-01) if the twin could
    /// resume from it: recorded by its update, in the twin's current
    /// generation.
    pub valid_day: Option<i32>,
}

/// The twin's assimilation runs, newest first.
pub fn checkpoint_runs(conn: &Connection, twin: &str) -> StoreResult<Vec<CheckpointRun>> {
    let mut st = conn.prepare(
        "SELECT r.dir, CASE WHEN r.status <> 'superseded' AND r.generation = t.generation
                            THEN r.checkpoint_epoch_day END
         FROM runs r JOIN twins t ON t.id = r.twin_id
         WHERE r.twin_id = ?1 AND r.kind = 'assimilate'
         ORDER BY r.created_ms DESC, r.id DESC",
    )?;
    let rows = st.query_map([twin], |r| {
        Ok(CheckpointRun {
            dir: r.get(0)?,
            valid_day: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Jobs left queued or running by a previous process: they will never
/// finish, so say so.
pub fn fail_interrupted_runs(conn: &Connection, at_ms: i64) -> StoreResult<usize> {
    Ok(conn.execute(
        "UPDATE runs SET status = 'failed', error = 'the server stopped before the job finished',
                finished_ms = ?1 WHERE status IN ('queued', 'running')",
        [at_ms],
    )?)
}
