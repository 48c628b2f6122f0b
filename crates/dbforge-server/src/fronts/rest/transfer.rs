//! Data in and out: `GET /api/db/{name}/export` streams a SQL dump, CSV, JSON, NDJSON or the
//! SQLite file itself; `POST /admin/databases/{name}/import` takes the same formats back,
//! the upload going to disk as it arrives.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dbforge_api::{ErrorCode, ErrorEnvelope, ImportResult};
use dbforge_core::{Core, ImportInto, ImportKind};
use dbforge_engine::{ExportFormat, ExportRequest, ExportSource, ImportFormat};
use futures::StreamExt;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use super::{CallerDb, DbName};
use crate::http::credential::Caller;
use crate::http::error::{ApiError, ApiJson, ApiQuery, ApiResult};

/// The import route: its body is an upload (see `http::guard`).
pub const IMPORT_ROUTE: &str = "/admin/databases/{name}/import";

/// What an export writes.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A SQL dump (`sqlite3 .dump` style): loads into an identical database.
    #[default]
    Sql,
    /// A header row, then one line per row (RFC 4180).
    Csv,
    /// One JSON array of row objects.
    Json,
    /// One row object per line.
    Ndjson,
    /// The SQLite file itself: a consistent snapshot.
    Sqlite,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `sql` (default), `csv`, `json`, `ndjson` or `sqlite`.
    #[param(inline)]
    format: Option<Format>,
    /// One table (a SQL dump of it, or its rows).
    table: Option<String>,
    /// A read-only query whose rows to export (`csv`, `json`, `ndjson`).
    sql: Option<String>,
    /// How CSV writes NULL (default: an empty field; empty text is then written `""`).
    null: Option<String>,
}

/// A file name made of `parts` with anything but letters, digits, `-` and `_` replaced.
fn file_name(parts: &[&str], extension: &str) -> String {
    let stem: String = parts
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    format!("{stem}.{extension}")
}

/// Export a database, streamed: nothing is held whole, so there is no row limit. The rows
/// are read in one read transaction (a consistent point in time); a failure after the first
/// byte cuts the answer short (the chunked body never ends cleanly), so a partial export
/// cannot pass for a complete one.
#[utoipa::path(get, path = "/api/db/{name}/export", tag = "data",
    params(("name" = String, Path), ExportParams),
    responses((status = 200, description = "The export, as an attachment",
            content(("application/sql"), ("text/csv"), ("application/json"), ("application/x-ndjson"), ("application/vnd.sqlite3"))),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 503, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn export(
    State(core): State<Core>,
    CallerDb(db): CallerDb,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let format = params.format.unwrap_or_default();
    if params.null.is_some() && !matches!(format, Format::Csv) {
        return Err(ApiError::invalid_request("`null` is for CSV only"));
    }
    let name = db.name().to_string();
    let source = match (params.table, params.sql) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_request("give `table` or `sql`, not both"));
        }
        (Some(table), None) => ExportSource::Table(table),
        (None, Some(sql)) => ExportSource::Query(sql),
        (None, None) => ExportSource::Database,
    };
    let label: Vec<String> = match &source {
        ExportSource::Table(table) => vec![name.clone(), table.clone()],
        _ => vec![name.clone()],
    };
    let label: Vec<&str> = label.iter().map(String::as_str).collect();
    let (engine_format, content_type, extension) = match format {
        Format::Sql => (ExportFormat::Sql, "application/sql; charset=utf-8", "sql"),
        Format::Csv => (ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        Format::Json => (ExportFormat::Json, "application/json", "json"),
        Format::Ndjson => (ExportFormat::Ndjson, "application/x-ndjson", "ndjson"),
        Format::Sqlite => {
            if source != ExportSource::Database {
                return Err(ApiError::invalid_request(
                    "a SQLite export is the whole database: leave out `table` and `sql`",
                ));
            }
            let filename = file_name(&label, "sqlite");
            let (bytes, body) = core.export_snapshot(db).await?;
            let mut response = Body::from_stream(body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
            attach(headers, "application/vnd.sqlite3", &filename);
            return Ok(response);
        }
    };
    let request = ExportRequest {
        format: engine_format,
        source,
        csv_null: params.null.unwrap_or_default(),
    };
    let filename = file_name(&label, extension);
    let body = core.export(db, request).await?;
    let mut response = Body::from_stream(body).into_response();
    attach(response.headers_mut(), content_type, &filename);
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// `sqlite`, `sql`, `csv`, `json` or `ndjson`; else taken from the Content-Type
    /// (`application/vnd.sqlite3`, `application/sql`, `text/csv`, `application/json`,
    /// `application/x-ndjson`).
    #[param(inline)]
    format: Option<Format>,
    /// The table rows go to (CSV, JSON, NDJSON); created when missing.
    table: Option<String>,
    /// What NULL looks like in CSV (default: an empty field).
    null: Option<String>,
}

/// The format a Content-Type names.
fn format_of(headers: &HeaderMap) -> Option<Format> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    Some(match essence.as_str() {
        "application/vnd.sqlite3" | "application/x-sqlite3" => Format::Sqlite,
        "application/sql" => Format::Sql,
        "text/csv" => Format::Csv,
        "application/json" => Format::Json,
        "application/x-ndjson" | "application/jsonl" => Format::Ndjson,
        _ => return None,
    })
}

