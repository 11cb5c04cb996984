//! Whether the store file can be trusted, and consistent copies of it.
//!
//! SQLite reports damage only when a query happens to touch a damaged
//! page, so a store whose file was hit by a disk fault, a bad copy or a
//! stray write could start, serve and acknowledge new data for days before
//! a request fails. `Store::open` therefore runs `PRAGMA quick_check`
//! (every page read once: about a second per GB) and refuses a damaged
//! file before anything is written to it. A missing file with the run
//! records of an earlier store beside it is refused too: starting afresh
//! there would look like a working service that had lost every twin.
//!
//! Backups use `VACUUM INTO`, a consistent snapshot that a running service
//! does not have to stop for (WAL lets the copy read beside the writer).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::{StoreError, StoreResult};

/// What a store holds, as `didymos store check` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoreSummary {
    pub path: PathBuf,
    pub bytes: u64,
    pub schema_version: i64,
    pub twins: i64,
    pub streams: i64,
    pub observations: i64,
    /// Of `observations`, those retracted (0 before schema 6).
    pub retracted_observations: i64,
    pub forecasts: i64,
    pub runs: i64,
    /// MQTT messages kept as rejected (0 before schema 5 had the table).
    pub rejected_messages: i64,
}

/// What is at a store's path before it is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No file, an empty file, or a database with no tables yet.
    Nothing,
    /// A Didymos store (any schema version).
    Store,
}

/// The advice every damage report ends with.
pub fn recovery_advice(path: &Path) -> String {
    let p = path.display();
    format!(
        "nothing was written to it. To recover, stop the service, copy your latest \
         `didymos store backup` over {p} and delete {p}-wal and {p}-shm beside it; or \
         salvage what is readable with `sqlite3 {p} .recover | sqlite3 recovered.sqlite`"
    )
}

/// Maps an error met on `path` to `Damaged` when SQLite says the file is
/// corrupt or not a database, and to `Full` when the disk is; other errors
/// pass through.
pub fn classify(e: rusqlite::Error, path: &Path) -> StoreError {
    use rusqlite::ErrorCode::{DatabaseCorrupt, DiskFull, NotADatabase};
    match e.sqlite_error_code() {
        Some(DiskFull) => StoreError::Full {
            path: path.display().to_string(),
            detail: e.to_string(),
        },
        Some(DatabaseCorrupt | NotADatabase) => StoreError::Damaged {
            path: path.display().to_string(),
            detail: e.to_string(),
        },
        _ => StoreError::Sqlite(e.to_string()),
    }
}

/// Runs SQLite's own check over every page; `full` adds the index and
/// constraint checks of `integrity_check` (slower: it reads each index
/// against its table).
pub fn verify(conn: &Connection, path: &Path, full: bool) -> StoreResult<()> {
    let pragma = if full {
        "PRAGMA integrity_check(20)"
    } else {
        "PRAGMA quick_check(20)"
    };
    let problems: Vec<String> = conn
        .prepare(pragma)
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| classify(e, path))?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(StoreError::Damaged {
        path: path.display().to_string(),
        detail: problems.join("; ").replace('\n', " "),
    })
}

/// Looks at `path` without creating it.
pub fn probe(path: &Path) -> StoreResult<Found> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => {
            return Err(StoreError::Sqlite(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
        // SQLite calls a file that never was a database damaged too
        // ("file is not a database"); the recovery advice would then have
        // the user copy a backup over, say, a spec given by mistake.
        Ok(m) if m.len() > 0 && !has_sqlite_header(path)? => {
            return Err(StoreError::Sqlite(format!(
                "{} is not a Didymos store: it is not an SQLite database (file is not a \
                 database: it does not begin with \"SQLite format 3\"); check the path",
                path.display()
            )))
        }
        Ok(_) => {}
    }
    let conn = open_existing(path)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| classify(e, path))?;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| classify(e, path))?;
    match (version, tables) {
        (0, 0) => Ok(Found::Nothing),
        (0, _) => Err(StoreError::Sqlite(format!(
            "{} is an SQLite database but not a Didymos store (it has tables and no \
             schema version); point --data-dir at another folder",
            path.display()
        ))),
        _ => Ok(Found::Store),
    }
}

