//! The data directory's disk. Below `min_free` bytes free, nothing that needs space is accepted
//! (writes, new databases), so that what is there can still be read, checkpointed and deleted;
//! and a write that fails because the disk filled up is reported as `disk_full`, not as the
//! database's own quota (SQLite says `SQLITE_FULL` for both).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use dbforge_api::ErrorCode;

use crate::EngineError;

pub struct DiskGuard {
    dir: PathBuf,
    min_free: u64,
    low: AtomicBool,
    free: AtomicU64,
}

impl DiskGuard {
    pub(crate) fn new(dir: PathBuf, min_free: u64) -> Self {
        let guard = Self {
            dir,
            min_free,
            low: AtomicBool::new(false),
            free: AtomicU64::new(u64::MAX),
        };
        guard.check();
        guard
    }

    /// Measures the free space now (a `statvfs`) and returns it.
    pub fn check(&self) -> u64 {
        let free = rustix::fs::statvfs(&self.dir)
            .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
            .unwrap_or(u64::MAX);
        self.free.store(free, Ordering::Relaxed);
        let low = free < self.min_free;
        if self.low.swap(low, Ordering::Relaxed) != low {
            if low {
                tracing::error!(
                    free,
                    min_free = self.min_free,
                    "the data directory's disk is nearly full: writes and new databases are refused"
                );
            } else {
                tracing::info!(free, "the data directory's disk has room again");
            }
        }
        free
    }

    /// Whether the disk was below the minimum at the last check.
    pub fn is_low(&self) -> bool {
        self.low.load(Ordering::Relaxed)
    }

    /// Bytes free at the last check.
    pub fn free_bytes(&self) -> u64 {
        self.free.load(Ordering::Relaxed)
    }

    pub fn min_free(&self) -> u64 {
        self.min_free
    }

    /// The error for work refused because the disk is nearly full.
    pub fn refusal(&self) -> EngineError {
        EngineError::new(
            ErrorCode::DiskFull,
            format!(
                "the server's disk is nearly full ({} bytes free, the server keeps at least {} \
                 (--min-free-disk)): writes and new databases are refused until space is freed",
                self.free_bytes(),
                self.min_free
            ),
        )
    }

    /// `error`, told apart: SQLite's `SQLITE_FULL` means the database's quota unless the disk
    /// itself is (nearly) full now.
    pub(crate) fn explain(&self, error: EngineError) -> EngineError {
        if error.code == ErrorCode::DatabaseFull {
            self.check();
            if self.is_low() {
                return EngineError {
                    statement: error.statement,
                    sqlite_code: error.sqlite_code,
                    ..self.refusal()
                };
            }
        }
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disk_under_the_minimum_is_low_and_says_so() {
        let dir = tempfile::tempdir().expect("dir");
        let roomy = DiskGuard::new(dir.path().to_owned(), 0);
        assert!(!roomy.is_low() && roomy.free_bytes() > 0);
        let quota = EngineError::new(ErrorCode::DatabaseFull, "quota");
        assert_eq!(roomy.explain(quota).code, ErrorCode::DatabaseFull);
        let cramped = DiskGuard::new(dir.path().to_owned(), u64::MAX);
        assert!(cramped.is_low());
        let full = cramped.explain(EngineError::new(ErrorCode::DatabaseFull, "full"));
        assert_eq!(full.code, ErrorCode::DiskFull);
        assert!(full.message.contains("--min-free-disk"), "{}", full.message);
    }
}
