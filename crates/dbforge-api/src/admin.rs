//! Admin resources: databases and gateway statistics.

use serde::{Deserialize, Serialize};

use crate::DatabaseName;

/// Per-database limits; each unset field takes the server's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DatabaseLimits {
    /// Largest size the database file may grow to, in bytes; writes beyond it fail with
    /// `database_full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size_bytes: Option<u64>,
}

/// Optional body of `POST /admin/databases/spawn/{name}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SpawnRequest {
    #[serde(default)]
    pub limits: DatabaseLimits,
    /// Time to live (`"30m"`, `"7d"`; a second or more): the database is deleted once it
    /// has passed. `PATCH /admin/databases/{name}` extends or clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

/// One database as the gateway knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatabaseInfo {
    pub name: DatabaseName,
    /// Bytes on disk: the database file plus its write-ahead log.
    pub size_bytes: u64,
    /// RFC 3339 time of creation (or adoption).
    pub created_at: String,
    pub table_count: u64,
    /// The effective size quota, in bytes.
    pub max_size_bytes: u64,
    /// Whether the database is open in the gateway's cache right now.
    pub open: bool,
    /// RFC 3339 time after which the database is deleted (its time to live), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The database it was branched from, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branched_from: Option<crate::Lineage>,
    /// Its backup schedule and last backups, when it has a schedule or a backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups: Option<crate::BackupStatus>,
}

/// A page of databases, ordered by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatabaseList {
    pub databases: Vec<DatabaseInfo>,
    /// Databases matching the filter, over all pages.
    pub total: u64,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Query latency percentiles since start, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatencyPercentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// `GET /admin/gateway/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewayStats {
    pub version: String,
    pub uptime_seconds: u64,
    pub database_count: u64,
    pub total_bytes: u64,
    pub open_databases: u64,
    pub requests_total: u64,
    /// Operations on databases: each SQL request, each libSQL statement, and each call of
    /// the tables and rows routes; `query_errors_total` of them failed.
    pub queries_total: u64,
    pub query_errors_total: u64,
    pub query_latency: LatencyPercentiles,
    /// Write transactions committed, and the requests they carried (group commit); a request
    /// rolled back alone inside a group is not counted, nor a transaction that carried none.
    pub commits_total: u64,
    pub committed_requests_total: u64,
    /// Reads proven cheap that ran on the server's event loop instead of a blocking thread
    /// (see docs/ARCHITECTURE.md).
    #[serde(default)]
    pub inline_reads_total: u64,
}

/// Answer of `POST /admin/databases/prune/{name}` and `DELETE /admin/databases/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deleted {
    pub deleted: DatabaseName,
}

/// Answer of `GET /health` and `GET /ready`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthStatus {
    /// `ok` (health) or `ready` (readiness).
    pub status: String,
    pub version: String,
}

/// What `GET /admin/databases` orders by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    #[default]
    Name,
    Size,
    Tables,
    Created,
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}
