//! What a caller may do to a database's data: read and write, or only read. Read-only is
//! decided by SQLite, never by reading the SQL text: a read-only caller's statements run only
//! on connections opened read-only (`SQLITE_OPEN_READ_ONLY`), and a statement SQLite does
//! not report read-only (`sqlite3_stmt_readonly`) is refused before it runs.

use dbforge_api::ErrorCode;

use crate::EngineError;

/// A caller's access to one database's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    #[default]
    ReadWrite,
    /// Reads only: every statement SQLite calls a write is refused with `forbidden`, as is
    /// any transaction that could write (`BEGIN`, `BEGIN IMMEDIATE`, `SAVEPOINT`).
    ReadOnly,
}

/// SQLite's primary result code for a write on a read-only connection (`SQLITE_READONLY`).
const SQLITE_READONLY: i32 = 8;

impl Access {
    pub fn may_write(self) -> bool {
        self == Self::ReadWrite
    }

    /// The refusal of a statement (or operation) that writes.
    pub(crate) fn refusal(what: &str) -> EngineError {
        EngineError::new(
            ErrorCode::Forbidden,
            format!("{what}, and this credential is read-only: it may only read"),
        )
    }

    /// A read-only caller's write that reached SQLite anyway (on a read-only connection, which
    /// refused it) is the same refusal, not an SQL error.
    pub(crate) fn explain(self, error: EngineError) -> EngineError {
        if self == Self::ReadOnly
            && error
                .sqlite_code
                .is_some_and(|c| c & 0xff == SQLITE_READONLY)
        {
            let statement = error.statement;
            return EngineError {
                statement,
                ..Self::refusal("the statement writes")
            };
        }
        error
    }
}
