//! What the gateway tells about itself for the dashboard: recent requests, traffic over
//! time, and the effective configuration with secrets masked.

use std::time::Duration;

use axum::extract::State;
use dbforge_api::{
    ActivityList, BusyDatabase, ErrorEnvelope, ServerConfig, ServerLimits, Timeseries,
};
use serde::Deserialize;
use utoipa::IntoParams;

use std::sync::Arc;

use super::Ops;
use super::activity::{ActivityFilter, StatusFilter};
use super::timeline;
use crate::config::{DurabilityArg, LogFormat};
use crate::http::credential::AdminCaller;
use crate::http::error::{ApiError, ApiJson, ApiQuery, ApiResult};

/// How far back "busiest databases" looks.
const BUSIEST_WINDOW: Duration = Duration::from_secs(300);
const BUSIEST_COUNT: usize = 8;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityParams {
    /// Entries per page (1 to the log's capacity, default 100).
    limit: Option<usize>,
    /// Only entries older than this id (the previous page's `next_before`).
    before: Option<u64>,
    /// Only requests to this database.
    database: Option<String>,
    /// Only routes containing this text, e.g. `query` or `/admin`.
    route: Option<String>,
    /// Only this HTTP method.
    method: Option<String>,
    /// A status code (`404`), a class (`4xx`) or `error` (400 and above).
    status: Option<String>,
    /// Only requests made with this key id.
    key_id: Option<String>,
}

/// Recent requests, newest first: time, key id, method, route, database, status, duration.
///
/// The gateway keeps the last few thousand requests in memory (`capacity`); reading this log
/// is not itself logged.
#[utoipa::path(get, path = "/admin/activity", tag = "admin", params(ActivityParams),
    responses((status = 200, body = ActivityList), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn list_activity(
    _: AdminCaller,
    State(ops): State<Arc<Ops>>,
    ApiQuery(params): ApiQuery<ActivityParams>,
) -> ApiResult<ApiJson<ActivityList>> {
    let log = &ops.activity;
    let limit = params.limit.unwrap_or(100);
    if !(1..=log.capacity()).contains(&limit) {
        return Err(ApiError::invalid_request(format!(
            "limit must be between 1 and {}",
            log.capacity()
        )));
    }
    let status = params
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(StatusFilter::parse)
        .transpose()
        .map_err(ApiError::invalid_request)?;
    let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
    let filter = ActivityFilter {
        before: params.before,
        database: non_empty(params.database),
        route: non_empty(params.route),
        method: non_empty(params.method),
        status,
        key_id: non_empty(params.key_id),
    };
    let (entries, more) = log.query(&filter, limit);
    let next_before = if more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(ApiJson(ActivityList {
        entries,
        capacity: log.capacity() as u64,
        next_before,
    }))
}

/// Recent traffic in fixed intervals (requests, 4xx and 5xx answers, queries, query latency
/// p50/p99 per interval), oldest first, and the busiest databases of the last five minutes.
#[utoipa::path(get, path = "/admin/gateway/timeseries", tag = "admin",
    responses((status = 200, body = Timeseries), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn gateway_timeseries(
    _: AdminCaller,
    State(ops): State<Arc<Ops>>,
) -> ApiResult<ApiJson<Timeseries>> {
    let busiest = ops
        .activity
        .busiest(BUSIEST_WINDOW, BUSIEST_COUNT)
        .into_iter()
        .map(|traffic| BusyDatabase {
            mean_ms: traffic.total.as_secs_f64() * 1000.0 / traffic.requests.max(1) as f64,
            name: traffic.name,
            requests: traffic.requests,
            errors: traffic.errors,
        })
        .collect();
    Ok(ApiJson(Timeseries {
        interval_seconds: timeline::INTERVAL.as_secs_f64(),
        points: ops.timeline.points(),
        busiest,
    }))
}

/// Shown instead of any secret.
const MASKED: &str = "********";

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The effective configuration and limits. The admin key is masked; only where it comes
/// from is shown.
#[utoipa::path(get, path = "/admin/config", tag = "admin",
    responses((status = 200, body = ServerConfig), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn server_config(_: AdminCaller, State(ops): State<Arc<Ops>>) -> ApiJson<ServerConfig> {
    let config = &ops.config;
    let admin_key_source = match (&config.admin_key, config.dev) {
        (Some(_), _) => "configured",
        (None, true) => "dev only",
        (None, false) => "key file",
    };
    let engine = ops.core.engine_config();
    let streams = ops.core.stream_limits();
    let as_u64 = |n: usize| n as u64;
    ApiJson(ServerConfig {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        listen: ops
            .bound
            .get()
            .map_or_else(|| config.listen.to_string(), ToString::to_string),
        data_dir: config.data_dir.display().to_string(),
        config_file: config.config.as_ref().map(|p| p.display().to_string()),
        admin_key: MASKED.to_owned(),
        admin_key_source: admin_key_source.to_owned(),
        dev: config.dev,
        durability: match config.durability {
            DurabilityArg::Full => "full",
            DurabilityArg::Normal => "normal",
        }
        .to_owned(),
        log_format: match config.log_format {
            LogFormat::Pretty => "pretty",
            LogFormat::Json => "json",
        }
        .to_owned(),
        log: config.log.clone(),
        shutdown_timeout_ms: millis(config.shutdown_timeout),
        limits: ServerLimits {
            statement_timeout_ms: millis(engine.limits.statement_timeout),
            max_result_rows: as_u64(engine.limits.max_result_rows),
            max_result_bytes: as_u64(engine.limits.max_result_bytes),
            max_sql_length: as_u64(engine.limits.max_sql_length),
            max_statements: as_u64(engine.limits.max_statements),
            max_body_bytes: as_u64(config.max_body_bytes),
            max_database_size: engine.limits.default_max_size_bytes,
            max_open_databases: as_u64(engine.max_open_databases),
            idle_timeout_ms: millis(engine.idle_timeout),
            write_queue_depth: as_u64(engine.write_queue_depth),
            readers_per_database: as_u64(engine.readers_per_database),
            activity_capacity: as_u64(ops.activity.capacity()),
            stream_idle_timeout_ms: millis(streams.idle_timeout),
            write_transaction_timeout_ms: millis(streams.write_hold_limit),
            transaction_busy_timeout_ms: millis(streams.write_wait_limit),
            max_streams: as_u64(streams.max_streams),
            max_streams_per_database: as_u64(streams.max_streams_per_database),
            read_transaction_timeout_ms: millis(streams.read_transaction_timeout),
            max_stored_sql_per_stream: as_u64(streams.stored_sql.per_stream),
            max_stored_sql_per_database: as_u64(streams.stored_sql.per_database),
            max_stored_sql: as_u64(streams.stored_sql.total),
            request_timeout_ms: millis(config.request_timeout),
            body_read_timeout_ms: millis(config.body_read_timeout),
            header_read_timeout_ms: millis(config.header_read_timeout),
            max_connections: as_u64(config.max_connections),
            max_connections_per_ip: as_u64(config.max_connections_per_ip),
            max_body_memory: as_u64(config.max_body_memory),
            max_result_memory: as_u64(engine.max_result_memory),
            max_value_bytes: as_u64(engine.limits.max_value_bytes),
            max_sql_params: as_u64(engine.limits.max_params),
            sqlite_memory_limit: engine.sqlite_memory_limit,
            min_free_disk: engine.min_free_disk,
        },
    })
}
