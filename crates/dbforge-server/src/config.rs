//! `dbforge serve` configuration. Every setting is a flag, an environment variable and a key
//! of the optional TOML file given by `--config`; precedence is file < env < flag. The file's
//! values become the flags' defaults, so clap applies the precedence and `--help` documents
//! everything.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use dbforge_engine::{Durability, EngineConfig, Limits};

use crate::http::throttle::{Rate, ThrottleConfig, parse_rate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DurabilityArg {
    /// fsync the write-ahead log at every commit: acknowledged writes survive power loss.
    Full,
    /// fsync only at checkpoints: survives a process crash, but a power loss or OS crash may
    /// lose the last commits (the database stays consistent).
    Normal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// A web origin as browsers send it (`scheme://host[:port]`, no path), or `*`.
fn parse_origin(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s == "*" {
        return Ok(s.to_owned());
    }
    let (scheme, rest) = s.split_once("://").ok_or_else(|| {
        format!("{s:?}: an origin is scheme://host[:port], e.g. https://app.example.com")
    })?;
    let valid = matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains('/')
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !valid {
        return Err(format!(
            "{s:?}: an origin is http(s)://host[:port] with no path, e.g. https://app.example.com"
        ));
    }
    Ok(s.to_owned())
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 500ms, 5s, 2m)"))
}

/// A backup interval: a duration of a second or more, or `off` (only backups on demand).
fn parse_interval(s: &str) -> Result<Interval, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(Interval(None));
    }
    let every = parse_duration(s)?;
    if every < Duration::from_secs(1) {
        return Err("the shortest interval is 1s".into());
    }
    Ok(Interval(Some(every)))
}

/// A duration or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval(pub Option<Duration>);

/// Bytes, with an optional binary suffix: `1048576`, `512KiB`, `64MiB`, `1GiB` (also k/m/g).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (examples: 4096, 64MiB, 1GiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?}; use KiB, MiB, GiB or TiB"
            ));
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// Descriptors the server keeps for its own files beyond databases and connections (the
/// catalog and its log, the key file, the listener, logs, the runtime).
const OWN_DESCRIPTORS: u64 = 64;

/// A file mode mask in octal: `077`, `0027`.
fn parse_octal(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s.trim(), 8)
        .ok()
        .filter(|mask| *mask <= 0o777)
        .ok_or_else(|| format!("{s:?} is not a file mode mask (examples: 077, 027)"))
}

fn parse_size_usize(s: &str) -> Result<usize, String> {
    parse_size(s).and_then(|n| usize::try_from(n).map_err(|e| e.to_string()))
}

