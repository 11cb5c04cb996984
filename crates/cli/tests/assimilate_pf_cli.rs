//! `didymos assimilate` with the particle filter on the bundled 2020 twin,
//! with one reporting error planted in the data: the day the weights fall
//! on one member is flagged, naming the stream, location and value.

use std::process::Command;

mod common;
use common::spain_inputs;

#[test]
fn a_planted_reporting_error_is_named_where_the_weights_collapse() {
    let (dir, spain) = spain_inputs();
    // Soria (42) reports 5,000 admissions of middle-aged people on one day.
    let obs = std::fs::read_to_string(spain.join("spain_provinces_covid19_daily_by_age_2020.csv"))
        .unwrap();
    let planted: String = obs
        .lines()
        .map(|l| {
            if l.starts_with("2020-03-20,42,M,") {
                let mut f: Vec<&str> = l.split(',').collect();
                f[4] = "5000";
                f.join(",")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path().join("obs.csv"), planted).unwrap();
    let text = std::fs::read_to_string(spain.join("twin-2020.toml"))
        .unwrap()
        .replace("end = \"2020-12-31\"", "end = \"2020-04-15\"")
        .replace(
            "observations = \"spain_provinces_covid19_daily_by_age_2020.csv\"",
            "observations = \"obs.csv\"",
        )
        .replace("filter = \"eakf\"", "filter = \"pf\"");
    let spec = dir.path().join("twin.toml");
    std::fs::write(&spec, text).unwrap();
    let out = dir.path().join("a");
    let run = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args([
            "assimilate",
            spec.to_str().unwrap(),
            "--until",
            "2020-03-25",
        ])
        .args(["--members", "100", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: the particle filter's weights fell on a single member"),
        "{stderr}"
    );
    let trace = std::fs::read_to_string(out.join("filter.csv")).unwrap();
    assert!(trace.lines().next().unwrap().ends_with(",degenerate_by"));
    let day = trace
        .lines()
        .find(|l| l.starts_with("2020-03-20,"))
        .expect("a row for the planted day");
    assert!(
        day.contains("stream `new_hospitalized`, location `42`: observed"),
        "{day}"
    );
}
