//! The metapopulation, mobility and seed readers: every bad input gives
//! one error naming file, line and column.

use std::path::{Path, PathBuf};

use didymos_core::Error;
use didymos_epi::inputs::{read_metapopulation, read_mobility, read_seeds};
use didymos_epi::mmca::Metapopulation;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn strata() -> Vec<String> {
    ["Y", "M", "O"].map(String::from).to_vec()
}

/// The error's Display must contain every piece.
fn assert_names<T: std::fmt::Debug>(r: Result<T, Error>, pieces: &[&str]) -> String {
    let msg = r.expect_err("expected an error").to_string();
    for p in pieces {
        assert!(msg.contains(p), "error `{msg}` does not mention `{p}`");
    }
    msg
}

const METAPOP: &str =
    "id,area,Y,M,O,total\n01,10.5,100,200,50,350\n02,20,10,20,5,35\n03,5,1,2,3,6\n";

fn metapop() -> Metapopulation {
    let dir = tempfile::tempdir().unwrap();
    read_metapopulation(&write(dir.path(), "m.csv", METAPOP), &strata())
        .unwrap()
        .0
}

#[test]
fn metapopulation_reads_ids_as_strings_and_quoted_headers() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "m.csv",
        "\"id\",\"area\",\"Y\",\"M\",\"O\",\"total\"\n\"01\",3037,1.5,2,3,6.5\n\"02\",1,0,0,0,0\n",
    );
    let (m, w) = read_metapopulation(&p, &strata()).unwrap();
    assert_eq!(m.ids, vec!["01", "02"]);
    assert_eq!(m.area, vec![3037.0, 1.0]);
    assert_eq!(
        m.population[0],
        vec![1.5, 2.0, 3.0],
        "values kept as read, not rounded"
    );
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn metapopulation_bad_values_name_file_line_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "neg.csv",
            "id,area,Y,M,O\n01,1,1,2,3\n02,1,1,-2,3\n",
            "line 3",
            "field `M`",
            "≥ 0",
        ),
        (
            "text.csv",
            "id,area,Y,M,O\n01,1,abc,2,3\n",
            "line 2",
            "field `Y`",
            "`abc`",
        ),
        (
            "nan.csv",
            "id,area,Y,M,O\n01,NaN,1,2,3\n",
            "line 2",
            "field `area`",
            "finite",
        ),
        (
            "inf.csv",
            "id,area,Y,M,O\n01,1,1,2,inf\n",
            "line 2",
            "field `O`",
            "finite",
        ),
        (
            "empty.csv",
            "id,area,Y,M,O\n01,1,,2,3\n",
            "line 2",
            "field `Y`",
            "empty",
        ),
        (
            "dup.csv",
            "id,area,Y,M,O\n01,1,1,2,3\n01,1,1,2,3\n",
            "line 3",
            "field `id`",
            "first on line 2",
        ),
        (
            "ragged.csv",
            "id,area,Y,M,O\n01,1,1,2,3,9\n",
            "line 2",
            "ragged.csv",
            "6 fields",
        ),
    ];
    for (name, text, line, field, what) in cases {
        let p = write(dir.path(), name, text);
        assert_names(
            read_metapopulation(&p, &strata()),
            &[name, line, field, what],
        );
    }
}

#[test]
fn missing_column_lists_the_columns_found() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "m.csv", "id,area,Y,M,total\n01,1,1,2,3\n");
    assert_names(
        read_metapopulation(&p, &strata()),
        &[
            "m.csv",
            "line 1",
            "field `O`",
            "`id`, `area`, `Y`, `M`, `total`",
        ],
    );
}

#[test]
fn missing_file_is_an_io_error_with_the_path() {
    let p = Path::new("/nonexistent/dir/metapopulation_data.csv");
    let e = read_metapopulation(p, &strata()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("/nonexistent/dir/metapopulation_data.csv"),
        "{e}"
    );
}

