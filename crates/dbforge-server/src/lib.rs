//! The DB-Forge gateway: configuration, catalog, auth, HTTP routes and operations around the
//! engine. `serve` runs it; `router` and `Gateway::open` let tests run it in-process.

pub mod activity;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod dashboard;
pub mod error;
pub mod guard;
pub mod hrana;
pub mod listener;
pub mod routes;
pub mod state;
pub mod stats;
pub mod telemetry;
pub mod timeline;

use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use dbforge_engine::Engine;
use tokio::net::TcpListener;

pub use config::ServeConfig;
pub use dbforge_engine::SQL_THREAD_STACK_BYTES;
pub use routes::router;

use crate::auth::{Auth, KeySource};
use crate::catalog::{Catalog, Reconciled};
use crate::state::AppState;
use crate::stats::Stats;

/// An opened data directory, ready to serve.
pub struct Gateway {
    pub state: AppState,
    pub key_source: KeySource,
    pub reconciled: Reconciled,
}

impl Gateway {
    /// Opens the engine and the catalog (adopting database files found in the data
    /// directory) and resolves the admin key. Blocking.
    pub fn open(config: &ServeConfig) -> Result<Self, String> {
        let engine = Engine::new(config.engine_config()).map_err(|e| e.message)?;
        let forge = config.forge_dir();
        let catalog = Catalog::open(&forge).map_err(|e| e.message)?;
        let found = engine.scan_data_dir().map_err(|e| e.message)?;
        let reconciled = catalog.reconcile(&found).map_err(|e| e.message)?;
        for name in &reconciled.adopted {
            // Learn the adopted database's table count by opening it once.
            let entry = catalog.get(name);
            if let Some(entry) = entry {
                let settings = dbforge_engine::DatabaseSettings {
                    max_size_bytes: entry.max_size_bytes.unwrap_or(config.max_database_size),
                };
                match engine.open(name, settings) {
                    Ok(db) => {
                        catalog
                            .set_table_count(name, db.table_count())
                            .map_err(|e| e.message)?;
                    }
                    Err(e) => {
                        tracing::warn!(database = %name, error = %e, "adopted database could not be opened")
                    }
                }
            }
        }
        let (auth, key_source) = Auth::resolve(config.admin_key.as_deref(), config.dev, &forge)
            .map_err(|e| format!("admin key in {}: {e}", forge.display()))?;
        let state = AppState::new(state::SharedState {
            engine: Arc::new(engine),
            catalog: Arc::new(catalog),
            auth,
            stats: Arc::new(Stats::new()),
            max_body_bytes: config.max_body_bytes,
            streams: Arc::new(hrana::Streams::new(config.stream_limits())),
            body_memory: Arc::new(guard::BodyMemory::new(config.max_body_memory)),
            config: Arc::new(config.clone()),
            bound: Arc::default(),
        });
        Ok(Self {
            state,
            key_source,
            reconciled,
        })
    }
}

/// Runs `dbforge serve` until SIGINT or SIGTERM, then drains requests, checkpoints and closes
/// every database.
pub async fn serve(config: ServeConfig) -> Result<(), String> {
    telemetry::init_logging(config.log_format, &config.log);
    let _ = telemetry::prometheus();
    // Before anything creates a file: databases, their logs, the catalog and the key file are
    // the owner's alone unless the operator says otherwise.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(config.umask));
    // Before anything opens files: databases, the catalog and connections all need
    // descriptors, and the usual soft limit of 1,024 is far below what the process may use.
    let descriptors = listener::raise_descriptor_limit();
    let config = config.fitted_to(descriptors);
    if config.dev
        && config
            .admin_key
            .as_deref()
            .is_some_and(|k| k.trim().chars().count() < auth::MIN_ADMIN_KEY_CHARS)
    {
        tracing::warn!(
            "DEVELOPMENT MODE: the configured admin key is shorter than {} characters; it would \
             be refused without --dev",
            auth::MIN_ADMIN_KEY_CHARS
        );
    }
    // Bind first: a start that cannot listen must not generate (and never show) a key.
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let opening = config.clone();
    let gateway = tokio::task::spawn_blocking(move || Gateway::open(&opening))
        .await
        .map_err(|e| e.to_string())??;
    for name in &gateway.reconciled.adopted {
        tracing::info!(database = %name, "adopted a database file found in the data directory");
    }
    for name in &gateway.reconciled.dropped {
        tracing::warn!(database = %name, "dropped a catalog entry whose database file is gone");
    }
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%address, data_dir = %config.data_dir.display(), "listening");
    warn_if_shared(&config.data_dir);
    if config.dev {
        tracing::warn!(
            "DEVELOPMENT MODE: the well-known key {} is accepted; never expose this server",
            auth::DEV_KEY
        );
    }
    announce(address, &gateway.key_source);
    serve_with(
        listener,
        gateway.state,
        shutdown_signal(),
        config.shutdown_timeout,
    )
    .await
    .map_err(|e| e.to_string())?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Warns when other users may read the data directory (it was made before, or elsewhere).
fn warn_if_shared(data_dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(data_dir)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            data_dir = %data_dir.display(),
            mode = format!("{:o}", meta.permissions().mode() & 0o777),
            "the data directory is open to other users; `chmod 700` it unless that is meant"
        );
    }
}

/// What a person starting the server needs: where it is and which key to use.
fn announce(address: std::net::SocketAddr, key: &KeySource) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "DB-Forge {} listening on http://{address}",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(out, "  API docs: http://{address}/docs/");
    let _ = match key {
        KeySource::Generated { path, key } => writeln!(
            out,
            "  admin API key (generated now, shown only this once; stored in {}):\n    {key}",
            path.display()
        ),
        KeySource::Stored { path } => writeln!(out, "  admin API key: in {}", path.display()),
        KeySource::Configured => writeln!(out, "  admin API key: as configured"),
        KeySource::DevOnly => writeln!(out, "  admin API key: {}", auth::DEV_KEY),
    };
    let _ = out.flush();
}

/// Serves `state` on `listener` until `shutdown` completes, lets in-flight requests finish
/// for at most `drain_timeout`, then checkpoints and closes every database.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain_timeout: Duration,
) -> std::io::Result<()> {
    // Installed before the first request, so /metrics counts from the start.
    let _ = telemetry::prometheus();
    if let Ok(address) = listener.local_addr() {
        let _ = state.bound.set(address);
    }
    let idle_timeout = state.engine.config().idle_timeout;
    let engine = Arc::clone(&state.engine);
    let housekeeping = tokio::spawn(async move {
        // Every second at most: the disk's free space is measured on the same beat.
        let mut tick = tokio::time::interval(
            (idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(1)),
        );
        loop {
            tick.tick().await;
            let engine = Arc::clone(&engine);
            let closed = tokio::task::spawn_blocking(move || {
                engine.disk().check();
                engine.close_idle()
            })
            .await
            .unwrap_or(0);
            if closed > 0 {
                tracing::debug!(closed, "closed idle databases");
            }
            telemetry::prometheus().run_upkeep();
        }
    });
    let descriptors = listener::raise_descriptor_limit();
    let limits = state.config.connection_limits(descriptors);
    tracing::info!(
        max_connections = limits.max_connections,
        descriptors,
        "connection limit"
    );
    listener::serve(
        listener,
        router(state.clone()),
        limits,
        shutdown,
        drain_timeout,
    )
    .await;
    let result = Ok(());
    housekeeping.abort();
    let engine = Arc::clone(&state.engine);
    let _ = tokio::task::spawn_blocking(move || engine.close_all()).await;
    result
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: draining requests, then checkpointing every database");
}
