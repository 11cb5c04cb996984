//! Bad requests get a 4xx with an RFC 9457 problem+json body naming what
//! is wrong and where, never a 500.

mod common;

use common::*;
use serde_json::{json, Value};

const OBS: &str = "/v1/twins/spain/observations";

fn record(time: &str, value: serde_json::Value) -> String {
    json!({"observations": [{"stream": "hosp", "time": time, "location": "28", "stratum": "Y", "value": value}]}).to_string()
}

#[test]
fn bad_requests_are_problems() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    create_spain_twin(&c, "spain", 20, 600_000);
    let post = |ct: &str, body: &str| c.post_raw(OBS, ct, body, &[]);

    // Malformed JSON names line and column.
    let a = post("application/json", "{\"observations\": [");
    assert_problem(&a, 400);
    assert!(
        a.body["detail"].as_str().unwrap().contains("line 1"),
        "{a:?}"
    );
    // A value of the wrong type is 422 with the JSON path of the field.
    let a = post("application/json", &record("2020-03-01", json!("twelve")));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/observations/0/value");
    // A bare list of records (or an empty one) is not a batch, and the
    // answer says what one is rather than "expected a sequence".
    for body in [
        r#"[{"stream":"hosp","time":"2020-03-01","location":"28","stratum":"Y","value":3}]"#,
        " []",
    ] {
        let a = post("application/json", body);
        assert_problem(&a, 422);
        let detail = a.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("not an array") && detail.contains(r#"{"observations": ["#),
            "{body}: {a:?}"
        );
    }
    // Elsewhere too, without the batch's hint.
    let a = c.post("/v1/twins/spain/alert-rules", &json!([1]));
    assert_problem(&a, 422);
    assert!(
        a.body["detail"].as_str().unwrap().contains("not an array"),
        "{a:?}"
    );
    // A misspelt key is named.
    let a = post(
        "application/json",
        r#"{"observations":[{"stream":"hosp","time":"2020-03-01","valeu":1}]}"#,
    );
    assert_problem(&a, 422);
    assert!(
        a.body["detail"].as_str().unwrap().contains("valeu"),
        "{a:?}"
    );
    // Unknown stream and twin ids are 404.
    let a = post(
        "application/json",
        r#"{"observations":[{"stream":"nope","time":"2020-03-01","location":"28","value":1}]}"#,
    );
    assert_problem(&a, 404);
    assert_eq!(a.body["pointer"], "/observations/0/stream");
    assert_problem(
        &c.post_raw(
            "/v1/twins/nope/observations",
            "application/json",
            &record("2020-03-01", json!(1)),
            &[],
        ),
        404,
    );
    assert_problem(&c.get("/v1/twins/nope"), 404);
    assert_problem(&c.get("/v1/twins/spain/streams/nope"), 404);
    assert_problem(&c.get("/v1/runs/nope/prov"), 404);
    assert_problem(&c.get("/v1/nothing-here"), 404);
    // Timestamps before the twin's start or far in the future say why.
    let a = post("application/json", &record("2020-01-15", json!(1)));
    assert_problem(&a, 422);
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("before the twin's start 2020-02-09"),
        "{a:?}"
    );
    assert_eq!(a.body["pointer"], "/observations/0/time");
    let a = post(
        "application/json",
        &record("2020-12-31T23:00:00+14:00", json!(1)),
    );
    assert_eq!(a.status, 200, "a timestamp inside the range is fine: {a:?}");
    let a = post("application/json", &record("2021-01-05", json!(1)));
    assert_problem(&a, 422);
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("after the twin's end"),
        "{a:?}"
    );
    let a = post("application/json", &record("2020-03-01T10:00:00", json!(1)));
    assert_problem(&a, 422);
    // Counts are whole numbers ≥ 0; locations and strata are the twin's.
    assert_problem(
        &post("application/json", &record("2020-03-01", json!(-1))),
        422,
    );
    assert_problem(
        &post("application/json", &record("2020-03-01", json!(1.5))),
        422,
    );
    let a = post(
        "application/json",
        r#"{"observations":[{"stream":"hosp","time":"2020-03-01","location":"99","value":1}]}"#,
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/observations/0/location");
    // A count no member could produce (more people than live there) would
    // stop the filter at every later update, since acknowledged data stay.
    for value in [
        json!(1e308),
        json!(1.8446744073709552e19),
        json!(50_000_000),
    ] {
        let a = post("application/json", &record("2020-03-01", value));
        assert_problem(&a, 422);
        let detail = a.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("more than the population of `28`, stratum `Y`"),
            "{a:?}"
        );
        assert_eq!(a.body["pointer"], "/observations/0/value");
    }
    // NDJSON and CSV errors name the line and field.
    let a = post("application/x-ndjson", "{\"stream\":\"hosp\",\"time\":\"2020-03-01\",\"location\":\"28\",\"value\":1}\n{\"stream\":\"hosp\",\"time\":\"2020-03-01\",\"location\":\"28\",\"value\":\"x\"}\n");
    assert_problem(&a, 422);
    assert_eq!(a.body["line"], 2);
    assert_eq!(a.body["field"], "value");
    let a = post(
        "text/csv",
        "stream,time,location,stratum,value\nhosp,2020-03-01,28,Y,1\nhosp,2020-03-02,28,Y,abc\n",
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["line"], 3);
    assert_eq!(a.body["field"], "value");
    // An `issued` time is checked like `time`, and named by line and field.
    let a = post(
        "text/csv",
        "stream,time,location,stratum,value,issued\nhosp,2020-03-02,28,Y,1,2020-03-01\n",
    );
    assert_problem(&a, 422);
    assert_eq!(
        (&a.body["line"], &a.body["field"]),
        (&json!(2), &json!("issued"))
    );
    let a = post(
        "text/csv",
        "stream,time,location,stratum,value,issued\nhosp,2020-03-02,28,Y,1,soon\n",
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["field"], "issued");
    let a = post("text/csv", "stream,when,value\nhosp,2020-03-01,1\n");
    assert_problem(&a, 400);
    assert_eq!(a.body["line"], 1);
    let a = post(
        "text/csv",
        "stream,time,location,stratum,value\nhosp,2020-03-01,28\n",
    );
    assert_problem(&a, 400);
    assert_problem(&post("text/plain", "hello"), 415);
    // Huge bodies are 413, from their declared length, before any of the
    // body is sent (a client asking `Expect: 100-continue` sends none).
    let answer = raw_exchange(
        &server,
        &format!(
            "POST {OBS} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {ADMIN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\
             Expect: 100-continue\r\nConnection: close\r\n\r\n",
            5 << 20
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("at most 4194304"), "{answer}");
    // Nothing of the above was stored.
    let s = c.get("/v1/twins/spain/status");
    assert_eq!(s.body["observations"], 1);

    // Streams: duplicate names are 409, bad bindings 422 with the field.
    let stream =
        json!({"name": "hosp", "unit": "p", "observable": "new_hospitalized", "cadence": "1d"});
    assert_problem(&c.post("/v1/twins/spain/streams", &stream), 409);
    let mut bad = stream.clone();
    bad["name"] = json!("other");
    bad["cadence"] = json!("sometimes");
    let a = c.post("/v1/twins/spain/streams", &bad);
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/cadence");
    bad["cadence"] = json!("1d");
    bad["observable"] = json!("new_dragons");
    assert_problem(&c.post("/v1/twins/spain/streams", &bad), 422);
    // A paused stream refuses data with 409, and takes it again once resumed.
    assert_eq!(
        c.post("/v1/twins/spain/streams/hosp/pause", &json!({}))
            .status,
        200
    );
    assert_problem(
        &post("application/json", &record("2020-03-02", json!(1))),
        409,
    );
    assert_eq!(
        c.post("/v1/twins/spain/streams/hosp/resume", &json!({}))
            .status,
        200
    );
    assert_eq!(
        post("application/json", &record("2020-03-02", json!(1))).status,
        200
    );

    // An invalid twin spec is 422 with the CLI's error text.
    let a = c.post(
        "/v1/twins",
        &json!({"id": "broken", "spec_toml": "[twin]\nname = \"x\"\nmodel = \"sir\"\n"}),
    );
    assert_problem(&a, 422);
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("unknown model `sir`"),
        "{a:?}"
    );
    let a = c.post("/v1/twins", &json!({"spec_path": "/no/such/spec.toml"}));
    assert_problem(&a, 422);
    let a = c.post(
        "/v1/twins",
        &json!({"id": "spain", "spec_path": spain_spec()}),
    );
    assert_problem(&a, 409);
    let a = c.post(
        "/v1/twins",
        &json!({"id": "bad id!", "spec_path": spain_spec()}),
    );
    assert_problem(&a, 422);
    let a = c.post_raw("/v1/twins", "application/json", "[]", &[]);
    assert_problem(&a, 422);
    // Paths that never end or never answer: refused, not read until memory
    // runs out or a writer comes.
    let a = c.post(
        "/v1/twins",
        &json!({"id": "zero", "spec_path": "/dev/zero"}),
    );
    assert_problem(&a, 422);
    let detail = a.body["detail"].as_str().unwrap();
    assert!(detail.contains("not a regular file"), "{a:?}");
    let fifo = server.dir.path().join("spec.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let a = c.post("/v1/twins", &json!({"id": "fifo", "spec_path": fifo}));
        assert_problem(&a, 422);
        assert!(
            a.body["detail"]
                .as_str()
                .unwrap()
                .contains("not a regular file"),
            "{a:?}"
        );
    } else {
        eprintln!("SKIPPED: the FIFO case needs `mkfifo` (coreutils)");
    }
    // Bad query values and alert rules.
    assert_problem(
        &c.get("/v1/twins/spain/streams/hosp/observations?limit=0"),
        422,
    );
    assert_problem(
        &c.get("/v1/twins/spain/streams/hosp/observations?limit=abc"),
        422,
    );
    assert_problem(
        &c.get("/v1/twins/spain/streams/hosp/observations?after=zz"),
        422,
    );
    assert_problem(&c.get("/v1/twins/spain/forecasts?issued=March"), 422);
    assert_problem(&c.get("/v1/twins/spain/forecasts/latest"), 404);
    let rule = json!({"name": "r", "target": "new_hospitalized", "location": "28", "days": 14, "threshold": 1.0, "probability": 1.5});
    let a = c.post("/v1/twins/spain/alert-rules", &rule);
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/probability");
    // Rules on the weekly ensemble: one epiweek, weekly sums, and a
    // probability the quantiles' outer levels can decide. The twin
    // forecasts 14 days, which end at most two epiweeks ahead.
    let ensemble = |extra: Value| {
        let mut b = json!({"name": "r", "target": "new_hospitalized", "location": "28",
                           "forecast": "ensemble", "week": 1, "threshold": 100.0,
                           "probability": 0.5});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        c.post("/v1/twins/spain/alert-rules", &b)
    };
    for (extra, pointer, says) in [
        (json!({"week": null}), "/week", "give `week`"),
        (json!({"week": 0}), "/week", "out of reach"),
        (json!({"week": 3}), "/week", "at most 2 epiweek"),
        (json!({"days": 7}), "/days", "not `days`"),
        (json!({"aggregate": "max"}), "/aggregate", "weekly sums"),
        (
            json!({"probability": 0.995}),
            "/probability",
            "outer levels",
        ),
        (
            json!({"probability": 0.001}),
            "/probability",
            "[0.01, 0.99)",
        ),
        (
            json!({"forecast": "members"}),
            "/forecast",
            "`twin` or `ensemble`",
        ),
    ] {
        let a = ensemble(extra.clone());
        assert_problem(&a, 422);
        assert_eq!(a.body["pointer"], pointer, "{extra}: {a:?}");
        assert!(
            a.body["detail"].as_str().unwrap().contains(says),
            "{extra}: {a:?}"
        );
    }
    // A twin rule takes days, not an epiweek.
    let a = c.post(
        "/v1/twins/spain/alert-rules",
        &json!({"name": "r", "target": "new_hospitalized", "location": "28", "week": 1,
                "threshold": 1.0, "probability": 0.5}),
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/week");
    let a = c.post(
        "/v1/twins/spain/alert-rules",
        &json!({"name": "r", "target": "new_hospitalized", "location": "28",
                "threshold": 1.0, "probability": 0.5}),
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/days");
    assert_eq!(ensemble(json!({"week": 2})).status, 201);
    // A twin rule over more days than the twin forecasts (14) would read
    // fewer than it says.
    let twin_rule = |days: usize| {
        c.post(
            "/v1/twins/spain/alert-rules",
            &json!({"name": "r", "target": "new_hospitalized", "location": "28",
                    "days": days, "threshold": 1.0, "probability": 0.5}),
        )
    };
    let a = twin_rule(15);
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/days");
    assert!(
        a.body["detail"].as_str().unwrap().contains("1..=14"),
        "{a:?}"
    );
    assert_eq!(twin_rule(14).status, 201);
    // Nor can the horizon shrink beneath the rules that stand: the week-2
    // rule needs 8 days or more, the 14-day rule 14.
    let a = c.patch("/v1/twins/spain", &json!({"horizon_days": 7}));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/horizon_days");
    let detail = a.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("week 2") && detail.contains("14 days"),
        "{a:?}"
    );
    assert_eq!(
        c.patch("/v1/twins/spain", &json!({"horizon_days": 21}))
            .status,
        200
    );
    assert_problem(
        &c.post("/v1/twins/spain/scenarios", &json!({"scenarios_toml": ""})),
        409,
    );
    let a = c.post(
        "/v1/twins/spain/scenarios",
        &json!({"scenarios_toml": "", "members": 1_000_000_000_000u64}),
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/members");
    let a = c.post(
        "/v1/twins",
        &json!({"id": "flat", "spec_path": spain_spec(), "horizon_days": 0}),
    );
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/horizon_days");
    assert_problem(&c.delete("/v1/twins/spain/alert-rules/999"), 404);
    assert_problem(&c.post("/v1/jobs/nope/cancel", &json!({})), 404);
}

#[test]
fn a_twin_can_be_created_from_toml_text_and_deleted() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    // Relative data paths in posted text resolve against the server's
    // copy, so make them absolute.
    let dir = repo().join("data/spain").canonicalize().unwrap();
    let text = std::fs::read_to_string(spain_spec()).unwrap();
    let text = text
        .replace(
            "= \"metapopulation_data.csv\"",
            &format!("= \"{}/metapopulation_data.csv\"", dir.display()),
        )
        .replace(
            "= \"R_mobility_matrix.csv\"",
            &format!("= \"{}/R_mobility_matrix.csv\"", dir.display()),
        )
        .replace(
            "= \"A0_initial_conditions_seeds.csv\"",
            &format!("= \"{}/A0_initial_conditions_seeds.csv\"", dir.display()),
        )
        .replace(
            "= \"kappa0_from_mitma.csv\"",
            &format!("= \"{}/kappa0_from_mitma.csv\"", dir.display()),
        );
    let a = c.post("/v1/twins", &json!({"spec_toml": text, "members": 10}));
    assert_eq!(a.status, 201, "{a:?}");
    assert_eq!(a.body["id"], "spain-provinces-2020");
    assert_eq!(a.body["locations"].as_array().unwrap().len(), 52);
    assert_eq!(c.get("/v1/twins").body.as_array().unwrap().len(), 1);
    assert_eq!(c.delete("/v1/twins/spain-provinces-2020").status, 204);
    assert_problem(&c.get("/v1/twins/spain-provinces-2020"), 404);
    assert_problem(&c.delete("/v1/twins/spain-provinces-2020"), 404);
}

/// Sends `request` as is on a fresh connection and returns all the server
/// answers until it closes (at most 10 s).
fn raw_exchange(server: &TestServer, request: &str) -> String {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(server.server.addr).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    tcp.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}
