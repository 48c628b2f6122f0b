//! Error policy: every failure becomes `{"error": {"code", "message"}}` with the status from
//! the one error table (`dbforge_api::ErrorCode`). Converting an error has no side effects;
//! a 5xx body is opaque and its detail rides in a response extension that the logging
//! middleware writes out under the request id.

use axum::Json;
use axum::extract::FromRequest;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dbforge_api::{ErrorBody, ErrorCode, ErrorEnvelope, InvalidDatabaseName};
use dbforge_engine::EngineError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

/// Detail of an internal error, for the log only.
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, detail)
    }

    pub fn database_not_found(name: &str) -> Self {
        Self::new(
            ErrorCode::DatabaseNotFound,
            format!("no database named {name}"),
        )
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let message = match e.statement {
            Some(i) => format!("statement {}: {}", i + 1, e.message),
            None => e.message,
        };
        Self::new(e.code, message)
    }
}

impl From<InvalidDatabaseName> for ApiError {
    fn from(e: InvalidDatabaseName) -> Self {
        Self::new(ErrorCode::InvalidDatabaseName, e.0)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if let Some(error) = crate::guard::body_failure(&rejection) {
            return error;
        }
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                ErrorCode::PayloadTooLarge,
                "the request body is larger than the configured limit (--max-body-bytes)",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with the header Content-Type: application/json",
            ),
            _ => Self::new(ErrorCode::InvalidJson, rejection.body_text()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (message, detail) = if status.is_server_error() && self.code == ErrorCode::InternalError
        {
            (
                "internal error; the server log has the detail under this response's x-request-id"
                    .to_owned(),
                Some(ErrorDetail(self.message)),
            )
        } else {
            (self.message, None)
        };
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: self.code,
                message,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(detail) = detail {
            response.extensions_mut().insert(detail);
        }
        if matches!(self.code, ErrorCode::DatabaseBusy | ErrorCode::ServerBusy) {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if let Some(error) = crate::guard::body_failure(&rejection) {
            return error;
        }
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                ErrorCode::PayloadTooLarge,
                "the request body is larger than the configured limit (--max-body-bytes)",
            ),
            _ => Self::invalid_request(format!(
                "the request body could not be read: {}",
                rejection.body_text()
            )),
        }
    }
}

/// The request body as bytes, read with our envelope for every failure (too large, too
/// slow, the server's body memory full) instead of axum's plain-text answers.
#[derive(Debug, Clone, Default)]
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Ok(Self(axum::body::Bytes::from_request(request, state).await?))
    }
}

/// `axum::Json` whose rejections use our envelope, so a malformed body gets a clear JSON error.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
