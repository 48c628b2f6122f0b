//! Logs, metrics and request ids: the tracing subscriber, the Prometheus recorder, and the
//! middleware that counts every request by matched route (bounded label cardinality) and logs
//! internal errors with their detail.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use super::Ops;
use super::activity::{RequestFacts, note_request};
use super::audit::AuditFacts;
use crate::config::LogFormat;
use crate::http::error::ErrorDetail;

/// Installs the global log subscriber (once per process; later calls are no-ops).
pub fn init_logging(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // Already installed (tests start several servers in one process): keep the first.
    let _ = result;
}

/// The process-wide Prometheus recorder; installed on first use.
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let seconds = [
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0, 10.0,
            ];
            let groups = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("dbforge_group_commit_requests".into()),
                        &groups,
                    )
                })
                .expect("constant buckets are valid")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            describe_metrics();
            handle
        })
        .clone()
}

fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "HTTP requests by matched route, method and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency"
    );
    describe_counter!(
        "dbforge_queries_total",
        "Operations on databases (SQL requests, libSQL statements, tables and rows calls) by outcome"
    );
    describe_histogram!(
        "dbforge_query_duration_seconds",
        Unit::Seconds,
        "Query execution time"
    );
    describe_counter!("dbforge_commits_total", "Write transactions committed");
    describe_histogram!(
        "dbforge_group_commit_requests",
        "Write requests per commit (group commit)"
    );
    describe_gauge!("dbforge_open_databases", "Databases open in the cache");
    describe_gauge!("dbforge_databases", "Databases in the catalog");
    describe_gauge!("dbforge_disk_bytes", "Bytes on disk of all databases");
    describe_gauge!(
        "dbforge_uptime_seconds",
        Unit::Seconds,
        "Seconds since start"
    );
}

/// Counts and times each request by route, and logs internal errors with their detail.
pub async fn track_requests(State(ops): State<Arc<Ops>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = crate::http::method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let facts = RequestFacts::observe(&request, &route);
    let audited = AuditFacts::observe(&request);
    let response = next.run(request).await;
    if let Some(audited) = audited {
        audited.record(&ops.core, &response);
    }
    let elapsed = started.elapsed();
    ops.core.count_request();
    let status = response.status();
    note_request(&ops, facts, &response, elapsed);
    let labels = [
        ("route", route.clone()),
        ("method", method.to_owned()),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(elapsed.as_secs_f64());
    if let Some(ErrorDetail(detail)) = response.extensions().get::<ErrorDetail>() {
        tracing::error!(%method, %route, status = status.as_u16(), detail, "internal error");
    }
    response
}
