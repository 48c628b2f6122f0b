//! Shared state of the gateway, handed to every handler.

use std::sync::Arc;

use dbforge_api::DatabaseName;
use dbforge_engine::{Database, DatabaseSettings, Engine};

use crate::auth::Auth;
use crate::catalog::{Catalog, CatalogEntry};
use crate::config::ServeConfig;
use crate::error::ApiError;
use crate::hrana::Streams;
use crate::stats::Stats;

/// The gateway's state as handlers get it: one `Arc`, so the per-request clones (every
/// middleware and `State` extractor takes one) cost a reference count, not a copy.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl AppState {
    pub fn new(shared: SharedState) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

pub struct SharedState {
    pub engine: Arc<Engine>,
    pub catalog: Arc<Catalog>,
    pub auth: Auth,
    pub stats: Arc<Stats>,
    pub max_body_bytes: usize,
    /// Open libSQL (Hrana) streams.
    pub streams: Arc<Streams>,
    /// The settings the gateway runs with, for `GET /admin/config`.
    pub config: Arc<ServeConfig>,
    /// Request bodies held in memory now, against `--max-body-memory`.
    pub body_memory: Arc<crate::guard::BodyMemory>,
    /// The address actually listened on (`--listen` may say port 0), once serving.
    pub bound: Arc<std::sync::OnceLock<std::net::SocketAddr>>,
}

impl AppState {
    pub fn settings(&self, entry: &CatalogEntry) -> DatabaseSettings {
        DatabaseSettings {
            max_size_bytes: entry
                .max_size_bytes
                .unwrap_or(self.engine.config().limits.default_max_size_bytes),
        }
    }

    /// Resolves a name to an open database: a map lookup when it is in the catalog and open,
    /// an open on a blocking thread otherwise.
    pub async fn open_database(&self, name: &DatabaseName) -> Result<Arc<Database>, ApiError> {
        let Some(entry) = self.catalog.get(name) else {
            return Err(ApiError::database_not_found(name.as_str()));
        };
        if let Some(db) = self.engine.cached(name) {
            return Ok(db);
        }
        let engine = Arc::clone(&self.engine);
        let settings = self.settings(&entry);
        let name = name.clone();
        tokio::task::spawn_blocking(move || engine.open(&name, settings))
            .await
            .map_err(|e| ApiError::internal(format!("open task: {e}")))?
            .map_err(ApiError::from)
    }

    /// After a write: follow a schema change into the catalog's table count.
    pub async fn note_schema_change(&self, db: &Database) {
        if let Some(count) = db.take_table_count_change() {
            let catalog = Arc::clone(&self.catalog);
            let name = db.name().clone();
            let result =
                tokio::task::spawn_blocking(move || catalog.set_table_count(&name, count)).await;
            if let Ok(Err(e)) = result {
                tracing::warn!(code = ?e.code, error = e.message, "could not record the table count");
            }
        }
    }
}
