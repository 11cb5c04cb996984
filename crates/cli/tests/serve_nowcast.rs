//! A live twin that nowcasts, fed a record of vintages (each day's
//! admissions first reported at half, 85% three days later, complete ten
//! days later) as it was published, forecasts what `didymos assimilate
//! --until` and `didymos forecast` give on the same record as a file with
//! an `issued` column: the last days read as incomplete, as much as the
//! record's own revisions show. The same twin without nowcasting reads
//! them as final and forecasts otherwise. Runs the real `didymos serve`
//! binary on 127.0.0.1.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use didymos_core::Date;
use serde_json::{json, Value};

mod common;
use common::serve::{free_port, http, start};
use common::{floats, hub_values, ok, s, spain_inputs_with_observations};

const OBS: &str = "spain_provinces_covid19_daily_by_age_2020.csv";
const FIRST: &str = "2020-02-10";
/// Ten weeks on: the reporting delay is learnt long before.
const LAST: &str = "2020-04-19";

/// A count's issues: (days after its date, value), equal ones left out.
fn issues(y: u64) -> Vec<(i32, u64)> {
    let mut out: Vec<(i32, u64)> = Vec::new();
    for (lag, share) in [(0, 0.5), (3, 0.85), (10, 1.0)] {
        let v = (share * y as f64).floor() as u64;
        if out.last().is_none_or(|&(_, last)| last != v) {
            out.push((lag, v));
        }
    }
    out
}

/// Writes the record of vintages (admissions from `FIRST` on backfilled,
/// the rest final on their date) and returns the records as published,
/// by issue day up to `LAST`.
fn vintages(from: &Path, to: &Path) -> BTreeMap<Date, Vec<Value>> {
    let text = std::fs::read_to_string(from).unwrap();
    let mut lines = vec![format!("{},issued", text.lines().next().unwrap())];
    let (first, last): (Date, Date) = (FIRST.parse().unwrap(), LAST.parse().unwrap());
    let mut published: BTreeMap<Date, Vec<Value>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let date: Date = f[0].parse().unwrap();
        if date < first {
            lines.push(format!("{line},"));
            continue;
        }
        let record = |stream: &str, value: u64, issued: Date| {
            json!({"stream": stream, "time": f[0], "location": f[1], "stratum": f[2],
                   "value": value, "issued": issued.to_string()})
        };
        let cases: u64 = f[3].parse().unwrap();
        if date <= last {
            published
                .entry(date)
                .or_default()
                .push(record("cases", cases, date));
        }
        for (lag, v) in issues(f[4].parse().unwrap()) {
            let issued = date.add_days(lag);
            let mut row: Vec<String> = f.iter().map(|c| c.to_string()).collect();
            row[4] = v.to_string();
            let when = if lag == 0 {
                String::new()
            } else {
                issued.to_string()
            };
            lines.push(format!("{},{when}", row.join(",")));
            if issued <= last {
                published
                    .entry(issued)
                    .or_default()
                    .push(record("hosp", v, issued));
            }
        }
    }
    std::fs::write(to, lines.join("\n") + "\n").unwrap();
    published
}

/// The served daily forecast of every province against the batch one:
/// the largest difference (served values are rounded to 1/1000).
fn largest_difference(
    forecast: &Value,
    batch: &HashMap<(String, String, String), Vec<f64>>,
) -> f64 {
    let mut worst = 0.0f64;
    let targets = forecast["targets"].as_array().unwrap();
    // The provinces and the country.
    assert_eq!(targets.len(), 53, "{}", targets.len());
    for t in targets {
        let location = t["location"].as_str().unwrap();
        for (h, q) in t["quantiles"].as_array().unwrap().iter().enumerate() {
            let key = (
                format!("{} day ahead inc new_hospitalized", h + 1),
                location.to_string(),
                t["dates"][h].as_str().unwrap().to_string(),
            );
            let expected = batch
                .get(&key)
                .unwrap_or_else(|| panic!("{key:?} not in the batch CSV"));
            for (a, b) in floats(q).iter().zip(expected) {
                worst = worst.max((a - b).abs());
            }
        }
    }
    worst
}

