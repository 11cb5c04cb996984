//! The OpenAPI 3.1 document is generated from the code and describes the
//! whole API; schemathesis (when installed) fuzzes it and finds no 5xx.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

#[test]
fn the_document_describes_the_api() {
    let server = start_server(None);
    let c = Client::new(&server, None);
    let doc = c.get("/openapi.json");
    assert_eq!(doc.status, 200);
    let d = doc.body;
    assert!(
        d["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        d["openapi"]
    );
    for path in [
        "/v1/twins",
        "/v1/twins/{twin}/status",
        "/v1/twins/{twin}/streams",
        "/v1/twins/{twin}/observations",
        "/v1/twins/{twin}/streams/{stream}/observations",
        "/v1/twins/{twin}/forecasts/latest",
        "/v1/twins/{twin}/alert-rules",
        "/v1/twins/{twin}/deliveries",
        "/v1/twins/{twin}/scenarios",
        "/v1/jobs/{id}/cancel",
        "/v1/runs/{id}/prov",
        "/v1/events",
        "/v1/tokens",
    ] {
        assert!(d["paths"][path].is_object(), "{path} is not documented");
    }
    let ingest = &d["paths"]["/v1/twins/{twin}/observations"]["post"];
    let content = ingest["requestBody"]["content"].as_object().unwrap();
    for ct in ["application/json", "application/x-ndjson", "text/csv"] {
        assert!(content.contains_key(ct), "ingest lacks {ct}");
    }
    assert!(ingest["responses"]["422"].is_object());
    assert!(d["components"]["schemas"]["Problem"].is_object());
    // Rules aggregate days by sum or peak, with a threshold or a return
    // period, or read one epiweek of the weekly ensemble.
    let rule = &d["components"]["schemas"]["CreateRule"]["properties"];
    for key in [
        "aggregate",
        "threshold",
        "return_period_years",
        "forecast",
        "week",
        "days",
    ] {
        assert!(rule[key].is_object(), "CreateRule lacks {key}: {rule}");
    }
    let forecast = d["components"]["schemas"]["RuleForecast"].to_string();
    assert!(
        forecast.contains("\"twin\"") && forecast.contains("\"ensemble\""),
        "{forecast}"
    );
    let required = d["components"]["schemas"]["CreateRule"]["required"].to_string();
    assert!(!required.contains("\"days\""), "{required}");
    let aggregate = d["components"]["schemas"]["Aggregate"].to_string();
    assert!(
        aggregate.contains("\"max\"") && aggregate.contains("\"sum\""),
        "{aggregate}"
    );
    let twin = &d["components"]["schemas"]["Twin"]["properties"];
    assert!(twin["kind"].is_object(), "{twin}");
    assert!(twin["leading_observables"].is_object(), "{twin}");
    // Forecasts carry the weekly ensemble, its item schema resolvable.
    let forecast = d["components"]["schemas"]["ForecastBody"].to_string();
    assert!(forecast.contains("weekly_ensemble"), "{forecast}");
    let weekly = &d["components"]["schemas"]["WeeklyQuantiles"]["properties"];
    for key in [
        "target",
        "location",
        "week_ends",
        "quantiles",
        "twin_quantiles",
    ] {
        assert!(
            weekly[key].is_object(),
            "WeeklyQuantiles lacks {key}: {weekly}"
        );
    }
    assert!(d["components"]["securitySchemes"]["bearer"].is_object());
}

/// Runs schemathesis against the live document, when it is installed
/// (`pip install schemathesis`): no request it makes may get a 5xx.
#[test]
fn schemathesis_finds_no_server_errors() {
    let st = Command::new("st").arg("--version").output();
    if st.is_err() {
        didymos_core::skipped!("schemathesis not installed (pip install schemathesis)");
        return;
    }
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    create_spain_twin(&c, "spain", 10, 600_000);
    let a = c.post(
        "/v1/twins",
        &serde_json::json!({"id": "flood", "spec_path": flood_spec(), "members": 10, "settle_ms": 600_000}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let url = format!("{}/openapi.json", c.base);
    // Run where schemathesis may leave its cache (not in the source tree).
    let out = Command::new("timeout")
        .current_dir(server.dir.path())
        .args(["300", "st", "run", &url, "--checks", "not_a_server_error"])
        .args(["--max-examples", "15", "--request-timeout", "20"])
        // The event stream never ends by design.
        .args(["--exclude-path", "/v1/events"])
        .args(["-H", &format!("Authorization:Bearer {ADMIN}")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis found problems");
    std::thread::sleep(Duration::from_millis(10));
}
