//! Scoped API keys over HTTP: created, listed (never their secret), revoked and rotated by an
//! admin; a key reaches its own databases on every front and nothing else (others answer as
//! if they did not exist), creates only under its patterns when allowed, manages nothing.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error};

async fn select_one(srv: &TestServer, key: &str, db: &str) -> (StatusCode, Value) {
    srv.with_key(
        key,
        reqwest::Method::POST,
        &format!("/api/db/{db}/query"),
        Some(json!({"sql": "SELECT 1 AS one"})),
    )
    .await
}

#[tokio::test]
async fn keys_are_created_and_listed_without_their_secret() {
    let srv = TestServer::start().await;
    let (status, created) = srv
        .post(
            "/admin/keys",
            json!({"name": "ci", "role": "read_write", "databases": ["ci-*"], "can_create": true,
                   "expires_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().expect("secret");
    assert!(secret.starts_with("dbf_") && secret.len() == 47, "{secret}");
    let key = &created["key"];
    assert_eq!(key["prefix"], &secret[..8]);
    assert_eq!(key["role"], "read_write");
    assert_eq!(key["databases"], json!(["ci-*"]));
    assert_eq!(key["can_create"], true);
    assert_eq!(key["expires_at"], "2999-01-01T00:00:00.000Z");
    assert_eq!(key["last_used_at"], Value::Null);

    select_one(&srv, secret, "nothing").await;
    let (status, list) = srv.get("/admin/keys").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["keys"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["keys"][0]["id"], key["id"]);
    assert!(
        list["keys"][0]["last_used_at"].is_string(),
        "used once: {list}"
    );
    assert!(
        !list.to_string().contains(secret),
        "the secret is never listed"
    );
}

#[tokio::test]
async fn bad_key_requests_are_refused_with_what_to_fix() {
    let srv = TestServer::start().await;
    for (body, needle) in [
        (
            json!({"name": "x", "role": "read_write", "databases": ["Shop"]}),
            "databases",
        ),
        (
            json!({"name": "x", "role": "read_write", "databases": []}),
            "at least one",
        ),
        (json!({"name": " ", "role": "admin"}), "name"),
        (
            json!({"name": "x", "role": "read_only", "databases": ["a"], "can_create": true}),
            "can_create",
        ),
        (
            json!({"name": "x", "role": "read_write", "databases": ["a"], "expires_at": "soon"}),
            "expires_at",
        ),
        (
            json!({"name": "x", "role": "read_write", "databases": ["a"], "expires_at": "2000-01-01T00:00:00Z"}),
            "past",
        ),
    ] {
        let (status, error) = srv.post("/admin/keys", body.clone()).await;
        assert_error(&(status, error.clone()), 400, "invalid_request");
        assert!(error.to_string().contains(needle), "{body} -> {error}");
    }
    let (status, error) = srv
        .post("/admin/keys", json!({"name": "x", "role": "owner"}))
        .await;
    assert_error(&(status, error), 400, "invalid_json");
}

#[tokio::test]
async fn a_scoped_key_reaches_its_databases_and_nothing_else() {
    let srv = TestServer::start().await;
    for db in ["shop", "ci-1", "ci-2"] {
        srv.spawn_db(db).await;
    }
    let (_, key) = srv
        .create_key(json!({"name": "ci", "role": "read_write", "databases": ["ci-*"]}))
        .await;
    assert_eq!(select_one(&srv, &key, "ci-1").await.0, StatusCode::OK);
    // Out of scope answers exactly as missing: no existence oracle.
    let other = select_one(&srv, &key, "shop").await;
    let missing = select_one(&srv, &key, "nowhere").await;
    assert_error(&other, 404, "database_not_found");
    assert_eq!(
        other.1["error"]["code"], missing.1["error"]["code"],
        "{other:?} {missing:?}"
    );
    let get = |path: &'static str| srv.with_key(&key, reqwest::Method::GET, path, None);
    assert_error(
        &get("/admin/databases/shop").await,
        404,
        "database_not_found",
    );
    assert_error(&get("/api/db/shop/tables").await, 404, "database_not_found");
    assert_eq!(get("/api/db/ci-1/tables").await.0, StatusCode::OK);
    let (status, list) = get("/admin/databases").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(
        (names, list["total"].as_u64()),
        (vec!["ci-1", "ci-2"], Some(2))
    );
    let (_, page) = get("/admin/databases?limit=1").await;
    assert_eq!(page["next_cursor"], "ci-1", "{page}");
    // libSQL's front: the same scope.
    let pipeline = json!({"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}]});
    let (status, _) = srv
        .with_key(
            &key,
            reqwest::Method::POST,
            "/hrana/ci-1/v2/pipeline",
            Some(pipeline.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = srv
        .with_key(
            &key,
            reqwest::Method::POST,
            "/hrana/shop/v2/pipeline",
            Some(pipeline),
        )
        .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::NOT_FOUND, &json!("DATABASE_NOT_FOUND"))
    );
    // Managing the gateway, and creating or deleting databases, needs more.
    for path in [
        "/admin/gateway/stats",
        "/admin/keys",
        "/admin/activity",
        "/admin/config",
        "/admin/gateway/timeseries",
    ] {
        assert_error(&get(path).await, 403, "forbidden");
    }
    let spawn = srv
        .with_key(
            &key,
            reqwest::Method::POST,
            "/admin/databases/spawn/ci-3",
            None,
        )
        .await;
    assert_error(&spawn, 403, "forbidden");
    let prune = srv
        .with_key(
            &key,
            reqwest::Method::POST,
            "/admin/databases/prune/ci-1",
            None,
        )
        .await;
    assert_error(&prune, 403, "forbidden");
    let prune = srv
        .with_key(
            &key,
            reqwest::Method::POST,
            "/admin/databases/prune/shop",
            None,
        )
        .await;
    assert_error(&prune, 404, "database_not_found");
}

#[tokio::test]
async fn a_key_allowed_to_create_does_so_under_its_patterns_only() {
    let srv = TestServer::start().await;
    let (_, key) = srv
        .create_key(
            json!({"name": "ci", "role": "read_write", "databases": ["ci-*"], "can_create": true}),
        )
        .await;
    let post = |path: &'static str| srv.with_key(&key, reqwest::Method::POST, path, None);
    assert_eq!(
        post("/admin/databases/spawn/ci-7").await.0,
        StatusCode::CREATED
    );
    assert_error(&post("/admin/databases/spawn/prod").await, 403, "forbidden");
    assert_eq!(select_one(&srv, &key, "ci-7").await.0, StatusCode::OK);
    assert_eq!(post("/admin/databases/prune/ci-7").await.0, StatusCode::OK);
}

#[tokio::test]
async fn revoked_and_rotated_secrets_stop_working_at_once() {
    let srv = TestServer::start().await;
    srv.spawn_db("app").await;
    let (id, first) = srv
        .create_key(json!({"name": "app", "role": "read_write", "databases": ["app"]}))
        .await;
    assert_eq!(select_one(&srv, &first, "app").await.0, StatusCode::OK);
    let (status, rotated) = srv.post_empty(&format!("/admin/keys/{id}/rotate")).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let second = rotated["secret"].as_str().expect("a new secret").to_owned();
    assert_eq!(rotated["key"]["id"], id.as_str(), "same key, same grants");
    assert_error(&select_one(&srv, &first, "app").await, 401, "unauthorized");
    assert_eq!(select_one(&srv, &second, "app").await.0, StatusCode::OK);

    let delete = srv
        .send(
            srv.client
                .delete(srv.url(&format!("/admin/keys/{id}")))
                .header("x-api-key", crate::support::KEY),
        )
        .await;
    assert_eq!(delete.0, StatusCode::NO_CONTENT);
    assert_error(&select_one(&srv, &second, "app").await, 401, "unauthorized");
    let again = srv
        .send(
            srv.client
                .delete(srv.url(&format!("/admin/keys/{id}")))
                .header("x-api-key", crate::support::KEY),
        )
        .await;
    assert_error(&again, 404, "key_not_found");
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    let srv = TestServer::start().await;
    srv.spawn_db("app").await;
    let expires = std::time::SystemTime::now() + Duration::from_millis(1500);
    let expires_at = humantime::format_rfc3339_millis(expires).to_string();
    let (_, key) = srv.create_key(
        json!({"name": "brief", "role": "read_write", "databases": ["app"], "expires_at": expires_at}),
    )
    .await;
    assert_eq!(select_one(&srv, &key, "app").await.0, StatusCode::OK);
    // Waits for the outcome (bounded), not for a race: the key must stop working.
    let refused = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let answer = select_one(&srv, &key, "app").await;
            if answer.0 == StatusCode::UNAUTHORIZED {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the key expires");
    assert_error(&refused, 401, "unauthorized");
    assert!(
        std::time::SystemTime::now() >= expires,
        "refused only once expired"
    );
}

#[tokio::test]
async fn every_credential_can_ask_who_it_is() {
    let srv = TestServer::start().await;
    srv.spawn_db("app").await;
    let (status, me) = srv.get("/api/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        (&me["kind"], &me["role"], &me["is_admin"], &me["databases"]),
        (
            &json!("bootstrap_admin"),
            &json!("admin"),
            &json!(true),
            &json!(["*"])
        )
    );
    let (id, key) = srv
        .create_key(json!({"name": "ci", "role": "read_only", "databases": ["app", "ci-*"]}))
        .await;
    let (_, me) = srv
        .with_key(&key, reqwest::Method::GET, "/api/me", None)
        .await;
    assert_eq!(
        (
            &me["kind"],
            &me["id"],
            &me["name"],
            &me["role"],
            &me["is_admin"],
            &me["can_create"]
        ),
        (
            &json!("key"),
            &json!(id),
            &json!("ci"),
            &json!("read_only"),
            &json!(false),
            &json!(false)
        )
    );
    assert_eq!(me["databases"], json!(["app", "ci-*"]));
    let (_, minted) = srv
        .post(
            "/admin/databases/app/tokens",
            json!({"access": "read_write"}),
        )
        .await;
    let token = minted["token"].as_str().expect("token");
    let (_, me) = srv
        .with_key(token, reqwest::Method::GET, "/api/me", None)
        .await;
    assert_eq!(
        (&me["kind"], &me["id"], &me["role"], &me["databases"]),
        (
            &json!("token"),
            &minted["id"],
            &json!("read_write"),
            &json!(["app"])
        )
    );
    let (status, _) = srv.get_public("/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