/// Waits for the twin's forecast from `origin`.
fn forecast_from(port: u16, twin: &str, origin: &str) {
    let t = Instant::now();
    loop {
        let path = format!("/v1/twins/{twin}/forecasts/latest?target=new_hospitalized");
        let (code, f) = http(port, "GET", &path, None, &[]).unwrap();
        if code == 200 && f["origin"] == origin {
            return;
        }
        if t.elapsed() > Duration::from_secs(120) {
            let (_, state) = http(port, "GET", &format!("/v1/twins/{twin}"), None, &[]).unwrap();
            let (_, runs) = http(
                port,
                "GET",
                &format!("/v1/runs?twin={twin}&limit=3"),
                None,
                &[],
            )
            .unwrap();
            panic!(
                "{twin}: no forecast from {origin}; last from {}\n{state}\n{runs}",
                f["origin"]
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The twin's forecast from `LAST`, once the checkpoint its update
/// recorded is through `checkpoint` (the forecast is published first).
/// Only the update that read `LAST`'s records can forecast from it, and
/// nothing comes after them. That update may record no checkpoint: one
/// that started just before them may have read their revisions already.
fn final_forecast(port: u16, twin: &str, checkpoint: &str) -> Value {
    forecast_from(port, twin, LAST);
    let t = Instant::now();
    loop {
        let (_, status) =
            http(port, "GET", &format!("/v1/twins/{twin}/status"), None, &[]).unwrap();
        if status["assimilated_through"] == checkpoint {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "{twin}: no checkpoint through {checkpoint}: {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let path = format!("/v1/twins/{twin}/forecasts/latest?target=new_hospitalized");
    let (code, f) = http(port, "GET", &path, None, &[]).unwrap();
    assert_eq!((code, &f["origin"]), (200, &json!(LAST)), "{f}");
    f
}

#[test]
fn a_nowcasting_twin_forecasts_what_the_batch_path_does_on_the_record_as_issued() {
    let (dir, spain) = spain_inputs_with_observations();
    let published = vintages(&spain.join(OBS), &dir.path().join("vintages.csv"));
    let spec_text = std::fs::read_to_string(spain.join("twin-2020.toml"))
        .unwrap()
        .replace(OBS, "vintages.csv")
        .replace(
            "stratum_column = \"age_group\"\n",
            "stratum_column = \"age_group\"\nissued_column = \"issued\"\n",
        );
    let spec = dir.path().join("twin.toml");
    std::fs::write(&spec, spec_text).unwrap();

    let data = dir.path().join("serve");
    let port = free_port();
    let mut server = start(&data, port);
    let post = |path: &str, body: &Value| {
        let (code, body) = http(port, "POST", path, Some(&body.to_string()), &[]).unwrap();
        assert!(code == 200 || code == 201, "POST {path}: {code} {body}");
        body
    };
    for (twin, nowcast) in [("nowcast", true), ("raw", false)] {
        let body = post(
            "/v1/twins",
            &json!({"id": twin, "spec_path": s(&spec), "members": 40, "horizon_days": 14,
                    "settle_ms": 200, "late_values": "rewind", "nowcast": nowcast}),
        );
        assert_eq!(body["nowcast"], nowcast, "{body}");
        for (name, observable) in [("hosp", "new_hospitalized"), ("cases", "new_cases")] {
            let stream = json!({"name": name, "unit": "persons/day", "observable": observable,
                                "cadence": "1d", "value_type": "count"});
            post(&format!("/v1/twins/{twin}/streams"), &stream);
        }
    }
    // A value cannot be published before the day it counts.
    let (code, body) = http(
        port,
        "POST",
        "/v1/twins/nowcast/observations",
        Some(
            &json!({"observations": [{"stream": "hosp", "time": "2020-03-02", "location": "28",
                     "stratum": "Y", "value": 3, "issued": "2020-03-01"}]})
            .to_string(),
        ),
        &[],
    )
    .unwrap();
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["pointer"], "/observations/0/issued", "{body}");

    // Published day by day, every third day's update awaited: the twin
    // moves on from its checkpoints, and rewinds when a revision reaches
    // behind one (while the delay it has learnt is still short).
    let mut rewinds = 0;
    let mut send = |records: &[Value]| {
        for twin in ["nowcast", "raw"] {
            let answer = post(
                &format!("/v1/twins/{twin}/observations"),
                &json!({ "observations": records }),
            );
            rewinds += usize::from(twin == "nowcast" && !answer["rewound_to"].is_null());
        }
    };
    let (last_day, last_issue) = published.last_key_value().unwrap();
    for (k, (day, records)) in published.range(..last_day).enumerate() {
        send(records);
        if k % 3 == 0 {
            forecast_from(port, "nowcast", &day.to_string());
        }
    }
    // The last day's revisions of earlier days come first: the update that
    // reads them already reads the record as it stands on `LAST` and moves
    // its checkpoint to 04-09. The one that reads `LAST`'s own counts then
    // has no day to add to it: its forecast stands on the checkpoint and
    // the rows after it.
    let (revisions, new_day): (Vec<Value>, Vec<Value>) =
        last_issue.iter().cloned().partition(|r| r["time"] != LAST);
    send(&revisions);
    let t = Instant::now();
    loop {
        let status = http(port, "GET", "/v1/twins/nowcast/status", None, &[])
            .unwrap()
            .1;
        if status["assimilated_through"] == "2020-04-09" {
            break;
        }
        // Seen once, under load, in a whole-suite run (passing on every
        // rerun): the status and the last runs say where it stood.
        if t.elapsed() > Duration::from_secs(120) {
            let runs = http(port, "GET", "/v1/runs?twin=nowcast&limit=3", None, &[]).unwrap();
            panic!(
                "no checkpoint through 04-09: status {status}, last runs {}",
                runs.1
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    send(&new_day);
    assert!(rewinds > 0, "no revision reached behind a checkpoint");
    // The nowcasting twin checkpoints before its provisional days.
    let nowcast = final_forecast(port, "nowcast", "2020-04-09");
    let raw = final_forecast(port, "raw", LAST);
    let (_, runs) = http(
        port,
        "GET",
        "/v1/runs?twin=nowcast&kind=assimilate&limit=1",
        None,
        &[],
    )
    .unwrap();
    let through = &runs[0]["result"]["nowcast"]["checkpoint_through"];
    assert_eq!(through, "2020-04-09", "{}", runs[0]);
    // That forecast, with no checkpoint of its own, is traced to the one
    // it started from and to the rows it read after it.
    let t = Instant::now();
    let run = loop {
        let (_, runs) = http(
            port,
            "GET",
            "/v1/runs?twin=nowcast&kind=forecast&limit=1",
            None,
            &[],
        )
        .unwrap();
        if runs[0]["result"]["origin"] == LAST {
            break runs[0]["id"].as_str().unwrap().to_string();
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no forecast run from {LAST}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let (code, prov) = http(port, "GET", &format!("/v1/runs/{run}/prov"), None, &[]).unwrap();
    let prov = prov.to_string();
    assert_eq!(code, 200, "{prov}");
    assert!(
        prov.contains("wasInformedBy") && prov.contains("observations.csv"),
        "{prov}"
    );
    // The forecast says which days it read as incomplete, and how much so.
    let told = &nowcast["nowcast"];
    assert_eq!(told["vintage"], LAST, "{told}");
    let days = &told["provisional"][0];
    assert_eq!(days["target"], "new_hospitalized", "{told}");
    let dates = days["dates"].as_array().unwrap();
    assert_eq!(
        (dates.len(), &dates[0]),
        (10, &json!("2020-04-10")),
        "{told}"
    );
    let shares = floats(&days["reported_share"]);
    assert!(shares.iter().all(|&s| (0.3..1.0).contains(&s)), "{told}");
    assert!(
        shares[0] > shares[9],
        "older days are more complete: {told}"
    );
    assert!(raw.get("nowcast").is_none());
    server.kill();

    let assimilated = dir.path().join("assimilated");
    ok(&[
        "assimilate",
        s(&spec),
        "--until",
        LAST,
        "--members",
        "40",
        "--out",
        s(&assimilated),
    ]);
    let out = dir.path().join("batch");
    ok(&[
        "forecast",
        "--checkpoint",
        s(&assimilated.join("checkpoint.bin")),
        "--horizon",
        "14",
        "--ensemble",
        "--out",
        s(&out),
    ]);
    let batch = hub_values(&out.join(format!("{LAST}-didymos-mmca.csv")));
    let nowcast_gap = largest_difference(&nowcast, &batch);
    let raw_gap = largest_difference(&raw, &batch);
    eprintln!("largest difference from the batch forecast: nowcast {nowcast_gap}, raw {raw_gap}");
    assert!(
        nowcast_gap <= 5e-4 + 1e-9,
        "nowcast vs batch: {nowcast_gap}"
    );
    assert!(
        raw_gap > 1.0,
        "reading the last days as final changed nothing: {raw_gap}"
    );

    // The weekly ensemble too: its companions read the last weeks divided
    // by their completeness, from the store as from the file.
    let ensemble = hub_values(&out.join(format!("{LAST}-didymos-ensemble.csv")));
    let weekly = nowcast["weekly_ensemble"].as_array().unwrap();
    assert_eq!(weekly.len(), 53);
    for w in weekly {
        for (k, q) in w["quantiles"].as_array().unwrap().iter().enumerate() {
            let key = (
                format!("{} wk ahead inc new_hospitalized", k + 1),
                w["location"].as_str().unwrap().to_string(),
                w["week_ends"][k].as_str().unwrap().to_string(),
            );
            let expected = &ensemble[&key];
            for (a, b) in floats(q).iter().zip(expected) {
                assert!(
                    (a - b).abs() <= 5e-4 + 1e-9 * b.abs(),
                    "{key:?}: {q} vs {expected:?}"
                );
            }
        }
    }
}
