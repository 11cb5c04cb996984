//! verify_inputs names exactly the input that changed; compare_outputs finds
//! bit-identical re-runs and names a changed or missing output.

mod common;

use common::{agent, argv, write};
use didymos_prov::{compare_outputs, load, rerun_argv, verify_inputs, Recorder};
use std::path::Path;

fn flip_one_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A run using three inputs and writing two outputs (one in a subdirectory).
fn recorded_run(dir: &Path) -> std::path::PathBuf {
    let mut r = Recorder::start(
        "run",
        argv(&["didymos", "run", "spec.toml", "--out", "out"]),
        agent(),
    );
    for (name, body) in [
        ("spec.toml", &b"seed = 7\n"[..]),
        ("a.csv", b"1,2,3\n"),
        ("b.csv", b"4,5,6\n"),
    ] {
        r.used("input", &write(&dir.join("inputs").join(name), body))
            .unwrap();
    }
    let out = dir.join("out");
    r.generated(
        "output",
        &write(&out.join("observables.csv"), b"date,value\n2020-02-09,1\n"),
    )
    .unwrap();
    r.generated(
        "checkpoint",
        &write(&out.join("ckpt/day-010.bin"), &[7u8; 300]),
    )
    .unwrap();
    r.finish(&out).unwrap();
    out
}

#[test]
fn verify_inputs_names_exactly_the_changed_file() {
    let dir = tempfile::tempdir().unwrap();
    let rec = load(&recorded_run(dir.path())).unwrap();
    assert!(
        verify_inputs(&rec).unwrap().is_empty(),
        "untouched inputs verify"
    );

    let a = dir.path().join("inputs/a.csv");
    let old = rec
        .inputs
        .iter()
        .find(|i| i.path.ends_with("a.csv"))
        .unwrap()
        .sha256
        .clone();
    flip_one_byte(&a, 2);
    let bad = verify_inputs(&rec).unwrap();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].path, a.canonicalize().unwrap());
    assert_eq!(bad[0].expected, old);
    let new = didymos_prov::sha256_file(&a).unwrap().0;
    assert_eq!(bad[0].found.as_deref(), Some(new.as_str()));
    assert!(bad[0].to_string().contains("a.csv"), "{}", bad[0]);

    std::fs::remove_file(dir.path().join("inputs/b.csv")).unwrap();
    let bad = verify_inputs(&rec).unwrap();
    assert_eq!(bad.len(), 2);
    assert!(bad[1].path.ends_with("b.csv") && bad[1].found.is_none());
    assert!(bad[1].to_string().contains("missing"), "{}", bad[1]);
}

#[test]
fn compare_outputs_detects_one_changed_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = recorded_run(dir.path());
    let rec = load(&out).unwrap();
    let again = dir.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    copy_dir(&out, &again);
    assert!(
        compare_outputs(&rec, &again).unwrap().is_empty(),
        "identical outputs"
    );
    assert!(
        compare_outputs(&rec, &out).unwrap().is_empty(),
        "the run's own outputs"
    );

    flip_one_byte(&again.join("ckpt/day-010.bin"), 299);
    let bad = compare_outputs(&rec, &again).unwrap();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].path, again.join("ckpt/day-010.bin"));
    assert_eq!(bad[0].role, "checkpoint");

    std::fs::remove_file(again.join("observables.csv")).unwrap();
    let bad = compare_outputs(&rec, &again).unwrap();
    assert_eq!(bad.len(), 2);
    assert!(bad
        .iter()
        .any(|m| m.path.ends_with("observables.csv") && m.found.is_none()));
}

#[test]
fn rerun_argv_replaces_the_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let rec = load(&recorded_run(dir.path())).unwrap();
    assert_eq!(
        rec.argv,
        argv(&["didymos", "run", "spec.toml", "--out", "out"])
    );
    assert_eq!(
        rec.cwd.as_deref(),
        Some(std::env::current_dir().unwrap().as_path())
    );
    let new = Path::new("/tmp/rerun-1");
    assert_eq!(
        rerun_argv(&rec, new),
        argv(&["didymos", "run", "spec.toml", "--out", "/tmp/rerun-1"])
    );
    let mut r2 = rec.clone();
    r2.argv = argv(&["didymos", "run", "--out=old", "x"]);
    assert_eq!(
        rerun_argv(&r2, new),
        argv(&["didymos", "run", "--out=/tmp/rerun-1", "x"])
    );
    r2.argv = argv(&["didymos", "demo"]);
    assert_eq!(
        rerun_argv(&r2, new),
        argv(&["didymos", "demo", "--out", "/tmp/rerun-1"])
    );
}
