//! Admin API: spawn, list, inspect, prune; names; auth.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{KEY, TestServer, assert_error};

#[tokio::test]
async fn spawn_returns_201_with_details_and_creates_a_plain_sqlite_file() {
    let srv = TestServer::start().await;
    let (status, body) = srv.post_empty("/admin/databases/spawn/orders-1").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["name"], "orders-1");
    assert_eq!(body["table_count"], 0);
    assert_eq!(body["max_size_bytes"], 1u64 << 30);
    let path = srv.dir.path().join("orders-1.db");
    let conn = rusqlite::Connection::open(&path).expect("a plain SQLite file");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn spawn_returns_409_when_the_database_exists() {
    let srv = TestServer::start().await;
    srv.spawn_db("twice").await;
    assert_error(
        &srv.post_empty("/admin/databases/spawn/twice").await,
        409,
        "database_exists",
    );
}

#[tokio::test]
async fn invalid_names_get_400_and_touch_no_file_outside_the_data_dir() {
    let srv = TestServer::start().await;
    let long = "a".repeat(65);
    // ("." and ".." segments never reach the server: HTTP clients resolve them away.)
    for bad in [
        "a..b",
        "Upper",
        "-x",
        "_x",
        "a.b",
        "..%2Fetc",
        "a%2Fb",
        "%2Fetc%2Fpasswd",
        "a%00b",
        "%D0%B0",
        "a%20b",
        long.as_str(),
    ] {
        let response = srv
            .post_empty(&format!("/admin/databases/spawn/{bad}"))
            .await;
        assert_error(&response, 400, "invalid_database_name");
        let response = srv.query(bad, json!({"sql": "select 1"})).await;
        assert_error(&response, 400, "invalid_database_name");
    }
    let parent = srv.dir.path().parent().expect("parent");
    assert!(!parent.join(".db").exists() && !parent.join("..db").exists());
    let entries: Vec<_> = std::fs::read_dir(srv.dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        entries,
        vec![std::ffi::OsString::from("_forge")],
        "nothing but the catalog"
    );
    // A 64-character name is the longest valid one.
    srv.spawn_db(&"a".repeat(64)).await;
}

