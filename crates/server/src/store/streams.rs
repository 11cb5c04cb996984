//! Data streams registered on a twin.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{StoreError, StoreResult};

/// What a stream's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    /// Whole numbers ≥ 0 (cases, admissions).
    Count,
    /// Any finite number.
    Real,
}

impl ValueType {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Count => "count",
            ValueType::Real => "real",
        }
    }
    fn parse(s: &str) -> ValueType {
        match s {
            "real" => ValueType::Real,
            _ => ValueType::Count,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StreamRow {
    pub twin_id: String,
    pub name: String,
    pub unit: String,
    pub observable: String,
    pub location: Option<String>,
    pub stratum: Option<String>,
    pub cadence_s: u64,
    pub value_type: ValueType,
    pub mqtt_topic: Option<String>,
    pub paused: bool,
    pub created_ms: i64,
    pub last_time_ms: Option<i64>,
    pub last_received_ms: Option<i64>,
}

const COLUMNS: &str = "twin_id, name, unit, observable, location, stratum, cadence_s, value_type, \
    mqtt_topic, paused, created_ms, last_time_ms, last_received_ms";

fn stream_row(r: &Row<'_>) -> rusqlite::Result<StreamRow> {
    Ok(StreamRow {
        twin_id: r.get(0)?,
        name: r.get(1)?,
        unit: r.get(2)?,
        observable: r.get(3)?,
        location: r.get(4)?,
        stratum: r.get(5)?,
        cadence_s: r.get::<_, i64>(6)? as u64,
        value_type: ValueType::parse(&r.get::<_, String>(7)?),
        mqtt_topic: r.get(8)?,
        paused: r.get::<_, i64>(9)? != 0,
        created_ms: r.get(10)?,
        last_time_ms: r.get(11)?,
        last_received_ms: r.get(12)?,
    })
}

pub fn insert_stream(conn: &Connection, s: &StreamRow) -> StoreResult<()> {
    let exists: Option<String> = conn
        .query_row(
            "SELECT name FROM streams WHERE twin_id = ?1 AND name = ?2",
            [&s.twin_id, &s.name],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_some() {
        return Err(StoreError::Conflict(format!(
            "twin `{}` already has a stream `{}`",
            s.twin_id, s.name
        )));
    }
    conn.execute(
        &format!("INSERT INTO streams ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, NULL)"),
        params![
            s.twin_id,
            s.name,
            s.unit,
            s.observable,
            s.location,
            s.stratum,
            s.cadence_s as i64,
            s.value_type.as_str(),
            s.mqtt_topic,
            s.paused as i64,
            s.created_ms
        ],
    )?;
    Ok(())
}

pub fn list_streams(conn: &Connection, twin: Option<&str>) -> StoreResult<Vec<StreamRow>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM streams WHERE ?1 IS NULL OR twin_id = ?1 ORDER BY twin_id, name"
    ))?;
    let rows = st.query_map([twin], stream_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub fn get_stream(conn: &Connection, twin: &str, name: &str) -> StoreResult<StreamRow> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM streams WHERE twin_id = ?1 AND name = ?2"),
        [twin, name],
        stream_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("twin `{twin}` has no stream `{name}`")))
}

pub fn set_paused(conn: &Connection, twin: &str, name: &str, paused: bool) -> StoreResult<()> {
    let n = conn.execute(
        "UPDATE streams SET paused = ?3 WHERE twin_id = ?1 AND name = ?2",
        params![twin, name, paused as i64],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "twin `{twin}` has no stream `{name}`"
        )));
    }
    Ok(())
}
