//! The round trip: simulate, replay into `didymos serve` on 127.0.0.1, and
//! query back: every message is stored exactly once.
//!
//! Written against the ingest contract (`POST /v1/twins/{twin}/observations`,
//! `Idempotency-Key`, bearer token) and the service's read API
//! (`GET /v1/twins/{twin}/streams/{stream}/observations`, paged with
//! `next`/`after`). The assumptions about how `didymos serve` starts are
//! all in `start_service`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{ok, repo, s};

const TOKEN: &str = "roundtrip-admin-token-0123456789";

struct Service(Child);
impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_service(data: &std::path::Path) -> (Service, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::create_dir_all(data).unwrap();
    let token_file = data.join("admin-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args([
            "serve",
            "--data-dir",
            s(data),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--admin-token-file",
            s(&token_file),
            "--sync",
            "normal",
        ])
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < until,
            "didymos serve did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Service(child), port)
}

/// One HTTP/1.1 request with `Connection: close`; returns (status, body).
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let body = body.unwrap_or("");
    write!(
        c,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = Vec::new();
    c.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

#[test]
fn simulate_replay_into_serve_and_query_back_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    // One stream, named as the twin's [assimilation] stream so the service
    // accepts it; realistic noise, missing days and an outage with a dump,
    // but no revisions (they would repeat a key with a new value).
    let scenario = dir.path().join("roundtrip.toml");
    std::fs::write(
        &scenario,
        "[[stream]]\nname = \"new_hospitalized\"\nobservable = \"new_hospitalized\"\nascertainment = 3.0\ndispersion = 10.0\ndelay_mean = 1.0\ndelay_sd = 1.5\nweekday_effect = [1.1, 1.05, 1.0, 1.0, 1.0, 0.95, 0.9]\nmissing_rate = 0.01\n[[stream.outage]]\nfrom = 40\nto = 45\ndump = true\n",
    )
    .unwrap();
    let out = dir.path().join("sim");
    let spec = "data/spain/twin-2020.toml";
    ok(&[
        "simulate",
        spec,
        "--scenario",
        s(&scenario),
        "--out",
        s(&out),
        "--format",
        "ndjson",
        "--seed",
        "9",
    ]);
    let file = out.join("observations.ndjson");
    let sent: Vec<serde_json::Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    let (_service, port) = start_service(&dir.path().join("data"));
    let abs_spec = repo().join(spec).canonicalize().unwrap();
    let (status, body) = http(
        port,
        "POST",
        "/v1/twins",
        Some(&format!(
            "{{\"id\":\"spain\",\"spec_path\":{:?}}}",
            s(&abs_spec)
        )),
    );
    assert!(
        status == 201 || status == 200,
        "create twin: {status} {body}"
    );
    let (status, body) = http(
        port,
        "POST",
        "/v1/twins/spain/streams",
        Some(
            r#"{"name":"new_hospitalized","unit":"persons/day","observable":"new_hospitalized","cadence":"1d","value_type":"count"}"#,
        ),
    );
    assert!(
        status == 201 || status == 200,
        "register stream: {status} {body}"
    );

    let url = format!("http://127.0.0.1:{port}/v1/twins/spain");
    let replayed = common::didymos(&[
        "replay",
        s(&file),
        "--to",
        &url,
        "--batch",
        "100",
        "--rate",
        "20000",
        "--token",
        TOKEN,
        "--max-seconds",
        "300",
    ]);
    let report = String::from_utf8_lossy(&replayed.stderr);
    assert!(replayed.status.success(), "{report}");
    assert!(report.contains("failed 0"), "{report}");
    println!("replay into didymos serve: {report}");

    // Query back, page by page.
    let mut got = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let q = match &after {
            Some(a) => format!("?limit=10000&after={a}"),
            None => "?limit=10000".into(),
        };
        let (status, body) = http(
            port,
            "GET",
            &format!("/v1/twins/spain/streams/new_hospitalized/observations{q}"),
            None,
        );
        assert_eq!(status, 200, "{body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        got.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_string()),
            None => break,
        }
    }
    assert_eq!(got.len(), sent.len(), "every message stored exactly once");
    let key = |v: &serde_json::Value| {
        let time = v["time"].as_str().unwrap_or_default();
        (
            time[..10].to_string(),
            v["location"].as_str().unwrap_or_default().to_string(),
            v["value"].as_f64().unwrap().to_bits(),
        )
    };
    let mut a: Vec<_> = sent.iter().map(key).collect();
    let mut b: Vec<_> = got.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "the stored records are the sent ones");

    // Replaying the same file again stores nothing new (same Idempotency-Keys).
    ok(&[
        "replay",
        s(&file),
        "--to",
        &url,
        "--batch",
        "100",
        "--token",
        TOKEN,
    ]);
    let (_, body) = http(
        port,
        "GET",
        "/v1/twins/spain/streams/new_hospitalized/observations?limit=1",
        None,
    );
    assert!(body.contains("items"));
}
