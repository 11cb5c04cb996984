//! Scenario jobs: submitted against the twin's live posterior, run
//! asynchronously with progress, a result, provenance, and cancellation.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

const SCENARIOS: &str = r#"
[scenarios]
horizon = "2020-04-15"
baseline = "as-is"

[[scenario]]
name = "as-is"
description = "Nothing changes."

[[scenario]]
name = "confine"
description = "Mobility cut by 80% from 20 March."
[[scenario.intervention]]
type = "confinement"
from = "2020-03-20"
to = "2020-04-10"
kappa0 = 0.8
phi = 0.2
delta = 0.8
"#;

#[test]
fn a_scenario_job_runs_from_the_live_posterior() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    create_spain_twin(&c, "spain", 20, 600_000);
    let first = didymos_core::Date::from_ymd(2020, 2, 10).unwrap();
    for d in 0..20 {
        let records = spain_day(&first.add_days(d).to_string());
        assert_eq!(
            c.post(
                "/v1/twins/spain/observations",
                &json!({"observations": records})
            )
            .status,
            200
        );
    }
    wait_for("the assimilation", Duration::from_secs(120), || {
        (c.get("/v1/twins/spain/status").body["assimilated_through"] == "2020-02-29").then_some(())
    });
    // An invalid scenarios file is refused up front with the CLI's message.
    let bad = c.post(
        "/v1/twins/spain/scenarios",
        &json!({"scenarios_toml": "[scenarios]\nbaseline = \"x\"\n"}),
    );
    assert_problem(&bad, 422);
    assert_eq!(bad.body["pointer"], "/scenarios_toml");

    let posterior = c.get("/v1/runs?twin=spain&kind=assimilate&limit=1").body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = c.post(
        "/v1/twins/spain/scenarios",
        &json!({"scenarios_toml": SCENARIOS}),
    );
    assert_eq!(job.status, 202, "{job:?}");
    let id = job.body["id"].as_str().unwrap().to_string();
    let done = wait_for("the scenario job", Duration::from_secs(180), || {
        let j = c.get(&format!("/v1/jobs/{id}"));
        matches!(j.body["status"].as_str(), Some("succeeded" | "failed")).then_some(j.body)
    });
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["progress"], 1.0);
    let result = &done["result"];
    assert_eq!(result["branch"], "2020-02-29");
    assert_eq!(result["scenarios"].as_array().unwrap().len(), 2);
    let averted = &result["scenarios"][1]["averted_vs_baseline"];
    assert!(
        averted.as_array().is_some_and(|a| !a.is_empty()),
        "{result}"
    );
    let prov = c.get(&format!("/runs/{id}/prov"));
    assert_eq!(prov.status, 200);
    assert!(prov.body.to_string().contains("scenarios.toml"));
    // The job read its own link to the twin's checkpoint, which the live
    // loop may prune at any time, and let go of it at the end.
    let runs = server.dir.path().join("runs");
    let own = runs.join(&id).join("checkpoint.bin");
    let text = prov.body.to_string();
    assert!(text.contains(&*own.to_string_lossy()), "{text}");
    // Still traced to the assimilation that wrote it.
    assert!(
        text.contains("wasInformedBy") && text.contains(&posterior),
        "{text}"
    );
    assert!(!own.exists());
    assert!(runs.join(&posterior).join("checkpoint.bin").exists());
    // A finished job cannot be cancelled.
    assert_problem(&c.post(&format!("/v1/jobs/{id}/cancel"), &json!({})), 409);
    assert_eq!(
        c.get("/v1/twins/spain/scenarios")
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
