//! The Didymos twin service: twins (epidemic or flood, see [`hosted`]) and
//! their data streams over a REST API, durable ingest (HTTP and MQTT) into
//! an embedded SQLite store, a live loop that assimilates new data from the
//! last checkpoint, re-forecasts, evaluates alert rules and publishes them
//! (SSE and webhooks), scenario jobs, and W3C PROV for every job.
//! `didymos serve` runs it.
#![forbid(unsafe_code)]

pub mod alerts;
pub mod api;
pub mod auth;
pub mod events;
pub mod hosted;
pub mod ingest;
pub mod jobs;
pub mod live;
pub mod mqtt;
pub mod nowcast;
pub mod openapi;
pub mod problem;
pub mod registry;
pub mod retention;
pub mod server;
pub mod skill;
pub mod store;
pub mod worker;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc, Notify};

pub use server::{serve, start, BackgroundServer, RunningServer};
pub use store::SyncMode;

/// How the server is run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the store, checkpoints and run folders live.
    pub data_dir: PathBuf,
    /// Address to listen on (127.0.0.1 unless told otherwise).
    pub listen: SocketAddr,
    /// Read the admin token from this file (written there, once, if absent).
    pub admin_token_file: Option<PathBuf>,
    /// The admin token itself (tests); wins over the file.
    pub admin_token: Option<String>,
    /// MQTT broker `host:port` to subscribe to for streams bound to topics.
    pub mqtt: Option<String>,
    pub sync: SyncMode,
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_token_file: None,
            admin_token: None,
            mqtt: None,
            sync: SyncMode::Full,
            max_body_bytes: 16 << 20,
        }
    }
}

/// Everything the handlers and background tasks share.
pub struct AppState {
    pub config: Config,
    pub store: store::Store,
    pub registry: registry::Registry,
    pub tokens: auth::TokenCache,
    pub events: broadcast::Sender<events::ServiceEvent>,
    /// Twins with new data, for the live loop.
    pub dirty: mpsc::UnboundedSender<String>,
    /// Wakes the webhook sender.
    pub deliveries: Notify,
    /// Cancel flags of running scenario jobs.
    pub cancel: Mutex<HashMap<String, Arc<AtomicBool>>>,
    pub mqtt: Option<mqtt::MqttHandle>,
    pub mqtt_stats: mqtt::MqttStats,
    /// Set when the server stops, so endless responses (SSE) end and the
    /// graceful shutdown does not wait for them forever.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// Skill answers already computed (see [`skill::SkillCache`]).
    pub skill_cache: skill::SkillCache,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    pub fn runs_dir(&self) -> PathBuf {
        self.config.data_dir.join("runs")
    }
    pub fn twins_dir(&self) -> PathBuf {
        self.config.data_dir.join("twins")
    }
    /// Tells the live loop that `twin` has new data.
    pub fn mark_dirty(&self, twin: &str) {
        let _ = self.dirty.send(twin.to_string());
    }
}

/// Logs to stderr; `RUST_LOG` filters (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs the service on its own runtime until SIGTERM or ctrl-c (the
/// `didymos serve` command).
pub fn serve_blocking(config: Config) -> Result<(), String> {
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let result = runtime.block_on(serve(config)).map_err(|e| e.to_string());
    // Jobs still running on blocking threads are abandoned, not awaited:
    // their results are recorded only once complete, so nothing half-done
    // looks finished (and an interrupted job is marked failed at restart).
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result
}
