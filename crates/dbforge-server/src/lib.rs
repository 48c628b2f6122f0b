//! The DB-Forge gateway's HTTP server: thin fronts (`fronts/`: REST, libSQL's Hrana) over the
//! core (`dbforge-core`), operations (`ops/`: telemetry, activity, dashboard), the HTTP
//! plumbing they share (`http/`), and the composition (`app`). `serve` runs it; tests run it
//! in-process with `Gateway::open` and `serve_with`, which also runs the background work
//! (`router` alone builds the routes and starts nothing).

pub mod app;
pub mod config;
pub mod fronts;
pub mod http;
pub mod ops;

use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use dbforge_core::{Core, KeySource, Reconciled};
use tokio::net::TcpListener;

pub use app::{AppState, router};
pub use config::ServeConfig;
pub use dbforge_engine::SQL_THREAD_STACK_BYTES;

use crate::http::{guard, listener};
use crate::ops::{Ops, telemetry};

/// How often full rate-limit buckets are forgotten (their stores grow with every client
/// address and credential seen).
const THROTTLE_UPKEEP_INTERVAL: Duration = Duration::from_secs(30);

/// An opened data directory, ready to serve.
pub struct Gateway {
    pub state: AppState,
    pub key_source: KeySource,
    pub reconciled: Reconciled,
}

impl Gateway {
    /// Opens the core (engine, catalog, adopting database files found in the data
    /// directory, the admin key) and the state ops keep. Blocking.
    pub fn open(config: &ServeConfig) -> Result<Self, String> {
        let timeline = Arc::new(ops::timeline::Timeline::default());
        let (core, opened) = Core::open(
            config.core_config(),
            vec![Arc::clone(&timeline) as Arc<dyn dbforge_core::QueryObserver>],
        )?;
        let config = Arc::new(config.clone());
        let state = AppState::new(app::Shared {
            core: core.clone(),
            guard: Arc::new(guard::Guard {
                request_timeout: config.request_timeout,
                body_read_timeout: config.body_read_timeout,
                body_memory: Arc::new(guard::BodyMemory::new(config.max_body_memory)),
                is_public: Box::new(app::public_routes(config.metrics_public)),
                is_upload: fronts::rest::is_upload_route,
                upload_timeout: config.import_timeout,
                refuse: app::refuse,
                refuse_limited: app::refuse_limited,
                throttle: Arc::new(http::throttle::Throttle::new(config.throttle_config())),
            }),
            ops: Arc::new(Ops {
                core,
                config,
                activity: ops::activity::ActivityLog::default(),
                timeline,
                bound: std::sync::OnceLock::new(),
            }),
        });
        Ok(Self {
            state,
            key_source: opened.key_source,
            reconciled: opened.reconciled,
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
            .is_some_and(|k| k.trim().chars().count() < dbforge_core::MIN_ADMIN_KEY_CHARS)
    {
        tracing::warn!(
            "DEVELOPMENT MODE: the configured admin key is shorter than {} characters; it would \
             be refused without --dev",
            dbforge_core::MIN_ADMIN_KEY_CHARS
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
            dbforge_core::DEV_KEY
        );
    }
    announce(address, &gateway.key_source, config.tls_cert.is_some());
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
fn announce(address: std::net::SocketAddr, key: &KeySource, tls: bool) {
    let mut out = std::io::stdout().lock();
    let scheme = if tls { "https" } else { "http" };
    let _ = writeln!(
        out,
        "DB-Forge {} listening on {scheme}://{address}",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(out, "  API docs: {scheme}://{address}/docs/");
    let _ = match key {
        KeySource::Generated { path, key } => writeln!(
            out,
            "  admin API key (generated now, shown only this once; stored in {}):\n    {key}",
            path.display()
        ),
        KeySource::Stored { path } => writeln!(out, "  admin API key: in {}", path.display()),
        KeySource::Configured => writeln!(out, "  admin API key: as configured"),
        KeySource::DevOnly => writeln!(out, "  admin API key: {}", dbforge_core::DEV_KEY),
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
    let tls = match (&state.ops.config.tls_cert, &state.ops.config.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(
            http::tls::Tls::load(cert, key).map_err(std::io::Error::other)?,
        )),
        (None, None) => None,
        _ => {
            return Err(std::io::Error::other(
                "--tls-cert and --tls-key go together: give both, or neither",
            ));
        }
    };
    let reloads = tls.clone().map(|tls| tokio::spawn(reload_on_hangup(tls)));
    if let Ok(address) = listener.local_addr() {
        let _ = state.ops.bound.set(address);
    }
    // Every piece of background work starts here and stops below, before the databases close.
    let mut background = state.core.start_background();
    background.every(Duration::from_secs(1), || {
        telemetry::prometheus().run_upkeep();
    });
    let throttle = Arc::clone(&state.guard.throttle);
    background.every(THROTTLE_UPKEEP_INTERVAL, move || throttle.forget_idle());
    let descriptors = listener::raise_descriptor_limit();
    let limits = state.ops.config.connection_limits(descriptors);
    tracing::info!(
        max_connections = limits.max_connections,
        descriptors,
        "connection limit"
    );
    listener::serve(
        listener,
        router(state.clone()),
        limits,
        tls,
        shutdown,
        drain_timeout,
    )
    .await;
    if let Some(reloads) = reloads {
        reloads.abort();
    }
    background.stop();
    let core = state.core.clone();
    let _ = tokio::task::spawn_blocking(move || core.close_all()).await;
    Ok(())
}

/// Reads the certificate and key again on each SIGHUP (a renewal): new connections get the
/// new ones, open connections keep theirs.
async fn reload_on_hangup(tls: Arc<http::tls::Tls>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; the TLS certificate will not be reloaded");
        return;
    };
    while hangups.recv().await.is_some() {
        match tls.reload() {
            Ok(()) => tracing::info!("SIGHUP: reloaded the TLS certificate and key"),
            Err(e) => tracing::error!(error = %e, "SIGHUP: kept the old TLS certificate"),
        }
    }
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