/// Whether `path` begins with the 16 bytes every SQLite database does.
fn has_sqlite_header(path: &Path) -> StoreResult<bool> {
    use std::io::Read;
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path)
        .and_then(|f| f.take(16).read_to_end(&mut head))
        .map_err(|e| StoreError::Sqlite(format!("cannot read {}: {e}", path.display())))?;
    Ok(head == b"SQLite format 3\0")
}

/// Opens an existing store read-write (WAL recovery may need to write the
/// -shm file) without creating one.
fn open_existing(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(e, path))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// Checks the store at `path` (a running service may keep using it) and
/// counts what it holds.
pub fn check(path: &Path, full: bool) -> StoreResult<StoreSummary> {
    summarise(&open_checked(path, full)?, path)
}

/// An existing store, opened after its check passed.
fn open_checked(path: &Path, full: bool) -> StoreResult<Connection> {
    if probe(path)? == Found::Nothing {
        return Err(StoreError::NotFound(format!(
            "no Didymos store at {}",
            path.display()
        )));
    }
    let conn = open_existing(path)?;
    verify(&conn, path, full)?;
    Ok(conn)
}

fn summarise(conn: &Connection, path: &Path) -> StoreResult<StoreSummary> {
    let count = |table: &str| -> StoreResult<i64> {
        let exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .map_err(|e| classify(e, path))?;
        if exists == 0 {
            // A table a later schema added; `check` never migrates.
            return Ok(0);
        }
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(|e| classify(e, path))
    };
    let schema_version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| classify(e, path))?;
    let retracted_observations = if schema_version >= 6 {
        conn.query_row(
            "SELECT count(*) FROM observations WHERE retracted_ms IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .map_err(|e| classify(e, path))?
    } else {
        0
    };
    Ok(StoreSummary {
        path: path.to_path_buf(),
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        schema_version,
        twins: count("twins")?,
        streams: count("streams")?,
        observations: count("observations")?,
        retracted_observations,
        forecasts: count("forecasts")?,
        runs: count("runs")?,
        rejected_messages: count("rejected_messages")?,
    })
}

/// Writes a consistent copy of the store at `path` to `to` (which must not
/// exist), checks the copy, and returns what it holds. The copy is written
/// under a temporary name, synced and renamed, so `to` is either complete
/// or absent.
pub fn backup(path: &Path, to: &Path) -> StoreResult<StoreSummary> {
    if to.exists() {
        return Err(StoreError::Conflict(format!(
            "{} already exists; a backup never overwrites a file",
            to.display()
        )));
    }
    // A damaged store is not copied as if it were sound.
    let conn = open_checked(path, false)?;
    let partial = partial_name(to);
    let _ = std::fs::remove_file(&partial);
    let copy = conn
        .execute("VACUUM INTO ?1", [partial.to_string_lossy()])
        .map_err(|e| classify(e, path))
        .and_then(|_| sync_file(&partial))
        .and_then(|()| check(&partial, false));
    let copy = copy.inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })?;
    std::fs::rename(&partial, to)
        .map_err(|e| StoreError::Sqlite(format!("cannot rename to {}: {e}", to.display())))?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename is durable only once the folder is synced.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(StoreSummary {
        path: to.to_path_buf(),
        ..copy
    })
}

fn partial_name(to: &Path) -> PathBuf {
    let mut name = to.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".partial-{}", std::process::id()));
    to.with_file_name(name)
}

