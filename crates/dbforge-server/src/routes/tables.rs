//! Tables and rows as resources: list and inspect schemas, create a table from a column list,
//! insert rows from JSON objects, read rows with paging, ordering and equality filters.
//! Identifiers are quoted and values bound; no user string is spliced into SQL.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use dbforge_api::{
    CreateTableRequest, ErrorCode, ErrorEnvelope, InsertRowsResponse, Params, QueryOptions,
    RowsPage, TableInfo, TableList, Value,
};
use dbforge_engine::schema::{create_table_sql, describe_tables, quote_identifier};
use dbforge_engine::{Database, Deadline, Statement};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ApiQuery, DbHandle, RequestDeadline};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::routes::encode::{JsonAnswer, encoding};
use crate::state::AppState;

/// The `{name}` and `{table}` of a table route (the name is checked by `DbHandle`).
#[derive(Debug, Deserialize)]
pub struct TablePath {
    #[allow(dead_code, reason = "validated by the DbHandle extractor")]
    name: String,
    table: String,
}

async fn describe(
    db: &Arc<Database>,
    only: Option<String>,
    deadline: &Deadline,
) -> ApiResult<Vec<TableInfo>> {
    Ok(db
        .read(deadline, move |conn| describe_tables(conn, only.as_deref()))
        .await?)
}

async fn table(db: &Arc<Database>, name: &str, deadline: &Deadline) -> ApiResult<TableInfo> {
    describe(db, Some(name.to_owned()), deadline)
        .await?
        .pop()
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::TableNotFound,
                format!("no table or view named {name:?}"),
            )
        })
}

