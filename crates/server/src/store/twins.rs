//! Twins and their assimilation state.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct TwinRow {
    pub id: String,
    pub name: String,
    pub spec_path: String,
    pub spec_sha256: String,
    pub members: usize,
    pub seed: u64,
    pub horizon_days: usize,
    pub settle_ms: u64,
    pub created_ms: i64,
    pub checkpoint_path: Option<String>,
    pub checkpoint_day: Option<usize>,
    pub checkpoint_date: Option<String>,
    pub last_assimilation_ms: Option<i64>,
    pub last_assimilation_run: Option<String>,
    pub last_forecast_id: Option<i64>,
    pub last_error: Option<String>,
    /// A flood twin's parameters (JSON object, name → value) as fixed at
    /// registration (calibrated), so restarts do not calibrate again.
    pub parameters: Option<String>,
    /// Bumped by every reset ([`clear_checkpoint`]) and rewind
    /// ([`rewind`]); an update records its checkpoint only if the
    /// generation it started in is still current.
    pub generation: i64,
    /// What a value for a day already assimilated does: `hold` (stored,
    /// read at the next reassimilation) or `rewind` (the twin goes back to
    /// its newest checkpoint before that day at once).
    pub late_values: String,
    /// Whether the last days' counts are read as incomplete, learning how
    /// complete from the record's own revisions (see `live`).
    pub nowcast: bool,
    /// For a nowcasting twin: when its last update read its observations
    /// (later changes are news; none: nothing to redo).
    pub nowcast_read_ms: Option<i64>,
}

const COLUMNS: &str =
    "id, name, spec_path, spec_sha256, members, seed, horizon_days, settle_ms, created_ms, \
    checkpoint_path, checkpoint_day, checkpoint_date, last_assimilation_ms, last_assimilation_run, \
    last_forecast_id, last_error, parameters, generation, late_values, nowcast, nowcast_read_ms";

impl TwinRow {
    /// The last day its checkpoint has assimilated, in days since
    /// 1970-01-01 (`None`: nothing assimilated yet).
    pub fn assimilated_through(&self) -> StoreResult<Option<i32>> {
        self.checkpoint_date
            .as_deref()
            .map(|d| {
                epoch_day_of(d).map_err(|e| StoreError::Sqlite(format!("twin `{}`: {e}", self.id)))
            })
            .transpose()
    }
}

/// Days since 1970-01-01 of a stored checkpoint date.
fn epoch_day_of(date: &str) -> StoreResult<i32> {
    date.parse::<didymos_core::Date>()
        .map(|d| d.days_since_epoch())
        .map_err(|e| StoreError::Sqlite(format!("checkpoint date `{date}`: {e}")))
}

fn twin_row(r: &Row<'_>) -> rusqlite::Result<TwinRow> {
    Ok(TwinRow {
        id: r.get(0)?,
        name: r.get(1)?,
        spec_path: r.get(2)?,
        spec_sha256: r.get(3)?,
        members: r.get::<_, i64>(4)? as usize,
        seed: r.get::<_, i64>(5)? as u64,
        horizon_days: r.get::<_, i64>(6)? as usize,
        settle_ms: r.get::<_, i64>(7)? as u64,
        created_ms: r.get(8)?,
        checkpoint_path: r.get(9)?,
        checkpoint_day: r.get::<_, Option<i64>>(10)?.map(|d| d as usize),
        checkpoint_date: r.get(11)?,
        last_assimilation_ms: r.get(12)?,
        last_assimilation_run: r.get(13)?,
        last_forecast_id: r.get(14)?,
        last_error: r.get(15)?,
        parameters: r.get(16)?,
        generation: r.get(17)?,
        late_values: r.get(18)?,
        nowcast: r.get(19)?,
        nowcast_read_ms: r.get(20)?,
    })
}

pub fn insert_twin(conn: &Connection, t: &TwinRow) -> StoreResult<()> {
    let exists: Option<String> = conn
        .query_row("SELECT id FROM twins WHERE id = ?1", [&t.id], |r| r.get(0))
        .optional()?;
    if exists.is_some() {
        return Err(StoreError::Conflict(format!(
            "a twin `{}` already exists",
            t.id
        )));
    }
    conn.execute(
        "INSERT INTO twins (id, name, spec_path, spec_sha256, members, seed, horizon_days, settle_ms, created_ms, parameters, late_values, nowcast)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            t.id,
            t.name,
            t.spec_path,
            t.spec_sha256,
            t.members as i64,
            t.seed as i64,
            t.horizon_days as i64,
            t.settle_ms as i64,
            t.created_ms,
            t.parameters,
            t.late_values,
            t.nowcast
        ],
    )?;
    Ok(())
}

