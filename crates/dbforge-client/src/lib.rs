//! Async Rust client for DB-Forge: every endpoint of the HTTP API, typed with the same wire
//! types the server uses (`dbforge-api`), one error type carrying the server's error code,
//! timeouts, and retries for idempotent calls.
//!
//! ```no_run
//! # async fn demo() -> Result<(), dbforge_client::Error> {
//! use dbforge_client::{Client, params};
//!
//! let client = Client::builder("http://127.0.0.1:8081").api_key("my-key").build()?;
//! client.create_database("shop", None).await?;
//! client.execute("shop", "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)", params![]).await?;
//! let inserted = client.execute("shop", "INSERT INTO items(name) VALUES (?)", params!["tea"]).await?;
//! assert_eq!(inserted.last_insert_rowid, Some(1));
//! let rows = client.execute("shop", "SELECT name FROM items", params![]).await?.rows;
//! assert_eq!(rows[0]["name"], "tea");
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod client;
mod error;
mod lifecycle;
mod transfer;

pub use client::{AuditFilter, AuditOutcome, Client, ClientBuilder, RowsQuery};
pub use dbforge_api as api;
pub use dbforge_api::{DatabaseName, Params, Value};
pub use error::Error;
pub use transfer::{DataFormat, ExportOptions, ImportOptions};

/// Positional parameters from a list of values convertible into [`Value`]:
/// `params![1, "two", 3.0]`; `params![]` for none.
#[macro_export]
macro_rules! params {
    () => { $crate::Params::None };
    ($($value:expr),+ $(,)?) => {
        $crate::Params::Positional(vec![$($crate::Value::from($value)),+])
    };
}
