//! Admin routes: create, list, inspect and delete databases; gateway statistics.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use dbforge_api::{
    DatabaseInfo, DatabaseList, DatabaseName, Deleted, ErrorCode, ErrorEnvelope, GatewayStats,
    SpawnRequest,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ApiQuery, DbName};
use crate::auth::Caller;
use crate::catalog::CatalogEntry;
use crate::error::{ApiBytes, ApiError, ApiJson, ApiResult};
use crate::state::AppState;
use crate::stats::DiskSizes;

/// Most databases in one page of the list.
const MAX_PAGE: usize = 1_000;

fn rfc3339(ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(at).to_string()
}

fn info(state: &AppState, name: DatabaseName, entry: &CatalogEntry) -> DatabaseInfo {
    let open = state.engine.cached_table_count(&name);
    DatabaseInfo {
        size_bytes: state.engine.size_on_disk(&name),
        created_at: rfc3339(entry.created_at_ms),
        table_count: open.unwrap_or(entry.table_count),
        max_size_bytes: state.settings(entry).max_size_bytes,
        open: open.is_some(),
        name,
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("task: {e}")))?
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Databases per page (1-1000, default 100).
    limit: Option<usize>,
    /// Continue after this name (the previous page's `next_cursor`).
    after: Option<String>,
    /// Only names starting with this.
    prefix: Option<String>,
    /// Only names containing this.
    search: Option<String>,
    /// Order by `name` (default), `size`, `tables` or `created`; any order but by name
    /// (ascending, without `search`) pages with `offset` instead of `after`.
    #[param(inline)]
    sort: Option<SortKey>,
    /// `asc` (default) or `desc`.
    #[param(inline)]
    order: Option<SortOrder>,
    /// Databases to skip (offset paging; any order).
    offset: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    Name,
    Size,
    Tables,
    Created,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    Desc,
}

impl ListParams {
    /// Whether the request lists in the catalog's own order (by name, ascending, no search),
    /// which pages without sorting anything, by cursor or by offset.
    fn in_name_order(&self) -> bool {
        self.search.is_none()
            && self.order != Some(SortOrder::Desc)
            && self.sort.is_none_or(|key| key == SortKey::Name)
    }
}

/// How old the per-database sizes behind the size order (and the gateway's total) may be
/// before one blocking task measures them again.
const DISK_SIZES_MAX_AGE: Duration = Duration::from_secs(2);

/// Stats the file and write-ahead log of every database (tens of milliseconds at 10,000).
fn measure_disk_sizes(state: &AppState) -> DiskSizes {
    DiskSizes::new(
        state
            .catalog
            .names()
            .into_iter()
            .map(|n| {
                let bytes = state.engine.size_on_disk(&n);
                (n, bytes)
            })
            .collect(),
    )
}

/// The bytes on disk of every database: a figure up to `DISK_SIZES_MAX_AGE` old is answered
/// as it is, an older one is answered at once while one blocking task measures again, and
/// the first request measures in place.
fn disk_sizes(state: &AppState) -> Arc<DiskSizes> {
    match state.stats.disk_sizes(DISK_SIZES_MAX_AGE) {
        Some((sizes, false)) => sizes,
        Some((sizes, true)) => {
            if state.stats.begin_disk_refresh() {
                let state = state.clone();
                tokio::task::spawn_blocking(move || {
                    state.stats.store_disk_sizes(measure_disk_sizes(&state))
                });
            }
            sizes
        }
        None => state.stats.store_disk_sizes(measure_disk_sizes(state)),
    }
}