#[tokio::test]
async fn spawn_takes_per_database_limits_and_refuses_bad_bodies() {
    let srv = TestServer::start().await;
    let (status, body) = srv
        .post(
            "/admin/databases/spawn/small",
            json!({"limits": {"max_size_bytes": 65536}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["max_size_bytes"], 65536);
    assert_error(
        &srv.post(
            "/admin/databases/spawn/b1",
            json!({"limits": {"max_size": 1}}),
        )
        .await,
        400,
        "invalid_json",
    );
    let response = srv
        .client
        .post(srv.url("/admin/databases/spawn/b2"))
        .header("x-api-key", KEY)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn list_is_paginated_by_name_with_a_cursor_and_prefix() {
    let srv = TestServer::start().await;
    for i in 0..25 {
        srv.spawn_db(&format!("db-{i:02}")).await;
    }
    srv.spawn_db("other").await;
    let (status, page) = srv.get("/admin/databases?limit=10&prefix=db-").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 25);
    let names: Vec<String> = page["databases"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| d["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names.first().map(String::as_str), Some("db-00"));
    assert_eq!(names.len(), 10);
    let mut seen = names;
    let mut cursor = page["next_cursor"].as_str().map(str::to_owned);
    while let Some(after) = cursor {
        let (_, page) = srv
            .get(&format!(
                "/admin/databases?limit=10&prefix=db-&after={after}"
            ))
            .await;
        seen.extend(
            page["databases"]
                .as_array()
                .expect("list")
                .iter()
                .map(|d| d["name"].as_str().unwrap_or_default().to_owned()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    let expected: Vec<String> = (0..25).map(|i| format!("db-{i:02}")).collect();
    assert_eq!(seen, expected);
    let (_, all) = srv.get("/admin/databases").await;
    assert_eq!(all["total"], 26);
    assert!(all["next_cursor"].is_null());
    assert_error(
        &srv.get("/admin/databases?limit=0").await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.get("/admin/databases?limit=abc").await,
        400,
        "invalid_request",
    );
}

#[tokio::test]
async fn details_report_size_tables_and_open_state() {
    let srv = TestServer::start().await;
    srv.spawn_db("info").await;
    srv.sql(
        "info",
        "create table a(x); create table b(y); insert into a values (randomblob(10000))",
        json!(null),
    )
    .await;
    let (status, body) = srv.get("/admin/databases/info").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["table_count"], 2);
    assert_eq!(body["open"], true);
    assert!(
        body["size_bytes"].as_u64().is_some_and(|s| s > 10_000),
        "{body}"
    );
    assert_error(
        &srv.get("/admin/databases/missing").await,
        404,
        "database_not_found",
    );
}

#[tokio::test]
async fn prune_deletes_the_database_and_its_files() {
    let srv = TestServer::start().await;
    srv.spawn_db("gone").await;
    srv.sql(
        "gone",
        "create table t(x); insert into t values (1)",
        json!(null),
    )
    .await;
    let (status, body) = srv.post_empty("/admin/databases/prune/gone").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["deleted"], "gone");
    for suffix in [".db", ".db-wal", ".db-shm"] {
        assert!(
            !srv.dir.path().join(format!("gone{suffix}")).exists(),
            "{suffix} left behind"
        );
    }
    assert_error(
        &srv.query("gone", json!({"sql": "select 1"})).await,
        404,
        "database_not_found",
    );
    assert_error(
        &srv.post_empty("/admin/databases/prune/gone").await,
        404,
        "database_not_found",
    );
    // The name is free again, and the new database starts empty.
    srv.spawn_db("gone").await;
    let (status, body) = srv.query("gone", json!({"sql": "select * from t"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // DELETE /admin/databases/{name} is the same operation.
    let response = srv
        .client
        .delete(srv.url("/admin/databases/gone"))
        .header("x-api-key", KEY)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_protected_route_needs_a_valid_key_in_either_header() {
    let srv = TestServer::start().await;
    srv.spawn_db("secret").await;
    let routes = [
        ("GET", "/admin/databases"),
        ("GET", "/admin/databases/secret"),
        ("POST", "/admin/databases/spawn/new"),
        ("POST", "/admin/databases/prune/secret"),
        ("GET", "/admin/gateway/stats"),
        ("POST", "/api/db/secret/query"),
        ("GET", "/api/db/secret/tables"),
        ("GET", "/api/db/secret/tables/t/rows"),
    ];
    for (method, path) in routes {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        for auth in [
            None,
            Some(("x-api-key", "wrong")),
            Some(("authorization", "Bearer wrong")),
        ] {
            let mut request = srv
                .client
                .request(method.clone(), srv.url(path))
                .json(&json!({"sql": "select 1"}));
            if let Some((header, value)) = auth {
                request = request.header(header, value);
            }
            let response = request.send().await.expect("sent");
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {auth:?}"
            );
            let body: serde_json::Value = response.json().await.expect("json");
            assert_eq!(body["error"]["code"], "unauthorized");
        }
    }
    let bearer = srv
        .client
        .get(srv.url("/admin/databases"))
        .header("authorization", format!("Bearer {KEY}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(bearer.status(), StatusCode::OK);
    // Without a valid key, an existing and a missing database answer the same.
    let probe = |name: &'static str| {
        srv.client
            .post(srv.url(&format!("/api/db/{name}/query")))
            .header("x-api-key", "wrong")
            .json(&json!({"sql": "select 1"}))
            .send()
    };
    let (existing, missing) = (
        probe("secret").await.expect("sent"),
        probe("nothing").await.expect("sent"),
    );
    assert_eq!(existing.status(), missing.status());
    assert_eq!(existing.text().await.ok(), missing.text().await.ok());
}

#[tokio::test]
async fn stats_count_the_tables_and_rows_routes_as_queries() {
    let srv = TestServer::start().await;
    srv.spawn_db("t1").await;
    let queries = || async {
        let (_, stats) = srv.get("/admin/gateway/stats").await;
        (
            stats["queries_total"].as_u64().unwrap_or(u64::MAX),
            stats["query_errors_total"].as_u64().unwrap_or(u64::MAX),
        )
    };
    let before = queries().await;
    let (status, _) = srv
        .post(
            "/api/db/t1/tables",
            json!({"name": "items", "columns": [{"name": "id", "type": "INTEGER", "primary_key": true}, {"name": "label", "type": "TEXT"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = srv
        .post(
            "/api/db/t1/tables/items/rows",
            json!({"rows": [{"label": "a"}, {"label": "b"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(srv.get("/api/db/t1/tables").await.0, StatusCode::OK);
    assert_eq!(srv.get("/api/db/t1/tables/items").await.0, StatusCode::OK);
    assert_eq!(
        srv.get("/api/db/t1/tables/items/rows").await.0,
        StatusCode::OK
    );
    let (status, _) = srv.get("/api/db/t1/tables/nothing/rows").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let after = queries().await;
    // Creating a table is one query (it answers the new schema from the same operation);
    // each of the other five calls is one, the last a failed one.
    assert_eq!(after.0 - before.0, 6, "queries: {before:?} -> {after:?}");
    assert_eq!(after.1 - before.1, 1, "errors: {before:?} -> {after:?}");
}

#[tokio::test]
async fn stats_count_databases_requests_queries_and_commits() {
    let srv = TestServer::start().await;
    srv.spawn_db("s1").await;
    srv.spawn_db("s2").await;
    srv.sql("s1", "create table t(x)", json!(null)).await;
    for i in 0..5 {
        srv.sql("s1", "insert into t values (?)", json!([i])).await;
    }
    let _ = srv
        .query("s1", json!({"sql": "select * from nowhere"}))
        .await;
    let (status, stats) = srv.get("/admin/gateway/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats["database_count"], 2);
    assert_eq!(stats["queries_total"], 7);
    assert_eq!(stats["query_errors_total"], 1);
    assert!(
        stats["requests_total"].as_u64().is_some_and(|n| n >= 9),
        "{stats}"
    );
    assert!(
        stats["commits_total"].as_u64().is_some_and(|n| n >= 6),
        "{stats}"
    );
    assert!(stats["total_bytes"].as_u64().is_some_and(|n| n > 0));
    assert!(
        stats["query_latency"]["p99_ms"]
            .as_f64()
            .is_some_and(|p| p > 0.0)
    );
    assert_eq!(stats["query_latency"]["count"], 7);
}

#[tokio::test]
async fn the_open_cache_stays_bounded_and_idle_databases_close() {
    let srv = TestServer::with(&["--max-open-databases", "4", "--idle-timeout", "300ms"]).await;
    for i in 0..12 {
        let name = format!("c{i}");
        srv.spawn_db(&name).await;
        srv.sql(
            &name,
            "create table t(x); insert into t values (1)",
            json!(null),
        )
        .await;
    }
    // Eviction happens on a background thread: give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (_, stats) = srv.get("/admin/gateway/stats").await;
    assert!(
        stats["open_databases"].as_u64().is_some_and(|n| n <= 4),
        "{stats}"
    );
    // Every database still answers (reopened on demand) with its data.
    for i in 0..12 {
        let body = srv
            .sql(&format!("c{i}"), "select count(*) as n from t", json!(null))
            .await;
        assert_eq!(body["rows"][0]["n"], 1);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (_, stats) = srv.get("/admin/gateway/stats").await;
    assert_eq!(stats["open_databases"], 0, "{stats}");
}

#[tokio::test]
async fn concurrent_spawns_of_one_name_create_it_exactly_once() {
    let srv = TestServer::start().await;
    let attempts = (0..8).map(|_| srv.post_empty("/admin/databases/spawn/race"));
    let results = futures::future::join_all(attempts).await;
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let conflicts = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 7));
}

#[tokio::test]
async fn the_catalog_survives_a_restart() {
    let srv = TestServer::start().await;
    srv.post(
        "/admin/databases/spawn/kept",
        json!({"limits": {"max_size_bytes": 1048576}}),
    )
    .await;
    srv.sql(
        "kept",
        "create table t(x); insert into t values ('still here')",
        json!(null),
    )
    .await;
    let dir = srv.stop().await;
    let srv = TestServer::in_dir(dir, &[]).await;
    let (_, info) = srv.get("/admin/databases/kept").await;
    assert_eq!(info["max_size_bytes"], 1048576);
    assert_eq!(info["table_count"], 1);
    let body = srv.sql("kept", "select x from t", json!(null)).await;
    assert_eq!(body["rows"][0]["x"], "still here");
}