fn sync_file(path: &Path) -> StoreResult<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::Sqlite(format!("cannot sync {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dir: &Path) -> PathBuf {
        let path = dir.join("didymos.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL").unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO twins (id, name, spec_path, spec_sha256, members, seed, horizon_days, \
             settle_ms, created_ms) VALUES ('t', 't', 'x', 'y', 1, 1, 1, 1, 0);",
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        for i in 0..5000 {
            tx.execute(
                "INSERT INTO observations (twin_id, stream, t_ms, day, value, received_ms) \
                 VALUES ('t', 's', ?1, ?1, ?2, 0)",
                rusqlite::params![i, i as f64 * 0.5],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        path
    }

    #[test]
    fn a_sound_store_checks_and_backs_up_completely() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "INSERT INTO rejected_messages (topic, payload, size, reason, received_ms) \
                 VALUES ('t', x'00', 1, 'why', 0)",
            )
            .unwrap();
        let s = check(&path, true).unwrap();
        assert_eq!((s.twins, s.observations, s.rejected_messages), (1, 5000, 1));
        // A store of an earlier schema is counted as it is (never migrated).
        let old = dir.path().join("old.sqlite");
        Connection::open(&old)
            .unwrap()
            .execute_batch(
                "CREATE TABLE twins (x); CREATE TABLE streams (x); CREATE TABLE observations (x);
                 CREATE TABLE forecasts (x); CREATE TABLE runs (x); PRAGMA user_version = 3;",
            )
            .unwrap();
        let o = check(&old, false).unwrap();
        assert_eq!((o.schema_version, o.rejected_messages), (3, 0));
        let to = dir.path().join("copy.sqlite");
        let b = backup(&path, &to).unwrap();
        assert_eq!((b.twins, b.observations, b.path), (1, 5000, to.clone()));
        let e = backup(&path, &to).unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
    }

    #[test]
    fn damaged_pages_are_found_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        let page = 4096;
        assert!(bytes.len() > 4 * page);
        // The b-tree page type byte of every page after the first: no
        // checker can miss that.
        for p in (page..bytes.len()).step_by(page) {
            bytes[p] = 0xee;
        }
        std::fs::write(&path, &bytes).unwrap();
        let e = check(&path, false).unwrap_err();
        assert!(matches!(e, StoreError::Damaged { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("store backup"), "{text}");
        let to = dir.path().join("copy.sqlite");
        assert!(backup(&path, &to).is_err());
        assert!(!to.exists() && !partial_name(&to).exists());
    }

    #[test]
    fn damage_met_while_serving_is_a_503_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let (page, root): (i64, i64) = {
            let c = Connection::open(&path).unwrap();
            let page = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
            let root = c
                .query_row(
                    "SELECT rootpage FROM sqlite_master WHERE name = 'observations'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            (page, root)
        };
        let store = super::super::Store::open(&path, super::super::SyncMode::Normal).unwrap();
        // Damage after the start-up check, as a failing disk would.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[((root - 1) * page) as usize] = 0xee;
        std::fs::write(&path, &bytes).unwrap();
        let e = store
            .read_blocking(|c| {
                Ok(c.query_row("SELECT sum(value) FROM observations", [], |r| {
                    r.get::<_, f64>(0)
                })?)
            })
            .unwrap_err();
        assert!(matches!(e, StoreError::Damaged { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        let problem = crate::problem::Problem::from(e);
        assert_eq!(problem.status, 503, "{problem}");
    }

    #[test]
    fn a_full_disk_is_a_507_that_keeps_nothing_and_the_store_goes_on() {
        use super::super::{Store, SyncMode};
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let store = Store::open(&path, SyncMode::Normal).unwrap();
        // SQLite's page limit stands in for a full disk: the same error.
        store
            .write_blocking(|c| {
                let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
                c.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
                Ok(())
            })
            .unwrap();
        let e = store
            .write_blocking(|c| {
                for i in 0..20_000 {
                    c.execute(
                        "INSERT INTO observations (twin_id, stream, t_ms, day, value, received_ms) \
                         VALUES ('t', 'big', ?1, 1, 1.0, 0)",
                        [i],
                    )?;
                }
                Ok(())
            })
            .unwrap_err();
        assert!(matches!(e, StoreError::Full { .. }), "{e:?}");
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        assert_eq!(crate::problem::Problem::from(e).status, 507);
        let count = |store: &Store| {
            store
                .read_blocking(|c| {
                    Ok(c.query_row("SELECT count(*) FROM observations", [], |r| {
                        r.get::<_, i64>(0)
                    })?)
                })
                .unwrap()
        };
        assert_eq!(count(&store), 5000, "part of the failed write was kept");

        // A write grouped into the same transaction as one that fills the
        // disk is lost with it, so it must not be acknowledged either.
        // A first job holds the writer until both are queued, so they are
        // taken as one group.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (running, started) = std::sync::mpsc::channel::<()>();
        let (answers, answered) = std::sync::mpsc::channel::<(char, bool)>();
        let blocker = answers.clone();
        store
            .submit(
                move |_| {
                    running.send(()).unwrap();
                    let _ = hold.recv();
                    Ok(())
                },
                move |r: StoreResult<()>| blocker.send(('0', r.is_ok())).unwrap(),
            )
            .unwrap();
        started.recv().unwrap();
        let small = answers.clone();
        let b = answers.clone();
        store
            .submit(
                |c| Ok(c.execute("UPDATE observations SET value = 99 WHERE t_ms = 1", [])?),
                move |r: StoreResult<usize>| small.send(('a', r.is_ok())).unwrap(),
            )
            .unwrap();
        store
            .submit(
                |c| {
                    for i in 0..20_000 {
                        c.execute(
                            "INSERT INTO observations (twin_id, stream, t_ms, day, value, \
                             received_ms) VALUES ('t', 'big', ?1, 1, 1.0, 0)",
                            [i],
                        )?;
                    }
                    Ok(())
                },
                move |r: StoreResult<()>| b.send(('b', r.is_ok())).unwrap(),
            )
            .unwrap();
        // One after it in the same group runs in a new transaction: it is
        // kept and acknowledged (before, it ran outside any transaction, was
        // kept, and was answered with the failed COMMIT's error).
        store
            .submit(
                |c| Ok(c.execute("UPDATE observations SET value = 42 WHERE t_ms = 2", [])?),
                move |r: StoreResult<usize>| answers.send(('c', r.is_ok())).unwrap(),
            )
            .unwrap();
        release.send(()).unwrap();
        let mut got: Vec<(char, bool)> = answered.iter().take(4).collect();
        got.sort();
        assert_eq!(got, [('0', true), ('a', false), ('b', false), ('c', true)]);
        let value: f64 = store
            .read_blocking(|c| {
                Ok(
                    c.query_row("SELECT value FROM observations WHERE t_ms = 1", [], |r| {
                        r.get(0)
                    })?,
                )
            })
            .unwrap();
        assert_eq!(value, 0.5, "a write that was refused was kept");
        let value: f64 = store
            .read_blocking(|c| {
                Ok(
                    c.query_row("SELECT value FROM observations WHERE t_ms = 2", [], |r| {
                        r.get(0)
                    })?,
                )
            })
            .unwrap();
        assert_eq!(value, 42.0, "an acknowledged write was lost");
        // A write that fits still commits.
        store
            .write_blocking(|c| {
                c.execute("UPDATE observations SET value = 7 WHERE t_ms = 0", [])?;
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn what_is_not_a_store_is_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite");
        assert_eq!(probe(&path).unwrap(), Found::Nothing);
        std::fs::write(&path, b"").unwrap();
        assert_eq!(probe(&path).unwrap(), Found::Nothing);
        std::fs::write(
            &path,
            b"these are not the pages you are looking for\n".repeat(50),
        )
        .unwrap();
        let e = probe(&path).unwrap_err().to_string();
        assert!(e.contains("is not a Didymos store"), "{e}");
        assert!(
            !e.contains("backup"),
            "no recovery advice for what never was a store: {e}"
        );
        std::fs::remove_file(&path).unwrap();
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE other (x)")
            .unwrap();
        let e = probe(&path).unwrap_err().to_string();
        assert!(e.contains("not a Didymos store"), "{e}");
    }
}