/// Settings of `dbforge serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// A TOML file of settings (keys as the long flags, e.g. `data-dir = "/srv/db"`);
    /// environment variables and flags override it.
    #[arg(long, env = "DBFORGE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Address to listen on; port 0 picks a free port (the bound address is logged).
    #[arg(long, env = "DBFORGE_LISTEN", default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,

    /// Directory of the databases (`{name}.db`) and the gateway's own `_forge/` catalog.
    #[arg(long, env = "DBFORGE_DATA_DIR", default_value = "./db-data")]
    pub data_dir: PathBuf,

    /// The admin API key. When unset, one is generated on first start, stored in
    /// `{data-dir}/_forge/admin.key` (mode 0600) and printed once.
    #[arg(long, env = "DBFORGE_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,

    /// Development mode: also accept the well-known key `development-api-key-12345`.
    /// Never use it on a reachable address.
    #[arg(long, env = "DBFORGE_DEV")]
    pub dev: bool,

    /// When a write is acknowledged.
    #[arg(long, env = "DBFORGE_DURABILITY", value_enum, default_value = "full")]
    pub durability: DurabilityArg,

    /// Longest one statement may run before it is interrupted (`query_timeout`).
    #[arg(long, env = "DBFORGE_STATEMENT_TIMEOUT", value_parser = parse_duration, default_value = "5s")]
    pub statement_timeout: Duration,

    /// Most rows one statement returns; beyond it the result says `truncated: true`.
    #[arg(long, env = "DBFORGE_MAX_RESULT_ROWS", default_value_t = 10_000)]
    pub max_result_rows: usize,

    /// Most bytes of values one request returns; beyond it results are truncated.
    #[arg(long, env = "DBFORGE_MAX_RESULT_BYTES", value_parser = parse_size_usize, default_value = "64MiB")]
    pub max_result_bytes: usize,

    /// Result bytes held in memory at once, over all requests (`503 server_busy` for a result
    /// that would pass it). Each request's results are also capped by `--max-result-bytes`.
    #[arg(long, env = "DBFORGE_MAX_RESULT_MEMORY", value_parser = parse_size_usize, default_value = "512MiB")]
    pub max_result_memory: usize,

    /// Longest SQL text accepted.
    #[arg(long, env = "DBFORGE_MAX_SQL_LENGTH", value_parser = parse_size_usize, default_value = "1MiB")]
    pub max_sql_length: usize,

    /// Largest string or blob a statement may store or build (`value_too_large` beyond). It
    /// also bounds the work of one SQLite step on one value, which no deadline interrupts.
    #[arg(long, env = "DBFORGE_MAX_VALUE_BYTES", value_parser = parse_size_usize, default_value = "16MiB")]
    pub max_value_bytes: usize,

    /// Most parameters (placeholders) in one statement. Preparing a text of named parameters
    /// costs their uses times their number, and cannot be interrupted.
    #[arg(long, env = "DBFORGE_MAX_SQL_PARAMS", default_value_t = 999)]
    pub max_sql_params: usize,

    /// Most statements (or rows of a bulk insert) in one request.
    #[arg(long, env = "DBFORGE_MAX_STATEMENTS", default_value_t = 10_000)]
    pub max_statements: usize,

    /// Largest request body accepted (`payload_too_large` beyond).
    #[arg(long, env = "DBFORGE_MAX_BODY_BYTES", value_parser = parse_size_usize, default_value = "32MiB")]
    pub max_body_bytes: usize,

    /// Size quota of a database unless set at creation (`database_full` beyond).
    #[arg(long, env = "DBFORGE_MAX_DATABASE_SIZE", value_parser = parse_size, default_value = "1GiB")]
    pub max_database_size: u64,

    /// Heap SQLite may use in all (page caches, sorts, values being built): past it a
    /// statement fails with `server_busy` instead of the process running out of memory.
    #[arg(long, env = "DBFORGE_SQLITE_MEMORY_LIMIT", value_parser = parse_size, default_value = "1GiB")]
    pub sqlite_memory_limit: u64,

    /// Free space the data directory's disk keeps: below it, writes and new databases are
    /// refused (`507 disk_full`) and `/ready` says not ready, so that what is stored can still
    /// be read, checkpointed and deleted.
    #[arg(long, env = "DBFORGE_MIN_FREE_DISK", value_parser = parse_size, default_value = "64MiB")]
    pub min_free_disk: u64,

    /// Databases kept open at once; the least recently used beyond it are closed.
    #[arg(long, env = "DBFORGE_MAX_OPEN_DATABASES", default_value_t = 256)]
    pub max_open_databases: usize,

    /// An open database unused this long is checkpointed and closed.
    #[arg(long, env = "DBFORGE_IDLE_TIMEOUT", value_parser = parse_duration, default_value = "5m")]
    pub idle_timeout: Duration,

    /// Write requests that may wait for one database's writer; beyond it a write is answered
    /// `503 database_busy` at once (with `Retry-After`) instead of queueing without bound.
    #[arg(long, env = "DBFORGE_WRITE_QUEUE_DEPTH", default_value_t = 4_096)]
    pub write_queue_depth: usize,

    /// Read-only connections per open database (reads run concurrently on them).
    #[arg(long, env = "DBFORGE_READERS_PER_DATABASE", default_value_t = 4)]
    pub readers_per_database: usize,

    /// A libSQL (Hrana) stream unused this long is closed, rolling back what it held.
    /// libSQL's own server uses 10 s, which cuts off interactive transactions that pause.
    #[arg(long, env = "DBFORGE_STREAM_IDLE_TIMEOUT", value_parser = parse_duration, default_value = "5m")]
    pub stream_idle_timeout: Duration,

    /// The longest one interactive write transaction (a libSQL stream after BEGIN) may hold a
    /// database's writer; then it is rolled back and other writes go on.
    #[arg(long, env = "DBFORGE_WRITE_TRANSACTION_TIMEOUT", value_parser = parse_duration, default_value = "30s")]
    pub write_transaction_timeout: Duration,

    /// The longest a libSQL transaction's BEGIN waits while another transaction holds the
    /// database's writer; then it fails with `SQLITE_BUSY`, like SQLite's busy timeout.
    #[arg(long, env = "DBFORGE_TRANSACTION_BUSY_TIMEOUT", value_parser = parse_duration, default_value = "5s")]
    pub transaction_busy_timeout: Duration,

    /// libSQL streams open at once, over all databases (`503` beyond).
    #[arg(long, env = "DBFORGE_MAX_STREAMS", default_value_t = 1_024)]
    pub max_streams: usize,

    /// libSQL streams open at once on one database, so one tenant cannot take them all.
    #[arg(long, env = "DBFORGE_MAX_STREAMS_PER_DATABASE", default_value_t = 64)]
    pub max_streams_per_database: usize,

    /// The longest a libSQL read transaction (`BEGIN TRANSACTION READONLY`) may stay open:
    /// its snapshot keeps the database's write-ahead log from being reset meanwhile.
    #[arg(long, env = "DBFORGE_READ_TRANSACTION_TIMEOUT", value_parser = parse_duration, default_value = "30s")]
    pub read_transaction_timeout: Duration,

    /// A PEM file with the server's TLS certificate chain: the server speaks HTTPS (with
    /// `--tls-key`). Reloaded with the key on SIGHUP, without dropping connections.
    #[arg(
        long,
        env = "DBFORGE_TLS_CERT",
        value_name = "PEM",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// A PEM file with the private key of `--tls-cert`.
    #[arg(
        long,
        env = "DBFORGE_TLS_KEY",
        value_name = "PEM",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// Web origins allowed to call the API from a browser (CORS), e.g.
    /// `https://app.example.com`; comma-separated or repeated; `*` for any. None by default:
    /// browsers refuse cross-origin calls, and only the server's own dashboard calls it.
    #[arg(long = "cors-origin", env = "DBFORGE_CORS_ORIGIN", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<String>,

    /// Serve `/metrics` without a key (for a Prometheus that scrapes without one). Off by
    /// default: the metrics name databases and tell traffic, so they need an admin key.
    #[arg(long, env = "DBFORGE_METRICS_PUBLIC")]
    pub metrics_public: bool,

    /// Requests one scoped credential (a key that is not an admin's, or a token) may make:
    /// `N/s`, `N/m`, `N/h` or `off`. Past it: `429 rate_limited` with `Retry-After`.
    #[arg(long, env = "DBFORGE_RATE_LIMIT", value_parser = parse_rate, default_value = "1000/s")]
    pub rate_limit: Rate,

    /// Requests a scoped credential may make at once above its rate (its bucket's size).
    #[arg(long, env = "DBFORGE_RATE_LIMIT_BURST", default_value_t = NonZeroU32::new(2_000).unwrap_or(NonZeroU32::MIN))]
    pub rate_limit_burst: NonZeroU32,

    /// Requests one client address may make, with any credential or none (a backstop;
    /// behind a proxy every client shares its address: raise it or turn it `off`).
    #[arg(long, env = "DBFORGE_RATE_LIMIT_PER_ADDRESS", value_parser = parse_rate, default_value = "100000/s")]
    pub rate_limit_per_address: Rate,

    /// Wrong keys or tokens one client address may present, refilled at this rate; past
    /// the burst the address is refused (`429`) before its credentials are checked.
    #[arg(long, env = "DBFORGE_FAILED_AUTH_LIMIT", value_parser = parse_rate, default_value = "1/s")]
    pub failed_auth_limit: Rate,

    /// Wrong credentials one address may present in a row before the limit applies.
    #[arg(long, env = "DBFORGE_FAILED_AUTH_BURST", default_value_t = NonZeroU32::new(300).unwrap_or(NonZeroU32::MIN))]
    pub failed_auth_burst: NonZeroU32,

    /// Requests in flight on one database at once (REST requests, libSQL requests); past it
    /// `429 rate_limited`, so one tenant's flood cannot hold every thread the server shares
    /// (half of tokio's 512 blocking threads at most).
    #[arg(long, env = "DBFORGE_MAX_REQUESTS_PER_DATABASE", default_value_t = 256)]
    pub max_requests_per_database: usize,

    /// How long the audit log keeps an entry (`_forge/audit.db`).
    #[arg(long, env = "DBFORGE_AUDIT_RETENTION", value_parser = parse_duration, default_value = "90d")]
    pub audit_retention: Duration,

    /// Entries the audit log keeps at most (the oldest go first).
    #[arg(long, env = "DBFORGE_AUDIT_MAX_ENTRIES", default_value_t = 1_000_000)]
    pub audit_max_entries: u64,

    /// Where backups are stored on this machine (when there is no `--backup-url`); default
    /// `{data_dir}/_forge/backups`.
    #[arg(long, env = "DBFORGE_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,

    /// S3-compatible storage for backups instead of the directory: `s3://bucket/prefix`.
    /// Endpoint, region and credentials come from the usual `AWS_*` variables
    /// (`AWS_ENDPOINT_URL`, `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`).
    #[arg(long, env = "DBFORGE_BACKUP_URL")]
    pub backup_url: Option<String>,

    /// How often every database is backed up (when it changed since its last backup), e.g.
    /// `1h`; `off` backs up on demand only. A database's own setting (PATCH) wins.
    #[arg(long, env = "DBFORGE_BACKUP_EVERY", value_parser = parse_interval, default_value = "off")]
    pub backup_every: Interval,

    /// Backups kept per database: older ones are deleted after each new one.
    #[arg(long, env = "DBFORGE_BACKUP_KEEP", default_value_t = 24)]
    pub backup_keep: u32,

    /// Backups and restores that run at once (each takes a disk's bandwidth and a thread);
    /// more wait their turn.
    #[arg(long, env = "DBFORGE_BACKUP_CONCURRENCY", default_value_t = 2)]
    pub backup_concurrency: usize,

    /// The longest one export (`GET /api/db/{name}/export`) may take: it reads in one read
    /// transaction, which keeps the write-ahead log from being reset until it ends.
    #[arg(long, env = "DBFORGE_EXPORT_TIMEOUT", value_parser = parse_duration, default_value = "1h")]
    pub export_timeout: Duration,

    /// The most one import (`POST /admin/databases/{name}/import`) may upload; it goes to disk
    /// as it arrives, within `--import-timeout`.
    #[arg(long, env = "DBFORGE_MAX_IMPORT_BYTES", value_parser = parse_size, default_value = "1GiB")]
    pub max_import_bytes: u64,

    /// The longest an import may take, its upload included (instead of `--request-timeout`
    /// and `--body-read-timeout`).
    #[arg(long, env = "DBFORGE_IMPORT_TIMEOUT", value_parser = parse_duration, default_value = "30m")]
    pub import_timeout: Duration,

    /// Exports running at once over all databases (each holds a thread and a read
    /// transaction); more are refused with `503 server_busy`.
    #[arg(long, env = "DBFORGE_MAX_EXPORTS", default_value_t = 8)]
    pub max_exports: usize,

    /// Take a last backup of a database before its time to live deletes it.
    #[arg(long, env = "DBFORGE_TTL_FINAL_BACKUP")]
    pub ttl_final_backup: bool,

    /// The longest lifetime a per-database token may be minted with (`expires_in`).
    #[arg(long, env = "DBFORGE_TOKEN_MAX_LIFETIME", value_parser = parse_duration, default_value = "90d")]
    pub token_max_lifetime: Duration,

    /// Bytes of SQL one libSQL stream may keep with `store_sql`.
    #[arg(long, env = "DBFORGE_MAX_STORED_SQL_PER_STREAM", value_parser = parse_size_usize, default_value = "2MiB")]
    pub max_stored_sql_per_stream: usize,

    /// Bytes of SQL the streams of one database may keep together.
    #[arg(long, env = "DBFORGE_MAX_STORED_SQL_PER_DATABASE", value_parser = parse_size_usize, default_value = "16MiB")]
    pub max_stored_sql_per_database: usize,

    /// Bytes of SQL all streams may keep together.
    #[arg(long, env = "DBFORGE_MAX_STORED_SQL", value_parser = parse_size_usize, default_value = "64MiB")]
    pub max_stored_sql: usize,

    /// The longest a request may take, reading its body included: then its statements are
    /// interrupted and it is answered. Statements also stop at once when the client goes away.
    #[arg(long, env = "DBFORGE_REQUEST_TIMEOUT", value_parser = parse_duration, default_value = "60s")]
    pub request_timeout: Duration,

    /// The longest a client may take to send a request's body (`408 body_timeout` beyond).
    #[arg(long, env = "DBFORGE_BODY_READ_TIMEOUT", value_parser = parse_duration, default_value = "30s")]
    pub body_read_timeout: Duration,

    /// The longest a client may take to send a request's head (line and headers), and the
    /// longest an idle keep-alive connection stays open; then the connection is closed.
    #[arg(long, env = "DBFORGE_HEADER_READ_TIMEOUT", value_parser = parse_duration, default_value = "10s")]
    pub header_read_timeout: Duration,

    /// Largest request head (request line and headers) read.
    #[arg(long, env = "DBFORGE_MAX_HEADER_BYTES", value_parser = parse_size_usize, default_value = "64KiB")]
    pub max_header_bytes: usize,

    /// Connections open at once; more wait to be accepted. Lowered at start to what the
    /// process's descriptor limit allows with room for the databases' own files.
    #[arg(long, env = "DBFORGE_MAX_CONNECTIONS", default_value_t = 4_096)]
    pub max_connections: usize,

    /// Connections one client address may hold at once (more are closed as they arrive).
    /// Behind a reverse proxy every connection comes from the proxy: raise it to
    /// `--max-connections` there.
    #[arg(long, env = "DBFORGE_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub max_connections_per_ip: usize,

    /// Request bodies held in memory at once, over all requests (`503 server_busy` beyond).
    #[arg(long, env = "DBFORGE_MAX_BODY_MEMORY", value_parser = parse_size_usize, default_value = "256MiB")]
    pub max_body_memory: usize,

    /// How long a stop (SIGTERM/SIGINT) waits for in-flight requests before it closes the
    /// databases anyway.
    #[arg(long, env = "DBFORGE_SHUTDOWN_TIMEOUT", value_parser = parse_duration, default_value = "10s")]
    pub shutdown_timeout: Duration,

    /// File mode creation mask: the default keeps the data directory (0700), databases,
    /// their logs and the catalog (0600) to the server's own user. `027` lets its group read.
    #[arg(long, env = "DBFORGE_UMASK", value_parser = parse_octal, default_value = "077")]
    pub umask: u32,

    /// Log format.
    #[arg(long, env = "DBFORGE_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,

    /// Log filter, e.g. `info` or `dbforge_server=debug,info` (RUST_LOG syntax).
    #[arg(long, env = "DBFORGE_LOG", default_value = "info")]
    pub log: String,
}

