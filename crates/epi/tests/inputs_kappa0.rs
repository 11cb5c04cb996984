//! The κ₀ series reader: rows map to simulation days as EpiSim maps them,
//! bad rows give errors naming file, line and column, and two measures on
//! one day are refused.

use std::path::{Path, PathBuf};

use didymos_core::{Calendar, Date, Error, Located};
use didymos_epi::inputs::{build_containments, read_kappa0, DatedContainment};
use didymos_epi::mmca::Containment;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The error's Display must contain every piece.
fn assert_names<T: std::fmt::Debug>(r: Result<T, Error>, pieces: &[&str]) -> String {
    let msg = r.expect_err("expected an error").to_string();
    for p in pieces {
        assert!(msg.contains(p), "error `{msg}` does not mention `{p}`");
    }
    msg
}

fn calendar() -> Calendar {
    Calendar::new("2020-02-09".parse().unwrap(), "2020-05-31".parse().unwrap()).unwrap()
}

#[test]
fn kappa0_rows_map_to_days() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "k.csv",
        "date,reduction,datetime,time\n2020-02-01,0.1,2020-02-01,-8\n2020-03-16,0.5,2020-03-16,36\n\
         2020-03-17,0,2020-03-17,37\n2020-05-31,0.3,x,y\n2020-06-01,0.4,x,y\n",
    );
    let (t, w) = read_kappa0(&p, &calendar(), 0.2, 0.8).unwrap();
    let days: Vec<(usize, Containment)> = t.iter().map(|(d, c)| (d, *c)).collect();
    assert_eq!(
        days,
        vec![
            (
                37,
                Containment {
                    kappa0: 0.5,
                    phi: 0.2,
                    delta: 0.8
                }
            ),
            (
                38,
                Containment {
                    kappa0: 0.0,
                    phi: 0.2,
                    delta: 0.0
                }
            ),
            (
                113,
                Containment {
                    kappa0: 0.3,
                    phi: 0.2,
                    delta: 0.8
                }
            ),
        ],
        "2020-03-16 is day 37; κ₀ = 0 gets δ = 0; rows after the end are left out"
    );
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].to_string().contains("line 2") && w[0].msg.contains("dropped"),
        "{}",
        w[0]
    );
}

#[test]
fn kappa0_bad_rows_name_file_line_field() {
    let dir = tempfile::tempdir().unwrap();
    let h = "date,reduction\n";
    let cases = [
        (
            "range.csv",
            format!("{h}2020-03-16,0.5\n2020-03-17,1.2\n"),
            "line 3",
            "field `reduction`",
            "[0, 1]",
        ),
        (
            "date.csv",
            format!("{h}2020-13-01,0.5\n"),
            "line 2",
            "field `date`",
            "`2020-13-01`",
        ),
        (
            "dup.csv",
            format!("{h}2020-03-16,0.5\n2020-03-16,0.5\n"),
            "line 3",
            "field `date`",
            "first on line 2",
        ),
        (
            "nan.csv",
            format!("{h}2020-03-16,NaN\n"),
            "line 2",
            "field `reduction`",
            "finite",
        ),
        (
            "cols.csv",
            "day,reduction\n2020-03-16,0.5\n".to_string(),
            "line 1",
            "field `date`",
            "`day`, `reduction`",
        ),
    ];
    for (name, text, line, field, what) in cases {
        let p = write(dir.path(), name, &text);
        assert_names(
            read_kappa0(&p, &calendar(), 0.2, 0.8),
            &[name, line, field, what],
        );
    }
}

#[test]
fn two_containments_on_one_day_name_both() {
    let c = Containment {
        kappa0: 0.5,
        phi: 0.2,
        delta: 0.8,
    };
    let a = DatedContainment {
        day: 40,
        containment: c,
        at: Located::file("k.csv").at_line(5).field("date"),
    };
    let b = DatedContainment {
        day: 40,
        containment: c,
        at: Located::file("twin.toml").at_line(30).field("x"),
    };
    let ok = DatedContainment {
        day: 41,
        containment: c,
        at: Located::default(),
    };
    let msg = assert_names(
        build_containments(vec![a, ok, b]),
        &["twin.toml", "line 30", "k.csv", "line 5", "day 40"],
    );
    assert!(msg.contains("one measure per day"), "{msg}");
    let d: Date = "2020-03-19".parse().unwrap();
    assert_eq!(calendar().day_of(d), 40);
}

#[test]
fn absurd_years_are_refused_not_overflowed() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "y.csv", "date,reduction\n999999999-01-01,0.5\n");
    assert_names(
        read_kappa0(&p, &calendar(), 0.2, 0.8),
        &["y.csv", "line 2", "field `date`"],
    );
}
