//! `didymos replay --spec`: the record an epidemic spec reads, sent as the
//! ingest contract's records. Checked against the CSV read here: one
//! record per row and column, streams renamed, the days outside the
//! twin's range left out, revisions sent issue by issue with their
//! `issued` date, in the order they were published.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

mod common;
use common::{s, spain_inputs_with_observations};

const OBS: &str = "spain_provinces_covid19_daily_by_age_2020.csv";

fn replay(args: &[&str]) -> (bool, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .arg("replay")
        .args(args)
        .args(["--to", "stdout"])
        .output()
        .unwrap();
    let records = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        out.status.success(),
        records,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (stream, time, location, stratum, value, issued) of each record.
type Row = (String, String, String, String, String, String);

fn row(r: &Value) -> Row {
    let text = |k: &str| match &r[k] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    (
        text("stream"),
        text("time"),
        text("location"),
        text("stratum"),
        format!("{}", r["value"].as_f64().unwrap()),
        text("issued"),
    )
}

#[test]
fn a_specs_record_is_replayed_column_by_column_and_issue_by_issue() {
    let (dir, spain) = spain_inputs_with_observations();
    let spec = spain.join("twin-2020.toml");
    // The twin starts on 2020-02-09: January is left out.
    let (ok, records, err) = replay(&[
        "--spec",
        s(&spec),
        "--stream",
        "new_hospitalized=hosp",
        "--stream",
        "new_cases",
        "--until",
        "2020-02-10",
    ]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(spain.join(OBS)).unwrap();
    let mut expected = BTreeSet::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[0] < "2020-02-09" || f[0] > "2020-02-10" {
            continue;
        }
        for (stream, value) in [("hosp", f[4]), ("new_cases", f[3])] {
            let v: f64 = value.parse().unwrap();
            expected.insert((
                stream.to_string(),
                f[0].to_string(),
                f[1].to_string(),
                f[2].to_string(),
                format!("{v}"),
                String::new(),
            ));
        }
    }
    let got: BTreeSet<Row> = records.iter().map(row).collect();
    assert_eq!(got.len(), records.len(), "a record sent twice");
    assert_eq!(got, expected);

    // A record with revisions: Madrid's admissions of 03-01 (age group Y)
    // first issued as 1, then as 4 on 03-04; the other rows issued on
    // their dates.
    let mut lines = vec![format!("{},issued", text.lines().next().unwrap())];
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[0] == "2020-03-01" && f[1] == "28" && f[2] == "Y" {
            lines.push(format!("{},{},{},{},1,{},", f[0], f[1], f[2], f[3], f[5]));
            lines.push(format!(
                "{},{},{},{},4,{},2020-03-04",
                f[0], f[1], f[2], f[3], f[5]
            ));
        } else {
            lines.push(format!("{line},"));
        }
    }
    std::fs::write(dir.path().join("vintages.csv"), lines.join("\n") + "\n").unwrap();
    let issued_spec = dir.path().join("issued.toml");
    let spec_text = std::fs::read_to_string(&spec)
        .unwrap()
        .replace(OBS, "vintages.csv")
        .replace(
            "stratum_column = \"age_group\"\n",
            "stratum_column = \"age_group\"\nissued_column = \"issued\"\n",
        );
    std::fs::write(&issued_spec, spec_text).unwrap();
    let (ok, records, err) = replay(&[
        "--spec",
        s(&issued_spec),
        "--from",
        "2020-03-01",
        "--until",
        "2020-03-04",
    ]);
    assert!(ok, "{err}");
    let rows: Vec<Row> = records.iter().map(row).collect();
    let madrid: Vec<&Row> = rows
        .iter()
        .filter(|r| r.0 == "new_hospitalized" && r.1 == "2020-03-01" && r.2 == "28" && r.3 == "Y")
        .collect();
    let first = ("1".to_string(), "2020-03-01".to_string());
    let revised = ("4".to_string(), "2020-03-04".to_string());
    let issues: Vec<(String, String)> = madrid.iter().map(|r| (r.4.clone(), r.5.clone())).collect();
    assert_eq!(issues, [first, revised]);
    // Every record says when it was issued, in the order published; a
    // day's records come before the next day's revisions.
    assert!(rows.iter().all(|r| r.5 >= r.1 && !r.5.is_empty()));
    assert!(
        rows.windows(2).all(|w| w[0].5 <= w[1].5),
        "not in issue order"
    );
    // Only the revised column of the revised row is sent again.
    assert_eq!(rows.iter().filter(|r| r.5 != r.1).count(), 1);

    // Bad requests say what is wrong.
    let (ok, _, err) = replay(&["--spec", s(&spec), "--stream", "no_such=x"]);
    assert!(
        !ok && err.contains("--stream") && err.contains("new_hospitalized"),
        "{err}"
    );
    let (ok, _, err) = replay(&["--spec", s(&spec), "--stream", "new_cases="]);
    assert!(!ok && err.contains("COLUMN=NAME"), "{err}");
    // Naming a column sends only it.
    let (ok, records, err) = replay(&[
        "--spec",
        s(&spec),
        "--stream",
        "new_cases",
        "--until",
        "2020-02-09",
    ]);
    assert!(ok, "{err}");
    assert!(!records.is_empty() && records.iter().all(|r| r["stream"] == "new_cases"));
    let flood = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/flood/twin.toml");
    let (ok, _, err) = replay(&["--spec", s(&flood)]);
    assert!(!ok && err.contains("flood"), "{err}");
    let (ok, _, err) = replay(&[s(&spain.join(OBS)), "--spec", s(&spec)]);
    assert!(!ok && err.contains("cannot be used with"), "{err}");
}

