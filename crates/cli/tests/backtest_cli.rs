//! `didymos backtest` on the bundled 2020 Spain twin with two streams:
//! each stream gets its own summary, since WIS is on each stream's scale,
//! with the trend and ensemble companions beside the twin.

use std::path::Path;
use std::process::Command;

mod common;
use common::spain_inputs_with_observations;

#[test]
fn two_streams_are_summarised_separately_and_scored_in_one_file() {
    let (dir, spain) = spain_inputs_with_observations();
    let deaths = "\n[[assimilation.stream]]\ncolumn = \"new_deaths\"\n\
                  observable = \"new_deaths\"\ndispersion = 10.0\n\
                  delay_mean = 3.0\ndelay_sd = 2.0\ndelay_max = 14\n";
    let text = std::fs::read_to_string(spain.join("twin-2020.toml"))
        .unwrap()
        .replace("end = \"2020-12-31\"", "end = \"2020-06-30\"")
        + deaths
        // Persistence for the trend: its median must then be flat.
        + "\n[assimilation.companions]\ndamping = 0.0\n";
    let spec = dir.path().join("twin.toml");
    std::fs::write(&spec, text).unwrap();
    let out = dir.path().join("bt");
    let run = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args(["backtest", spec.to_str().unwrap(), "--from", "2020-05-01"])
        .args(["--to", "2020-05-08", "--horizon", "14", "--members", "20"])
        .args(["--out", out.to_str().unwrap(), "--keep-forecasts"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for block in [
        "new_hospitalized locations:",
        "new_hospitalized total:",
        "new_deaths locations:",
        "new_deaths total:",
    ] {
        assert!(stdout.contains(block), "no {block:?} in\n{stdout}");
    }
    // The companions are summarised under each block and scored per row;
    // only admissions have a leading column (cases) in the spec.
    let count = |what: &str| stdout.matches(what).count();
    assert_eq!(count("ensemble (twin + companions)"), 4, "{stdout}");
    assert_eq!(count("trend (damped, log scale)"), 4);
    assert_eq!(count("lead (ratio to leading column)"), 2);
    let scores = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    let has = |stream: &str, who: &str| {
        scores.lines().any(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f[1] == stream && f[4] == who
        })
    };
    for stream in ["new_hospitalized", "new_deaths"] {
        for who in ["model", "baseline", "trend", "ensemble"] {
            assert!(has(stream, who), "no {stream} {who} rows in scores.csv");
        }
    }
    assert!(has("new_hospitalized", "lead"));
    assert!(!has("new_deaths", "lead"));
    // summary.csv: the printed tables as rows, the twin's matching stdout.
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut lines = summary.lines();
    assert_eq!(
        lines.next(),
        Some(
            "stream,scope,forecaster,weeks_ahead,n,wis,baseline_wis,relative_wis,\
             coverage_50,coverage_90,bias,crps,baseline_crps,relative_crps"
        )
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // 2 scopes × 2 weeks × (4 forecasters for admissions, 3 for deaths).
    assert_eq!(rows.len(), 28, "{summary}");
    let twin_week1 = rows
        .iter()
        .find(|r| {
            r[0] == "new_hospitalized" && r[1] == "locations" && r[2] == "model" && r[3] == "1"
        })
        .expect("twin week 1 row");
    let rel: f64 = twin_week1[7].parse().unwrap();
    assert!(
        stdout.contains(&format!("{rel:.3}")),
        "relative WIS {rel} not printed:\n{stdout}"
    );
    // The twin has samples, so a CRPS (printed relative to the
    // baseline's); the companions have quantiles only, so none.
    let rel_crps: f64 = twin_week1[13].parse().unwrap();
    assert!(rel_crps > 0.0 && stdout.contains(&format!("{rel_crps:.3}")));
    for r in &rows {
        assert_eq!(r[11].is_empty(), r[2] != "model", "{r:?}");
    }
    parquet_holds_the_csv_rows(&out);
    kept_forecasts_give_the_scores(&out, &scores);
    calibration_matches_the_kept_forecasts(&out, &summary);
    trend_medians_are_flat(&scores);
    report_of_the_backtest(&out, dir.path(), &summary);
}

fn didymos(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args(args)
        .output()
        .unwrap()
}

fn succeeds(args: &[&str]) {
    let run = didymos(args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// `didymos report` on the backtest's folder: the summary's figures in its
/// tables, a map of the provinces, and per horizon a chart of the kept
/// forecasts whose points are the observed weekly sums.
fn report_of_the_backtest(out: &Path, dir: &Path, summary: &str) {
    let geojson =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/spain/spain_provinces.geojson");
    let html = dir.join("report/report.html");
    succeeds(&[
        "report",
        out.to_str().unwrap(),
        "--geojson",
        geojson.to_str().unwrap(),
        "--geojson-id",
        "cod_prov",
        "--areas",
        "28",
        "--out",
        html.to_str().unwrap(),
    ]);
    let page = std::fs::read_to_string(&html).unwrap();
    // Every summary row of admissions is a table row with its figures.
    let mut rows = 0;
    for line in summary.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[0] != "new_hospitalized" {
            continue;
        }
        let label = match f[2] {
            "model" => "twin",
            other => other,
        };
        let rel: f64 = f[7].parse().unwrap();
        let row = format!(
            "<tr><th scope=\"row\">{label}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{rel:.3}</td>",
            f[3], f[4]
        );
        assert!(page.contains(&row), "no {row} in the report");
        rows += 1;
    }
    assert_eq!(rows, 16);
    // How often the ranges held: the ensemble's, the twin's and the
    // baseline's tables, each 90% row with calibration.csv's shares.
    let calibration = std::fs::read_to_string(out.join("calibration.csv")).unwrap();
    for (who, label) in [
        ("ensemble", "ensemble"),
        ("model", "twin"),
        ("baseline", "baseline"),
    ] {
        let title = format!("How often the {label}&#39;s ranges held");
        let title_plain = format!("How often the {label}'s ranges held");
        assert!(
            page.contains(&title) || page.contains(&title_plain),
            "no {title_plain}"
        );
        let share = |k: &str| -> String {
            let line = calibration
                .lines()
                .map(|l| l.split(',').collect::<Vec<_>>())
                .find(|f| {
                    f[..4] == ["new_hospitalized", "locations", who, k]
                        && f[5] == "central"
                        && f[6] == "0.9"
                })
                .unwrap_or_else(|| panic!("no 90% line for {who} week {k}"));
            format!("{}%", (100.0 * line[7].parse::<f64>().unwrap()).round())
        };
        let row = format!(
            "<tr><th scope=\"row\">90%</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            share("1"),
            share("2")
        );
        assert!(page.contains(&row), "no {row} for {who} in the report");
        // Where the outcomes fell: week 1's share below the median.
        let below = calibration
            .lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| {
                f[..4] == ["new_hospitalized", "locations", who, "1"]
                    && f[5] == "below"
                    && f[6] == "0.5"
            })
            .unwrap();
        let cell = format!("<tr><th scope=\"row\">{label}</th><td class=\"num\">1</td>");
        let at = page.rfind(&cell).unwrap_or_else(|| panic!("no {cell}"));
        let half = format!("{}%", (100.0 * below[7].parse::<f64>().unwrap()).round());
        let cells: Vec<&str> = page[at..]
            .split("<td class=\"num\">")
            .skip(1)
            .take(4)
            .collect();
        assert!(
            cells[3].starts_with(&format!("{half}<")),
            "{cells:?} vs {half}"
        );
    }
    assert!(page.contains("Where the outcomes fell"));
    // Relative WIS by origin: the ensemble's summed WIS over the
    // baseline's, over the provinces, for each origin and week.
    let scores = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    let rows_of = |origin: &str, k: &str, who: &str| -> Vec<(String, f64)> {
        scores
            .lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f[0] == origin && f[1] == "new_hospitalized" && f[2] != "total")
            .filter(|f| f[3] == k && f[4] == who)
            .map(|f| (f[2].to_string(), f[7].parse::<f64>().unwrap()))
            .collect()
    };
    let cell = |origin: &str, k: &str| {
        let ensemble = rows_of(origin, k, "ensemble");
        let theirs: f64 = ensemble.iter().map(|r| r.1).sum();
        // The baseline on the same targets only.
        let baseline: f64 = rows_of(origin, k, "baseline")
            .iter()
            .filter(|b| ensemble.iter().any(|e| e.0 == b.0))
            .map(|b| b.1)
            .sum();
        format!("{:.2}", theirs / baseline)
    };
    let row = format!(
        "<tr><th scope=\"row\">2020-05-01</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
        cell("2020-05-01", "1"),
        cell("2020-05-01", "2")
    );
    assert!(page.contains("Relative WIS of the ensemble by origin"));
    assert!(page.contains(&row), "no {row} in the report");
    // One map, and two horizons for the total and for Madrid.
    let figures = dir.join("report/figures");
    let mut names: Vec<String> = std::fs::read_dir(&figures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "backtest-new_hospitalized-28-1w.svg",
            "backtest-new_hospitalized-28-2w.svg",
            "backtest-new_hospitalized-total-1w.svg",
            "backtest-new_hospitalized-total-2w.svg",
            "map-relative-wis-ensemble.svg",
        ]
    );
    // The chart's points are the kept truths of the targets 1 week on.
    let kept = std::fs::read_to_string(out.join("forecasts.csv")).unwrap();
    let mut truths: Vec<String> = kept
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[1] == "new_hospitalized" && f[2] == "total" && f[3] == "1" && f[5] == "0.5")
        .filter(|f| f[4] == "ensemble")
        .map(|f| {
            let end = f[0].parse::<didymos_core::Date>().unwrap().add_days(7);
            format!(
                "<title>{end}: observed {}</title>",
                group(f[7].parse().unwrap())
            )
        })
        .collect();
    truths.sort();
    let svg =
        std::fs::read_to_string(figures.join("backtest-new_hospitalized-total-1w.svg")).unwrap();
    assert_eq!(truths.len(), 2);
    for t in &truths {
        assert!(svg.contains(t), "{t} not in the chart");
    }

    // Without kept forecasts the report says how to get them; a summary
    // without a column it needs is an error naming the file and column.
    let bare = dir.join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    for f in ["scores.csv", "summary.csv"] {
        std::fs::copy(out.join(f), bare.join(f)).unwrap();
    }
    let html = dir.join("bare-report/report.html");
    succeeds(&[
        "report",
        bare.to_str().unwrap(),
        "--out",
        html.to_str().unwrap(),
    ]);
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("--keep-forecasts"));
    let text = std::fs::read_to_string(bare.join("summary.csv")).unwrap();
    std::fs::write(
        bare.join("summary.csv"),
        text.replace("relative_wis", "rel"),
    )
    .unwrap();
    let run = didymos(&[
        "report",
        bare.to_str().unwrap(),
        "--out",
        html.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        err.contains("summary.csv") && err.contains("relative_wis"),
        "{err}"
    );
}

