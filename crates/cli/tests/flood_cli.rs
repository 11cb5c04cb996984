//! The flood twin behind the same commands as the epidemic twin: `run`,
//! `assimilate`, `forecast` and `report` on the bundled CAMELS basin, with
//! provenance and a bit-identical re-run.

use std::path::Path;

mod common;
use common::{assert_all_valid, didymos, ok, repo, s};

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn flood_twin_runs_assimilates_forecasts_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = |x: &str| dir.path().join(x);
    let stdout = ok(&["run", "data/flood/twin.toml", "--out", s(&d("run"))]);
    assert!(stdout.contains("validation to 2002-12-31: KGE"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&read(&d("run").join("summary.json"))).unwrap();
    assert!(
        summary["validation"]["kge"].as_f64().unwrap() >= 0.6,
        "{summary}"
    );
    let discharge = read(&d("run").join("discharge.csv"));
    assert_eq!(
        discharge.lines().count(),
        1 + 1096,
        "2000–2002 (2000 a leap year), a row a day"
    );

    ok(&[
        "assimilate",
        "data/flood/twin.toml",
        "--until",
        "2002-03-31",
        "--out",
        s(&d("as")),
    ]);
    let ck = d("as").join("checkpoint.bin");
    let fc = ok(&[
        "--threads",
        "1",
        "forecast",
        "--checkpoint",
        s(&ck),
        "--horizon",
        "7",
        "--out",
        s(&d("fc")),
    ]);
    assert!(fc.contains("2-year flow"), "{fc}");
    // The weekly-count ensemble is the epidemic twin's: refused, not ignored.
    let ens = common::didymos(&["forecast", "--checkpoint", s(&ck), "--ensemble"]);
    assert!(!ens.status.success());
    let err = String::from_utf8_lossy(&ens.stderr);
    assert!(err.contains("--ensemble is for epidemic twins"), "{err}");
    let table = read(&d("fc").join("discharge_forecast.csv"));
    assert_eq!(table.lines().count(), 1 + 7);
    for row in table.lines().skip(1) {
        let q: Vec<f64> = row
            .split(',')
            .skip(1)
            .take(5)
            .map(|x| x.parse().unwrap())
            .collect();
        assert!(q.windows(2).all(|w| w[0] <= w[1]) && q[0] >= 0.0, "{row}");
    }
    let warnings = read(&d("fc").join("warnings.csv"));
    assert_eq!(
        warnings.lines().count(),
        1 + 3,
        "two thresholds and the 2-year flow"
    );

    // The forecast's chain reaches back to the assimilation, and it re-runs
    // bit for bit with another thread count.
    let rec = didymos_prov::load(&d("fc")).unwrap();
    assert_eq!(rec.informed_by[0].command.as_deref(), Some("assimilate"));
    let again = ok(&[
        "--threads",
        "2",
        "rerun",
        s(&d("fc")),
        "--out",
        s(&d("fc2")),
    ]);
    assert!(again.contains("bit-identical: 3 outputs"), "{again}");

    // What if it rained 30% more (or not at all) in the first week of April?
    let sc = ok(&[
        "scenario",
        "data/flood/twin.toml",
        "--scenarios",
        "data/flood/scenarios.toml",
        "--from-checkpoint",
        s(&ck),
        "--out",
        s(&d("sc")),
    ]);
    assert!(sc.contains("3 scenarios branched on 2002-03-31"), "{sc}");
    let diffs = read(&d("sc").join("scenario_differences.csv"));
    let averted = |scenario: &str| -> f64 {
        let row = diffs
            .lines()
            .find(|l| l.starts_with(&format!("{scenario},as-observed,01022500,discharge,")))
            .unwrap_or_else(|| panic!("{scenario} row in {diffs}"));
        row.split(',').nth(6).unwrap().parse().unwrap()
    };
    assert!(averted("rain-plus-30") < 0.0, "more rain, more runoff");
    assert!(averted("dry-week") > 0.0, "no rain, less runoff");
    // A horizon on or before the branch is refused in dates, naming the
    // file (the service's scenario jobs give the same reason).
    let early = d("early.toml");
    let text = read(&repo().join("data/flood/scenarios.toml"));
    std::fs::write(&early, text.replace("2002-04-14", "2002-03-20")).unwrap();
    let r = didymos(&[
        "scenario",
        "data/flood/twin.toml",
        "--scenarios",
        s(&early),
        "--from-checkpoint",
        s(&ck),
        "--out",
        s(&d("sc-early")),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success());
    assert!(
        err.contains("early.toml")
            && err.contains("the horizon 2002-03-20 is not after the branch on 2002-03-31"),
        "{err}"
    );
    ok(&[
        "report",
        s(&d("sc")),
        "--out",
        s(&d("rep-sc").join("report.html")),
    ]);

    let html = d("rep").join("report.html");
    ok(&["report", s(&d("fc")), "--out", s(&html)]);
    // run, assimilate, forecast and its re-run, scenario, two reports.
    assert_all_valid(dir.path(), 7);
    let page = read(&html);
    assert!(
        page.contains("narraguagus (01022500): discharge"),
        "fan chart title"
    );
    assert!(page.contains("Chance of exceeding thresholds"));
    let Some(chromium) = didymos_report::chromium::Chromium::find() else {
        didymos_core::skipped!(
            "chromium not installed (apt-get install chromium): flood report not rendered"
        );
        return;
    };
    let dom = chromium.dump_dom(&html).unwrap();
    let fan = &dom[dom.find("id=\"fig-fan-discharge-01022500\"").unwrap()..];
    let fan = &fan[..fan.find("</svg>").unwrap()];
    for series in ["band-90", "band-50", "median"] {
        let at = fan.find(series).unwrap_or_else(|| panic!("{series} drawn"));
        assert!(fan[at..].contains(" d=\"M"), "{series} has a path");
    }
}

/// The flood twin's live loop: `forecast --until` assimilates the discharge
/// observed since the checkpoint first, and gives what assimilating to
/// that day and forecasting would, bit for bit. The command-line options
/// that only epidemic twins have are refused, not ignored, and
/// `assimilate --members/--seed` apply.
#[test]
fn flood_forecast_until_updates_first_and_unknown_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = |x: &str| dir.path().join(x);
    let spec = "data/flood/twin.toml";
    let assimilate = |until: &str, out: &str| {
        let stdout = ok(&[
            "assimilate",
            spec,
            "--until",
            until,
            "--members",
            "40",
            "--seed",
            "9",
            "--out",
            s(&d(out)),
        ]);
        assert!(stdout.contains("40 members"), "{stdout}");
    };
    assimilate("2002-03-01", "a1");
    assimilate("2002-03-10", "a2");
    let ck = |a: &str| d(a).join("checkpoint.bin");
    let stdout = ok(&[
        "forecast",
        "--checkpoint",
        s(&ck("a1")),
        "--until",
        "2002-03-10",
        "--out",
        s(&d("f1")),
    ]);
    assert!(stdout.contains("forecast from 2002-03-10"), "{stdout}");
    ok(&[
        "forecast",
        "--checkpoint",
        s(&ck("a2")),
        "--out",
        s(&d("f2")),
    ]);
    assert_eq!(
        read(&d("f1").join("discharge_forecast.csv")),
        read(&d("f2").join("discharge_forecast.csv"))
    );
    let (a2, f3, sc, a3) = (ck("a2"), d("f3"), d("sc"), d("a3"));
    let forecast = |more: &[&'static str]| {
        let mut all = vec!["forecast", "--checkpoint", s(&a2), "--out", s(&f3)];
        all.extend(more);
        all
    };
    let scenario = vec![
        "scenario",
        spec,
        "--scenarios",
        "data/flood/scenarios.toml",
        "--from-checkpoint",
        s(&a2),
        "--observations",
        "x.csv",
        "--out",
        s(&sc),
    ];
    let assimilate = vec![
        "assimilate",
        spec,
        "--observations",
        "x.csv",
        "--out",
        s(&a3),
    ];
    for (all, expect) in [
        (
            forecast(&["--until", "2002-03-01"]),
            "before the checkpoint's day",
        ),
        (forecast(&["--trajectories"]), "for epidemic twins"),
        (
            forecast(&["--spec", "data/spain/twin.toml"]),
            "is an epidemic twin spec, but the checkpoint",
        ),
        (forecast(&["--observations", "x.csv"]), "for epidemic twins"),
        (scenario, "for epidemic twins"),
        (assimilate, "for epidemic twins"),
    ] {
        let out = didymos(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(expect), "{err}");
    }
}
