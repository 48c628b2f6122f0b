//! Scoped API keys: what `POST /admin/keys` takes, and what the server tells about a key
//! (never its secret, which is answered once, at creation or rotation).

use serde::{Deserialize, Serialize};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, like the bootstrap admin key.
    Admin,
    /// Read and write the data of its databases; create and delete them only with
    /// `can_create`.
    ReadWrite,
    /// Read the data of its databases.
    ReadOnly,
}

impl Role {
    /// Every role, with the name it has on the wire.
    const NAMES: [(Role, &'static str); 3] = [
        (Role::Admin, "admin"),
        (Role::ReadWrite, "read_write"),
        (Role::ReadOnly, "read_only"),
    ];

    /// The role's name on the wire (`read_write`).
    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(role, _)| *role == self)
            .map_or("read_only", |(_, name)| name)
    }

    /// The role named `name` on the wire.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(r, _)| *r)
    }
}

/// `POST /admin/keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateKeyRequest {
    /// A label for people (1-100 characters).
    pub name: String,
    pub role: Role,
    /// The databases the key reaches: names, and prefixes ending in `*` (`ci-*`); `*` is every
    /// database. Ignored for `admin`.
    #[serde(default)]
    pub databases: Vec<String>,
    /// Whether the key may create (and delete) databases its patterns match.
    #[serde(default)]
    pub can_create: bool,
    /// When the key stops working (RFC 3339, UTC, e.g. `2027-01-31T00:00:00Z`); never if absent.
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// A key as the server tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyInfo {
    /// The key's id, for `DELETE /admin/keys/{id}` and rotation.
    pub id: String,
    pub name: String,
    /// The secret's first characters, to tell keys apart (`dbf_1a2b`).
    pub prefix: String,
    pub role: Role,
    pub databases: Vec<String>,
    pub can_create: bool,
    pub created_at: String,
    pub expires_at: Option<String>,
    /// When the key was last accepted, since the server started; null if not since then.
    pub last_used_at: Option<String>,
}

/// A new key, or a rotated one: its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedKey {
    pub key: KeyInfo,
    /// Send it as `X-API-Key` or `Authorization: Bearer`; it is stored only as a hash.
    pub secret: String,
}

/// `GET /admin/keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyList {
    pub keys: Vec<KeyInfo>,
}

/// What kind of credential a request presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// The bootstrap admin key (configured, stored or generated at first start).
    BootstrapAdmin,
    /// A scoped API key (`POST /admin/keys`).
    Key,
    /// A per-database token.
    Token,
}

/// `GET /api/me`: who the caller is and what it may do, so a client (the dashboard) shows only
/// what the credential allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub kind: CredentialKind,
    /// The key's id (`key_...`), the token's id (`tok_...`), or null for the bootstrap key.
    pub id: Option<String>,
    /// The key's name; null for the bootstrap key and tokens.
    pub name: Option<String>,
    /// `admin`, `read_write` or `read_only` (a token's access as a role).
    pub role: Role,
    /// The databases it reaches: names and prefixes (`*` for every database).
    pub databases: Vec<String>,
    /// Whether it may create (and delete) databases its patterns match.
    pub can_create: bool,
    /// Whether it may manage the gateway: keys, tokens of every database, statistics, activity.
    pub is_admin: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_the_wire_names() {
        for (role, name) in Role::NAMES {
            assert_eq!(
                serde_json::to_string(&role).ok(),
                Some(format!("\"{name}\""))
            );
            assert_eq!((role.as_str(), Role::from_name(name)), (name, Some(role)));
        }
        assert_eq!(Role::from_name("owner"), None);
    }
}
