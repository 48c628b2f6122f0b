//! The credential step: the key a request presents (`X-API-Key`, or `Authorization: Bearer`,
//! which libSQL clients send), checked once per request by the core and kept in the
//! request's extensions as an [`Authentication`]. Everything after it (the guard, the
//! activity log, every front's extractor) reads that result; nothing hashes a key again.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use dbforge_core::{AuthFailure, Core, Principal};
use tower::util::MapRequestLayer;

use super::error::ApiError;
use super::throttle::{LimitedBeforeAuth, Throttle, client_address};

/// What the request's credential proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication(pub Result<Principal, AuthFailure>);

impl Authentication {
    /// The request's authentication: the one the middleware stored, or, for a request that
    /// did not pass through it, worked out now (with the state's core) and stored.
    pub fn of<S>(parts: &mut Parts, state: &S) -> Self
    where
        Core: FromRef<S>,
    {
        if let Some(done) = parts.extensions.get::<Self>() {
            return done.clone();
        }
        let done = Self(Core::from_ref(state).authenticate(presented_key(&parts.headers)));
        parts.extensions.insert(done.clone());
        done
    }

    /// The accepted caller, if any.
    pub fn principal(&self) -> Option<&Principal> {
        self.0.as_ref().ok()
    }
}

/// An authenticated caller: the extractor every protected REST and ops handler takes, so
/// none can forget auth (a request without a valid key is answered 401 in the envelope).
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    Core: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Authentication::of(parts, state)
            .0
            .map(Caller)
            .map_err(ApiError::unauthenticated)
    }
}

/// An authenticated admin: the extractor of the routes that manage the gateway (keys,
/// statistics, activity, configuration); another key gets 403 `forbidden`.
#[derive(Debug, Clone)]
pub struct AdminCaller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for AdminCaller
where
    Core: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        principal.require_admin()?;
        Ok(AdminCaller(principal))
    }
}

/// What the credential step needs: the core that checks credentials, and the limits that
/// may refuse an address before its credential is checked.
#[derive(Clone)]
pub struct CredentialStep {
    pub core: Core,
    pub throttle: Arc<Throttle>,
}

impl CredentialStep {
    /// Checks the request's credential, unless the client address is over a limit (then the
    /// guard answers 429 and no credential is checked).
    fn apply(&self, request: &mut Request) {
        if let Err(refusal) = self.throttle.before_auth(client_address(request)) {
            request.extensions_mut().insert(LimitedBeforeAuth(refusal));
            return;
        }
        let done = Authentication(self.core.authenticate(presented_key(request.headers())));
        request.extensions_mut().insert(done);
    }
}

/// The layer that checks every request's credential first. The step is synchronous, so it
/// maps the request and passes the inner future through: no boxed future of its own per
/// request, as an async middleware layer would have (about 1,500 instructions).
pub fn layer(step: CredentialStep) -> MapRequestLayer<impl FnMut(Request) -> Request + Clone> {
    MapRequestLayer::new(move |mut request: Request| {
        step.apply(&mut request);
        request
    })
}

/// The key presented by a request: `X-API-Key`, or `Authorization: Bearer`.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let key = match headers.get("x-api-key") {
        Some(value) => value.to_str().ok()?.trim(),
        None => {
            let auth = headers
                .get(axum::http::header::AUTHORIZATION)?
                .to_str()
                .ok()?;
            let (scheme, token) = auth.trim().split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return None;
            }
            token.trim()
        }
    };
    // An empty key is no key at all.
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                value.parse().expect("value"),
            );
        }
        map
    }

    #[test]
    fn a_stored_authentication_is_what_counts_the_key_is_not_checked_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let second = std::time::Duration::from_secs(1);
        let config = dbforge_core::CoreConfig {
            engine: dbforge_engine::EngineConfig::new(dir.path().join("data")),
            forge_dir: dir.path().join("forge"),
            admin_key: Some("s3cret-key-0123456".into()),
            dev: false,
            streams: dbforge_core::StreamLimits {
                idle_timeout: second,
                write_hold_limit: second,
                write_wait_limit: second,
                max_streams: 1,
                max_streams_per_database: 1,
                read_transaction_timeout: second,
                stored_sql: dbforge_core::StoredSqlLimits {
                    per_stream: 1,
                    per_database: 1,
                    total: 1,
                },
            },
            token_max_lifetime: second,
            max_requests_per_database: 1,
            audit: dbforge_core::AuditConfig {
                retention: second,
                max_entries: 1,
            },
            backups: dbforge_core::BackupConfig::in_forge_dir(&dir.path().join("forge")),
            exports: dbforge_core::ExportLimits::default(),
        };
        let (core, _) = Core::open(config, Vec::new()).expect("core");
        let request = |key: &str| {
            axum::http::Request::builder()
                .header("x-api-key", key)
                .body(())
                .expect("request")
                .into_parts()
                .0
        };
        // Without a stored result, the key is checked now, and the result stored.
        let mut parts = request("s3cret-key-0123456");
        let checked = Authentication::of(&mut parts, &core);
        assert!(checked.principal().is_some());
        assert_eq!(parts.extensions.get::<Authentication>(), Some(&checked));
        // A stored result wins over the headers: the credential step's check is final.
        let mut parts = request("s3cret-key-0123456");
        parts
            .extensions
            .insert(Authentication(Err(AuthFailure::Rejected)));
        assert_eq!(
            Authentication::of(&mut parts, &core).0,
            Err(AuthFailure::Rejected)
        );
        let mut parts = request("wrong");
        parts.extensions.insert(checked.clone());
        assert_eq!(Authentication::of(&mut parts, &core), checked);
    }

    #[test]
    fn keys_come_from_x_api_key_or_a_bearer_token() {
        assert_eq!(
            presented_key(&headers(&[("x-api-key", " k1 ")])),
            Some("k1")
        );
        assert_eq!(
            presented_key(&headers(&[("authorization", "Bearer k2")])),
            Some("k2")
        );
        assert_eq!(
            presented_key(&headers(&[("authorization", "bearer  k3 ")])),
            Some("k3")
        );
        assert_eq!(
            presented_key(&headers(&[("authorization", "Basic k4")])),
            None
        );
        assert_eq!(presented_key(&headers(&[("x-api-key", "  ")])), None);
        assert_eq!(presented_key(&headers(&[])), None);
    }
}
