//! `didymos backtest` on a flood spec: rolling origins over the validation
//! year, scored per lead day for the assimilating twin, the open loop and
//! persistence, with provenance, a bit-identical re-run and a report;
//! bad arguments are clear errors.

use std::path::Path;

mod common;
use common::{assert_all_valid, didymos, ok, s};

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn flood_backtest_scores_three_forecasters_per_lead() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bt");
    let stdout = ok(&[
        "backtest",
        "data/flood/twin.toml",
        "--from",
        "2002-01-07",
        "--to",
        "2002-06-24",
        "--every",
        "14d",
        "--horizon",
        "5",
        "--members",
        "100",
        "--out",
        s(&out),
    ]);
    assert!(
        stdout.contains("13 origins 2002-01-07..2002-06-24 every 14 d"),
        "{stdout}"
    );
    assert!(stdout.contains("perfect meteorology"), "{stdout}");
    // The closing line lists every file written, scores.parquet included.
    let wrote = stdout
        .lines()
        .find(|l| l.starts_with("wrote "))
        .unwrap_or("");
    for f in [
        "scores.csv",
        "scores.parquet",
        "summary.csv",
        "calibration.csv",
    ] {
        assert!(wrote.contains(f), "{f} missing from: {wrote}");
    }

    // scores.csv: a row per origin, lead and forecaster.
    let scores = read(&out.join("scores.csv"));
    let header = scores.lines().next().unwrap();
    assert!(header.starts_with("origin,target_date,lead_days,forecaster,observed_mm_day,median"));
    assert_eq!(scores.lines().count(), 1 + 13 * 5 * 3);
    assert!(!scores.lines().any(|l| l.starts_with("2002-06-25")));
    for f in ["twin", "open_loop", "persistence"] {
        assert_eq!(
            scores
                .lines()
                .filter(|l| l.split(',').nth(3) == Some(f))
                .count(),
            13 * 5
        );
    }

    // scores.parquet: the same rows, typed.
    let parquet = std::fs::read(out.join("scores.parquet")).unwrap();
    assert!(parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"));
    let counted = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); \
             print(t.num_rows, t.schema.field('lead_days').type, t.schema.field('covered_90').type)",
            s(&out.join("scores.parquet")),
        ])
        .output();
    match counted {
        Ok(o) if o.status.success() => {
            assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "195 int32 bool")
        }
        _ => didymos_core::skipped!(
            "pyarrow not installed (pip install pyarrow) — scores.parquet not read back"
        ),
    }

    // summary.csv: per lead and forecaster; persistence is the reference.
    let summary = read(&out.join("summary.csv"));
    let rows: Vec<Vec<&str>> = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 5 * 3);
    let rel = |lead: &str, f: &str| -> f64 {
        let r = rows.iter().find(|r| r[0] == lead && r[1] == f).unwrap();
        r[5].parse().unwrap()
    };
    for lead in ["1", "2", "3", "4", "5"] {
        assert_eq!(rel(lead, "persistence"), 1.0);
        // Assimilation helps: the twin beats its own open loop.
        assert!(
            rel(lead, "twin") < rel(lead, "open_loop"),
            "lead {lead}: {summary}"
        );
    }
    // By the last lead, the twin (with known rain) beats persistence.
    assert!(rel("5", "twin") < 1.0, "{summary}");

    report_of_the_flood_backtest(&out, dir.path(), &summary, &scores);

    // Provenance, and a re-run gives the same bytes.
    let rec = didymos_prov::load(&out).unwrap();
    assert_eq!(rec.command, "backtest");
    let again = ok(&["rerun", s(&out), "--out", s(&dir.path().join("again"))]);
    assert!(again.contains("bit-identical: 4 outputs"), "{again}");
    assert_all_valid(dir.path(), 3);
}

