//! Scoped API keys: create (the secret is answered once), list, revoke, rotate. Admins only.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use dbforge_api::{CreateKeyRequest, CreatedKey, ErrorEnvelope, KeyList, Me};
use dbforge_core::Core;

use crate::http::AuditTarget;
use crate::http::credential::{AdminCaller, Caller};
use crate::http::error::{ApiJson, ApiResult};

/// Create a key scoped to databases and a role. The secret is in this answer only.
#[utoipa::path(post, path = "/admin/keys", tag = "keys",
    request_body = CreateKeyRequest,
    responses((status = 201, body = CreatedKey), (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 415, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn create_key(
    AdminCaller(principal): AdminCaller,
    State(core): State<Core>,
    ApiJson(request): ApiJson<CreateKeyRequest>,
) -> ApiResult<(StatusCode, Extension<AuditTarget>, ApiJson<CreatedKey>)> {
    let created = core.create_key(&principal, request).await?;
    let target = Extension(AuditTarget(created.key.id.clone()));
    Ok((StatusCode::CREATED, target, ApiJson(created)))
}

/// Who the caller is and what it may do: the kind of credential, its role and reach. Any
/// credential may ask about itself.
#[utoipa::path(get, path = "/api/me", tag = "keys",
    responses((status = 200, body = Me), (status = 401, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn me(Caller(principal): Caller, State(core): State<Core>) -> ApiJson<Me> {
    ApiJson(core.me(&principal))
}

/// Every key: name, prefix, role, scope, created, expires, last used (never the secret).
#[utoipa::path(get, path = "/admin/keys", tag = "keys",
    responses((status = 200, body = KeyList), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn list_keys(
    AdminCaller(principal): AdminCaller,
    State(core): State<Core>,
) -> ApiResult<ApiJson<KeyList>> {
    Ok(ApiJson(core.list_keys(&principal)?))
}

/// Revoke a key at once: its next request is refused.
#[utoipa::path(delete, path = "/admin/keys/{id}", tag = "keys",
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn revoke_key(
    AdminCaller(principal): AdminCaller,
    State(core): State<Core>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    core.revoke_key(&principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a key a new secret with the same grants; the old secret stops working.
#[utoipa::path(post, path = "/admin/keys/{id}/rotate", tag = "keys",
    params(("id" = String, Path)),
    responses((status = 200, body = CreatedKey), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn rotate_key(
    AdminCaller(principal): AdminCaller,
    State(core): State<Core>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<CreatedKey>> {
    Ok(ApiJson(core.rotate_key(&principal, id).await?))
}
