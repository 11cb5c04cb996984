//! The embedded store: SQLite in WAL mode.
//!
//! All writes go through one writer thread, which groups the jobs waiting
//! for it into one transaction (each job in its own savepoint, so one bad
//! job never undoes another) and answers each job only after the COMMIT
//! returned: an acknowledged observation is on disk. Reads use a small
//! pool of their own connections, which WAL lets run beside the writer.
//!
//! Durability: `synchronous = FULL` by default, so every commit fsyncs the
//! WAL and an acknowledged observation survives a power loss, not just a
//! crash of the process. `NORMAL` (the `--sync normal` option) survives a
//! kill -9 of the server too, since the WAL is written before the commit
//! returns, but may lose the last commits on a power loss; it is faster.
//! Group commit keeps FULL affordable: one fsync serves every request that
//! arrived during the previous one.

mod alerts;
mod forecasts;
pub mod integrity;
mod observations;
mod rejected;
mod retractions;
mod runs;
mod schema;
mod streams;
mod tokens;
mod twins;

pub use alerts::*;
pub use forecasts::*;
pub use observations::*;
pub use rejected::*;
pub use retractions::*;
pub use runs::*;
pub use schema::SCHEMA_VERSION;
pub use streams::*;
pub use tokens::*;
pub use twins::*;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the store is shut down")]
    Closed,
    /// SQLite found the file corrupt, or not a database at all. `path` is
    /// empty until [`Store`] names its file.
    #[error(
        "the store {path} is damaged ({detail}); {}",
        integrity::recovery_advice(Path::new(.path))
    )]
    Damaged { path: String, detail: String },
    /// The disk (or SQLite's page limit) is full: nothing of the write was
    /// kept, and nothing will be until space is freed.
    #[error(
        "the store {path} is full ({detail}); nothing of this request was kept: free disk space"
    )]
    Full { path: String, detail: String },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        integrity::classify(e, Path::new(""))
    }
}

impl StoreError {
    /// Names `path` in a damage report that does not name its file yet.
    fn at(self, path: &Path) -> StoreError {
        match self {
            StoreError::Damaged { path: p, detail } if p.is_empty() => StoreError::Damaged {
                path: path.display().to_string(),
                detail,
            },
            StoreError::Full { path: p, detail } if p.is_empty() => StoreError::Full {
                path: path.display().to_string(),
                detail,
            },
            other => other,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How hard a commit waits for the disk (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    Full,
    Normal,
}

type Completion = Box<dyn FnOnce(StoreResult<()>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// Most jobs in one group commit; more wait for the next.
const MAX_GROUP: usize = 512;

#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    path: PathBuf,
    sync: SyncMode,
}

fn open_connection(path: &Path, sync: SyncMode) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let sync = match sync {
        SyncMode::Full => "FULL",
        SyncMode::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON;"
    ))?;
    Ok(conn)
}

impl Store {
    /// Opens (creating and migrating as needed) `path`. An existing store
    /// is checked page by page first, and refused if damaged.
    pub fn open(path: &Path, sync: SyncMode) -> StoreResult<Store> {
        let found = integrity::probe(path)?;
        let mut conn = open_connection(path, sync).map_err(|e| e.at(path))?;
        if found == integrity::Found::Store {
            integrity::verify(&conn, path, false)?;
        }
        schema::migrate(&mut conn).map_err(|e| e.at(path))?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("didymos-store-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(|e| StoreError::Sqlite(format!("cannot start the writer: {e}")))?;
        Ok(Store {
            jobs: tx,
            readers: Arc::new(Mutex::new(Vec::new())),
            path: path.to_path_buf(),
            sync,
        })
    }

    /// Runs `f` in the writer's transaction; answers once committed. An
    /// `Err` from `f` rolls back only its own changes.
    pub async fn write<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(f, move |r| {
            let _ = tx.send(r);
        })?;
        let result = rx.await.map_err(|_| StoreError::Closed)?;
        result.map_err(|e| e.at(&self.path))
    }

    /// As [`Store::write`], blocking (for worker threads).
    pub fn write_blocking<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        self.submit(f, move |r| {
            let _ = tx.send(r);
        })?;
        let result = rx.recv().map_err(|_| StoreError::Closed)?;
        result.map_err(|e| e.at(&self.path))
    }

