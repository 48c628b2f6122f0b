//! Operations routes (no API key): liveness, readiness, Prometheus metrics; plus the JSON
//! answers for unknown routes and wrong methods.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use dbforge_api::{ErrorCode, HealthStatus};

use crate::error::{ApiError, ApiJson};
use crate::state::AppState;
use crate::telemetry;

/// Liveness: the process is up and serving HTTP.
#[utoipa::path(get, path = "/health", tag = "ops", responses((status = 200, body = HealthStatus)))]
pub async fn health() -> ApiJson<HealthStatus> {
    ApiJson(HealthStatus {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Readiness: the catalog is loaded, the data directory is writable and its disk has room.
#[utoipa::path(get, path = "/ready", tag = "ops",
    responses((status = 200, body = HealthStatus), (status = 503, body = dbforge_api::ErrorEnvelope)))]
pub async fn ready(State(state): State<AppState>) -> Result<ApiJson<HealthStatus>, ApiError> {
    let engine = std::sync::Arc::clone(&state.engine);
    let (writable, low_on_disk) = tokio::task::spawn_blocking(move || {
        let writable = std::fs::metadata(&engine.config().data_dir)
            .map(|m| m.is_dir() && !m.permissions().readonly())
            .unwrap_or(false);
        engine.disk().check();
        (writable, engine.disk().is_low())
    })
    .await
    .unwrap_or((false, false));
    if !writable {
        return Err(ApiError::new(
            ErrorCode::NotReady,
            "the data directory is not writable",
        ));
    }
    if low_on_disk {
        let disk = state.engine.disk();
        return Err(ApiError::new(
            ErrorCode::NotReady,
            format!(
                "disk_full: the data directory's disk has {} bytes free, under the {} the server \
                 keeps (--min-free-disk); writes and new databases are refused",
                disk.free_bytes(),
                disk.min_free()
            ),
        ));
    }
    Ok(ApiJson(HealthStatus {
        status: "ready".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let gauges = tokio::task::spawn_blocking(move || {
        let stats = crate::routes::admin::collect_stats(&state);
        metrics::gauge!("dbforge_databases").set(stats.database_count as f64);
        metrics::gauge!("dbforge_disk_bytes").set(stats.total_bytes as f64);
        metrics::gauge!("dbforge_open_databases").set(stats.open_databases as f64);
        metrics::gauge!("dbforge_uptime_seconds").set(stats.uptime_seconds as f64);
    })
    .await;
    if let Err(e) = gauges {
        return ApiError::internal(format!("metrics task: {e}")).into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        telemetry::prometheus().render(),
    )
        .into_response()
}

pub fn not_found_at(path: &str) -> ApiError {
    ApiError::new(
        ErrorCode::RouteNotFound,
        format!("no route at {path}; the API is described at /docs and /openapi.json"),
    )
}

pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{method} is not allowed on {}; see /docs for the methods it takes",
            uri.path()
        ),
    )
}
