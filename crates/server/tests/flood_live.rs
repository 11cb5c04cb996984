//! The flood twin in the service, end to end over real HTTP on 127.0.0.1:
//! register the bundled GR4J twin (calibrated once, at registration), a
//! discharge stream, alert rules (a daily peak, a return-period flow), post
//! the real CAMELS discharge of June 2002, and watch the live loop
//! assimilate, resume from its checkpoint, forecast and evaluate the rules.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use didymos_core::Date;
use didymos_hydro::warning::{annual_maxima, return_period_flow, ReturnPeriodMethod};
use serde_json::{json, Value};

const BASIN: &str = "01022500";

/// Observed discharge of the bundled basin (mm/day) by date, read with the
/// flood domain's own readers, and the annual maxima of the record.
fn observed() -> (BTreeMap<Date, f64>, Vec<f64>) {
    let dir = repo().join("data/flood/camels_us");
    let forcing =
        didymos_hydro::read_camels_forcing(&dir.join("01022500_lump_cida_forcing_leap.txt"))
            .unwrap();
    let flow = didymos_hydro::read_camels_streamflow(
        &dir.join("01022500_streamflow_qc.txt"),
        forcing.area_m2,
    )
    .unwrap();
    let maxima = annual_maxima(&flow).into_iter().map(|m| m.1).collect();
    (flow.mm_per_day, maxima)
}

fn records(obs: &BTreeMap<Date, f64>, from: Date, to: Date) -> Vec<Value> {
    obs.range(from..=to)
        .map(|(d, q)| json!({"stream": "gauge", "time": d.to_string(), "value": q}))
        .collect()
}

fn rule(c: &Client, body: Value) -> Value {
    let a = c.post("/v1/twins/flood/alert-rules", &body);
    assert_eq!(a.status, 201, "{a:?}");
    a.body
}

