//! What the gateway tells about itself beyond its counters: recent requests (activity), its
//! traffic as a time series, and its effective configuration. The dashboard reads these.

use serde::{Deserialize, Serialize};

/// One request the gateway answered, as kept in its bounded activity log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityEntry {
    /// Increasing sequence number; pass as `before` to page further back.
    pub id: u64,
    /// RFC 3339 time the request arrived.
    pub at: String,
    /// A non-secret identifier of the API key that was accepted (a prefix of its SHA-256
    /// digest); null when no valid key was presented.
    pub key_id: Option<String>,
    pub method: String,
    /// The route pattern that matched (e.g. `/api/db/{name}/query`), or `unmatched`.
    pub route: String,
    /// The database the request addressed, when the route names one.
    pub database: Option<String>,
    pub status: u16,
    pub duration_ms: f64,
}

/// `GET /admin/activity`: matching entries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityList {
    pub entries: Vec<ActivityEntry>,
    /// How many requests the log keeps; older ones are forgotten.
    pub capacity: u64,
    /// Pass as `before` to get the next (older) page; null when there is none.
    pub next_before: Option<u64>,
}

/// One interval of traffic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrafficPoint {
    /// Unix time of the interval's start, in milliseconds.
    pub start_ms: u64,
    /// Seconds the interval covers: the full interval, or less for the one still open.
    pub seconds: f64,
    /// HTTP requests answered.
    pub requests: u64,
    /// Answers with a 4xx status.
    pub client_errors: u64,
    /// Answers with a 5xx status.
    pub server_errors: u64,
    /// Query requests (`POST /api/db/{name}/query`) and those that failed.
    pub queries: u64,
    pub query_errors: u64,
    /// Query latency percentiles within the interval, in milliseconds (0 without queries).
    pub query_p50_ms: f64,
    pub query_p99_ms: f64,
}

/// A database by the requests it received recently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusyDatabase {
    pub name: String,
    pub requests: u64,
    /// Answers with a 4xx or 5xx status.
    pub errors: u64,
    pub mean_ms: f64,
}

/// `GET /admin/gateway/timeseries`: recent traffic in fixed intervals, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeseries {
    pub interval_seconds: f64,
    /// Closed intervals, then the open one (whose `seconds` is shorter).
    pub points: Vec<TrafficPoint>,
    /// The databases with the most requests among the recent activity, busiest first.
    pub busiest: Vec<BusyDatabase>,
}

/// The limits the gateway enforces, as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerLimits {
    pub statement_timeout_ms: u64,
    pub max_result_rows: u64,
    pub max_result_bytes: u64,
    pub max_sql_length: u64,
    pub max_statements: u64,
    pub max_body_bytes: u64,
    /// Default size quota of a database.
    pub max_database_size: u64,
    pub max_open_databases: u64,
    pub idle_timeout_ms: u64,
    pub write_queue_depth: u64,
    pub readers_per_database: u64,
    /// Requests kept by the activity log.
    pub activity_capacity: u64,
    /// libSQL streams: idle time before one is closed.
    pub stream_idle_timeout_ms: u64,
    /// libSQL streams: the longest one transaction may hold a database's writer.
    pub write_transaction_timeout_ms: u64,
    /// libSQL streams: the longest a BEGIN waits for another transaction.
    pub transaction_busy_timeout_ms: u64,
    /// libSQL streams open at once.
    pub max_streams: u64,
    /// libSQL streams open at once on one database.
    #[serde(default)]
    pub max_streams_per_database: u64,
    /// libSQL read transactions: the longest one stays open.
    #[serde(default)]
    pub read_transaction_timeout_ms: u64,
    /// Bytes of SQL stored per libSQL stream, per database and in all.
    #[serde(default)]
    pub max_stored_sql_per_stream: u64,
    #[serde(default)]
    pub max_stored_sql_per_database: u64,
    #[serde(default)]
    pub max_stored_sql: u64,
    /// The longest a request may take, its body included.
    #[serde(default)]
    pub request_timeout_ms: u64,
    /// The longest a client may take to send a body.
    #[serde(default)]
    pub body_read_timeout_ms: u64,
    /// The longest a client may take to send a request head, and an idle connection's life.
    #[serde(default)]
    pub header_read_timeout_ms: u64,
    /// Connections open at once, and per client address.
    #[serde(default)]
    pub max_connections: u64,
    #[serde(default)]
    pub max_connections_per_ip: u64,
    /// Request bodies, and results, held in memory at once over all requests.
    #[serde(default)]
    pub max_body_memory: u64,
    #[serde(default)]
    pub max_result_memory: u64,
    /// Largest string or blob, and most parameters of one statement.
    #[serde(default)]
    pub max_value_bytes: u64,
    #[serde(default)]
    pub max_sql_params: u64,
    /// SQLite's heap, process-wide.
    #[serde(default)]
    pub sqlite_memory_limit: u64,
    /// Free disk kept: below it, writes and new databases are refused.
    #[serde(default)]
    pub min_free_disk: u64,
}

/// `GET /admin/config`: the effective configuration. Secrets never appear: the admin key is
/// shown masked, with where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerConfig {
    pub version: String,
    pub listen: String,
    pub data_dir: String,
    pub config_file: Option<String>,
    /// Always masked.
    pub admin_key: String,
    /// `configured`, `key file` (generated on first start and stored), or `dev only`.
    pub admin_key_source: String,
    pub dev: bool,
    pub durability: String,
    pub log_format: String,
    pub log: String,
    pub shutdown_timeout_ms: u64,
    pub limits: ServerLimits,
}
