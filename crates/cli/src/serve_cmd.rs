//! `didymos serve`: the twin service (crates/server) on one port.

use std::net::SocketAddr;
use std::path::PathBuf;

use didymos_core::{Error, Result};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Folder for the store (SQLite), checkpoints and job records.
    #[arg(long, default_value = "didymos-data")]
    data_dir: PathBuf,
    /// Address to listen on; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Read the admin token from this file; if it is absent, a new token is
    /// written to it (mode 0600). Without it, a new admin token is printed
    /// once, at the first start.
    #[arg(long)]
    admin_token_file: Option<PathBuf>,
    /// MQTT broker (HOST:PORT) to subscribe to for streams bound to topics.
    #[arg(long)]
    mqtt: Option<String>,
    /// Commit durability: `full` (fsync every commit: survives power loss)
    /// or `normal` (survives a crash of the server, not of the machine).
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    sync: String,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, default_value_t = 16 << 20)]
    max_body_bytes: usize,
}

pub fn serve(args: &ServeArgs) -> Result<()> {
    let mut config = didymos_server::Config::new(&args.data_dir);
    config.listen = args.listen;
    config.admin_token_file = args.admin_token_file.clone();
    config.mqtt = args.mqtt.clone();
    config.sync = match args.sync.as_str() {
        "normal" => didymos_server::SyncMode::Normal,
        _ => didymos_server::SyncMode::Full,
    };
    config.max_body_bytes = args.max_body_bytes;
    didymos_server::serve_blocking(config).map_err(Error::Other)
}

/// Checks and copies of the service's store (`didymos store …`).
#[derive(clap::Subcommand)]
pub enum StoreCommand {
    /// Check every page of a store (a running service may keep using it) and count what it holds.
    Check {
        /// The service's --data-dir, or the store file itself.
        path: PathBuf,
        /// Also check every index against its table (slower).
        #[arg(long)]
        full: bool,
    },
    /// Write a consistent, checked copy of a store while the service runs.
    Backup {
        /// The service's --data-dir, or the store file itself.
        path: PathBuf,
        /// The copy to write; an existing file is never overwritten.
        #[arg(long)]
        to: PathBuf,
    },
}

/// A data folder holds its store as `didymos.sqlite`.
fn store_file(path: &std::path::Path) -> PathBuf {
    if path.is_dir() {
        path.join("didymos.sqlite")
    } else {
        path.to_path_buf()
    }
}

pub fn store_cmd(cmd: &StoreCommand) -> Result<()> {
    use didymos_server::store::integrity;
    let store = |e: didymos_server::store::StoreError| Error::Other(e.to_string());
    let summary = match cmd {
        StoreCommand::Check { path, full } => {
            integrity::check(&store_file(path), *full).map_err(store)?
        }
        StoreCommand::Backup { path, to } => {
            integrity::backup(&store_file(path), to).map_err(store)?
        }
    };
    outln!(
        "{}: ok ({} bytes, schema {}): {} twins, {} streams, {} observations ({} retracted), {} forecasts, {} runs, {} rejected MQTT messages",
        summary.path.display(),
        summary.bytes,
        summary.schema_version,
        summary.twins,
        summary.streams,
        summary.observations,
        summary.retracted_observations,
        summary.forecasts,
        summary.runs,
        summary.rejected_messages
    );
    Ok(())
}
