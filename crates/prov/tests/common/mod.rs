//! Shared test helpers: a fixed agent, small files and independent checks of
//! our documents with Python's `jsonschema` (against the vendored W3C schema)
//! and the `prov` package's PROV-JSON reader.
#![allow(dead_code)]

use didymos_prov::AgentInfo;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn agent() -> AgentInfo {
    AgentInfo {
        version: "0.1.0".into(),
        git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        profile: "debug".into(),
        features: vec!["parquet".into()],
        host: "testhost".into(),
        user: "tester".into(),
    }
}

pub fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

pub fn write(path: &Path, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    path.to_path_buf()
}

pub fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/prov-json.schema.json")
}

fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

const VALIDATE: &str = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), key=str)
for e in errors:
    print("schema error at", list(e.absolute_path), ":", e.message)
sys.exit(1 if errors else 0)
"#;

/// Validates a document against the vendored W3C PROV-JSON schema with
/// Python's `jsonschema`. `Ok(false)` (after printing SKIPPED) when it is
/// not installed; `Err(report)` when the document is invalid.
pub fn schema_check(doc: &Path) -> Result<bool, String> {
    if !python_has("jsonschema") {
        didymos_core::skipped!("jsonschema not installed (pip install jsonschema)");
        return Ok(false);
    }
    let out = Command::new("python3")
        .args(["-c", VALIDATE])
        .arg(schema_path())
        .arg(doc)
        .output()
        .expect("python3 runs");
    if out.status.success() {
        Ok(true)
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Asserts that a document is valid PROV-JSON per the W3C schema.
pub fn assert_schema_valid(doc: &Path) {
    if let Err(report) = schema_check(doc) {
        panic!("{} is not valid PROV-JSON:\n{report}", doc.display());
    }
}

const PROV_READ: &str = r#"
import json, sys, prov, prov.model as m
d = prov.read(sys.argv[1], format="json")
count = lambda cls: len(list(d.get_records(cls)))
acts = {str(a.identifier): a for a in d.get_records(m.ProvActivity)}
run = acts.get(sys.argv[2])
print(json.dumps({
    "entity": count(m.ProvEntity), "activity": count(m.ProvActivity), "agent": count(m.ProvAgent),
    "used": count(m.ProvUsage), "wasGeneratedBy": count(m.ProvGeneration),
    "wasDerivedFrom": count(m.ProvDerivation), "wasAssociatedWith": count(m.ProvAssociation),
    "wasInformedBy": count(m.ProvCommunication),
    "start": run.get_startTime().isoformat() if run else None,
}, sort_keys=True))
"#;

/// Parses a document with the `prov` Python package and returns its record
/// counts per kind and the start time of `activity`; `None` (after printing
/// SKIPPED) when `prov` is not installed.
pub fn prov_read(doc: &Path, activity: &str) -> Option<serde_json::Value> {
    if !python_has("prov") {
        didymos_core::skipped!("prov not installed (pip install prov)");
        return None;
    }
    let out = Command::new("python3")
        .args(["-c", PROV_READ])
        .arg(doc)
        .arg(activity)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "prov.read failed on {}:\n{}",
        doc.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("JSON from the prov script"))
}
