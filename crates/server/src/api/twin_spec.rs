//! Where a new twin's spec goes and how it is loaded: a path on the
//! server is used where it is; TOML text is written under `twins/<id>/`.
//! Either kind of spec (epidemic or flood) is loaded once, where it will
//! stay (a flood twin is calibrated then).

use std::path::{Path, PathBuf};

use super::twins::CreateTwin;
use crate::hosted::{is_flood_spec_text, Hosted};
use crate::problem::{ApiResult, Problem};
use crate::SharedState;

pub(super) fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    id.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The name in the spec at `path`, checking the spec without reading its
/// data (a flood twin is calibrated only once, where it will stay).
fn spec_name(path: &Path) -> Result<String, String> {
    let text = didymos_core::fs::read_text(path, didymos_core::fs::SPEC_MAX_BYTES)
        .map_err(|e| e.to_string())?;
    if is_flood_spec_text(&text) {
        didymos_hydro::spec::parse_flood_spec(path, &text)
            .map(|s| s.name)
            .map_err(|e| e.to_string())
    } else {
        crate::hosted::epidemic::load(path).map(|l| l.spec.name)
    }
}

/// Loads the spec where it will stay; returns its path and the loaded twin.
pub(super) fn place_spec(state: &SharedState, req: &CreateTwin) -> ApiResult<(PathBuf, Hosted)> {
    match (&req.spec_path, &req.spec_toml) {
        (Some(p), None) => {
            let path = std::fs::canonicalize(p).map_err(|e| {
                Problem::unprocessable(format!("{p}: cannot read the spec: {e}")).at("/spec_path")
            })?;
            // A FIFO or a device would hold this request (and a blocking
            // thread) until a writer came, and the service reads the spec
            // again at every start.
            if !path.is_file() {
                return Err(Problem::unprocessable(format!(
                    "{p}: not a regular file; a twin's spec must be a file the service can read again"
                ))
                .at("/spec_path"));
            }
            let loaded = Hosted::load(&path, None)
                .map_err(|e| Problem::unprocessable(e).at("/spec_path"))?;
            Ok((path, loaded))
        }
        (None, Some(text)) => {
            let tmp = state
                .twins_dir()
                .join(format!(".incoming-{}", crate::live::new_run_id("spec")));
            let io = |e: std::io::Error| Problem::internal(e.to_string());
            std::fs::create_dir_all(&tmp).map_err(io)?;
            let path = tmp.join("twin.toml");
            std::fs::write(&path, text).map_err(io)?;
            let name = match spec_name(&path) {
                Ok(n) => n,
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&tmp);
                    return Err(Problem::unprocessable(e).at("/spec_toml"));
                }
            };
            let id = req.id.clone().unwrap_or(name);
            let dir = state.twins_dir().join(&id);
            if !valid_id(&id) || dir.exists() {
                let _ = std::fs::remove_dir_all(&tmp);
                if !valid_id(&id) {
                    return Err(
                        Problem::unprocessable(format!("`{id}` is not a valid twin id")).at("/id"),
                    );
                }
                return Err(Problem::conflict(format!("a twin `{id}` already exists")));
            }
            std::fs::rename(&tmp, &dir).map_err(io)?;
            let path = dir.join("twin.toml");
            match Hosted::load(&path, None) {
                Ok(loaded) => Ok((path, loaded)),
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    Err(Problem::unprocessable(e).at("/spec_toml"))
                }
            }
        }
        _ => Err(Problem::unprocessable(
            "give exactly one of `spec_path` and `spec_toml`",
        )),
    }
}
