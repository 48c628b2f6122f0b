//! The audit log as the API tells it: `GET /admin/audit` answers entries newest first, a
//! page at a time.

use serde::{Deserialize, Serialize};

use crate::CredentialKind;

/// One audited request: who, what, when, from where, and how it ended. Never the SQL, its
/// parameters, or a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Increasing with time; the cursor of the next page is the last entry's id.
    pub id: i64,
    /// RFC 3339, UTC, to the millisecond.
    pub at: String,
    pub credential: CredentialKind,
    /// The key's id (`key_...`) or the token's (`tok_...`); null for the bootstrap key.
    pub credential_id: Option<String>,
    /// The key's name, when a named key made the request.
    pub credential_name: Option<String>,
    /// The client's IP address.
    pub client: Option<String>,
    /// The method and route, e.g. `POST /admin/keys` or `POST /api/db/{name}/query`.
    pub action: String,
    pub database: Option<String>,
    /// The key the action was about (`key_...`: created, revoked or rotated).
    pub target: Option<String>,
    /// The kinds of the statements that wrote (their first keyword: `INSERT`, `CREATE`, ...).
    pub statements: Vec<String>,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The error code of the answer, if it was an error.
    pub error: Option<String>,
}

/// `GET /admin/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next_cursor: Option<i64>,
}