/// Any order, any direction, names containing `search`: every matching entry is sorted (at
/// 10,000 databases a few milliseconds) and one page is cut out by offset. The sort keys are
/// read once, not per comparison: table counts of open databases from one snapshot of the
/// engine, sizes from the shared measurement (`disk_sizes`) except for open databases, the
/// only ones this gateway changes, which are statted now. `next_cursor` stays null: the
/// caller pages by `offset`.
fn sorted_listing(state: &AppState, params: &ListParams, limit: usize) -> DatabaseList {
    let prefix = params.prefix.as_deref().unwrap_or_default();
    let search = params
        .search
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut entries = state.catalog.matching(prefix, &search);
    match params.sort.unwrap_or(SortKey::Name) {
        SortKey::Name => {}
        SortKey::Created => entries.sort_by_key(|(_, e)| e.created_at_ms),
        SortKey::Tables => {
            let live = state.engine.open_table_counts();
            entries.sort_by_cached_key(|(n, e)| live.get(n).copied().unwrap_or(e.table_count));
        }
        SortKey::Size => {
            let measured = disk_sizes(state);
            let open = state.engine.open_table_counts();
            entries.sort_by_cached_key(|(n, _)| match measured.per_database.get(n) {
                Some(bytes) if !open.contains_key(n) => *bytes,
                _ => state.engine.size_on_disk(n),
            });
        }
    }
    if params.order == Some(SortOrder::Desc) {
        entries.reverse();
    }
    let total = entries.len() as u64;
    let databases = entries
        .into_iter()
        .skip(params.offset.unwrap_or(0))
        .take(limit)
        .map(|(n, e)| info(state, n, &e))
        .collect();
    DatabaseList {
        databases,
        total,
        next_cursor: None,
    }
}

