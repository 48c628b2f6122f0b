//! Per-database tokens for drivers: what `POST /admin/databases/{name}/tokens` takes and
//! answers, what the revocations answer, and the public keys that verify tokens (JWKS).

use serde::{Deserialize, Serialize};

/// What a token may do to its one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenAccess {
    /// SELECT and other reads only (enforced by SQLite, like a `read_only` key).
    ReadOnly,
    /// Reads and writes of the data (never creating or deleting the database).
    ReadWrite,
}

/// `POST /admin/databases/{name}/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MintTokenRequest {
    pub access: TokenAccess,
    /// How long the token works: `90s`, `15m`, `1h`, `7d` (default `1h`; at most the server's
    /// `--token-max-lifetime`, and never past the expiry of the key that mints it).
    #[serde(default)]
    pub expires_in: Option<String>,
}

/// A minted token: the token itself is answered only here (the server keeps no copy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MintedToken {
    /// An EdDSA-signed JWT. Send it as `Authorization: Bearer` or `X-API-Key`, or give it to a
    /// libSQL client as `authToken`.
    pub token: String,
    /// The token's id (its `jti`), as the server's logs name it.
    pub id: String,
    pub database: String,
    pub access: TokenAccess,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// `POST /admin/databases/{name}/tokens/revoke` and `POST /admin/tokens/revoke`: every token
/// minted before is refused from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokensRevoked {
    /// The database whose tokens were revoked; null when every token of the server was.
    pub database: Option<String>,
    /// The revocation epoch now in force (tokens carry the epoch they were minted in).
    pub epoch: u64,
}

/// `GET /.well-known/jwks.json`: the public keys that verify the server's tokens (RFC 7517), so
/// other services can check a token without asking the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One Ed25519 public key (RFC 8037: `kty` `OKP`, `crv` `Ed25519`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// The key's id, as tokens name it in their header.
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
}
