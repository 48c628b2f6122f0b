//! What the core's operations share: the engine, the catalog, the auth policy, the counters
//! and the streams ([`Inner`], behind `Core`'s one `Arc`), and what is built from them for
//! several operations (a database's settings and info, the disk sizes, the statistics).

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use dbforge_api::{DatabaseInfo, DatabaseName, GatewayStats, Lineage};
use dbforge_engine::{Database, DatabaseSettings, Engine};

use crate::audit::AuditLog;
use crate::auth::Auth;
use crate::backups::Backups;
use crate::catalog::{Catalog, CatalogEntry};
use crate::clock::rfc3339;
use crate::error::{CoreError, CoreResult};
use crate::keys::KeyStore;
use crate::stats::{DiskSizes, Stats};
use crate::streams::Streams;
use crate::tokens::Tokens;

/// How old the per-database sizes behind the size order (and the gateway's total) may be
/// before one blocking task measures them again.
const DISK_SIZES_MAX_AGE: Duration = Duration::from_secs(2);

pub(crate) struct Inner {
    pub(crate) engine: Arc<Engine>,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) auth: Auth,
    pub(crate) keys: KeyStore,
    pub(crate) tokens: Tokens,
    pub(crate) audit: AuditLog,
    pub(crate) backups: Backups,
    pub(crate) exports: crate::export::Exports,
    /// The longest lifetime a minted token may have (`--token-max-lifetime`).
    pub(crate) token_max_lifetime: Duration,
    /// Requests in flight on one database at most (`--max-requests-per-database`).
    pub(crate) max_requests_per_database: usize,
    pub(crate) stats: Stats,
    pub(crate) streams: Arc<Streams>,
}

/// Runs blocking work (catalog writes, file system) off the async executor, inside the
/// caller's tracing span (what it logs carries the request's id).
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> CoreResult<T> + Send + 'static,
) -> CoreResult<T> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
        .await
        .map_err(|e| CoreError::internal(format!("blocking task: {e}")))?
}

/// A database's engine settings: its own quota, else the server's default.
pub(crate) fn settings(engine: &Engine, entry: &CatalogEntry) -> DatabaseSettings {
    DatabaseSettings {
        max_size_bytes: entry
            .max_size_bytes
            .unwrap_or(engine.config().limits.default_max_size_bytes),
    }
}

impl Inner {
    pub(crate) fn settings(&self, entry: &CatalogEntry) -> DatabaseSettings {
        settings(&self.engine, entry)
    }

    pub(crate) fn info(&self, name: DatabaseName, entry: &CatalogEntry) -> DatabaseInfo {
        let open = self.engine.cached_table_count(&name);
        DatabaseInfo {
            size_bytes: self.engine.size_on_disk(&name),
            created_at: rfc3339(entry.created_at_ms),
            table_count: open.unwrap_or(entry.table_count),
            max_size_bytes: self.settings(entry).max_size_bytes,
            open: open.is_some(),
            expires_at: entry.expires_at_ms.map(rfc3339),
            branched_from: self.catalog.lineage(&name).map(|(parent, at)| Lineage {
                parent,
                branched_at: rfc3339(at),
            }),
            backups: self.backup_status(&name, entry),
            name,
        }
    }

    /// After a write: follow a schema change into the catalog's table count.
    pub(crate) async fn follow_schema_change(&self, db: &Database) {
        if let Some(count) = db.take_table_count_change() {
            let catalog = Arc::clone(&self.catalog);
            let name = db.name().clone();
            if let Err(e) = blocking(move || catalog.set_table_count(&name, count)).await {
                tracing::warn!(code = ?e.code, error = e.message, "could not record the table count");
            }
        }
    }

    /// Gathers the statistics (statting files: call on a blocking thread).
    pub(crate) fn gateway_stats(self: &Arc<Self>) -> GatewayStats {
        let total_bytes = self.disk_sizes().total;
        let counters = self.engine.counters();
        let stats = &self.stats;
        GatewayStats {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            uptime_seconds: stats.uptime().as_secs(),
            database_count: self.catalog.len() as u64,
            total_bytes,
            open_databases: self.engine.open_count() as u64,
            requests_total: stats.requests.load(Relaxed),
            queries_total: stats.queries.load(Relaxed),
            query_errors_total: stats.query_errors.load(Relaxed),
            query_latency: stats.latency(),
            commits_total: counters.commits.load(Relaxed),
            committed_requests_total: counters.committed_requests.load(Relaxed),
            inline_reads_total: counters.inline_reads.load(Relaxed),
        }
    }

    /// Stats the file and write-ahead log of every database (tens of milliseconds at 10,000).
    fn measure_disk_sizes(&self) -> DiskSizes {
        let inner = self;
        DiskSizes::new(
            inner
                .catalog
                .names()
                .into_iter()
                .map(|n| {
                    let bytes = inner.engine.size_on_disk(&n);
                    (n, bytes)
                })
                .collect(),
        )
    }

    /// The bytes on disk of every database: a figure up to `DISK_SIZES_MAX_AGE` old is answered
    /// as it is, an older one is answered at once while one blocking task measures again, and
    /// the first request measures in place.
    pub(crate) fn disk_sizes(self: &Arc<Self>) -> Arc<DiskSizes> {
        let inner = self;
        match inner.stats.disk_sizes(DISK_SIZES_MAX_AGE) {
            Some((sizes, false)) => sizes,
            Some((sizes, true)) => {
                if inner.stats.begin_disk_refresh() {
                    let inner = Arc::clone(inner);
                    let span = tracing::Span::current();
                    tokio::task::spawn_blocking(move || {
                        span.in_scope(|| inner.stats.store_disk_sizes(inner.measure_disk_sizes()))
                    });
                }
                sizes
            }
            None => inner.stats.store_disk_sizes(inner.measure_disk_sizes()),
        }
    }
}