    /// Queues `f`; `done` gets its result after the commit.
    pub fn submit<R, F, D>(&self, f: F, done: D) -> StoreResult<()>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
        D: FnOnce(StoreResult<R>) + Send + 'static,
    {
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            // A job's own error wins over the commit's: it says what was
            // wrong with this write.
            let completion: Completion = Box::new(move |commit| {
                done(match result {
                    Ok(r) => commit.map(|()| r),
                    Err(e) => Err(e),
                })
            });
            (ok, completion)
        });
        self.jobs.send(job).map_err(|_| StoreError::Closed)
    }

    /// Runs `f` on a read connection, off the async threads.
    pub async fn read<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(f))
            .await
            .map_err(|e| StoreError::Sqlite(format!("read task failed: {e}")))?
    }

    pub fn read_blocking<R, F>(&self, f: F) -> StoreResult<R>
    where
        F: FnOnce(&Connection) -> StoreResult<R>,
    {
        let pooled = self.readers.lock().ok().and_then(|mut p| p.pop());
        let conn = match pooled {
            Some(c) => c,
            None => open_connection(&self.path, self.sync).map_err(|e| e.at(&self.path))?,
        };
        let result = f(&conn).map_err(|e| e.at(&self.path));
        if let Ok(mut p) = self.readers.lock() {
            if p.len() < 8 {
                p.push(conn);
            }
        }
        result
    }
}

impl Store {
    /// Copies the write-ahead log into the main file and empties it, so
    /// the file alone holds every commit (a copy of just `didymos.sqlite`
    /// is then complete). Called at shutdown; harmless at any time.
    pub fn checkpoint(&self) -> StoreResult<()> {
        let conn = open_connection(&self.path, self.sync).map_err(|e| e.at(&self.path))?;
        let (busy, _, _): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(|e| StoreError::from(e).at(&self.path))?;
        if busy != 0 {
            return Err(StoreError::Sqlite(
                "the checkpoint was blocked by another connection".into(),
            ));
        }
        Ok(())
    }
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let mut jobs = jobs.into_iter();
        // Usually one transaction for the whole group; another only when
        // SQLite itself rolled one back (below).
        while jobs.len() > 0 {
            if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
                // Dropping a job drops its answer channel: its caller sees
                // the store as closed rather than waiting forever.
                tracing::error!("cannot begin a transaction: {e}");
                break;
            }
            let completions = run_in_transaction(&conn, &mut jobs);
            let commit = if conn.is_autocommit() {
                // SQLite rolled the transaction back itself (a full disk,
                // an I/O error): the jobs before the failing one are lost
                // with it, so none of them may be acknowledged.
                Err(StoreError::Sqlite(
                    "rolled back with another write in the same transaction, which failed".into(),
                ))
            } else {
                let c = conn.execute_batch("COMMIT").map_err(StoreError::from);
                if c.is_err() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                c
            };
            for done in completions {
                done(commit.clone());
            }
        }
    }
}

/// Runs jobs, each in its own savepoint, until they run out or SQLite
/// rolls the whole transaction back; returns the completions of the jobs
/// that were in the transaction (a job whose own write failed already
/// holds its error, which its completion reports whatever the commit does).
fn run_in_transaction(conn: &Connection, jobs: &mut impl Iterator<Item = Job>) -> Vec<Completion> {
    let mut completions = Vec::new();
    for job in jobs.by_ref() {
        let _ = conn.execute_batch("SAVEPOINT job");
        // A panicking job must not take the writer (and every later
        // write) down with it.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn)));
        let rolled_back = conn.is_autocommit();
        match outcome {
            Ok((true, done)) if !rolled_back => {
                let _ = conn.execute_batch("RELEASE job");
                completions.push(done);
            }
            Ok((_, done)) => {
                if !rolled_back {
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                }
                completions.push(done);
            }
            Err(_) => {
                tracing::error!("a store job panicked; its changes were rolled back");
                if !rolled_back {
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                }
            }
        }
        if rolled_back {
            break;
        }
    }
    completions
}

/// Milliseconds since 1970 (UTC), now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
