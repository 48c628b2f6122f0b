//! Operations surface: health, readiness, metrics, API docs, unknown routes and request ids.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestServer, assert_error};

#[tokio::test]
async fn health_and_ready_answer_without_a_key() {
    let srv = TestServer::start().await;
    let health = srv
        .client
        .get(srv.url("/health"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        health.headers().get("x-request-id").is_some(),
        "every response carries a request id"
    );
    let ready = srv
        .client
        .get(srv.url("/ready"))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), StatusCode::OK);
}

#[tokio::test]
async fn metrics_expose_requests_queries_commits_and_databases() {
    let srv = TestServer::start().await;
    srv.spawn_db("m").await;
    srv.sql(
        "m",
        "create table t(x); insert into t values (1)",
        json!(null),
    )
    .await;
    srv.sql("m", "select * from t", json!(null)).await;
    let response = srv
        .client
        .get(srv.url("/metrics"))
        .header("x-api-key", crate::support::KEY)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/plain"))
    );
    let text = response.text().await.expect("text");
    for family in [
        "http_requests_total{",
        "http_request_duration_seconds_bucket{",
        "dbforge_queries_total{",
        "dbforge_query_duration_seconds_bucket",
        "dbforge_commits_total",
        "dbforge_group_commit_requests_bucket",
        "dbforge_open_databases",
        "dbforge_databases",
        "dbforge_disk_bytes",
    ] {
        assert!(text.contains(family), "missing {family} in:\n{text}");
    }
    assert!(
        text.contains("route=\"/api/db/{name}/query\""),
        "routes are labelled by pattern, not by URI"
    );
    assert!(
        !text.contains("/api/db/m/query"),
        "raw URIs would make labels unbounded"
    );
}

#[tokio::test]
async fn openapi_describes_every_route_and_docs_are_served_offline() {
    let srv = TestServer::start().await;
    let (_, spec) = srv.get_public("/openapi.json").await;
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    let paths = spec["paths"].as_object().expect("paths");
    for path in [
        "/admin/databases",
        "/admin/databases/spawn/{name}",
        "/admin/databases/prune/{name}",
        "/admin/databases/{name}",
        "/admin/gateway/stats",
        "/admin/gateway/timeseries",
        "/admin/activity",
        "/admin/config",
        "/api/db/{name}/query",
        "/api/db/{name}/tables",
        "/api/db/{name}/tables/{table}",
        "/api/db/{name}/tables/{table}/rows",
        "/health",
        "/ready",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(spec["components"]["schemas"]["QueryRequest"].is_object());
    assert!(spec["components"]["securitySchemes"]["api_key"].is_object());
    let docs = srv
        .client
        .get(srv.url("/docs/"))
        .send()
        .await
        .expect("sent");
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.expect("html");
    assert!(html.contains("swagger"), "Swagger UI page");
    assert!(
        !html.contains("https://"),
        "no asset is loaded from the internet"
    );
    let bundle = srv
        .client
        .get(srv.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        bundle.status(),
        StatusCode::OK,
        "the explorer's assets are embedded"
    );
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_json() {
    let srv = TestServer::start().await;
    assert_error(
        &srv.get_public("/api/no/such/route").await,
        404,
        "route_not_found",
    );
    let wrong_method = srv.send(srv.client.delete(srv.url("/health"))).await;
    assert_error(&wrong_method, 405, "method_not_allowed");
}

#[tokio::test]
async fn every_error_code_is_documented_in_api_md() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/API.md"))
        .expect("docs/API.md");
    for code in dbforge_api::ErrorCode::ALL {
        let row = format!("| `{}` | {} |", code.as_str(), code.http_status());
        assert!(
            doc.contains(&row),
            "docs/API.md lacks the row starting {row}"
        );
    }
}

/// The OpenAPI document is kept in `docs/openapi.json`, so that any change to the API shows up
/// in review. After an intended change: `UPDATE_OPENAPI=1 ./scripts/test`.
#[tokio::test]
async fn the_openapi_document_matches_the_committed_copy() {
    let srv = TestServer::start().await;
    let (_, live) = srv.get_public("/openapi.json").await;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let pretty = serde_json::to_string_pretty(&live).expect("serializable") + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &pretty).expect("write docs/openapi.json");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == pretty,
        "the API changed: review the difference and run UPDATE_OPENAPI=1 ./scripts/test to accept it"
    );
}

#[tokio::test]
async fn metrics_need_an_admin_key_unless_opened() {
    let srv = TestServer::start().await;
    srv.spawn_db("app").await;
    let get = |key: Option<&str>| {
        let mut request = srv.client.get(srv.url("/metrics"));
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        async move {
            let response = request.send().await.expect("sent");
            let status = response.status();
            let text = response.text().await.expect("body");
            (status, text)
        }
    };
    let (status, body) = get(None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(!body.contains("http_requests_total"), "{body}");
    let (_, key) = srv
        .create_key(json!({"name": "app", "role": "read_write", "databases": ["app"]}))
        .await;
    let (status, body) = get(Some(&key)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = get(Some(crate::support::KEY)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("http_requests_total"), "{body}");

    let open = TestServer::with(&["--metrics-public"]).await;
    let response = open
        .client
        .get(open.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn cross_origin_calls_are_allowed_only_from_configured_origins() {
    let preflight = |srv: &TestServer, origin: &str| {
        srv.client
            .request(reqwest::Method::OPTIONS, srv.url("/api/db/app/query"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "x-api-key, content-type")
            .send()
    };
    let allowed = |response: &reqwest::Response| {
        response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let closed = TestServer::start().await;
    let answer = preflight(&closed, "https://app.example.com")
        .await
        .expect("sent");
    assert_eq!(allowed(&answer), None, "no origin is allowed by default");

    let open = TestServer::with(&["--cors-origin", "https://app.example.com"]).await;
    open.spawn_db("app").await;
    let answer = preflight(&open, "https://app.example.com")
        .await
        .expect("sent");
    assert!(answer.status().is_success(), "{:?}", answer.status());
    assert_eq!(allowed(&answer).as_deref(), Some("https://app.example.com"));
    let headers = answer
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(headers.contains("x-api-key"), "{headers}");
    let other = preflight(&open, "https://evil.example")
        .await
        .expect("sent");
    assert_eq!(allowed(&other), None);
    // The actual call still needs a key.
    let call = open
        .client
        .post(open.url("/api/db/app/query"))
        .header("origin", "https://app.example.com")
        .json(&json!({"sql": "SELECT 1"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(call.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(allowed(&call).as_deref(), Some("https://app.example.com"));
}
