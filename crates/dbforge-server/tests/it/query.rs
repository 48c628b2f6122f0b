//! The query endpoint: statements, params, batches, values, result shapes and errors.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestServer, assert_error};

async fn server_with_table() -> TestServer {
    let srv = TestServer::start().await;
    srv.spawn_db("q").await;
    srv.sql(
        "q",
        "create table t(id integer primary key, name text, score real, data blob)",
        json!(null),
    )
    .await;
    srv
}

#[tokio::test]
async fn single_statement_answers_columns_rows_and_counters() {
    let srv = server_with_table().await;
    let body = srv
        .sql(
            "q",
            "insert into t(name, score) values (?, ?), (?, ?)",
            json!(["a", 1.5, "b", 2]),
        )
        .await;
    assert_eq!(body["rows_affected"], 2);
    assert_eq!(body["last_insert_rowid"], 2);
    let body = srv
        .sql("q", "select id, name, score from t order by id", json!([]))
        .await;
    assert_eq!(body["columns"], json!(["id", "name", "score"]));
    assert_eq!(body["column_types"], json!(["INTEGER", "TEXT", "REAL"]));
    assert_eq!(
        body["rows"],
        json!([{"id": 1, "name": "a", "score": 1.5}, {"id": 2, "name": "b", "score": 2.0}])
    );
    assert_eq!(body["truncated"], false);
    assert_eq!(body["rows_affected"], 0);
    assert!(body["last_insert_rowid"].is_null());
}

#[tokio::test]
async fn object_rows_keep_column_order_and_arrays_are_available() {
    let srv = server_with_table().await;
    let body = srv
        .sql("q", "select 3 as zeta, 2 as alpha, 1 as mid", json!(null))
        .await;
    let keys: Vec<&String> = body["rows"][0]
        .as_object()
        .expect("object")
        .keys()
        .collect();
    assert_eq!(keys, ["zeta", "alpha", "mid"]);
    let (_, body) = srv
        .query(
            "q",
            json!({"sql": "select 1 as a, 'x' as a", "row_format": "arrays"}),
        )
        .await;
    assert_eq!(body["rows"], json!([[1, "x"]]));
}

#[tokio::test]
async fn named_params_accept_every_sigil_with_or_without_it() {
    let srv = server_with_table().await;
    srv.sql(
        "q",
        "insert into t(id, name) values (:id, @name)",
        json!({"id": 7, "@name": "seven"}),
    )
    .await;
    let body = srv
        .sql("q", "select name from t where id = $id", json!({"$id": 7}))
        .await;
    assert_eq!(body["rows"][0]["name"], "seven");
    let body = srv
        .sql(
            "q",
            "select ?2 as second, ?1 as first",
            json!(["one", "two"]),
        )
        .await;
    assert_eq!(body["rows"][0], json!({"second": "two", "first": "one"}));
}

#[tokio::test]
async fn params_must_match_the_placeholders() {
    let srv = server_with_table().await;
    assert_error(
        &srv.query("q", json!({"sql": "select ?", "params": []}))
            .await,
        400,
        "invalid_params",
    );
    assert_error(
        &srv.query("q", json!({"sql": "select ?", "params": [1, 2]}))
            .await,
        400,
        "invalid_params",
    );
    assert_error(
        &srv.query("q", json!({"sql": "select ?"})).await,
        400,
        "invalid_params",
    );
    assert_error(
        &srv.query("q", json!({"sql": "select :a", "params": {"b": 1}}))
            .await,
        400,
        "invalid_params",
    );
    assert_error(
        &srv.query(
            "q",
            json!({"sql": "select :a", "params": {"a": 1, "extra": 2}}),
        )
        .await,
        400,
        "invalid_params",
    );
    assert_error(
        &srv.query("q", json!({"sql": "select ?", "params": {"a": 1}}))
            .await,
        400,
        "invalid_params",
    );
    assert_error(
        &srv.query("q", json!({"sql": "select ?", "params": [[1]]}))
            .await,
        400,
        "invalid_json",
    );
}

