//! Isolation and limits: what user SQL may not do, and how runaway or oversized requests end.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestServer, assert_error};

#[tokio::test]
async fn escape_hatches_are_refused_and_write_no_file() {
    let srv = TestServer::start().await;
    srv.spawn_db("jail").await;
    let outside = srv
        .dir
        .path()
        .parent()
        .expect("parent")
        .join(format!("escape-{}.db", std::process::id()));
    let outside = outside.to_str().expect("utf-8");
    for sql in [
        format!("attach database '{outside}' as x"),
        "detach database main".to_owned(),
        format!("vacuum into '{outside}'"),
        "select load_extension('/lib/x86_64-linux-gnu/libc.so.6')".to_owned(),
        "pragma max_page_count = 2147483647".to_owned(),
        "pragma writable_schema = 1".to_owned(),
        "pragma journal_mode = delete".to_owned(),
        "pragma database_list".to_owned(),
        "create temp table tt(x)".to_owned(),
        "begin".to_owned(),
        "commit".to_owned(),
        "savepoint s".to_owned(),
    ] {
        let (status, body) = srv.query("jail", json!({"sql": sql})).await;
        assert!(status.is_client_error(), "{sql} was allowed: {body}");
        assert!(
            ["statement_not_allowed", "sql_error"]
                .contains(&body["error"]["code"].as_str().unwrap_or_default()),
            "{sql}: {body}"
        );
    }
    assert!(
        !std::path::Path::new(outside).exists(),
        "a file was written outside the data dir"
    );
    // The refusals that the sandbox itself decides say so with their own code.
    for sql in [
        "attach database 'x.db' as x",
        "select load_extension('x')",
        "pragma cache_size = 1",
        "create temp view v as select 1",
        "begin",
    ] {
        let response = srv.query("jail", json!({"sql": sql})).await;
        assert_error(&response, 403, "statement_not_allowed");
    }
}

#[tokio::test]
async fn inspecting_pragmas_and_file_level_settings_are_allowed() {
    let srv = TestServer::start().await;
    srv.spawn_db("prag").await;
    srv.sql(
        "prag",
        "create table t(a integer primary key, b text)",
        json!(null),
    )
    .await;
    let body = srv.sql("prag", "pragma table_info(t)", json!(null)).await;
    assert_eq!(body["rows"].as_array().map(Vec::len), Some(2));
    let body = srv
        .sql(
            "prag",
            "select name from pragma_table_info('t') order by cid",
            json!(null),
        )
        .await;
    assert_eq!(body["rows"], json!([{"name": "a"}, {"name": "b"}]));
    let body = srv.sql("prag", "pragma integrity_check", json!(null)).await;
    assert_eq!(body["rows"][0]["integrity_check"], "ok");
    let body = srv.sql("prag", "pragma foreign_keys", json!(null)).await;
    assert_eq!(
        body["rows"][0]["foreign_keys"], 1,
        "foreign keys are enforced"
    );
    srv.sql("prag", "pragma application_id = 7", json!(null))
        .await;
    let body = srv.sql("prag", "pragma page_count", json!(null)).await;
    assert!(
        body["rows"][0]["page_count"]
            .as_i64()
            .is_some_and(|n| n >= 2)
    );
}

#[tokio::test]
async fn schema_tables_cannot_be_written_directly() {
    let srv = TestServer::start().await;
    srv.spawn_db("def").await;
    srv.sql("def", "create table t(x)", json!(null)).await;
    let (status, body) = srv
        .query(
            "def",
            json!({"sql": "update sqlite_schema set sql = 'garbage' where name = 't'"}),
        )
        .await;
    assert!(status.is_client_error(), "{body}");
    let body = srv
        .sql(
            "def",
            "select sql from sqlite_schema where name = 't'",
            json!(null),
        )
        .await;
    assert_eq!(body["rows"][0]["sql"], "CREATE TABLE t(x)");
}

