//! Provenance for Didymos runs.
//!
//! Every run writes a W3C PROV-JSON document (`prov.json`) next to its
//! outputs: one entity per file it used or generated (path, size, SHA-256),
//! the run as an activity (command, argv, working directory, start and end
//! times) and the software and the user as agents. A run that consumes an
//! earlier run's output records `wasInformedBy` that earlier run, so chains
//! of runs can be walked back to their original inputs.
//!
//! ```no_run
//! # fn main() -> Result<(), didymos_prov::Error> {
//! use std::path::Path;
//! let agent = didymos_prov::build_info!();
//! let argv: Vec<String> = std::env::args().collect();
//! let mut rec = didymos_prov::Recorder::start("run", argv, agent);
//! rec.used("spec", Path::new("twin.toml"))?;
//! // ... the run writes out/observables.parquet ...
//! rec.generated("output", Path::new("out/observables.parquet"))?;
//! rec.finish(Path::new("out"))?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod agent;
mod doc;
mod document;
mod hash;
mod load;
mod push;
mod record;
mod show;
mod verify;

pub use agent::{emit_git_commit_for_build_script, git_commit_of, host_name, user_name, AgentInfo};
pub use hash::{now_rfc3339, sha256_file};
pub use load::{load, FileRecord, Informant, ProvRecord};
pub use push::{push, push_with_token};
pub use record::Recorder;
pub use show::{show_tree, to_dot};
pub use verify::{compare_outputs, rerun_argv, verify_inputs, Mismatch};

use std::path::PathBuf;

/// The file name of the provenance document in a run's output directory.
pub const PROV_FILE: &str = "prov.json";

/// The namespace URI behind the `didymos:` prefix.
pub const NAMESPACE: &str = "https://example.invalid/didymos/prov#";

/// Errors from recording, reading, verifying or pushing provenance.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read, written or hashed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A provenance document is not one this crate wrote.
    #[error("{}: {message}", path.display())]
    Format { path: PathBuf, message: String },
    /// The push target URL is not usable.
    #[error("push: {0}")]
    Url(String),
    /// The push failed on the network or the server answered non-2xx.
    #[error("push to {url}: {message}")]
    Http {
        url: String,
        /// The HTTP status, when the server answered.
        status: Option<u16>,
        message: String,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
