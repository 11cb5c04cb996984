//! `didymos forecast --forcing` for a flood twin: forecast forcing from a
//! file drives the days after the origin (a dry trace gives less discharge
//! than a wet one), is recorded as a provenance input, and a file that
//! does not cover the horizon is an error naming the missing dates.

use std::path::Path;

mod common;
use common::{didymos, ok, s};

/// Median discharge per forecast day from `discharge_forecast.csv`.
fn medians(dir: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(dir.join("discharge_forecast.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let q50 = header.iter().position(|c| *c == "q50").unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').nth(q50).unwrap().parse().unwrap())
        .collect()
}

/// One trace of `days` days from 2002-04-01 with `precip` mm every day.
fn trace_file(dir: &Path, name: &str, precip: f64, days: usize) -> std::path::PathBuf {
    let mut text = String::from("date,precip_mm,tmean_c\n");
    for d in 1..=days {
        text += &format!("2002-04-{d:02},{precip},8\n");
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn forecast_forcing_drives_the_days_after_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("assim");
    ok(&[
        "assimilate",
        "data/flood/twin.toml",
        "--until",
        "2002-03-31",
        "--out",
        s(&ck),
    ]);
    let checkpoint = ck.join("checkpoint.bin");
    let run = |forcing: &Path, out: &str| -> (String, Vec<f64>) {
        let out = dir.path().join(out);
        let stdout = ok(&[
            "forecast",
            "--checkpoint",
            s(&checkpoint),
            "--horizon",
            "7",
            "--forcing",
            s(forcing),
            "--out",
            s(&out),
        ]);
        let prov = std::fs::read_to_string(out.join("prov.json")).unwrap();
        assert!(prov.contains("forecast_forcing"), "forcing not in PROV");
        (stdout, medians(&out))
    };
    let (stdout, dry) = run(&trace_file(dir.path(), "dry.csv", 0.0, 7), "dry");
    assert!(stdout.contains("dry.csv (1 trace)"), "{stdout}");
    let (_, wet) = run(&trace_file(dir.path(), "wet.csv", 60.0, 7), "wet");
    assert_eq!((dry.len(), wet.len()), (7, 7));
    // The first day is mostly the state at the origin; by day 3 a week of
    // 60 mm/day must show.
    for h in 2..7 {
        assert!(
            wet[h] > 2.0 * dry[h],
            "day {}: wet {} vs dry {}",
            h + 1,
            wet[h],
            dry[h]
        );
    }
    // Dry weather: a recession.
    assert!(dry[6] < dry[1], "{dry:?}");

    // The bundled synthetic ensemble (3 traces) runs too.
    let (stdout, _) = run(
        &common::repo().join("data/flood/forecast_forcing_2002-04.csv"),
        "ensemble",
    );
    assert!(stdout.contains("(3 traces)"), "{stdout}");

    // A file that stops before the horizon ends: the missing dates are named.
    let short = trace_file(dir.path(), "short.csv", 1.0, 5);
    let o = didymos(&[
        "forecast",
        "--checkpoint",
        s(&checkpoint),
        "--horizon",
        "7",
        "--forcing",
        s(&short),
        "--out",
        s(&dir.path().join("short")),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("short.csv") && err.contains("lacks 2002-04-06..2002-04-07"),
        "{err}"
    );
    assert!(!dir.path().join("short/discharge_forecast.csv").exists());
}
