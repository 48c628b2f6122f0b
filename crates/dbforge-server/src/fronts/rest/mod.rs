//! The REST front: the seed's API and its extensions (`/admin/...`, `/api/db/...`), each
//! handler a translation of HTTP onto one core operation. Its routes carry their OpenAPI
//! description; its errors are the envelope of `http::error`.

mod admin;
mod audit;
mod encode;
mod keys;
mod lifecycle;
mod query;
mod tables;
mod tokens;
mod transfer;

use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::request::Parts;
use dbforge_api::{DatabaseName, ErrorCode};
use dbforge_core::{Core, DatabaseHandle};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::credential::Caller;
use crate::http::error::ApiError;

pub use transfer::is_upload_route;

/// The public keys that verify tokens: the well-known address other services look at.
pub const JWKS_ROUTE: &str = "/.well-known/jwks.json";

/// The REST routes, documented in the OpenAPI document.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Core: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(admin::list_databases))
        .routes(routes!(admin::create_database))
        .routes(routes!(
            admin::get_database,
            admin::remove_database,
            lifecycle::update_database
        ))
        .routes(routes!(lifecycle::create_backup, lifecycle::list_backups))
        .routes(routes!(
            lifecycle::download_backup,
            lifecycle::delete_backup
        ))
        .routes(routes!(lifecycle::restore))
        .routes(routes!(lifecycle::branch))
        .routes(routes!(admin::delete_database))
        .routes(routes!(admin::gateway_stats))
        .routes(routes!(keys::create_key, keys::list_keys))
        .routes(routes!(keys::me))
        .routes(routes!(audit::list_audit))
        .routes(routes!(keys::revoke_key))
        .routes(routes!(keys::rotate_key))
        .routes(routes!(tokens::mint_token))
        .routes(routes!(tokens::revoke_database_tokens))
        .routes(routes!(tokens::revoke_all_tokens))
        .routes(routes!(tokens::jwks))
        .routes(routes!(query::run_query))
        .routes(routes!(transfer::export))
        .routes(routes!(transfer::import))
        .routes(routes!(tables::list_tables, tables::create_table))
        .routes(routes!(tables::get_table))
        .routes(routes!(tables::read_rows, tables::insert_rows))
}

/// A path segment parsed as a database name (`invalid_database_name` otherwise).
async fn name_param(parts: &mut Parts) -> Result<DatabaseName, ApiError> {
    let Path(params): Path<Vec<(String, String)>> = Path::from_request_parts(parts, &())
        .await
        .map_err(|rejection| {
            use axum::extract::path::ErrorKind;
            use axum::extract::rejection::PathRejection;
            let code = match &rejection {
                PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                    ErrorKind::InvalidUtf8InPathParam { key } if key != "name" => {
                        ErrorCode::InvalidRequest
                    }
                    _ => ErrorCode::InvalidDatabaseName,
                },
                _ => ErrorCode::InvalidRequest,
            };
            ApiError::new(code, format!("invalid path: {}", rejection.body_text()))
        })?;
    let raw = params
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| ApiError::internal("route has no {name} parameter"))?;
    Ok(DatabaseName::parse(raw)?)
}

/// The `{name}` of a route, parsed as a database name (`invalid_database_name` otherwise).
pub struct DbName(pub DatabaseName);

impl<S: Send + Sync> FromRequestParts<S> for DbName {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(DbName(name_param(parts).await?))
    }
}

/// The authenticated caller's open database named by `{name}`: the caller is authenticated
/// first, then the name parsed, then the database resolved through the core (`404` if it
/// does not exist or the caller may not see it). Handlers get a ready handle and cannot
/// forget auth.
pub struct CallerDb(pub DatabaseHandle);

impl<S: Send + Sync> FromRequestParts<S> for CallerDb
where
    Core: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        let DbName(name) = DbName::from_request_parts(parts, state).await?;
        let core = Core::from_ref(state);
        Ok(CallerDb(core.database(&principal, &name).await?))
    }
}