pub fn list_twins(conn: &Connection) -> StoreResult<Vec<TwinRow>> {
    let mut st = conn.prepare(&format!("SELECT {COLUMNS} FROM twins ORDER BY id"))?;
    let rows = st.query_map([], twin_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub fn get_twin(conn: &Connection, id: &str) -> StoreResult<TwinRow> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM twins WHERE id = ?1"),
        [id],
        twin_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("no twin `{id}`")))
}

pub fn delete_twin(conn: &Connection, id: &str) -> StoreResult<()> {
    let n = conn.execute("DELETE FROM twins WHERE id = ?1", [id])?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("no twin `{id}`")));
    }
    conn.execute("DELETE FROM runs WHERE twin_id = ?1", [id])?;
    Ok(())
}

/// A checkpoint an update wrote, to be recorded.
pub struct NewCheckpoint {
    pub twin: String,
    /// The twin's generation when the update started.
    pub generation: i64,
    pub path: String,
    pub day: usize,
    pub date: String,
    pub run: String,
    /// When the update read its observations: a value stored or retracted
    /// since then for a day up to `date` was not in it.
    pub read_ms: i64,
}

/// Records a new checkpoint (only after its file is complete on disk), if
/// the twin is still in the generation its update started in and nothing
/// was stored or retracted, since the update read them, for the days it
/// covers. Otherwise a reset, a rewind or the change wins: the update is
/// reported as superseded (`Ok(false)`), and the change's own mark makes
/// the next update read it. (A change to a day after the twin's checkpoint
/// rewinds nothing, but an update already under way may cover that day.)
pub fn set_checkpoint(conn: &Connection, ck: &NewCheckpoint, at_ms: i64) -> StoreResult<bool> {
    let epoch_day = epoch_day_of(&ck.date)?;
    let changed: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM observations
                        WHERE twin_id = ?1 AND received_ms >= ?3 AND day <= ?2)
             OR EXISTS (SELECT 1 FROM observations
                        WHERE twin_id = ?1 AND retracted_ms >= ?3 AND day <= ?2)",
        params![ck.twin, epoch_day, ck.read_ms],
        |r| r.get(0),
    )?;
    let current: Option<i64> = conn
        .query_row(
            "SELECT generation FROM twins WHERE id = ?1",
            [&ck.twin],
            |r| r.get(0),
        )
        .optional()?;
    let why = match current {
        _ if changed => Some("a value for a day it covers was stored or retracted while it ran"),
        Some(g) if g == ck.generation => None,
        _ => Some("the twin was reset or rewound while it ran"),
    };
    if let Some(why) = why {
        // Listed as succeeded, the run would claim a checkpoint the twin
        // never used.
        conn.execute(
            "UPDATE runs SET status = 'superseded', error = ?2 WHERE id = ?1",
            params![
                ck.run,
                format!("superseded: {why}; a later update reads it")
            ],
        )?;
        return Ok(false);
    }
    // The run that wrote it is stamped, so a later rewind can find it.
    conn.execute(
        "UPDATE runs SET generation = ?2, checkpoint_day = ?3, checkpoint_epoch_day = ?4 WHERE id = ?1",
        params![ck.run, ck.generation, ck.day as i64, epoch_day],
    )?;
    let n = conn.execute(
        "UPDATE twins SET checkpoint_path = ?2, checkpoint_day = ?3, checkpoint_date = ?4,
                last_assimilation_run = ?5, last_assimilation_ms = ?6, last_error = NULL
         WHERE id = ?1 AND generation = ?7",
        params![
            ck.twin,
            ck.path,
            ck.day as i64,
            ck.date,
            ck.run,
            at_ms,
            ck.generation
        ],
    )?;
    Ok(n == 1)
}

/// Forgets the twin's checkpoint, so its next update assimilates every
/// stored observation from the start (late and corrected values included).
pub fn clear_checkpoint(conn: &Connection, id: &str) -> StoreResult<()> {
    let n = conn.execute(
        "UPDATE twins SET checkpoint_path = NULL, checkpoint_day = NULL, checkpoint_date = NULL,
                last_error = NULL, generation = generation + 1, nowcast_read_ms = NULL
         WHERE id = ?1",
        params![id],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("no twin `{id}`")));
    }
    Ok(())
}

pub fn set_last_error(conn: &Connection, id: &str, error: Option<&str>) -> StoreResult<()> {
    conn.execute(
        "UPDATE twins SET last_error = ?2 WHERE id = ?1",
        params![id, error],
    )?;
    Ok(())
}

pub fn set_last_forecast(conn: &Connection, id: &str, forecast: i64) -> StoreResult<()> {
    conn.execute(
        "UPDATE twins SET last_forecast_id = ?2 WHERE id = ?1",
        params![id, forecast],
    )?;
    Ok(())
}

