//! The composition root: the state handlers get ([`AppState`]: the core, what ops need, the
//! guard's settings) and the one router, built by a pure function (used by `serve` and by the
//! tests) from the fronts, ops and the HTTP layers. It builds routes and does nothing else:
//! background work starts in `serve_with`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::handler::Handler;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use dbforge_core::{AuthFailure, Core};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::fronts::{hrana, rest};
use crate::http::error::{ApiError, method_not_allowed};
use crate::http::throttle::{Limit, Refusal};
use crate::http::{credential, guard};
use crate::ops::{self, Ops, dashboard, telemetry};

/// The gateway's state as handlers get it: one `Arc`, so the per-request clones (every
/// middleware and `State` extractor takes one) cost a reference count, not a copy.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub core: Core,
    pub ops: Arc<Ops>,
    pub guard: Arc<guard::Guard>,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for Core {
    fn from_ref(state: &AppState) -> Self {
        state.core.clone()
    }
}

impl FromRef<AppState> for Arc<Ops> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.ops)
    }
}

/// Whether a matched route answers without a key: the server's open routes, the libSQL
/// version probes clients send before they authenticate, the public keys that verify tokens,
/// and `/metrics` when the operator opened it (`--metrics-public`) for a Prometheus without a
/// key.
pub fn public_routes(metrics_public: bool) -> impl Fn(&str) -> bool + Send + Sync {
    move |route| {
        guard::is_open_route(route)
            || hrana::is_public_route(route)
            || route == rest::JWKS_ROUTE
            || (metrics_public && route == "/metrics")
    }
}

/// The 429 of a request a rate limit refused, in the protocol of its route, with
/// `Retry-After` in whole seconds (at least 1).
pub fn refuse_limited(route: &str, refusal: Refusal) -> Response {
    let seconds = refusal.retry_after.as_secs_f64().ceil().max(1.0) as u64;
    let message = match refusal.limit {
        Limit::Credential => format!(
            "this key or token made more requests than its rate allows (--rate-limit); retry in \
             {seconds} s"
        ),
        Limit::Address => format!(
            "this client address made more requests than its rate allows \
             (--rate-limit-per-address); retry in {seconds} s"
        ),
        Limit::FailedAuth => format!(
            "too many wrong keys or tokens from this client address (--failed-auth-limit); \
             retry in {seconds} s"
        ),
    };
    let mut response = if hrana::is_hrana_route(route) {
        hrana::rate_limited(message)
    } else {
        ApiError::new(dbforge_api::ErrorCode::RateLimited, message).into_response()
    };
    response
        .headers_mut()
        .insert(axum::http::header::RETRY_AFTER, seconds.into());
    response
}

/// The 401 of a request without a valid key, in the protocol of its route.
pub fn refuse(route: &str, failure: AuthFailure) -> Response {
    if hrana::is_hrana_route(route) {
        return hrana::unauthorized(failure);
    }
    ApiError::unauthenticated(failure).into_response()
}

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
        (name = "keys", description = "Scoped API keys (admins only)"),
        (name = "tokens", description = "Per-database tokens for drivers (JWT, EdDSA)"),
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

/// The REST and ops routes with the OpenAPI document their registration produces.
fn documented_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    utoipa_axum::router::OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .merge(rest::routes())
        .merge(ops::routes())
        .split_for_parts()
}

/// Every API route the router serves, as (method, path pattern): the REST and ops routes
/// from the document their registration produces, the Hrana routes from their table. Tests
/// walk it (the cross-tenant matrix), so a route added later is covered without being named.
pub fn route_list() -> Vec<(String, String)> {
    let (_, openapi) = documented_routes();
    let mut routes: Vec<(String, String)> = openapi
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ];
            methods
                .into_iter()
                .filter(|(_, served)| *served)
                .map(move |(method, _)| (method.to_owned(), path.clone()))
        })
        .collect();
    routes.extend(
        hrana::route_list()
            .into_iter()
            .map(|(method, path)| (method.to_owned(), path)),
    );
    routes
}

/// The gateway's router with its OpenAPI document.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = documented_routes();
    let body_limit = state.ops.config.max_body_bytes;
    api.route(
        "/",
        axum::routing::get(dashboard::index).layer(dashboard::compression()),
    )
    .merge(hrana::routes())
    .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
    .fallback(dashboard::fallback.layer(dashboard::compression()))
    .method_not_allowed_fallback(method_not_allowed)
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(middleware::from_fn_with_state(
        Arc::clone(&state.guard),
        guard::guard_request,
    ))
    .layer(middleware::from_fn_with_state(
        Arc::clone(&state.ops),
        telemetry::track_requests,
    ))
    .layer(credential::layer(credential::CredentialStep {
        core: state.core.clone(),
        throttle: Arc::clone(&state.guard.throttle),
    }))
    .layer(CatchPanicLayer::custom(|_| {
        IntoResponse::into_response(ApiError::internal("a handler panicked"))
    }))
    .layer(
        TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map_or("-", |id| clip(id, MAX_LOGGED_ID));
            let method = crate::http::method_label(request.method());
            let path = clip(request.uri().path(), MAX_LOGGED_PATH);
            tracing::info_span!("request", id, method, path)
        }),
    )
    .layer(cors(&state.ops.config.cors_origins))
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
    .layer(SetSensitiveRequestHeadersLayer::new([
        axum::http::header::AUTHORIZATION,
        axum::http::HeaderName::from_static("x-api-key"),
    ]))
    .with_state(state)
}

/// Cross-origin calls from the configured web origins (`--cors-origin`), answered before the
/// credential step (a browser's preflight carries no credential); none allowed by default.
fn cors(origins: &[String]) -> tower::util::Either<CorsLayer, tower::layer::util::Identity> {
    use axum::http::{HeaderName, HeaderValue, Method, header};
    if origins.is_empty() {
        return tower::util::Either::Right(tower::layer::util::Identity::new());
    }
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    tower::util::Either::Left(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("x-api-key"),
                HeaderName::from_static("x-namespace"),
            ])
            .expose_headers([header::RETRY_AFTER, HeaderName::from_static("x-request-id")])
            .max_age(std::time::Duration::from_secs(600)),
    )
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
