//! The observation reader on the real 2020 Spain file and on broken copies.

use std::path::{Path, PathBuf};

use didymos_core::Date;
use didymos_epi::inputs::{read_metapopulation, read_observations, ObservationColumns};

fn spain() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/spain")
}

fn strata() -> Vec<String> {
    ["Y", "M", "O"].map(String::from).to_vec()
}

fn provinces() -> Vec<String> {
    read_metapopulation(&spain().join("metapopulation_data.csv"), &strata())
        .unwrap()
        .0
        .ids
}

fn columns() -> ObservationColumns {
    ObservationColumns {
        date: "date".into(),
        location: "province_ine".into(),
        stratum: Some("age_group".into()),
        variables: vec![
            "new_cases".into(),
            "new_hospitalized".into(),
            "new_deaths".into(),
        ],
        whole_numbers: vec!["new_hospitalized".into()],
    }
}

#[test]
fn reads_the_real_2020_file() {
    let t = read_observations(
        &spain().join("spain_provinces_covid19_daily_by_age_2020.csv"),
        &columns(),
        &provinces(),
        &strata(),
    )
    .unwrap();
    assert_eq!(t.rows.len(), 366 * 52 * 3);
    let h = t.variable_index("new_hospitalized").unwrap();
    let madrid = t.locations.iter().position(|l| l == "28").unwrap();
    let d: Date = "2020-03-25".parse().unwrap();
    let total = t.total(h, d, madrid).unwrap();
    let by_hand: f64 = (0..3).map(|s| t.rows[&(d, madrid, s)][h].unwrap()).sum();
    assert_eq!(total, by_hand);
    assert!(total > 100.0, "Madrid, late March 2020: {total}");
    // A forecaster at a cut-off sees nothing after it.
    let cut: Date = "2020-09-01".parse().unwrap();
    assert!(t.up_to(cut).rows.keys().all(|k| k.0 <= cut));
    assert_eq!(t.up_to(cut).dates().last(), Some(&cut));
}

fn broken(edit: impl Fn(&mut Vec<String>)) -> String {
    let text =
        std::fs::read_to_string(spain().join("spain_provinces_covid19_daily_by_age_2020.csv"))
            .unwrap();
    let mut lines: Vec<String> = text.lines().take(400).map(String::from).collect();
    edit(&mut lines);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("obs.csv");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    read_observations(&p, &columns(), &provinces(), &strata())
        .unwrap_err()
        .to_string()
}

/// A fraction where a count model reads counts is refused at its line;
/// other columns may hold fractions (a log-normal stream's, a covariate).
#[test]
fn fractions_in_a_counted_column_are_named() {
    let e = broken(|l| {
        let mut cells: Vec<String> = l[30].split(',').map(String::from).collect();
        cells[4] = "12.5".into();
        l[30] = cells.join(",");
    });
    assert!(
        e.contains("obs.csv")
            && e.contains("line 31")
            && e.contains("new_hospitalized")
            && e.contains("whole number")
            && e.contains("12.5"),
        "{e}"
    );
    let mut lines: Vec<String> =
        std::fs::read_to_string(spain().join("spain_provinces_covid19_daily_by_age_2020.csv"))
            .unwrap()
            .lines()
            .take(40)
            .map(String::from)
            .collect();
    let mut cells: Vec<String> = lines[30].split(',').map(String::from).collect();
    cells[3] = "12.5".into();
    lines[30] = cells.join(",");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("obs.csv");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let t = read_observations(&p, &columns(), &provinces(), &strata()).unwrap();
    assert!(
        t.rows.values().any(|v| v[0] == Some(12.5)),
        "new_cases keeps its fraction"
    );
}

#[test]
fn duplicate_rows_name_both_lines() {
    let e = broken(|l| {
        let dup = l[10].clone();
        l.insert(20, dup);
    });
    assert!(
        e.contains("line 21") && e.contains("line 11") && e.contains("duplicate"),
        "{e}"
    );
}

#[test]
fn negative_counts_unknown_locations_and_strata_are_named() {
    let e = broken(|l| l[5] = l[5].rsplitn(2, ',').last().unwrap().to_string() + ",-3");
    assert!(
        e.contains("line 6") && e.contains("new_deaths") && e.contains("≥ 0"),
        "{e}"
    );
    let e = broken(|l| l[7] = l[7].replacen(",03,", ",99,", 1));
    assert!(
        e.contains("line 8") && e.contains("province_ine") && e.contains("unknown location `99`"),
        "{e}"
    );
    let e = broken(|l| l[8] = l[8].replacen(",M,", ",X,", 1));
    assert!(
        e.contains("line 9") && e.contains("age_group") && e.contains("unknown stratum"),
        "{e}"
    );
    let e = broken(|l| l[3] = l[3].replacen("2020-01-01", "2020-13-01", 1));
    assert!(e.contains("line 4") && e.contains("`date`"), "{e}");
}
