//! `GET /admin/audit`: the audit log, newest first, filtered and paged by cursor. Admins only.

use axum::extract::State;
use dbforge_api::{AuditPage, CredentialKind, ErrorEnvelope};
use dbforge_core::{AuditQuery, Core, MAX_AUDIT_PAGE, parse_rfc3339_ms};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::credential::AdminCaller;
use crate::http::error::{ApiError, ApiJson, ApiQuery, ApiResult};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Only requests made with this key or token id (`key_...`, `tok_...`).
    key: Option<String>,
    /// Only requests made with this kind of credential: `bootstrap_admin`, `key` or `token`.
    credential: Option<CredentialKind>,
    /// Only actions about this key (created, revoked or rotated).
    target: Option<String>,
    /// Only requests on this database.
    database: Option<String>,
    /// Only this action: method and route, e.g. `POST /admin/keys`.
    action: Option<String>,
    /// `ok` (answers under 400) or `error`.
    outcome: Option<String>,
    /// From this time on (RFC 3339).
    since: Option<String>,
    /// Before this time (RFC 3339).
    until: Option<String>,
    /// The `next_cursor` of the previous page: entries older than it.
    before: Option<i64>,
    /// Entries per page (1-1000, default 100).
    limit: Option<usize>,
}

/// The audit log: every admin action and every request that wrote (who, what, when, from
/// where, outcome), newest first. Never SQL, parameters or secrets.
#[utoipa::path(get, path = "/admin/audit", tag = "keys", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn list_audit(
    AdminCaller(principal): AdminCaller,
    State(core): State<Core>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<ApiJson<AuditPage>> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
        return Err(ApiError::invalid_request(format!(
            "limit must be between 1 and {MAX_AUDIT_PAGE}"
        )));
    }
    let succeeded = match params.outcome.as_deref() {
        None | Some("") => None,
        Some("ok") => Some(true),
        Some("error") => Some(false),
        Some(other) => {
            return Err(ApiError::invalid_request(format!(
                "outcome must be `ok` or `error`, not {other:?}"
            )));
        }
    };
    let time = |name: &str, text: Option<String>| -> ApiResult<Option<i64>> {
        text.filter(|t| !t.is_empty())
            .map(|t| {
                parse_rfc3339_ms(&t).map_err(|e| ApiError::invalid_request(format!("{name}: {e}")))
            })
            .transpose()
    };
    let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
    let query = AuditQuery {
        credential_id: non_empty(params.key),
        credential: params.credential,
        target: non_empty(params.target),
        database: non_empty(params.database),
        action: non_empty(params.action),
        succeeded,
        since_ms: time("since", params.since)?,
        until_ms: time("until", params.until)?,
        before: params.before,
        limit,
    };
    Ok(ApiJson(core.audit_log(&principal, query).await?))
}
