//! The integrity checks against stores damaged on purpose.

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
