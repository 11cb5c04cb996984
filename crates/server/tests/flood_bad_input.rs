//! Bad input to a flood twin (streams it cannot assimilate, units it cannot
//! convert, unknown locations, negative discharge, rules without a usable
//! threshold) gets a 4xx problem+json naming the field; nothing is stored.

mod common;

use common::*;
use serde_json::{json, Value};

#[test]
fn bad_flood_input_is_refused_and_nothing_is_stored() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    let a = c.post(
        "/v1/twins",
        &json!({"id": "flood", "spec_path": flood_spec(), "members": 20, "settle_ms": 600_000}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    // Discharge is not completed by later reports: nothing to nowcast.
    let a = c.patch("/v1/twins/flood", &json!({"nowcast": true}));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/nowcast");

    // Streams: what the twin cannot assimilate, or a unit it cannot convert.
    let stream = |body: Value| c.post("/v1/twins/flood/streams", &body);
    let a =
        stream(json!({"name": "level", "unit": "m", "observable": "water_level", "cadence": "1d"}));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/observable");
    let a = stream(
        json!({"name": "q", "unit": "furlongs/fortnight", "observable": "discharge", "cadence": "1d"}),
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/unit");
    let a = stream(
        json!({"name": "q", "unit": "mm/day", "observable": "discharge",
                          "location": "01022501", "cadence": "1d"}),
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/location");
    let a = stream(
        json!({"name": "gauge", "unit": "m3/s", "observable": "discharge", "cadence": "1d"}),
    );
    assert_eq!(a.status, 201, "{a:?}");

    let post = |rec: Value| {
        c.post(
            "/v1/twins/flood/observations",
            &json!({"observations": [rec]}),
        )
    };
    let a = post(
        json!({"stream": "gauge", "time": "2002-06-01", "location": "01022501", "value": 3.0}),
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/observations/0/location");
    assert!(
        a.body["detail"].as_str().unwrap().contains("01022500"),
        "{a:?}"
    );
    let a = post(json!({"stream": "gauge", "time": "2002-06-01", "value": -1.5}));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/observations/0/value");
    let a = post(json!({"stream": "gauge", "time": "2003-01-05", "value": 1.5}));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/observations/0/time");
    let a = post(json!({"stream": "nope", "time": "2002-06-01", "value": 1.5}));
    assert_problem(&a, 404);
    let a = c.post_raw(
        "/v1/twins/flood/observations",
        "text/csv",
        "stream,time,value\ngauge,2002-06-01,2.0\ngauge,2002-06-02,-0.1\n",
        &[],
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["line"], 3);
    assert_eq!(a.body["field"], "value");

    // Rules: a return period needs a flood twin's record and excludes a threshold.
    let rule = |body: Value| c.post("/v1/twins/flood/alert-rules", &body);
    let base = json!({"name": "r", "target": "discharge", "location": "01022500", "days": 3,
                      "aggregate": "max", "probability": 0.5});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let a = rule(base.clone());
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/threshold");
    let a = rule(with(json!({"threshold": 5.0, "return_period_years": 2})));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/return_period_years");
    let a = rule(with(json!({"return_period_years": 1.0})));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/return_period_years");
    let a = rule(with(json!({"return_period_years": 1e9})));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/return_period_years");
    let a = rule(with(json!({"threshold": 5.0, "aggregate": "median"})));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/aggregate");
    let a = rule(with(json!({"threshold": 5.0, "target": "precipitation"})));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/target");
    // A flood twin's forecasts carry no weekly ensemble.
    let a = rule(
        json!({"name": "r", "target": "discharge", "location": "01022500",
                        "forecast": "ensemble", "week": 1, "threshold": 5.0, "probability": 0.5}),
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/forecast");
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("no weekly ensemble"),
        "{a:?}"
    );

    // Scenario jobs branch from a posterior: none yet, a clear 409.
    let a = c.post(
        "/v1/twins/flood/scenarios",
        &json!({"scenarios_path": repo().join("data/flood/scenarios.toml")}),
    );
    assert_problem(&a, 409);
    assert!(a.body.to_string().contains("no posterior"), "{a:?}");

    let status = c.get("/v1/twins/flood/status");
    assert_eq!(status.body["observations"], 0, "{}", status.body);
    let latest = c.get("/v1/twins/flood/observations/latest");
    assert_eq!(latest.body, json!([]));
    assert!(c
        .get("/v1/twins/flood/alert-rules")
        .body
        .as_array()
        .unwrap()
        .is_empty());
}
