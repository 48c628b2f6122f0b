//! The one error table: every failure the API reports has a stable code, an HTTP status and
//! a one-line meaning. Codes are never renamed; `docs/API.md` lists them all (a test checks).

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($( $variant:ident = ($code:literal, $status:literal, $meaning:literal), )*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( #[doc = $meaning] $variant, )*
            /// A code this client version does not know (newer server).
            #[serde(other)]
            Unknown,
        }

        impl ErrorCode {
            /// Every code, in table order (without `Unknown`).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* ErrorCode::Unknown => "unknown" }
            }

            /// The HTTP status this code is answered with.
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* ErrorCode::Unknown => 500 }
            }

            pub fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => $meaning,)* ErrorCode::Unknown => "an error code this client does not know" }
            }
        }
    };
}

error_codes! {
    Unauthorized = ("unauthorized", 401, "The API key is missing or wrong."),
    InvalidDatabaseName = ("invalid_database_name", 400, "The database name breaks the naming rule."),
    DatabaseNotFound = ("database_not_found", 404, "No database of that name (or the key may not see it)."),
    DatabaseExists = ("database_exists", 409, "A database of that name exists already."),
    TableNotFound = ("table_not_found", 404, "No table or view of that name in the database."),
    ColumnNotFound = ("column_not_found", 400, "A column named in the request does not exist in the table."),
    InvalidRequest = ("invalid_request", 400, "The request is well-formed JSON but its content is not acceptable."),
    InvalidJson = ("invalid_json", 400, "The body is not valid JSON or does not have the expected shape."),
    UnsupportedMediaType = ("unsupported_media_type", 415, "The body must be sent with Content-Type: application/json."),
    PayloadTooLarge = ("payload_too_large", 413, "The request body is larger than the configured limit."),
    SqlTooLong = ("sql_too_long", 413, "A SQL text is longer than the configured limit."),
    TooManyStatements = ("too_many_statements", 413, "A batch has more statements than the configured limit."),
    RouteNotFound = ("route_not_found", 404, "No API route at this path."),
    MethodNotAllowed = ("method_not_allowed", 405, "The route exists but not with this HTTP method."),
    SqlError = ("sql_error", 400, "SQLite rejected the statement (syntax, unknown table or column, type mismatch, ...)."),
    InvalidParams = ("invalid_params", 400, "The parameters do not match the statement's placeholders."),
    ConstraintViolation = ("constraint_violation", 409, "A UNIQUE, NOT NULL, CHECK, PRIMARY KEY or FOREIGN KEY constraint failed."),
    Forbidden = ("forbidden", 403, "The key may not do this (its role or scope does not allow it)."),
    KeyNotFound = ("key_not_found", 404, "No API key with that id."),
    StatementNotAllowed = ("statement_not_allowed", 403, "The statement is refused by the sandbox (ATTACH, VACUUM INTO, load_extension, a PRAGMA outside the allow-list, TEMP objects)."),
    QueryTimeout = ("query_timeout", 400, "A statement ran longer than the per-statement time limit and was interrupted; its work was rolled back."),
    DatabaseFull = ("database_full", 507, "The write would grow the database beyond its size quota."),
    ValueTooLarge = ("value_too_large", 400, "A string or blob is larger than SQLite's length limit."),
    TransactionOpen = ("transaction_open", 400, "The request began a transaction and did not end it; it was rolled back."),
    ResultTooLarge = ("result_too_large", 400, "A result passed the result limits where it cannot be marked truncated (libSQL clients); the statement was undone."),
    TransactionRolledBack = ("transaction_rolled_back", 409, "A libSQL stream's transaction was rolled back by SQLite (interrupt, full disk); the stream refuses statements until its client sends ROLLBACK."),
    TransactionTimeout = ("transaction_timeout", 409, "An interactive transaction (a libSQL stream) held the write lock longer than allowed and was rolled back."),
    StreamsExhausted = ("streams_exhausted", 503, "The server, or this database, has as many libSQL streams open as its limits allow; close streams and retry."),
    BatonInvalid = ("baton_invalid", 400, "The libSQL baton is not one this server issued for this database."),
    BatonReused = ("baton_reused", 400, "The libSQL baton was already used: send each request with the previous response's baton."),
    StreamExpired = ("stream_expired", 400, "The libSQL stream is closed or expired (idle too long, or its database was deleted); open a new one."),
    DatabaseBusy = ("database_busy", 503, "The database's write queue is full; retry after a short wait."),
    RateLimited = ("rate_limited", 429, "Too many requests from this credential or address, too many wrong credentials from this address, or too many requests in flight on this database; retry after the Retry-After header's seconds."),
    ServerBusy = ("server_busy", 503, "The server holds as many request bodies, results or streams as its limits allow; retry after a short wait."),
    BodyTimeout = ("body_timeout", 408, "The request body did not arrive within the body read timeout."),
    RequestTimeout = ("request_timeout", 504, "The request took longer than the request timeout; its statements were stopped."),
    DiskFull = ("disk_full", 507, "The server's disk is (nearly) full: nothing that needs space is accepted until space is freed."),
    NotReady = ("not_ready", 503, "The gateway is starting or shutting down."),
    BackupNotFound = ("backup_not_found", 404, "No backup with that id for this database."),
    BackupCorrupt = ("backup_corrupt", 422, "The stored backup does not match its checksum or is not a sound database; it was not used."),
    InvalidDatabaseFile = ("invalid_database_file", 422, "The file is not a sound SQLite database (not SQLite, or damaged)."),
    StorageUnavailable = ("storage_unavailable", 503, "The backup destination (a directory or S3) could not be reached or refused the request; retry, or check its configuration."),
    InternalError = ("internal_error", 500, "An internal fault; the server log has the detail under the request id."),
}

/// `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// What went wrong and what to do about it, for people.
    pub message: String,
}

/// The body of every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_table_name() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!((400..600).contains(&code.http_status()));
        }
    }

    #[test]
    fn unknown_codes_from_newer_servers_still_parse() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"code":"brand_new","message":"m"}"#).expect("parse");
        assert_eq!(body.code, ErrorCode::Unknown);
    }
}
