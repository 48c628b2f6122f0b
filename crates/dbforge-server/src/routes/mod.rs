//! The HTTP surface: one router built by a pure function (used by `serve` and by tests), the
//! extractors every handler shares, and the OpenAPI document generated from the handlers.

mod admin;
mod data;
mod encode;
pub use encode::ChargedBody;
mod observe;
pub(crate) mod ops;
mod tables;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::middleware;
use dbforge_api::{DatabaseName, ErrorCode};
use dbforge_engine::{Database, Deadline};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::telemetry;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "DB-Forge",
        description = "SQLite databases on demand over HTTP. Every route except /health, /ready, \
                       /metrics and the docs needs an API key (`X-API-Key` or `Authorization: Bearer`). \
                       Errors are `{\"error\": {\"code\", \"message\"}}`; codes are listed in docs/API.md."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "admin", description = "Create, list, inspect and delete databases"),
        (name = "data", description = "Run SQL"),
        (name = "tables", description = "Tables and rows as resources"),
        (name = "ops", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The gateway's router with its OpenAPI document.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(admin::list_databases))
        .routes(routes!(admin::create_database))
        .routes(routes!(admin::get_database, admin::remove_database))
        .routes(routes!(admin::delete_database))
        .routes(routes!(admin::gateway_stats))
        .routes(routes!(observe::gateway_timeseries))
        .routes(routes!(observe::list_activity))
        .routes(routes!(observe::server_config))
        .routes(routes!(data::run_query))
        .routes(routes!(tables::list_tables, tables::create_table))
        .routes(routes!(tables::get_table))
        .routes(routes!(tables::read_rows, tables::insert_rows))
        .routes(routes!(ops::health))
        .routes(routes!(ops::ready))
        .routes(routes!(ops::metrics))
        .split_for_parts();
    let body_limit = state.max_body_bytes;
    state.streams.start_sweeper();
    api.route(
        "/",
        axum::routing::get(crate::dashboard::index).layer(crate::dashboard::compression()),
    )
    .merge(crate::hrana::routes())
    .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
    .fallback(crate::dashboard::fallback.layer(crate::dashboard::compression()))
    .method_not_allowed_fallback(ops::method_not_allowed)
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(middleware::from_fn_with_state(
        state.clone(),
        crate::guard::guard_request,
    ))
    .layer(middleware::from_fn_with_state(
        state.clone(),
        telemetry::track_requests,
    ))
    .layer(CatchPanicLayer::custom(|_| {
        axum::response::IntoResponse::into_response(ApiError::internal("a handler panicked"))
    }))
    .layer(
        TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map_or("-", |id| clip(id, MAX_LOGGED_ID));
            let method = telemetry::method_label(request.method());
            let path = clip(request.uri().path(), MAX_LOGGED_PATH);
            tracing::info_span!("request", id, method, path)
        }),
    )
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
    .layer(SetSensitiveRequestHeadersLayer::new([
        axum::http::header::AUTHORIZATION,
        axum::http::HeaderName::from_static("x-api-key"),
    ]))
    .with_state(state)
}

/// The longest request path and request id a log line carries: clients choose both, and a
/// log line must stay small whatever they send.
const MAX_LOGGED_PATH: usize = 256;
const MAX_LOGGED_ID: usize = 64;

/// `text` cut to at most `max` bytes, at a character boundary.
fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A path segment parsed as a database name (`invalid_database_name` otherwise).
async fn name_param(parts: &mut Parts) -> Result<DatabaseName, ApiError> {
    {
        let Path(params): Path<Vec<(String, String)>> = Path::from_request_parts(parts, &())
            .await
            .map_err(|rejection| {
                use axum::extract::path::ErrorKind;
                use axum::extract::rejection::PathRejection;
                let code = match &rejection {
                    PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                        ErrorKind::InvalidUtf8InPathParam { key } if key != "name" => {
                            ErrorCode::InvalidRequest
                        }
                        _ => ErrorCode::InvalidDatabaseName,
                    },
                    _ => ErrorCode::InvalidRequest,
                };
                ApiError::new(code, format!("invalid path: {}", rejection.body_text()))
            })?;
        let raw = params
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::internal("route has no {name} parameter"))?;
        Ok(DatabaseName::parse(raw)?)
    }
}

/// The `{name}` of an admin route, validated, with the caller authenticated first.
pub struct DbName(pub DatabaseName);

impl FromRequestParts<AppState> for DbName {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Caller::from_request_parts(parts, state).await?;
        Ok(DbName(name_param(parts).await?))
    }
}

/// An authenticated caller's open database, resolved from `{name}`: handlers get a ready
/// handle and cannot forget auth. An unknown name is `database_not_found`.
pub struct DbHandle(pub Arc<Database>);

impl FromRequestParts<AppState> for DbHandle {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let DbName(name) = DbName::from_request_parts(parts, state).await?;
        Ok(DbHandle(state.open_database(&name).await?))
    }
}

/// The request's deadline, set by the request middleware (`--request-timeout`): every
/// statement the request runs stops by then, and at once if the client goes away.
pub struct RequestDeadline(pub Deadline);

impl<S: Send + Sync> FromRequestParts<S> for RequestDeadline {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Deadline>()
            .cloned()
            .map(RequestDeadline)
            .ok_or_else(|| ApiError::internal("the request has no deadline (middleware missing)"))
    }
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
