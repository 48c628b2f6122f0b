//! The cross-tenant matrix: every API route the router serves (`app::route_list`, so a route
//! added later is walked without being named here), at every address form (path, libSQL's
//! `x-namespace` header, Host subdomain), with every kind of scoped credential (a read-write
//! key, a read-only key, read-write and read-only tokens, all for tenant A), aimed at tenant
//! B. Out of scope must be indistinguishable from missing (same status and code as a name that
//! does not exist: no existence oracle), never succeed, never leak B's data; B is unchanged.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestServer;

const A: &str = "tenant-a";
const B: &str = "tenant-b";
/// A name no database has.
const MISSING: &str = "tenant-z";
const B_SECRET: &str = "b-secret-7f3a";

/// Routes a scoped credential may call successfully without naming a database: they answer
/// about the caller's own reach, and must not mention B.
const CALLER_FILTERED: &[(&str, &str)] = &[("GET", "/admin/databases"), ("GET", "/api/me")];

/// How a request names its database.
#[derive(Debug, Clone, Copy)]
enum Address {
    Path,
    Namespace,
    Host,
}

struct Probe {
    method: Method,
    path: String,
    address: Address,
    /// Whether the route names a database at all.
    names_database: bool,
}

/// The request body a route gets: a real read of the secret, in the route's protocol.
fn body_for(path: &str) -> Value {
    let read = json!({"sql": "SELECT secret FROM t"});
    if path.ends_with("/pipeline") {
        json!({"baton": null, "requests": [{"type": "execute", "stmt": read}, {"type": "close"}]})
    } else if path.ends_with("/cursor") {
        json!({"baton": null, "batch": {"steps": [{"stmt": read}]}})
    } else {
        read
    }
}

/// Every probe: each route, at each of its address forms.
fn probes() -> Vec<Probe> {
    let mut probes = Vec::new();
    for (method, pattern) in dbforge_server::app::route_list() {
        let method: Method = method.parse().expect("an HTTP method");
        let path = pattern
            .replace("{table}", "t")
            .replace("{id}", "key_0000000000000000")
            .replace("{*rest}", "x");
        if path.contains("{name}") {
            probes.push(Probe {
                method,
                path,
                address: Address::Path,
                names_database: true,
            });
        } else if path.starts_with("/v2") || path.starts_with("/v3") {
            for address in [Address::Namespace, Address::Host] {
                probes.push(Probe {
                    method: method.clone(),
                    path: path.clone(),
                    address,
                    names_database: true,
                });
            }
        } else {
            probes.push(Probe {
                method,
                path,
                address: Address::Path,
                names_database: false,
            });
        }
    }
    probes
}

