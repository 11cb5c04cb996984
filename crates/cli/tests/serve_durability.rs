//! kill -9 in the middle of a sustained ingest: every acknowledged
//! observation is in the store after a restart, exactly once; a retried
//! batch is recognised; and the twin resumes from its last checkpoint.
//! Runs the real `didymos serve` binary on 127.0.0.1.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::repo;
use common::serve::{free_port, http, spain_days, start};

fn status(port: u16) -> Value {
    http(port, "GET", "/v1/twins/spain/status", None, &[])
        .unwrap()
        .1
}

fn wait_assimilated(port: u16, date: &str) {
    let t = Instant::now();
    while status(port)["assimilated_through"] != date {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "no assimilation through {date}: {}",
            status(port)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sustained-ingest observations are all on 2020-02-21 at distinct
/// milliseconds (their identity), with value 0, for Madrid's young only:
/// that day stays incomplete, so they never disturb the filter.
fn batch(thread: usize, n: usize) -> String {
    let obs: Vec<Value> = (0..50)
        .map(|i| {
            let ms = 1000 * (thread * 10_000 + n) + i;
            json!({"stream": "hosp", "time": format!("2020-02-21T{:02}:{:02}:{:02}.{:03}Z", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000),
                   "location": "28", "stratum": "Y", "value": 0})
        })
        .collect();
    json!({ "observations": obs }).to_string()
}

#[test]
fn kill_9_loses_no_acknowledged_observation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let mut server = start(&data, port);
    let spec = repo().join("data/spain/twin-2020.toml");
    let (code, body) = http(
        port,
        "POST",
        "/v1/twins",
        Some(
            &json!({"id": "spain", "spec_path": spec, "members": 20, "settle_ms": 600000})
                .to_string(),
        ),
        &[],
    )
    .unwrap();
    assert_eq!(code, 201, "{body}");
    let stream = json!({"name": "hosp", "unit": "persons/day", "observable": "new_hospitalized", "cadence": "1d"});
    assert_eq!(
        http(
            port,
            "POST",
            "/v1/twins/spain/streams",
            Some(&stream.to_string()),
            &[]
        )
        .unwrap()
        .0,
        201
    );
    for (_, records) in spain_days("2020-02-10", "2020-02-20") {
        let b = json!({ "observations": records }).to_string();
        assert_eq!(
            http(port, "POST", "/v1/twins/spain/observations", Some(&b), &[])
                .unwrap()
                .0,
            200
        );
    }
    wait_assimilated(port, "2020-02-20");
    let before = status(port);
    let runs = http(
        port,
        "GET",
        "/v1/runs?twin=spain&kind=assimilate&limit=1",
        None,
        &[],
    )
    .unwrap()
    .1;
    let last_run_dir = runs[0]["id"].as_str().unwrap().to_string();

    // Sustained ingest from 4 threads; SIGKILL after a while.
    let acked: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (acked, stop) = (acked.clone(), stop.clone());
            std::thread::spawn(move || {
                for n in 0..5000 {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let key = format!("t{t}-b{n}");
                    match http(
                        port,
                        "POST",
                        "/v1/twins/spain/observations",
                        Some(&batch(t, n)),
                        &[("Idempotency-Key", &key)],
                    ) {
                        Ok((200, v)) => {
                            assert_eq!(v["accepted"], 50);
                            acked.lock().unwrap().push((t, n));
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    let t0 = Instant::now();
    while acked.lock().unwrap().len() < 200 && t0.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.kill(); // SIGKILL
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 200,
        "only {} batches acknowledged",
        acked.len()
    );

    // Restart on the same folder.
    let mut server = start(&data, port);
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let mut after = String::new();
    loop {
        let q = format!("/v1/twins/spain/streams/hosp/observations?from=2020-02-21T00:00:00Z&to=2020-02-21T23:59:59Z&limit=10000{after}");
        let (code, page) = http(port, "GET", &q, None, &[]).unwrap();
        assert_eq!(code, 200, "{page}");
        for o in page["items"].as_array().unwrap() {
            *seen
                .entry(o["time"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        match page["next"].as_str() {
            Some(n) => after = format!("&after={n}"),
            None => break,
        }
    }
    assert!(
        seen.values().all(|&n| n == 1),
        "an observation was stored twice"
    );
    for &(t, n) in &acked {
        let b: Value = serde_json::from_str(&batch(t, n)).unwrap();
        for o in b["observations"].as_array().unwrap() {
            // The server writes whole seconds without a fraction.
            let time = &o["time"].as_str().unwrap().replace(".000Z", "Z");
            assert!(
                seen.contains_key(time.as_str()),
                "acknowledged observation {time} (thread {t}, batch {n}) is missing"
            );
        }
    }
    assert_eq!(seen.len() % 50, 0, "a batch was stored in part");
    // A client retrying an acknowledged batch after the crash is told it is a duplicate.
    let (t, n) = acked[0];
    let (code, v) = http(
        port,
        "POST",
        "/v1/twins/spain/observations",
        Some(&batch(t, n)),
        &[("Idempotency-Key", &format!("t{t}-b{n}"))],
    )
    .unwrap();
    assert_eq!((code, v["duplicate"].clone()), (200, json!(true)));

    // The twin resumes from the checkpoint it had before the kill.
    let after_restart = status(port);
    assert_eq!(
        after_restart["assimilated_through"],
        before["assimilated_through"]
    );
    for (_, records) in spain_days("2020-02-21", "2020-02-23") {
        let b = json!({ "observations": records }).to_string();
        assert_eq!(
            http(port, "POST", "/v1/twins/spain/observations", Some(&b), &[])
                .unwrap()
                .0,
            200
        );
    }
    wait_assimilated(port, "2020-02-23");
    let runs = http(
        port,
        "GET",
        "/v1/runs?twin=spain&kind=assimilate&limit=1000",
        None,
        &[],
    )
    .unwrap()
    .1;
    let resumed = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["result"]["from_day"] == "2020-02-20")
        .expect("no assimilation continued from 2020-02-20");
    assert!(
        resumed["result"]["resumed_from"]
            .as_str()
            .unwrap()
            .contains(&last_run_dir),
        "{resumed}"
    );
    server.kill();
}
