//! A damaged or lost store stops `didymos serve` before anything is written,
//! with a message that names the file and the way back; `didymos store
//! backup` makes that way back while the service runs; a graceful stop
//! leaves the whole store in its one file. Runs the real binary on
//! 127.0.0.1.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::serve::{free_port, http, refused, spain_days, start};
use common::{didymos, repo};

fn status(port: u16) -> Value {
    http(port, "GET", "/v1/twins/spain/status", None, &[])
        .unwrap()
        .1
}

/// A store with a twin, a stream, eleven days of admissions and the runs
/// that assimilated them.
fn fill(port: u16) -> u64 {
    let spec = repo().join("data/spain/twin-2020.toml");
    let twin = json!({"id": "spain", "spec_path": spec, "members": 20, "settle_ms": 600000});
    let (code, body) = http(port, "POST", "/v1/twins", Some(&twin.to_string()), &[]).unwrap();
    assert_eq!(code, 201, "{body}");
    let stream = json!({"name": "hosp", "unit": "persons/day", "observable": "new_hospitalized", "cadence": "1d"});
    let (code, body) = http(
        port,
        "POST",
        "/v1/twins/spain/streams",
        Some(&stream.to_string()),
        &[],
    )
    .unwrap();
    assert_eq!(code, 201, "{body}");
    for (_, records) in spain_days("2020-02-10", "2020-02-20") {
        let b = json!({ "observations": records }).to_string();
        let (code, body) =
            http(port, "POST", "/v1/twins/spain/observations", Some(&b), &[]).unwrap();
        assert_eq!(code, 200, "{body}");
    }
    let t = Instant::now();
    while status(port)["assimilated_through"] != "2020-02-20" {
        assert!(t.elapsed() < Duration::from_secs(120), "{}", status(port));
        std::thread::sleep(Duration::from_millis(100));
    }
    status(port)["observations"].as_u64().unwrap()
}

/// `didymos store check|backup …`: (success, stdout + stderr).
fn store(args: &[&str]) -> (bool, String) {
    let mut argv = vec!["store"];
    argv.extend_from_slice(args);
    let out = didymos(&argv);
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Sets the b-tree page-type byte of the observations table's root page.
/// Starting the service reads tokens, twins, streams and runs but not the
/// observations, so only a check of every page finds this before the
/// service has started and acknowledged new data.
fn damage_observations(db: &Path) {
    let (page_size, root): (i64, i64) = {
        let c = rusqlite::Connection::open(db).unwrap();
        let size = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        let root = c
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'observations'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (size, root)
    };
    assert!(root > 1, "root page {root}");
    let mut bytes = std::fs::read(db).unwrap();
    bytes[((root - 1) * page_size) as usize] = 0xee;
    std::fs::write(db, bytes).unwrap();
}

fn remove_store(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}

#[test]
fn a_damaged_store_is_refused_and_a_backup_brings_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("didymos.sqlite");
    let backup = dir.path().join("backup.sqlite");
    let port = free_port();
    let mut server = start(&data, port);
    let observations = fill(port);
    assert!(observations > 500, "{observations}");

    // A backup taken while the service runs holds every observation.
    let (ok, text) = store(&[
        "backup",
        data.to_str().unwrap(),
        "--to",
        backup.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("{observations} observations")),
        "{text}"
    );
    let (ok, text) = store(&[
        "backup",
        data.to_str().unwrap(),
        "--to",
        backup.to_str().unwrap(),
    ]);
    assert!(!ok && text.contains("already exists"), "{text}");

    // A graceful stop folds the write-ahead log into the file.
    assert!(server.terminate(), "SIGTERM should end the service cleanly");
    let wal = std::fs::metadata(data.join("didymos.sqlite-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the log still holds commits after a graceful stop");
    let (ok, text) = store(&["check", db.to_str().unwrap(), "--full"]);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("{observations} observations")),
        "{text}"
    );

    // Damaged pages: the service refuses to start and says what to do.
    damage_observations(&db);
    let before = std::fs::read(&db).unwrap();
    let err = refused(&data, port);
    for needle in [
        db.to_str().unwrap(),
        "is damaged",
        "didymos store backup",
        ".recover",
    ] {
        assert!(err.contains(needle), "`{needle}` missing from: {err}");
    }
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "a refused start wrote to the store"
    );
    let (ok, text) = store(&["check", data.to_str().unwrap()]);
    assert!(!ok && text.contains("is damaged"), "{text}");

    // Not a database at all.
    std::fs::write(&db, "observations,of,some,kind\n".repeat(200)).unwrap();
    let err = refused(&data, port);
    assert!(err.contains("file is not a database"), "{err}");
    // ...nor would a spec given by mistake be: no advice to copy a backup
    // over it.
    let (ok, text) = store(&["check", "data/spain/twin.toml"]);
    assert!(
        !ok && text.contains("is not a Didymos store") && !text.contains("backup"),
        "{text}"
    );

    // Lost: an empty file beside the runs of an earlier store.
    remove_store(&db);
    std::fs::write(&db, b"").unwrap();
    let err = refused(&data, port);
    assert!(
        err.contains("missing or empty") && err.contains("run record"),
        "{err}"
    );
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);

    // The way back: the backup, copied over the file.
    remove_store(&db);
    std::fs::copy(&backup, &db).unwrap();
    let mut server = start(&data, port);
    assert_eq!(status(port)["observations"], observations);
    assert!(server.terminate());
}
