//! Admin routes: create, list, inspect and delete databases; gateway statistics.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use dbforge_api::{
    DatabaseInfo, DatabaseList, Deleted, ErrorCode, ErrorEnvelope, GatewayStats, SortKey,
    SortOrder, SpawnRequest,
};
use dbforge_core::{Core, ListQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use super::DbName;
use crate::http::credential::{AdminCaller, Caller};
use crate::http::error::{ApiBytes, ApiError, ApiJson, ApiQuery, ApiResult};

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

impl From<ListParams> for ListQuery {
    fn from(params: ListParams) -> Self {
        Self {
            limit: params.limit.unwrap_or(100),
            after: params.after,
            prefix: params.prefix,
            search: params.search,
            sort: params.sort.unwrap_or_default(),
            order: params.order.unwrap_or_default(),
            offset: params.offset,
        }
    }
}

/// List databases a page at a time: by name with a cursor (`after`) or `offset`, or sorted
/// by any column and searched by substring with `offset` paging. In name order a page that
/// is not the last has a `next_cursor`.
#[utoipa::path(get, path = "/admin/databases", tag = "admin", params(ListParams),
    responses((status = 200, body = DatabaseList), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn list_databases(
    Caller(principal): Caller,
    State(core): State<Core>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<DatabaseList>> {
    Ok(ApiJson(
        core.list_databases(&principal, params.into()).await?,
    ))
}

/// Create a database. The optional body sets per-database limits.
#[utoipa::path(post, path = "/admin/databases/spawn/{name}", tag = "admin",
    params(("name" = String, Path, description = "1-64 of a-z 0-9 - _, starting with a letter or digit")),
    request_body(content = Option<SpawnRequest>, content_type = "application/json"),
    responses((status = 201, body = DatabaseInfo), (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn create_database(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> ApiResult<(StatusCode, ApiJson<DatabaseInfo>)> {
    let request: SpawnRequest = optional_json(&headers, &body)?;
    let info = core.create_database(&principal, name, request).await?;
    Ok((StatusCode::CREATED, ApiJson(info)))
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
    responses((status = 200, body = DatabaseInfo), (status = 404, body = ErrorEnvelope),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn get_database(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
) -> ApiResult<ApiJson<DatabaseInfo>> {
    Ok(ApiJson(core.describe_database(&principal, &name)?))
}

async fn delete(
    core: Core,
    principal: dbforge_core::Principal,
    name: dbforge_api::DatabaseName,
) -> ApiResult<ApiJson<Deleted>> {
    core.delete_database(&principal, &name).await?;
    Ok(ApiJson(Deleted { deleted: name }))
}

/// Delete a database and its files.
#[utoipa::path(post, path = "/admin/databases/prune/{name}", tag = "admin",
    params(("name" = String, Path)),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorEnvelope),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn delete_database(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
) -> ApiResult<ApiJson<Deleted>> {
    delete(core, principal, name).await
}

/// Delete a database and its files (same as `POST /admin/databases/prune/{name}`).
#[utoipa::path(delete, path = "/admin/databases/{name}", tag = "admin",
    params(("name" = String, Path)),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorEnvelope),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn remove_database(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
) -> ApiResult<ApiJson<Deleted>> {
    delete(core, principal, name).await
}

/// Gateway statistics: uptime, databases, bytes, requests, queries and their latency.
#[utoipa::path(get, path = "/admin/gateway/stats", tag = "admin",
    responses((status = 200, body = GatewayStats), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn gateway_stats(
    _: AdminCaller,
    State(core): State<Core>,
) -> ApiResult<ApiJson<GatewayStats>> {
    Ok(ApiJson(core.gateway_stats().await?))
}
