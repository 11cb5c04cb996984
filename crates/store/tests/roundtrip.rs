//! Both formats must give back exactly what was written: same rows, same
//! order, same f64 bits, same (awkward) ids.

use std::path::Path;

use didymos_core::{Date, Error};
use didymos_store::{read_tidy, Format, TidyRow, TidyWriter};

const AWKWARD_VALUES: [f64; 16] = [
    0.0,
    -0.0,
    1e-300,
    1.0 / 3.0,
    123456789.123,
    5e-324, // smallest subnormal
    f64::MIN_POSITIVE,
    f64::MAX,
    -f64::MAX,
    0.1 + 0.2,
    -2.5,
    1e21,
    1e-7,
    9007199254740993.0,
    std::f64::consts::PI,
    -123.0,
];

const PATCHES: [&str; 7] = [
    "Álava",
    "01001_AM",
    "a,b",
    "say \"hi\"",
    "",
    " padded ",
    "日本\n改行",
];
const AGES: [&str; 3] = ["Y", "M", "O,ld"];
const VARIABLES: [&str; 4] = ["S", "I", "new_cases", "déjà vu"];

fn awkward_rows() -> Vec<TidyRow> {
    let start: Date = "1899-12-30".parse().unwrap();
    let mut rows = Vec::new();
    let mut k = 0usize;
    for d in 0..30 {
        // Jump across 1970 so negative day numbers are covered too.
        let date = start.add_days(d * 1500);
        for patch in PATCHES {
            for age in AGES {
                for var in VARIABLES {
                    // Alternate awkward constants with computed values.
                    let value = match k % 2 {
                        0 => AWKWARD_VALUES[(k / 2) % AWKWARD_VALUES.len()],
                        _ => (k as f64).sqrt() * 1e-3 - 17.0,
                    };
                    rows.push(TidyRow {
                        date,
                        patch: patch.to_string(),
                        age_group: age.to_string(),
                        variable: var.to_string(),
                        value,
                    });
                    k += 1;
                }
            }
        }
    }
    rows
}

fn write_all(path: &Path, format: Format, rows: &[TidyRow]) {
    let mut w = TidyWriter::create(path, format).unwrap();
    for r in rows {
        w.push(r.date, &r.patch, &r.age_group, &r.variable, r.value)
            .unwrap();
    }
    assert_eq!(w.rows_written(), rows.len() as u64);
    assert_eq!(w.finish().unwrap(), path);
}

fn assert_bit_exact(expected: &[TidyRow], got: &[TidyRow]) {
    assert_eq!(expected.len(), got.len(), "row count");
    for (i, (e, g)) in expected.iter().zip(got).enumerate() {
        assert_eq!(
            (e.date, &e.patch, &e.age_group, &e.variable),
            (g.date, &g.patch, &g.age_group, &g.variable),
            "row {i}"
        );
        assert_eq!(
            e.value.to_bits(),
            g.value.to_bits(),
            "row {i}: {} vs {}",
            e.value,
            g.value
        );
    }
}

#[test]
fn round_trip_is_bit_exact_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let rows = awkward_rows();
    assert!(rows.len() > 2000);
    for format in Format::ALL {
        let path = dir.path().join(format!("out.{}", format.extension()));
        write_all(&path, format, &rows);
        let back = read_tidy(&path).unwrap();
        assert_bit_exact(&rows, &back);
    }
}

#[test]
fn empty_output_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for format in Format::ALL {
        let path = dir.path().join(format!("empty.{format}"));
        write_all(&path, format, &[]);
        assert!(read_tidy(&path).unwrap().is_empty());
    }
}

#[test]
fn csv_text_has_exact_header_quoting_and_shortest_floats() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    let d: Date = "2020-03-16".parse().unwrap();
    let mut w = TidyWriter::create(&path, Format::Csv).unwrap();
    w.push(d, "a,b", "say \"hi\"", "Álava", 0.1 + 0.2).unwrap();
    w.push(d, "01001_AM", "Y", "I", -0.0).unwrap();
    w.push(d, "01001_AM", "Y", "I", 1.0 / 3.0).unwrap();
    w.finish().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "date,patch,age_group,variable,value\n\
         2020-03-16,\"a,b\",\"say \"\"hi\"\"\",Álava,0.30000000000000004\n\
         2020-03-16,01001_AM,Y,I,-0\n\
         2020-03-16,01001_AM,Y,I,0.3333333333333333\n"
    );
}