/// Where a rewind left a twin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewind {
    /// Nothing from `day` on had been assimilated: nothing to undo.
    NotNeeded,
    /// Back to the checkpoint of the end of this date.
    To(String),
    /// No valid checkpoint before `day` is kept: back to the priors.
    Start,
}

impl Rewind {
    /// The date gone back to, `start`, or `None` when nothing was undone.
    pub fn label(self) -> Option<String> {
        match self {
            Rewind::NotNeeded => None,
            Rewind::To(date) => Some(date),
            Rewind::Start => Some("start".into()),
        }
    }
}

/// Takes a twin back to its newest checkpoint before `epoch_day` (days
/// since 1970-01-01) whose file is still kept, because something on that
/// day or later changed (a late value, a retraction); the next update reads
/// every standing observation after it. Bit for bit a reassimilation from
/// the priors, at the cost of the days after the checkpoint only.
///
/// A checkpoint is valid if it belongs to the twin's current generation,
/// i.e. no reset or rewind to before its day happened since it was written.
/// Those before `epoch_day` stay valid and move to the new generation with
/// the twin; the later ones are left behind.
pub fn rewind(conn: &Connection, id: &str, epoch_day: i32) -> StoreResult<Rewind> {
    let twin = get_twin(conn, id)?;
    match twin.assimilated_through()? {
        Some(through) if epoch_day <= through => {}
        _ => return Ok(Rewind::NotNeeded),
    }
    let mut st = conn.prepare_cached(
        "SELECT dir, checkpoint_day, checkpoint_epoch_day FROM runs
         WHERE twin_id = ?1 AND kind = 'assimilate' AND generation = ?2 AND checkpoint_epoch_day < ?3
         ORDER BY checkpoint_epoch_day DESC, created_ms DESC",
    )?;
    let candidates = st
        .query_map(params![id, twin.generation, epoch_day], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i32>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let kept = candidates.into_iter().find_map(|(dir, day, epoch)| {
        let path = std::path::Path::new(&dir).join("checkpoint.bin");
        path.is_file().then_some((path, day, epoch))
    });
    let next = twin.generation + 1;
    conn.execute(
        "UPDATE runs SET generation = ?3
         WHERE twin_id = ?1 AND kind = 'assimilate' AND generation = ?2 AND checkpoint_epoch_day < ?4",
        params![id, twin.generation, next, epoch_day],
    )?;
    let (path, day, date) = match &kept {
        Some((path, day, epoch)) => (
            Some(path.to_string_lossy().into_owned()),
            Some(*day),
            Some(didymos_core::Date::from_days_since_epoch(*epoch).to_string()),
        ),
        None => (None, None, None),
    };
    conn.execute(
        "UPDATE twins SET checkpoint_path = ?2, checkpoint_day = ?3, checkpoint_date = ?4,
                last_error = NULL, generation = ?5, nowcast_read_ms = NULL
         WHERE id = ?1",
        params![id, path, day, date, next],
    )?;
    Ok(match date {
        Some(d) => Rewind::To(d),
        None => Rewind::Start,
    })
}

/// A twin's live settings to change (`None`: keep).
#[derive(Debug, Clone, Default)]
pub struct TwinSettings {
    pub late_values: Option<String>,
    pub horizon_days: Option<usize>,
    pub settle_ms: Option<u64>,
    pub nowcast: Option<bool>,
}

pub fn update_twin_settings(
    conn: &Connection,
    id: &str,
    settings: &TwinSettings,
) -> StoreResult<TwinRow> {
    let n = conn.execute(
        "UPDATE twins SET late_values = coalesce(?2, late_values),
                horizon_days = coalesce(?3, horizon_days), settle_ms = coalesce(?4, settle_ms),
                nowcast = coalesce(?5, nowcast), nowcast_read_ms = NULL
         WHERE id = ?1",
        params![
            id,
            settings.late_values,
            settings.horizon_days.map(|h| h as i64),
            settings.settle_ms.map(|s| s as i64),
            settings.nowcast
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("no twin `{id}`")));
    }
    get_twin(conn, id)
}

/// Records that a nowcasting twin's update, of the twin's generation
/// `generation`, read its observations at `read_ms` and published from
/// them: until something changes after it, there is nothing to redo.
pub fn set_nowcast_read(
    conn: &Connection,
    id: &str,
    generation: i64,
    read_ms: i64,
) -> StoreResult<()> {
    conn.execute(
        "UPDATE twins SET nowcast_read_ms = ?3 WHERE id = ?1 AND generation = ?2",
        params![id, generation, read_ms],
    )?;
    Ok(())
}
