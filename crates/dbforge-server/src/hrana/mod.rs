//! libSQL's Hrana protocol over HTTP (versions 2 and 3, JSON), so libSQL's drivers and the
//! ORMs on them work with DB-Forge unchanged. Another front over the engine's streams: no
//! second path to SQLite. The database is chosen by the path (`/hrana/{name}/v3/pipeline`),
//! else by the `x-namespace` header, else by the first label of the Host
//! (`{name}.db.localhost`).

mod proto;
mod requests;
pub mod streams;

use std::net::IpAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dbforge_api::DatabaseName;
use dbforge_engine::Deadline;
use serde::de::DeserializeOwned;

use self::proto::{
    CursorEntry, CursorRequest, CursorResponse, Error, PipelineRequest, PipelineResponse,
    StreamRequest, StreamResult,
};
use self::streams::{BatonError, Lease, OpenRefusal, StreamState};
use crate::auth::{KeyCheck, key_check};
use crate::error::ApiError;
use crate::routes::RequestDeadline;
use crate::state::AppState;

pub use self::streams::{StoredSqlLimits, StreamLimits, Streams};

/// The Hrana routes, at `/hrana/{name}/...` and at the root (database from the header or Host).
pub fn routes() -> Router<AppState> {
    ["/hrana/{name}", ""]
        .into_iter()
        .fold(Router::new(), |router, prefix| {
            router
                .route(&format!("{prefix}/v2"), get(version_supported))
                .route(&format!("{prefix}/v3"), get(version_supported))
                .route(&format!("{prefix}/v2/pipeline"), post(pipeline))
                .route(&format!("{prefix}/v3/pipeline"), post(pipeline))
                .route(&format!("{prefix}/v3/cursor"), post(cursor))
                .route(&format!("{prefix}/v3-protobuf"), get(protobuf_unsupported))
                .route(
                    &format!("{prefix}/v3-protobuf/{{*rest}}"),
                    post(protobuf_unsupported),
                )
        })
}

/// Whether `route` (a matched route pattern) is one of the Hrana routes.
pub fn is_hrana_route(route: &str) -> bool {
    let tail = route.strip_prefix("/hrana/{name}").unwrap_or(route);
    ["/v2", "/v3", "/v3-protobuf"]
        .iter()
        .any(|version| tail == *version || tail.starts_with(&format!("{version}/")))
}

/// Whether `route` answers without a key: the version probes clients send before they
/// authenticate, and the Protobuf refusal.
pub fn is_public_route(route: &str) -> bool {
    let tail = route.strip_prefix("/hrana/{name}").unwrap_or(route);
    matches!(tail, "/v2" | "/v3" | "/v3-protobuf") || tail.starts_with("/v3-protobuf/")
}

/// The 401 of a Hrana request without a valid key, in Hrana's error shape.
pub fn unauthorized() -> Response {
    unauthorized_failure().into_response()
}

fn unauthorized_failure() -> Failure {
    failure(
        StatusCode::UNAUTHORIZED,
        Error::new(
            "UNAUTHORIZED",
            "a valid API key is required: send it as `Authorization: Bearer <key>` \
             (the auth token of libSQL clients)",
        ),
    )
}

/// `GET v2` / `GET v3`: clients probe versions before they authenticate.
async fn version_supported() -> StatusCode {
    StatusCode::OK
}

/// Only the JSON encoding is spoken; a 404 here makes clients fall back to it.
async fn protobuf_unsupported() -> Failure {
    failure(
        StatusCode::NOT_FOUND,
        Error::new(
            "PROTOBUF_NOT_SUPPORTED",
            "this server speaks Hrana over HTTP with JSON (v2 and v3), not Protobuf",
        ),
    )
}

/// `{name}` when the route has it (`/hrana/{name}/...`), else `None` (root routes).
type NameInPath = Option<Path<String>>;

/// A libSQL client with a valid key. The request middleware refuses the others before their
/// body is read; this is the front's own check, so no handler runs without one.
struct HranaCaller;

impl FromRequestParts<AppState> for HranaCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match key_check(&state.auth, parts) {
            KeyCheck::Accepted { .. } => Ok(Self),
            _ => Err(unauthorized()),
        }
    }
}

/// The request body, read with Hrana's error shape for every failure (too large, too slow,
/// the server's body memory full).
struct HranaBody(Bytes);

impl FromRequest<AppState> for HranaBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        match crate::error::ApiBytes::from_request(request, state).await {
            Ok(crate::error::ApiBytes(bytes)) => Ok(Self(bytes)),
            Err(error) => Err(api_failure(&error).into_response()),
        }
    }
}

async fn pipeline(
    _: HranaCaller,
    State(app): State<AppState>,
    name: NameInPath,
    RequestDeadline(deadline): RequestDeadline,
    headers: HeaderMap,
    HranaBody(body): HranaBody,
) -> Response {
    run_pipeline(app, name.map(|Path(n)| n), headers, body, deadline).await
}