/// A count as the report writes it: thousands grouped with commas.
fn group(v: f64) -> String {
    let digits = format!("{}", v.round() as i64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// With `damping = 0` in `[assimilation.companions]` the trend holds last
/// week's level: the same median at every horizon of an origin.
fn trend_medians_are_flat(scores: &str) {
    use std::collections::BTreeMap;
    let mut medians: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
    for l in scores.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if f[4] == "trend" {
            let key = (f[0].to_string(), f[1].to_string(), f[2].to_string());
            medians.entry(key).or_default().push(f[6].parse().unwrap());
        }
    }
    assert!(medians.values().any(|m| m.len() == 2));
    for (key, m) in &medians {
        assert!(m.iter().all(|x| x == &m[0]), "{key:?}: {m:?}");
    }
}

/// forecasts.csv holds, for every row of scores.csv, the 23 Hub quantiles
/// that were scored: recomputing WIS from them (pinball form, independent
/// of the crate's interval form) and reading off the median give the
/// scored values.
fn kept_forecasts_give_the_scores(out: &Path, scores: &str) {
    use std::collections::BTreeMap;
    let kept = std::fs::read_to_string(out.join("forecasts.csv")).unwrap();
    let mut lines = kept.lines();
    assert_eq!(
        lines.next(),
        Some("origin,stream,location,weeks_ahead,forecaster,quantile,value,truth")
    );
    // origin, stream, location, weeks ahead, forecaster.
    type Key = Vec<String>;
    let key_of = |f: &[&str]| -> Key { f[..5].iter().map(|x| x.to_string()).collect() };
    let mut by_key: BTreeMap<Key, (Vec<(f64, f64)>, f64)> = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let key = key_of(&f);
        let e = by_key.entry(key).or_insert((Vec::new(), 0.0));
        e.0.push((f[5].parse().unwrap(), f[6].parse().unwrap()));
        e.1 = f[7].parse().unwrap();
    }
    let scored: Vec<Vec<&str>> = scores
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(by_key.len(), scored.len());
    for r in &scored {
        let key = key_of(r);
        let (q, truth) = &by_key[&key];
        assert_eq!(q.len(), 23, "{key:?}");
        assert_eq!(*truth, r[5].parse::<f64>().unwrap());
        let y = *truth;
        let pinball: f64 = q
            .iter()
            .map(|&(tau, v)| {
                if y >= v {
                    tau * (y - v)
                } else {
                    (1.0 - tau) * (v - y)
                }
            })
            .sum();
        // WIS = 2/(2K+1) Σ pinball over the 2K+1 = 23 levels.
        let wis = 2.0 * pinball / 23.0;
        let scored_wis: f64 = r[7].parse().unwrap();
        assert!(
            (wis - scored_wis).abs() <= 1e-9 * (1.0 + wis),
            "{key:?}: {wis} vs {scored_wis}"
        );
        let median = q.iter().find(|p| p.0 == 0.5).unwrap().1;
        assert_eq!(median, r[6].parse::<f64>().unwrap(), "{key:?}");
    }
}

