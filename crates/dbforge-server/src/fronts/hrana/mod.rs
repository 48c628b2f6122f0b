//! libSQL's Hrana protocol over HTTP (versions 2 and 3, JSON), so libSQL's drivers and the
//! ORMs on them work with DB-Forge unchanged. A front over the core's protocol streams: no
//! second path to SQLite. The database is chosen by the path (`/hrana/{name}/v3/pipeline`),
//! else by the `x-namespace` header, else by the first label of the Host
//! (`{name}.db.localhost`).

mod proto;
mod requests;

use std::net::IpAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dbforge_api::{DatabaseName, ErrorCode};
use dbforge_core::{AuthFailure, Core, CoreError, Lease, Principal, StreamState};
use dbforge_engine::Deadline;
use serde::de::DeserializeOwned;

use self::proto::{
    CursorEntry, CursorRequest, CursorResponse, Error, PipelineRequest, PipelineResponse,
    StreamRequest, StreamResult,
};
use self::requests::hrana_error;
use crate::http::credential::Authentication;
use crate::http::error::{ErrorDetail, refusal_reason};
use crate::http::guard::RequestDeadline;

/// Where the Hrana routes are mounted: under `/hrana/{name}`, and at the root (the database
/// from the `x-namespace` header or the Host's first label).
pub const PREFIXES: [&str; 2] = ["/hrana/{name}", ""];

/// What a Hrana route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    VersionProbe,
    Pipeline,
    Cursor,
    ProtobufProbe,
    Protobuf,
}

/// Every Hrana route under a prefix: method, path after the prefix, and what it does. The
/// router is built from this table, and so is the list of routes the cross-tenant tests walk.
const ROUTES: [(&str, &str, Kind); 7] = [
    ("GET", "/v2", Kind::VersionProbe),
    ("GET", "/v3", Kind::VersionProbe),
    ("POST", "/v2/pipeline", Kind::Pipeline),
    ("POST", "/v3/pipeline", Kind::Pipeline),
    ("POST", "/v3/cursor", Kind::Cursor),
    ("GET", "/v3-protobuf", Kind::ProtobufProbe),
    ("POST", "/v3-protobuf/{*rest}", Kind::Protobuf),
];

/// Every Hrana route as (method, path pattern), at every prefix.
pub fn route_list() -> Vec<(&'static str, String)> {
    PREFIXES
        .iter()
        .flat_map(|prefix| {
            ROUTES
                .iter()
                .map(move |(method, path, _)| (*method, format!("{prefix}{path}")))
        })
        .collect()
}

/// The Hrana routes, at `/hrana/{name}/...` and at the root (database from the header or Host).
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Core: FromRef<S>,
{
    PREFIXES.into_iter().fold(Router::new(), |router, prefix| {
        ROUTES.iter().fold(router, |router, (_, path, kind)| {
            let handler = match kind {
                Kind::VersionProbe => get(version_supported),
                Kind::Pipeline => post(pipeline),
                Kind::Cursor => post(cursor),
                Kind::ProtobufProbe => get(protobuf_unsupported),
                Kind::Protobuf => post(protobuf_unsupported),
            };
            router.route(&format!("{prefix}{path}"), handler)
        })
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
pub fn unauthorized(failure: AuthFailure) -> Response {
    unauthorized_failure(failure).into_response()
}

/// The 429 of a Hrana request a rate limit refused, in Hrana's error shape.
pub fn rate_limited(message: String) -> Response {
    failure(
        StatusCode::TOO_MANY_REQUESTS,
        Error::new("RATE_LIMITED", message),
    )
    .into_response()
}

fn unauthorized_failure(reason: AuthFailure) -> Failure {
    failure(
        StatusCode::UNAUTHORIZED,
        Error::new("UNAUTHORIZED", refusal_reason(reason)),
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

/// A libSQL client with a valid key. The guard refuses the others before their body is read;
/// this is the front's own check, so no handler runs without one.
struct HranaCaller(Principal);

impl<S: Send + Sync> FromRequestParts<S> for HranaCaller
where
    Core: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        Authentication::of(parts, state)
            .0
            .map(Self)
            .map_err(unauthorized)
    }
}

/// The request body, read with Hrana's error shape for every failure (too large, too slow,
/// the server's body memory full).
struct HranaBody(Bytes);

impl<S: Send + Sync> FromRequest<S> for HranaBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        match crate::http::error::ApiBytes::from_request(request, state).await {
            Ok(crate::http::error::ApiBytes(bytes)) => Ok(Self(bytes)),
            Err(error) => {
                Err(core_failure(CoreError::new(error.code, error.message)).into_response())
            }
        }
    }
}

async fn pipeline(
    State(core): State<Core>,
    RequestDeadline(deadline): RequestDeadline,
    begun: Begin,
) -> Response {
    run_pipeline(core, begun, deadline).await
}

async fn cursor(
    State(core): State<Core>,
    RequestDeadline(deadline): RequestDeadline,
    begun: Begin,
) -> Response {
    run_cursor(core, begun, deadline).await
}

/// A request-level failure: an HTTP status with Hrana's `{"message", "code"}`, the shape
/// clients parse.
struct Failure {
    status: StatusCode,
    error: Error,
    /// For an internal fault: the detail, for the log only.
    detail: Option<String>,
}

fn failure(status: StatusCode, error: Error) -> Failure {
    Failure {
        status,
        error,
        detail: None,
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.error)).into_response();
        if let Some(detail) = self.detail {
            response.extensions_mut().insert(ErrorDetail(detail));
        }
        response
    }
}