impl ServeConfig {
    pub fn engine_config(&self) -> EngineConfig {
        let mut config = EngineConfig::new(&self.data_dir);
        config.durability = match self.durability {
            DurabilityArg::Full => Durability::Full,
            DurabilityArg::Normal => Durability::Normal,
        };
        config.limits = Limits {
            statement_timeout: self.statement_timeout,
            max_result_rows: self.max_result_rows,
            max_result_bytes: self.max_result_bytes,
            max_sql_length: self.max_sql_length,
            max_statements: self.max_statements,
            default_max_size_bytes: self.max_database_size,
            max_value_bytes: self.max_value_bytes,
            max_params: self.max_sql_params.max(1),
        };
        config.max_open_databases = self.max_open_databases.max(1);
        config.idle_timeout = self.idle_timeout;
        config.readers_per_database = self.readers_per_database.max(1);
        config.write_queue_depth = self.write_queue_depth.max(1);
        config.sqlite_memory_limit = self.sqlite_memory_limit;
        config.max_result_memory = self.max_result_memory;
        config.min_free_disk = self.min_free_disk;
        config
    }

    pub fn throttle_config(&self) -> ThrottleConfig {
        ThrottleConfig {
            per_credential: self.rate_limit,
            credential_burst: Some(self.rate_limit_burst),
            per_address: self.rate_limit_per_address,
            failed_auth: self.failed_auth_limit,
            failed_auth_burst: Some(self.failed_auth_burst),
        }
    }

