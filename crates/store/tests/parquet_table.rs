//! Typed Parquet tables (`write_parquet_table`), read back by pyarrow, an
//! independent reader.

use std::process::Command;

use didymos_core::Date;
use didymos_store::{write_csv_table, write_parquet_table, Column};

const PY_READ: &str = r#"
import sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
print(",".join(f"{f.name}:{f.type}" for f in t.schema))
for row in t.to_pylist():
    print(row["when"].isoformat(), row["name"], row["n"], repr(row["x"]), row["ok"], row["maybe"])
"#;

fn columns() -> Vec<(&'static str, Column)> {
    vec![
        (
            "when",
            Column::Date(vec![
                Date::from_ymd(2020, 9, 1).unwrap(),
                Date::from_ymd(2020, 12, 15).unwrap(),
            ]),
        ),
        ("name", Column::Text(vec!["Álava".into(), "total".into()])),
        ("n", Column::Int(vec![1, -4])),
        ("x", Column::Float(vec![0.1 + 0.2, 1e300])),
        ("ok", Column::Bool(vec![true, false])),
        ("maybe", Column::MaybeFloat(vec![None, Some(2.5)])),
    ]
}

#[test]
fn pyarrow_reads_a_typed_table() {
    let ok = Command::new("python3")
        .args(["-c", "import pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        didymos_core::skipped!(
            "pyarrow not installed (pip install pyarrow) — independent Parquet reader check not run"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    write_parquet_table(&path, &columns()).unwrap();
    let out = Command::new("python3")
        .args(["-c", PY_READ, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "when:date32[day],name:string,n:int32,x:double,ok:bool,maybe:double",
            "2020-09-01 Álava 1 0.30000000000000004 True None",
            "2020-12-15 total -4 1e+300 False 2.5",
        ]
    );
}

#[test]
fn columns_of_different_lengths_are_an_error_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let mut cols = columns();
    cols[2] = ("n", Column::Int(vec![1]));
    let err = write_parquet_table(&path, &cols).unwrap_err().to_string();
    assert!(
        err.contains("column `n` has 1 rows, the first has 2"),
        "{err}"
    );
    assert!(!path.exists());
}

#[test]
fn the_same_columns_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    write_csv_table(&path, &columns()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], ["when", "name", "n", "x", "ok", "maybe"]);
    assert_eq!(
        lines[1],
        [
            "2020-09-01",
            "Álava",
            "1",
            "0.30000000000000004",
            "true",
            ""
        ]
    );
    assert_eq!(lines[2][..3], ["2020-12-15", "total", "-4"]);
    // Floats round-trip exactly.
    assert_eq!(
        lines[2][3].parse::<f64>().unwrap().to_bits(),
        1e300_f64.to_bits()
    );
    assert_eq!(lines[2][4..], ["false", "2.5"]);
}