#[test]
fn non_finite_values_are_rejected_naming_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let d: Date = "2020-03-16".parse().unwrap();
    for format in Format::ALL {
        let path = dir.path().join(format!("nan.{format}"));
        let mut w = TidyWriter::create(&path, format).unwrap();
        w.push(d, "01001", "Y", "S", 1.0).unwrap();
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = w.push(d, "Álava", "M", "new_cases", bad).unwrap_err();
            assert!(matches!(err, Error::Numerical(_)), "{err:?}");
            let msg = err.to_string();
            for part in [
                "2020-03-16",
                "Álava",
                "\"M\"",
                "new_cases",
                &bad.to_string(),
            ] {
                assert!(msg.contains(part), "`{part}` missing from: {msg}");
            }
        }
        // The bad rows were not written and the writer is still usable.
        assert_eq!(w.rows_written(), 1);
        w.push(d, "01001", "Y", "S", 2.0).unwrap();
        w.finish().unwrap();
        let back = read_tidy(&path).unwrap();
        assert_eq!(back.iter().map(|r| r.value).collect::<Vec<_>>(), [1.0, 2.0]);
    }
}

#[test]
fn bad_csv_rows_are_reported_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    let header = "date,patch,age_group,variable,value\n";
    let cases = [
        (
            "2020-03-16,p,Y,S,1\n2020-03-17,p,Y,S,abc\n",
            3,
            Some("value"),
            "abc",
        ),
        (
            "2020-03-16,p,Y,S,1\n2020-03-16,\"multi\nline\",Y,S,1\n2020-03-17,p,Y,S,NaN\n",
            5,
            Some("value"),
            "NaN",
        ),
        ("2020-02-30,p,Y,S,1\n", 2, Some("date"), "2020-02-30"),
        ("2020-03-16,p,Y,S\n", 2, None, "fields"),
    ];
    for (body, line, field, needle) in cases {
        std::fs::write(&path, format!("{header}{body}")).unwrap();
        let err = read_tidy(&path).unwrap_err();
        let Error::Input { at, msg } = &err else {
            panic!("not an input error: {err:?}")
        };
        assert_eq!(at.file.as_deref(), Some(path.as_path()), "{err}");
        assert_eq!(at.line, Some(line), "{err}");
        assert_eq!(at.field.as_deref(), field, "{err}");
        assert!(msg.contains(needle), "{err}");
    }

    std::fs::write(&path, "date,patch,age,variable,value\n").unwrap();
    let err = read_tidy(&path).unwrap_err().to_string();
    assert!(
        err.contains("line 1") && err.contains("date,patch,age_group,variable,value"),
        "{err}"
    );
}

#[test]
fn format_parses_displays_and_checks_extensions() {
    assert_eq!("parquet".parse::<Format>().unwrap(), Format::Parquet);
    assert_eq!("csv".parse::<Format>().unwrap(), Format::Csv);
    let err = "xlsx".parse::<Format>().unwrap_err().to_string();
    assert!(
        err.contains("xlsx") && err.contains("parquet") && err.contains("csv"),
        "{err}"
    );
    assert_eq!(Format::Parquet.to_string(), "parquet");
    assert_eq!(Format::Csv.extension(), "csv");

    let dir = tempfile::tempdir().unwrap();
    let err = TidyWriter::create(&dir.path().join("x.csv"), Format::Parquet)
        .err()
        .unwrap();
    assert!(err.to_string().contains(".parquet"), "{err}");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());

    let err = read_tidy(&dir.path().join("x.txt"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("x.txt") && err.contains(".parquet"), "{err}");
}

#[test]
fn writer_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<TidyWriter>();
}
