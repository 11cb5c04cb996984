//! `POST /v1/twins/{id}/observations/retract`: a count that should never
//! have been sent is marked retracted, and the twin ends up exactly where
//! a twin that never received it is: same forecast, bit for bit. The
//! retracted value stays in the history, with its reason, for the audit.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

fn latest(c: &Client, twin: &str) -> Value {
    c.get(&format!("/v1/twins/{twin}/forecasts/latest")).body
}

/// The forecast from `origin` issued after forecast `after`, or the
/// twin's error if its update fails first.
fn next_forecast_or_error(
    c: &Client,
    twin: &str,
    after: i64,
    origin: &str,
) -> Result<Value, String> {
    wait_for(
        &format!("{twin}'s forecast from {origin}"),
        Duration::from_secs(120),
        || {
            let f = latest(c, twin);
            if f["id"].as_i64().is_some_and(|id| id > after) && f["origin"] == origin {
                return Some(Ok(f));
            }
            let s = c.get(&format!("/v1/twins/{twin}/status"));
            s.body["last_error"].as_str().map(|e| Err(e.to_string()))
        },
    )
}

#[test]
fn a_retracted_count_leaves_the_twin_as_if_it_never_came() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    // A short settle: the clean twin's last day lacks one cell, so it
    // completes by waiting.
    create_spain_twin(&c, "clean", 20, 1500);
    create_spain_twin(&c, "dirty", 20, 1500);
    let first = didymos_core::Date::from_ymd(2020, 3, 1).unwrap();
    for d in 0..6 {
        let date = first.add_days(d).to_string();
        let records = spain_day(&date);
        post_and_wait(&c, "clean", &date, &records);
        post_and_wait(&c, "dirty", &date, &records);
    }
    let date = first.add_days(6).to_string();
    let mut records = spain_day(&date);
    let madrid = records
        .iter()
        .position(|r| r["location"] == "28")
        .expect("Madrid reports");
    let stratum = records[madrid]["stratum"].as_str().unwrap().to_string();
    let mut wrong = records.remove(madrid);
    post_and_wait(&c, "clean", &date, &records);
    let truth = latest(&c, "clean");

    // The same day for the other twin, with Madrid's count mistyped.
    wrong["value"] = json!(40_000);
    records.push(wrong);
    let before = latest(&c, "dirty")["id"].as_i64().unwrap();
    let a = c.post(
        "/v1/twins/dirty/observations",
        &json!({ "observations": records }),
    );
    assert_eq!(a.status, 200, "{a:?}");
    let misled = next_forecast_or_error(&c, "dirty", before, &date);
    if let Ok(f) = &misled {
        assert_ne!(
            f["targets"], truth["targets"],
            "the wrong count changed nothing"
        );
    }
    let after = latest(&c, "dirty")["id"].as_i64().unwrap();
    // So that whether the retraction must rewind is settled.
    if misled.is_ok() {
        wait_for_checkpoint(&c, "dirty", &date);
    }

    // Retract it by its cell.
    let cell = json!({"stream": "hosp", "from": date, "to": date, "location": "28",
                      "stratum": stratum, "reason": "mistyped: 40000 for 4"});
    let a = c.post("/v1/twins/dirty/observations/retract", &cell);
    assert_eq!(a.status, 200, "{a:?}");
    let ids = a.body["retracted"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 1, "{a:?}");
    assert_eq!(a.body["already_retracted"], 0);
    // A forecast from the wrong count means the filter took it in: the
    // twin starts again. After an error nothing past the day before was
    // kept, so reading on from that checkpoint is enough.
    assert_eq!(
        a.body["reassimilating"],
        misled.is_ok(),
        "{a:?} after {misled:?}"
    );
    // (An earlier error stays on the status until an update succeeds.)
    let fixed = wait_for("the forecast without it", Duration::from_secs(120), || {
        let f = latest(&c, "dirty");
        (f["id"].as_i64().is_some_and(|id| id > after) && f["origin"] == date.as_str()).then_some(f)
    });
    assert_eq!(fixed["targets"], truth["targets"]);
    wait_for("the twin back to health", Duration::from_secs(60), || {
        let s = c.get("/v1/twins/dirty/status");
        (s.body["health"] == "ok").then_some(())
    });

    // Gone from the standing record, kept for the audit.
    let history = |extra: &str| {
        let h = c.get(&format!(
            "/v1/twins/dirty/streams/hosp/observations?from={date}&to={date}&limit=10000{extra}"
        ));
        assert_eq!(h.status, 200, "{h:?}");
        h.body["items"].as_array().unwrap().clone()
    };
    let standing = history("");
    assert_eq!(standing.len(), records.len() - 1);
    assert!(standing.iter().all(|o| o["id"] != ids[0]));
    let all = history("&include_retracted=true");
    let kept = all.iter().find(|o| o["id"] == ids[0]).unwrap();
    assert_eq!(kept["value"], 40_000.0);
    assert_eq!(kept["retraction_reason"], "mistyped: 40000 for 4");
    assert!(kept["retracted"].is_string(), "{kept}");

    // Again, by id: nothing more to do, and no reset.
    let a = c.post(
        "/v1/twins/dirty/observations/retract",
        &json!({"ids": ids, "reason": "again"}),
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["retracted"], json!([]));
    assert_eq!(a.body["already_retracted"], 1);
    assert_eq!(a.body["reassimilating"], false);
}

