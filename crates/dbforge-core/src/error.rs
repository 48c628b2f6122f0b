//! `CoreError`: every failure of a core operation, with its code from the one error table
//! (`dbforge_api::ErrorCode`). Fronts turn it into their wire format in one function each
//! (the REST envelope, a Hrana error); nothing here knows a protocol.

use dbforge_api::{ErrorCode, InvalidDatabaseName};
use dbforge_engine::EngineError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CoreError {
    pub code: ErrorCode,
    /// What went wrong and what to do, for people; for `internal_error`, the detail for the
    /// log (fronts never send it).
    pub message: String,
    /// Index of the failing statement in a request of several.
    pub statement: Option<usize>,
    /// SQLite's extended result code, when SQLite reported the error (protocols that speak
    /// SQLite's codes need it).
    pub sqlite_code: Option<i32>,
    /// Whether SQLite rejected the SQL text itself (found while preparing).
    pub in_sql_text: bool,
}

impl CoreError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            statement: None,
            sqlite_code: None,
            in_sql_text: false,
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, detail)
    }

    /// The answer for a database that does not exist, or that the caller may not see: the
    /// two are the same answer, so a caller learns nothing of others' names.
    pub fn database_not_found(name: &str) -> Self {
        Self::new(
            ErrorCode::DatabaseNotFound,
            format!("no database named {name}"),
        )
    }

    /// The message with the failing statement named, for a request of several.
    pub fn message_with_statement(&self) -> String {
        match self.statement {
            Some(i) => format!("statement {}: {}", i + 1, self.message),
            None => self.message.clone(),
        }
    }
}

impl From<EngineError> for CoreError {
    fn from(e: EngineError) -> Self {
        Self {
            code: e.code,
            message: e.message,
            statement: e.statement,
            sqlite_code: e.sqlite_code,
            in_sql_text: e.in_sql_text,
        }
    }
}

impl From<InvalidDatabaseName> for CoreError {
    fn from(e: InvalidDatabaseName) -> Self {
        Self::new(ErrorCode::InvalidDatabaseName, e.0)
    }
}

/// The result of a core operation.
pub type CoreResult<T> = Result<T, CoreError>;
