//! `Recorder`: collects what a run used and generated, then writes `prov.json`.

use crate::hash::{new_run_id, now_rfc3339, sha256_bytes, sha256_file};
use crate::load::{load, Informant};
use crate::{io_err, AgentInfo, Result, PROV_FILE};
use std::path::{Path, PathBuf};

pub(crate) struct FileEntry {
    pub(crate) id: String,
    pub(crate) role: String,
    pub(crate) path: PathBuf,
    pub(crate) sha256: String,
    pub(crate) size: u64,
    pub(crate) time: String,
}

/// Records one run. Start it before reading inputs, call [`Recorder::used`]
/// for every input file and [`Recorder::generated`] for every finished
/// output, then [`Recorder::finish`].
pub struct Recorder {
    pub(crate) command: String,
    pub(crate) argv: Vec<String>,
    pub(crate) agent: AgentInfo,
    pub(crate) run_id: String,
    pub(crate) started: String,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) inputs: Vec<FileEntry>,
    pub(crate) outputs: Vec<FileEntry>,
    pub(crate) informants: Vec<Informant>,
}

impl Recorder {
    /// Starts recording a run of `command` (e.g. `"run"`) invoked as `argv`.
    pub fn start(command: &str, argv: Vec<String>, agent: AgentInfo) -> Recorder {
        let started = now_rfc3339();
        Recorder {
            command: command.to_owned(),
            argv,
            agent,
            run_id: new_run_id(&started),
            started,
            cwd: std::env::current_dir().ok(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            informants: Vec::new(),
        }
    }

    /// The run's activity id, `didymos:run-…`.
    pub fn activity_id(&self) -> String {
        format!("didymos:run-{}", self.run_id)
    }

    /// Records an input file (`role`: "spec", "config", "input",
    /// "checkpoint", …), hashing it now. If a `prov.json` next to the file
    /// (or one directory up) lists it among its outputs, this run is recorded
    /// as informed by that earlier run.
    pub fn used(&mut self, role: &str, path: &Path) -> Result<()> {
        self.used_copy_of(role, path, path)
    }

    /// [`used`](Self::used) for `path`, a copy or link of `original` made
    /// so the file outlives the original's pruning: hashed at `path`, and
    /// traced to the run whose `prov.json` sits by `original`.
    pub fn used_copy_of(&mut self, role: &str, path: &Path, original: &Path) -> Result<()> {
        let entry = self.entry(role, path)?;
        for dir in original.ancestors().skip(1).take(2) {
            let doc = dir.join(PROV_FILE);
            let Ok(earlier) = load(&doc) else { continue };
            let hit = earlier.outputs.iter().any(|o| o.sha256 == entry.sha256);
            if hit
                && !self
                    .informants
                    .iter()
                    .any(|i| i.activity == earlier.activity_id)
            {
                let bytes = std::fs::read(&doc).unwrap_or_default();
                self.informants.push(Informant {
                    activity: earlier.activity_id.clone(),
                    command: Some(earlier.command.clone()),
                    started: Some(earlier.started.clone()),
                    ended: Some(earlier.ended.clone()),
                    document: Some(doc),
                    document_sha256: Some(sha256_bytes(&bytes)),
                    entity: Some(entry.id.clone()),
                });
            }
        }
        if !self.inputs.iter().any(|e| e.id == entry.id) {
            self.inputs.push(entry);
        }
        Ok(())
    }

    /// Records a finished output file (`role`: "output", "checkpoint",
    /// "summary", …), hashing it now.
    pub fn generated(&mut self, role: &str, path: &Path) -> Result<()> {
        let entry = self.entry(role, path)?;
        if !self.outputs.iter().any(|e| e.id == entry.id) {
            self.outputs.push(entry);
        }
        Ok(())
    }

    /// Hashes a file and picks its entity id: `didymos:sha256-<hex>`, so the
    /// same content has the same id in every document; a second file with
    /// the same content but another path gets a `-2`, `-3`, … suffix.
    fn entry(&self, role: &str, path: &Path) -> Result<FileEntry> {
        let path = path.canonicalize().map_err(io_err(path))?;
        let (sha256, size) = sha256_file(&path)?;
        let base = format!("didymos:sha256-{sha256}");
        let known = self.inputs.iter().chain(&self.outputs);
        let mut id = base.clone();
        for n in 2.. {
            match known.clone().find(|e| e.id == id) {
                Some(e) if e.path != path => id = format!("{base}-{n}"),
                _ => break,
            }
        }
        Ok(FileEntry {
            id,
            role: role.to_owned(),
            path,
            sha256,
            size,
            time: now_rfc3339(),
        })
    }

    /// Records the end time and writes `out_dir/prov.json` (to a temporary
    /// name, then renamed). Returns the document's path.
    pub fn finish(self, out_dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
        let out_abs = out_dir.canonicalize().map_err(io_err(out_dir))?;
        let doc = self.document(&out_abs, &now_rfc3339());
        let mut text = serde_json::to_string_pretty(&doc).expect("a JSON value always serialises");
        text.push('\n');
        let target = out_dir.join(PROV_FILE);
        let tmp = out_dir.join(format!(".{PROV_FILE}.tmp-{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &target)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io_err(&target)(e)
        })?;
        Ok(target)
    }
}
