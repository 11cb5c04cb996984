//! Forecast Hub CSV: round trip and validation messages.

use std::fs;

use didymos_core::Date;
use didymos_forecast::{
    forecast_rows, persistence_baseline, read_hub_csv, write_hub_csv, BaselineOptions, HorizonUnit,
    HubRow, QuantileForecast, RowKind, Target, HUB_LEVELS,
};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

const HEADER: &str = "forecast_date,target,target_end_date,location,type,quantile,value\n";

#[test]
fn targets_parse_and_print() {
    let t = Target::new(2, HorizonUnit::Week, "inc hosp");
    assert_eq!(t.to_string(), "2 wk ahead inc hosp");
    assert_eq!(Target::parse("2 wk ahead inc hosp"), Some(t));
    let t = Target::parse("14 day ahead cum value").unwrap();
    assert_eq!(
        (t.horizon, t.unit, t.name.as_str()),
        (14, HorizonUnit::Day, "cum value")
    );
    assert_eq!(Target::parse("2 weeks ahead x"), None);
    assert_eq!(Target::parse("two wk ahead x"), None);
    assert_eq!(Target::parse("1 wk ahead "), None);
}

#[test]
fn target_end_dates() {
    let wk = |h| Target::new(h, HorizonUnit::Week, "v");
    // 2020-06-07 is a Sunday and 2020-06-08 a Monday: week 1 ends on the
    // Saturday of their own epiweek, 2020-06-13.
    assert_eq!(wk(1).end_date(d("2020-06-07")), d("2020-06-13"));
    assert_eq!(wk(1).end_date(d("2020-06-08")), d("2020-06-13"));
    assert_eq!(wk(3).end_date(d("2020-06-08")), d("2020-06-27"));
    // Tuesday to Saturday: week 1 is the next epiweek.
    assert_eq!(wk(1).end_date(d("2020-06-09")), d("2020-06-20"));
    assert_eq!(wk(1).end_date(d("2020-06-13")), d("2020-06-20"));
    let day = Target::new(7, HorizonUnit::Day, "v");
    assert_eq!(day.end_date(d("2020-06-09")), d("2020-06-16"));
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.csv");
    let history = [120.0, 131.0, 128.0, 140.0, 151.0, 149.0];
    let fc = persistence_baseline(&history, &[1, 2], &BaselineOptions::default()).unwrap();
    let mut rows = Vec::new();
    for (h, q) in (1u32..).zip(&fc) {
        let target = Target::new(h, HorizonUnit::Week, "inc value");
        let end = target.end_date(d("2020-06-08"));
        for loc in ["A01", "B 2"] {
            rows.extend(forecast_rows(d("2020-06-08"), &target, end, loc, q).unwrap());
        }
    }
    assert_eq!(rows.len(), 2 * 2 * (HUB_LEVELS.len() + 1));
    write_hub_csv(&path, &rows).unwrap();
    let back = read_hub_csv(&path).unwrap();
    assert_eq!(back, rows);
    let point = back.iter().find(|r| r.kind == RowKind::Point).unwrap();
    assert_eq!(point.value, 149.0);
    // No temporary file is left behind.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(HEADER), "{text}");
    assert!(text.contains("2020-06-08,1 wk ahead inc value,2020-06-13,A01,quantile,0.025,"));
    assert!(text.contains(",point,,149\n"));
}

#[test]
fn non_finite_values_are_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.csv");
    let row = HubRow {
        forecast_date: d("2020-06-08"),
        target: Target::new(1, HorizonUnit::Day, "v"),
        target_end_date: d("2020-06-09"),
        location: "X".into(),
        kind: RowKind::Point,
        value: f64::INFINITY,
    };
    assert!(write_hub_csv(&path, &[row]).is_err());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

fn read_text(body: &str) -> Result<Vec<HubRow>, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.csv");
    fs::write(&path, format!("{HEADER}{body}")).unwrap();
    read_hub_csv(&path).map_err(|e| e.to_string())
}

