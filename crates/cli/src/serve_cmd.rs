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
