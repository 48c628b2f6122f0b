//! Engine errors carry the API's error code, so every front maps them the same way. Messages
//! of user-caused errors are SQLite's own words plus what to do; internal faults keep their
//! detail for the log only.

use dbforge_api::ErrorCode;
use rusqlite::ffi;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    pub code: ErrorCode,
    pub message: String,
    /// Index of the failing statement in a batch, when one statement failed.
    pub statement: Option<usize>,
    /// SQLite's extended result code, when SQLite reported the error (protocols that speak
    /// SQLite's own codes, such as Hrana, need it).
    pub sqlite_code: Option<i32>,
    /// Whether SQLite rejected the SQL text itself (a syntax error found while preparing).
    pub in_sql_text: bool,
}

impl EngineError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            statement: None,
            sqlite_code: None,
            in_sql_text: false,
        }
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, detail)
    }

    pub fn at_statement(mut self, index: usize) -> Self {
        self.statement = Some(index);
        self
    }

    /// Maps an SQLite error; `denial` is the sandbox's reason when the authorizer refused.
    pub(crate) fn from_sqlite(err: rusqlite::Error, denial: Option<String>) -> Self {
        use rusqlite::Error as E;
        let (e, text, in_sql_text) = match err {
            E::SqliteFailure(e, msg) => (e, msg.unwrap_or_else(|| e.to_string()), false),
            // A prepare error pointing at a token: say where.
            E::SqlInputError {
                error, msg, offset, ..
            } => (
                error,
                format!("{msg} (at byte {offset} of the statement)"),
                true,
            ),
            other => return Self::from_other(other),
        };
        let mapped = Self::map_sqlite(e, text, denial);
        Self {
            sqlite_code: Some(e.extended_code),
            in_sql_text: in_sql_text && mapped.code == ErrorCode::SqlError,
            ..mapped
        }
    }

    fn map_sqlite(e: ffi::Error, text: String, denial: Option<String>) -> Self {
        // SQLite words some refusals as plain errors ("not authorized to use function"); the
        // sandbox's own record says what was refused.
        if let Some(reason) = denial {
            return Self::new(ErrorCode::StatementNotAllowed, reason);
        }
        let code = match e.code {
            ffi::ErrorCode::ConstraintViolation => ErrorCode::ConstraintViolation,
            ffi::ErrorCode::DiskFull => ErrorCode::DatabaseFull,
            ffi::ErrorCode::OperationInterrupted => ErrorCode::QueryTimeout,
            ffi::ErrorCode::AuthorizationForStatementDenied => {
                return Self::new(
                    ErrorCode::StatementNotAllowed,
                    denial.unwrap_or_else(|| format!("not allowed: {text}")),
                );
            }
            ffi::ErrorCode::DatabaseBusy | ffi::ErrorCode::DatabaseLocked => {
                ErrorCode::DatabaseBusy
            }
            ffi::ErrorCode::TooBig => ErrorCode::ValueTooLarge,
            // The process-wide heap limit (`--sqlite-memory-limit`), not the machine's memory.
            ffi::ErrorCode::OutOfMemory => {
                return Self::new(
                    ErrorCode::ServerBusy,
                    "the server's SQLite memory limit (--sqlite-memory-limit) is reached; retry \
                     shortly, or make the statement need less memory",
                );
            }
            ffi::ErrorCode::SystemIoFailure
            | ffi::ErrorCode::DatabaseCorrupt
            | ffi::ErrorCode::NotADatabase
            | ffi::ErrorCode::CannotOpen
            | ffi::ErrorCode::InternalMalfunction
            | ffi::ErrorCode::FileLockingProtocolFailed
            | ffi::ErrorCode::NoLargeFileSupport
            | ffi::ErrorCode::ApiMisuse => ErrorCode::InternalError,
            _ => ErrorCode::SqlError,
        };
        let message = match code {
            ErrorCode::DatabaseFull => {
                format!("{text}: the write would exceed this database's size quota")
            }
            ErrorCode::QueryTimeout => {
                "the statement ran longer than the time limit and was interrupted".to_owned()
            }
            _ => text,
        };
        Self::new(code, message)
    }

    fn from_other(err: rusqlite::Error) -> Self {
        use rusqlite::Error as E;
        match err {
            E::InvalidParameterCount(given, expected) => Self::new(
                ErrorCode::InvalidParams,
                format!("the statement has {expected} parameter(s) but {given} were given"),
            ),
            E::InvalidParameterName(name) => Self::new(
                ErrorCode::InvalidParams,
                format!("no parameter named {name}"),
            ),
            E::MultipleStatement => Self::new(
                ErrorCode::InvalidRequest,
                "one statement was expected but the SQL holds several; send them in `statements`",
            ),
            E::NulError(_) => Self::new(ErrorCode::SqlError, "the SQL contains a NUL character"),
            E::InvalidQuery => Self::new(ErrorCode::SqlError, "the SQL holds no statement"),
            other => Self::internal(other.to_string()),
        }
    }
}
