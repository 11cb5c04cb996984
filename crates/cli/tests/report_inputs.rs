//! `didymos report` on damaged backtest folders: each damage an error
//! naming the file, line and column and what was expected, within
//! seconds, never a report that shows the damage as a result. The folders
//! are small ones written here in the backtests' own formats (running a
//! backtest for each would take minutes); `backtest_cli.rs` and
//! `flood_backtest_cli.rs` check the report on real ones.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::s;

/// An epidemic backtest's folder: two origins, one location and the
/// total, the twin and the baseline, one week ahead.
fn epidemic(dir: &Path) {
    let mut summary = String::from(
        "stream,scope,forecaster,weeks_ahead,n,wis,baseline_wis,relative_wis,\
         coverage_50,coverage_90,bias,crps,baseline_crps,relative_crps\n",
    );
    let mut scores = String::from(
        "origin,stream,location,weeks_ahead,forecaster,truth,median,wis,\
         covered_50,covered_90,bias,crps\n",
    );
    let mut forecasts =
        String::from("origin,stream,location,weeks_ahead,forecaster,quantile,value,truth\n");
    let mut calibration =
        String::from("stream,scope,forecaster,weeks_ahead,n,kind,level,observed\n");
    for who in ["model", "baseline"] {
        for scope in ["locations", "total"] {
            summary += &format!("hosp,{scope},{who},1,2,3,4,0.75,0.5,1,0.1,3,4,0.75\n");
        }
        for origin in ["2020-10-01", "2020-10-08"] {
            for place in ["01", "total"] {
                scores += &format!("{origin},hosp,{place},1,{who},40,42,3.5,true,true,0.2,4\n");
                for (level, value) in [(0.05, 30), (0.25, 36), (0.5, 42), (0.75, 48), (0.95, 60)] {
                    forecasts += &format!("{origin},hosp,{place},1,{who},{level},{value},40\n");
                }
            }
        }
        for (kind, level) in [("central", 0.5), ("central", 0.9), ("below", 0.05)] {
            calibration += &format!("hosp,locations,{who},1,2,{kind},{level},0.5\n");
        }
    }
    write(dir, "summary.csv", &summary);
    write(dir, "scores.csv", &scores);
    write(dir, "forecasts.csv", &forecasts);
    write(dir, "calibration.csv", &calibration);
}

