//! The generic crates (core, assim, forecast, spec) name no domain: no epidemic
//! and no hydrology words in any of their source files (case-insensitive).

use std::path::{Path, PathBuf};

const FORBIDDEN: [&str; 14] = [
    "mmca",
    "epidemic",
    "infect",
    "hospital",
    "covid",
    "gr4j",
    "discharge",
    "rainfall",
    "runoff",
    "precip",
    "snow",
    "flood",
    "basin",
    "catchment",
];

/// Known exceptions, each with its reason: (file under the repo, word).
const ALLOWED: [(&str, &str, &str); 3] = [
    (
        "crates/core/src/rng.rs",
        "flood",
        "cites Steele, Lea & Flood (2014), an author's name",
    ),
    (
        "crates/forecast/src/baseline.rs",
        "covid",
        "cites the \"COVID-19 Forecast Hub\" baseline by its proper name",
    ),
    (
        "crates/forecast/src/quantiles.rs",
        "covid",
        "cites the \"COVID-19 Forecast Hub\" quantile levels by their proper name",
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn generic_crates_name_no_domain() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in [
        "crates/core/src",
        "crates/assim/src",
        "crates/forecast/src",
        "crates/spec/src",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "found only {} files", files.len());
    let mut hits = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap().to_lowercase();
        for (n, line) in text.lines().enumerate() {
            for word in FORBIDDEN {
                if line.contains(word) {
                    if let Some((_, _, why)) =
                        ALLOWED.iter().find(|(p, w, _)| *p == rel && *w == word)
                    {
                        eprintln!("allowed: {rel}:{} `{word}` ({why})", n + 1);
                        continue;
                    }
                    hits.push(format!("{rel}:{}: `{word}` in: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "domain names in generic crates:\n{}",
        hits.join("\n")
    );
}
