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
mod tests;