#[test]
fn bad_retractions_are_refused_and_change_nothing() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    create_spain_twin(&c, "spain", 20, 600_000);
    let date = "2020-03-01";
    post_spain_day_and_wait(&c, date);
    let retract = |c: &Client, body: Value| c.post("/v1/twins/spain/observations/retract", &body);
    let cases = [
        (json!({"ids": [1]}), 422, "reason"),
        (json!({"ids": [1], "reason": " "}), 422, "`reason`"),
        (json!({"ids": [], "reason": "x"}), 422, "`ids`"),
        (json!({"reason": "x"}), 422, "name the observations"),
        (
            json!({"ids": [1], "stream": "hosp", "reason": "x"}),
            422,
            "not both",
        ),
        (
            json!({"stream": "hosp", "from": date, "reason": "x"}),
            422,
            "name the observations",
        ),
        (
            json!({"stream": "hosp", "from": "2020-03-02", "to": date, "reason": "x"}),
            422,
            "after",
        ),
        (
            json!({"stream": "hosp", "from": "yesterday", "to": date, "reason": "x"}),
            422,
            "`from`",
        ),
        (
            json!({"stream": "deaths", "from": date, "to": date, "reason": "x"}),
            422,
            "deaths",
        ),
        (
            json!({"stream": "hosp", "from": date, "to": date, "location": "99", "reason": "x"}),
            422,
            "location `99`",
        ),
        (json!({"ids": [1, 999_999], "reason": "x"}), 422, "999999"),
        (json!({"ids": [1], "reason": "x", "why": "y"}), 422, "why"),
    ];
    for (body, status, says) in cases {
        let a = retract(&c, body.clone());
        assert_problem(&a, status);
        let detail = a.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(says),
            "{body}: `{detail}` does not say `{says}`"
        );
    }
    let a = c.post(
        "/v1/twins/nowhere/observations/retract",
        &json!({"ids": [1], "reason": "x"}),
    );
    assert_problem(&a, 404);

    // A token that may write to another stream only may not retract here.
    let t = c.post(
        "/v1/tokens",
        &json!({"name": "t", "scopes": ["ingest:spain/other"]}),
    );
    assert_eq!(t.status, 201, "{t:?}");
    let other = Client::new(&server, t.body["token"].as_str());
    assert_problem(&retract(&other, json!({"ids": [1], "reason": "x"})), 403);
    assert_problem(
        &retract(
            &other,
            json!({"stream": "hosp", "from": date, "to": date, "reason": "x"}),
        ),
        403,
    );

    // Nothing was retracted by any of it.
    let h = c.get(&format!(
        "/v1/twins/spain/streams/hosp/observations?from={date}&to={date}&limit=10000&include_retracted=true"
    ));
    assert!(h.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o.get("retracted").is_none()));
}
