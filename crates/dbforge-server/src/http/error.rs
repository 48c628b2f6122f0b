//! Error policy of the REST front and ops: every failure becomes `{"error": {"code", "message"}}` with the status from
//! the one error table (`dbforge_api::ErrorCode`). Converting an error has no side effects;
//! a 5xx body is opaque and its detail rides in a response extension that the logging
//! middleware writes out under the request id.

use axum::Json;
use axum::extract::FromRequest;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dbforge_api::{ErrorBody, ErrorCode, ErrorEnvelope, InvalidDatabaseName};
use dbforge_core::{AuthFailure, CoreError, TokenRefusal};

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

    /// The 401 of a request whose key was not accepted.
    pub fn unauthenticated(failure: AuthFailure) -> Self {
        Self::new(ErrorCode::Unauthorized, refusal_reason(failure))
    }

    /// The 404 of a path no route has.
    pub fn no_route_at(path: &str) -> Self {
        Self::new(
            ErrorCode::RouteNotFound,
            format!("no route at {path}; the API is described at /docs and /openapi.json"),
        )
    }
}

/// Why a credential was not accepted, in words for its bearer (every front says the same).
pub fn refusal_reason(failure: AuthFailure) -> &'static str {
    match failure {
        AuthFailure::Missing => {
            "an API key is required: send it as `X-API-Key: <key>` or `Authorization: Bearer <key>` \
             (the auth token of libSQL clients)"
        }
        AuthFailure::Rejected => "the API key is not valid",
        AuthFailure::Token(TokenRefusal::Invalid) => {
            "the token is not valid: not one this server signed, or altered"
        }
        AuthFailure::Token(TokenRefusal::Expired) => "the token has expired; mint a new one",
        AuthFailure::Token(TokenRefusal::Revoked) => {
            "the token was revoked (its database's tokens, every token, or the key that minted \
             it); mint a new one"
        }
    }
}

/// A core error in the REST envelope: the one mapping of the REST front and ops.
impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        Self::new(e.code, e.message_with_statement())
    }
}

impl From<InvalidDatabaseName> for ApiError {
    fn from(e: InvalidDatabaseName) -> Self {
        Self::new(ErrorCode::InvalidDatabaseName, e.0)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if let Some(error) = body_failure(&rejection) {
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
        response
            .extensions_mut()
            .insert(super::AnsweredError(self.code));
        if let Some(detail) = detail {
            response.extensions_mut().insert(detail);
        }
        if matches!(
            self.code,
            ErrorCode::DatabaseBusy | ErrorCode::ServerBusy | ErrorCode::RateLimited
        ) && !response
            .headers()
            .contains_key(axum::http::header::RETRY_AFTER)
        {
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
        if let Some(error) = body_failure(&rejection) {
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

/// A JSON body, and JSON answers: like `axum::Json`, but every refusal uses our envelope, and
/// an integer literal beyond 64 bits is refused instead of silently becoming a float (JSON
/// parsers read such a number as a double, losing digits).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_type);
        if !json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with the header Content-Type: application/json",
            ));
        }
        let ApiBytes(body) = ApiBytes::from_request(request, state).await?;
        if let Some(literal) = oversized_integer(&body) {
            return Err(ApiError::invalid_request(format!(
                "the integer {literal} does not fit in 64 bits (SQLite's integers); send it as a \
                 string, or as a real number with a decimal point"
            )));
        }
        serde_json::from_slice(&body).map(ApiJson).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidJson,
                format!("the body is not valid: {e}"),
            )
        })
    }
}

/// The first integer literal in the JSON text `body` (outside strings) that does not fit in
/// a signed 64-bit integer.
pub fn oversized_integer(body: &[u8]) -> Option<String> {
    let mut i = 0;
    let mut in_string = false;
    while i < body.len() {
        let b = body[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'-' | b'0'..=b'9' => {
                let end = body[i..]
                    .iter()
                    .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .map_or(body.len(), |p| i + p);
                let token = &body[i..end];
                let integral = !token.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
                // Up to 18 digits always fits; only longer literals need a look.
                if integral && token.len() > 18 {
                    let text = String::from_utf8_lossy(token);
                    if text.parse::<i64>().is_err() {
                        return Some(text.into_owned());
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether a `Content-Type` is JSON: `application/json` (with parameters or not), or a
/// JSON-based type such as `application/problem+json`.
fn is_json_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.len() > "application/".len()
            && essence[.."application/".len()].eq_ignore_ascii_case("application/")
            && essence.to_ascii_lowercase().ends_with("+json"))
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// Why a request body could not be read (the guard's bounds on its time and memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyFailure {
    #[error("the request body did not arrive in time")]
    TimedOut,
    #[error("the server holds as many request bodies as its memory limit allows")]
    MemoryFull,
}

/// The error for a body that failed for one of the guard's reasons, found anywhere in
/// `error`'s chain of causes (extractors wrap it).
pub fn body_failure(error: &(dyn std::error::Error + 'static)) -> Option<ApiError> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(failure) = e.downcast_ref::<BodyFailure>() {
            return Some(match failure {
                BodyFailure::TimedOut => ApiError::new(
                    ErrorCode::BodyTimeout,
                    "the request body did not arrive within the body read timeout \
                     (--body-read-timeout)",
                ),
                BodyFailure::MemoryFull => ApiError::new(
                    ErrorCode::ServerBusy,
                    "the server holds as many request bodies as its memory limit allows \
                     (--max-body-memory); retry shortly",
                ),
            });
        }
        cause = e.source();
    }
    None
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The JSON error for a method a route does not take.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{method} is not allowed on {}; see /docs for the methods it takes",
            uri.path()
        ),
    )
}

/// `axum::extract::Query` whose rejections use our envelope.
#[derive(Debug, Clone, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::invalid_request(rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::oversized_integer;

    #[test]
    fn integers_beyond_64_bits_are_found_outside_strings_only() {
        assert_eq!(
            oversized_integer(br#"{"params": [1, 100000000000000000000]}"#).as_deref(),
            Some("100000000000000000000")
        );
        assert_eq!(
            oversized_integer(b"[-9223372036854775809]").as_deref(),
            Some("-9223372036854775809")
        );
        for fine in [
            br#"[9223372036854775807, -9223372036854775808]"#.as_slice(),
            br#"["100000000000000000000", 1e300, 1.5, 100000000000000000000.0]"#,
            br#"{"sql": "SELECT 100000000000000000000 \" 100000000000000000000"}"#,
        ] {
            assert_eq!(
                oversized_integer(fine),
                None,
                "{}",
                String::from_utf8_lossy(fine)
            );
        }
    }
}
