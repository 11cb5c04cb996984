//! Alert rules on the weekly ensemble, end to end over HTTP on 127.0.0.1:
//! each rule's probability is what the served weekly quantiles give for its
//! epiweek (recomputed here from the forecast body), rules below and above
//! every quantile fire and stay quiet, and a forecast whose epiweeks stop
//! short of a rule's week leaves that rule as it was.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const MADRID: &str = "28";

/// P(Y > x) from the straight lines through (quantile, level), with the
/// outer levels' bounds outside them: written here from the definition,
/// not taken from the server.
fn exceedance(levels: &[f64], values: &[f64], x: f64) -> f64 {
    let n = values.len();
    let above = values.iter().take_while(|&&v| v <= x).count();
    match above {
        0 => 1.0 - levels[0],
        a if a == n => 1.0 - levels[n - 1],
        a => {
            let (q0, q1, t0, t1) = (values[a - 1], values[a], levels[a - 1], levels[a]);
            1.0 - (t0 + (t1 - t0) * (x - q0) / (q1 - q0))
        }
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The latest forecast's weekly quantiles at `location`: `(week_ends,
/// quantiles per week)`, and the levels.
fn weekly(c: &Client, location: &str) -> (Vec<String>, Vec<Vec<f64>>, Vec<f64>) {
    let f = c.get("/v1/twins/spain/forecasts/latest");
    assert_eq!(f.status, 200, "{f:?}");
    let levels = floats(&f.body["levels"]);
    let w = f.body["weekly_ensemble"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["target"] == "new_hospitalized" && w["location"] == location)
        .unwrap_or_else(|| panic!("no weekly ensemble at {location}: {}", f.body))
        .clone();
    let ends = w["week_ends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    let q = w["quantiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    (ends, q, levels)
}

fn ingest(c: &Client, dates: &[String]) {
    let records: Vec<Value> = dates.iter().flat_map(|d| spain_day(d)).collect();
    let a = c.post(
        "/v1/twins/spain/observations",
        &json!({ "observations": records }),
    );
    assert_eq!(a.status, 200, "{a:?}");
    let last = dates.last().unwrap().as_str();
    wait_for(
        &format!("the forecast from {last}"),
        Duration::from_secs(240),
        || {
            let f = c.get("/v1/twins/spain/forecasts?limit=1");
            (f.body[0]["origin"] == last).then_some(())
        },
    );
}

fn days(first: (i32, u32, u32), n: i32) -> Vec<String> {
    let d = didymos_core::Date::from_ymd(first.0, first.1, first.2).unwrap();
    (0..n).map(|k| d.add_days(k).to_string()).collect()
}

fn rule(c: &Client, id: i64) -> Value {
    let r = c.get(&format!("/v1/twins/spain/alert-rules/{id}"));
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

#[test]
fn ensemble_rules_read_the_served_weekly_quantiles() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    create_spain_twin(&c, "spain", 30, 600_000);

    // Five weeks to Sunday 2020-03-15: the first forecast.
    ingest(&c, &days((2020, 2, 10), 35));
    let (ends0, q0, _) = weekly(&c, MADRID);
    assert_eq!(ends0, ["2020-03-21", "2020-03-28"]);
    let (_, t0, _) = weekly(&c, "total");

    // Thresholds from this forecast, judged on the next one.
    let mid = (q0[0][9] + q0[0][10]) / 2.0;
    let mut created = Vec::new();
    for (name, location, week, threshold, probability) in [
        ("between", MADRID, 1, mid, 0.3),
        ("below-all", MADRID, 1, -1.0, 0.5),
        ("above-all", MADRID, 1, 1e9, 0.01),
        ("total-week-2", "total", 2, t0[1][11], 0.5),
    ] {
        let a = c.post(
            "/v1/twins/spain/alert-rules",
            &json!({"name": name, "target": "new_hospitalized", "location": location,
                    "forecast": "ensemble", "week": week, "threshold": threshold,
                    "probability": probability}),
        );
        assert_eq!(a.status, 201, "{a:?}");
        assert_eq!(a.body["forecast"], "ensemble");
        assert_eq!(a.body["week"], week);
        assert!(a.body.get("days").is_none(), "{}", a.body);
        created.push((
            a.body["id"].as_i64().unwrap(),
            location,
            week,
            threshold,
            probability,
        ));
    }

    // Monday 03-16: two epiweeks, the first with its observed Sunday.
    ingest(&c, &days((2020, 3, 16), 1));
    let mut seen = Vec::new();
    for &(id, location, week, threshold, probability) in &created {
        let (ends, q, levels) = weekly(&c, location);
        assert_eq!(ends, ["2020-03-21", "2020-03-28"]);
        let expected = exceedance(&levels, &q[week - 1], threshold);
        let r = rule(&c, id);
        let p = r["last_probability"].as_f64().unwrap();
        // The served quantiles are rounded to 1/1000; the rule reads the
        // unrounded ones.
        assert!((p - expected).abs() < 1e-3, "{r}: {p} vs {expected}");
        let firing = if p > probability { "firing" } else { "ok" };
        assert_eq!(r["state"], firing, "{r}");
        seen.push((r["name"].as_str().unwrap().to_string(), p));
    }
    assert_eq!(seen[1].1, 0.99, "below every quantile: {seen:?}");
    assert_eq!(seen[2].1, 0.01, "above every quantile: {seen:?}");
    assert!(seen[0].1 > 0.01 && seen[0].1 < 0.99, "{seen:?}");
    assert_eq!(rule(&c, created[1].0)["state"], "firing");
    assert_eq!(rule(&c, created[2].0)["state"], "ok");
    let events = c.get("/v1/twins/spain/alerts");
    let firing: Vec<i64> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["state"] == "firing")
        .map(|e| e["rule_id"].as_i64().unwrap())
        .collect();
    assert!(firing.contains(&created[1].0), "{}", events.body);
    assert!(!firing.contains(&created[2].0), "{}", events.body);

    // Friday 03-20: a 14-day horizon reaches one epiweek (ending 03-28), so
    // the week-2 rule is not evaluated and keeps its last probability.
    let week2_before = rule(&c, created[3].0)["last_probability"].clone();
    ingest(&c, &days((2020, 3, 17), 4));
    let (ends, q, levels) = weekly(&c, MADRID);
    assert_eq!(ends, ["2020-03-28"]);
    let r = rule(&c, created[0].0);
    let expected = exceedance(&levels, &q[0], created[0].3);
    assert!(
        (r["last_probability"].as_f64().unwrap() - expected).abs() < 1e-3,
        "{r}: {expected}"
    );
    assert_eq!(rule(&c, created[3].0)["last_probability"], week2_before);
}