#[tokio::test]
async fn runaway_sql_is_interrupted_while_other_databases_and_reads_keep_answering() {
    let srv = TestServer::with(&["--statement-timeout", "1500ms"]).await;
    srv.spawn_db("slow").await;
    srv.spawn_db("fast").await;
    srv.sql(
        "slow",
        "create table t(x); insert into t values (1)",
        json!(null),
    )
    .await;
    srv.sql(
        "fast",
        "create table t(x); insert into t values (1)",
        json!(null),
    )
    .await;
    let started = Instant::now();
    let runaway = srv.query(
        "slow",
        json!({"sql": "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r"}),
    );
    let others = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let other_db = srv.sql("fast", "select x from t", json!(null)).await;
        let same_db_read = srv.sql("slow", "select x from t", json!(null)).await;
        let same_db_write = srv
            .sql("slow", "insert into t values (2)", json!(null))
            .await;
        (other_db, same_db_read, same_db_write, started.elapsed())
    };
    let (runaway, (other_db, same_db_read, same_db_write, answered_at)) =
        tokio::join!(runaway, others);
    assert_error(&runaway, 400, "query_timeout");
    let runaway_took = started.elapsed();
    assert!(
        runaway_took >= Duration::from_millis(1400),
        "interrupted too early: {runaway_took:?}"
    );
    assert!(
        answered_at < Duration::from_millis(1400),
        "others waited for the runaway: {answered_at:?}"
    );
    assert_eq!(other_db["rows"][0]["x"], 1);
    assert_eq!(same_db_read["rows"][0]["x"], 1);
    assert_eq!(same_db_write["rows_affected"], 1);
}

#[tokio::test]
async fn a_runaway_write_is_rolled_back_and_the_database_keeps_working() {
    let srv = TestServer::with(&["--statement-timeout", "500ms"]).await;
    srv.spawn_db("w").await;
    srv.sql("w", "create table t(x)", json!(null)).await;
    let runaway = srv.query(
        "w",
        json!({"sql": "insert into t with recursive r(i) as (select 1 union all select i + 1 from r) select i from r"}),
    );
    let steady = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        srv.query("w", json!({"sql": "insert into t values (-1)"}))
            .await
    };
    let (runaway, steady) = tokio::join!(runaway, steady);
    assert_error(&runaway, 400, "query_timeout");
    assert_eq!(
        steady.0,
        StatusCode::OK,
        "a write queued behind the runaway is kept: {}",
        steady.1
    );
    let body = srv
        .sql("w", "select count(*) as n, min(x) as m from t", json!(null))
        .await;
    assert_eq!(
        body["rows"][0],
        json!({"n": 1, "m": -1}),
        "nothing of the runaway remains"
    );
}

#[tokio::test]
async fn results_beyond_the_row_limit_are_truncated_and_flagged() {
    let srv = TestServer::with(&["--max-result-rows", "5"]).await;
    srv.spawn_db("big").await;
    srv.sql("big", "create table t(x)", json!(null)).await;
    let body = srv
        .sql("big", "insert into t with recursive r(i) as (select 1 union all select i + 1 from r where i < 20) select i from r returning x", json!(null))
        .await;
    assert_eq!(body["truncated"], true);
    assert_eq!(body["rows"].as_array().map(Vec::len), Some(5));
    assert_eq!(body["rows_affected"], 20, "the write itself ran fully");
    let body = srv.sql("big", "select x from t", json!(null)).await;
    assert_eq!(body["truncated"], true);
    assert_eq!(body["rows"].as_array().map(Vec::len), Some(5));
    let body = srv.sql("big", "select x from t limit 5", json!(null)).await;
    assert_eq!(body["truncated"], false);
}

#[tokio::test]
async fn results_beyond_the_byte_limit_are_truncated_not_exhausting_memory() {
    let srv = TestServer::with(&["--max-result-bytes", "64KiB"]).await;
    srv.spawn_db("bytes").await;
    let body = srv
        .sql("bytes", "with recursive r(i) as (select 1 union all select i + 1 from r where i < 100) select i, randomblob(10000) as b from r", json!(null))
        .await;
    assert_eq!(body["truncated"], true);
    let rows = body["rows"].as_array().map(Vec::len).unwrap_or(0);
    assert!(
        (1..10).contains(&rows),
        "{rows} rows of 10 kB within 64 KiB"
    );
}

