//! End-to-end tests of the real `dbforge` binary: crashes, signals, configuration, keys (the
//! admin key, scoped keys and per-database tokens from the command line), the audit log,
//! backups, restores, branches and time to live from the command line, export and import,
//! start-up reconciliation and query results, each test against server processes of its own
//! in a temporary directory.

mod attacks;
mod audit;
mod backups;
mod cli;
mod config;
mod crashes;
mod https;
mod keys;
mod lifecycle;
mod queries;
mod scoped_keys;
mod support;
mod tokens;
mod transfer;
mod tui;
