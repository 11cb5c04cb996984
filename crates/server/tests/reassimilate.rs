//! `POST /v1/twins/{id}/reassimilate`: the filter starts again from the
//! twin's priors and reads every stored observation. With the same data it
//! repeats the forecast bit for bit (the incremental updates equal one
//! batch); a late correction for a day already assimilated, ignored by the
//! live updates, is taken in.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// The latest forecast (Null before the first).
fn latest(c: &Client) -> Value {
    let f = c.get("/v1/twins/spain/forecasts/latest");
    assert!(f.status == 200 || f.status == 404, "{f:?}");
    f.body
}

/// The forecast issued after `after` (a forecast id), once there is one.
fn next_forecast(c: &Client, after: i64) -> Value {
    wait_for("a new forecast", Duration::from_secs(120), || {
        let f = latest(c);
        (f["id"].as_i64().is_some_and(|id| id > after)).then_some(f)
    })
}

fn madrid_week(forecast: &Value) -> Vec<Value> {
    let t = forecast["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["location"] == "28" && t["target"] == "new_hospitalized")
        .unwrap_or_else(|| panic!("no Madrid target in {forecast}"));
    t["quantiles"].as_array().unwrap().clone()
}

#[test]
fn reassimilation_repeats_itself_and_takes_in_late_corrections() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    create_spain_twin(&c, "spain", 20, 600_000);
    let first = didymos_core::Date::from_ymd(2020, 3, 1).unwrap();
    let mut sent = 0;
    for d in 0..8 {
        sent += post_spain_day_and_wait(&c, &first.add_days(d).to_string());
    }
    let incremental = latest(&c);

    // Same data, from the start: the same forecast.
    let a = c.post("/v1/twins/spain/reassimilate", &json!({}));
    assert_eq!(a.status, 202, "{a:?}");
    assert_eq!(a.body["observations"], sent, "{a:?}");
    let batch = next_forecast(&c, incremental["id"].as_i64().unwrap());
    assert_eq!(batch["origin"], incremental["origin"]);
    assert_eq!(batch["targets"], incremental["targets"]);

    // A correction for a day already assimilated: the later value for the
    // cell wins, but only once the twin is reassimilated. (Sent during the
    // update, before its checkpoint, it would be taken in by that update.)
    wait_for_checkpoint(&c, "spain", &first.add_days(7).to_string());
    let day = first.add_days(3).to_string();
    let fix = json!({"observations": [{"stream": "hosp", "time": day, "location": "28",
                                       "stratum": "O", "value": 900}]});
    let a = c.post("/v1/twins/spain/observations", &fix);
    assert_eq!(a.status, 200, "{a:?}");
    std::thread::sleep(Duration::from_millis(1500));
    let unchanged = latest(&c);
    assert_eq!(
        unchanged["id"], batch["id"],
        "a late value re-ran the filter"
    );
    let a = c.post("/v1/twins/spain/reassimilate", &json!({}));
    assert_eq!(a.status, 202, "{a:?}");
    let corrected = next_forecast(&c, batch["id"].as_i64().unwrap());
    assert_eq!(corrected["origin"], incremental["origin"]);
    assert_ne!(madrid_week(&corrected), madrid_week(&batch));
    // The forecast is published before the checkpoint is recorded, so the
    // twin reads as initialising for a moment after it.
    wait_for("the twin back to health", Duration::from_secs(60), || {
        let status = c.get("/v1/twins/spain/status");
        (status.body["health"] == "ok").then_some(())
    });

    assert_problem(&c.post("/v1/twins/nope/reassimilate", &json!({})), 404);
    let reader = c.post("/v1/tokens", &json!({"name": "r", "scopes": ["read"]}));
    let reader = Client::new(&server, Some(reader.body["token"].as_str().unwrap()));
    assert_problem(
        &reader.post("/v1/twins/spain/reassimilate", &json!({})),
        403,
    );
}

