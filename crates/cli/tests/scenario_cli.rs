//! `didymos scenario` and `didymos report` end to end on the bundled Spain
//! data: scenarios branch from an assimilated checkpoint, a copy of the
//! baseline differs by exactly zero, a stricter confinement averts
//! hospitalisations, the run re-runs bit for bit with another thread count,
//! its provenance chains back to the assimilation, and the report renders in
//! headless Chromium with one map path per province and a drawn fan chart.

use std::path::{Path, PathBuf};

mod common;
use common::{assert_all_valid, didymos, ok, repo, s};

const SCENARIOS: &str = r#"
[scenarios]
horizon = "2020-05-10"
baseline = "no-change"

[[capacity]]
observable = "hospital_occupancy"
patches = ["28", "08"]
threshold = 1500.0

[[scenario]]
name = "no-change"

[[scenario]]
name = "copy-of-baseline"

[[scenario]]
name = "stricter"
[[scenario.intervention]]
type = "confinement"
from = "2020-04-16"
to = "2020-04-30"
kappa0 = 0.9
phi = 0.2
delta = 0.5
"#;

/// The bundled 2020 scenarios end on 2020-11-30; without a checkpoint
/// they branch at the end of the data, 2020-12-31: an error naming both
/// dates and the ways to branch earlier, before any filtering.
#[test]
fn a_horizon_before_the_end_of_the_data_is_an_error_with_dates() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::didymos(&[
        "scenario",
        "data/spain/twin-2020.toml",
        "--scenarios",
        "data/spain/scenarios-2020.toml",
        "--members",
        "20",
        "--out",
        s(&dir.path().join("sc")),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && !err.contains("panicked"), "{err}");
    for needle in [
        "data/spain/scenarios-2020.toml, line 12",
        "the scenario horizon 2020-11-30 is before the branch day 2020-12-31",
        "the end of the data in",
        "--from-checkpoint",
    ] {
        assert!(err.contains(needle), "`{needle}` missing from: {err}");
    }
}

fn differences(path: &Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().map(Result::unwrap).collect()
}

