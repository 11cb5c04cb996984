//! Replay: order, rate limit (±5 % at 10,000 records/s), HTTP batches with
//! idempotency keys and retries, and refusals. Every server here listens
//! on 127.0.0.1 and every test is bounded in count and time.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use didymos_simulate::record::Record;
use didymos_simulate::replay::{replay, Pacing, ReplayOptions, Target};
use didymos_simulate::writer::{write_records, Format};

fn records(n: usize) -> Vec<Record> {
    let start: didymos_core::Date = "2020-03-01".parse().unwrap();
    (0..n)
        .map(|i| Record {
            stream: "cases".into(),
            time: start.add_days((i / 500) as i32).to_string(),
            location: Some(format!("{:02}", i % 50)),
            stratum: None,
            value: i as f64,
            issued: None,
            flag: None,
        })
        .collect()
}

fn options(target: Target) -> ReplayOptions {
    ReplayOptions {
        target,
        pacing: Pacing::AsFastAsPossible,
        rate: None,
        batch: 1,
        max_messages: None,
        max_seconds: Some(60.0),
        token: None,
        sort: false,
        retries: 3,
    }
}

fn file(dir: &Path, n: usize, format: Format) -> std::path::PathBuf {
    let path = dir.join(format!("obs.{}", format.extension()));
    write_records(&path, format, &records(n)).unwrap();
    path
}

#[test]
fn stdout_replay_keeps_order_and_holds_10000_per_second() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), 20_000, Format::Ndjson);
    let mut opts = options(Target::Stdout);
    opts.rate = Some(10_000.0);
    let mut out = Vec::new();
    let report = replay(&path, &opts, &mut out).unwrap();
    let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
    assert_eq!(lines.len(), 20_000);
    for (i, line) in lines.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["value"].as_f64(), Some(i as f64), "order broken at {i}");
    }
    println!("stdout: {report}");
    assert!(
        (report.achieved_rate / 10_000.0 - 1.0).abs() < 0.05,
        "{report}"
    );
    assert_eq!(report.failed, 0);
}

#[test]
fn pacing_by_speed_spreads_days_over_wall_time() {
    // 4 days of data (500 records a day) at 20 days/s: ~0.15 s.
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), 2_000, Format::Csv);
    let mut opts = options(Target::Stdout);
    opts.pacing = Pacing::DaysPerSecond(20.0);
    let t0 = Instant::now();
    let report = replay(&path, &opts, &mut Vec::new()).unwrap();
    let wall = t0.elapsed().as_secs_f64();
    assert_eq!(report.sent, 2_000);
    assert!((wall - 0.15).abs() < 0.05, "wall {wall}");
}

#[test]
fn limits_stop_the_replay() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), 5_000, Format::Parquet);
    let mut opts = options(Target::Stdout);
    opts.max_messages = Some(1_234);
    let report = replay(&path, &opts, &mut Vec::new()).unwrap();
    assert_eq!(report.sent, 1_234);
    assert!(report.stopped.unwrap().contains("max-messages"));
    let mut opts = options(Target::Stdout);
    opts.rate = Some(1_000.0);
    opts.max_seconds = Some(0.3);
    let report = replay(&path, &opts, &mut Vec::new()).unwrap();
    assert!((250..=350).contains(&report.sent), "sent {}", report.sent);
    assert!(report.stopped.unwrap().contains("max-seconds"));
}

/// What the test HTTP sink saw: (Idempotency-Key, records, arrival) per
/// stored batch.
type Seen = Arc<Mutex<Vec<(String, Vec<serde_json::Value>, Instant)>>>;

/// A minimal HTTP/1.1 keep-alive server on 127.0.0.1 that stores each
/// batch once per Idempotency-Key and fails the first attempt of every
/// batch whose index is in `fail_first` with 503.
fn http_sink(fail_first: Vec<u64>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/twins/test", listener.local_addr().unwrap());
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        let attempts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        for conn in listener.incoming().flatten() {
            let (s, attempts, fail_first) = (s.clone(), attempts.clone(), fail_first.clone());
            std::thread::spawn(move || serve(conn, s, attempts, fail_first));
        }
    });
    (url, seen)
}

fn serve(
    conn: TcpStream,
    seen: Seen,
    attempts: Arc<Mutex<HashMap<String, u32>>>,
    fail_first: Vec<u64>,
) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        assert!(
            line.starts_with("POST /v1/twins/test/observations "),
            "{line}"
        );
        let (mut len, mut key) = (0, String::new());
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => len = value.trim().parse().unwrap(),
                "idempotency-key" => key = value.trim().to_string(),
                "content-type" => assert_eq!(value.trim(), "application/json"),
                _ => {}
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let index: u64 = key.rsplit('-').next().unwrap().parse().unwrap();
        let n = {
            let mut a = attempts.lock().unwrap();
            let k = a.entry(key.clone()).or_insert(0);
            *k += 1;
            *k
        };
        let (status, reply) = if n == 1 && fail_first.contains(&index) {
            ("503 Service Unavailable", "{}".to_string())
        } else {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let recs = v["observations"].as_array().unwrap().clone();
            let mut seen = seen.lock().unwrap();
            let duplicate = seen.iter().any(|(k, _, _)| *k == key);
            let count = recs.len();
            if !duplicate {
                seen.push((key.clone(), recs, Instant::now()));
            }
            (
                "200 OK",
                format!(
                    "{{\"accepted\":{},\"duplicate\":{duplicate}}}",
                    if duplicate { 0 } else { count }
                ),
            )
        };
        let resp = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{reply}",
            reply.len()
        );
        if conn.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

