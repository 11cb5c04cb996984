//! Running the `didymos` binary from tests, in the repository root.
#![allow(dead_code)]

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
