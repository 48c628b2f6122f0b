//! The endpoints behind the dashboard: activity, traffic time series, effective
//! configuration, and the sorted, searched database listing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{KEY, TestServer, assert_error};

fn entries(body: &Value) -> &Vec<Value> {
    body["entries"].as_array().expect("entries")
}

#[tokio::test]
async fn activity_lists_recent_requests_newest_first_with_key_id_but_never_the_key() {
    let srv = TestServer::start().await;
    srv.spawn_db("act").await;
    srv.sql("act", "select 1", json!(null)).await;
    let wrong_key = srv
        .send(
            srv.client
                .get(srv.url("/admin/databases"))
                .header("x-api-key", "wrong"),
        )
        .await;
    assert_eq!(wrong_key.0, StatusCode::UNAUTHORIZED);
    // Observing the gateway is not traffic: the dashboard's polling, health checks and metric
    // scrapes stay out of the log.
    for path in [
        "/admin/gateway/stats",
        "/admin/gateway/timeseries",
        "/admin/activity",
    ] {
        assert_eq!(srv.get(path).await.0, StatusCode::OK, "{path}");
    }
    for path in ["/health", "/ready"] {
        let response = srv.client.get(srv.url(path)).send().await.expect(path);
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let (status, body) = srv.get("/admin/activity").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = entries(&body);
    // A refused key is not logged: anyone can send one, and a flood of them would push the
    // real traffic out of the ring.
    assert_eq!(list.len(), 2, "{body}");
    assert!(list.iter().all(|e| e["status"] != 401), "{body}");
    let query = &list[0];
    assert_eq!(query["method"], "POST");
    assert_eq!(query["route"], "/api/db/{name}/query");
    assert_eq!(query["database"], "act");
    assert_eq!(query["status"], 200);
    assert!(query["duration_ms"].as_f64().is_some_and(|d| d >= 0.0));
    assert!(query["at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let key_id = query["key_id"].as_str().expect("an accepted key has an id");
    assert!(!key_id.is_empty() && !KEY.contains(key_id));
    assert_eq!(list[1]["route"], "/admin/databases/spawn/{name}");
    assert!(list[0]["id"].as_u64() > list[1]["id"].as_u64());
    assert!(!body.to_string().contains(KEY), "the key never appears");
    assert!(body["capacity"].as_u64().is_some_and(|c| c >= 1000));
    assert_eq!(body["next_before"], Value::Null);
}

#[tokio::test]
async fn activity_filters_by_database_status_route_method_and_pages_back() {
    let srv = TestServer::start().await;
    srv.spawn_db("a").await;
    srv.spawn_db("b").await;
    for _ in 0..3 {
        srv.sql("a", "select 1", json!(null)).await;
    }
    let (status, _) = srv
        .query("b", json!({"sql": "select * from nowhere"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, body) = srv.get("/admin/activity?database=a&route=query").await;
    assert_eq!(entries(&body).len(), 3, "{body}");
    let (_, body) = srv.get("/admin/activity?status=4xx").await;
    assert_eq!(entries(&body).len(), 1, "{body}");
    assert_eq!(entries(&body)[0]["database"], "b");
    let (_, body) = srv.get("/admin/activity?status=error&database=a").await;
    assert!(entries(&body).is_empty(), "{body}");
    let (_, body) = srv.get("/admin/activity?method=post&status=201").await;
    assert_eq!(entries(&body).len(), 2, "two spawns: {body}");

    let (_, first) = srv.get("/admin/activity?limit=2").await;
    assert_eq!(entries(&first).len(), 2);
    let before = first["next_before"].as_u64().expect("more pages");
    let (_, second) = srv
        .get(&format!("/admin/activity?limit=2&before={before}"))
        .await;
    assert!(
        entries(&second)
            .iter()
            .all(|e| e["id"].as_u64() < Some(before))
    );
}

#[tokio::test]
async fn activity_refuses_bad_filters_with_the_error_envelope() {
    let srv = TestServer::start().await;
    for query in [
        "limit=0",
        "limit=999999",
        "status=9xx",
        "status=teapot",
        "before=-1",
        "colour=red",
    ] {
        assert_error(
            &srv.get(&format!("/admin/activity?{query}")).await,
            400,
            "invalid_request",
        );
    }
    assert_error(
        &srv.get_public("/admin/activity").await,
        401,
        "unauthorized",
    );
}

#[tokio::test]
async fn timeseries_counts_requests_errors_and_query_latency_per_interval() {
    let srv = TestServer::start().await;
    srv.spawn_db("ts").await;
    for _ in 0..4 {
        srv.sql("ts", "select 1", json!(null)).await;
    }
    let (status, _) = srv.query("ts", json!({"sql": "select nope"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = srv.get("/admin/gateway/timeseries").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["interval_seconds"], 2.0);
    let points = body["points"].as_array().expect("points");
    let sum = |field: &str| {
        points
            .iter()
            .map(|p| p[field].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    assert_eq!(
        sum("requests"),
        6,
        "spawn, four queries, one failed: {body}"
    );
    assert_eq!(sum("client_errors"), 1);
    assert_eq!(sum("server_errors"), 0);
    assert_eq!(sum("queries"), 5);
    assert_eq!(sum("query_errors"), 1);
    let with_queries = points.iter().filter(|p| p["queries"].as_u64() > Some(0));
    for point in with_queries {
        assert!(point["query_p99_ms"].as_f64() >= point["query_p50_ms"].as_f64());
        assert!(point["query_p50_ms"].as_f64() > Some(0.0));
    }
    let busiest = body["busiest"].as_array().expect("busiest");
    assert_eq!(busiest[0]["name"], "ts");
    assert_eq!(busiest[0]["requests"], 6);
    assert_eq!(busiest[0]["errors"], 1);
}

#[tokio::test]
async fn config_shows_the_effective_settings_with_the_key_masked() {
    let srv = TestServer::with(&[
        "--max-result-rows",
        "1234",
        "--statement-timeout",
        "3s",
        "--write-transaction-timeout",
        "7s",
    ])
    .await;
    let (status, body) = srv.get("/admin/config").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The address served on, not the `--listen 127.0.0.1:0` asked for.
    assert_eq!(
        format!("http://{}", body["listen"].as_str().unwrap_or_default()),
        srv.url
    );
    assert_eq!(body["limits"]["max_result_rows"], 1234);
    assert_eq!(body["limits"]["write_transaction_timeout_ms"], 7000);
    assert_eq!(body["limits"]["stream_idle_timeout_ms"], 300_000);
    assert_eq!(body["limits"]["statement_timeout_ms"], 3000);
    assert_eq!(body["limits"]["max_open_databases"], 256);
    assert_eq!(body["admin_key_source"], "configured");
    assert_eq!(body["admin_key"], "********");
    assert_eq!(body["durability"], "full");
    assert_eq!(body["dev"], false);
    assert!(body["data_dir"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(
        !body.to_string().contains(KEY),
        "the key never appears: {body}"
    );
    assert_error(&srv.get_public("/admin/config").await, 401, "unauthorized");
}

fn names(body: &Value) -> Vec<&str> {
    body["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect()
}

#[tokio::test]
async fn databases_sort_by_any_column_search_by_substring_and_page_by_offset() {
    let srv = TestServer::start().await;
    for name in ["alpha", "beta-shop", "gamma-shop", "delta"] {
        srv.spawn_db(name).await;
    }
    srv.sql(
        "gamma-shop",
        "create table t(x); create table u(y)",
        json!(null),
    )
    .await;
    srv.sql(
        "beta-shop",
        "create table big(b); insert into big select randomblob(20000) from (select 1 union select 2 union select 3)",
        json!(null),
    )
    .await;

    let (status, body) = srv.get("/admin/databases?search=shop").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body), ["beta-shop", "gamma-shop"]);
    assert_eq!(body["total"], 2);
    assert_eq!(body["next_cursor"], Value::Null);

    let (_, body) = srv
        .get("/admin/databases?sort=tables&order=desc&limit=1")
        .await;
    assert_eq!(names(&body), ["gamma-shop"]);
    assert_eq!(body["total"], 4);
    let (_, body) = srv
        .get("/admin/databases?sort=size&order=desc&limit=1")
        .await;
    assert_eq!(names(&body), ["beta-shop"]);
    let (_, body) = srv
        .get("/admin/databases?sort=created&order=asc&limit=2&offset=1")
        .await;
    assert_eq!(
        names(&body),
        ["beta-shop", "gamma-shop"],
        "creation order, second page"
    );
    let (_, body) = srv
        .get("/admin/databases?sort=name&order=desc&offset=0&limit=10")
        .await;
    assert_eq!(names(&body), ["gamma-shop", "delta", "beta-shop", "alpha"]);

    assert_error(
        &srv.get("/admin/databases?sort=colour").await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.get("/admin/databases?order=sideways").await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.get("/admin/databases?sort=size&after=alpha").await,
        400,
        "invalid_request",
    );
}

/// Name order, which the dashboard asks for as `sort=name&order=asc&offset=0`, is the
/// catalog's own: it pages in place by offset as well as by cursor, with a `next_cursor`
/// while there is more.
#[tokio::test]
async fn name_order_pages_by_offset_or_cursor_without_sorting() {
    let srv = TestServer::start().await;
    for name in ["gamma", "alpha", "delta", "beta"] {
        srv.spawn_db(name).await;
    }
    let (status, body) = srv
        .get("/admin/databases?sort=name&order=asc&offset=0&limit=2")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body), ["alpha", "beta"]);
    assert_eq!(body["total"], 4);
    assert_eq!(body["next_cursor"], "beta", "name order has a cursor");
    let (_, body) = srv.get("/admin/databases?sort=name&offset=2&limit=2").await;
    assert_eq!(names(&body), ["delta", "gamma"]);
    assert_eq!(body["next_cursor"], Value::Null, "the last page");
    let (_, body) = srv.get("/admin/databases?offset=1&limit=2&prefix=ga").await;
    assert_eq!(names(&body), Vec::<&str>::new(), "past the one match");
    assert_eq!(body["total"], 1);
    let (_, body) = srv.get("/admin/databases?after=beta&limit=1").await;
    assert_eq!(names(&body), ["delta"]);
    assert_eq!(body["next_cursor"], "delta");
    assert_error(
        &srv.get("/admin/databases?after=alpha&offset=1").await,
        400,
        "invalid_request",
    );
}

/// Sizes for the size order come from a shared measurement, but a database this gateway has
/// open is statted afresh: a write shows in the order at once.
#[tokio::test]
async fn size_order_sees_a_write_at_once() {
    let srv = TestServer::start().await;
    for name in ["alpha", "beta", "gamma"] {
        srv.spawn_db(name).await;
    }
    let (status, body) = srv.get("/admin/databases?sort=size&order=desc").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 3);
    for (name, rows) in [("beta", 2), ("gamma", 6)] {
        srv.sql(
            name,
            &format!(
                "create table big(b); with recursive n(i) as (select 1 union all \
                 select i + 1 from n where i < {rows}) insert into big select randomblob(20000) from n"
            ),
            json!(null),
        )
        .await;
    }
    let (_, body) = srv.get("/admin/databases?sort=size&order=desc").await;
    assert_eq!(names(&body), ["gamma", "beta", "alpha"]);
    let sizes: Vec<u64> = body["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .filter_map(|d| d["size_bytes"].as_u64())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
}
