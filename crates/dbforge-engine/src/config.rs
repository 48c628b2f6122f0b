//! Engine configuration: where databases live, how durable commits are, and the limits that
//! keep one tenant from starving or escaping onto the others.

use std::path::PathBuf;
use std::time::Duration;

use dbforge_api::ErrorCode;

use crate::EngineError;

/// How a commit reaches the disk before it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: the write-ahead log is fsynced at every commit; an acknowledged
    /// write survives a crash or power loss.
    #[default]
    Full,
    /// `synchronous=NORMAL`: fsync only at checkpoints. Survives a process crash (kill -9);
    /// a power loss or OS crash may lose the most recent commits (never corrupts).
    Normal,
}

/// Limits applied to every statement of every database.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest a single statement may run before it is interrupted.
    pub statement_timeout: Duration,
    /// Most rows one statement's result carries; more are cut with `truncated: true`.
    pub max_result_rows: usize,
    /// Most bytes (approximate, values only) one request's results carry.
    pub max_result_bytes: usize,
    /// Longest SQL text accepted, in bytes.
    pub max_sql_length: usize,
    /// Most statements in one batch.
    pub max_statements: usize,
    /// Default size quota of a database, in bytes.
    pub default_max_size_bytes: u64,
    /// Largest string or blob SQLite may build, in bytes. It also bounds the work one SQLite
    /// step can do on one value, which nothing can interrupt.
    pub max_value_bytes: usize,
    /// Most parameters one statement may have (`SQLITE_LIMIT_VARIABLE_NUMBER`): preparing a
    /// text with named parameters costs their uses times their count, uninterruptibly.
    pub max_params: usize,
}

impl Limits {
    /// Refuses more statements in one request than `--max-statements` (`too_many_statements`);
    /// `holder` and `items` name them for the message ("the pipeline holds 5 requests").
    pub fn check_statement_count(
        &self,
        count: usize,
        holder: &str,
        items: &str,
    ) -> Result<(), EngineError> {
        if count > self.max_statements {
            return Err(EngineError::new(
                ErrorCode::TooManyStatements,
                format!(
                    "{holder} holds {count} {items}; the limit is {}",
                    self.max_statements
                ),
            ));
        }
        Ok(())
    }

    /// Refuses a SQL text longer than `--max-sql-length` (`sql_too_long`).
    pub fn check_sql_length(&self, sql: &str) -> Result<(), EngineError> {
        if sql.len() > self.max_sql_length {
            return Err(EngineError::new(
                ErrorCode::SqlTooLong,
                format!(
                    "a SQL text is {} bytes; the limit is {} bytes",
                    sql.len(),
                    self.max_sql_length
                ),
            ));
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            statement_timeout: Duration::from_secs(5),
            max_result_rows: 10_000,
            max_result_bytes: 64 * 1024 * 1024,
            max_sql_length: 1024 * 1024,
            max_statements: 1_000,
            default_max_size_bytes: 1 << 30,
            max_value_bytes: 16 * 1024 * 1024,
            max_params: 999,
        }
    }
}

/// Everything the engine needs to run.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    pub durability: Durability,
    pub limits: Limits,
    /// Databases kept open at once; the least recently used idle one is closed beyond it.
    pub max_open_databases: usize,
    /// A database unused for this long is checkpointed and closed.
    pub idle_timeout: Duration,
    /// Read-only connections per open database.
    pub readers_per_database: usize,
    /// Write requests that may wait for one database's writer before `database_busy`.
    pub write_queue_depth: usize,
    /// Result bytes held in memory at once, over all requests (`server_busy` beyond).
    pub max_result_memory: usize,
    /// Free bytes the data directory's disk keeps: below it, writes and new databases are
    /// refused (`disk_full`).
    pub min_free_disk: u64,
    /// Heap SQLite may use in all, process-wide (page caches, sorts, values): past it a
    /// statement fails with `server_busy` instead of the process running out of memory.
    pub sqlite_memory_limit: u64,
}

impl EngineConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            durability: Durability::Full,
            limits: Limits::default(),
            max_open_databases: 256,
            idle_timeout: Duration::from_secs(300),
            readers_per_database: 4,
            write_queue_depth: 4_096,
            sqlite_memory_limit: 1 << 30,
            max_result_memory: 512 << 20,
            min_free_disk: 64 << 20,
        }
    }
}

/// Per-database settings kept in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseSettings {
    pub max_size_bytes: u64,
}