/// calibration.csv holds, per stream, scope, forecaster and horizon, the
/// share of outcomes inside each central range and below each quantile:
/// recomputed here from the kept quantiles. Its 50% and 90% shares are the
/// summary's coverage.
fn calibration_matches_the_kept_forecasts(out: &Path, summary: &str) {
    use std::collections::BTreeMap;
    let text = std::fs::read_to_string(out.join("calibration.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("stream,scope,forecaster,weeks_ahead,n,kind,level,observed")
    );
    // (stream, scope, forecaster, weeks) → per forecast: levels/values, truth.
    type Key = (String, String, String, String);
    // One forecast (its key, origin and location): (level, value) pairs, truth.
    type Forecast = (Vec<(f64, f64)>, f64);
    let kept = std::fs::read_to_string(out.join("forecasts.csv")).unwrap();
    let mut forecasts: BTreeMap<(Key, String, String), Forecast> = BTreeMap::new();
    for l in kept.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let scope = if f[2] == "total" {
            "total"
        } else {
            "locations"
        };
        let key = (
            f[1].to_string(),
            scope.to_string(),
            f[4].to_string(),
            f[3].to_string(),
        );
        let e = forecasts
            .entry((key, f[0].to_string(), f[2].to_string()))
            .or_insert((Vec::new(), 0.0));
        e.0.push((f[5].parse().unwrap(), f[6].parse().unwrap()));
        e.1 = f[7].parse().unwrap();
    }
    let mut expected: BTreeMap<(Key, String, String), (f64, usize)> = BTreeMap::new();
    for ((key, _, _), (q, y)) in &forecasts {
        let y = *y;
        let at = |level: f64| q.iter().find(|p| (p.0 - level).abs() < 1e-9).unwrap().1;
        for &(level, v) in q {
            let below = if y < v {
                1.0
            } else if y == v {
                0.5
            } else {
                0.0
            };
            let e = expected
                .entry((key.clone(), "below".into(), format!("{level}")))
                .or_insert((0.0, 0));
            e.0 += below;
            e.1 += 1;
            if level < 0.5 {
                let inside = at(level) <= y && y <= at(1.0 - level);
                let nominal = ((1.0 - 2.0 * level) * 1e9).round() / 1e9;
                let e = expected
                    .entry((key.clone(), "central".into(), format!("{nominal}")))
                    .or_insert((0.0, 0));
                e.0 += f64::from(u8::from(inside));
                e.1 += 1;
            }
        }
    }
    let mut seen = 0;
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let key = (
            f[0].to_string(),
            f[1].to_string(),
            f[2].to_string(),
            f[3].to_string(),
        );
        let (sum, n) = expected[&(key, f[5].to_string(), f[6].to_string())];
        assert_eq!(f[4].parse::<usize>().unwrap(), n, "{l}");
        let got: f64 = f[7].parse().unwrap();
        assert!(
            (got - sum / n as f64).abs() < 1e-12,
            "{l}: {}",
            sum / n as f64
        );
        seen += 1;
    }
    assert_eq!(seen, expected.len(), "lines missing from calibration.csv");
    // 11 central ranges and 23 levels per forecaster, scope and horizon.
    assert_eq!(seen % 34, 0);
    for line in summary.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        for (nominal, column) in [("0.5", 8), ("0.9", 9)] {
            let c = text
                .lines()
                .map(|l| l.split(',').collect::<Vec<_>>())
                .find(|c| c[..4] == f[..4] && c[5] == "central" && c[6] == nominal)
                .unwrap_or_else(|| panic!("no {nominal} line for {line}"));
            let (a, b): (f64, f64) = (c[7].parse().unwrap(), f[column].parse().unwrap());
            assert!((a - b).abs() < 1e-12, "{line}: {a} vs {b}");
        }
    }
}