#[test]
fn scenarios_from_a_checkpoint_compare_rerun_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let (assim, sc, sc2, rep) = (
        dir.path().join("assim"),
        dir.path().join("sc"),
        dir.path().join("sc2"),
        dir.path().join("rep"),
    );
    let file = dir.path().join("scenarios.toml");
    std::fs::write(&file, SCENARIOS).unwrap();
    ok(&[
        "assimilate",
        "data/spain/twin-2020.toml",
        "--until",
        "2020-04-15",
        "--members",
        "40",
        "--out",
        s(&assim),
    ]);
    let ck = assim.join("checkpoint.bin");
    let stdout = ok(&[
        "--threads",
        "1",
        "scenario",
        "data/spain/twin-2020.toml",
        "--scenarios",
        s(&file),
        "--from-checkpoint",
        s(&ck),
        "--out",
        s(&sc),
    ]);
    assert!(
        stdout.contains("3 scenarios branched on 2020-04-15"),
        "{stdout}"
    );
    // A horizon on or before the checkpoint's day: an error with the dates
    // (it was a capacity-overflow panic in the fan chart's forecast).
    for (horizon, rel) in [("2020-04-01", "is before"), ("2020-04-15", "is")] {
        let early = dir.path().join("early.toml");
        let text = format!("[scenarios]\nhorizon = \"{horizon}\"\n[[scenario]]\nname = \"a\"\n");
        std::fs::write(&early, text).unwrap();
        let out = common::didymos(&[
            "scenario",
            "data/spain/twin-2020.toml",
            "--scenarios",
            s(&early),
            "--from-checkpoint",
            s(&ck),
            "--out",
            s(&dir.path().join("early")),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && !err.contains("panicked"), "{err}");
        for needle in [
            "early.toml, line 2".to_string(),
            format!("the scenario horizon {horizon} {rel} the branch day 2020-04-15"),
            "the day the checkpoint".into(),
        ] {
            assert!(err.contains(&needle), "`{needle}` missing from: {err}");
        }
    }

    let rows = differences(&sc.join("scenario_differences.csv"));
    let h = csv::Reader::from_path(sc.join("scenario_differences.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let mut copies = 0;
    for r in &rows {
        if &r[col("scenario")] == "copy-of-baseline" {
            copies += 1;
            for q in ["averted_q05", "averted_q50", "averted_q95", "averted_mean"] {
                assert_eq!(&r[col(q)], "0", "{r:?}");
            }
        }
    }
    assert_eq!(copies, 3 * 53, "3 flows × (52 provinces + total)");
    let strict = rows
        .iter()
        .find(|r| {
            &r[col("scenario")] == "stricter"
                && &r[col("location")] == "total"
                && &r[col("variable")] == "new_hospitalized"
        })
        .unwrap();
    let q05: f64 = strict[col("averted_q05")].parse().unwrap();
    assert!(
        q05 > 0.0,
        "a stricter confinement averts admissions: {strict:?}"
    );
    let cap = std::fs::read_to_string(sc.join("scenario_capacity.csv")).unwrap();
    assert_eq!(cap.lines().count(), 1 + 3 * 2, "{cap}");

    // Provenance: the scenario run was informed by the assimilation.
    let rec = didymos_prov::load(&sc).unwrap();
    assert_eq!(rec.command, "scenario");
    assert!(rec.inputs.iter().any(|f| f.role == "scenarios"));
    assert_eq!(
        rec.informed_by[0].command.as_deref(),
        Some("assimilate"),
        "{:?}",
        rec.informed_by
    );
    // One thread, then two: the same bytes.
    let again = ok(&["--threads", "2", "rerun", s(&sc), "--out", s(&sc2)]);
    assert!(again.contains("bit-identical: 5 outputs"), "{again}");

    let html = rep.join("report.html");
    ok(&[
        "report",
        s(&sc),
        "--geojson",
        "data/spain/spain_provinces.geojson",
        "--geojson-id",
        "cod_prov",
        "--geojson-name",
        "name",
        "--out",
        s(&html),
    ]);
    // An observable the run lacks: each valid one listed once, not once
    // per series.
    let run = didymos(&["report", s(&sc), "--observable", "nope", "--out", s(&html)]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert_eq!(err.matches("new_hospitalized").count(), 1, "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing is fetched (the SVG namespace is not a fetch).
    assert!(
        !page.contains("<script src") && !page.contains("<link "),
        "external assets"
    );
    for f in [
        "fan-new_hospitalized-total.svg",
        "scenarios-new_hospitalized.svg",
    ] {
        assert!(rep.join("figures").join(f).is_file(), "{f}");
    }
    check_in_chromium(&html);
    // assimilate, scenario, its re-run and the report: all valid PROV-JSON.
    assert_all_valid(dir.path(), 4);
}

/// The map has one path per province and the fan chart drew its bands, as
/// a real browser builds the page; a screenshot is kept as an artifact.
fn check_in_chromium(html: &Path) {
    let Some(chromium) = didymos_report::chromium::Chromium::find() else {
        didymos_core::skipped!(
            "chromium not installed (apt-get install chromium): report not rendered"
        );
        return;
    };
    let dom = chromium
        .dump_dom(html)
        .expect("chromium renders the report");
    let map_start = dom
        .find("id=\"fig-map-new_hospitalized\"")
        .expect("map figure in the DOM");
    let map = &dom[map_start..];
    let map = &map[..map.find("</svg>").unwrap()];
    assert_eq!(map.matches("<path").count(), 52, "one path per province");
    let fan_start = dom
        .find("id=\"fig-fan-new_hospitalized-total\"")
        .expect("fan chart in the DOM");
    let fan = &dom[fan_start..];
    let fan = &fan[..fan.find("</svg>").unwrap()];
    for series in ["band-90", "band-50", "median"] {
        let at = fan.find(series).unwrap_or_else(|| panic!("{series} drawn"));
        assert!(fan[at..].contains(" d=\"M"), "{series} has a path");
    }
    let artifacts = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"))
        .join("test-artifacts/cli");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("scenario-report.png");
    chromium
        .screenshot(html, &shot, 1280, 3200)
        .expect("screenshot");
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}