    pub fn stream_limits(&self) -> dbforge_core::StreamLimits {
        dbforge_core::StreamLimits {
            idle_timeout: self.stream_idle_timeout,
            write_hold_limit: self.write_transaction_timeout,
            write_wait_limit: self.transaction_busy_timeout,
            max_streams: self.max_streams.max(1),
            max_streams_per_database: self.max_streams_per_database.max(1),
            read_transaction_timeout: self.read_transaction_timeout,
            stored_sql: dbforge_core::StoredSqlLimits {
                per_stream: self.max_stored_sql_per_stream,
                per_database: self.max_stored_sql_per_database,
                total: self.max_stored_sql,
            },
        }
    }

    /// What the core needs to open the data directory.
    pub fn core_config(&self) -> dbforge_core::CoreConfig {
        dbforge_core::CoreConfig {
            engine: self.engine_config(),
            forge_dir: self.forge_dir(),
            admin_key: self.admin_key.clone(),
            dev: self.dev,
            streams: self.stream_limits(),
            token_max_lifetime: self.token_max_lifetime,
            max_requests_per_database: self.max_requests_per_database,
            audit: dbforge_core::AuditConfig {
                retention: self.audit_retention,
                max_entries: self.audit_max_entries,
            },
            backups: self.backup_config(),
            exports: dbforge_core::ExportLimits {
                timeout: self.export_timeout,
                max_concurrent: self.max_exports.max(1),
                max_import_bytes: self.max_import_bytes,
                import_timeout: self.import_timeout,
            },
        }
    }

