//! Starting and stopping the service: the store, the admin token, the
//! twins, the background tasks (live loop, webhooks, MQTT) and the HTTP
//! listener with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot, Notify};

use crate::auth::{hash_token, new_token};
use crate::store::{self, now_ms, Store};
use crate::{AppState, Config, SharedState};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Io(String),
}

/// A started server.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// The admin token, when this start created it (shown once) or was given it.
    pub admin_token: Option<String>,
    pub state: SharedState,
    shutdown: oneshot::Sender<()>,
    http: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting requests, finishes those in flight, and returns.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        self.state.stopping.send_replace(true);
        let _ = self.http.await;
        if let Err(e) = self.state.store.checkpoint() {
            tracing::warn!("the store's log was not folded into its file at shutdown: {e}");
        }
    }
}

/// A data folder whose runs outlived its store: starting an empty store
/// there would serve as if every twin, stream and observation had never
/// existed.
fn refuse_a_lost_store(db: &std::path::Path, runs: &std::path::Path) -> Result<(), ServerError> {
    if store::integrity::probe(db)? == store::integrity::Found::Store {
        return Ok(());
    }
    let earlier = std::fs::read_dir(runs)
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0);
    if earlier == 0 {
        return Ok(());
    }
    Err(ServerError::Io(format!(
        "{} is missing or empty, but {} holds {earlier} run record(s) of an earlier store: \
         the store was lost or moved. Restore it (copy your latest `didymos store backup` \
         to {}), or start the service with an empty --data-dir",
        db.display(),
        runs.display(),
        db.display()
    )))
}

/// The admin token: given, read from its file, or created (and then
/// written to the file, or returned to be printed once).
fn admin_token(config: &Config, store: &Store) -> Result<Option<String>, ServerError> {
    let io = |e: std::io::Error| ServerError::Io(e.to_string());
    let token = if let Some(t) = &config.admin_token {
        Some(t.clone())
    } else if let Some(path) = &config.admin_token_file {
        if path.exists() {
            let t = std::fs::read_to_string(path)
                .map_err(io)?
                .trim()
                .to_string();
            if t.len() < 16 {
                return Err(ServerError::Io(format!(
                    "{}: an admin token needs at least 16 characters",
                    path.display()
                )));
            }
            Some(t)
        } else {
            let t = new_token();
            write_secret(path, &t).map_err(io)?;
            Some(t)
        }
    } else {
        let tokens = store.read_blocking(store::list_tokens)?;
        if tokens.iter().any(|t| t.scopes.iter().any(|s| s == "admin")) {
            None
        } else {
            Some(new_token())
        }
    };
    if let Some(t) = &token {
        let hash = hash_token(t);
        store.write_blocking(move |c| {
            store::insert_token(c, "admin", &hash, &["admin".to_string()], now_ms())
        })?;
    }
    Ok(token)
}

fn write_secret(path: &std::path::Path, token: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(token.as_bytes())?;
    f.sync_all()
}

