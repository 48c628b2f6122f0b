//! Tables and rows as resources: list and inspect schemas, create a table from a column list,
//! insert rows from JSON objects, read rows with paging, ordering and equality filters.
//! Identifiers are quoted and values bound; no user string is spliced into SQL.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use dbforge_api::{
    CreateTableRequest, ErrorCode, ErrorEnvelope, InsertRowsResponse, QueryOptions, RowsPage,
    TableInfo, TableList, Value,
};
use dbforge_core::Core;
use dbforge_engine::{NewRow, RowsQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use super::CallerDb;
use super::encode::{JsonAnswer, encoding};
use crate::http::Writes;
use crate::http::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::http::guard::RequestDeadline;

/// The `{name}` and `{table}` of a table route (the name is checked by `CallerDb`).
#[derive(Debug, Deserialize)]
pub struct TablePath {
    #[allow(dead_code, reason = "validated by the CallerDb extractor")]
    name: String,
    table: String,
}

/// Tables and views with their columns, indexes and foreign keys.
#[utoipa::path(get, path = "/api/db/{name}/tables", tag = "tables",
    params(("name" = String, Path)),
    responses((status = 200, body = TableList), (status = 404, body = ErrorEnvelope),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn list_tables(
    State(core): State<Core>,
    CallerDb(db): CallerDb,
    RequestDeadline(deadline): RequestDeadline,
) -> ApiResult<ApiJson<TableList>> {
    Ok(ApiJson(TableList {
        tables: core.describe_tables(&db, None, &deadline).await?,
    }))
}

/// One table's or view's schema.
#[utoipa::path(get, path = "/api/db/{name}/tables/{table}", tag = "tables",
    params(("name" = String, Path), ("table" = String, Path)),
    responses((status = 200, body = TableInfo), (status = 404, body = ErrorEnvelope),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn get_table(
    State(core): State<Core>,
    CallerDb(db): CallerDb,
    RequestDeadline(deadline): RequestDeadline,
    Path(path): Path<TablePath>,
) -> ApiResult<ApiJson<TableInfo>> {
    Ok(ApiJson(
        core.describe_table(&db, &path.table, &deadline).await?,
    ))
}

/// Create a table from a column list.
#[utoipa::path(post, path = "/api/db/{name}/tables", tag = "tables",
    params(("name" = String, Path)),
    request_body = CreateTableRequest,
    responses((status = 201, body = TableInfo), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn create_table(
    State(core): State<Core>,
    CallerDb(db): CallerDb,
    RequestDeadline(deadline): RequestDeadline,
    ApiJson(request): ApiJson<CreateTableRequest>,
) -> ApiResult<(StatusCode, Extension<Writes>, ApiJson<TableInfo>)> {
    let created = core.create_table(&db, &request, &deadline).await?;
    Ok((StatusCode::CREATED, wrote("CREATE"), ApiJson(created)))
}

/// The audit log's note that the request wrote, by the kind of its statement.
fn wrote(kind: &str) -> Extension<Writes> {
    let mut writes = Writes::default();
    writes.note(kind);
    Extension(writes)
}

fn rows_of(body: serde_json::Value) -> ApiResult<Vec<serde_json::Map<String, serde_json::Value>>> {
    let not_object = || {
        ApiError::new(
            ErrorCode::InvalidJson,
            "the body is one row (an object of column: value) or {\"rows\": [objects]}",
        )
    };
    let serde_json::Value::Object(mut object) = body else {
        return Err(not_object());
    };
    if object.len() == 1 && object.get("rows").is_some_and(serde_json::Value::is_array) {
        let Some(serde_json::Value::Array(rows)) = object.remove("rows") else {
            return Err(not_object());
        };
        return rows
            .into_iter()
            .map(|r| match r {
                serde_json::Value::Object(o) => Ok(o),
                _ => Err(not_object()),
            })
            .collect();
    }
    Ok(vec![object])
}

/// Insert one row (an object) or many (`{"rows": [...]}`) in one transaction.
#[utoipa::path(post, path = "/api/db/{name}/tables/{table}/rows", tag = "tables",
    params(("name" = String, Path), ("table" = String, Path)),
    request_body(content = Object, description = "a row object, or {\"rows\": [row objects]}"),
    responses((status = 201, body = InsertRowsResponse), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn insert_rows(
    State(core): State<Core>,
    CallerDb(db): CallerDb,
    RequestDeadline(deadline): RequestDeadline,
    Path(path): Path<TablePath>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<(StatusCode, Extension<Writes>, ApiJson<InsertRowsResponse>)> {
    // Each value is read here; the engine reports one that is not a value only after it
    // found the table and the column.
    let rows: Vec<NewRow> = rows_of(body)?
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|(column, value)| {
                    let value = serde_json::from_value::<Value>(value).map_err(|e| e.to_string());
                    (column, value)
                })
                .collect()
        })
        .collect();
    let inserted = core.insert_rows(&db, &path.table, rows, &deadline).await?;
    Ok((StatusCode::CREATED, wrote("INSERT"), ApiJson(inserted)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(
    dead_code,
    reason = "documents the query string, which is parsed by hand"
)]
pub struct RowsParams {
    /// Rows per page (default 100; at most the server's result row limit).
    limit: Option<u64>,
    /// Rows to skip (offset paging).
    offset: Option<u64>,
    /// Keyset paging: rows after this rowid in the chosen order (the previous page's `next_after`).
    after: Option<i64>,
    /// Column to order by (default: rowid).
    order_by: Option<String>,
    /// `asc` (default) or `desc`.
    order: Option<String>,
    /// Include the rowid as a `_rowid_` column.
    rowid: Option<bool>,
    /// Equality filters: `where.{column}={value}`, e.g. `where.status=active` (repeatable).
    #[param(rename = "where.{column}")]
    filters: Option<String>,
}

fn parse_rows_query(pairs: Vec<(String, String)>) -> ApiResult<RowsQuery> {
    let number = |key: &str, v: &str| {
        v.parse::<u64>().map_err(|_| {
            ApiError::invalid_request(format!("{key} must be a non-negative integer, not {v:?}"))
        })
    };
    let mut q = RowsQuery::default();
    for (key, value) in pairs {
        match key.as_str() {
            "limit" => q.limit = number("limit", &value)?,
            "offset" => q.offset = number("offset", &value)?,
            "after" => {
                q.after = Some(value.parse().map_err(|_| {
                    ApiError::invalid_request(format!(
                        "after must be a rowid (integer), not {value:?}"
                    ))
                })?);
            }
            "order_by" => q.order_by = Some(value),
            "order" => {
                q.descending = match value.to_ascii_lowercase().as_str() {
                    "asc" => false,
                    "desc" => true,
                    _ => return Err(ApiError::invalid_request("order must be asc or desc")),
                }
            }
            "rowid" => q.with_rowid = matches!(value.as_str(), "true" | "1" | ""),
            _ => match key.strip_prefix("where.") {
                Some(column) if !column.is_empty() => q.filters.push((column.to_owned(), value)),
                _ => {
                    return Err(ApiError::invalid_request(format!(
                        "unknown query parameter {key:?}; use limit, offset, after, order_by, order, rowid or where.<column>"
                    )));
                }
            },
        }
    }
    Ok(q)
}

/// Read rows with limit/offset or keyset (`after`) paging, ordering and equality filters.
#[utoipa::path(get, path = "/api/db/{name}/tables/{table}/rows", tag = "tables",
    params(("name" = String, Path), ("table" = String, Path), RowsParams),
    responses((status = 200, body = RowsPage), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn read_rows(
    State(core): State<Core>,
    CallerDb(db): CallerDb,
    RequestDeadline(deadline): RequestDeadline,
    Path(path): Path<TablePath>,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> ApiResult<JsonAnswer> {
    let q = parse_rows_query(pairs)?;
    let page = core
        .read_rows(
            &db,
            &path.table,
            &q,
            encoding(QueryOptions::default()),
            &deadline,
        )
        .await?;
    /// The fields of a `RowsPage` after its rows.
    #[derive(serde::Serialize)]
    struct Paging {
        limit: u64,
        offset: u64,
        next_after: Option<i64>,
        next_offset: Option<u64>,
    }
    let paging = Paging {
        limit: page.limit,
        offset: page.offset,
        next_after: page.next_after,
        next_offset: page.next_offset,
    };
    Ok(JsonAnswer::page(page.output, &paging))
}
