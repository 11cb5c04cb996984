//! A hosted flood twin forecasts with its spec's `forecast.forcing` file
//! after the origin: two twins, the same discharge, one told the coming
//! week is dry and one that it is very wet; the wet one forecasts far more
//! discharge. A file that does not cover the horizon fails the step with
//! the missing dates named, and no forecast is stored.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use didymos_core::Date;
use serde_json::{json, Value};

/// The bundled spec, in `dir` with absolute data paths and a forecast
/// forcing file of `days` days from 2002-04-01 at `precip` mm/day.
fn spec_with_forcing(dir: &Path, name: &str, precip: f64, days: usize) -> PathBuf {
    let data = repo().join("data/flood");
    let text = std::fs::read_to_string(data.join("twin.toml"))
        .unwrap()
        .replace("\"camels_us/", &format!("\"{}/camels_us/", data.display()))
        .replace(
            "[forecast]",
            &format!("[forecast]\nforcing = \"{name}.csv\""),
        );
    let mut csv = String::from("date,precip_mm,tmean_c\n");
    for d in 1..=days {
        csv += &format!("2002-04-{d:02},{precip},8\n");
    }
    std::fs::write(dir.join(format!("{name}.csv")), csv).unwrap();
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text).unwrap();
    p
}

fn observations() -> Vec<Value> {
    let dir = repo().join("data/flood/camels_us");
    let f = didymos_hydro::read_camels_forcing(&dir.join("01022500_lump_cida_forcing_leap.txt"))
        .unwrap();
    let flow =
        didymos_hydro::read_camels_streamflow(&dir.join("01022500_streamflow_qc.txt"), f.area_m2)
            .unwrap();
    let (from, to) = (
        Date::from_ymd(2002, 3, 18).unwrap(),
        Date::from_ymd(2002, 3, 31).unwrap(),
    );
    flow.mm_per_day
        .range(from..=to)
        .map(|(d, q)| json!({"stream": "gauge", "time": d.to_string(), "value": q}))
        .collect()
}

fn register(c: &Client, id: &str, spec: &Path) {
    let a = c.post(
        "/v1/twins",
        &json!({"id": id, "spec_path": spec, "members": 100, "settle_ms": 600_000}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let a = c.post(
        &format!("/v1/twins/{id}/streams"),
        &json!({"name": "gauge", "unit": "mm/day", "observable": "discharge", "cadence": "1d"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    // The origin is 2002-04-01 (the basin's one location has reported
    // that day, so it is complete); the forecast runs 04-02..04-08.
    let mut obs = observations();
    obs.push(json!({"stream": "gauge", "time": "2002-04-01", "value": 1.0}));
    let a = c.post(
        &format!("/v1/twins/{id}/observations"),
        &json!({"observations": obs}),
    );
    assert_eq!(a.status, 200, "{a:?}");
}

/// Median discharge per forecast day of the twin's latest forecast.
fn medians(fc: &Value) -> Vec<f64> {
    let levels = fc["levels"].as_array().unwrap();
    let m = levels
        .iter()
        .position(|l| (l.as_f64().unwrap() - 0.5).abs() < 1e-9)
        .unwrap();
    fc["targets"][0]["quantiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[m].as_f64().unwrap())
        .collect()
}

#[test]
fn forecast_forcing_file_drives_the_hosted_flood_twin() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    register(&c, "dry", &spec_with_forcing(dir.path(), "dry", 0.0, 8));
    register(&c, "wet", &spec_with_forcing(dir.path(), "wet", 60.0, 8));
    let latest = |id: &str| {
        wait_for(
            &format!("{id}'s forecast from 2002-04-01"),
            Duration::from_secs(120),
            || {
                let f = c.get(&format!("/v1/twins/{id}/forecasts/latest"));
                (f.body["origin"] == "2002-04-01").then_some(f.body)
            },
        )
    };
    let (dry, wet) = (medians(&latest("dry")), medians(&latest("wet")));
    assert_eq!((dry.len(), wet.len()), (7, 7));
    for h in 2..7 {
        assert!(
            wet[h] > 2.0 * dry[h],
            "day {}: wet {} vs dry {}",
            h + 1,
            wet[h],
            dry[h]
        );
    }

    // A file too short for the horizon (04-01..04-04): the step fails,
    // naming the missing dates.
    register(&c, "short", &spec_with_forcing(dir.path(), "short", 1.0, 4));
    let status = wait_for("the failed step", Duration::from_secs(120), || {
        let s = c.get("/v1/twins/short/status");
        let text = s.body.to_string();
        text.contains("lacks").then_some(text)
    });
    assert!(status.contains("lacks 2002-04-05..2002-04-08"), "{status}");
    let f = c.get("/v1/twins/short/forecasts/latest");
    assert_eq!(f.status, 404, "{f:?}");
}
