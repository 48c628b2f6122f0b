//! Per-database tokens for drivers: mint (the token is answered once), revoke a database's
//! tokens or every token, and the public keys that verify them (JWKS, public).

use axum::extract::State;
use axum::http::StatusCode;
use dbforge_api::{ErrorEnvelope, Jwks, MintTokenRequest, MintedToken, TokensRevoked};
use dbforge_core::Core;

use super::DbName;
use crate::http::credential::{AdminCaller, Caller};
use crate::http::error::{ApiJson, ApiResult};

/// Mint a token for one database (JWT, EdDSA): read-only or read-write, for a lifetime. Works
/// as `authToken` in libSQL's clients and as a key on REST. Admins, and keys that see the
/// database (at most their own access and expiry).
#[utoipa::path(post, path = "/admin/databases/{name}/tokens", tag = "tokens",
    params(("name" = String, Path)),
    request_body = MintTokenRequest,
    responses((status = 201, body = MintedToken), (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 415, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn mint_token(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
    ApiJson(request): ApiJson<MintTokenRequest>,
) -> ApiResult<(StatusCode, ApiJson<MintedToken>)> {
    let minted = core.mint_token(&principal, &name, &request)?;
    Ok((StatusCode::CREATED, ApiJson(minted)))
}

/// Revoke every token of a database minted so far (admins, and keys that may delete it).
#[utoipa::path(post, path = "/admin/databases/{name}/tokens/revoke", tag = "tokens",
    params(("name" = String, Path)),
    responses((status = 200, body = TokensRevoked), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 400, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn revoke_database_tokens(
    Caller(principal): Caller,
    DbName(name): DbName,
    State(core): State<Core>,
) -> ApiResult<ApiJson<TokensRevoked>> {
    Ok(ApiJson(
        core.revoke_database_tokens(&principal, &name).await?,
    ))
}

/// Revoke every token of the server minted so far (admins only).
#[utoipa::path(post, path = "/admin/tokens/revoke", tag = "tokens",
    responses((status = 200, body = TokensRevoked), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn revoke_all_tokens(
    AdminCaller(principal): AdminCaller,
    State(core): State<Core>,
) -> ApiResult<ApiJson<TokensRevoked>> {
    Ok(ApiJson(core.revoke_all_tokens(&principal).await?))
}

/// The public keys that verify the server's tokens (JWKS), for other services. No key needed.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "tokens",
    responses((status = 200, body = Jwks)))]
pub async fn jwks(State(core): State<Core>) -> ApiJson<Jwks> {
    ApiJson(core.jwks())
}