#[tokio::test]
async fn the_size_quota_stops_writes_with_database_full() {
    let srv = TestServer::start().await;
    let (status, _) = srv
        .post(
            "/admin/databases/spawn/tiny",
            json!({"limits": {"max_size_bytes": 262144}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    srv.sql("tiny", "create table t(b blob)", json!(null)).await;
    let mut full = None;
    for _ in 0..20 {
        let response = srv
            .query(
                "tiny",
                json!({"sql": "insert into t values (randomblob(50000))"}),
            )
            .await;
        if response.0 != StatusCode::OK {
            full = Some(response);
            break;
        }
    }
    let full = full.expect("the quota was never hit");
    assert_error(&full, 507, "database_full");
    let body = srv
        .sql("tiny", "select count(*) as n from t", json!(null))
        .await;
    let n = body["rows"][0]["n"].as_i64().unwrap_or(0);
    assert!((2..6).contains(&n), "{n} blobs of 50 kB in 256 KiB");
    // Deleting makes room again.
    srv.sql("tiny", "delete from t", json!(null)).await;
    srv.sql(
        "tiny",
        "insert into t values (randomblob(50000))",
        json!(null),
    )
    .await;
}

#[tokio::test]
async fn oversized_bodies_sql_and_batches_get_413() {
    let srv = TestServer::with(&[
        "--max-body-bytes",
        "4KiB",
        "--max-sql-length",
        "200",
        "--max-statements",
        "3",
    ])
    .await;
    srv.spawn_db("lim").await;
    let huge = "x".repeat(8 * 1024);
    assert_error(
        &srv.query("lim", json!({"sql": "select ?", "params": [huge]}))
            .await,
        413,
        "payload_too_large",
    );
    let long_sql = format!("select '{}'", "y".repeat(300));
    assert_error(
        &srv.query("lim", json!({"sql": long_sql})).await,
        413,
        "sql_too_long",
    );
    let four = json!({"statements": [{"sql": "select 1"}, {"sql": "select 2"}, {"sql": "select 3"}, {"sql": "select 4"}]});
    assert_error(&srv.query("lim", four).await, 413, "too_many_statements");
    assert_error(
        &srv.query(
            "lim",
            json!({"sql": "select 1; select 2; select 3; select 4"}),
        )
        .await,
        413,
        "too_many_statements",
    );
}

#[tokio::test]
async fn a_read_longer_than_the_inline_budget_still_answers_in_full() {
    let srv = TestServer::start().await;
    srv.spawn_db("long").await;
    // Tens of milliseconds of work: far past the 1 ms a read may spend on the async executor.
    let sql = "with recursive r(i) as (select 1 union all select i + 1 from r where i < 300000) select count(*) as n, sum(i) as s from r";
    let body = srv.sql("long", sql, json!(null)).await;
    assert_eq!(body["rows"][0], json!({"n": 300000, "s": 45000150000_i64}));
    let batch = srv
        .query(
            "long",
            json!({"statements": [{"sql": sql}, {"sql": "select 1 as one"}]}),
        )
        .await;
    assert_eq!(batch.0, StatusCode::OK, "{}", batch.1);
    assert_eq!(batch.1["results"][1]["rows"][0]["one"], 1);
}

#[tokio::test]
async fn a_full_write_queue_answers_database_busy_with_retry_after() {
    let srv = TestServer::with(&["--write-queue-depth", "1", "--statement-timeout", "2s"]).await;
    srv.spawn_db("busy").await;
    srv.sql("busy", "create table t(x)", json!(null)).await;
    // A slow write holds the writer; the queue (depth 1) fills behind it.
    let slow = srv.query(
        "busy",
        json!({"sql": "insert into t with recursive r(i) as (select 1 union all select i + 1 from r where i < 3000000) select i from r"}),
    );
    let burst = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let writes = (0..8).map(|i| {
            srv.client
                .post(srv.url("/api/db/busy/query"))
                .header("x-api-key", crate::support::KEY)
                .json(&json!({"sql": "insert into t values (?)", "params": [-i]}))
                .send()
        });
        futures::future::join_all(writes).await
    };
    let (_, answers) = tokio::join!(slow, burst);
    let busy: Vec<_> = answers
        .into_iter()
        .map(|r| r.expect("sent"))
        .filter(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "a full queue must refuse writes at once");
    assert_eq!(busy[0].headers()["retry-after"], "1");
    let body: serde_json::Value = busy
        .into_iter()
        .next()
        .expect("one")
        .json()
        .await
        .expect("json");
    assert_eq!(body["error"]["code"], "database_busy");
}