/// A flood backtest's folder: two origins, leads 1 and 2, three
/// forecasters.
fn flood(dir: &Path) {
    let mut summary = String::from(
        "lead_days,forecaster,n,crps,wis,relative_wis,coverage_50,coverage_90,\
         nse_median,kge_median\n",
    );
    let mut scores = String::from(
        "origin,target_date,lead_days,forecaster,observed_mm_day,median,q05,q25,q75,q95,\
         crps,wis,covered_50,covered_90\n",
    );
    for who in ["twin", "open_loop", "persistence"] {
        for lead in [1, 2] {
            summary += &format!("{lead},{who},2,0.5,0.4,1,0.5,1,0.7,0.6\n");
            for (origin, day) in [("2002-03-01", 1), ("2002-03-08", 8)] {
                let target = format!("2002-03-{:02}", day + lead);
                scores += &format!("{origin},{target},{lead},{who},6,5,3,4,6,8,1,0.9,true,true\n");
            }
        }
    }
    write(dir, "summary.csv", &summary);
    write(dir, "scores.csv", &scores);
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A damage to one file of a folder.
enum Edit {
    /// On line `n` (header = 1), `from` becomes `to`.
    Line(usize, &'static str, &'static str),
    /// Every `from` becomes `to`.
    All(&'static str, &'static str),
    /// Line `n` once more at the end.
    Repeat(usize),
    /// Line `n` once more, with `from` as `to`.
    RepeatWith(usize, &'static str, &'static str),
    /// Line `n` removed.
    Drop(usize),
    HeaderOnly,
    Missing,
    Directory,
}

fn damage(path: &Path, edit: &Edit) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    match *edit {
        Edit::Line(n, from, to) => {
            assert!(lines[n - 1].contains(from), "{from} not on line {n}");
            lines[n - 1] = lines[n - 1].replacen(from, to, 1);
        }
        Edit::All(from, to) => lines = lines.iter().map(|l| l.replace(from, to)).collect(),
        Edit::Repeat(n) => lines.push(lines[n - 1].clone()),
        Edit::RepeatWith(n, from, to) => lines.push(lines[n - 1].replacen(from, to, 1)),
        Edit::Drop(n) => {
            lines.remove(n - 1);
        }
        Edit::HeaderOnly => lines.truncate(1),
        Edit::Missing | Edit::Directory => {
            std::fs::remove_file(path).unwrap();
            if let Edit::Directory = edit {
                std::fs::create_dir(path).unwrap();
            }
            return;
        }
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// `didymos report dir`'s exit status and standard error, failing the test
/// if it runs past a minute (the axis once listed every day of the span).
fn report(dir: &Path, extra: &[&str]) -> (bool, String) {
    let err = dir.with_extension("stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args(["report", s(dir), "--out", s(&dir.join("out/report.html"))])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("report on {} ran past a minute", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.success(), std::fs::read_to_string(err).unwrap())
}

#[test]
fn damaged_backtest_folders_are_errors_naming_file_line_and_column() {
    use Edit::*;
    let tmp = tempfile::tempdir().unwrap();
    // The undamaged folders report.
    for (name, make) in [("epidemic", epidemic as fn(&Path)), ("flood", flood)] {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        make(&dir);
        let (ok, err) = report(&dir, &[]);
        assert!(ok, "{name}: {err}");
    }
    // (name, epidemic or not, file, damage, what the error must say).
    #[rustfmt::skip]
    let cases: &[(&str, bool, &str, Edit, &[&str])] = &[
        // 1: implausible horizons and dates, which once hung the chart's axis.
        ("huge weeks ahead", true, "forecasts.csv", Line(2, ",1,model", ",300000000,model"),
            &["forecasts.csv, line 2, field `weeks_ahead`", "from 1 to 520"]),
        // A year of more than four digits is no date at all; one before
        // 1000 is a date, but not one a backtest writes.
        ("far origin", true, "scores.csv", Line(2, "2020-10-01", "1000000-10-01"),
            &["scores.csv, line 2, field `origin`", "not a date"]),
        ("early origin", true, "scores.csv", Line(2, "2020-10-01", "0999-10-01"),
            &["scores.csv, line 2, field `origin`", "1000..=9999"]),
        ("far flood target", false, "scores.csv", Line(2, "2002-03-02", "900000-01-01"),
            &["scores.csv, line 2, field `target_date`", "not a date"]),
        // 2
        ("summary missing", true, "summary.csv", Missing, &["summary.csv: missing", "scores.csv"]),
        ("scores a directory", true, "scores.csv", Directory,
            &["scores.csv: expected a CSV file", "summary.csv"]),
        ("flood scores missing", false, "scores.csv", Missing, &["scores.csv: missing"]),
        // 3
        ("no 0.05 quantile", true, "forecasts.csv", Drop(7),
            &["/forecasts.csv, field `quantile`", "no 0.05 quantile", "model", "total",
              "2020-10-01", "1 weeks ahead"]),
        ("level 1.5", true, "forecasts.csv", Line(7, ",0.05,", ",1.5,"),
            &["forecasts.csv, line 7, field `quantile`", "strictly between 0 and 1"]),
        ("level 0", true, "forecasts.csv", Line(7, ",0.05,", ",0,"),
            &["forecasts.csv, line 7, field `quantile`"]),
        // 4
        ("falling quantiles", true, "forecasts.csv", Line(9, ",42,", ",20,"),
            &["forecasts.csv, line 9, field `value`", "line 8", "must not fall"]),
        // 5
        ("forecasts header only", true, "forecasts.csv", HeaderOnly,
            &["forecasts.csv: has no rows"]),
        ("total renamed", true, "forecasts.csv", All(",total,", ",all,"),
            &["forecasts.csv, field `location`", "`total`"]),
        ("stream renamed in scores", true, "scores.csv", All(",hosp,", ",deaths,"),
            &["summary.csv, field `stream`", "no rows for `deaths`"]),
        // 6
        ("forecaster renamed", true, "forecasts.csv", Line(2, ",model,", ",ensembel,"),
            &["forecasts.csv, line 2, field `forecaster`", "`ensemble`", "`ensembel`"]),
        ("forecasts a directory", true, "forecasts.csv", Directory,
            &["forecasts.csv: expected a CSV file"]),
        ("calibration a directory", true, "calibration.csv", Directory,
            &["calibration.csv: expected a CSV file"]),
        // 7
        ("relative WIS < 0", true, "summary.csv", Line(2, ",0.75,0.5,", ",-1,0.5,"),
            &["summary.csv, line 2, field `relative_wis`", "≥ 0"]),
        ("coverage 7", true, "summary.csv", Line(2, ",0.5,1,", ",7,1,"),
            &["summary.csv, line 2, field `coverage_50`", "[0, 1]"]),
        ("bias 12", true, "summary.csv", Line(2, ",0.1,", ",12,"),
            &["summary.csv, line 2, field `bias`", "[-1, 1]"]),
        ("n 2.5", true, "summary.csv", Line(2, ",1,2,", ",1,2.5,"),
            &["summary.csv, line 2, field `n`"]),
        ("weeks ahead 1.5", true, "summary.csv", Line(2, ",1,2,", ",1.5,2,"),
            &["summary.csv, line 2, field `weeks_ahead`"]),
        ("observed share 1.5", true, "calibration.csv", Line(2, ",0.5,0.5", ",0.5,1.5"),
            &["calibration.csv, line 2, field `observed`", "[0, 1]"]),
        ("calibration level 1", true, "calibration.csv", Line(2, "central,0.5,", "central,1,"),
            &["calibration.csv, line 2, field `level`"]),
        ("negative WIS", true, "scores.csv", Line(2, ",3.5,", ",-3.5,"),
            &["scores.csv, line 2, field `wis`", "≥ 0"]),
        ("flood CRPS < 0", false, "summary.csv", Line(2, ",0.5,0.4,", ",-0.5,0.4,"),
            &["summary.csv, line 2, field `crps`"]),
        ("flood coverage 2", false, "summary.csv", Line(2, ",0.5,1,", ",0.5,2,"),
            &["summary.csv, line 2, field `coverage_90`"]),
        ("flood lead 1.5", false, "summary.csv", Line(2, "1,twin", "1.5,twin"),
            &["summary.csv, line 2, field `lead_days`"]),
        ("flood observed < 0", false, "scores.csv", Line(2, ",6,5,", ",-6,5,"),
            &["scores.csv, line 2, field `observed_mm_day`", "≥ 0"]),
        // 8
        ("calibration twice", true, "calibration.csv", RepeatWith(2, ",0.5,0.5", ",0.5,0.25"),
            &["calibration.csv, line 8, field `level`", "line 2"]),
        ("summary twice", true, "summary.csv", RepeatWith(2, ",0.75,", ",0.5,"),
            &["summary.csv, line 6, field `stream`", "line 2"]),
        ("forecast twice", true, "forecasts.csv", RepeatWith(2, ",30,", ",31,"),
            &["forecasts.csv, line 42, field `quantile`", "line 2"]),
        ("truths differ", true, "forecasts.csv", Line(3, ",40", ",41"),
            &["forecasts.csv, line 3, field `truth`", "line 2"]),
        ("scores twice", true, "scores.csv", Repeat(3), &["scores.csv, line 10", "line 3"]),
        ("flood scores twice", false, "scores.csv", Repeat(2), &["scores.csv, line 14", "line 2"]),
        // 9
        ("unknown forecaster", true, "summary.csv", Line(2, ",model,", ",mystery,"),
            &["summary.csv, line 2, field `forecaster`", "`model`", "`mystery`"]),
        ("unknown scope", true, "summary.csv", Line(2, ",locations,", ",provinces,"),
            &["summary.csv, line 2, field `scope`", "`locations`, `total`"]),
        ("unknown kind", true, "calibration.csv", Line(2, ",central,", ",middle,"),
            &["calibration.csv, line 2, field `kind`", "`central`, `below`"]),
        ("unknown flood forecaster", false, "scores.csv", Line(2, ",twin,", ",twinn,"),
            &["scores.csv, line 2, field `forecaster`", "`open_loop`"]),
        ("summary header only", true, "summary.csv", HeaderOnly, &["summary.csv: has no rows"]),
        ("scores header only", true, "scores.csv", HeaderOnly, &["scores.csv: has no rows"]),
        ("flood scores header only", false, "scores.csv", HeaderOnly,
            &["scores.csv: has no rows"]),
        // 10
        ("target not origin + lead", false, "scores.csv", Line(2, "2002-03-02", "2002-03-05"),
            &["scores.csv, line 2, field `target_date`", "2002-03-02"]),
        ("lead 0", false, "scores.csv", Line(2, ",1,twin", ",0,twin"),
            &["scores.csv, line 2, field `lead_days`"]),
        // 11: q05 3, q25 4, median 5, q75 6, q95 8.
        ("q25 out of order", false, "scores.csv", Line(2, ",3,4,", ",3,100,"),
            &["scores.csv, line 2, field `q25`", "quantiles cross"]),
        ("median out of order", false, "scores.csv", Line(2, ",6,5,3,", ",6,1,3,"),
            &["scores.csv, line 2, field `median`", "quantiles cross"]),
        // 12
        ("flood summary without lead", false, "summary.csv", All("lead_days,", "lead,"),
            &["summary.csv, line 1, field `lead_days`", "missing column"]),
        // 13
        ("origin with a tail", true, "scores.csv", Line(2, "2020-10-01", "2020-10-01Tjunk"),
            &["scores.csv, line 2, field `origin`"]),
        ("origin in year 999999", true, "scores.csv", Line(2, "2020-10-01", "999999-12-31"),
            &["scores.csv, line 2, field `origin`"]),
    ];
    for (i, (name, epi, file, edit, wanted)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("case{i}"));
        std::fs::create_dir(&dir).unwrap();
        if *epi {
            epidemic(&dir)
        } else {
            flood(&dir)
        }
        damage(&dir.join(file), edit);
        let (ok, err) = report(&dir, &[]);
        assert!(!ok, "{name}: the report succeeded");
        assert!(!err.contains("panicked"), "{name}: {err}");
        for w in *wanted {
            assert!(err.contains(w), "{name}: no {w:?} in\n{err}");
        }
        assert!(
            err.contains(s(&dir)),
            "{name}: the path is not named in\n{err}"
        );
    }
}

#[test]
fn a_folder_of_nothing_says_what_it_should_hold() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, err) = report(tmp.path(), &[]);
    assert!(!ok);
    for w in [
        "scenarios.json",
        "report-data.json",
        "summary.csv and scores.csv",
    ] {
        assert!(err.contains(w), "no {w:?} in\n{err}");
    }
    // 15: the help names every kind of folder it reads.
    let help = common::ok(&["report", "--help"]);
    let first = help.lines().next().unwrap_or_default();
    assert!(
        first.contains("backtest") && first.contains("flood"),
        "{help}"
    );
}