#[tokio::test]
async fn statements_run_atomically_and_a_failure_rolls_back_all() {
    let srv = server_with_table().await;
    let (status, body) = srv
        .query("q", json!({"statements": [
            {"sql": "insert into t(id, name) values (1, 'one')"},
            {"sql": "insert into t(id, name) values (?, ?) returning id, name", "params": [2, "two"]},
            {"sql": "select count(*) as n from t"}
        ]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    assert_eq!(results[1]["rows"], json!([{"id": 2, "name": "two"}]));
    assert_eq!(results[2]["rows"][0]["n"], 2);
    let failed = srv
        .query(
            "q",
            json!({"statements": [
                {"sql": "insert into t(id, name) values (3, 'three')"},
                {"sql": "insert into t(id, name) values (1, 'duplicate')"}
            ]}),
        )
        .await;
    assert_error(&failed, 409, "constraint_violation");
    assert!(
        failed.1["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("statement 2")),
        "{}",
        failed.1
    );
    let body = srv
        .sql("q", "select count(*) as n from t", json!(null))
        .await;
    assert_eq!(
        body["rows"][0]["n"], 2,
        "the first statement of the failed batch was rolled back"
    );
}

#[tokio::test]
async fn a_sql_text_with_several_statements_runs_as_a_batch() {
    let srv = TestServer::start().await;
    srv.spawn_db("multi").await;
    let (status, body) = srv
        .query("multi", json!({"sql": "create table a(x); insert into a values (1), (2); select sum(x) as s from a;"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"].as_array().map(Vec::len), Some(3));
    assert_eq!(body["results"][2]["rows"][0]["s"], 3);
    assert_error(
        &srv.query("multi", json!({"sql": "select ?; select ?", "params": [1]}))
            .await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.query("multi", json!({"sql": "  -- nothing\n"})).await,
        400,
        "invalid_request",
    );
}

#[tokio::test]
async fn read_or_write_is_decided_by_sqlite_not_the_first_word() {
    let srv = server_with_table().await;
    // Writes that do not start with INSERT/UPDATE/DELETE.
    srv.sql(
        "q",
        "/* leading comment */ insert into t(name) values ('c')",
        json!(null),
    )
    .await;
    let body = srv
        .sql(
            "q",
            "with v(n) as (select 'cte') insert into t(name) select n from v",
            json!(null),
        )
        .await;
    assert_eq!(body["rows_affected"], 1);
    srv.sql(
        "q",
        "replace into t(id, name) values (100, 'r')",
        json!(null),
    )
    .await;
    let body = srv
        .sql("q", "  SELECT count(*) AS n FROM t", json!(null))
        .await;
    assert_eq!(body["rows"][0]["n"], 3);
    let body = srv.sql("q", "pragma user_version = 42", json!(null)).await;
    assert_eq!(body["rows"], json!([]));
    let body = srv.sql("q", "pragma user_version", json!(null)).await;
    assert_eq!(body["rows"][0]["user_version"], 42);
    let body = srv
        .sql(
            "q",
            "update t set name = upper(name) where id = 100 returning name",
            json!(null),
        )
        .await;
    assert_eq!(body["rows"], json!([{"name": "R"}]));
    assert_eq!(body["rows_affected"], 1);
}

#[tokio::test]
async fn every_value_type_round_trips_including_blobs_and_64_bit_integers() {
    let srv = TestServer::start().await;
    srv.spawn_db("vals").await;
    srv.sql(
        "vals",
        "create table v(i integer, r real, t text, b blob, n)",
        json!(null),
    )
    .await;
    let big = 9_007_199_254_740_993_i64; // 2^53 + 1: a JavaScript number would round it
    srv.sql(
        "vals",
        "insert into v values (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)",
        json!([big, 0.1, "ünïcode ✓", {"base64": "AAEC/w=="}, null, {"integer": i64::MIN.to_string()}, -1e300, "", {"base64": ""}, true]),
    )
    .await;
    let body = srv
        .sql(
            "vals",
            "select i, r, t, b, n, typeof(b) as tb, typeof(n) as tn from v order by rowid",
            json!(null),
        )
        .await;
    assert_eq!(
        body["rows"][0],
        json!({"i": big, "r": 0.1, "t": "ünïcode ✓", "b": {"base64": "AAEC/w=="}, "n": null, "tb": "blob", "tn": "null"})
    );
    assert_eq!(body["rows"][1]["i"], json!(i64::MIN));
    assert_eq!(body["rows"][1]["n"], 1, "booleans are stored as 0/1");
    let (_, lossless) = srv
        .query(
            "vals",
            json!({"sql": "select i from v order by rowid", "lossless": true}),
        )
        .await;
    assert_eq!(
        lossless["rows"][0]["i"],
        json!({"integer": big.to_string()})
    );
    assert_eq!(
        lossless["rows"][1]["i"],
        json!({"integer": i64::MIN.to_string()})
    );
    let (_, small) = srv
        .query("vals", json!({"sql": "select 42 as i", "lossless": true}))
        .await;
    assert_eq!(
        small["rows"][0]["i"], 42,
        "safe integers stay numbers in lossless mode"
    );
    // The lossless form goes back in as a parameter and matches exactly.
    let body = srv
        .sql(
            "vals",
            "select count(*) as n from v where i = ?",
            json!([{"integer": big.to_string()}]),
        )
        .await;
    assert_eq!(body["rows"][0]["n"], 1);
}

#[tokio::test]
async fn sql_errors_carry_sqlites_message_and_the_right_code() {
    let srv = server_with_table().await;
    let response = srv.query("q", json!({"sql": "selec 1"})).await;
    assert_error(&response, 400, "sql_error");
    assert!(
        response.1["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("syntax error"))
    );
    assert_error(
        &srv.query("q", json!({"sql": "select * from nowhere"}))
            .await,
        400,
        "sql_error",
    );
    srv.sql("q", "create table u(x text not null unique)", json!(null))
        .await;
    assert_error(
        &srv.query("q", json!({"sql": "insert into u values (null)"}))
            .await,
        409,
        "constraint_violation",
    );
    assert_error(
        &srv.query("q", json!({"sql": "select 1", "statements": []}))
            .await,
        400,
        "invalid_request",
    );
    assert_error(&srv.query("q", json!({})).await, 400, "invalid_request");
    assert_error(
        &srv.query("q", json!({"statements": []})).await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.query("q", json!({"sq1": "select 1"})).await,
        400,
        "invalid_json",
    );
    assert_error(
        &srv.query("nope", json!({"sql": "select 1"})).await,
        404,
        "database_not_found",
    );
}

#[tokio::test]
async fn malformed_bodies_get_the_envelope() {
    let srv = server_with_table().await;
    let raw = |body: &'static str, content_type: &'static str| {
        srv.client
            .post(srv.url("/api/db/q/query"))
            .header("x-api-key", crate::support::KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    for (body, content_type, status, code) in [
        ("{bad json", "application/json", 400, "invalid_json"),
        ("[1, 2]", "application/json", 400, "invalid_json"),
        ("{\"sql\": 5}", "application/json", 400, "invalid_json"),
        (
            "{\"sql\": \"select 1\"}",
            "text/plain",
            415,
            "unsupported_media_type",
        ),
        ("", "application/json", 400, "invalid_json"),
    ] {
        let response = raw(body, content_type).await.expect("sent");
        assert_eq!(response.status().as_u16(), status, "{body:?}");
        let json: serde_json::Value = response.json().await.expect("JSON error body");
        assert_eq!(json["error"]["code"], code, "{body:?}");
    }
}

#[tokio::test]
async fn concurrent_writers_all_commit_and_group_commit_batches_them() {
    let srv = TestServer::start().await;
    srv.spawn_db("busy").await;
    srv.sql(
        "busy",
        "create table t(id integer primary key, v)",
        json!(null),
    )
    .await;
    let (_, before) = srv.get("/admin/gateway/stats").await;
    let writes = (0..200).map(|i| {
        srv.query(
            "busy",
            json!({"sql": "insert into t(v) values (?)", "params": [i]}),
        )
    });
    let results = futures::future::join_all(writes).await;
    assert!(results.iter().all(|(s, _)| *s == StatusCode::OK));
    let body = srv
        .sql(
            "busy",
            "select count(*) as n, count(distinct v) as d from t",
            json!(null),
        )
        .await;
    assert_eq!(body["rows"][0], json!({"n": 200, "d": 200}));
    let (_, after) = srv.get("/admin/gateway/stats").await;
    let commits = after["commits_total"].as_u64().unwrap_or(0)
        - before["commits_total"].as_u64().unwrap_or(0);
    let requests = after["committed_requests_total"].as_u64().unwrap_or(0)
        - before["committed_requests_total"].as_u64().unwrap_or(0);
    assert_eq!(requests, 200);
    assert!(
        commits < requests,
        "group commit should put concurrent requests into shared commits: {commits} commits for {requests} requests"
    );
}

#[tokio::test]
async fn a_failing_request_in_a_commit_group_rolls_back_alone() {
    let srv = TestServer::start().await;
    srv.spawn_db("grp").await;
    srv.sql("grp", "create table t(id integer primary key)", json!(null))
        .await;
    // Half of these collide on id 0 after the first: each failure must leave the others intact.
    let writes = (0..100).map(|i| {
        let id = if i % 2 == 0 { 0 } else { i };
        srv.query(
            "grp",
            json!({"sql": "insert into t(id) values (?)", "params": [id]}),
        )
    });
    let results = futures::future::join_all(writes).await;
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let conflicts = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, conflicts), (51, 49));
    let body = srv
        .sql("grp", "select count(*) as n from t", json!(null))
        .await;
    assert_eq!(body["rows"][0]["n"], 51);
}

/// The inline count of `GET /admin/gateway/stats`.
async fn inline_reads(srv: &TestServer) -> u64 {
    let (_, stats) = srv.get("/admin/gateway/stats").await;
    stats["inline_reads_total"].as_u64().unwrap_or(0)
}

/// A read proven cheap (it ran fast before, and compiles to bounded steps only) runs inline,
/// with the same answer; one that calls a function, sorts or aggregates never does, however
/// often it runs; a schema change makes every text prove itself again.
#[tokio::test]
async fn only_reads_proven_cheap_run_inline() {
    let srv = TestServer::start().await;
    srv.spawn_db("inl").await;
    srv.sql(
        "inl",
        "create table t(id integer primary key, name text)",
        json!(null),
    )
    .await;
    srv.sql(
        "inl",
        "insert into t(name) values ('a'), ('b')",
        json!(null),
    )
    .await;
    let point = "select id, name from t where id = ?";
    let before = inline_reads(&srv).await;
    for _ in 0..5 {
        let body = srv.sql("inl", point, json!([2])).await;
        assert_eq!(body["rows"], json!([{"id": 2, "name": "b"}]));
    }
    let after = inline_reads(&srv).await;
    assert!(
        after > before,
        "a repeated point read ran inline: {before} -> {after}"
    );

    for (sql, params) in [
        ("select name like ? from t where id = 1", json!(["%a%"])),
        ("select * from t order by name", json!([])),
        ("select count(*) from t", json!([])),
    ] {
        let before = inline_reads(&srv).await;
        for _ in 0..5 {
            let (status, _) = srv
                .query("inl", json!({"sql": sql, "params": params}))
                .await;
            assert_eq!(status, StatusCode::OK, "{sql}");
        }
        assert_eq!(
            inline_reads(&srv).await,
            before,
            "{sql} stays off the executor"
        );
    }

    // After a schema change the text runs on a blocking thread first, then inline again.
    srv.sql("inl", "create index t_name on t(name)", json!(null))
        .await;
    let before = inline_reads(&srv).await;
    let body = srv.sql("inl", point, json!([1])).await;
    assert_eq!(body["rows"], json!([{"id": 1, "name": "a"}]));
    assert_eq!(
        inline_reads(&srv).await,
        before,
        "first run after the change"
    );
    for _ in 0..5 {
        srv.sql("inl", point, json!([1])).await;
    }
    assert!(inline_reads(&srv).await > before);
}

/// A text promoted while its table was small is stopped inline once the table has grown past
/// the inline step budget: the answer is still whole (it ran again on a blocking thread), and
/// the text no longer runs inline.
#[tokio::test]
async fn a_cheap_read_that_grew_long_is_answered_in_full_and_demoted() {
    let srv = TestServer::start().await;
    srv.spawn_db("grows").await;
    srv.sql(
        "grows",
        "create table t(id integer primary key, v integer)",
        json!(null),
    )
    .await;
    srv.sql("grows", "insert into t(v) values (1), (2)", json!(null))
        .await;
    let scan = "select id from t where v = ?";
    for _ in 0..5 {
        srv.sql("grows", scan, json!([7])).await;
    }
    srv.sql(
        "grows",
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) \
         insert into t(v) select case when i = 4321 then 7 else 0 end from n",
        json!(null),
    )
    .await;
    let before = inline_reads(&srv).await;
    for _ in 0..5 {
        let body = srv.sql("grows", scan, json!([7])).await;
        assert_eq!(body["rows"], json!([{"id": 4323}]));
    }
    assert_eq!(
        inline_reads(&srv).await,
        before,
        "a scan of 5,000 rows never completes inline"
    );
}