fn stored_values(seen: &Seen) -> Vec<f64> {
    let seen = seen.lock().unwrap();
    seen.iter()
        .flat_map(|(_, r, _)| r.iter().map(|v| v["value"].as_f64().unwrap()))
        .collect()
}

#[test]
fn http_replay_in_order_at_10000_per_second() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), 20_000, Format::Csv);
    let (url, seen) = http_sink(vec![]);
    let mut opts = options(Target::parse(&url, false).unwrap());
    opts.rate = Some(10_000.0);
    opts.batch = 10;
    let report = replay(&path, &opts, &mut Vec::new()).unwrap();
    println!("http: {report}");
    assert_eq!(report.failed, 0, "{report}");
    assert_eq!(report.accepted, 20_000);
    assert!(
        (report.achieved_rate / 10_000.0 - 1.0).abs() < 0.05,
        "{report}"
    );
    // Measured at the sink: 1,999 batch intervals between first and last.
    let (first, last) = {
        let s = seen.lock().unwrap();
        (s[0].2, s[s.len() - 1].2)
    };
    let at_sink = 19_990.0 / (last - first).as_secs_f64();
    println!("http: {at_sink:.0} records/s at the sink");
    assert!(
        (at_sink / 10_000.0 - 1.0).abs() < 0.05,
        "{at_sink}/s at the sink"
    );
    let values = stored_values(&seen);
    assert_eq!(values.len(), 20_000, "every record exactly once");
    assert!(
        values.iter().enumerate().all(|(i, v)| *v == i as f64),
        "order preserved"
    );
    // The wire carries the contract's fields only.
    assert!(seen.lock().unwrap()[0].1[0].get("issued").is_none());
}

#[test]
fn http_retries_are_stored_once_and_a_second_replay_is_all_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), 2_000, Format::Csv);
    let (url, seen) = http_sink(vec![3, 17, 150]);
    let mut opts = options(Target::parse(&url, false).unwrap());
    opts.batch = 10;
    let report = replay(&path, &opts, &mut Vec::new()).unwrap();
    assert_eq!(report.failed, 0, "{report}");
    assert_eq!(report.retries, 3);
    assert_eq!(report.accepted, 2_000);
    let values = stored_values(&seen);
    assert_eq!(values.len(), 2_000, "every record exactly once");
    assert!(
        values.iter().enumerate().all(|(i, v)| *v == i as f64),
        "order preserved"
    );
    // The same file replayed again: same keys, all duplicates.
    let again = replay(&path, &opts, &mut Vec::new()).unwrap();
    assert_eq!(again.duplicates, 2_000);
    assert_eq!(again.accepted, 0);
    assert_eq!(stored_values(&seen).len(), 2_000);
}

#[test]
fn refusals_name_what_is_wrong() {
    let e = Target::parse("http://10.0.0.1:8080/v1/twins/x", false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--to") && e.contains("10.0.0.1") && e.contains("--allow-remote"),
        "{e}"
    );
    assert!(Target::parse("http://10.0.0.1:8080/v1/twins/x", true).is_ok());
    assert!(Target::parse("mqtt://localhost:1883", false)
        .unwrap_err()
        .to_string()
        .contains("topic"));
    assert!(Target::parse("ftp://127.0.0.1/x", false).is_err());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unsorted.csv");
    std::fs::write(
        &path,
        "stream,time,value\ncases,2020-03-02,1\ncases,2020-03-01,2\n",
    )
    .unwrap();
    let e = replay(&path, &options(Target::Stdout), &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unsorted.csv") && e.contains("line 3") && e.contains("--sort"),
        "{e}"
    );
    let mut sorted = options(Target::Stdout);
    sorted.sort = true;
    let mut out = Vec::new();
    replay(&path, &sorted, &mut out).unwrap();
    assert!(std::str::from_utf8(&out)
        .unwrap()
        .starts_with("{\"stream\":\"cases\",\"time\":\"2020-03-01\""));

    std::fs::write(
        &path,
        "stream,time,value\ncases,2020-03-02,1\ncases,someday,2\n",
    )
    .unwrap();
    let e = replay(&path, &options(Target::Stdout), &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 3") && e.contains("someday"), "{e}");
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(
        &bad,
        "{\"stream\":\"c\",\"time\":\"2020-03-01\",\"value\":1}\n{\"stream\":\"c\"}\n",
    )
    .unwrap();
    let e = replay(&bad, &options(Target::Stdout), &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.ndjson") && e.contains("line 2"), "{e}");
    let e = replay(
        &dir.path().join("missing.csv"),
        &options(Target::Stdout),
        &mut Vec::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("missing.csv"), "{e}");
}

#[test]
fn formats_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut recs = records(300);
    recs[5].issued = Some("2020-03-09".into());
    recs[7].stratum = Some("Y".into());
    recs[9].flag = Some("censored".into());
    recs[11].location = None;
    recs[13].time = "2020-03-01T21:00:00Z".into();
    for format in [Format::Csv, Format::Ndjson, Format::Parquet] {
        let path = dir.path().join(format!("r.{}", format.extension()));
        write_records(&path, format, &recs).unwrap();
        assert_eq!(
            didymos_simulate::writer::read_records(&path).unwrap(),
            recs,
            "{format:?}"
        );
    }
}
