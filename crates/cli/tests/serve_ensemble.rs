//! The live service publishes, beside each epidemic forecast, the weekly
//! ensemble of the twin with its statistical companions, and it is the
//! one `didymos forecast --ensemble` writes from the same checkpoint and
//! the observation file, although the service reads only its store's last
//! weeks and gets the leading series (cases) from a stream of its own.
//! Runs the real `didymos serve` binary on 127.0.0.1.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::serve::{free_port, http, start};
use common::{floats, hub_values, ok, repo, s};

const FIRST: &str = "2020-02-10";
/// Nine weeks after the first day: the trend's whole window, and the lead's.
/// A Sunday: the Hub's week 1 is the epiweek it begins, so the weekly
/// targets add the observed origin day (from the store, against the
/// batch path's file).
const LAST: &str = "2020-04-12";

/// The record's admissions and cases from `FIRST` to `LAST`, a batch per day.
fn batches() -> Vec<Vec<Value>> {
    let path = repo().join("data/spain/spain_provinces_covid19_daily_by_age_2020.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut days: Vec<(String, Vec<Value>)> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let date = f[0];
        if !(FIRST..=LAST).contains(&date) {
            continue;
        }
        let rec = |stream: &str, v: &str| {
            json!({"stream": stream, "time": date, "location": f[1], "stratum": f[2],
                   "value": v.parse::<f64>().unwrap()})
        };
        let recs = [rec("cases", f[3]), rec("hosp", f[4])];
        match days.last_mut() {
            Some((d, v)) if d == date => v.extend(recs),
            _ => days.push((date.to_string(), recs.to_vec())),
        }
    }
    days.into_iter().map(|(_, v)| v).collect()
}

fn get(port: u16, path: &str) -> Value {
    let (code, body) = http(port, "GET", path, None, &[]).unwrap();
    assert_eq!(code, 200, "GET {path}: {body}");
    body
}

fn post(port: u16, path: &str, body: &Value) -> (u16, Value) {
    http(port, "POST", path, Some(&body.to_string()), &[]).unwrap()
}

/// Served values are rounded to 1/1000.
fn assert_close(served: &[f64], batch: &[f64], what: &str) {
    assert_eq!(served.len(), batch.len(), "{what}");
    for (a, b) in served.iter().zip(batch) {
        assert!(
            (a - b).abs() <= 5e-4 + 1e-9 * b.abs(),
            "{what}: served {served:?}\nbatch {batch:?}"
        );
    }
}

#[test]
fn the_served_weekly_ensemble_is_the_batch_one_from_the_same_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("serve");
    let port = free_port();
    let mut server = start(&data, port);
    let spec = repo().join("data/spain/twin-2020.toml");
    let twin = json!({"id": "spain", "spec_path": s(&spec), "members": 40,
                      "horizon_days": 14, "settle_ms": 200});
    let (code, body) = post(port, "/v1/twins", &twin);
    assert_eq!(code, 201, "{body}");
    // Admissions are fitted; cases are the spec's leading column: accepted
    // as a stream, never fitted. Anything else is refused, naming both.
    assert_eq!(body["leading_observables"], json!(["new_cases"]), "{body}");
    for (name, observable) in [("hosp", "new_hospitalized"), ("cases", "new_cases")] {
        let stream = json!({"name": name, "unit": "persons/day", "observable": observable,
                            "cadence": "1d", "value_type": "count"});
        let (code, body) = post(port, "/v1/twins/spain/streams", &stream);
        assert_eq!(code, 201, "{body}");
    }
    let deaths = json!({"name": "deaths", "unit": "persons/day", "observable": "new_deaths", "cadence": "1d"});
    let (code, body) = post(port, "/v1/twins/spain/streams", &deaths);
    assert_eq!(code, 422, "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("new_hospitalized") && detail.contains("leading series: new_cases"),
        "{body}"
    );

    for records in batches() {
        let (code, body) = post(
            port,
            "/v1/twins/spain/observations",
            &json!({ "observations": records }),
        );
        assert_eq!(code, 200, "{body}");
    }
    let t = Instant::now();
    let latest = loop {
        let (code, f) = http(port, "GET", "/v1/twins/spain/forecasts/latest", None, &[]).unwrap();
        if code == 200 && f["origin"] == LAST {
            break f;
        }
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "no forecast from {LAST}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let weekly = latest["weekly_ensemble"].as_array().unwrap();
    // Every province and the total, the two epiweeks that end within 14 days.
    assert_eq!(weekly.len(), 53, "{}", weekly.len());
    let levels = latest["levels"].as_array().unwrap().len();
    for w in weekly {
        assert_eq!(w["target"], "new_hospitalized");
        assert_eq!(w["week_ends"], json!(["2020-04-18", "2020-04-25"]));
        for q in w["quantiles"].as_array().unwrap() {
            let q = floats(q);
            assert_eq!(q.len(), levels);
            assert!(q[0] >= 0.0 && q.windows(2).all(|p| p[0] <= p[1]), "{w}");
        }
    }
    let one = get(
        port,
        "/v1/twins/spain/forecasts/latest?target=new_hospitalized&location=28",
    );
    assert_eq!(one["weekly_ensemble"].as_array().unwrap().len(), 1);

    // The batch path from the checkpoint the service saved with it. The
    // forecast is published before the step's checkpoint and run record
    // are written, so wait for the run that assimilated through LAST.
    let t = Instant::now();
    let run = loop {
        let runs = get(port, "/v1/runs?twin=spain&kind=assimilate&limit=1");
        if runs[0]["result"]["through"] == LAST {
            break runs[0]["id"].as_str().unwrap().to_string();
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no run through {LAST}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let checkpoint = data.join("runs").join(&run).join("checkpoint.bin");
    server.kill();
    let out = dir.path().join("batch");
    let observations = repo().join("data/spain/spain_provinces_covid19_daily_by_age_2020.csv");
    ok(&[
        "forecast",
        "--checkpoint",
        s(&checkpoint),
        "--spec",
        s(&spec),
        "--observations",
        s(&observations),
        "--horizon",
        "14",
        "--ensemble",
        "--out",
        s(&out),
    ]);
    for f in ["ensemble", "mmca"] {
        let path = out.join(format!("{LAST}-didymos-{f}.csv"));
        didymos_forecast::read_hub_csv(&path).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let batch = hub_values(&out.join(format!("{LAST}-didymos-ensemble.csv")));
    assert_eq!(batch.len(), 53 * 2);
    for w in weekly {
        let location = w["location"].as_str().unwrap();
        for (k, q) in w["quantiles"].as_array().unwrap().iter().enumerate() {
            let served = floats(q);
            let key = (
                format!("{} wk ahead inc new_hospitalized", k + 1),
                location.to_string(),
                w["week_ends"][k].as_str().unwrap().to_string(),
            );
            let expected = batch
                .get(&key)
                .unwrap_or_else(|| panic!("{key:?} not in the batch CSV"));
            assert_close(&served, expected, &format!("{key:?}"));
        }
    }
    // The daily forecast the service published is the batch one too.
    let daily = hub_values(&out.join(format!("{LAST}-didymos-mmca.csv")));
    let madrid = &one["targets"][0];
    for (h, q) in madrid["quantiles"].as_array().unwrap().iter().enumerate() {
        let served = floats(q);
        let key = (
            format!("{} day ahead inc new_hospitalized", h + 1),
            "28".to_string(),
            madrid["dates"][h].as_str().unwrap().to_string(),
        );
        assert_close(&served, &daily[&key], &format!("{key:?}"));
    }
}
