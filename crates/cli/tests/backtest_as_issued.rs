//! `didymos backtest` on a record with revisions (an `issued` column): the
//! real 2020 admissions, each April–May day first published at half its
//! count and completed ten days later. Each origin's forecasts, and the
//! baseline's, come from the record as it stood that day; every score's
//! truth is the final count, the same as a backtest on the final record.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

mod common;
use common::spain_inputs_with_observations;

const OBS: &str = "spain_provinces_covid19_daily_by_age_2020.csv";

/// The 2020 file with an `issued` column: April–May admissions first at
/// half (rounded down), complete ten days later; the rest final at once.
fn write_vintages(from: &Path, to: &Path) {
    let text = std::fs::read_to_string(from).unwrap();
    let mut lines = vec![format!("{},issued", text.lines().next().unwrap())];
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let date: didymos_core::Date = cells[0].parse().unwrap();
        let hosp: u64 = cells[4].parse().unwrap();
        if !cells[0].starts_with("2020-04") && !cells[0].starts_with("2020-05") || hosp < 2 {
            lines.push(format!("{line},"));
            continue;
        }
        let mut first: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        first[4] = (hosp / 2).to_string();
        lines.push(format!("{},{date}", first.join(",")));
        lines.push(format!("{line},{}", date.add_days(10)));
    }
    std::fs::write(to, lines.join("\n") + "\n").unwrap();
}

type Key = (String, String, String, String);

/// Scores by (origin, location, weeks ahead, forecaster): (truth, median, WIS).
fn scores(out: &Path) -> HashMap<Key, (f64, f64, f64)> {
    let mut r = csv::Reader::from_path(out.join("scores.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (o, l, w, f, t, m, x) = (
        col("origin"),
        col("location"),
        col("weeks_ahead"),
        col("forecaster"),
        col("truth"),
        col("median"),
        col("wis"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let key = (rec[o].into(), rec[l].into(), rec[w].into(), rec[f].into());
            let num = |i: usize| rec[i].parse::<f64>().unwrap();
            (key, (num(t), num(m), num(x)))
        })
        .collect()
}

#[test]
fn each_origin_sees_the_record_as_issued_and_is_scored_on_the_final_one() {
    let (dir, spain) = spain_inputs_with_observations();
    write_vintages(&spain.join(OBS), &dir.path().join("vintages.csv"));
    let base = std::fs::read_to_string(spain.join("twin-2020.toml"))
        .unwrap()
        .replace("end = \"2020-12-31\"", "end = \"2020-06-30\"");
    let revised = base.replace(OBS, "vintages.csv").replace(
        "stratum_column = \"age_group\"",
        "stratum_column = \"age_group\"\nissued_column = \"issued\"",
    );
    let run = |name: &str, text: &str| {
        let spec = dir.path().join(format!("{name}.toml"));
        std::fs::write(&spec, text).unwrap();
        let out = dir.path().join(name);
        let run = Command::new(env!("CARGO_BIN_EXE_didymos"))
            .args(["backtest", spec.to_str().unwrap()])
            .args([
                "--from",
                "2020-05-01",
                "--to",
                "2020-05-15",
                "--horizon",
                "14",
            ])
            .args(["--members", "20", "--out", out.to_str().unwrap()])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout).to_string();
        assert!(
            run.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
        (stdout, scores(&out))
    };
    let (final_out, final_scores) = run("final", &base);
    let (issued_out, issued_scores) = run("issued", &revised);
    assert!(!final_out.contains("as issued"), "{final_out}");
    assert!(
        issued_out.contains("as issued") && issued_out.contains("3 of 3 origins"),
        "{issued_out}"
    );
    assert_eq!(final_scores.len(), issued_scores.len());
    let mut moved = HashMap::<String, usize>::new();
    for (key, (truth, median, _)) in &issued_scores {
        let (final_truth, final_median, _) = final_scores[key];
        assert_eq!(
            *truth, final_truth,
            "{key:?}: scored on a provisional value"
        );
        if *median != final_median {
            *moved.entry(key.3.clone()).or_default() += 1;
        }
    }
    // Every forecaster saw the provisional values: the twin, the baseline
    // and the companions alike.
    for who in ["model", "baseline", "trend", "ensemble"] {
        assert!(
            moved.get(who).copied().unwrap_or(0) > 0,
            "{who} unchanged: {moved:?}"
        );
    }
    // Read as if final, the half-reported last days drag the twin's
    // forecasts down; read as incomplete (the default), less (here 1,524
    // against 1,721, and 900 on the final record).
    let raw = revised.replace(
        "\nissued_column = \"issued\"\n",
        "\nissued_column = \"issued\"\nnowcast = false\n",
    );
    let (_, raw_scores) = run("raw", &raw);
    let week1 = |s: &HashMap<Key, (f64, f64, f64)>| -> f64 {
        s.iter()
            .filter(|(k, _)| k.2 == "1" && k.3 == "model" && k.1 != "total")
            .map(|(_, v)| v.2)
            .sum()
    };
    let (fin, nowcast, read_as_final) = (
        week1(&final_scores),
        week1(&issued_scores),
        week1(&raw_scores),
    );
    assert!(
        nowcast < read_as_final,
        "week-1 WIS: final record {fin}, as issued read as incomplete {nowcast}, read as final {read_as_final}"
    );
}
