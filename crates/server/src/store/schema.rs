//! Versioned schema migrations, tracked by `PRAGMA user_version`: each
//! entry of [`MIGRATIONS`] runs once, in order, in its own transaction.
//! Never edit a released migration; append a new one.

use rusqlite::Connection;

use super::StoreResult;

const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE twins (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        spec_path TEXT NOT NULL,
        spec_sha256 TEXT NOT NULL,
        members INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        horizon_days INTEGER NOT NULL,
        settle_ms INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        checkpoint_path TEXT,
        checkpoint_day INTEGER,
        checkpoint_date TEXT,
        last_assimilation_ms INTEGER,
        last_assimilation_run TEXT,
        last_forecast_id INTEGER,
        last_error TEXT
    );
    CREATE TABLE streams (
        twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        unit TEXT NOT NULL,
        observable TEXT NOT NULL,
        location TEXT,
        stratum TEXT,
        cadence_s INTEGER NOT NULL,
        value_type TEXT NOT NULL,
        mqtt_topic TEXT,
        paused INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        last_time_ms INTEGER,
        last_received_ms INTEGER,
        PRIMARY KEY (twin_id, name)
    );
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
        idempotency_key TEXT NOT NULL,
        body_sha256 TEXT NOT NULL,
        accepted INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        UNIQUE (twin_id, idempotency_key)
    );
    CREATE TABLE observations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
        stream TEXT NOT NULL,
        t_ms INTEGER NOT NULL,
        day INTEGER NOT NULL,
        location TEXT,
        stratum TEXT,
        value REAL NOT NULL,
        received_ms INTEGER NOT NULL,
        batch_id INTEGER
    );
    CREATE INDEX observations_by_stream ON observations (twin_id, stream, t_ms, id);
    CREATE INDEX observations_by_day ON observations (twin_id, day);
    CREATE TABLE forecasts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
        origin TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX forecasts_by_origin ON forecasts (twin_id, origin);
    CREATE TABLE alert_rules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        target TEXT NOT NULL,
        location TEXT NOT NULL,
        days INTEGER NOT NULL,
        threshold REAL NOT NULL,
        probability REAL NOT NULL,
        webhook_url TEXT,
        state TEXT NOT NULL DEFAULT 'ok',
        last_probability REAL,
        created_ms INTEGER NOT NULL
    );
    CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_id INTEGER NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
        twin_id TEXT NOT NULL,
        forecast_id INTEGER NOT NULL,
        state TEXT NOT NULL,
        probability REAL NOT NULL,
        created_ms INTEGER NOT NULL
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id INTEGER NOT NULL REFERENCES alert_events(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE delivery_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        http_status INTEGER,
        error TEXT
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        twin_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        progress REAL NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        finished_ms INTEGER,
        error TEXT,
        result TEXT,
        dir TEXT NOT NULL
    );
    CREATE INDEX runs_by_twin ON runs (twin_id, created_ms);
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );
    "#,
    // 2: twins of other kinds (a flood twin's calibrated parameters, kept
    // so a restart does not calibrate again) and alert rules on a daily
    // peak (`aggregate`) or a return-period flow.
    r#"
    ALTER TABLE twins ADD COLUMN parameters TEXT;
    ALTER TABLE alert_rules ADD COLUMN aggregate TEXT NOT NULL DEFAULT 'sum';
    ALTER TABLE alert_rules ADD COLUMN return_period_years REAL;
    "#,
    // 3: alert rules on an epidemic twin's weekly ensemble (one epiweek,
    // `week` weeks ahead) besides the twin's own members.
    r#"
    ALTER TABLE alert_rules ADD COLUMN forecast TEXT NOT NULL DEFAULT 'twin';
    ALTER TABLE alert_rules ADD COLUMN week INTEGER;
    "#,
    // 4: a twin's reset generation, so an update that ran across a reset
    // (POST /v1/twins/{id}/reassimilate) does not record its checkpoint.
    r#"
    ALTER TABLE twins ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
    "#,
    // 5: MQTT messages that could not be stored, kept with the reason
    // (a publisher gets no answer, so nothing else would show them).
    r#"
    CREATE TABLE rejected_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        size INTEGER NOT NULL,
        reason TEXT NOT NULL,
        received_ms INTEGER NOT NULL
    );
    "#,
    // 6: retracted observations stay, marked with when and why, so a
    // run's record of what it read can still be traced; the live loop
    // and the latest values no longer see them. A rejected MQTT message
    // stored on a retry is marked, not deleted, for the same reason. A
    // twin may rewind to an earlier checkpoint when a value for a day it
    // has assimilated arrives (`late_values`); an assimilation run records
    // the generation and day of the checkpoint it wrote, so a rewind knows
    // which are still valid. Observations by arrival and by retraction: an
    // update checks what changed while it ran.
    r#"
    ALTER TABLE observations ADD COLUMN retracted_ms INTEGER;
    ALTER TABLE observations ADD COLUMN retraction_reason TEXT;
    ALTER TABLE rejected_messages ADD COLUMN stored_ms INTEGER;
    ALTER TABLE twins ADD COLUMN late_values TEXT NOT NULL DEFAULT 'hold';
    ALTER TABLE runs ADD COLUMN generation INTEGER;
    ALTER TABLE runs ADD COLUMN checkpoint_day INTEGER;
    ALTER TABLE runs ADD COLUMN checkpoint_epoch_day INTEGER;
    CREATE INDEX observations_by_arrival ON observations (twin_id, received_ms);
    CREATE INDEX observations_retracted ON observations (twin_id, retracted_ms)
        WHERE retracted_ms IS NOT NULL;
    "#,
    // 7: when a value was published, where the sender says (a replay of an
    // old record's vintages; NULL: when it arrived), so a twin that
    // nowcasts can learn how complete recent counts are. Such a twin
    // checkpoints behind its forecast origin and records what its last
    // forecast read (`nowcast_read_ms`), to know when there is news.
    r#"
    ALTER TABLE observations ADD COLUMN issued_ms INTEGER;
    ALTER TABLE twins ADD COLUMN nowcast INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE twins ADD COLUMN nowcast_read_ms INTEGER;
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(super::StoreError::Sqlite(format!(
            "the database has schema version {current}, newer than this build's {SCHEMA_VERSION}; upgrade didymos"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_record_the_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }
}
