//! The DB-Forge gateway as a service, with no HTTP in it: the catalog of databases, the
//! engine's cache of open ones, authentication (one place), every operation a front offers
//! (create, delete, list, describe, execute, tables and rows, protocol streams, stats), the
//! bookkeeping after each (stats, observers), and the background work with one lifecycle.
//! Every front (REST, Hrana, later WebSocket, MCP) is a thin translation onto [`Core`].

mod audit;
mod auth;
mod background;
mod backups;
mod catalog;
mod clock;
mod error;
mod export;
mod import;
mod keys;
mod lifecycle;
mod listing;
mod service;
mod state;
mod stats;
mod streams;
mod tokens;

pub use audit::{AUDIT_QUEUE, AuditConfig, AuditQuery, AuditRecord, MAX_AUDIT_PAGE};
pub use auth::{AuthFailure, DEV_KEY, KeyId, KeySource, MIN_ADMIN_KEY_CHARS, Principal};
pub use background::Background;
pub use backups::BackupConfig;
pub use catalog::Reconciled;
pub use clock::parse_rfc3339_ms;
pub use error::{CoreError, CoreResult};
pub use export::{ExportBody, ExportLimits};
pub use import::{ImportInto, ImportKind, Upload};
pub use keys::Grant;
pub use listing::ListQuery;
pub use service::{Core, CoreConfig, DatabaseHandle, Opened};
pub use stats::QueryObserver;
pub use streams::{
    Lease, MAX_STORED_SQL_TEXTS, StoreRefusal, StoredSql, StoredSqlLimits, StreamLimits,
    StreamState,
};
pub use tokens::{MAX_REMEMBERED_TOKENS, TokenGrant, TokenRefusal};
