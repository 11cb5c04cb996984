//! The observation reader on the real 2020 Spain file and on broken copies.

use std::path::{Path, PathBuf};

use didymos_core::Date;
use didymos_epi::inputs::{
    read_metapopulation, read_observations, ObservationColumns, ObservationTable,
};

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

/// The bundled 2020 file, read with [`columns`].
fn real_record() -> ObservationTable {
    read_observations(
        &spain().join("spain_provinces_covid19_daily_by_age_2020.csv"),
        &columns(),
        &provinces(),
        &strata(),
    )
    .unwrap()
}

fn columns() -> ObservationColumns {
    ObservationColumns {
        date: "date".into(),
        location: "province_ine".into(),
        stratum: Some("age_group".into()),
        issued: None,
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
    let t = real_record();
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

/// The real rows of 2020-03-10 … 03-16 as a record of vintages: each
/// nonzero admission count first published on its date at 60% (rounded
/// down), then revised to the real count three days later; zeros published
/// once, on their date, with no `issued` cell.
fn vintage_file(dir: &Path) -> PathBuf {
    let text =
        std::fs::read_to_string(spain().join("spain_provinces_covid19_daily_by_age_2020.csv"))
            .unwrap();
    let mut lines = vec![format!("{},issued", text.lines().next().unwrap())];
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let date: Date = cells[0].parse().unwrap();
        if !("2020-03-10".parse::<Date>().unwrap()..="2020-03-16".parse().unwrap()).contains(&date)
        {
            continue;
        }
        let hosp: f64 = cells[4].parse().unwrap();
        if hosp == 0.0 {
            lines.push(format!("{line},"));
            continue;
        }
        let mut first: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        first[4] = ((hosp * 0.6).floor() as i64).to_string();
        lines.push(format!("{},{date}", first.join(",")));
        lines.push(format!("{line},{}", date.add_days(3)));
    }
    let p = dir.join("vintages.csv");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

fn with_issued() -> ObservationColumns {
    ObservationColumns {
        issued: Some("issued".into()),
        ..columns()
    }
}

#[test]
fn a_record_of_vintages_reads_as_it_stood_on_each_day() {
    let dir = tempfile::tempdir().unwrap();
    let p = vintage_file(dir.path());
    let t = read_observations(&p, &with_issued(), &provinces(), &strata()).unwrap();
    let real = real_record();
    let (h, madrid) = (1, t.locations.iter().position(|l| l == "28").unwrap());
    let day = |s: &str| s.parse::<Date>().unwrap();
    // The rows are the final values: the real record.
    assert_eq!(t.rows.len(), 7 * 52 * 3);
    for (k, v) in &t.rows {
        assert_eq!(v, &real.rows[k], "{k:?}");
    }
    let key = (day("2020-03-12"), madrid, 2);
    let final_value = real.rows[&key][h].unwrap();
    assert!(final_value >= 10.0, "{final_value}");
    let first = (final_value * 0.6).floor();
    // On its date: the first report; from three days on: the revision.
    for (on, expected) in [
        ("2020-03-12", first),
        ("2020-03-14", first),
        ("2020-03-15", final_value),
        ("2020-03-16", final_value),
    ] {
        let v = t.as_issued(day(on));
        assert_eq!(v.rows[&key][h], Some(expected), "as issued on {on}");
        assert!(v.rows.keys().all(|k| k.0 <= day(on)));
        assert!(v.revisions.is_empty());
    }
    // Before its date it was not known at all.
    assert!(!t.as_issued(day("2020-03-11")).rows.contains_key(&key));
    // What was still provisional at the end of a day: the last three days'.
    assert_eq!(
        t.first_revised_after(day("2020-03-14")),
        Some(day("2020-03-12"))
    );
    assert_eq!(t.first_revised_after(day("2020-03-09")), None);
    // Without the issued column's name the same file is a file of duplicates.
    let e = read_observations(&p, &columns(), &provinces(), &strata()).unwrap_err();
    assert!(e.to_string().contains("duplicate"), "{e}");
}

#[test]
fn vintage_errors_name_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = vintage_file(dir.path());
    let text = std::fs::read_to_string(&p).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // A row issued twice on the same day.
    let revised = lines
        .iter()
        .position(|l| !l.ends_with(',') && l != &lines[0])
        .unwrap();
    let bad = |lines: &[String]| {
        let q = dir.path().join("bad.csv");
        std::fs::write(&q, lines.join("\n") + "\n").unwrap();
        read_observations(&q, &with_issued(), &provinces(), &strata())
            .unwrap_err()
            .to_string()
    };
    let mut dup = lines.clone();
    dup.insert(revised + 1, lines[revised].clone());
    let e = bad(&dup);
    assert!(
        e.contains(&format!("line {}", revised + 2))
            && e.contains(&format!("line {}", revised + 1))
            && e.contains("issued"),
        "{e}"
    );
    // Issued before the date it reports on; not a date at all.
    let date = lines[revised].split(',').next().unwrap().to_string();
    let before: Date = date.parse::<Date>().unwrap().add_days(-1);
    lines[revised] = format!("{},{before}", lines[revised].rsplit_once(',').unwrap().0);
    let e = bad(&lines);
    assert!(
        e.contains(&format!("line {}", revised + 1))
            && e.contains("`issued`")
            && e.contains("before the date"),
        "{e}"
    );
    lines[revised] = format!("{},soon", lines[revised].rsplit_once(',').unwrap().0);
    let e = bad(&lines);
    assert!(
        e.contains(&format!("line {}", revised + 1))
            && e.contains("`issued`")
            && e.contains("published"),
        "{e}"
    );
}

#[test]
fn completeness_is_learnt_from_the_revisions_known_by_then() {
    let dir = tempfile::tempdir().unwrap();
    let t = read_observations(
        &vintage_file(dir.path()),
        &with_issued(),
        &provinces(),
        &strata(),
    )
    .unwrap();
    let h = 1;
    let day = |s: &str| s.parse::<Date>().unwrap();
    // By 03-16 the revisions of 03-10 … 03-13 are in: three days at the
    // first report's share of the final count, then complete.
    let c = t.completeness(h, day("2020-03-16"), 56);
    let (mut first, mut last) = (0.0, 0.0);
    for (k, v) in &t.rows {
        if (day("2020-03-10")..=day("2020-03-13")).contains(&k.0) {
            let y = v[h].unwrap();
            first += (y * 0.6).floor();
            last += y;
        }
    }
    assert_eq!(c.len(), 3, "{c:?}");
    for share in &c {
        assert!(
            (share - first / last).abs() < 1e-12,
            "{c:?} against {}",
            first / last
        );
    }
    // On 03-12 no revision had been issued yet: nothing to learn from.
    assert!(t.completeness(h, day("2020-03-12"), 56).is_empty());
    // Without revisions, nothing either.
    let real = real_record();
    assert!(real.completeness(h, day("2020-03-16"), 56).is_empty());
}
