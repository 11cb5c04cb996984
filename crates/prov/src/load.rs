//! Reading our own PROV-JSON back.

use crate::doc::text;
use crate::{io_err, AgentInfo, Error, Result, PROV_FILE};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// One file a run used or generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// Entity id, `didymos:sha256-<hex>`.
    pub id: String,
    /// "spec", "input", "checkpoint", "output", … (`prov:role`).
    pub role: String,
    /// Absolute path at the time of the run.
    pub path: PathBuf,
    /// For outputs: the path relative to the run's output directory.
    pub rel_path: Option<String>,
    pub sha256: String,
    pub size: u64,
}

/// An earlier run this one consumed an output of (`wasInformedBy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Informant {
    /// The earlier run's activity id.
    pub activity: String,
    pub command: Option<String>,
    pub started: Option<String>,
    pub ended: Option<String>,
    /// The earlier run's `prov.json`, as found when this run started.
    pub document: Option<PathBuf>,
    /// SHA-256 of that document when this run read it.
    pub document_sha256: Option<String>,
    /// The entity (file) through which this run consumed its output.
    pub entity: Option<String>,
}

/// A run's provenance, as [`load`] reads it from `prov.json`.
#[derive(Debug, Clone)]
pub struct ProvRecord {
    /// The `prov.json` this was read from.
    pub document: PathBuf,
    /// The run's activity id, `didymos:run-…`.
    pub activity_id: String,
    pub command: String,
    pub argv: Vec<String>,
    /// The working directory the run was started in.
    pub cwd: Option<PathBuf>,
    /// RFC 3339 UTC.
    pub started: String,
    pub ended: String,
    pub agent: AgentInfo,
    pub inputs: Vec<FileRecord>,
    pub outputs: Vec<FileRecord>,
    pub informed_by: Vec<Informant>,
    /// The whole document.
    pub json: Value,
}

impl ProvRecord {
    /// The run id without the `didymos:` prefix (`run-20261122T035201Z-1a2b3c4d`),
    /// suitable as a yProv document id.
    pub fn run_id(&self) -> &str {
        self.activity_id
            .strip_prefix("didymos:")
            .unwrap_or(&self.activity_id)
    }
}

/// Reads a run's provenance from its `prov.json`, or from the `prov.json`
/// inside a run directory.
pub fn load(path_or_run_dir: &Path) -> Result<ProvRecord> {
    let path = if path_or_run_dir.is_dir() {
        path_or_run_dir.join(PROV_FILE)
    } else {
        path_or_run_dir.to_path_buf()
    };
    let bytes = std::fs::read(&path).map_err(io_err(&path))?;
    let json: Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(&path, format!("not JSON: {e}")))?;
    parse(path, json)
}

fn bad(path: &Path, message: String) -> Error {
    Error::Format {
        path: path.to_path_buf(),
        message,
    }
}

fn parse(path: PathBuf, json: Value) -> Result<ProvRecord> {
    let empty = Map::new();
    let section = |k: &str| json.get(k).and_then(Value::as_object).unwrap_or(&empty);
    let get = |o: &Value, k: &str| text(o.get(k)).unwrap_or_default();
    // Earlier runs appear as stub activities; ours is the one never an informant.
    let informants: Vec<String> = section("wasInformedBy")
        .values()
        .filter_map(|r| text(r.get("prov:informant")))
        .collect();
    let informants: Vec<&String> = informants.iter().collect();
    let (activity_id, act) = section("activity")
        .iter()
        .find(|(id, a)| a.get("didymos:command").is_some() && !informants.contains(id))
        .ok_or_else(|| {
            bad(
                &path,
                "no didymos run activity (not written by didymos-prov?)".into(),
            )
        })?;
    let entity = section("entity");
    let files = |rel: &str| -> Result<Vec<FileRecord>> {
        let mut out = Vec::new();
        // Relation ids are zero-padded (`_:u0001`), so key order is call order.
        for r in section(rel)
            .values()
            .filter(|r| text(r.get("prov:activity")).as_ref() == Some(activity_id))
        {
            let id = get(r, "prov:entity");
            let e = entity
                .get(&id)
                .ok_or_else(|| bad(&path, format!("{rel} names unknown entity {id}")))?;
            out.push(FileRecord {
                role: get(r, "prov:role"),
                path: PathBuf::from(get(e, "didymos:path")),
                rel_path: text(e.get("didymos:relPath")),
                sha256: get(e, "didymos:sha256"),
                size: get(e, "didymos:size").parse().unwrap_or(0),
                id,
            });
        }
        Ok(out)
    };
    let inputs = files("used")?;
    let outputs = files("wasGeneratedBy")?;
    let agent_json = section("agent")
        .values()
        .find(|a| a.get("didymos:version").is_some());
    let agent = agent_json.map(|a| AgentInfo {
        version: get(a, "didymos:version"),
        git_commit: text(a.get("didymos:gitCommit")),
        profile: get(a, "didymos:profile"),
        features: get(a, "didymos:features")
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        host: get(a, "didymos:host"),
        user: get(a, "didymos:user"),
    });
    let activities = section("activity");
    let informed_by = section("wasInformedBy")
        .values()
        .filter(|r| text(r.get("prov:informed")).as_ref() == Some(activity_id))
        .map(|r| {
            let activity = get(r, "prov:informant");
            let stub = activities.get(&activity);
            let from_stub = |k: &str| stub.and_then(|s| text(s.get(k)));
            Informant {
                command: from_stub("didymos:command"),
                started: from_stub("prov:startTime"),
                ended: from_stub("prov:endTime"),
                document: text(r.get("didymos:provDocument")).map(PathBuf::from),
                document_sha256: text(r.get("didymos:provDocumentSha256")),
                entity: text(r.get("didymos:entity")),
                activity,
            }
        })
        .collect();
    let argv = act
        .get("didymos:argv")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| text(Some(v))).collect())
        .unwrap_or_default();
    Ok(ProvRecord {
        activity_id: activity_id.clone(),
        command: get(act, "didymos:command"),
        argv,
        cwd: text(act.get("didymos:cwd")).map(PathBuf::from),
        started: get(act, "prov:startTime"),
        ended: get(act, "prov:endTime"),
        agent: agent.ok_or_else(|| bad(&path, "no didymos software agent".into()))?,
        inputs,
        outputs,
        informed_by,
        document: path,
        json,
    })
}