#[test]
fn flood_twin_assimilates_forecasts_and_alerts() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    let (obs, maxima) = observed();

    let a = c.post(
        "/v1/twins",
        &json!({"id": "flood", "spec_path": flood_spec(), "members": 100, "settle_ms": 600_000}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let twin = a.body;
    assert_eq!(twin["kind"], "flood", "{twin}");
    assert_eq!(twin["locations"], json!([BASIN]), "{twin}");
    assert_eq!(twin["observables"], json!(["discharge"]), "{twin}");
    assert_eq!(
        twin["horizon_days"], 7,
        "the spec's forecast.horizon: {twin}"
    );
    assert_eq!(twin["start"], "2000-01-01");
    let x1 = twin["parameters"]["x1"].as_f64().expect("calibrated x1");
    assert!(x1.is_finite() && x1 > 0.0, "{twin}");
    // Calibrated, not the spec's starting value.
    assert_ne!(x1, 350.0, "{twin}");

    let a = c.post(
        "/v1/twins/flood/streams",
        &json!({"name": "gauge", "unit": "mm/day", "observable": "discharge", "cadence": "1d"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    assert_eq!(a.body["value_type"], "real", "{a:?}");

    let low = rule(
        &c,
        json!({"name": "low", "target": "discharge", "location": BASIN, "days": 3,
               "aggregate": "max", "threshold": 0.01, "probability": 0.5}),
    );
    assert_eq!(low["aggregate"], "max");
    let high = rule(
        &c,
        json!({"name": "high", "target": "discharge", "location": BASIN, "days": 7,
               "aggregate": "max", "threshold": 1000.0, "probability": 0.01}),
    );
    let summed = rule(
        &c,
        json!({"name": "week-volume", "target": "discharge", "location": "total", "days": 7,
               "threshold": 0.5, "probability": 0.5}),
    );
    assert_eq!(summed["aggregate"], "sum", "the default: {summed}");
    let two_year = rule(
        &c,
        json!({"name": "two-year", "target": "discharge", "location": BASIN, "days": 7,
               "aggregate": "max", "return_period_years": 2, "probability": 0.5}),
    );
    let q2 = return_period_flow(&maxima, 2.0, ReturnPeriodMethod::Gumbel).unwrap();
    let t = two_year["threshold"]
        .as_f64()
        .expect("a resolved threshold");
    assert!(t.is_finite() && (t - q2).abs() < 1e-9, "{two_year} vs {q2}");
    assert_eq!(two_year["return_period_years"], 2.0);

    // Three weeks of June 2002 in one batch, then one more day: the second
    // assimilation resumes from the first one's checkpoint.
    let first = Date::from_ymd(2002, 6, 1).unwrap();
    let mid = Date::from_ymd(2002, 6, 20).unwrap();
    let last = mid.add_days(1);
    let batch = records(&obs, first, mid);
    let a = c.post(
        "/v1/twins/flood/observations",
        &json!({"observations": batch}),
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["accepted"], batch.len());
    let wait_origin = |date: Date| {
        wait_for(
            &format!("the forecast from {date}"),
            Duration::from_secs(120),
            || {
                let f = c.get("/v1/twins/flood/forecasts/latest");
                (f.body["origin"] == date.to_string().as_str()).then_some(f.body)
            },
        )
    };
    wait_origin(mid);
    // The day as CSV, in ft³/s on a second stream: the same twin unit after conversion.
    let a = c.post(
        "/v1/twins/flood/streams",
        &json!({"name": "usgs", "unit": "ft3/s", "observable": "discharge", "cadence": "1d"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let cfs = obs[&last] / cfs_to_mm_day();
    let a = c.post_raw(
        "/v1/twins/flood/observations",
        "text/csv",
        &format!("stream,time,value\nusgs,{last},{cfs}\n"),
        &[],
    );
    assert_eq!(a.status, 200, "{a:?}");
    let fc = wait_origin(last);

    // Stored and plausible: every quantile finite, ≥ 0 and ordered; the
    // median one day ahead near what the gauge measured.
    assert_eq!(fc["horizon_days"], 7, "{fc}");
    let targets = fc["targets"].as_array().unwrap();
    let locations: Vec<&str> = targets
        .iter()
        .map(|t| t["location"].as_str().unwrap())
        .collect();
    assert_eq!(locations, [BASIN, "total"], "{fc}");
    let levels: Vec<f64> = fc["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_f64().unwrap())
        .collect();
    let median = levels.iter().position(|l| (l - 0.5).abs() < 1e-9).unwrap();
    let t = &targets[0];
    assert_eq!(t["target"], "discharge");
    assert_eq!(t["unit"], "mm/day");
    assert_eq!(t["dates"][0], last.add_days(1).to_string().as_str());
    let q = t["quantiles"].as_array().unwrap();
    assert_eq!(q.len(), 7);
    for row in q {
        let row: Vec<f64> = row
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(row.len(), levels.len());
        assert!(row.iter().all(|v| v.is_finite() && *v >= 0.0), "{row:?}");
        assert!(row.windows(2).all(|w| w[0] <= w[1]), "{row:?}");
    }
    let next = obs[&last.add_days(1)];
    let m = q[0][median].as_f64().unwrap();
    println!("1-day-ahead median {m:.3} mm/day, observed {next:.3}");
    assert!(
        m > 0.6 * next && m < 1.6 * next,
        "1-day-ahead median {m} mm/day vs observed {next}"
    );

    // The second assimilation resumed from the first one's checkpoint.
    let runs = c.get("/v1/runs?twin=flood&kind=assimilate&limit=10");
    let runs = runs.body.as_array().unwrap().clone();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs[0]["result"]["resumed_from"].is_string(), "{}", runs[0]);
    let prov = c.get(&format!("/runs/{}/prov", runs[0]["id"].as_str().unwrap()));
    assert_eq!(prov.status, 200);
    let status = c.get("/v1/twins/flood/status");
    assert_eq!(
        status.body["assimilated_through"],
        last.to_string().as_str()
    );
    assert_eq!(status.body["observations"], batch.len() + 1);
    assert_eq!(status.body["health"], "ok", "{}", status.body);
    forecast_from_mid_is_scored(&c, mid, obs[&last]);

    // The low threshold fires, the very high one does not.
    let rules = wait_for("the rules' evaluation", Duration::from_secs(30), || {
        let r = c.get("/v1/twins/flood/alert-rules");
        let all = r.body.as_array()?.clone();
        all.iter()
            .all(|r| r["last_probability"].is_number())
            .then_some(all)
    });
    let by_name = |n: &str| rules.iter().find(|r| r["name"] == n).unwrap().clone();
    assert_eq!(by_name("low")["state"], "firing", "{rules:?}");
    assert_eq!(by_name("low")["last_probability"], 1.0, "{rules:?}");
    assert_eq!(by_name("high")["state"], "ok", "{rules:?}");
    assert_eq!(by_name("high")["last_probability"], 0.0, "{rules:?}");
    let events = c.get("/v1/twins/flood/alerts");
    let events = events.body.as_array().unwrap();
    assert!(
        events.iter().any(|e| e["rule_id"] == low["id"]),
        "{events:?}"
    );
    assert!(
        !events.iter().any(|e| e["rule_id"] == high["id"]),
        "{events:?}"
    );

    // Forcing scenarios branched from the live posterior (2002-06-21): three
    // times the rain of 23 June – 5 July, and none, against the record.
    let bad = c.post(
        "/v1/twins/flood/scenarios",
        &json!({"scenarios_toml": FLOOD_SCENARIOS.replace("factor = 0.0", "factor = -1.0")}),
    );
    assert_problem(&bad, 422);
    assert_eq!(bad.body["pointer"], "/scenarios_toml", "{bad:?}");
    let job = c.post(
        "/v1/twins/flood/scenarios",
        &json!({"scenarios_toml": FLOOD_SCENARIOS, "members": 60, "seed": 5}),
    );
    assert_eq!(job.status, 202, "{job:?}");
    let id = job.body["id"].as_str().unwrap().to_string();
    let done = wait_for("the flood scenario job", Duration::from_secs(120), || {
        let r = c.get(&format!("/v1/jobs/{id}"));
        matches!(r.body["status"].as_str(), Some("succeeded" | "failed")).then_some(r.body)
    });
    assert_eq!(done["status"], "succeeded", "{done}");
    let result = &done["result"];
    assert_eq!(result["branch"], "2002-06-21", "{result}");
    assert_eq!(result["horizon"], "2002-07-12", "{result}");
    assert_eq!(result["members"], 60);
    let by = |n: &str| {
        result["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .unwrap()
            .clone()
    };
    let peak = |n: &str| by(n)["peak_discharge_mm_per_day"]["q50"].as_f64().unwrap();
    assert!(
        peak("wet") > peak("as-observed") && peak("as-observed") > peak("dry"),
        "{result}"
    );
    assert!(by("as-observed")["runoff_vs_baseline_mm"].is_null());
    let added = |n: &str| by(n)["runoff_vs_baseline_mm"].clone();
    assert!(added("wet")["q05"].as_f64().unwrap() > 0.0, "{result}");
    assert!(added("dry")["q95"].as_f64().unwrap() < 0.0, "{result}");
    for level in by("wet")["warning_levels"].as_array().unwrap() {
        let p = level["probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{level}");
    }
    let prov = c.get(&format!("/v1/runs/{id}/prov"));
    assert!(
        prov.body.to_string().contains("scenarios.toml"),
        "{:?}",
        prov.body
    );
    // A window before the branch fails the job with the reason.
    let early = FLOOD_SCENARIOS.replace("2002-06-23", "2002-06-10");
    let job = c.post(
        "/v1/twins/flood/scenarios",
        &json!({"scenarios_toml": early}),
    );
    assert_eq!(job.status, 202, "{job:?}");
    let id = job.body["id"].as_str().unwrap().to_string();
    let failed = wait_for("the failing job", Duration::from_secs(60), || {
        let r = c.get(&format!("/v1/jobs/{id}"));
        matches!(r.body["status"].as_str(), Some("succeeded" | "failed")).then_some(r.body)
    });
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("not after"),
        "{failed}"
    );

    // A restart keeps the calibrated parameters (stored, not refitted) and
    // the next day resumes from the last checkpoint.
    let previous = c.get("/v1/runs?twin=flood&kind=assimilate&limit=1").body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let TestServer {
        server: first_server,
        dir,
    } = server;
    drop(first_server);
    let mut config = didymos_server::Config::new(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.admin_token = Some(ADMIN.into());
    let server = TestServer {
        server: didymos_server::BackgroundServer::start(config).unwrap(),
        dir,
    };
    let c = Client::new(&server, Some(ADMIN));
    let again = c.get("/v1/twins/flood");
    assert_eq!(again.body["kind"], "flood", "{again:?}");
    assert_eq!(again.body["parameters"], twin["parameters"]);
    let day = last.add_days(1);
    let a = c.post(
        "/v1/twins/flood/observations",
        &json!({"observations": records(&obs, day, day)}),
    );
    assert_eq!(a.status, 200, "{a:?}");
    let fc = wait_for(
        "the forecast after the restart",
        Duration::from_secs(120),
        || {
            let f = c.get("/v1/twins/flood/forecasts/latest");
            (f.body["origin"] == day.to_string().as_str()).then_some(f.body)
        },
    );
    assert_eq!(fc["targets"][0]["quantiles"].as_array().unwrap().len(), 7);
    let runs = c.get("/v1/runs?twin=flood&kind=assimilate&limit=1");
    let resumed = runs.body[0]["result"]["resumed_from"].as_str().unwrap();
    assert!(resumed.contains(&previous), "{resumed} vs {previous}");
}

const FLOOD_SCENARIOS: &str = r#"
[scenarios]
horizon = "2002-07-12"
baseline = "as-observed"

[[scenario]]
name = "as-observed"

[[scenario]]
name = "wet"
[[scenario.precipitation]]
from = "2002-06-23"
to = "2002-07-05"
factor = 3.0

[[scenario]]
name = "dry"
[[scenario.precipitation]]
from = "2002-06-23"
to = "2002-07-05"
factor = 0.0
"#;

/// One ft³/s over the bundled basin in mm/day.
fn cfs_to_mm_day() -> f64 {
    let dir = repo().join("data/flood/camels_us");
    let f = didymos_hydro::read_camels_forcing(&dir.join("01022500_lump_cida_forcing_leap.txt"))
        .unwrap();
    0.028_316_846_592 * 86_400.0 * 1000.0 / f.area_m2
}

/// The forecast from `mid` has one day the twin has since assimilated
/// (the next, sent in ft³/s): the skill endpoint scores it in mm/day,
/// its WIS the pinball form's of the served quantiles against `truth`.
fn forecast_from_mid_is_scored(c: &Client, mid: Date, truth: f64) {
    let list = c.get(&format!("/v1/twins/flood/forecasts?issued={mid}&limit=1"));
    let id = list.body[0]["id"].as_i64().unwrap();
    let f = c.get(&format!("/v1/twins/flood/forecasts/{id}?location={BASIN}"));
    let levels: Vec<f64> = f.body["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_f64().unwrap())
        .collect();
    let q = &f.body["targets"][0]["quantiles"][0];
    let pinball: f64 = levels
        .iter()
        .zip(q.as_array().unwrap())
        .map(|(&t, v)| {
            let v = v.as_f64().unwrap();
            if truth >= v {
                t * (truth - v)
            } else {
                (1.0 - t) * (v - truth)
            }
        })
        .sum();
    let expected = 2.0 * pinball / levels.len() as f64;
    let skill = c.get("/v1/twins/flood/skill?target=discharge");
    assert_eq!(skill.status, 200, "{skill:?}");
    assert_eq!(skill.body["origins"], json!([mid.to_string()]), "{skill:?}");
    assert_eq!(skill.body["weekly_ensemble"], json!([]), "{skill:?}");
    assert_eq!(skill.body["weekly_twin"], json!([]), "{skill:?}");
    let row = skill.body["daily"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"] == "locations")
        .unwrap_or_else(|| panic!("{skill:?}"))
        .clone();
    assert_eq!(
        (row["n"].as_u64(), row["days_ahead_from"].as_u64()),
        (Some(1), Some(1))
    );
    let wis = row["wis"].as_f64().unwrap();
    assert!(
        (wis - expected).abs() < 1e-6 * (1.0 + expected),
        "{wis} vs {expected}"
    );
}
