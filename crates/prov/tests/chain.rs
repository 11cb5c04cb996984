//! Chained runs: A uses x and generates y; B uses y and generates z; C uses
//! z. Each later run records wasInformedBy the earlier one, and the tree of
//! C reaches back to x's hash.

mod common;

use common::{agent, argv, assert_schema_valid, write};
use didymos_prov::{load, sha256_file, show_tree, to_dot, Recorder};

#[test]
fn later_runs_are_informed_by_earlier_ones_back_to_the_original_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let x = write(&dir.path().join("data/x.csv"), b"original input x\n");
    let (x_hash, _) = sha256_file(&x).unwrap();

    let out_a = dir.path().join("run_a");
    let mut a = Recorder::start(
        "run",
        argv(&["didymos", "run", "x.csv", "--out", "run_a"]),
        agent(),
    );
    a.used("input", &x).unwrap();
    let y = write(&out_a.join("ckpt/y.bin"), b"checkpoint y");
    a.generated("checkpoint", &y).unwrap();
    let a_id = a.activity_id();
    a.finish(&out_a).unwrap();

    let out_b = dir.path().join("run_b");
    let mut b = Recorder::start(
        "forecast",
        argv(&["didymos", "forecast", "--out", "run_b"]),
        agent(),
    );
    let unrelated = write(&dir.path().join("data/obs.csv"), b"observations\n");
    b.used("observations", &unrelated).unwrap();
    b.used("checkpoint", &y).unwrap();
    let z = write(&out_b.join("z.csv"), b"forecast z\n");
    b.generated("output", &z).unwrap();
    let b_id = b.activity_id();
    b.finish(&out_b).unwrap();

    let out_c = dir.path().join("run_c");
    let mut c = Recorder::start(
        "score",
        argv(&["didymos", "score", "--out", "run_c"]),
        agent(),
    );
    c.used("forecast", &z).unwrap();
    write(&out_c.join("scores.csv"), b"wis\n1.0\n");
    c.generated("output", &out_c.join("scores.csv")).unwrap();
    c.finish(&out_c).unwrap();

    let rec_b = load(&out_b).unwrap();
    assert_eq!(rec_b.activity_id, b_id);
    assert_eq!(format!("didymos:{}", rec_b.run_id()), b_id);
    assert_eq!(
        rec_b.informed_by.len(),
        1,
        "only the checkpoint came from a run"
    );
    let inf = &rec_b.informed_by[0];
    assert_eq!(inf.activity, a_id);
    assert_eq!(inf.command.as_deref(), Some("run"));
    assert_eq!(
        inf.document.as_deref(),
        Some(out_a.join("prov.json").canonicalize().unwrap().as_path())
    );
    let y_input = rec_b
        .inputs
        .iter()
        .find(|i| i.role == "checkpoint")
        .unwrap();
    assert_eq!(inf.entity.as_deref(), Some(y_input.id.as_str()));
    // The same content has the same entity id in A (generated) and B (used).
    assert_eq!(load(&out_a).unwrap().outputs[0].id, y_input.id);

    let rec_c = load(&out_c).unwrap();
    assert_eq!(rec_c.informed_by[0].activity, b_id);
    let tree = show_tree(&rec_c);
    println!("{tree}");
    assert!(
        tree.contains(&x_hash),
        "x's hash must be reachable from C:\n{tree}"
    );
    let (i_b, i_a, i_x) = (
        tree.find(&b_id).unwrap(),
        tree.find(&a_id).unwrap(),
        tree.find(&x_hash).unwrap(),
    );
    assert!(
        i_b < i_a && i_a < i_x,
        "C -> B -> A -> x, in that order:\n{tree}"
    );
    assert!(tree.contains("observations"));

    let dot = to_dot(&rec_b);
    assert!(dot.starts_with("digraph prov {") && dot.trim_end().ends_with('}'));
    assert!(
        dot.contains(&format!(
            "\"{b_id}\" -> \"{a_id}\" [label=\"wasInformedBy\"]"
        )),
        "{dot}"
    );
    assert_eq!(
        dot.matches("wasDerivedFrom").count(),
        2,
        "z from each of B's two inputs:\n{dot}"
    );
    for d in [&out_a, &out_b, &out_c] {
        assert_schema_valid(&d.join("prov.json"));
    }
    println!(
        "{}",
        std::fs::read_to_string(out_b.join("prov.json")).unwrap()
    );
}

#[test]
fn a_rewritten_earlier_document_is_reported_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let x = write(&dir.path().join("x"), b"x");
    let out_a = dir.path().join("a");
    let mut a = Recorder::start("run", argv(&["didymos", "run"]), agent());
    a.used("input", &x).unwrap();
    let y = write(&out_a.join("y"), b"y");
    a.generated("output", &y).unwrap();
    a.finish(&out_a).unwrap();
    let out_b = dir.path().join("b");
    let mut b = Recorder::start("forecast", argv(&["didymos", "forecast"]), agent());
    b.used("checkpoint", &y).unwrap();
    b.finish(&out_b).unwrap();
    // A's directory is reused by another run: its prov.json now describes that run.
    let mut a2 = Recorder::start("run", argv(&["didymos", "run"]), agent());
    a2.used("input", &x).unwrap();
    a2.finish(&out_a).unwrap();
    let tree = show_tree(&load(&out_b).unwrap());
    assert!(tree.contains("now describes another run"), "{tree}");
}
