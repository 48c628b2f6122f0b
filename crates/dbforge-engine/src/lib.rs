//! DB-Forge's database engines behind one interface, with no HTTP: today SQLite, with one
//! writer thread per database (group commit), concurrent read-only readers, a sandbox on every
//! connection, and a bounded cache of open databases.

mod access;
mod config;
mod csv_fields;
mod database;
mod deadline;
mod disk;
mod engine;
mod error;
mod execute;
mod export;
mod import;
mod inline;
mod readers;
mod results;
mod rows;
mod sandbox;
mod schema;
mod snapshot;
mod split;
mod stream;
mod writer;

pub use access::Access;
pub use config::{DatabaseSettings, Durability, EngineConfig, Limits};
pub use database::{Admitted, Database};
pub use deadline::{CancelOnDrop, Deadline};
pub use disk::DiskGuard;
pub use engine::{Engine, EngineCounters, StoredDatabase};
pub use error::EngineError;
pub use execute::{Statement, StatementOutput};
pub use export::{ExportFormat, ExportRequest, ExportSink, ExportSource};
pub use import::{ImportFormat, ImportRequest, ImportSummary};
pub use results::{Encoding, MemoryBudget, ResultCharge, ResultMemory, wire_size};
pub use rows::{NewRow, RowsQuery, RowsRead};
pub use snapshot::{
    FileFacts, SnapshotFacts, check_database_file, count_database_rows, remove_with_sidecars,
};
pub use split::split_statements;

/// Stack of a thread that runs SQL: some of SQLite's work recurses deeply (pattern matching,
/// nested expressions, JSON), and the default 2 MiB is close to what the limits allow.
pub const SQL_THREAD_STACK_BYTES: usize = 8 << 20;
pub use stream::{Description, Stream, statement_kind};