/// Starts the service on the current tokio runtime.
pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
    let io = |e: std::io::Error| ServerError::Io(e.to_string());
    std::fs::create_dir_all(config.data_dir.join("runs")).map_err(io)?;
    std::fs::create_dir_all(config.data_dir.join("twins")).map_err(io)?;
    let db = config.data_dir.join("didymos.sqlite");
    refuse_a_lost_store(&db, &config.data_dir.join("runs"))?;
    let store = Store::open(&db, config.sync)?;
    store.write_blocking(|c| store::fail_interrupted_runs(c, now_ms()))?;
    let token = admin_token(&config, &store)?;

    let (events, _) = broadcast::channel(1024);
    let (dirty_tx, dirty_rx) = mpsc::unbounded_channel();
    let (mqtt, mqtt_loop) = match &config.mqtt {
        Some(addr) => {
            // One persistent MQTT session per data directory, so messages
            // not yet acknowledged survive a restart of the server.
            let dir = std::fs::canonicalize(&config.data_dir).map_err(io)?;
            let session = sha2_hex(dir.to_string_lossy().as_bytes());
            let (handle, event_loop) =
                crate::mqtt::connect(addr, &session[..16]).map_err(ServerError::Io)?;
            (Some(handle), Some(event_loop))
        }
        None => (None, None),
    };
    let state: SharedState = Arc::new(AppState {
        config: config.clone(),
        store: store.clone(),
        registry: Default::default(),
        tokens: Default::default(),
        events,
        dirty: dirty_tx,
        deliveries: Notify::new(),
        cancel: Default::default(),
        mqtt,
        mqtt_stats: Default::default(),
        stopping: tokio::sync::watch::channel(false).0,
        skill_cache: Default::default(),
    });
    state
        .tokens
        .replace(store.read_blocking(store::list_tokens)?);
    load_twins(&state)?;

    crate::worker::spawn(state.clone(), dirty_rx);
    crate::alerts::spawn_sender(state.clone());
    if let Some(event_loop) = mqtt_loop {
        crate::mqtt::spawn(state.clone(), event_loop);
    }
    for id in state.registry.ids() {
        state.mark_dirty(&id);
    }

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServerError::Io(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener.local_addr().map_err(io)?;
    let app = crate::api::router(state.clone());
    let (shutdown, shutdown_rx) = oneshot::channel::<()>();
    let http = tokio::spawn(async move {
        let graceful = async {
            let _ = shutdown_rx.await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(graceful)
            .await
        {
            tracing::error!("HTTP server: {e}");
        }
    });
    Ok(RunningServer {
        addr,
        admin_token: token,
        state,
        shutdown,
        http,
    })
}

/// Loads every stored twin's spec (a flood twin with the parameters it was
/// calibrated to at registration); one that no longer loads is logged and
/// left out (its data stay in the store).
fn load_twins(state: &SharedState) -> Result<(), ServerError> {
    let rows = state.store.read_blocking(store::list_twins)?;
    for row in rows {
        let path = std::path::Path::new(&row.spec_path);
        match crate::hosted::Hosted::load(path, row.parameters.as_deref()) {
            Ok(loaded) => {
                let id = row.id.clone();
                let streams = state
                    .store
                    .read_blocking(move |c| store::list_streams(c, Some(&id)))?;
                for s in &streams {
                    if let (Some(topic), Some(m)) = (&s.mqtt_topic, &state.mqtt) {
                        m.bind(topic, &s.twin_id, &s.name);
                    }
                }
                state.registry.insert(&row, loaded, streams);
            }
            Err(e) => tracing::error!("twin `{}` cannot be loaded: {e}", row.id),
        }
    }
    Ok(())
}

/// Runs the service until SIGTERM or ctrl-c, then shuts down gracefully.
pub async fn serve(config: Config) -> Result<(), ServerError> {
    let running = start(config).await?;
    eprintln!("didymos serve: listening on http://{}", running.addr);
    if let Some(t) = &running.admin_token {
        if running.state.config.admin_token_file.is_none()
            && running.state.config.admin_token.is_none()
        {
            eprintln!("admin token (shown once; keep it): {t}");
        }
    }
    shutdown_signal().await;
    eprintln!("didymos serve: shutting down");
    running.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// A server on its own runtime and thread (tests, benchmarks); stopped
/// when dropped.
pub struct BackgroundServer {
    pub addr: SocketAddr,
    pub admin_token: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundServer {
    pub fn start(config: Config) -> Result<BackgroundServer, ServerError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(ServerError::Io(e.to_string())));
                    return;
                }
            };
            rt.block_on(async move {
                match start(config).await {
                    Ok(running) => {
                        let _ = ready_tx.send(Ok((running.addr, running.admin_token.clone())));
                        let _ = stop_rx.await;
                        running.stop().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
            rt.shutdown_timeout(std::time::Duration::from_secs(5));
        });
        let (addr, admin_token) = ready_rx
            .recv()
            .map_err(|_| ServerError::Io("the server thread died".into()))??;
        Ok(BackgroundServer {
            addr,
            admin_token,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