#[test]
fn mobility_checks_indices_ratios_duplicates_and_row_sums() {
    let dir = tempfile::tempdir().unwrap();
    let ids = metapop().ids;
    let h = "source_idx,target_idx,ratio\n";
    let cases = [
        (
            "zero.csv",
            format!("{h}0,1,1\n"),
            "line 2",
            "field `source_idx`",
            "1..=3",
        ),
        (
            "big.csv",
            format!("{h}1,1,0.5\n1,4,0.5\n"),
            "line 3",
            "field `target_idx`",
            "`4`",
        ),
        (
            "ratio.csv",
            format!("{h}1,1,1.5\n"),
            "line 2",
            "field `ratio`",
            "[0, 1]",
        ),
        (
            "nan.csv",
            format!("{h}1,1,nan\n"),
            "line 2",
            "field `ratio`",
            "finite",
        ),
        (
            "dup.csv",
            format!("{h}1,1,0.5\n1,2,0.25\n1,2,0.25\n"),
            "line 4",
            "field `target_idx`",
            "first on line 3",
        ),
        (
            "sum.csv",
            format!("{h}1,1,1\n2,2,0.5\n2,3,0.4\n3,3,1\n"),
            "line 4",
            "field `ratio`",
            "`02`",
        ),
    ];
    for (name, text, line, field, what) in cases {
        let p = write(dir.path(), name, &text);
        assert_names(read_mobility(&p, &ids, false), &[name, line, field, what]);
    }
    let p = write(
        dir.path(),
        "sum.csv",
        &format!("{h}1,1,1\n2,2,0.5\n2,3,0.4\n3,3,1\n"),
    );
    let msg = assert_names(read_mobility(&p, &ids, false), &["0.9"]);
    assert!(msg.contains("sum to 0.9"), "{msg}");
}

#[test]
fn mobility_normalise_rescales_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let ids = metapop().ids;
    let p = write(
        dir.path(),
        "r.csv",
        "source_idx,target_idx,ratio\n1,1,1\n2,2,0.5\n2,3,0.3\n",
    );
    let (edges, w) = read_mobility(&p, &ids, true).unwrap();
    assert_eq!(edges.len(), 3);
    assert_eq!(
        (edges[1].source, edges[1].target),
        (1, 1),
        "0-based indices"
    );
    assert!((edges[1].ratio - 0.625).abs() < 1e-15 && (edges[2].ratio - 0.375).abs() < 1e-15);
    assert_eq!(edges[0].ratio, 1.0, "rows summing to 1 are untouched");
    assert_eq!(w.len(), 1);
    assert!(
        w[0].msg.contains("`02`") && w[0].msg.contains("0.8"),
        "{}",
        w[0]
    );
    // Origin 3 has no edge at all: left for the model's self-loop fix.
}

#[test]
fn seeds_check_index_id_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let m = metapop();
    let h = "name,id,idx,Y,M,O\n";
    let cases = [
        (
            "idx.csv",
            format!("{h}a,01,1,1,1,1\nb,03,4,1,1,1\n"),
            "line 3",
            "field `idx`",
            "1..=3",
        ),
        (
            "id.csv",
            format!("{h}a,02,1,1,1,1\n"),
            "line 2",
            "field `id`",
            "`01`",
        ),
        (
            "nan.csv",
            format!("{h}a,01,1,1,NaN,1\n"),
            "line 2",
            "field `M`",
            "finite",
        ),
        (
            "neg.csv",
            format!("{h}a,01,1,-1,0,1\n"),
            "line 2",
            "field `Y`",
            "≥ 0",
        ),
        (
            "twice.csv",
            format!("{h}a,01,1,1,1,1\nb,01,1,1,1,1\n"),
            "line 3",
            "field `idx`",
            "twice",
        ),
        (
            "over.csv",
            format!("{h}a,03,3,1,3,1\n"),
            "line 2",
            "field `M`",
            "exceed",
        ),
    ];
    for (name, text, line, field, what) in cases {
        let p = write(dir.path(), name, &text);
        assert_names(
            read_seeds(&p, &m, &strata(), 1.0),
            &[name, line, field, what],
        );
    }
}

#[test]
fn seeds_are_scaled_and_warn_without_id_column() {
    let dir = tempfile::tempdir().unwrap();
    let m = metapop();
    let p = write(
        dir.path(),
        "s.csv",
        "\"idx\",\"Y\",\"M\",\"O\"\n2,1,2,0.5\n",
    );
    let (seeds, w) = read_seeds(&p, &m, &strata(), 2.0).unwrap();
    assert_eq!(seeds.len(), 1);
    assert_eq!(seeds[0].patch, 1);
    assert_eq!(seeds[0].counts, vec![2.0, 4.0, 1.0]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].msg.contains("no `id` column"));
}
