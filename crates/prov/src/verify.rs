//! Re-hashing inputs and comparing re-run outputs: the pieces of `didymos rerun`.

use crate::hash::sha256_file;
use crate::load::{FileRecord, ProvRecord};
use crate::{Error, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// A file whose content is not what the record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The file that was checked.
    pub path: PathBuf,
    pub role: String,
    /// The SHA-256 in the record.
    pub expected: String,
    /// The SHA-256 now; `None` when the file is missing.
    pub found: Option<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.found {
            Some(found) => write!(
                f,
                "{} ({}): sha256 was {}, now {}",
                self.path.display(),
                self.role,
                self.expected,
                found
            ),
            None => write!(
                f,
                "{} ({}): missing (sha256 was {})",
                self.path.display(),
                self.role,
                self.expected
            ),
        }
    }
}

/// Hashes `path` and compares it with `file`'s recorded hash. A missing file
/// is a mismatch; other I/O errors are errors.
fn check(file: &FileRecord, path: PathBuf) -> Result<Option<Mismatch>> {
    let found = match sha256_file(&path) {
        Ok((hash, _)) => Some(hash),
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if found.as_deref() == Some(file.sha256.as_str()) {
        return Ok(None);
    }
    Ok(Some(Mismatch {
        path,
        role: file.role.clone(),
        expected: file.sha256.clone(),
        found,
    }))
}

/// Re-hashes every input at its recorded path. Empty when all still match.
pub fn verify_inputs(record: &ProvRecord) -> Result<Vec<Mismatch>> {
    let mut out = Vec::new();
    for f in &record.inputs {
        out.extend(check(f, f.path.clone())?);
    }
    Ok(out)
}

/// Checks that each recorded output exists under `new_out_dir` (at the same
/// path relative to the output directory) with the same SHA-256, i.e. that
/// a re-run reproduced it bit for bit. Empty when all match.
pub fn compare_outputs(record: &ProvRecord, new_out_dir: &Path) -> Result<Vec<Mismatch>> {
    let mut out = Vec::new();
    for f in &record.outputs {
        let rel = f
            .rel_path
            .clone()
            .map(PathBuf::from)
            .or_else(|| f.path.file_name().map(PathBuf::from));
        let Some(rel) = rel else { continue };
        out.extend(check(f, new_out_dir.join(rel))?);
    }
    Ok(out)
}

/// The recorded argv with its output directory replaced by `new_out`
/// (`--out DIR`, `--out=DIR`, `-o DIR`; appended as `--out DIR` if absent).
/// Run it in `record.cwd` so that relative input paths resolve as before.
pub fn rerun_argv(record: &ProvRecord, new_out: &Path) -> Vec<String> {
    let new = new_out.to_string_lossy().into_owned();
    let mut argv = record.argv.clone();
    let mut replaced = false;
    let mut i = 1;
    while i < argv.len() {
        if (argv[i] == "--out" || argv[i] == "-o") && i + 1 < argv.len() {
            argv[i + 1] = new.clone();
            replaced = true;
            i += 1;
        } else if argv[i].starts_with("--out=") {
            argv[i] = format!("--out={new}");
            replaced = true;
        }
        i += 1;
    }
    if !replaced {
        argv.push("--out".into());
        argv.push(new);
    }
    argv
}
