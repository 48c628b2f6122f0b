//! Data-lifecycle routes: backups (take, list, download, delete), restore, branch, and a
//! database's time to live and backup schedule (`PATCH`).

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dbforge_api::{
    BackupInfo, BackupList, DatabaseInfo, DatabaseName, ErrorEnvelope, RestoreRequest,
    UpdateDatabaseRequest,
};
use dbforge_core::Core;
use serde::Deserialize;

use super::DbName;
use crate::http::AuditTarget;
use crate::http::credential::Caller;
use crate::http::error::{ApiJson, ApiResult};

/// The `{name}` and `{id}` of a backup route (the name is checked by `DbName`, the id by
/// the core).
#[derive(Debug, Deserialize)]
pub struct BackupPath {
    #[allow(dead_code, reason = "validated by the DbName extractor")]
    name: String,
    id: String,
}

/// The `{name}` and `{new}` of the branch route.
#[derive(Debug, Deserialize)]
pub struct BranchPath {
    #[allow(dead_code, reason = "validated by the DbName extractor")]
    name: String,
    new: String,
}

/// Back a database up now: a consistent snapshot while it keeps taking reads and writes,
/// compressed, stored in the backup destination, then read back and checked. Answers the
/// backup once it is stored.
#[utoipa::path(post, path = "/admin/databases/{name}/backups", tag = "backups",
    params(("name" = String, Path)),
    responses((status = 201, body = BackupInfo), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 503, body = ErrorEnvelope), (status = 507, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn create_backup(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
) -> ApiResult<(StatusCode, Extension<AuditTarget>, ApiJson<BackupInfo>)> {
    let info = core.create_backup(&principal, &name).await?;
    Ok((
        StatusCode::CREATED,
        Extension(AuditTarget(info.id.clone())),
        ApiJson(info),
    ))
}

/// A database's backups, newest first (also of a database deleted since, for a caller that
/// may create its name).
#[utoipa::path(get, path = "/admin/databases/{name}/backups", tag = "backups",
    params(("name" = String, Path)),
    responses((status = 200, body = BackupList), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn list_backups(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
) -> ApiResult<ApiJson<BackupList>> {
    Ok(ApiJson(core.list_backups(&principal, &name).await?))
}

/// Download a backup as it is stored: the SQLite snapshot compressed with zstd
/// (`zstd -d` gives the database file). `X-Dbforge-Sha256` is the SHA-256 of that file.
#[utoipa::path(get, path = "/admin/databases/{name}/backups/{id}", tag = "backups",
    params(("name" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The zstd-compressed snapshot", content_type = "application/zstd"),
        (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 503, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn download_backup(
    Caller(principal): Caller,
    DbName(name): DbName,
    Path(path): Path<BackupPath>,
    State(core): State<Core>,
) -> ApiResult<Response> {
    let (info, stream) = core.backup_download(&principal, &name, &path.id).await?;
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zstd"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(info.stored_bytes));
    // The name and id are validated: nothing here needs quoting beyond the quotes.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-{}.sqlite.zst\"",
        info.database, info.id
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&info.sha256) {
        headers.insert("x-dbforge-sha256", value);
    }
    Ok(response)
}

/// Delete a backup from its destination.
#[utoipa::path(delete, path = "/admin/databases/{name}/backups/{id}", tag = "backups",
    params(("name" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = BackupInfo), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 503, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn delete_backup(
    Caller(principal): Caller,
    DbName(name): DbName,
    Path(path): Path<BackupPath>,
    State(core): State<Core>,
) -> ApiResult<(Extension<AuditTarget>, ApiJson<BackupInfo>)> {
    let info = core.delete_backup(&principal, &name, &path.id).await?;
    Ok((Extension(AuditTarget(info.id.clone())), ApiJson(info)))
}

/// Restore a backup: into a new database (`"as": "new-name"`, `201`), or over the database
/// itself (`"confirm": "{name}"`, `200`), swapped in one transaction: a request sees the old
/// content or the new, never a mix. The backup is read from its destination and checked
/// (checksum, `integrity_check`, row counts) before anything changes.
#[utoipa::path(post, path = "/admin/databases/{name}/restore", tag = "backups",
    params(("name" = String, Path)),
    request_body = RestoreRequest,
    responses((status = 200, body = DatabaseInfo), (status = 201, body = DatabaseInfo),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn restore(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
    ApiJson(request): ApiJson<RestoreRequest>,
) -> ApiResult<(StatusCode, Extension<AuditTarget>, ApiJson<DatabaseInfo>)> {
    let target = Extension(AuditTarget(request.backup.chars().take(64).collect()));
    let (info, created) = core.restore(&principal, &name, request).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, target, ApiJson(info)))
}

/// Branch a database: `{new}` becomes an independent copy of one consistent point in time of
/// `{name}` (changes to either never reach the other); its lineage is recorded.
#[utoipa::path(post, path = "/admin/databases/{name}/branch/{new}", tag = "backups",
    params(("name" = String, Path), ("new" = String, Path, description = "The branch's name")),
    responses((status = 201, body = DatabaseInfo), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope),
        (status = 507, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn branch(
    Caller(principal): Caller,
    DbName(name): DbName,
    Path(path): Path<BranchPath>,
    State(core): State<Core>,
) -> ApiResult<(StatusCode, Extension<AuditTarget>, ApiJson<DatabaseInfo>)> {
    let new = DatabaseName::parse(&path.new)?;
    let info = core.branch(&principal, &name, new).await?;
    Ok((
        StatusCode::CREATED,
        Extension(AuditTarget(info.name.to_string())),
        ApiJson(info),
    ))
}

/// Change a database's time to live (`"ttl": "2h"` from now, `null` never expires) and its
/// backup schedule (`backup_every`, `backup_keep`; `null` takes the server's default). A
/// field left out stays as it is.
#[utoipa::path(patch, path = "/admin/databases/{name}", tag = "admin",
    params(("name" = String, Path)),
    request_body = UpdateDatabaseRequest,
    responses((status = 200, body = DatabaseInfo), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn update_database(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
    ApiJson(update): ApiJson<UpdateDatabaseRequest>,
) -> ApiResult<ApiJson<DatabaseInfo>> {
    Ok(ApiJson(
        core.update_database(&principal, &name, update).await?,
    ))
}
