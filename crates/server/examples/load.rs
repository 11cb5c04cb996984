//! A bounded load and latency run on 127.0.0.1 (figures for
//! BENCHMARKS-server.md):
//!
//! ```sh
//! cargo run --release -p didymos-server --example load
//! ```
//!
//! 1. HTTP batched ingest, durable (synchronous = FULL, then NORMAL):
//!    observations/s and acknowledgement latency p50/p99.
//! 2. MQTT: messages/s from publish to committed (needs `mosquitto`).
//! 3. The live loop on the 52-province 2020 twin with 1,000 members: time
//!    from the POST that completes a day to that day's forecast.
//!
//! Every loop is bounded in count and time; it stops by itself.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use didymos_server::{BackgroundServer, Config, SyncMode};
use serde_json::{json, Value};

const TOKEN: &str = "load-admin-token-0123456789";

fn server(sync: SyncMode, mqtt: Option<String>) -> (BackgroundServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::new(dir.path());
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.admin_token = Some(TOKEN.into());
    c.sync = sync;
    c.mqtt = mqtt;
    (BackgroundServer::start(c).unwrap(), dir)
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .build()
}

fn post(a: &ureq::Agent, url: &str, body: &str) -> Value {
    a.post(url)
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .set("Content-Type", "application/json")
        .send_string(body)
        .map(|r| r.into_json().unwrap())
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn get(a: &ureq::Agent, url: &str) -> Value {
    a.get(url)
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .call()
        .map(|r| r.into_json().unwrap())
        .unwrap_or(Value::Null)
}

fn spec() -> String {
    format!(
        "{}/../../data/spain/twin-2020.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn create_twin(s: &BackgroundServer, members: usize, topic: Option<&str>) {
    let a = agent();
    post(&a, &s.url("/v1/twins"), &json!({"id": "spain", "spec_path": spec(), "members": members, "horizon_days": 28, "settle_ms": 3_600_000}).to_string());
    let mut stream = json!({"name": "hosp", "unit": "persons/day", "observable": "new_hospitalized", "cadence": "1d"});
    if let Some(t) = topic {
        stream["mqtt_topic"] = json!(t);
        stream["location"] = json!("28");
    }
    post(&a, &s.url("/v1/twins/spain/streams"), &stream.to_string());
}

fn percentile(xs: &mut [f64], p: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[((xs.len() - 1) as f64 * p).round() as usize]
}

/// Observations of one (incomplete) day, at distinct milliseconds, so the
/// live loop stays idle and only ingest is measured.
fn batch(client: usize, n: usize, size: usize) -> String {
    let obs: Vec<Value> = (0..size)
        .map(|i| {
            let ms = (client * 1_000_000 + n * size + i) % 86_400_000;
            json!({"stream": "hosp", "time": format!("2020-03-01T{:02}:{:02}:{:02}.{:03}Z", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000), "location": "28", "stratum": "Y", "value": 1})
        })
        .collect();
    json!({ "observations": obs }).to_string()
}

fn http_ingest(sync: SyncMode, clients: usize, size: usize, seconds: u64) {
    let (s, _dir) = server(sync, None);
    create_twin(&s, 10, None);
    let url = s.url("/v1/twins/spain/observations");
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (url, lat) = (url.clone(), latencies.clone());
            std::thread::spawn(move || {
                let a = agent();
                let bodies: Vec<String> = (0..20).map(|n| batch(c, n, size)).collect();
                let mut n = 0;
                while start.elapsed() < Duration::from_secs(seconds) && n < 100_000 {
                    let t = Instant::now();
                    let r = post(&a, &url, &bodies[n % bodies.len()]);
                    assert_eq!(r["accepted"], size);
                    lat.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                    n += 1;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut lat = latencies.lock().unwrap().clone();
    let total = lat.len() * size;
    println!(
        "HTTP ingest, synchronous={:?}: {clients} clients × batches of {size}: {} observations in {elapsed:.1} s = {:.0} obs/s; ack latency p50 {:.1} ms, p99 {:.1} ms",
        sync,
        total,
        total as f64 / elapsed,
        percentile(&mut lat, 0.5),
        percentile(&mut lat, 0.99)
    );
}

fn mosquitto() -> Option<(Child, u16, tempfile::TempDir)> {
    let exe = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let dir = tempfile::tempdir().ok()?;
    let conf = dir.path().join("m.conf");
    std::fs::write(&conf, format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 1000000\n")).ok()?;
    let child = Command::new(exe)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((child, port, dir))
}

fn mqtt(messages: usize) {
    let Some((mut broker, port, _d)) = mosquitto() else {
        println!("MQTT: SKIPPED: mosquitto not installed (apt-get install mosquitto)");
        return;
    };
    let (s, _dir) = server(SyncMode::Full, Some(format!("127.0.0.1:{port}")));
    create_twin(&s, 10, Some("load/hosp"));
    let a = agent();
    while get(&a, &s.url("/v1/mqtt"))["connected"] != true {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut opts = rumqttc::MqttOptions::new("load-publisher", "127.0.0.1", port);
    opts.set_inflight(1000);
    let (client, mut conn) = rumqttc::Client::new(opts, 10_000);
    // Drive the publisher's connection until it fails: once the broker is
    // stopped below, rumqttc's iterator would otherwise retry the connect
    // in a tight loop for the rest of the process and take a core from the
    // live-loop measurement that follows (it doubled its simulation time).
    std::thread::spawn(move || {
        for event in conn.iter() {
            if event.is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    for i in 0..messages {
        let ms = i % 86_400_000;
        let body = format!(
            "{{\"time\":\"2020-03-01T{:02}:{:02}:{:02}.{:03}Z\",\"stratum\":\"Y\",\"value\":1}}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        );
        client
            .publish(
                "load/hosp",
                rumqttc::QoS::AtLeastOnce,
                false,
                body.into_bytes(),
            )
            .unwrap();
    }
    let published = start.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut stored = 0;
    while Instant::now() < deadline {
        stored = get(&a, &s.url("/v1/mqtt"))["stored"].as_u64().unwrap_or(0) as usize;
        if stored >= messages {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "MQTT (QoS 1, one record per message): {stored}/{messages} stored in {elapsed:.2} s = {:.0} msgs/s committed (published in {published:.2} s)",
        stored as f64 / elapsed
    );
    let _ = broker.kill();
    let _ = broker.wait();
}

fn spain_days() -> Vec<(String, String)> {
    let path = format!(
        "{}/../../data/spain/spain_provinces_covid19_daily_by_age_2020.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut days: Vec<(String, Vec<Value>)> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let rec = json!({"stream": "hosp", "time": f[0], "location": f[1], "stratum": f[2], "value": f[4].parse::<f64>().unwrap_or(0.0)});
        match days.last_mut() {
            Some((d, v)) if d == f[0] => v.push(rec),
            _ => days.push((f[0].to_string(), vec![rec])),
        }
    }
    days.into_iter()
        .map(|(d, v)| (d, json!({"observations": v}).to_string()))
        .collect()
}

/// `(kind, data)` of every event on the SSE stream at `url`, from a thread.
fn sse_events(url: &str) -> std::sync::mpsc::Receiver<(String, Value)> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    let resp = ureq::AgentBuilder::new()
        .build()
        .get(url)
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .call()
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(resp.into_reader()).lines() {
            let Ok(line) = line else { return };
            let Some(data) = line.strip_prefix("data: ") else {
                continue;
            };
            let Ok(ev) = serde_json::from_str::<Value>(data) else {
                continue;
            };
            let kind = ev["kind"].as_str().unwrap_or_default().to_string();
            if tx.send((kind, ev["data"].clone())).is_err() {
                return;
            }
        }
    });
    rx
}

fn live_latency(members: usize, warm_until: &str, measured_days: usize) {
    let (s, _dir) = server(SyncMode::Full, None);
    create_twin(&s, members, None);
    let a = agent();
    let days: Vec<_> = spain_days()
        .into_iter()
        .filter(|(d, _)| d.as_str() > "2020-02-09")
        .collect();
    // Wait on the service's own events (SSE), not by polling: a client
    // polling every few milliseconds takes a core from the server on a
    // 2-core machine and inflates the very latency it measures.
    let events = sse_events(&s.url("/v1/events?twin=spain"));
    let wait_event = |kind: &str, key: &str, date: &str| loop {
        let (k, v) = events
            .recv_timeout(Duration::from_secs(600))
            .unwrap_or_else(|_| panic!("no {kind} event for {date}"));
        if k == kind && v[key] == date {
            return;
        }
    };
    let wait_origin = |date: &str| wait_event("forecast", "origin", date);
    let wait_assimilated = |date: &str| wait_event("assimilation", "through", date);
    let warm: Vec<_> = days
        .iter()
        .filter(|(d, _)| d.as_str() <= warm_until)
        .collect();
    let t = Instant::now();
    for (_, body) in &warm {
        post(&a, &s.url("/v1/twins/spain/observations"), body);
    }
    let warm_last = warm.last().unwrap().0.clone();
    wait_origin(&warm_last);
    wait_assimilated(&warm_last);
    println!("live loop, {members} members: first fit to {warm_until} (from day 1, {} days of data) took {:.1} s", warm.len(), t.elapsed().as_secs_f64());
    let mut lat = Vec::new();
    for (date, body) in days.iter().skip(warm.len()).take(measured_days) {
        let t = Instant::now();
        post(&a, &s.url("/v1/twins/spain/observations"), body);
        wait_origin(date);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        // Data come daily: let the step finish its bookkeeping (checkpoint,
        // provenance) before the next day, as it would in service.
        wait_assimilated(date);
    }
    let runs = get(
        &a,
        &s.url(&format!("/v1/runs?twin=spain&limit={}", 2 * measured_days)),
    );
    let phase = |kind: &str| -> Vec<f64> {
        runs.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == kind)
            .filter_map(|r| r["result"]["elapsed_ms"].as_f64())
            .collect()
    };
    let (mut assim, mut fc) = (phase("assimilate"), phase("forecast"));
    let part = |key: &str| -> f64 {
        let mut v: Vec<f64> = runs
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["result"][key].as_f64())
            .collect();
        percentile(&mut v, 0.5)
    };
    println!(
        "  forecast parts (medians): simulate {:.0} ms, weekly ensemble (store read + companions) {:.0} ms, quantiles + JSON {:.0} ms",
        part("simulate_ms"),
        part("weekly_ensemble_ms"),
        part("summarise_ms")
    );
    println!(
        "live loop, 52 provinces, {members} members, 28-day forecast: last observation of a day → its forecast stored: median {:.0} ms, max {:.0} ms over {} days (assimilation {:.0} ms, assimilation + forecast {:.0} ms, medians)",
        percentile(&mut lat.clone(), 0.5),
        percentile(&mut lat, 1.0),
        measured_days,
        percentile(&mut assim, 0.5),
        percentile(&mut fc, 0.5),
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let secs = if quick { 3 } else { 10 };
    println!(
        "cores: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if std::env::args().any(|a| a == "--live-only") {
        return live_latency(1000, "2020-03-10", 7);
    }
    http_ingest(SyncMode::Full, 4, 1000, secs);
    http_ingest(SyncMode::Normal, 4, 1000, secs);
    http_ingest(SyncMode::Full, 16, 100, secs);
    mqtt(if quick { 20_000 } else { 100_000 });
    live_latency(
        if quick { 100 } else { 1000 },
        "2020-03-10",
        if quick { 3 } else { 7 },
    );
}
