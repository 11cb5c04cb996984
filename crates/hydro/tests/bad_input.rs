//! Bad forcing and streamflow files give errors naming file, line, field
//! or the missing dates, never a panic.

mod common;
use common::*;
use didymos_hydro::{read_camels_forcing, read_camels_streamflow};

fn bundled_forcing_text() -> String {
    std::fs::read_to_string(bundled_dir().join("01022500_lump_cida_forcing_leap.txt")).unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn missing_forcing_dates_are_named() {
    let text = bundled_forcing_text();
    // Drop 2001-03-01 and 2001-03-02.
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("2001 03 01") && !l.starts_with("2001 03 02"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "gap.txt", &kept.join("\n"));
    let f = read_camels_forcing(&p).unwrap();
    let err = f
        .forcing(date("2000-01-01"), date("2002-12-31"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("gap.txt"), "{err}");
    assert!(
        err.contains("2 day(s)") && err.contains("2001-03-01, 2001-03-02"),
        "{err}"
    );
    // A range without the gap is fine.
    assert!(f.forcing(date("2000-01-01"), date("2000-12-31")).is_ok());
}

#[test]
fn malformed_lines_are_located() {
    let text = bundled_forcing_text();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let dir = tempfile::tempdir().unwrap();

    let mut bad = lines.clone();
    bad[9] = "2000 01 06 12\t31650.79\tabc\t191.66\t0.00\t-3.60\t-13.14\t213.25".into();
    let err = read_camels_forcing(&write(&dir, "a.txt", &bad.join("\n")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a.txt") && err.contains("line 10") && err.contains("`prcp`"),
        "{err}"
    );

    bad = lines.clone();
    bad[20] = "2000 01 17 12 31650.79".into();
    let err = read_camels_forcing(&write(&dir, "b.txt", &bad.join("\n")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 21") && err.contains("expected 11 fields"),
        "{err}"
    );

    bad = lines.clone();
    bad[30] = bad[30].replacen("2000 01 27", "2000 02 30", 1);
    let err = read_camels_forcing(&write(&dir, "c.txt", &bad.join("\n")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 31") && err.contains("not a valid date"),
        "{err}"
    );

    lines[0] = "north".into();
    let err = read_camels_forcing(&write(&dir, "d.txt", &lines.join("\n")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 1") && err.contains("`latitude`"),
        "{err}"
    );

    let err = read_camels_forcing(&dir.path().join("absent.txt"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("absent.txt"), "{err}");
}

#[test]
fn streamflow_errors_and_missing_values() {
    let dir = tempfile::tempdir().unwrap();
    let ok = "01022500 2000 01 01   255.00 A:e\n01022500 2000 01 02  -999.00 M\n";
    let f = read_camels_streamflow(&write(&dir, "q.txt", ok), 587_675_987.0).unwrap();
    assert_eq!(f.mm_per_day.len(), 1, "−999 is missing");
    let q = f.mm_per_day[&date("2000-01-01")];
    assert!((q - 255.0 * 0.0283168 * 86400.0 / 587_675_987.0 * 1000.0).abs() < 1e-12);

    let bad = "01022500 2000 01 01   255.00 A\n01022500 2000 01 02  x A\n";
    let err = read_camels_streamflow(&write(&dir, "r.txt", bad), 1e8)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("r.txt") && err.contains("line 2") && err.contains("`Q`"),
        "{err}"
    );
    let dup = "01022500 2000 01 01 1 A\n01022500 2000 01 01 2 A\n";
    let err = read_camels_streamflow(&write(&dir, "s.txt", dup), 1e8)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 2") && err.contains("more than once"),
        "{err}"
    );
    let err = read_camels_streamflow(&write(&dir, "t.txt", ok), 0.0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("area"), "{err}");
}