    /// The backup settings.
    pub fn backup_config(&self) -> dbforge_core::BackupConfig {
        let defaults = dbforge_core::BackupConfig::in_forge_dir(&self.forge_dir());
        dbforge_core::BackupConfig {
            dir: self.backup_dir.clone().unwrap_or(defaults.dir),
            url: self.backup_url.clone(),
            every: self.backup_every.0,
            keep: self.backup_keep.max(1),
            ttl_final_backup: self.ttl_final_backup,
            concurrency: self.backup_concurrency.max(1),
            check_limit: defaults.check_limit,
        }
    }

    /// The connection bounds, with the connection limit lowered to fit `descriptors`.
    pub fn connection_limits(&self, descriptors: u64) -> crate::http::listener::ConnectionLimits {
        crate::http::listener::ConnectionLimits {
            // Leave room under the descriptor limit even for settings not fitted to it
            // (servers started in-process by tests).
            max_connections: crate::http::listener::connections_that_fit(
                descriptors,
                self.max_connections,
            ),
            header_read_timeout: self.header_read_timeout,
            // hyper refuses buffers under 8 KiB.
            max_head_bytes: self.max_header_bytes.max(8 * 1024),
            max_connections_per_ip: self.max_connections_per_ip.max(1),
        }
    }

    /// These settings with the connections, open databases and libSQL streams cut to what a
    /// limit of `descriptors` open files can hold: a connection takes one descriptor, an open
    /// database about two per connection to it (its writer and readers) and one for its
    /// shared memory, a stream's read transaction two.
    pub fn fitted_to(mut self, descriptors: u64) -> Self {
        let per_database = 1 + 2 * (1 + self.readers_per_database.max(1) as u64);
        let wanted = self.max_connections as u64;
        let needed = OWN_DESCRIPTORS
            + wanted
            + per_database * self.max_open_databases as u64
            + 2 * self.max_streams as u64;
        if descriptors >= needed {
            return self;
        }
        // Half for connections; of the rest, a quarter for streams, the others for databases.
        let connections = wanted.min(descriptors / 2).max(16);
        let room = descriptors.saturating_sub(connections + OWN_DESCRIPTORS);
        let streams = (room / 8).clamp(1, self.max_streams as u64);
        let open = ((room - 2 * streams) / per_database).clamp(1, self.max_open_databases as u64);
        tracing::warn!(
            descriptors,
            max_connections = connections,
            max_open_databases = open,
            max_streams = streams,
            "the descriptor limit is lower than the configured connections, open databases and \
             streams need; they are lowered to fit (raise `ulimit -n` to keep them)"
        );
        self.max_connections = usize::try_from(connections).unwrap_or(self.max_connections);
        self.max_open_databases = usize::try_from(open).unwrap_or(self.max_open_databases);
        self.max_streams = usize::try_from(streams).unwrap_or(self.max_streams);
        self
    }

