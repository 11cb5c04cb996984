//! Test helpers: a server on 127.0.0.1 in a temporary folder, a small
//! blocking HTTP client, the bundled 2020 Spain data.
#![allow(dead_code)]

pub mod broker;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use didymos_server::{BackgroundServer, Config};
use serde_json::{json, Value};

pub const ADMIN: &str = "test-admin-token-0123456789";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn spain_spec() -> PathBuf {
    repo().join("data/spain/twin-2020.toml")
}

/// The bundled flood twin (GR4J on CAMELS basin 01022500).
pub fn flood_spec() -> PathBuf {
    repo().join("data/flood/twin.toml")
}

pub struct TestServer {
    pub server: BackgroundServer,
    pub dir: tempfile::TempDir,
}

pub fn start_server(mqtt: Option<String>) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.admin_token = Some(ADMIN.into());
    config.mqtt = mqtt;
    config.max_body_bytes = 4 << 20;
    let server = BackgroundServer::start(config).unwrap();
    TestServer { server, dir }
}

/// A response: status, content type and JSON body (Null if not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

pub struct Client {
    pub base: String,
    pub token: Option<String>,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(server: &TestServer, token: Option<&str>) -> Client {
        Client {
            base: format!("http://{}", server.server.addr),
            token: token.map(str::to_string),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(120))
                .build(),
        }
    }
    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let r = self.agent.request(method, &format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.set("Authorization", &format!("Bearer {t}")),
            None => r,
        }
    }
    fn answer(result: Result<ureq::Response, ureq::Error>) -> Answer {
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let status = resp.status();
        let content_type = resp.header("content-type").unwrap_or("").to_string();
        let text = resp.into_string().unwrap_or_default();
        Answer {
            status,
            content_type,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }
    pub fn get(&self, path: &str) -> Answer {
        Self::answer(self.request("GET", path).call())
    }
    pub fn delete(&self, path: &str) -> Answer {
        Self::answer(self.request("DELETE", path).call())
    }
    pub fn post(&self, path: &str, body: &Value) -> Answer {
        self.send_json("POST", path, body)
    }
    pub fn patch(&self, path: &str, body: &Value) -> Answer {
        self.send_json("PATCH", path, body)
    }
    fn send_json(&self, method: &str, path: &str, body: &Value) -> Answer {
        Self::answer(
            self.request(method, path)
                .set("Content-Type", "application/json")
                .send_string(&body.to_string()),
        )
    }
    pub fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut r = self.request("POST", path).set("Content-Type", content_type);
        for (k, v) in headers {
            r = r.set(k, v);
        }
        Self::answer(r.send_string(body))
    }
}

/// Creates the bundled 2020 twin with few members, and a `hosp` stream of
/// province hospitalisations per age group.
pub fn create_spain_twin(c: &Client, id: &str, members: usize, settle_ms: u64) {
    let a = c.post(
        "/v1/twins",
        &json!({"id": id, "spec_path": spain_spec(), "members": members,
                "horizon_days": 14, "settle_ms": settle_ms}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let a = c.post(
        &format!("/v1/twins/{id}/streams"),
        &json!({"name": "hosp", "unit": "persons/day", "observable": "new_hospitalized",
                "cadence": "1d", "value_type": "count"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
}

/// The 2020 hospitalisation records of `date` as observation records.
pub fn spain_day(date: &str) -> Vec<Value> {
    spain_rows()
        .iter()
        .filter(|r| r.0 == date)
        .map(|(d, loc, age, v)| json!({"stream": "hosp", "time": d, "location": loc, "stratum": age, "value": v}))
        .collect()
}

fn spain_rows() -> &'static Vec<(String, String, String, f64)> {
    static ROWS: std::sync::OnceLock<Vec<(String, String, String, f64)>> =
        std::sync::OnceLock::new();
    ROWS.get_or_init(|| {
        let path = repo().join("data/spain/spain_provinces_covid19_daily_by_age_2020.csv");
        let mut r = csv::Reader::from_path(path).unwrap();
        let h = r.headers().unwrap().clone();
        let col = |n: &str| h.iter().position(|x| x == n).unwrap();
        let (d, l, a, v) = (
            col("date"),
            col("province_ine"),
            col("age_group"),
            col("new_hospitalized"),
        );
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (
                    rec[d].to_string(),
                    rec[l].to_string(),
                    rec[a].to_string(),
                    rec[v].parse().unwrap_or(0.0),
                )
            })
            .collect()
    })
}

/// Posts `date`'s 2020 records to twin `spain` and waits for the forecast
/// from that day (every province reported, so the day is complete);
/// returns how many records were sent.
pub fn post_spain_day_and_wait(c: &Client, date: &str) -> usize {
    post_and_wait(c, "spain", date, &spain_day(date))
}

/// Posts `records` to `twin` and waits for its forecast from `date`;
/// returns how many records were sent.
pub fn post_and_wait(c: &Client, twin: &str, date: &str, records: &[Value]) -> usize {
    let a = c.post(
        &format!("/v1/twins/{twin}/observations"),
        &json!({ "observations": records }),
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["accepted"], records.len(), "{a:?}");
    assert_eq!(a.body["duplicate"], false);
    wait_for(
        &format!("{twin}'s forecast from {date}"),
        Duration::from_secs(60),
        || {
            let f = c.get(&format!("/v1/twins/{twin}/forecasts?limit=1"));
            (f.body[0]["origin"] == date).then_some(())
        },
    );
    records.len()
}

/// Waits until `twin` has recorded its checkpoint through `date`: its
/// forecast from that day is published just before, so a change sent on
/// seeing the forecast may otherwise meet the checkpoint before.
pub fn wait_for_checkpoint(c: &Client, twin: &str, date: &str) {
    wait_for(
        &format!("{twin}'s checkpoint through {date}"),
        Duration::from_secs(60),
        || {
            let s = c.get(&format!("/v1/twins/{twin}/status")).body;
            (s["assimilated_through"] == date).then_some(())
        },
    );
}

/// Polls `f` until it returns Some, or panics after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every bad request is a 4xx with a problem+json body.
pub fn assert_problem(a: &Answer, status: u16) {
    assert_eq!(a.status, status, "{a:?}");
    assert_eq!(a.content_type, "application/problem+json", "{a:?}");
    assert_eq!(a.body["status"], status, "{a:?}");
    assert!(
        a.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{a:?}"
    );
}