async fn cursor(
    _: HranaCaller,
    State(app): State<AppState>,
    name: NameInPath,
    RequestDeadline(deadline): RequestDeadline,
    headers: HeaderMap,
    HranaBody(body): HranaBody,
) -> Response {
    run_cursor(app, name.map(|Path(n)| n), headers, body, deadline).await
}

/// A request-level failure: an HTTP status with Hrana's `{"message", "code"}`, the shape
/// clients parse.
struct Failure {
    status: StatusCode,
    error: Error,
}

fn failure(status: StatusCode, error: Error) -> Failure {
    Failure { status, error }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.error)).into_response()
    }
}

fn api_failure(error: &ApiError) -> Failure {
    let status =
        StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    failure(
        status,
        Error::new(
            error.code.as_str().to_ascii_uppercase(),
            error.message.clone(),
        ),
    )
}

/// Authenticates the caller and resolves the stream the request continues (or opens).
async fn open_stream(
    app: &AppState,
    path_name: Option<String>,
    headers: &HeaderMap,
    baton: Option<&str>,
) -> Result<(Lease, StreamState), Failure> {
    let name = database_name(path_name, headers)?;
    // Every valid key may use every database today; scoped keys will refuse here with the
    // very answer an unknown database gets, so a key learns nothing about others' names.
    let db = app
        .open_database(&name)
        .await
        .map_err(|e| api_failure(&e))?;
    let incarnation = app
        .catalog
        .get(&name)
        .map(|entry| entry.incarnation)
        .ok_or_else(|| api_failure(&ApiError::database_not_found(name.as_str())))?;
    match baton {
        None => {
            let limits = app.streams.limits();
            let lease = app
                .streams
                .open(name.clone(), incarnation)
                .map_err(|refusal| {
                    let message = match refusal {
                        OpenRefusal::ServerFull => format!(
                            "the server has {} streams open, its limit (--max-streams); close \
                         streams you no longer use and retry",
                            limits.max_streams
                        ),
                        OpenRefusal::DatabaseFull => format!(
                            "this database has {} streams open, its limit \
                         (--max-streams-per-database); close streams you no longer use and retry",
                            limits.max_streams_per_database
                        ),
                    };
                    failure(
                        StatusCode::SERVICE_UNAVAILABLE,
                        Error::new("STREAMS_EXHAUSTED", message),
                    )
                })?;
            let stream = db.stream(limits.write_hold_limit, limits.write_wait_limit);
            Ok((
                lease,
                StreamState {
                    stream,
                    stored_sql: app.streams.stored_sql(name),
                },
            ))
        }
        Some(baton) => app
            .streams
            .take(baton, &name, incarnation)
            .map(|(lease, mut state)| {
                state.stream.resume(db);
                (lease, state)
            })
            .map_err(|e| {
                let (code, message) = match e {
                    BatonError::Invalid | BatonError::WrongDatabase => (
                        "BATON_INVALID",
                        "the baton is not one this server issued for this database".to_owned(),
                    ),
                    BatonError::Unknown => (
                        "STREAM_EXPIRED",
                        format!(
                            "the stream is closed or expired (streams close after {} idle, or {} \
                         holding a write transaction); open a new one",
                            humantime::format_duration(app.streams.limits().idle_timeout),
                            humantime::format_duration(app.streams.limits().write_hold_limit)
                        ),
                    ),
                    BatonError::Stale => (
                        "BATON_REUSED",
                        "the baton was already used: send each request with the baton of the \
                     previous response, one request at a time"
                            .to_owned(),
                    ),
                };
                failure(StatusCode::BAD_REQUEST, Error::new(code, message))
            }),
    }
}

/// The database a request addresses: the path, else `x-namespace`, else the Host's first label.
fn database_name(path_name: Option<String>, headers: &HeaderMap) -> Result<DatabaseName, Failure> {
    let from_header = || {
        headers
            .get("x-namespace")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
    };
    let raw = path_name
        .or_else(from_header)
        .or_else(|| host_label(headers))
        .ok_or_else(|| {
            failure(
                StatusCode::BAD_REQUEST,
                Error::new(
                    "NAMESPACE_REQUIRED",
                    "say which database: use http://host/hrana/{name}/ as the client URL, or \
                     the `x-namespace` header, or a {name}.db.host host name",
                ),
            )
        })?;
    DatabaseName::parse(&raw).map_err(|e| api_failure(&ApiError::from(e)))
}

/// The first label of the Host, when the Host is a name with several labels.
fn host_label(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let host = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    if host.starts_with('[') || host.parse::<IpAddr>().is_ok() {
        return None;
    }
    let (first, rest) = host.split_once('.')?;
    (!first.is_empty() && !rest.is_empty()).then(|| first.to_owned())
}

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|e| {
        failure(
            StatusCode::BAD_REQUEST,
            Error::new(
                "HTTP_PARSE_ERROR",
                format!("the body is not a valid Hrana request: {e}"),
            ),
        )
    })
}