/// A core error as a request-level failure: the status from the one error table.
fn core_failure(error: CoreError) -> Failure {
    let status =
        StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let detail = (error.code == ErrorCode::InternalError).then(|| error.message.clone());
    Failure {
        status,
        error: hrana_error(error),
        detail,
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
    DatabaseName::parse(&raw).map_err(|e| core_failure(CoreError::from(e)))
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

/// What every Hrana request starts from: an authenticated caller (checked before the body
/// is read), the database named in the path if the route has one, the headers (which may
/// name it instead) and the body.
struct Begin {
    principal: Principal,
    /// `{name}` when the route has it (`/hrana/{name}/...`).
    path_name: Option<String>,
    headers: HeaderMap,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Begin
where
    Core: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let HranaCaller(principal) = HranaCaller::from_request_parts(&mut parts, state).await?;
        let path_name = match Option::<Path<String>>::from_request_parts(&mut parts, state).await {
            Ok(name) => name.map(|Path(name)| name),
            Err(rejection) => {
                let error = CoreError::new(
                    ErrorCode::InvalidDatabaseName,
                    format!("invalid path: {}", rejection.body_text()),
                );
                return Err(core_failure(error).into_response());
            }
        };
        let headers = parts.headers.clone();
        let HranaBody(body) =
            HranaBody::from_request(Request::from_parts(parts, body), state).await?;
        Ok(Self {
            principal,
            path_name,
            headers,
            body,
        })
    }
}

/// The start of every Hrana request: its body parsed and checked (`check`, before anything
/// is taken: a refused request leaves the client's stream as it was), the database it
/// addresses resolved, and the stream its baton names (or a new one) taken from the core.
async fn take_stream<T: DeserializeOwned>(
    core: &Core,
    request: Begin,
    baton: impl Fn(&T) -> Option<&str>,
    check: impl Fn(&T) -> Result<(), CoreError>,
) -> Result<(T, Lease, StreamState, DatabaseName), Failure> {
    let parsed: T = parse_body(&request.body)?;
    check(&parsed).map_err(core_failure)?;
    let name = database_name(request.path_name, &request.headers)?;
    let (lease, stream) = core
        .open_stream(&request.principal, &name, baton(&parsed))
        .await
        .map_err(core_failure)?;
    Ok((parsed, lease, stream, name))
}

async fn run_pipeline(core: Core, begun: Begin, deadline: Deadline) -> Response {
    let pipeline_size = |r: &PipelineRequest| {
        core.limits()
            .check_statement_count(r.requests.len(), "the pipeline", "requests")
            .map_err(CoreError::from)
    };
    let taken = take_stream(&core, begun, |r| r.baton.as_deref(), pipeline_size).await;
    let (request, lease, mut stream, name) = match taken {
        Ok(taken) => taken,
        Err(failure) => return failure.into_response(),
    };
    let mut closed = false;
    let mut budget = requests::ResponseBudget::new(&core, deadline.clone(), name);
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
            match requests::run_request(&core, &mut stream, &mut budget, item).await {
                Ok(response) => StreamResult::Ok { response },
                Err(error) => StreamResult::Error { error },
            },
        );
    }
    let baton = core.finish_stream(lease, stream, closed).await;
    let response = axum::Json(PipelineResponse {
        baton,
        base_url: None,
        results,
    })
    .into_response();
    budget.answer(response)
}

/// `v3/cursor`: a batch whose results come back as newline-delimited JSON entries.
async fn run_cursor(core: Core, begun: Begin, deadline: Deadline) -> Response {
    let (request, lease, mut stream, name) = match take_stream::<CursorRequest>(
        &core,
        begun,
        |r| r.baton.as_deref(),
        |_| Ok(()),
    )
    .await
    {
        Ok(taken) => taken,
        Err(failure) => return failure.into_response(),
    };
    let mut budget = requests::ResponseBudget::new(&core, deadline.clone(), name);
    let entries = match requests::run_batch(&core, &mut stream, &mut budget, &request.batch).await {
        Ok(outcomes) => requests::cursor_entries(outcomes),
        Err(error) => vec![CursorEntry::Error { error }],
    };
    let baton = core.finish_stream(lease, stream, false).await;
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
    budget.answer(response)
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
