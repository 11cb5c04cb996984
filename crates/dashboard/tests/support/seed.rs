//! A service on 127.0.0.1 seeded with the demo twin (data/spain/twin-2020.toml,
//! few members), and a small blocking client for the API.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use didymos_server::{BackgroundServer, Config};
use serde_json::{json, Value};

pub const ADMIN: &str = "dashboard-test-admin-token-0123";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub struct Service {
    pub server: BackgroundServer,
    _dir: tempfile::TempDir,
    agent: ureq::Agent,
}

impl Service {
    pub fn start() -> Service {
        Service::start_with_mqtt(None)
    }

    /// With `mqtt` (HOST:PORT), the service subscribes to that broker.
    pub fn start_with_mqtt(mqtt: Option<String>) -> Service {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path());
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.admin_token = Some(ADMIN.into());
        config.mqtt = mqtt;
        let server = BackgroundServer::start(config).unwrap();
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(120))
            .build();
        Service {
            server,
            _dir: dir,
            agent,
        }
    }

    pub fn base(&self) -> String {
        self.server.url("")
    }

    /// (status, body as JSON or as a JSON string, content type).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: bool,
    ) -> (u16, Value, String) {
        let mut r = self.agent.request(method, &self.server.url(path));
        if token {
            r = r.set("Authorization", &format!("Bearer {ADMIN}"));
        }
        let result = match body {
            Some(b) => r
                .set("Content-Type", "application/json")
                .send_string(&b.to_string()),
            None => r.call(),
        };
        let resp = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = resp.status();
        let kind = resp.header("content-type").unwrap_or("").to_string();
        let text = resp.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body, kind)
    }

    pub fn get(&self, path: &str) -> Value {
        self.request("GET", path, None, true).1
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (s, b, _) = self.request("POST", path, Some(body), true);
        (s, b)
    }

    /// The demo twin `spain` with `members` members, a `hosp` stream and two
    /// alert rules on Madrid (on the twin's days, on the weekly ensemble).
    pub fn create_spain_twin(&self, members: usize) {
        let spec = repo().join("data/spain/twin-2020.toml");
        let (s, b) = self.post(
            "/v1/twins",
            &json!({"id": "spain", "spec_path": spec, "members": members,
                    "horizon_days": 14, "settle_ms": 600_000}),
        );
        assert_eq!(s, 201, "{b}");
        let (s, b) = self.post(
            "/v1/twins/spain/streams",
            &json!({"name": "hosp", "unit": "persons/day", "observable": "new_hospitalized",
                    "cadence": "1d", "value_type": "count"}),
        );
        assert_eq!(s, 201, "{b}");
        let (s, b) = self.post(
            "/v1/twins/spain/alert-rules",
            &json!({"name": "madrid-7d", "target": "new_hospitalized", "location": "28",
                    "days": 7, "threshold": 5.0, "probability": 0.1}),
        );
        assert_eq!(s, 201, "{b}");
        // Below every quantile, so it fires on the first weekly ensemble.
        let (s, b) = self.post(
            "/v1/twins/spain/alert-rules",
            &json!({"name": "madrid-week-1", "target": "new_hospitalized", "location": "28",
                    "forecast": "ensemble", "week": 1, "threshold": -1.0, "probability": 0.5}),
        );
        assert_eq!(s, 201, "{b}");
    }

    /// Ingests the 2020 hospitalisations of `dates` in one batch.
    pub fn ingest_days(&self, dates: &[String]) {
        let records: Vec<Value> = spain_rows()
            .iter()
            .filter(|r| dates.contains(&r.0))
            .map(|(d, loc, age, v)| json!({"stream": "hosp", "time": d, "location": loc, "stratum": age, "value": v}))
            .collect();
        assert!(!records.is_empty());
        let (s, b) = self.post(
            "/v1/twins/spain/observations",
            &json!({"observations": records}),
        );
        assert_eq!(s, 200, "{b}");
    }

    /// Ingests `dates` as a record still being completed: each count first
    /// at half (rounded down) on its date, then whole `lag` days later,
    /// each record with its `issued` date; issues after the last date are
    /// not made yet.
    pub fn ingest_days_issued(&self, dates: &[String], lag: i32) {
        let last: didymos_core::Date = dates.last().unwrap().parse().unwrap();
        let mut records = Vec::new();
        for (d, loc, age, v) in spain_rows().iter().filter(|r| dates.contains(&r.0)) {
            let date: didymos_core::Date = d.parse().unwrap();
            let half = (v / 2.0).floor();
            records.push(
                json!({"stream": "hosp", "time": d, "location": loc, "stratum": age,
                                "value": half, "issued": d}),
            );
            let later = date.add_days(lag);
            if later <= last && half != *v {
                records.push(
                    json!({"stream": "hosp", "time": d, "location": loc, "stratum": age,
                                    "value": v, "issued": later.to_string()}),
                );
            }
        }
        let (s, b) = self.post(
            "/v1/twins/spain/observations",
            &json!({"observations": records}),
        );
        assert_eq!(s, 200, "{b}");
    }

    /// Waits until the twin has a forecast issued from `date`.
    pub fn wait_for_forecast(&self, date: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            let f = self.get("/v1/twins/spain/forecasts?limit=1");
            if f[0]["origin"] == date {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "no forecast from {date} after {limit:?}: {}",
                self.get("/v1/twins/spain/status")
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// `first` and the `days - 1` days after it, as ISO dates.
pub fn dates(first: (i32, u32, u32), days: i32) -> Vec<String> {
    let d = didymos_core::Date::from_ymd(first.0, first.1, first.2).unwrap();
    (0..days).map(|k| d.add_days(k).to_string()).collect()
}

type Row = (String, String, String, f64);

fn spain_rows() -> &'static Vec<Row> {
    static ROWS: std::sync::OnceLock<Vec<Row>> = std::sync::OnceLock::new();
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