/// pyarrow (an independent reader) finds in scores.parquet the rows of
/// scores.csv, typed.
fn parquet_holds_the_csv_rows(out: &Path) {
    let script = r#"
import csv, sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1] + "/scores.parquet")
types = {f.name: str(f.type) for f in t.schema}
assert types["origin"] == "date32[day]" and types["weeks_ahead"] == "int32", types
assert types["wis"] == "double" and types["covered_90"] == "bool", types
assert types["bias"] == "double" and types["crps"] == "double", types
assert t.schema.field("crps").nullable and not t.schema.field("bias").nullable
rows = list(csv.DictReader(open(sys.argv[1] + "/scores.csv")))
got = t.to_pylist()
assert len(rows) == len(got) > 0, (len(rows), len(got))
for r, g in zip(rows, got):
    assert r["origin"] == g["origin"].isoformat(), (r, g)
    for k in ("stream", "location", "forecaster"):
        assert r[k] == g[k], (r, g)
    assert int(r["weeks_ahead"]) == g["weeks_ahead"], (r, g)
    for k in ("truth", "median", "wis", "bias"):
        assert float(r[k]) == g[k], (k, r, g)
    # A CRPS for the forecasters with samples, null for the others.
    assert (r["crps"] == "") == (g["crps"] is None), (r, g)
    assert (g["crps"] is None) == (g["forecaster"] not in ("model", "baseline")), g
    if g["crps"] is not None:
        assert float(r["crps"]) == g["crps"], (r, g)
    for k in ("covered_50", "covered_90"):
        assert (r[k] == "true") == g[k], (k, r, g)
