//! Operations routes: liveness and readiness (no API key), Prometheus metrics (an admin key,
//! unless `--metrics-public`).

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use dbforge_api::{ErrorCode, ErrorEnvelope, HealthStatus};

use dbforge_core::Core;

use super::{Ops, telemetry};
use crate::http::credential::Authentication;
use crate::http::error::{ApiError, ApiJson};

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
pub async fn ready(State(core): State<Core>) -> Result<ApiJson<HealthStatus>, ApiError> {
    let checking = core.clone();
    let (writable, low_on_disk) = tokio::task::spawn_blocking(move || {
        let writable = std::fs::metadata(&checking.engine_config().data_dir)
            .map(|m| m.is_dir() && !m.permissions().readonly())
            .unwrap_or(false);
        checking.disk().check();
        (writable, checking.disk().is_low())
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
        let disk = core.disk();
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

/// Prometheus metrics in the text exposition format. Admins only, unless the server runs
/// with `--metrics-public`.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security((), ("api_key" = []), ("bearer" = [])))]
pub async fn metrics(
    State(core): State<Core>,
    State(ops): State<Arc<Ops>>,
    Extension(authentication): Extension<Authentication>,
) -> Response {
    if !ops.config.metrics_public {
        let allowed = match &authentication.0 {
            Ok(principal) => principal.require_admin().map_err(ApiError::from),
            Err(failure) => Err(ApiError::unauthenticated(*failure)),
        };
        if let Err(refused) = allowed {
            return refused.into_response();
        }
    }
    let stats = match core.gateway_stats().await {
        Ok(stats) => stats,
        Err(e) => return ApiError::from(e).into_response(),
    };
    metrics::gauge!("dbforge_databases").set(stats.database_count as f64);
    metrics::gauge!("dbforge_disk_bytes").set(stats.total_bytes as f64);
    metrics::gauge!("dbforge_open_databases").set(stats.open_databases as f64);
    metrics::gauge!("dbforge_uptime_seconds").set(stats.uptime_seconds as f64);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        telemetry::prometheus().render(),
    )
        .into_response()
}
