//! Per-database tokens over HTTP: minted by an admin or a key (never beyond its own access),
//! they reach their one database on REST and libSQL's Hrana with their access, and nothing
//! else; tampered, expired, revoked (per database, globally, with the minting key) and
//! re-created-database tokens are refused; the public key is published as JWKS.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error};

/// Mints a token for `db` with the admin key.
async fn mint(srv: &TestServer, db: &str, body: Value) -> String {
    let (status, minted) = srv
        .post(&format!("/admin/databases/{db}/tokens"), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{minted}");
    assert_eq!(minted["database"], db);
    minted["token"].as_str().expect("a token").to_owned()
}

/// Mints a token for `db` with `key` (a scoped key, say); the raw answer.
async fn mint_with(srv: &TestServer, key: &str, db: &str, access: &str) -> (StatusCode, Value) {
    srv.with_key(
        key,
        Method::POST,
        &format!("/admin/databases/{db}/tokens"),
        Some(json!({"access": access})),
    )
    .await
}

async fn query(srv: &TestServer, credential: &str, db: &str, sql: &str) -> (StatusCode, Value) {
    srv.with_key(
        credential,
        Method::POST,
        &format!("/api/db/{db}/query"),
        Some(json!({"sql": sql})),
    )
    .await
}

/// Runs `sql` through Hrana with the credential as a Bearer token; the result's outcome.
async fn hrana(srv: &TestServer, credential: &str, db: &str, sql: &str) -> (StatusCode, String) {
    let (status, body) = srv
        .send(
            srv.client
                .post(srv.url(&format!("/hrana/{db}/v3/pipeline")))
                .bearer_auth(credential)
                .json(&json!({"requests": [
                    {"type": "execute", "stmt": {"sql": sql}}, {"type": "close"}
                ]})),
        )
        .await;
    let outcome = match body["results"][0]["type"].as_str() {
        Some("ok") => "ok".to_owned(),
        Some(_) => body["results"][0]["error"]["code"]
            .as_str()
            .unwrap_or("?")
            .to_owned(),
        None => body["code"].as_str().unwrap_or("?").to_owned(),
    };
    (status, outcome)
}

async fn two_databases() -> TestServer {
    let srv = TestServer::start().await;
    for db in ["app", "other"] {
        srv.spawn_db(db).await;
        srv.sql(db, "CREATE TABLE t (x)", json!([])).await;
    }
    srv
}

#[tokio::test]
async fn a_read_write_token_reaches_its_database_only() {
    let srv = two_databases().await;
    let token = mint(
        &srv,
        "app",
        json!({"access": "read_write", "expires_in": "1h"}),
    )
    .await;
    assert!(
        token.starts_with("eyJ") && token.matches('.').count() == 2,
        "{token}"
    );
    assert_eq!(
        query(&srv, &token, "app", "INSERT INTO t VALUES (1)")
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        hrana(&srv, &token, "app", "INSERT INTO t VALUES (2)").await,
        (StatusCode::OK, "ok".into())
    );
    let count = srv
        .sql("app", "SELECT count(*) AS n FROM t", json!([]))
        .await;
    assert_eq!(count["rows"], json!([{"n": 2}]));
    // Another database answers as missing, on both fronts.
    assert_error(
        &query(&srv, &token, "other", "SELECT 1").await,
        404,
        "database_not_found",
    );
    assert_eq!(
        hrana(&srv, &token, "other", "SELECT 1").await.0,
        StatusCode::NOT_FOUND
    );
    // It manages nothing: no other databases, no keys, no tokens, no deleting its own.
    let (status, list) = srv
        .with_key(&token, Method::GET, "/admin/databases", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1, "{list}");
    for (method, path) in [
        (Method::GET, "/admin/keys"),
        (Method::POST, "/admin/databases/prune/app"),
        (Method::POST, "/admin/databases/spawn/mine"),
        (Method::POST, "/admin/tokens/revoke"),
        (Method::GET, "/metrics"),
    ] {
        let answer = srv.with_key(&token, method.clone(), path, None).await;
        assert_eq!(
            answer.0,
            StatusCode::FORBIDDEN,
            "{method} {path}: {answer:?}"
        );
    }
    let minted_by_token = srv
        .with_key(
            &token,
            Method::POST,
            "/admin/databases/app/tokens",
            Some(json!({"access": "read_only"})),
        )
        .await;
    assert_error(&minted_by_token, 403, "forbidden");
}

#[tokio::test]
async fn a_read_only_token_reads_and_is_refused_writes() {
    let srv = two_databases().await;
    let token = mint(&srv, "app", json!({"access": "read_only"})).await;
    assert_eq!(
        query(&srv, &token, "app", "SELECT count(*) FROM t").await.0,
        StatusCode::OK
    );
    assert_error(
        &query(&srv, &token, "app", "INSERT INTO t VALUES (1)").await,
        403,
        "forbidden",
    );
    assert_eq!(
        hrana(&srv, &token, "app", "SELECT 1").await,
        (StatusCode::OK, "ok".into())
    );
    assert_eq!(
        hrana(&srv, &token, "app", "DELETE FROM t").await,
        (StatusCode::OK, "FORBIDDEN".into())
    );
    assert_eq!(
        hrana(&srv, &token, "app", "BEGIN IMMEDIATE").await,
        (StatusCode::OK, "FORBIDDEN".into())
    );
}

#[tokio::test]
async fn tampered_and_foreign_tokens_are_refused() {
    let srv = two_databases().await;
    let token = mint(&srv, "app", json!({"access": "read_only"})).await;
    let parts: Vec<&str> = token.split('.').collect();
    let claims =
        String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).expect("base64")).expect("utf-8");
    // Each tampering keeps the rest of the token.
    let retargeted = URL_SAFE_NO_PAD.encode(claims.replace("\"app\"", "\"other\""));
    let upgraded = URL_SAFE_NO_PAD.encode(claims.replace("read_only", "read_write"));
    let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let hs256 = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let other_server = TestServer::start().await;
    other_server.spawn_db("app").await;
    let foreign = mint(&other_server, "app", json!({"access": "read_write"})).await;
    for forged in [
        format!("{}.{retargeted}.{}", parts[0], parts[2]),
        format!("{}.{upgraded}.{}", parts[0], parts[2]),
        format!("{none}.{}.", parts[1]),
        format!("{hs256}.{}.{}", parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            &parts[2][..parts[2].len() - 2]
        ),
        foreign,
    ] {
        let answer = query(&srv, &forged, "app", "SELECT 1").await;
        assert_error(&answer, 401, "unauthorized");
        assert_eq!(
            hrana(&srv, &forged, "app", "SELECT 1").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn tokens_expire_to_the_second() {
    let srv = two_databases().await;
    let (status, minted) = srv
        .post(
            "/admin/databases/app/tokens",
            json!({"access": "read_only", "expires_in": "1s"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{minted}");
    let token = minted["token"].as_str().expect("token").to_owned();
    let expires_at =
        humantime::parse_rfc3339(minted["expires_at"].as_str().expect("expiry")).expect("RFC 3339");
    // Waits for the outcome (bounded), not for a race: the token must stop working.
    let refused = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let answer = query(&srv, &token, "app", "SELECT 1").await;
            if answer.0 == StatusCode::UNAUTHORIZED {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the token expires");
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{:?}",
        refused
    );
    let late = std::time::SystemTime::now()
        .duration_since(expires_at)
        .expect("refused only after its expiry");
    assert!(
        late < Duration::from_secs(3),
        "refused {late:?} after expiry"
    );
}

#[tokio::test]
async fn revocation_per_database_globally_and_with_the_minting_key() {
    let srv = two_databases().await;
    let app = mint(&srv, "app", json!({"access": "read_only"})).await;
    let other = mint(&srv, "other", json!({"access": "read_only"})).await;
    let (status, revoked) = srv.post_empty("/admin/databases/app/tokens/revoke").await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(
        (revoked["database"].as_str(), revoked["epoch"].as_u64()),
        (Some("app"), Some(1))
    );
    assert_error(
        &query(&srv, &app, "app", "SELECT 1").await,
        401,
        "unauthorized",
    );
    assert_eq!(
        query(&srv, &other, "other", "SELECT 1").await.0,
        StatusCode::OK
    );
    let fresh = mint(&srv, "app", json!({"access": "read_only"})).await;
    assert_eq!(
        query(&srv, &fresh, "app", "SELECT 1").await.0,
        StatusCode::OK
    );
    let (status, _) = srv.post_empty("/admin/tokens/revoke").await;
    assert_eq!(status, StatusCode::OK);
    for token in [&fresh, &other] {
        assert_error(
            &query(&srv, token, "app", "SELECT 1").await,
            401,
            "unauthorized",
        );
    }

    // A key mints a token; revoking the key ends the token.
    let (key_id, key) = srv
        .create_key(json!({"name": "ci", "role": "read_only", "databases": ["app"]}))
        .await;
    let by_key = mint_with(&srv, &key, "app", "read_only").await;
    assert_eq!(by_key.0, StatusCode::CREATED, "{:?}", by_key);
    let token = by_key.1["token"].as_str().expect("token").to_owned();
    assert_eq!(
        query(&srv, &token, "app", "SELECT 1").await.0,
        StatusCode::OK
    );
    // Rotating the key (its secret was stolen, say) ends what the old secret minted; the new
    // secret mints tokens that work.
    let (status, rotated) = srv
        .post_empty(&format!("/admin/keys/{key_id}/rotate"))
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_error(
        &query(&srv, &token, "app", "SELECT 1").await,
        401,
        "unauthorized",
    );
    let key = rotated["secret"]
        .as_str()
        .expect("the new secret")
        .to_owned();
    let by_key = mint_with(&srv, &key, "app", "read_only").await;
    assert_eq!(by_key.0, StatusCode::CREATED, "{:?}", by_key);
    let token = by_key.1["token"].as_str().expect("token").to_owned();
    assert_eq!(
        query(&srv, &token, "app", "SELECT 1").await.0,
        StatusCode::OK
    );
    // A read-only key cannot mint write access, nor reach another database.
    let upgrade = mint_with(&srv, &key, "app", "read_write").await;
    assert_error(&upgrade, 403, "forbidden");
    let elsewhere = mint_with(&srv, &key, "other", "read_only").await;
    assert_error(&elsewhere, 404, "database_not_found");
    let deleted = srv
        .send(
            srv.client
                .delete(srv.url(&format!("/admin/keys/{key_id}")))
                .header("x-api-key", crate::support::KEY),
        )
        .await;
    assert_eq!(deleted.0, StatusCode::NO_CONTENT);
    assert_error(
        &query(&srv, &token, "app", "SELECT 1").await,
        401,
        "unauthorized",
    );
}

#[tokio::test]
async fn a_token_does_not_reach_a_database_recreated_under_its_name() {
    let srv = two_databases().await;
    let token = mint(&srv, "app", json!({"access": "read_write"})).await;
    assert_eq!(
        srv.post_empty("/admin/databases/prune/app").await.0,
        StatusCode::OK
    );
    srv.spawn_db("app").await;
    assert_error(
        &query(&srv, &token, "app", "SELECT 1").await,
        404,
        "database_not_found",
    );
}

#[tokio::test]
async fn bad_mint_requests_say_what_to_fix() {
    let srv = two_databases().await;
    for (body, needle) in [
        (
            json!({"access": "read_only", "expires_in": "soon"}),
            "expires_in",
        ),
        (json!({"access": "read_only", "expires_in": "0s"}), "1s"),
        (
            json!({"access": "read_only", "expires_in": "400d"}),
            "1s to 90d (--token-max-lifetime)",
        ),
    ] {
        let answer = srv.post("/admin/databases/app/tokens", body.clone()).await;
        assert_error(&answer, 400, "invalid_request");
        assert!(
            answer.1.to_string().contains(needle),
            "{body} -> {}",
            answer.1
        );
    }
    let answer = srv
        .post("/admin/databases/app/tokens", json!({"access": "admin"}))
        .await;
    assert_error(&answer, 400, "invalid_json");
    let answer = srv
        .post(
            "/admin/databases/nowhere/tokens",
            json!({"access": "read_only"}),
        )
        .await;
    assert_error(&answer, 404, "database_not_found");
}

#[tokio::test]
async fn the_public_key_is_published_as_jwks_and_verifies_tokens() {
    let srv = two_databases().await;
    let (status, jwks) = srv.get_public("/.well-known/jwks.json").await;
    assert_eq!(status, StatusCode::OK, "{jwks}");
    let key = &jwks["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["crv"].as_str(),
            key["alg"].as_str()
        ),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    let token = mint(&srv, "app", json!({"access": "read_only"})).await;
    // An outside verifier with nothing but the JWKS.
    let header = jsonwebtoken::decode_header(&token).expect("header");
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.clone()).expect("a JWK");
    let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("decoding key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_issuer(&["dbforge"]);
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Value>(&token, &decoding, &validation).expect("verified");
    assert_eq!(claims.claims["sub"], "app");
    assert_eq!(claims.claims["access"], "read_only");
}
