//! Properties of the Parquet file itself: row groups, schema, encodings,
//! and that a reader other than ours agrees with what we wrote.

use std::fs::File;
use std::path::Path;
use std::process::Command;

use didymos_core::Date;
use didymos_store::{read_tidy, Format, TidyWriter, MAX_ROW_GROUP_ROWS};
use parquet::basic::{
    Compression, ConvertedType, Encoding, LogicalType, Repetition, Type as PhysicalType,
};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{FileReader, SerializedFileReader};

fn metadata(path: &Path) -> ParquetMetaData {
    SerializedFileReader::new(File::open(path).unwrap())
        .unwrap()
        .metadata()
        .clone()
}

const PATCHES: [&str; 5] = ["01001", "01002", "Álava", "a,b", "x\"y"];

/// Cheap deterministic row `i`.
fn row(i: usize) -> (Date, &'static str, &'static str, &'static str, f64) {
    let date = Date::from_days_since_epoch(18_000 + (i / 40_000) as i32);
    let age = ["Y", "M", "O"][i % 3];
    let var = ["S", "E", "A", "I"][(i / 3) % 4];
    (
        date,
        PATCHES[(i / 12) % PATCHES.len()],
        age,
        var,
        i as f64 * 0.25 - 1000.0,
    )
}

#[test]
fn more_than_one_row_group_round_trips() {
    let n = MAX_ROW_GROUP_ROWS + 12_345;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.parquet");
    let mut w = TidyWriter::create(&path, Format::Parquet).unwrap();
    for i in 0..n {
        let (d, p, a, v, x) = row(i);
        w.push(d, p, a, v, x).unwrap();
    }
    w.finish().unwrap();

    let md = metadata(&path);
    let groups: Vec<i64> = md.row_groups().iter().map(|g| g.num_rows()).collect();
    assert_eq!(groups, [MAX_ROW_GROUP_ROWS as i64, 12_345]);
    assert_eq!(md.file_metadata().num_rows(), n as i64);

    let back = read_tidy(&path).unwrap();
    assert_eq!(back.len(), n);
    for (i, r) in back.iter().enumerate() {
        let (d, p, a, v, x) = row(i);
        assert!(
            r.date == d
                && r.patch == p
                && r.age_group == a
                && r.variable == v
                && r.value.to_bits() == x.to_bits(),
            "row {i}: {r:?} != {:?}",
            row(i)
        );
    }
}

#[test]
fn schema_has_the_documented_columns_and_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.parquet");
    let mut w = TidyWriter::create(&path, Format::Parquet).unwrap();
    for i in 0..10_000 {
        let (d, p, a, v, x) = row(i);
        w.push(d, p, a, v, x).unwrap();
    }
    w.finish().unwrap();

    let md = metadata(&path);
    let schema = md.file_metadata().schema_descr();
    let cols: Vec<_> = schema
        .columns()
        .iter()
        .map(|c| {
            (
                c.name().to_string(),
                c.physical_type(),
                c.logical_type(),
                c.converted_type(),
            )
        })
        .collect();
    assert_eq!(
        cols,
        [
            (
                "date".into(),
                PhysicalType::INT32,
                Some(LogicalType::Date),
                ConvertedType::DATE
            ),
            (
                "patch".into(),
                PhysicalType::BYTE_ARRAY,
                Some(LogicalType::String),
                ConvertedType::UTF8
            ),
            (
                "age_group".into(),
                PhysicalType::BYTE_ARRAY,
                Some(LogicalType::String),
                ConvertedType::UTF8
            ),
            (
                "variable".into(),
                PhysicalType::BYTE_ARRAY,
                Some(LogicalType::String),
                ConvertedType::UTF8
            ),
            (
                "value".into(),
                PhysicalType::DOUBLE,
                None,
                ConvertedType::NONE
            ),
        ]
    );
    for c in schema.columns() {
        assert_eq!(
            c.self_type().get_basic_info().repetition(),
            Repetition::REQUIRED,
            "{}",
            c.name()
        );
    }

    let rg = md.row_group(0);
    for (i, c) in rg.columns().iter().enumerate() {
        assert_eq!(c.compression(), Compression::SNAPPY, "column {i}");
        let dict = c
            .encodings()
            .iter()
            .any(|e| matches!(e, Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY));
        if (1..=3).contains(&i) {
            assert!(
                dict,
                "string column {i} is not dictionary encoded: {:?}",
                c.encodings()
            );
        }
    }
}

fn pyarrow_available() -> bool {
    Command::new("python3")
        .args(["-c", "import pyarrow"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

const PY_READ: &str = r#"
import sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
print(t.num_rows)
print(repr(sum(t.column("value").to_pylist())))
print(t.column("date")[0].as_py().isoformat())
print(",".join(f"{f.name}:{f.type}" for f in t.schema))
print(t.column("patch")[int(sys.argv[2])].as_py())
"#;

#[test]
fn pyarrow_reads_what_we_write() {
    if !pyarrow_available() {
        didymos_core::skipped!(
            "pyarrow not installed (pip install pyarrow) — independent Parquet reader check not run"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("py.parquet");
    let n = 250_000;
    let mut w = TidyWriter::create(&path, Format::Parquet).unwrap();
    let mut sum = 0.0;
    for i in 0..n {
        let (d, p, a, v, _) = row(i);
        // Values whose sum depends on the order: pyarrow must see exactly ours.
        let x = (i as f64).sqrt() / 7.0;
        sum += x;
        w.push(d, p, a, v, x).unwrap();
    }
    w.finish().unwrap();

    let probe = 12 * 2 + 5; // a row whose patch is "Álava"
    let out = Command::new("python3")
        .args(["-c", PY_READ, path.to_str().unwrap(), &probe.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "pyarrow failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert_eq!(lines[0].parse::<usize>().unwrap(), n);
    assert_eq!(
        lines[1].parse::<f64>().unwrap().to_bits(),
        sum.to_bits(),
        "sum {} vs {sum}",
        lines[1]
    );
    assert_eq!(lines[2], row(0).0.to_string());
    assert_eq!(
        lines[3],
        "date:date32[day],patch:string,age_group:string,variable:string,value:double"
    );
    assert_eq!(lines[4], row(probe).1);
    assert_eq!(lines[4], "Álava");
}
