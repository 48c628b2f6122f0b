//! End-to-end tests of the real `dbforge` binary: crashes, signals, configuration, keys,
//! start-up reconciliation and query results, each test against server processes of its own
//! in a temporary directory.

mod attacks;
mod cli;
mod config;
mod crashes;
mod keys;
mod lifecycle;
mod queries;
mod support;
mod tui;