/// Import into a database, all or nothing: a SQLite file becomes a new database (checked
/// first: header, `integrity_check`, quota); a SQL dump (as `sqlite3 .dump` writes it), CSV
/// (header row), a JSON array or NDJSON of row objects load into a new or existing database
/// in one transaction. A failure names the line or row and the reason, and leaves nothing
/// behind (a database the import created is removed).
#[utoipa::path(post, path = "/admin/databases/{name}/import", tag = "data",
    params(("name" = String, Path), ImportParams),
    request_body(description = "The file to import", content(("application/octet-stream"))),
    responses((status = 200, body = ImportResult), (status = 201, body = ImportResult),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope),
        (status = 415, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope),
        (status = 507, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn import(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
    ApiQuery(params): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, ApiJson<ImportResult>)> {
    let format = params.format.or_else(|| format_of(&headers)).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "say what the file is: `format=` (sqlite, sql, csv, json, ndjson) or its Content-Type",
        )
    })?;
    let kind = match format {
        Format::Sqlite => ImportKind::Sqlite,
        Format::Sql => ImportKind::Load(ImportFormat::Sql),
        Format::Csv => ImportKind::Load(ImportFormat::Csv),
        Format::Json => ImportKind::Load(ImportFormat::Json),
        Format::Ndjson => ImportKind::Load(ImportFormat::Ndjson),
    };
    let into = ImportInto {
        kind,
        table: params.table,
        csv_null: params.null.unwrap_or_default(),
    };
    core.check_import(&principal, &name, &into)?;
    let max = core.max_import_bytes();
    // A declared size over the limit is refused before the body is read.
    if let Some(declared) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && declared > max
    {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the upload is {declared} bytes, over {max} bytes (--max-import-bytes)"),
        ));
    }
    let upload = core.upload()?;
    let mut file = tokio::fs::File::create_new(upload.path())
        .await
        .map_err(|e| ApiError::internal(format!("creating the upload file: {e}")))?;
    let mut stream = body.into_data_stream();
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            crate::http::error::body_failure(&e).unwrap_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!("the upload did not arrive whole: {e}"),
                )
            })
        })?;
        bytes += chunk.len() as u64;
        if bytes > max {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the upload is larger than {max} bytes (--max-import-bytes)"),
            ));
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| ApiError::internal(format!("writing the upload: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| ApiError::internal(format!("writing the upload: {e}")))?;
    drop(file);
    if bytes == 0 {
        return Err(ApiError::invalid_request("the upload is empty"));
    }
    let result = core.import(&principal, &name, into, upload, bytes).await?;
    let status = if result.created_database {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, ApiJson(result)))
}

/// Whether `route` is the import route, whose body is an upload.
pub fn is_upload_route(route: &str) -> bool {
    route == IMPORT_ROUTE
}

fn attach(headers: &mut axum::http::HeaderMap, content_type: &'static str, filename: &str) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_name(&["shop", "a\"b/c d"], "csv"), "shop-a_b_c_d.csv");
    }
}
