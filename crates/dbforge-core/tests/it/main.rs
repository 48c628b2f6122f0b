//! Integration tests of dbforge-core through its public API: each test opens its own `Core`
//! on a temporary data directory, with no HTTP in between.

mod adoption;
mod auth;
mod background;
mod databases;
mod listing;
mod queries;
mod streams;
mod support;