/// A twin with `late_values: "rewind"` takes a correction in at once: it
/// goes back to its newest kept checkpoint before the corrected day and
/// reads on from there, giving the forecast that a reassimilation from the
/// start gives the twin that holds late values, bit for bit.
#[test]
fn a_rewinding_twin_takes_in_a_correction_at_once() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    create_spain_twin(&c, "spain", 20, 600_000);
    let a = c.post(
        "/v1/twins",
        &json!({"id": "rewinds", "spec_path": spain_spec(), "members": 20,
                "horizon_days": 14, "settle_ms": 600_000, "late_values": "rewind"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    assert_eq!(a.body["late_values"], "rewind");
    let a = c.post(
        "/v1/twins/rewinds/streams",
        &json!({"name": "hosp", "unit": "persons/day", "observable": "new_hospitalized",
                "cadence": "1d", "value_type": "count"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let first = didymos_core::Date::from_ymd(2020, 3, 1).unwrap();
    for d in 0..8 {
        let date = first.add_days(d).to_string();
        post_and_wait(&c, "spain", &date, &spain_day(&date));
        post_and_wait(&c, "rewinds", &date, &spain_day(&date));
    }
    let latest = |twin: &str| c.get(&format!("/v1/twins/{twin}/forecasts/latest")).body;
    let (held, before) = (latest("spain"), latest("rewinds"));
    assert_eq!(held["targets"], before["targets"], "same twin, same data");

    for twin in ["spain", "rewinds"] {
        wait_for_checkpoint(&c, twin, &first.add_days(7).to_string());
    }

    // Day 7 sent again, unchanged: nothing to rewind for.
    let date = first.add_days(7).to_string();
    let again = c.post(
        "/v1/twins/rewinds/observations",
        &json!({ "observations": spain_day(&date) }),
    );
    assert_eq!(again.status, 200, "{again:?}");
    assert!(again.body.get("rewound_to").is_none(), "{again:?}");

    // A correction for day 6 of 8.
    let day = first.add_days(6).to_string();
    let fix = json!({"observations": [{"stream": "hosp", "time": day, "location": "28",
                                       "stratum": "O", "value": 900}]});
    let a = c.post("/v1/twins/spain/observations", &fix);
    assert_eq!(a.status, 200, "{a:?}");
    assert!(a.body.get("rewound_to").is_none(), "{a:?}");
    let a = c.post("/v1/twins/rewinds/observations", &fix);
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["rewound_to"], first.add_days(5).to_string(), "{a:?}");
    let rewound = next_forecast_of(&c, "rewinds", before["id"].as_i64().unwrap());
    assert_eq!(rewound["origin"], before["origin"]);
    assert_ne!(
        rewound["targets"], before["targets"],
        "the correction changed nothing"
    );
    // Only the days after the checkpoint were read again: two days of
    // every province's three age groups, day 7 once more as resent, and
    // the correction.
    // The forecast is published before its run is recorded (provenance
    // hashes files after): wait for the record.
    let from_day = first.add_days(5).to_string();
    let runs = wait_for("the rewound run's record", Duration::from_secs(60), || {
        let runs = c.get("/v1/runs?twin=rewinds&kind=assimilate&limit=1");
        (runs.body[0]["result"]["from_day"] == from_day.as_str()).then_some(runs)
    });
    let result = &runs.body[0]["result"];
    assert_eq!(result["observations"], 3 * 52 * 3 + 1, "{runs:?}");

    // The holding twin, reassimilated from the start: the same forecast.
    assert_eq!(
        latest("spain")["id"],
        held["id"],
        "a held value re-ran the filter"
    );
    let a = c.post("/v1/twins/spain/reassimilate", &json!({}));
    assert_eq!(a.status, 202, "{a:?}");
    let reassimilated = next_forecast_of(&c, "spain", held["id"].as_i64().unwrap());
    assert_eq!(reassimilated["targets"], rewound["targets"]);

    // A correction before every kept checkpoint goes back to the start.
    let fix = json!({"observations": [{"stream": "hosp", "time": first.to_string(),
                                       "location": "28", "stratum": "O", "value": 1}]});
    let a = c.post("/v1/twins/rewinds/observations", &fix);
    assert_eq!(a.body["rewound_to"], "start", "{a:?}");
    let bad = c.post(
        "/v1/twins",
        &json!({"id": "x", "spec_path": spain_spec(), "late_values": "sometimes"}),
    );
    assert_problem(&bad, 422);
}

fn next_forecast_of(c: &Client, twin: &str, after: i64) -> Value {
    wait_for(
        &format!("{twin}'s new forecast"),
        Duration::from_secs(120),
        || {
            let f = c.get(&format!("/v1/twins/{twin}/forecasts/latest")).body;
            (f["id"].as_i64().is_some_and(|id| id > after)).then_some(f)
        },
    )
}

/// A twin's live settings change in place: a holding twin switched to
/// rewinding rewinds for the next late value.
#[test]
fn live_settings_change_without_a_new_twin() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    create_spain_twin(&c, "spain", 10, 600_000);
    let first = didymos_core::Date::from_ymd(2020, 3, 1).unwrap();
    for d in 0..3 {
        post_spain_day_and_wait(&c, &first.add_days(d).to_string());
    }
    wait_for_checkpoint(&c, "spain", &first.add_days(2).to_string());
    let a = c.patch(
        "/v1/twins/spain",
        &json!({"late_values": "rewind", "horizon_days": 7}),
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["late_values"], "rewind");
    assert_eq!(a.body["horizon_days"], 7);
    assert_eq!(a.body["settle_ms"], 600_000, "unchanged");
    let fix = json!({"observations": [{"stream": "hosp", "time": first.add_days(2).to_string(),
                                       "location": "28", "stratum": "O", "value": 50}]});
    let a = c.post("/v1/twins/spain/observations", &fix);
    assert_eq!(a.body["rewound_to"], first.add_days(1).to_string(), "{a:?}");
    let f = wait_for("the 7-day forecast", Duration::from_secs(60), || {
        let f = c.get("/v1/twins/spain/forecasts/latest").body;
        (f["horizon_days"] == 7).then_some(f)
    });
    assert_eq!(f["origin"], first.add_days(2).to_string());

    for (body, status) in [
        (json!({}), 422),
        (json!({"horizon_days": 0}), 422),
        (json!({"settle_ms": 100_000_000}), 422),
        (json!({"late_values": "later"}), 422),
        (json!({"members": 5}), 422),
        (json!({"nowcast": "yes"}), 422),
    ] {
        assert_problem(&c.patch("/v1/twins/spain", &body), status);
    }
    assert_problem(&c.patch("/v1/twins/nope", &json!({"horizon_days": 7})), 404);
    let a = c.patch("/v1/twins/spain", &json!({"nowcast": true}));
    assert_eq!((a.status, &a.body["nowcast"]), (200, &json!(true)), "{a:?}");
    assert_eq!(c.get("/v1/twins/spain").body["nowcast"], true);
    let reader = c.post("/v1/tokens", &json!({"name": "r", "scopes": ["read"]}));
    let reader = Client::new(&server, Some(reader.body["token"].as_str().unwrap()));
    assert_problem(
        &reader.patch("/v1/twins/spain", &json!({"horizon_days": 7})),
        403,
    );
}
