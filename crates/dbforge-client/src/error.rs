//! The client's one error type: the server's error (code, status, message), or a transport or
//! decoding failure.

use dbforge_api::ErrorCode;

/// Why a call failed.
///
/// ```no_run
/// # async fn demo(client: dbforge_client::Client) {
/// use dbforge_client::api::ErrorCode;
/// match client.database("maybe").await {
///     Err(e) if e.code() == Some(ErrorCode::DatabaseNotFound) => println!("not there"),
///     Err(e) => eprintln!("{e}"),
///     Ok(info) => println!("{} bytes", info.size_bytes),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with its error envelope.
    #[error("{code:?} ({status}): {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The stable error code (see docs/API.md).
        code: ErrorCode,
        /// What went wrong, in the server's words.
        message: String,
    },
    /// The request did not get an answer (connection refused, timeout, ...).
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
    /// The answer was not what the API promises.
    #[error("unexpected answer: {0}")]
    Decode(String),
    /// The base URL or a name could not form a request URL.
    #[error("invalid URL: {0}")]
    Url(String),
}

impl Error {
    /// The server's error code, if the server answered with an error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// True when retrying the same request may succeed (the server was busy, rate-limited
    /// or unreachable).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { code, .. } => {
                matches!(
                    code,
                    ErrorCode::DatabaseBusy | ErrorCode::NotReady | ErrorCode::RateLimited
                )
            }
            Error::Transport(e) => e.is_connect() || e.is_timeout(),
            _ => false,
        }
    }
}
