//! Our documents are valid W3C PROV-JSON (vendored schema, Python
//! `jsonschema`) and the `prov` package reads them back as we wrote them.

mod common;

use common::{agent, argv, assert_schema_valid, prov_read, schema_check, write};
use didymos_prov::{load, Recorder};

#[test]
fn documents_validate_and_parse_with_prov() {
    let dir = tempfile::tempdir().unwrap();
    let x = write(&dir.path().join("in/x.csv"), b"a,b\n1,2\n");
    let spec = write(
        &dir.path().join("in/twin.toml"),
        b"[model]\nname = \"mmca\"\n",
    );
    let out_a = dir.path().join("a");
    let mut a = Recorder::start(
        "run",
        argv(&["didymos", "run", "twin.toml", "--out", "a"]),
        agent(),
    );
    a.used("spec", &spec).unwrap();
    a.used("input", &x).unwrap();
    write(&out_a.join("observables.parquet"), b"PAR1....PAR1");
    write(&out_a.join("ckpt/state.bin"), b"\x00\x01\x02");
    a.generated("output", &out_a.join("observables.parquet"))
        .unwrap();
    a.generated("checkpoint", &out_a.join("ckpt/state.bin"))
        .unwrap();
    let doc_a = a.finish(&out_a).unwrap();

    let out_b = dir.path().join("b");
    let mut b = Recorder::start(
        "forecast",
        argv(&["didymos", "forecast", "--out", "b"]),
        agent(),
    );
    b.used("checkpoint", &out_a.join("ckpt/state.bin")).unwrap();
    write(&out_b.join("forecast.csv"), b"date,value\n");
    b.generated("output", &out_b.join("forecast.csv")).unwrap();
    let doc_b = b.finish(&out_b).unwrap();

    let rec_b = load(&doc_b).unwrap();
    assert_eq!(rec_b.informed_by.len(), 1, "B must be informed by A");
    for (doc, entities, activities, used, generated, derived, informed) in
        [(&doc_a, 4, 1, 2, 2, 4, 0), (&doc_b, 2, 2, 1, 1, 1, 1)]
    {
        assert_schema_valid(doc);
        let rec = load(doc).unwrap();
        let Some(counts) = prov_read(doc, &rec.activity_id) else {
            continue;
        };
        let want = serde_json::json!({
            "entity": entities, "activity": activities, "agent": 2, "used": used,
            "wasGeneratedBy": generated, "wasDerivedFrom": derived,
            "wasAssociatedWith": 2, "wasInformedBy": informed,
            "start": counts["start"].clone(),
        });
        assert_eq!(counts, want, "{}", doc.display());
        // prov parses our RFC 3339 start time to the same instant.
        let start = counts["start"].as_str().expect("prov read the start time");
        assert_eq!(&start[..19], &rec.started[..19]);
        assert!(start.ends_with("+00:00"), "{start}");
    }
}

#[test]
fn the_schema_check_rejects_broken_documents() {
    let dir = tempfile::tempdir().unwrap();
    let x = write(&dir.path().join("x"), b"x");
    let mut r = Recorder::start("run", argv(&["didymos", "run"]), agent());
    r.used("input", &x).unwrap();
    let doc = r.finish(&dir.path().join("out")).unwrap();
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&doc).unwrap()).unwrap();
    // A usage without its required prov:entity is not PROV-JSON.
    let used = json["used"].as_object_mut().unwrap();
    let first = used.values_mut().next().unwrap();
    first.as_object_mut().unwrap().remove("prov:entity");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, serde_json::to_string(&json).unwrap()).unwrap();
    match schema_check(&broken) {
        Ok(false) => {} // SKIPPED already printed
        Ok(true) => panic!("the schema accepted a usage without prov:entity"),
        Err(report) => assert!(report.contains("prov:entity"), "{report}"),
    }
    // An unknown top-level key is rejected too (additionalProperties: false).
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&doc).unwrap()).unwrap();
    json["runs"] = serde_json::json!({});
    std::fs::write(&broken, serde_json::to_string(&json).unwrap()).unwrap();
    assert!(!matches!(schema_check(&broken), Ok(true)));
}