/// List databases a page at a time: by name with a cursor (`after`) or `offset`, or sorted
/// by any column and searched by substring with `offset` paging. In name order a page that
/// is not the last has a `next_cursor`.
#[utoipa::path(get, path = "/admin/databases", tag = "admin", params(ListParams),
    responses((status = 200, body = DatabaseList), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn list_databases(
    _: Caller,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<DatabaseList>> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid_request(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    if let Some(after) = &params.after {
        DatabaseName::parse(after).map_err(|e| ApiError::invalid_request(format!("after: {e}")))?;
    }
    if params.after.is_some() && (params.offset.is_some() || !params.in_name_order()) {
        return Err(ApiError::invalid_request(
            "`after` pages by name only; with search, sort, order or offset, page by `offset`",
        ));
    }
    if !params.in_name_order() {
        return blocking(move || Ok(ApiJson(sorted_listing(&state, &params, limit)))).await;
    }
    // Name order is the catalog's own: page it in place, whether by cursor or by offset.
    blocking(move || {
        let prefix = params.prefix.unwrap_or_default();
        let (page, total) = state.catalog.page(
            &prefix,
            params.after.as_deref(),
            params.offset.unwrap_or(0),
            limit + 1,
        );
        let more = page.len() > limit;
        let databases: Vec<DatabaseInfo> = page
            .into_iter()
            .take(limit)
            .map(|(n, e)| info(&state, n, &e))
            .collect();
        let next_cursor = if more {
            databases.last().map(|d| d.name.to_string())
        } else {
            None
        };
        Ok(ApiJson(DatabaseList {
            databases,
            total: total as u64,
            next_cursor,
        }))
    })
    .await
}

/// Create a database. The optional body sets per-database limits.
#[utoipa::path(post, path = "/admin/databases/spawn/{name}", tag = "admin",
    params(("name" = String, Path, description = "1-64 of a-z 0-9 - _, starting with a letter or digit")),
    request_body(content = Option<SpawnRequest>, content_type = "application/json"),
    responses((status = 201, body = DatabaseInfo), (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn create_database(
    DbName(name): DbName,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> ApiResult<(StatusCode, ApiJson<DatabaseInfo>)> {
    let request: SpawnRequest = optional_json(&headers, &body)?;
    if request.limits.max_size_bytes == Some(0) {
        return Err(ApiError::invalid_request(
            "limits.max_size_bytes must be positive",
        ));
    }
    let engine = Arc::clone(&state.engine);
    let catalog = Arc::clone(&state.catalog);
    let created = name.clone();
    let entry = blocking(move || {
        catalog.create(
            &created,
            request.limits.max_size_bytes,
            || engine.create_database(&created).map_err(ApiError::from),
            || {
                if let Err(e) = engine.delete_database(&created) {
                    tracing::error!(database = %created, error = %e, "could not remove the files of a database that was not registered");
                }
            },
        )
    })
    .await?;
    tracing::info!(database = %name, "database created");
    Ok((StatusCode::CREATED, ApiJson(info(&state, name, &entry))))
}

/// Parses an optional JSON body: empty means the default.
fn optional_json<T: Default + serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with the header Content-Type: application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.to_string()))
}

/// Details of one database.
#[utoipa::path(get, path = "/admin/databases/{name}", tag = "admin",
    params(("name" = String, Path)),
    responses((status = 200, body = DatabaseInfo), (status = 404, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn get_database(
    DbName(name): DbName,
    State(state): State<AppState>,
) -> ApiResult<ApiJson<DatabaseInfo>> {
    let entry = state
        .catalog
        .get(&name)
        .ok_or_else(|| ApiError::database_not_found(name.as_str()))?;
    Ok(ApiJson(info(&state, name, &entry)))
}

async fn delete(state: AppState, name: DatabaseName) -> ApiResult<ApiJson<Deleted>> {
    let engine = Arc::clone(&state.engine);
    let catalog = Arc::clone(&state.catalog);
    let deleted = name.clone();
    blocking(move || {
        catalog.delete(&deleted, || {
            engine.delete_database(&deleted).map_err(ApiError::from)
        })
    })
    .await?;
    // Its libSQL streams go too (rolling back what they held); their batons were bound to
    // this database, not to its name, and would not reach a new database of the name anyway.
    state.streams.close_database(&name);
    tracing::info!(database = %name, "database deleted");
    Ok(ApiJson(Deleted { deleted: name }))
}

/// Delete a database and its files.
#[utoipa::path(post, path = "/admin/databases/prune/{name}", tag = "admin",
    params(("name" = String, Path)),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn delete_database(
    DbName(name): DbName,
    State(state): State<AppState>,
) -> ApiResult<ApiJson<Deleted>> {
    delete(state, name).await
}

/// Delete a database and its files (same as `POST /admin/databases/prune/{name}`).
#[utoipa::path(delete, path = "/admin/databases/{name}", tag = "admin",
    params(("name" = String, Path)),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn remove_database(
    DbName(name): DbName,
    State(state): State<AppState>,
) -> ApiResult<ApiJson<Deleted>> {
    delete(state, name).await
}

/// Gateway statistics: uptime, databases, bytes, requests, queries and their latency.
#[utoipa::path(get, path = "/admin/gateway/stats", tag = "admin",
    responses((status = 200, body = GatewayStats), (status = 401, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn gateway_stats(
    _: Caller,
    State(state): State<AppState>,
) -> ApiResult<ApiJson<GatewayStats>> {
    blocking(move || Ok(ApiJson(collect_stats(&state)))).await
}

/// Gathers the statistics (statting files: call on a blocking thread).
pub fn collect_stats(state: &AppState) -> GatewayStats {
    use std::sync::atomic::Ordering::Relaxed;
    let total_bytes = disk_sizes(state).total;
    let counters = state.engine.counters();
    GatewayStats {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_seconds: state.stats.uptime().as_secs(),
        database_count: state.catalog.len() as u64,
        total_bytes,
        open_databases: state.engine.open_count() as u64,
        requests_total: state.stats.requests.load(Relaxed),
        queries_total: state.stats.queries.load(Relaxed),
        query_errors_total: state.stats.query_errors.load(Relaxed),
        query_latency: state.stats.latency(),
        commits_total: counters.commits.load(Relaxed),
        committed_requests_total: counters.committed_requests.load(Relaxed),
        inline_reads_total: counters.inline_reads.load(Relaxed),
    }
}
