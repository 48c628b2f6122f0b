//! Roles over HTTP: a read-only key reads through every front (REST query, tables, rows,
//! libSQL's pipeline and read transactions) and every write it tries is refused with 403
//! `forbidden` (libSQL: `FORBIDDEN`), the data unchanged; a stream is used only by the
//! credential that opened it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error};

/// A server with database `app` (table `t` holding one row) and a read-only key for it.
async fn read_only_setup() -> (TestServer, String) {
    let srv = TestServer::start().await;
    srv.spawn_db("app").await;
    srv.sql(
        "app",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('kept')",
        json!([]),
    )
    .await;
    let (_, key) = srv
        .create_key(json!({"name": "reader", "role": "read_only", "databases": ["app"]}))
        .await;
    (srv, key)
}

async fn rows_of_t(srv: &TestServer) -> Value {
    srv.sql("app", "SELECT id, v FROM t ORDER BY id", json!([]))
        .await["rows"]
        .clone()
}

async fn pipeline(srv: &TestServer, key: &str, baton: Value, requests: Value) -> Value {
    let (status, body) = srv
        .with_key(
            key,
            Method::POST,
            "/hrana/app/v3/pipeline",
            Some(json!({"baton": baton, "requests": requests})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn execute(sql: &str) -> Value {
    json!({"type": "execute", "stmt": {"sql": sql}})
}

fn outcome(result: &Value) -> &str {
    match result["type"].as_str() {
        Some("ok") => "ok",
        _ => result["error"]["code"].as_str().unwrap_or("?"),
    }
}

#[tokio::test]
async fn a_read_only_key_reads_on_every_front() {
    let (srv, key) = read_only_setup().await;
    let (status, body) = srv
        .with_key(
            &key,
            Method::POST,
            "/api/db/app/query",
            Some(json!({"sql": "SELECT v FROM t"})),
        )
        .await;
    assert_eq!(
        (status, &body["rows"]),
        (StatusCode::OK, &json!([{"v": "kept"}]))
    );
    for path in [
        "/api/db/app/tables",
        "/api/db/app/tables/t",
        "/api/db/app/tables/t/rows",
    ] {
        let (status, body) = srv.with_key(&key, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let body = pipeline(
        &srv,
        &key,
        Value::Null,
        json!([execute("BEGIN TRANSACTION READONLY"), execute("SELECT count(*) FROM t"),
               execute("COMMIT"), {"type": "close"}]),
    )
    .await;
    let outcomes: Vec<&str> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(outcome)
        .collect();
    assert_eq!(outcomes, ["ok", "ok", "ok", "ok"], "{body}");
}

#[tokio::test]
async fn a_read_only_key_is_refused_every_write_over_rest() {
    let (srv, key) = read_only_setup().await;
    let post = |path: &'static str, body: Value| srv.with_key(&key, Method::POST, path, Some(body));
    for sql in [
        "INSERT INTO t (v) VALUES ('x')",
        "WITH n(v) AS (SELECT 'x') INSERT INTO t (v) SELECT v FROM n",
        "REPLACE INTO t (id, v) VALUES (1, 'x')",
        "PRAGMA user_version = 5",
        "DROP TABLE t",
        "SELECT 1; DELETE FROM t",
    ] {
        let refused = post("/api/db/app/query", json!({"sql": sql})).await;
        assert_error(&refused, 403, "forbidden");
    }
    let batch = post(
        "/api/db/app/query",
        json!({"statements": [{"sql": "SELECT 1"}, {"sql": "UPDATE t SET v = 'x'"}]}),
    )
    .await;
    assert_error(&batch, 403, "forbidden");
    let message = batch.1["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("statement 2:"), "{message}");
    assert_error(
        &post("/api/db/app/tables/t/rows", json!({"rows": [{"v": "x"}]})).await,
        403,
        "forbidden",
    );
    assert_error(
        &post(
            "/api/db/app/tables",
            json!({"name": "u", "columns": [{"name": "x", "type": "TEXT"}]}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_eq!(rows_of_t(&srv).await, json!([{"id": 1, "v": "kept"}]));
    assert_eq!(
        srv.sql("app", "PRAGMA user_version", json!([])).await["rows"],
        json!([{"user_version": 0}])
    );
}

#[tokio::test]
async fn a_read_only_key_is_refused_every_write_over_libsql() {
    let (srv, key) = read_only_setup().await;
    let body = pipeline(
        &srv,
        &key,
        Value::Null,
        json!([
            execute("INSERT INTO t (v) VALUES ('x')"),
            execute("BEGIN"),
            execute("BEGIN IMMEDIATE"),
            execute("SAVEPOINT s"),
            execute("BEGIN TRANSACTION READONLY"),
            execute("DELETE FROM t"),
            execute("ROLLBACK"),
            {"type": "batch", "batch": {"steps": [
                {"stmt": {"sql": "SELECT 1"}},
                {"stmt": {"sql": "UPDATE t SET v = 'x'"}}
            ]}},
            {"type": "close"}
        ]),
    )
    .await;
    let results = body["results"].as_array().expect("results");
    let outcomes: Vec<&str> = results.iter().map(outcome).collect();
    assert_eq!(
        outcomes[..7],
        [
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "FORBIDDEN",
            "ok",
            "FORBIDDEN",
            "ok"
        ],
        "{body}"
    );
    let steps = &results[7]["response"]["result"]["step_errors"];
    assert_eq!(steps[1]["code"], "FORBIDDEN", "{body}");
    assert_eq!(rows_of_t(&srv).await, json!([{"id": 1, "v": "kept"}]));
}

#[tokio::test]
async fn a_stream_is_used_only_by_the_credential_that_opened_it() {
    let srv = TestServer::start().await;
    srv.spawn_db("app").await;
    let (_, writer) = srv
        .create_key(json!({"name": "writer", "role": "read_write", "databases": ["app"]}))
        .await;
    let (_, reader) = srv
        .create_key(json!({"name": "reader", "role": "read_only", "databases": ["app"]}))
        .await;
    let opened = pipeline(&srv, &writer, Value::Null, json!([execute("BEGIN")])).await;
    let baton = opened["baton"].clone();
    assert!(baton.is_string(), "{opened}");
    // The read-only key presents the writer's baton: it must not borrow the transaction.
    let (status, body) = srv
        .with_key(
            &reader,
            Method::POST,
            "/hrana/app/v3/pipeline",
            Some(json!({"baton": baton, "requests": [execute("CREATE TABLE stolen (x)")]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "BATON_INVALID", "{body}");
    // The owner's stream is intact.
    let done = pipeline(
        &srv,
        &writer,
        baton,
        json!([execute("COMMIT"), {"type": "close"}]),
    )
    .await;
    let outcomes: Vec<&str> = done["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(outcome)
        .collect();
    assert_eq!(outcomes, ["ok", "ok"], "{done}");
    let tables = srv
        .sql("app", "SELECT count(*) AS n FROM sqlite_schema", json!([]))
        .await;
    assert_eq!(tables["rows"], json!([{"n": 0}]));
}