/// `--from`, `--until` and `--stream` select from an observation FILE too
/// (they were once ignored there: every record was sent), by the day each
/// record became available (`issued`, else `time`, in UTC); an inverted
/// range is an error, not an empty replay.
#[test]
fn a_files_records_are_selected_by_day_and_stream_and_an_inverted_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("obs.csv");
    std::fs::write(
        &file,
        "stream,time,location,value,issued\n\
         cases,2020-02-08,01,1,\n\
         hosp,2020-02-09,01,2,\n\
         cases,2020-02-10,01,3,\n\
         cases,2020-02-09,01,4,2020-02-11\n\
         hosp,2020-02-11T23:30:00Z,01,5,\n\
         cases,2020-02-12,01,6,\n",
    )
    .unwrap();
    let values = |args: &[&str]| {
        let mut all = vec![s(&file)];
        all.extend_from_slice(args);
        let (ok, records, err) = replay(&all);
        assert!(ok, "{args:?}: {err}");
        let got: Vec<(String, f64)> = records
            .iter()
            .map(|r| {
                (
                    r["stream"].as_str().unwrap().to_string(),
                    r["value"].as_f64().unwrap(),
                )
            })
            .collect();
        (got, err)
    };
    let v = |pairs: &[(&str, f64)]| -> Vec<(String, f64)> {
        pairs.iter().map(|(s, x)| (s.to_string(), *x)).collect()
    };
    let (all, _) = values(&[]);
    assert_eq!(all.len(), 6);
    let (until, err) = values(&["--until", "2020-02-10"]);
    assert_eq!(until, v(&[("cases", 1.0), ("hosp", 2.0), ("cases", 3.0)]));
    assert!(err.contains("replayed 3 of 3"), "{err}");
    // The revision issued on the 11th and the record late on the 11th (UTC).
    let (day, _) = values(&["--from", "2020-02-11", "--until", "2020-02-11"]);
    assert_eq!(day, v(&[("cases", 4.0), ("hosp", 5.0)]));
    let (hosp, _) = values(&["--stream", "hosp=admissions", "--from", "2020-02-10"]);
    assert_eq!(hosp, v(&[("admissions", 5.0)]));
    let (ok, _, err) = replay(&[s(&file), "--stream", "deaths"]);
    assert!(
        !ok && err.contains("--stream") && err.contains("`deaths`") && err.contains("cases, hosp"),
        "{err}"
    );
    let spec = common::repo().join("data/spain/twin-2020.toml");
    for source in [vec![s(&file)], vec!["--spec", s(&spec)]] {
        let mut args = source.clone();
        args.extend(["--from", "2020-12-01", "--until", "2020-11-01"]);
        let (ok, records, err) = replay(&args);
        assert!(
            !ok && records.is_empty()
                && err.contains("--from")
                && err.contains("2020-12-01 is after --until 2020-11-01"),
            "{args:?}: {err}"
        );
    }
}