#[test]
fn duplicate_rows_name_both_lines() {
    let err = read_text(
        "2020-06-08,1 wk ahead v,2020-06-13,X,quantile,0.5,3\n\
         2020-06-08,1 wk ahead v,2020-06-13,X,point,,3\n\
         2020-06-08,1 wk ahead v,2020-06-13,X,quantile,0.5,4\n",
    )
    .unwrap_err();
    assert!(err.contains("line 4") && err.contains("line 2"), "{err}");
    let err = read_text(
        "2020-06-08,1 wk ahead v,2020-06-13,X,point,,3\n\
         2020-06-08,1 wk ahead v,2020-06-13,X,point,,3\n",
    )
    .unwrap_err();
    assert!(err.contains("line 3") && err.contains("line 2"), "{err}");
}

#[test]
fn crossing_quantiles_name_the_line() {
    // Rows out of level order on purpose: the check sorts by level.
    let err = read_text(
        "2020-06-08,1 wk ahead v,2020-06-13,X,quantile,0.75,9\n\
         2020-06-08,1 wk ahead v,2020-06-13,Y,quantile,0.25,1\n\
         2020-06-08,1 wk ahead v,2020-06-13,X,quantile,0.25,2\n\
         2020-06-08,1 wk ahead v,2020-06-13,X,quantile,0.5,10\n",
    )
    .unwrap_err();
    assert!(err.contains("line 2") && err.contains("line 5"), "{err}");
    assert!(err.contains("not monotone"), "{err}");
    // Different locations are separate forecasts: no crossing there.
    read_text(
        "2020-06-08,1 wk ahead v,2020-06-13,X,quantile,0.25,5\n\
         2020-06-08,1 wk ahead v,2020-06-13,Y,quantile,0.75,1\n",
    )
    .unwrap();
}

#[test]
fn bad_fields_are_located() {
    let err = read_text("2020-06-08,1 wk ahead v,2020-06-13,X,quantile,1.5,3\n").unwrap_err();
    assert!(
        err.contains("line 2") && err.contains("`quantile`"),
        "{err}"
    );
    let err = read_text("2020-06-08,1 wk ahead v,2020-13-13,X,point,,3\n").unwrap_err();
    assert!(
        err.contains("line 2") && err.contains("`target_end_date`"),
        "{err}"
    );
    let err = read_text("2020-06-08,1 wk ahead v,2020-06-13,X,sample,,3\n").unwrap_err();
    assert!(err.contains("`type`"), "{err}");
    let err = read_text("2020-06-08,1 wk ahead v,2020-06-13,X,point,,NaN\n").unwrap_err();
    assert!(err.contains("`value`"), "{err}");
    let err = read_text("2020-06-08,next week,2020-06-13,X,point,,1\n").unwrap_err();
    assert!(err.contains("`target`"), "{err}");
    // A weekly row must end on its epiweek's Saturday, a daily row h days on
    // (a rolling week from a Thursday, 2020-10-15 + 7, is not a Hub week).
    let err = read_text("2020-10-15,1 wk ahead v,2020-10-22,X,point,,1\n").unwrap_err();
    assert!(
        err.contains("line 2")
            && err.contains("`target_end_date`")
            && err.contains("ends on 2020-10-24, not 2020-10-22"),
        "{err}"
    );
    let err = read_text("2020-10-15,2 day ahead v,2020-10-16,X,point,,1\n").unwrap_err();
    assert!(err.contains("ends on 2020-10-17"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.csv");
    fs::write(&path, "date,target\n").unwrap();
    let err = read_hub_csv(&path).unwrap_err().to_string();
    assert!(err.contains("line 1") && err.contains("header"), "{err}");
    let err = read_hub_csv(&dir.path().join("missing.csv")).unwrap_err();
    assert!(err.to_string().contains("missing.csv"), "{err}");
}

#[test]
fn point_rows_need_a_median() {
    let q = QuantileForecast::new(vec![0.25, 0.75], vec![1.0, 2.0]).unwrap();
    let t = Target::new(1, HorizonUnit::Day, "v");
    assert!(forecast_rows(d("2020-01-01"), &t, d("2020-01-02"), "X", &q).is_err());
}