/// Tables and views with their columns, indexes and foreign keys.
#[utoipa::path(get, path = "/api/db/{name}/tables", tag = "tables",
    params(("name" = String, Path)),
    responses((status = 200, body = TableList), (status = 404, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn list_tables(
    DbHandle(db): DbHandle,
    RequestDeadline(deadline): RequestDeadline,
) -> ApiResult<ApiJson<TableList>> {
    Ok(ApiJson(TableList {
        tables: describe(&db, None, &deadline).await?,
    }))
}

/// One table's or view's schema.
#[utoipa::path(get, path = "/api/db/{name}/tables/{table}", tag = "tables",
    params(("name" = String, Path), ("table" = String, Path)),
    responses((status = 200, body = TableInfo), (status = 404, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn get_table(
    DbHandle(db): DbHandle,
    RequestDeadline(deadline): RequestDeadline,
    Path(path): Path<TablePath>,
) -> ApiResult<ApiJson<TableInfo>> {
    Ok(ApiJson(table(&db, &path.table, &deadline).await?))
}

/// Create a table from a column list.
#[utoipa::path(post, path = "/api/db/{name}/tables", tag = "tables",
    params(("name" = String, Path)),
    request_body = CreateTableRequest,
    responses((status = 201, body = TableInfo), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn create_table(
    State(state): State<AppState>,
    DbHandle(db): DbHandle,
    RequestDeadline(deadline): RequestDeadline,
    ApiJson(request): ApiJson<CreateTableRequest>,
) -> ApiResult<(StatusCode, ApiJson<TableInfo>)> {
    let sql = create_table_sql(&request)?;
    let result = db.execute(vec![Statement::new(sql)], &deadline).await;
    state.note_schema_change(&db).await;
    result?;
    Ok((
        StatusCode::CREATED,
        ApiJson(table(&db, &request.name, &deadline).await?),
    ))
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
        (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn insert_rows(
    DbHandle(db): DbHandle,
    RequestDeadline(deadline): RequestDeadline,
    Path(path): Path<TablePath>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<(StatusCode, ApiJson<InsertRowsResponse>)> {
    let table_name = path.table;
    let rows = rows_of(body)?;
    if rows.is_empty() {
        return Err(ApiError::invalid_request("`rows` is empty"));
    }
    let info = table(&db, &table_name, &deadline).await?;
    if info.kind != "table" {
        return Err(ApiError::invalid_request(format!(
            "{table_name:?} is a {}, not a table",
            info.kind
        )));
    }
    let quoted_table = quote_identifier(&table_name)?;
    let mut statements = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let mut columns = Vec::with_capacity(row.len());
        let mut values = Vec::with_capacity(row.len());
        for (column, value) in row {
            if !info
                .columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(&column))
            {
                return Err(ApiError::new(
                    ErrorCode::ColumnNotFound,
                    format!(
                        "row {}: table {table_name:?} has no column {column:?}",
                        i + 1
                    ),
                ));
            }
            let value: Value = serde_json::from_value(value).map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidJson,
                    format!("row {}, column {column:?}: {e}", i + 1),
                )
            })?;
            columns.push(quote_identifier(&column)?);
            values.push(value);
        }
        let sql = if columns.is_empty() {
            format!("INSERT INTO {quoted_table} DEFAULT VALUES")
        } else {
            let marks = vec!["?"; columns.len()].join(", ");
            format!(
                "INSERT INTO {quoted_table} ({}) VALUES ({marks})",
                columns.join(", ")
            )
        };
        statements.push(Statement::with_params(sql, Params::Positional(values)));
    }
    let outputs = db.execute(statements, &deadline).await.map_err(|e| {
        let row = e.statement.map(|i| i + 1);
        let mut err = ApiError::from(dbforge_engine::EngineError {
            statement: None,
            ..e
        });
        if let Some(row) = row {
            err.message = format!("row {row}: {}", err.message);
        }
        err
    })?;
    let rowids = outputs
        .iter()
        .map(|o| {
            if info.without_rowid {
                None
            } else {
                o.last_insert_rowid
            }
        })
        .collect();
    Ok((
        StatusCode::CREATED,
        ApiJson(InsertRowsResponse {
            inserted: outputs.len() as u64,
            rowids,
        }),
    ))
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

struct RowsQuery {
    limit: u64,
    offset: u64,
    after: Option<i64>,
    order_by: Option<String>,
    descending: bool,
    with_rowid: bool,
    filters: Vec<(String, String)>,
}

fn parse_rows_query(pairs: Vec<(String, String)>, max_limit: u64) -> ApiResult<RowsQuery> {
    let number = |key: &str, v: &str| {
        v.parse::<u64>().map_err(|_| {
            ApiError::invalid_request(format!("{key} must be a non-negative integer, not {v:?}"))
        })
    };
    let mut q = RowsQuery {
        limit: 100,
        offset: 0,
        after: None,
        order_by: None,
        descending: false,
        with_rowid: false,
        filters: vec![],
    };
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
    if q.limit == 0 || q.limit > max_limit {
        return Err(ApiError::invalid_request(format!(
            "limit must be between 1 and {max_limit}"
        )));
    }
    if q.after.is_some() && (q.offset > 0 || q.order_by.is_some()) {
        return Err(ApiError::invalid_request(
            "after (keyset paging by rowid) cannot be combined with offset or order_by",
        ));
    }
    Ok(q)
}

/// Read rows with limit/offset or keyset (`after`) paging, ordering and equality filters.
#[utoipa::path(get, path = "/api/db/{name}/tables/{table}/rows", tag = "tables",
    params(("name" = String, Path), ("table" = String, Path), RowsParams),
    responses((status = 200, body = RowsPage), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn read_rows(
    State(state): State<AppState>,
    DbHandle(db): DbHandle,
    RequestDeadline(deadline): RequestDeadline,
    Path(path): Path<TablePath>,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> ApiResult<JsonAnswer> {
    let table_name = path.table;
    let max_limit = state.engine.config().limits.max_result_rows as u64;
    let q = parse_rows_query(pairs, max_limit)?;
    let info = table(&db, &table_name, &deadline).await?;
    let has_rowid = info.kind == "table" && !info.without_rowid;
    let column = |name: &str| -> ApiResult<String> {
        info.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| quote_identifier(&c.name))
            .transpose()?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ColumnNotFound,
                    format!("table {table_name:?} has no column {name:?}"),
                )
            })
    };
    if (q.after.is_some() || q.with_rowid) && !has_rowid {
        return Err(ApiError::invalid_request(format!(
            "{table_name:?} has no rowid: use offset paging"
        )));
    }
    let mut sql = String::from("SELECT ");
    // The rowid rides along (first column) whenever keyset paging may need it.
    let keyset = has_rowid && q.order_by.is_none() && q.offset == 0;
    if keyset || q.with_rowid {
        sql.push_str("rowid AS \"_rowid_\", ");
    }
    sql.push_str("* FROM ");
    sql.push_str(&quote_identifier(&table_name)?);
    let mut params = Vec::new();
    let mut conditions = Vec::new();
    for (name, value) in &q.filters {
        conditions.push(format!("{} = ?", column(name)?));
        params.push(Value::Text(value.clone()));
    }
    if let Some(after) = q.after {
        conditions.push(
            if q.descending {
                "rowid < ?"
            } else {
                "rowid > ?"
            }
            .to_owned(),
        );
        params.push(Value::Integer(after));
    }
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    let direction = if q.descending { "DESC" } else { "ASC" };
    match &q.order_by {
        Some(name) => sql.push_str(&format!(" ORDER BY {} {direction}", column(name)?)),
        None if has_rowid => sql.push_str(&format!(" ORDER BY rowid {direction}")),
        None => {}
    }
    sql.push_str(" LIMIT ? OFFSET ?");
    params.push(Value::Integer(
        i64::try_from(q.limit + 1).unwrap_or(i64::MAX),
    ));
    params.push(Value::Integer(i64::try_from(q.offset).unwrap_or(i64::MAX)));
    let mut outputs = db
        .execute(
            vec![
                Statement::with_params(sql, Params::Positional(params))
                    .encoded(encoding(QueryOptions::default())),
            ],
            &deadline,
        )
        .await?;
    let mut output = outputs.pop().unwrap_or_default();
    let more = output.rows.len() as u64 > q.limit;
    output
        .rows
        .truncate(usize::try_from(q.limit).unwrap_or(usize::MAX));
    let last_rowid = match output.rows.last().and_then(|r| r.first()) {
        Some(Value::Integer(id)) if keyset || q.with_rowid => Some(*id),
        _ => None,
    };
    if keyset && !q.with_rowid {
        output.columns.remove(0);
        output.column_types.remove(0);
        for row in &mut output.rows {
            row.remove(0);
        }
    }
    let next_after = if more && keyset { last_rowid } else { None };
    let next_offset = more.then_some(q.offset + q.limit);
    /// The fields of a `RowsPage` after its rows.
    #[derive(serde::Serialize)]
    struct Paging {
        limit: u64,
        offset: u64,
        next_after: Option<i64>,
        next_offset: Option<u64>,
    }
    let paging = Paging {
        limit: q.limit,
        offset: q.offset,
        next_after,
        next_offset,
    };
    Ok(JsonAnswer::page(output, &paging))
}