/// Sends `probe` aimed at database `db` with `credential` (none: no credential).
async fn send(
    srv: &TestServer,
    probe: &Probe,
    db: &str,
    credential: Option<&str>,
) -> (StatusCode, String) {
    let path = probe.path.replace("{name}", db);
    let mut request = srv.client.request(probe.method.clone(), srv.url(&path));
    if let Some(credential) = credential {
        request = request.bearer_auth(credential);
    }
    request = match probe.address {
        Address::Path => request,
        Address::Namespace => request.header("x-namespace", db),
        Address::Host => request.header("host", format!("{db}.db.localhost")),
    };
    if probe.method != Method::GET && probe.method != Method::DELETE {
        request = request.json(&body_for(&probe.path));
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// The error code of an answer, in either front's shape.
fn code(text: &str) -> String {
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    body["error"]["code"]
        .as_str()
        .or_else(|| body["code"].as_str())
        .unwrap_or("")
        .to_owned()
}

async fn tenants() -> (TestServer, Vec<(&'static str, String)>) {
    let srv = TestServer::start().await;
    for (db, secret) in [(A, "a-secret"), (B, B_SECRET)] {
        srv.spawn_db(db).await;
        srv.sql(db, "CREATE TABLE t (secret TEXT)", json!([])).await;
        srv.sql(db, "INSERT INTO t VALUES (?)", json!([secret]))
            .await;
    }
    let (_, read_write) = srv
        .create_key(
            json!({"name": "rw", "role": "read_write", "databases": ["tenant-a*"],
                           "can_create": true}),
        )
        .await;
    let (_, read_only) = srv
        .create_key(json!({"name": "ro", "role": "read_only", "databases": [A]}))
        .await;
    let mut credentials = vec![("read-write key", read_write), ("read-only key", read_only)];
    for access in ["read_write", "read_only"] {
        let (status, minted) = srv
            .post(
                &format!("/admin/databases/{A}/tokens"),
                json!({"access": access}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{minted}");
        let token = minted["token"].as_str().expect("token").to_owned();
        credentials.push((
            if access == "read_write" {
                "read-write token"
            } else {
                "read-only token"
            },
            token,
        ));
    }
    (srv, credentials)
}

#[tokio::test]
async fn no_scoped_credential_reaches_or_detects_another_tenant_on_any_route() {
    let (srv, credentials) = tenants().await;
    let probes = probes();
    assert!(
        probes.len() >= 30,
        "the route list looks incomplete: {} probes",
        probes.len()
    );
    let mut walked = 0;
    for probe in &probes {
        // Public routes (health, version probes, JWKS) are about no tenant.
        let anonymous = send(&srv, probe, B, None).await;
        if anonymous.0 != StatusCode::UNAUTHORIZED {
            continue;
        }
        walked += 1;
        for (who, credential) in &credentials {
            let at_b = send(&srv, probe, B, Some(credential)).await;
            let what = format!(
                "{who}: {} {} ({:?})",
                probe.method, probe.path, probe.address
            );
            assert!(
                !at_b.1.contains(B_SECRET),
                "{what} leaked B's data: {}",
                at_b.1
            );
            let filtered = CALLER_FILTERED
                .iter()
                .any(|(m, p)| probe.method.as_str() == *m && probe.path == *p);
            if filtered {
                assert!(at_b.0.is_success(), "{what}: {at_b:?}");
                assert!(!at_b.1.contains(B), "{what} names B: {}", at_b.1);
                continue;
            }
            assert!(!at_b.0.is_success(), "{what} succeeded: {at_b:?}");
            if probe.names_database {
                let at_missing = send(&srv, probe, MISSING, Some(credential)).await;
                assert_eq!(
                    (at_b.0, code(&at_b.1)),
                    (at_missing.0, code(&at_missing.1)),
                    "{what}: B answers unlike a missing database: {} vs {}",
                    at_b.1,
                    at_missing.1
                );
            } else {
                assert_eq!(at_b.0, StatusCode::FORBIDDEN, "{what}: {}", at_b.1);
            }
        }
    }
    assert!(walked >= 25, "only {walked} protected routes walked");
    // B is whole: still there, its one row untouched.
    let rows = srv.sql(B, "SELECT secret FROM t", json!([])).await;
    assert_eq!(rows["rows"], json!([{"secret": B_SECRET}]));
}

#[tokio::test]
async fn the_same_credentials_do_reach_their_own_tenant() {
    let (srv, credentials) = tenants().await;
    // The control of the matrix: what B is refused, A gets, on every front and address form.
    for (who, credential) in &credentials {
        for probe in probes().iter().filter(|p| {
            p.names_database
                && (p.method == Method::GET
                    || p.path.ends_with("/query")
                    || p.path.ends_with("/pipeline"))
                && !p.path.contains("protobuf")
                && !p.path.ends_with("/v2")
                && !p.path.ends_with("/v3")
        }) {
            let at_a = send(&srv, probe, A, Some(credential)).await;
            let what = format!(
                "{who}: {} {} ({:?})",
                probe.method, probe.path, probe.address
            );
            assert_ne!(code(&at_a.1), "database_not_found", "{what}: {}", at_a.1);
            assert_ne!(code(&at_a.1), "DATABASE_NOT_FOUND", "{what}: {}", at_a.1);
            if probe.path.ends_with("/query") || probe.path.ends_with("/pipeline") {
                assert!(at_a.1.contains("a-secret"), "{what}: {}", at_a.1);
            }
        }
    }
}
