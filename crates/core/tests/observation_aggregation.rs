//! Aggregation of model cells onto observation locations.

use std::collections::HashMap;
use std::path::Path;

use didymos_core::observation::{Aggregation, ObsLocation, StrataMode};
use didymos_core::Error;

fn units() -> Vec<String> {
    ["u1", "u2", "u3"].iter().map(|s| s.to_string()).collect()
}

/// 3 units × 2 strata × 2 observables; observable 1 of cell c is 10·c + 1,
/// observable 0 is −1 (must never be summed).
fn row() -> Vec<f64> {
    (0..6).flat_map(|c| [-1.0, 10.0 * c as f64 + 1.0]).collect()
}

#[test]
fn identity_keeps_units_in_sorted_order() {
    let a = Aggregation::identity(&units(), 2, StrataMode::AllStrata).unwrap();
    let names: Vec<&str> = a.locations().iter().map(|l| l.location.as_str()).collect();
    assert_eq!(names, ["u1", "u2", "u3"]);
    assert_eq!(a.cells(), &[vec![0, 1], vec![2, 3], vec![4, 5]]);
    // u1: 1 + 11; u2: 21 + 31; u3: 41 + 51.
    assert_eq!(a.apply(&row(), 1, 2, 2), vec![12.0, 52.0, 92.0]);

    let p = Aggregation::identity(&units(), 2, StrataMode::PerStratum).unwrap();
    assert_eq!(p.len(), 6);
    assert_eq!(
        p.locations()[3],
        ObsLocation {
            location: "u2".into(),
            stratum: Some(1)
        }
    );
    assert_eq!(
        p.apply(&row(), 1, 2, 2),
        vec![1.0, 11.0, 21.0, 31.0, 41.0, 51.0]
    );
    assert_eq!(p.location_index("u3", Some(0)), Some(4));
    assert_eq!(p.location_index("u3", None), None);
}

#[test]
fn lookup_groups_units_and_sorts_locations() {
    let lookup: HashMap<String, String> = [("u1", "north"), ("u2", "east"), ("u3", "north")]
        .iter()
        .map(|(u, l)| (u.to_string(), l.to_string()))
        .collect();
    let a = Aggregation::from_lookup(&units(), 2, &lookup, StrataMode::AllStrata).unwrap();
    let names: Vec<&str> = a.locations().iter().map(|l| l.location.as_str()).collect();
    assert_eq!(names, ["east", "north"]);
    assert_eq!(a.apply(&row(), 1, 2, 2), vec![52.0, 12.0 + 92.0]);

    let p = Aggregation::from_lookup(&units(), 2, &lookup, StrataMode::PerStratum).unwrap();
    // east/0, east/1, north/0, north/1.
    assert_eq!(
        p.apply(&row(), 1, 2, 2),
        vec![21.0, 31.0, 1.0 + 41.0, 11.0 + 51.0]
    );

    // Units missing from the lookup are not observed.
    let partial: HashMap<String, String> = [("u2".to_string(), "x".to_string())].into();
    let q = Aggregation::from_lookup(&units(), 2, &partial, StrataMode::AllStrata).unwrap();
    assert_eq!(q.apply(&row(), 1, 2, 2), vec![52.0]);

    let bad: HashMap<String, String> = [("u9".to_string(), "x".to_string())].into();
    let err = Aggregation::from_lookup(&units(), 2, &bad, StrataMode::AllStrata).unwrap_err();
    assert!(err.to_string().contains("u9"), "{err}");
}

fn parse(text: &str) -> Result<Aggregation, Error> {
    Aggregation::parse_csv(
        text,
        Path::new("lookup.csv"),
        &units(),
        2,
        StrataMode::AllStrata,
    )
}

#[test]
fn csv_lookup_and_its_errors() {
    let a = parse("unit,location\nu1, north\n\n\"u2\",east\nu3,north\n").unwrap();
    assert_eq!(a.apply(&row(), 1, 2, 2), vec![52.0, 104.0]);

    let err = parse("unit,location\nu1,north\nu7,east\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("lookup.csv") && err.contains("line 3"),
        "{err}"
    );
    assert!(err.contains("unknown unit `u7`"), "{err}");

    let err = parse("unit,location\nu1,north\nu2,east\nu1,east\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 4") && err.contains("duplicate unit `u1`"),
        "{err}"
    );
    assert!(err.contains("first on line 2"), "{err}");

    let err = parse("patch,zone\nu1,north\n").unwrap_err().to_string();
    assert!(
        err.contains("line 1") && err.contains("unit,location"),
        "{err}"
    );

    let err = parse("unit,location\nu1,north,extra\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2") && err.contains("2 fields"), "{err}");

    let err = parse("unit,location\nu1,\n").unwrap_err().to_string();
    assert!(err.contains("empty location"), "{err}");

    assert!(parse("").is_err());
}

#[test]
fn csv_lookup_from_a_file() {
    let dir = std::env::temp_dir().join(format!("didymos-obs-agg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lookup.csv");
    std::fs::write(&path, "unit,location\nu1,a\nu2,a\nu3,b\n").unwrap();
    let a = Aggregation::from_csv(&path, &units(), 2, StrataMode::AllStrata).unwrap();
    assert_eq!(a.apply(&row(), 1, 2, 2), vec![12.0 + 52.0, 92.0]);
    std::fs::remove_dir_all(&dir).unwrap();

    let missing = Aggregation::from_csv(&path, &units(), 2, StrataMode::AllStrata).unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing}");
}
