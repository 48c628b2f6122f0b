//! Which answered requests enter the audit log, and what their entries say: every admin
//! action (a request other than GET under `/admin/`) and every request that wrote (its
//! answer carries the fronts' [`Writes`]) or was refused as a write (`403`), by a caller whose
//! credential was accepted. Requests without one are counted in the metrics only: anyone can
//! send them, and they must not crowd the log.

use std::net::IpAddr;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, Uri};
use axum::response::Response;
use dbforge_api::ErrorCode;
use dbforge_core::{AuditRecord, Core, Principal};

use super::activity::database_in_path;
use crate::http::credential::Authentication;
use crate::http::throttle::client_address;
use crate::http::{AddressedDatabase, AnsweredError, AuditTarget, Writes};

/// What the log needs of a request, read before it is handled: references and counted
/// pointers only (most requests are not audited; their strings are made when one is).
pub struct AuditFacts {
    principal: Principal,
    client: Option<IpAddr>,
    method: &'static str,
    route: MatchedPath,
    uri: Uri,
}

impl AuditFacts {
    /// The facts of a request that may be audited: one with an accepted credential and a
    /// method other than GET (reads are never audited).
    pub fn observe(request: &Request) -> Option<Self> {
        if request.method() == Method::GET || request.method() == Method::HEAD {
            return None;
        }
        let principal = request
            .extensions()
            .get::<Authentication>()
            .and_then(Authentication::principal)?
            .clone();
        Some(Self {
            principal,
            client: client_address(request),
            method: crate::http::method_label(request.method()),
            route: request.extensions().get::<MatchedPath>()?.clone(),
            uri: request.uri().clone(),
        })
    }

    /// The key a `/admin/keys/{id}` route is about.
    fn target(&self) -> Option<String> {
        self.route
            .as_str()
            .strip_prefix("/admin/keys/{id}")
            .and_then(|_| self.uri.path().split('/').nth(3))
            .filter(|id| {
                id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
            .map(str::to_owned)
    }

    /// Records the request if its answer makes it an admin action or a write.
    pub fn record(self, core: &Core, response: &Response) {
        let status = response.status().as_u16();
        let writes = response.extensions().get::<Writes>();
        let error = response.extensions().get::<AnsweredError>().map(|e| e.0);
        let route = self.route.as_str();
        let admin_action = route.starts_with("/admin/");
        // A refusal is a 403, or (libSQL) a 200 whose results carry `FORBIDDEN`.
        let refused = status == 403 || error == Some(ErrorCode::Forbidden);
        if !(admin_action || writes.is_some() || refused) {
            return;
        }
        let me = core.me(&self.principal);
        core.record_audit(AuditRecord {
            credential: me.kind,
            credential_id: me.id,
            credential_name: me.name,
            client: self.client.map(|ip| ip.to_string()),
            action: format!("{} {route}", self.method),
            // libSQL's root routes name it by header or Host: their answer says which.
            database: database_in_path(route, self.uri.path()).or_else(|| {
                response
                    .extensions()
                    .get::<AddressedDatabase>()
                    .map(|d| d.0.clone())
            }),
            // A created key names itself on its answer.
            target: self.target().or_else(|| {
                response
                    .extensions()
                    .get::<AuditTarget>()
                    .map(|t| t.0.clone())
            }),
            statements: writes.map(|w| w.0.clone()).unwrap_or_default(),
            status,
            error: error.map(|code| code.as_str().to_owned()),
        });
    }
}
