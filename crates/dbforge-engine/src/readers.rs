//! Read-only connections of one database. In WAL mode they read a consistent snapshot while
//! the writer commits, so reads never wait behind writes.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use dbforge_api::ErrorCode;
use rusqlite::{Connection, OpenFlags};

use crate::inline::Verdicts;
use crate::sandbox::Sandbox;
use crate::{EngineError, Limits};

/// How long a read waits for a free connection before `database_busy`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a reader waits for a lock (only ever briefly: readers of a write-ahead log do
/// not block on the writer).
pub(crate) const READER_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct Reader {
    pub(crate) conn: Connection,
    pub(crate) sandbox: Sandbox,
    /// Which SQL texts may run inline on this connection (see `inline.rs`).
    pub(crate) verdicts: RefCell<Verdicts>,
}

struct PoolState {
    idle: Vec<Reader>,
    /// Connections in existence (idle or lent out).
    open: usize,
    /// Reads waiting for a connection: a returned one wakes them (only then: waking costs a
    /// system call, and most reads never wait).
    waiting: usize,
    closed: bool,
}

pub(crate) struct ReaderPool {
    path: PathBuf,
    limits: Limits,
    max: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

impl ReaderPool {
    pub(crate) fn new(path: PathBuf, limits: Limits, max: usize) -> Self {
        Self {
            path,
            limits,
            max: max.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
                waiting: 0,
                closed: false,
            }),
            returned: Condvar::new(),
        }
    }

    /// Opens a connection outside the pool's count (also for a stream's read transaction).
    pub(crate) fn open_reader(&self) -> Result<Reader, EngineError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&self.path, flags)
            .map_err(|e| EngineError::internal(format!("opening a reader: {e}")))?;
        conn.busy_timeout(READER_BUSY_TIMEOUT)
            .map_err(|e| EngineError::internal(format!("reader setup: {e}")))?;
        conn.set_prepared_statement_cache_capacity(64);
        let sandbox = Sandbox::install(&mut conn, &self.limits, None)?;
        Ok(Reader {
            conn,
            sandbox,
            verdicts: RefCell::default(),
        })
    }

    /// Runs `f` on a reader connection. Blocking: call from a blocking thread.
    pub(crate) fn with_reader<R>(
        &self,
        f: impl FnOnce(&Reader) -> Result<R, EngineError>,
    ) -> Result<R, EngineError> {
        let reader = self.acquire()?;
        let result = f(&reader);
        self.release(reader);
        result
    }

    /// Runs `f` on an idle reader if there is one now (never waits, never opens one):
    /// `None` when every reader is busy.
    pub(crate) fn with_idle_reader<R>(&self, f: impl FnOnce(&mut Reader) -> R) -> Option<R> {
        let mut reader = {
            let mut state = self.state.lock().ok()?;
            if state.closed {
                return None;
            }
            state.idle.pop()?
        };
        let result = f(&mut reader);
        self.release(reader);
        Some(result)
    }

    fn acquire(&self) -> Result<Reader, EngineError> {
        let poisoned = || EngineError::internal("reader pool lock poisoned");
        let mut state = self.state.lock().map_err(|_| poisoned())?;
        loop {
            if state.closed {
                return Err(EngineError::new(
                    ErrorCode::DatabaseNotFound,
                    "the database was closed or deleted",
                ));
            }
            if let Some(reader) = state.idle.pop() {
                return Ok(reader);
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return self.open_reader().inspect_err(|_| {
                    if let Ok(mut state) = self.state.lock() {
                        state.open -= 1;
                    }
                });
            }
            state.waiting += 1;
            let (next, timeout) = self
                .returned
                .wait_timeout(state, ACQUIRE_TIMEOUT)
                .map_err(|_| poisoned())?;
            state = next;
            state.waiting -= 1;
            if timeout.timed_out() && state.idle.is_empty() {
                return Err(EngineError::new(
                    ErrorCode::DatabaseBusy,
                    "every reader of this database is busy; retry shortly",
                ));
            }
        }
    }

    fn release(&self, reader: Reader) {
        // A reader still inside a transaction (its COMMIT failed) would hold its snapshot,
        // and keep the write-ahead log from being checkpointed, for as long as it idles in
        // the pool: close it instead.
        let reusable = reader.conn.is_autocommit();
        let mut wake = false;
        if let Ok(mut state) = self.state.lock() {
            if state.closed || !reusable {
                state.open -= 1;
            } else {
                state.idle.push(reader);
            }
            wake = state.waiting > 0;
        }
        if wake {
            self.returned.notify_one();
        }
    }

    /// Closes idle readers and refuses new reads; lent-out readers close when returned.
    pub(crate) fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.closed = true;
            let idle = std::mem::take(&mut state.idle);
            state.open -= idle.len();
        }
        self.returned.notify_all();
    }
}

#[cfg(test)]
#[path = "readers_tests.rs"]
mod tests;
