//! A twin whose stream is reported at coarser locations than its model
//! units (the 52-province model fed hospitalisations per autonomous
//! community through `aggregation = "province_to_ccaa.csv"`): the service
//! takes records at those locations, refuses the model's own units, and
//! forecasts per community.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// The 2020 twin with its stream aggregated to CCAA, in a temporary folder.
fn ccaa_spec(dir: &std::path::Path) -> std::path::PathBuf {
    let spain = repo().join("data/spain");
    for f in [
        "metapopulation_data.csv",
        "R_mobility_matrix.csv",
        "A0_initial_conditions_seeds.csv",
        "kappa0_from_mitma.csv",
        "province_to_ccaa.csv",
        "spain_provinces_covid19_daily_by_age_2020.csv",
    ] {
        std::fs::copy(spain.join(f), dir.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(spain.join("twin-2020.toml"))
        .unwrap()
        .replace(
            "delay_max = 14\n",
            "delay_max = 14\naggregation = \"province_to_ccaa.csv\"\n",
        );
    let path = dir.join("twin-ccaa.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Each day's hospitalisations per (CCAA, age group) as records.
fn ccaa_days(first: &str, days: i32) -> Vec<Vec<Value>> {
    let spain = repo().join("data/spain");
    let mut lookup = csv::Reader::from_path(spain.join("province_to_ccaa.csv")).unwrap();
    let ccaa: HashMap<String, String> = lookup
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string())
        })
        .collect();
    let first: didymos_core::Date = first.parse().unwrap();
    let dates: Vec<String> = (0..days).map(|d| first.add_days(d).to_string()).collect();
    let mut sums: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    let mut r = csv::Reader::from_path(spain.join("spain_provinces_covid19_daily_by_age_2020.csv"))
        .unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        if dates.iter().any(|d| d == &rec[0]) {
            *sums
                .entry((
                    rec[0].to_string(),
                    ccaa[&rec[1]].clone(),
                    rec[2].to_string(),
                ))
                .or_default() += rec[4].parse::<f64>().unwrap();
        }
    }
    dates
        .iter()
        .map(|d| {
            sums.iter()
                .filter(|((date, _, _), _)| date == d)
                .map(|((date, loc, age), v)| {
                    json!({"stream": "hosp", "time": date, "location": loc, "stratum": age, "value": v})
                })
                .collect()
        })
        .collect()
}

#[test]
fn community_records_are_taken_and_forecast_per_community() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ccaa_spec(dir.path());
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    let a = c.post(
        "/v1/twins",
        &json!({"id": "ccaa", "spec_path": spec, "members": 30,
                "horizon_days": 7, "settle_ms": 600_000}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let a = c.post(
        "/v1/twins/ccaa/streams",
        &json!({"name": "hosp", "unit": "persons/day", "observable": "new_hospitalized",
                "cadence": "1d", "value_type": "count"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let twin = c.get("/v1/twins/ccaa");
    let locations = twin.body["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 19, "{}", twin.body);
    assert_eq!(locations[12], "13");

    // A province code is not a location of this twin: 422 naming the field.
    let bad = c.post(
        "/v1/twins/ccaa/observations",
        &json!({"observations": [{"stream": "hosp", "time": "2020-03-01",
                "location": "28", "stratum": "Y", "value": 3.0}]}),
    );
    assert_problem(&bad, 422);
    assert!(bad.body.to_string().contains("location"), "{bad:?}");

    for records in ccaa_days("2020-02-10", 4) {
        let a = c.post(
            "/v1/twins/ccaa/observations",
            &json!({ "observations": records }),
        );
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!(a.body["accepted"], records.len(), "{a:?}");
    }
    // Every community reported, so each day completes and is forecast.
    wait_for(
        "the forecast from 2020-02-13",
        Duration::from_secs(120),
        || {
            let f = c.get("/v1/twins/ccaa/forecasts?limit=1");
            (f.body[0]["origin"] == "2020-02-13").then_some(())
        },
    );
    let latest = c.get("/v1/twins/ccaa/forecasts/latest?target=new_hospitalized&location=13");
    assert_eq!(latest.status, 200, "{latest:?}");
    let targets = latest.body["targets"].as_array().unwrap();
    assert_eq!(targets[0]["location"], "13", "{}", latest.body);
    assert_eq!(targets[0]["quantiles"].as_array().unwrap().len(), 7);
    let province = c.get("/v1/twins/ccaa/forecasts/latest?target=new_hospitalized&location=28");
    // Forecast per community, so a province is named as not among them.
    assert_eq!(province.status, 422, "{province:?}");
    let detail = province.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("no `28`") && detail.contains("20 in all"),
        "{province:?}"
    );
}
