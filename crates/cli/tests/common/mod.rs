//! Running the `didymos` binary from tests, in the repository root.
#![allow(dead_code)]

pub mod serve;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn didymos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("start didymos")
}

/// Runs `didymos args`, fails the test with its output unless it succeeds,
/// and returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let out = didymos(args);
    assert!(
        out.status.success(),
        "didymos {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

pub fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

const VALIDATE: &str = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
bad = 0
for path in sys.argv[2:]:
    doc = json.load(open(path))
    for e in sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), key=str):
        bad += 1
        print(path, "schema error at", list(e.absolute_path), ":", e.message)
sys.exit(1 if bad else 0)
"#;

/// Every `prov.json` under `dir` (recursively); there must be `expected`.
pub fn prov_docs(dir: &Path, found: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            prov_docs(&p, found);
        } else if p.file_name().is_some_and(|n| n == "prov.json") {
            found.push(p);
        }
    }
}

/// Validates every `prov.json` under `dir` against the vendored W3C
/// PROV-JSON schema (Python `jsonschema`), after checking there are `n`.
pub fn assert_all_valid(dir: &Path, n: usize) {
    let mut docs = Vec::new();
    prov_docs(dir, &mut docs);
    assert_eq!(
        docs.len(),
        n,
        "prov.json documents under {}: {docs:?}",
        dir.display()
    );
    if !python_has("jsonschema") {
        didymos_core::skipped!("jsonschema not installed (pip install jsonschema)");
        return;
    }
    let out = Command::new("python3")
        .args(["-c", VALIDATE])
        .arg(repo().join("schemas/prov-json.schema.json"))
        .args(&docs)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "invalid PROV-JSON:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A temporary copy of the 2020 Spain twin's model inputs (not its spec or
/// observations, which a test writes itself), and the bundled data folder.
pub fn spain_inputs() -> (tempfile::TempDir, PathBuf) {
    let spain = repo().join("data/spain");
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "metapopulation_data.csv",
        "R_mobility_matrix.csv",
        "A0_initial_conditions_seeds.csv",
        "kappa0_from_mitma.csv",
    ] {
        std::fs::copy(spain.join(f), dir.path().join(f)).unwrap();
    }
    (dir, spain)
}

/// [`spain_inputs`] with the 2020 observations copied too.
pub fn spain_inputs_with_observations() -> (tempfile::TempDir, PathBuf) {
    let (dir, spain) = spain_inputs();
    let obs = "spain_provinces_covid19_daily_by_age_2020.csv";
    std::fs::copy(spain.join(obs), dir.path().join(obs)).unwrap();
    (dir, spain)
}

/// `text` (a spec) with the line setting `key` replaced by `key = value`;
/// panics if there is none (see `didymos_spec::with_setting`).
pub fn with_key(text: &str, key: &str, value: &str) -> String {
    didymos_spec::with_setting(text, key, value).unwrap_or_else(|e| panic!("{e}"))
}

/// Quantile values of a Hub CSV by (target, location, target end date).
pub fn hub_values(path: &Path) -> std::collections::HashMap<(String, String, String), Vec<f64>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out: std::collections::HashMap<(String, String, String), Vec<f64>> =
        std::collections::HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[4] == "quantile" {
            let key = (f[1].to_string(), f[3].to_string(), f[2].to_string());
            out.entry(key).or_default().push(f[6].parse().unwrap());
        }
    }
    out
}

/// A JSON array of numbers.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}
