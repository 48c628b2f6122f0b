//! Engine tests without HTTP: each test runs its own engine on a temp data directory and drives
//! writers, readers, streams and the open-database cache through the public API. Ordering is
//! forced with held transactions and channels, never with sleeps.

mod access;
mod cache;
mod readers;
mod sessions;
mod support;
mod writer;