print(len(got))
"#;
    let Ok(run) = Command::new("python3")
        .args(["-c", script, out.to_str().unwrap()])
        .output()
    else {
        didymos_core::skipped!("python3 not found — scores.parquet not checked by pyarrow");
        return;
    };
    let stderr = String::from_utf8_lossy(&run.stderr);
    if stderr.contains("No module named 'pyarrow'") {
        didymos_core::skipped!(
            "pyarrow not installed (pip install pyarrow) — scores.parquet not checked by an independent reader"
        );
        return;
    }
    assert!(run.status.success(), "{stderr}");
}

/// Origins near the end of the record: horizons whose target weeks end
/// after the last data date have nothing to score, and say so instead of
/// printing scores of nothing (−0.0 and NaN); origins with nothing at all
/// to score are refused up front, with the range that can be.
#[test]
fn horizons_past_the_record_are_reported_as_empty() {
    let (dir, spain) = spain_inputs_with_observations();
    let text = std::fs::read_to_string(spain.join("twin-2020.toml"))
        .unwrap()
        .replace("end = \"2020-12-31\"", "end = \"2020-06-30\"");
    let spec = dir.path().join("twin.toml");
    std::fs::write(&spec, text).unwrap();
    let out = dir.path().join("bt");
    let backtest = |from: &str| {
        let run = Command::new(env!("CARGO_BIN_EXE_didymos"))
            .args([
                "backtest",
                spec.to_str().unwrap(),
                "--from",
                from,
                "--to",
                from,
            ])
            .args(["--horizon", "14", "--members", "10"])
            .args(["--out", out.to_str().unwrap()])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout).to_string();
        assert!(run.status.success(), "{stdout}");
        // Scores of nothing would print as NaN and −0.0 (a bias of −0.06
        // is fine).
        let negative_zero = stdout
            .split(|c: char| c.is_whitespace() || "(),".contains(c))
            .any(|t| t.starts_with("-0") && t[1..].parse::<f64>() == Ok(0.0));
        assert!(!stdout.contains("NaN") && !negative_zero, "{stdout}");
        stdout
    };
    // From 06-20 the first week (06-21..27) is scored, the second (to
    // 07-04) is not: in both tables (provinces, total).
    let stdout = backtest("2020-06-20");
    let empty = "      2      0   nothing scored: no target week ends within the data";
    assert_eq!(stdout.matches(empty).count(), 2, "{stdout}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary
        .lines()
        .skip(1)
        .all(|l| l.split(',').nth(3) == Some("1")));
    // From 06-24 not even the first week is whole: refused before the
    // filter runs, with the last origin that can be scored.
    let refused = |from: &str, to: &str, horizon: &str| {
        let run = Command::new(env!("CARGO_BIN_EXE_didymos"))
            .args([
                "backtest",
                spec.to_str().unwrap(),
                "--from",
                from,
                "--to",
                to,
            ])
            .args(["--horizon", horizon, "--members", "10"])
            .args(["--out", out.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(!run.status.success());
        String::from_utf8_lossy(&run.stderr).to_string()
    };
    let err = refused("2020-06-24", "2020-06-30", "14");
    assert!(
        err.contains("no origin from --from 2020-06-24 to --to 2020-06-30 can be scored")
            && err.contains("the latest origin that can be scored is 2020-06-23"),
        "{err}"
    );
    // The persistence baseline, beside which everything is scored, needs
    // the two whole weeks up to the origin: the twin starts on 02-09.
    let err = refused("2020-02-16", "2020-02-16", "14");
    assert!(
        err.contains("two whole weeks of data up to it")
            && err.contains("the earliest origin that can be scored is 2020-02-22"),
        "{err}"
    );
    // Each condition on the options is named on its own.
    let err = refused("2020-05-01", "2020-05-01", "5");
    assert!(
        err.contains("--horizon 5") && err.contains("at least 7"),
        "{err}"
    );
    let err = refused("2020-05-08", "2020-05-01", "14");
    assert!(
        err.contains("--from 2020-05-08 is after --to 2020-05-01"),
        "{err}"
    );

    let run = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args(["forecast", "--checkpoint", "missing.bin", "--horizon", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success() && stderr.contains("--horizon 0"),
        "{stderr}"
    );
}