/// `didymos report` on the folder: every summary row as a table row, the
/// share of observed discharges below the twin's median at lead 1
/// (recomputed here from scores.csv), and the twin's forecasts charted at
/// the first and last lead.
fn report_of_the_flood_backtest(out: &Path, dir: &Path, summary: &str, scores: &str) {
    let html = dir.join("report/report.html");
    ok(&["report", s(out), "--out", s(&html)]);
    let page = read(&html);
    for line in summary.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let rel: f64 = f[5].parse().unwrap();
        let row = format!(
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{rel:.3}</td>",
            f[1], f[0], f[2]
        );
        assert!(page.contains(&row), "no {row} in the report");
    }
    let (mut below, mut n) = (0.0, 0.0);
    for l in scores.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if f[2] == "1" && f[3] == "twin" {
            let (y, median): (f64, f64) = (f[4].parse().unwrap(), f[5].parse().unwrap());
            below += if y < median {
                1.0
            } else if y == median {
                0.5
            } else {
                0.0
            };
            n += 1.0;
        }
    }
    let at = page
        .find("Where the outcomes fell")
        .expect("no calibration table");
    let row = "<tr><th scope=\"row\">twin</th><td class=\"num\">1</td>";
    let cells: Vec<&str> = page[at..]
        .split(row)
        .nth(1)
        .unwrap()
        .split("<td class=\"num\">")
        .skip(1)
        .take(3)
        .collect();
    let want = format!("{:.0}%<", 100.0 * below / n);
    assert!(cells[2].starts_with(&want), "{cells:?} vs {want}");
    // calibration.csv holds the same share, and 2 ranges and 5 levels per
    // forecaster and lead.
    let calibration = read(&out.join("calibration.csv"));
    let mut lines = calibration.lines();
    assert_eq!(
        lines.next(),
        Some("forecaster,lead_days,n,kind,level,observed")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3 * 5 * 7);
    let line = rows
        .iter()
        .find(|f| f[..2] == ["twin", "1"] && f[3] == "below" && f[4] == "0.5")
        .expect("twin lead 1 below the median");
    let share: f64 = line[5].parse().unwrap();
    assert!(
        (share - below / n).abs() < 1e-12,
        "{share} vs {}",
        below / n
    );
    assert_eq!(line[2].parse::<f64>().unwrap(), n);
    let mut figures: Vec<String> = std::fs::read_dir(dir.join("report/figures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    figures.sort();
    assert_eq!(
        figures,
        ["backtest-discharge-1d.svg", "backtest-discharge-5d.svg"]
    );
    // Quantiles edited so they cross: an error naming the file and line.
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::copy(out.join("summary.csv"), bad.join("summary.csv")).unwrap();
    let mut lines: Vec<String> = scores.lines().map(String::from).collect();
    let mut f: Vec<&str> = lines[3].split(',').collect();
    f.swap(6, 8);
    lines[3] = f.join(",");
    std::fs::write(bad.join("scores.csv"), lines.join("\n")).unwrap();
    let run = didymos(&[
        "report",
        s(&bad),
        "--out",
        s(&dir.join("bad-report/r.html")),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        err.contains("scores.csv, line 4") && err.contains("quantiles cross"),
        "{err}"
    );
}

#[test]
fn flood_backtest_rejects_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let fails = |extra: &[&str], want: &str| {
        let mut args = vec!["backtest", "data/flood/twin.toml", "--out", s(&out)];
        args.extend_from_slice(extra);
        let o = didymos(&args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    let span = ["--from", "2002-03-04", "--to", "2002-04-01"];
    fails(
        &[&span[..], &["--horizon", "7", "--keep-forecasts"]].concat(),
        "--keep-forecasts is for epidemic twins",
    );
    fails(
        &[
            "--from",
            "2001-06-01",
            "--to",
            "2002-04-01",
            "--horizon",
            "7",
        ],
        "must come after the calibration period",
    );
    fails(
        &[
            "--from",
            "2002-03-04",
            "--to",
            "2002-12-30",
            "--horizon",
            "7",
        ],
        "must end by the end of the record",
    );
    fails(
        &[
            "--from",
            "2002-03-04",
            "--to",
            "2002-04-01",
            "--horizon",
            "100000",
        ],
        "must end by the end of the record",
    );
    fails(&[&span[..], &["--every", "0"]].concat(), "--every 0");
    fails(&[&span[..], &["--every", "1w"]].concat(), "--every 1w");
    fails(
        &[&span[..], &["--horizon", "0"]].concat(),
        "--horizon must be at least 1",
    );
    fails(
        &[&span[..], &["--members", "0"]].concat(),
        "--members must be at least 1",
    );
    fails(
        &[
            "--from",
            "2002-05-01",
            "--to",
            "2002-04-01",
            "--horizon",
            "7",
        ],
        "is after --to",
    );
    fails(
        &[&span[..], &["--observations", "data/flood/twin.toml"]].concat(),
        "--observations is not used with a flood spec",
    );
    assert!(!out.exists(), "nothing written on bad arguments");
}