    pub fn forge_dir(&self) -> PathBuf {
        self.data_dir.join("_forge")
    }
}

/// Reads a TOML config file into `(argument id, value)` pairs, refusing unknown keys so a
/// typo does not go unnoticed. `known` lists the argument ids of the command.
pub fn read_config_file(path: &Path, known: &[String]) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("config file {} is not valid TOML: {e}", path.display()))?;
    let mut pairs = Vec::new();
    for (key, value) in table {
        let id = key.replace('-', "_");
        if id == "config" || !known.contains(&id) {
            return Err(format!(
                "unknown key {key:?} in {}; known keys: {}",
                path.display(),
                known
                    .iter()
                    .filter(|k| *k != "config")
                    .map(|k| k.replace('_', "-"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(format!(
                    "key {key:?} in {} has an unsupported value {other}",
                    path.display()
                ));
            }
        };
        pairs.push((id, value));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> ServeConfig {
        use clap::Parser;
        #[derive(Parser)]
        struct Args {
            #[command(flatten)]
            serve: ServeConfig,
        }
        Args::parse_from(["dbforge"]).serve
    }

    #[test]
    fn settings_are_cut_to_the_descriptor_limit() {
        let roomy = defaults().fitted_to(1 << 20);
        assert_eq!(roomy.max_connections, defaults().max_connections);
        assert_eq!(roomy.max_open_databases, defaults().max_open_databases);
        let tight = defaults().fitted_to(1024);
        assert_eq!(tight.max_connections, 512);
        let per_database = 1 + 2 * (1 + tight.readers_per_database as u64);
        let files = OWN_DESCRIPTORS
            + 2 * tight.max_streams as u64
            + per_database * tight.max_open_databases as u64;
        assert!(
            tight.max_open_databases >= 16 && tight.max_streams >= 32,
            "{tight:?}"
        );
        assert!(files + 512 <= 1024, "{files} descriptors for files");
    }

    #[test]
    fn umasks_are_octal() {
        assert_eq!(parse_octal("077"), Ok(0o77));
        assert_eq!(parse_octal("0027"), Ok(0o27));
        assert!(parse_octal("8").is_err() && parse_octal("1000").is_err());
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("-1").is_err());
    }
}