/// The start of every Hrana request: its body parsed, the caller authenticated, and the stream
/// its baton names (or a new one) taken for it.
async fn begin<T: DeserializeOwned>(
    app: &AppState,
    path_name: Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
    baton: impl Fn(&T) -> Option<&str>,
) -> Result<(T, Lease, StreamState), Failure> {
    let request: T = parse_body(body)?;
    let (lease, stream) = open_stream(app, path_name, headers, baton(&request)).await?;
    Ok((request, lease, stream))
}

async fn run_pipeline(
    app: AppState,
    path_name: Option<String>,
    headers: HeaderMap,
    body: Bytes,
    deadline: Deadline,
) -> Response {
    let (request, lease, mut stream) =
        match begin::<PipelineRequest>(&app, path_name, &headers, &body, |r| r.baton.as_deref())
            .await
        {
            Ok(begun) => begun,
            Err(failure) => return failure.into_response(),
        };
    let limit = app.engine.config().limits.max_statements;
    if request.requests.len() > limit {
        return failure(
            StatusCode::PAYLOAD_TOO_LARGE,
            Error::new(
                "TOO_MANY_STATEMENTS",
                format!(
                    "the pipeline holds {} requests; the limit is {limit}",
                    request.requests.len()
                ),
            ),
        )
        .into_response();
    }
    let mut closed = false;
    let mut budget = requests::ResponseBudget::new(&app, deadline.clone());
    let mut results = Vec::with_capacity(request.requests.len());
    for item in request.requests {
        if closed {
            results.push(StreamResult::Error {
                error: Error::new(
                    "STREAM_CLOSED",
                    "the stream was closed by an earlier request",
                ),
            });
            continue;
        }
        closed |= matches!(item, StreamRequest::Close);
        results.push(
            match requests::run_request(&app, &mut stream, &mut budget, item).await {
                Ok(response) => StreamResult::Ok { response },
                Err(error) => StreamResult::Error { error },
            },
        );
    }
    let baton = settle(&app, lease, stream, closed).await;
    let response = axum::Json(PipelineResponse {
        baton,
        base_url: None,
        results,
    })
    .into_response();
    holding(response, budget.into_charges())
}

/// Ends a request's hold on its stream; the baton for the next request, if the stream lives on.
async fn settle(
    app: &AppState,
    lease: Lease,
    mut stream: StreamState,
    closed: bool,
) -> Option<String> {
    if let Some(db) = stream.stream.database() {
        app.note_schema_change(db).await;
    }
    stream.stream.park();
    if closed {
        lease.close();
        None
    } else {
        lease.give_back(stream)
    }
}

/// `v3/cursor`: a batch whose results come back as newline-delimited JSON entries.
async fn run_cursor(
    app: AppState,
    path_name: Option<String>,
    headers: HeaderMap,
    body: Bytes,
    deadline: Deadline,
) -> Response {
    let (request, lease, mut stream) = match begin::<CursorRequest>(
        &app,
        path_name,
        &headers,
        &body,
        |r| r.baton.as_deref(),
    )
    .await
    {
        Ok(begun) => begun,
        Err(failure) => return failure.into_response(),
    };
    let mut budget = requests::ResponseBudget::new(&app, deadline.clone());
    let entries = match requests::run_batch(&app, &mut stream, &mut budget, &request.batch).await {
        Ok(outcomes) => requests::cursor_entries(outcomes),
        Err(error) => vec![CursorEntry::Error { error }],
    };
    let baton = settle(&app, lease, stream, false).await;
    let mut body = Vec::new();
    let head = CursorResponse {
        baton,
        base_url: None,
    };
    let lines =
        std::iter::once(serde_json::to_vec(&head)).chain(entries.iter().map(serde_json::to_vec));
    for line in lines {
        match line {
            Ok(line) => {
                body.extend_from_slice(&line);
                body.push(b'\n');
            }
            Err(e) => {
                tracing::error!(error = %e, "encoding a cursor entry failed");
                return failure(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Error::new("INTERNAL_ERROR", "encoding the result failed"),
                )
                .into_response();
            }
        }
    }
    let response = Response::builder()
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    holding(response, budget.into_charges())
}

/// `response`, whose body holds `charges` (the results' share of the server's result memory)
/// until it is sent.
fn holding(response: Response, charges: Vec<dbforge_engine::ResultCharge>) -> Response {
    response.map(|body| Body::new(crate::routes::ChargedBody::new(body, charges)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(value: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, value.parse().expect("header value"));
        host_label(&headers)
    }

    #[test]
    fn the_hosts_first_label_names_the_database() {
        assert_eq!(host("shop.db.localhost:8081").as_deref(), Some("shop"));
        assert_eq!(host("shop.db.example.com").as_deref(), Some("shop"));
        assert_eq!(host("localhost:8081"), None);
        assert_eq!(host("127.0.0.1:8081"), None);
        assert_eq!(host("[::1]:8081"), None);
        assert_eq!(host(".db.localhost"), None);
    }
}
