//! The benchmark scenarios. Each starts its own server(s) with fresh data directories, measures,
//! stops them, and returns a report section; none depends on another having run.

mod admin;
mod auth;
mod reads;
mod writes;

use std::time::Duration;

use crate::error::Result;
use crate::load::{Phase, Pool, Workload};
use crate::server::Launcher;

pub use admin::{scale, spawn};
pub use auth::auth;
pub use reads::reads;
pub use writes::writes;

/// What every scenario needs to know.
pub struct Settings {
    pub launcher: Launcher,
    /// Length of one measurement.
    pub measure: Duration,
    /// Load run before each measurement and thrown away (caches, connections, page cache).
    pub warmup: Duration,
    pub rounds: usize,
    /// reads: keep-alive connections, and rows in the table.
    pub read_connections: usize,
    pub rows: u64,
    /// writes: concurrent clients of the main comparison.
    pub write_clients: usize,
    /// spawn: databases created one after another.
    pub spawn_count: usize,
    /// scale: databases created, connections creating them, databases queried afterwards.
    pub scale_databases: usize,
    pub scale_connections: usize,
    pub touch: usize,
}

/// Runs the warm-up, then the measured phase, on the same connections.
async fn warm_then_measure(
    pool: &mut Pool,
    settings: &Settings,
    workload: &Workload,
) -> Result<Phase> {
    if !settings.warmup.is_zero() {
        pool.run(settings.warmup, workload).await?;
    }
    pool.run(settings.measure, workload).await
}

/// Progress on stderr: the report goes to stdout.
macro_rules! progress {
    ($($arg:tt)*) => {
        eprintln!("[dbforge-bench] {}", format!($($arg)*))
    };
}
pub(crate) use progress;

/// Creates database `db` with the table both the read and the write scenarios use:
/// `t(id INTEGER PRIMARY KEY, name TEXT, value INTEGER)`.
async fn create_table_t(conn: &mut crate::load::Conn, db: &str) -> Result<()> {
    conn.spawn_database(db).await?;
    let sql = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value INTEGER)";
    conn.query(db, sql, serde_json::json!([])).await?;
    Ok(())
}
