//! libSQL's Hrana protocol: the `libsql` Rust driver against the gateway, and the protocol's
//! corners (batons, database selection, batch conditions, cursors) over raw HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{KEY, TestServer};

impl TestServer {
    /// POSTs a Hrana body to `path` with the key as a Bearer token.
    async fn hrana(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(KEY)
                .json(&body),
        )
        .await
    }

    /// Runs a pipeline on `db`'s `v3/pipeline` and returns the response, which must be 200.
    async fn pipeline(&self, db: &str, baton: Value, requests: Value) -> Value {
        let (status, body) = self
            .hrana(
                &format!("/hrana/{db}/v3/pipeline"),
                json!({ "baton": baton, "requests": requests }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

fn execute(sql: &str) -> Value {
    json!({ "type": "execute", "stmt": { "sql": sql } })
}

fn ok_response(result: &Value) -> &Value {
    assert_eq!(result["type"], "ok", "{result}");
    &result["response"]
}

fn error_code(result: &Value) -> &str {
    assert_eq!(result["type"], "error", "{result}");
    result["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_libsql_rust_driver_works_unchanged() {
    let server = TestServer::start().await;
    server.spawn_db("rusty").await;
    // The base URL as a user writes it; the driver appends v3/pipeline and v3/cursor.
    let db = libsql::Builder::new_remote(server.url("/hrana/rusty/"), KEY.to_owned())
        .connector(hyper014::client::HttpConnector::new())
        .build()
        .await
        .expect("remote database");
    let conn = db.connect().expect("connection");
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, f REAL, s TEXT, b BLOB, n)",
        (),
    )
    .await
    .expect("create");
    let blob = vec![0u8, 1, 2, 254, 255];
    let inserted = conn
        .execute(
            "INSERT INTO t (i, f, s, b, n) VALUES (?1, ?2, ?3, ?4, ?5)",
            libsql::params![i64::MIN, 2.5f64, "héllo", blob.clone(), libsql::Value::Null],
        )
        .await
        .expect("insert");
    assert_eq!(inserted, 1);
    conn.execute(
        "INSERT INTO t (i, s) VALUES (:i, :s)",
        libsql::named_params! { ":i": i64::MAX, ":s": "named" },
    )
    .await
    .expect("insert named");

    let mut rows = conn
        .query("SELECT i, f, s, b, n FROM t ORDER BY id", ())
        .await
        .expect("query");
    let first = rows.next().await.expect("row").expect("a first row");
    assert_eq!(first.get::<i64>(0).expect("i"), i64::MIN);
    assert_eq!(first.get::<f64>(1).expect("f"), 2.5);
    assert_eq!(first.get::<String>(2).expect("s"), "héllo");
    assert_eq!(first.get::<Vec<u8>>(3).expect("b"), blob);
    assert_eq!(first.get_value(4).expect("n"), libsql::Value::Null);
    let second = rows.next().await.expect("row").expect("a second row");
    assert_eq!(second.get::<i64>(0).expect("i"), i64::MAX);
    assert!(rows.next().await.expect("end").is_none());

    // Interactive transactions: commit keeps, rollback discards.
    let tx = conn.transaction().await.expect("begin");
    tx.execute("INSERT INTO t (s) VALUES ('committed')", ())
        .await
        .expect("in tx");
    tx.commit().await.expect("commit");
    let tx = conn.transaction().await.expect("begin");
    tx.execute("DELETE FROM t", ()).await.expect("in tx");
    tx.rollback().await.expect("rollback");
    let mut count = conn
        .query("SELECT count(*) FROM t", ())
        .await
        .expect("count");
    let row = count.next().await.expect("row").expect("count row");
    assert_eq!(row.get::<i64>(0).expect("n"), 3);

    conn.execute_batch("CREATE TABLE u (x); INSERT INTO u VALUES (1); INSERT INTO u VALUES (2);")
        .await
        .expect("batch");
    let err = conn
        .execute("INSERT INTO t (id) VALUES (1)", ())
        .await
        .expect_err("duplicate key");
    assert!(
        err.to_string().contains("UNIQUE constraint failed"),
        "{err}"
    );

    // The driver's own namespace setting (the `x-namespace` header) with a root URL.
    let by_namespace = libsql::Builder::new_remote(server.url(""), KEY.to_owned())
        .connector(hyper014::client::HttpConnector::new())
        .namespace("rusty")
        .build()
        .await
        .expect("remote database")
        .connect()
        .expect("connection");
    let mut rows = by_namespace
        .query("SELECT count(*) FROM u", ())
        .await
        .expect("query by namespace");
    let row = rows.next().await.expect("row").expect("count row");
    assert_eq!(row.get::<i64>(0).expect("n"), 2);

    // The driver used both v3 endpoints.
    let metrics = server.metrics_text().await;
    for route in ["/hrana/{name}/v3/pipeline", "/hrana/{name}/v3/cursor"] {
        assert!(
            metrics.contains(&format!("route=\"{route}\"")),
            "{route} not used"
        );
    }
}

#[tokio::test]
async fn the_database_comes_from_the_path_the_namespace_header_or_the_host() {
    let server = TestServer::start().await;
    for name in ["by_header", "by_host"] {
        server.spawn_db(name).await;
        server
            .sql(
                name,
                &format!("CREATE TABLE who (name TEXT); INSERT INTO who VALUES ('{name}')"),
                json!(null),
            )
            .await;
    }
    let select = json!({ "baton": null, "requests": [execute("SELECT name FROM who")] });
    let name_of =
        |body: &Value| body["results"][0]["response"]["result"]["rows"][0][0]["value"].clone();

    for (path, header, value) in [
        ("/v3/pipeline", "x-namespace", "by_header"),
        ("/v2/pipeline", "host", "by_host.db.localhost"),
    ] {
        let request = server.client.post(server.url(path)).bearer_auth(KEY);
        let (status, body) = server
            .send(request.header(header, value).json(&select))
            .await;
        assert_eq!(status, StatusCode::OK, "{header}: {body}");
        assert_eq!(name_of(&body), value.split('.').next().unwrap_or_default());
    }

    let (status, body) = server.hrana("/v3/pipeline", select.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "NAMESPACE_REQUIRED");

    // Version probes answer without a key; Protobuf is declined so clients fall back to JSON.
    for path in ["/v2", "/v3", "/hrana/by_host/v2", "/hrana/by_host/v3"] {
        let response = server
            .client
            .get(server.url(path))
            .send()
            .await
            .expect("probe");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    for path in ["/v3-protobuf", "/hrana/by_host/v3-protobuf"] {
        let response = server
            .client
            .get(server.url(path))
            .send()
            .await
            .expect("probe");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn keys_databases_and_batons_are_checked() {
    let server = TestServer::start().await;
    server.spawn_db("one").await;
    server.spawn_db("two").await;
    let body = json!({ "baton": null, "requests": [execute("SELECT 1")] });

    let (status, error) = server
        .send(
            server
                .client
                .post(server.url("/hrana/one/v3/pipeline"))
                .bearer_auth("wrong-key")
                .json(&body),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "UNAUTHORIZED");
    let (status, error) = server.hrana("/hrana/nope/v3/pipeline", body.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["code"], "DATABASE_NOT_FOUND");
    let (status, error) = server
        .hrana("/hrana/one/v3/pipeline", json!({"requests": 5}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "HTTP_PARSE_ERROR");

    let first = server
        .pipeline("one", Value::Null, json!([execute("SELECT 1")]))
        .await;
    let baton = first["baton"].as_str().expect("a baton").to_owned();
    let second = server.pipeline("one", json!(baton), json!([])).await;
    let next = second["baton"].as_str().expect("a new baton").to_owned();
    assert_ne!(baton, next, "the baton changes with every response");

    // Each refused baton is a 400 with its reason; none of them spends the newest one.
    let forged = next.replacen('.', "9.", 1);
    for (db, used, code) in [
        ("one", &baton, "BATON_REUSED"),
        ("one", &forged, "BATON_INVALID"),
        ("two", &next, "BATON_INVALID"),
    ] {
        let (status, error) = server
            .hrana(
                &format!("/hrana/{db}/v3/pipeline"),
                json!({ "baton": used, "requests": [] }),
            )
            .await;
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{db} {used}"
        );
    }
    // The newest baton still works after all that.
    let closed = server
        .pipeline(
            "one",
            json!(next),
            json!([{ "type": "close" }, execute("SELECT 1")]),
        )
        .await;
    assert_eq!(closed["baton"], Value::Null);
    assert_eq!(error_code(&closed["results"][1]), "STREAM_CLOSED");
}

#[tokio::test]
async fn batches_evaluate_every_condition_and_never_roll_back_on_their_own() {
    let server = TestServer::start().await;
    server.spawn_db("cond").await;
    let step =
        |sql: &str, condition: Value| json!({ "stmt": { "sql": sql }, "condition": condition });
    let batch = json!({ "type": "batch", "batch": { "steps": [
        step("CREATE TABLE t (x INTEGER PRIMARY KEY)", Value::Null),             // 0 ok
        step("BEGIN", json!({ "type": "ok", "step": 0 })),                       // 1 ok
        step("INSERT INTO t VALUES (1)", json!({ "type": "not", "cond": { "type": "is_autocommit" } })), // 2 ok
        step("INSERT INTO t VALUES (1)", Value::Null),                           // 3 error
        step("SELECT 'ran'", json!({ "type": "error", "step": 3 })),             // 4 ok
        step("SELECT 'skipped'", json!({ "type": "ok", "step": 3 })),            // 5 skipped
        step("SELECT 'and'", json!({ "type": "and", "conds": [
            { "type": "ok", "step": 2 }, { "type": "error", "step": 3 } ] })),  // 6 ok
        step("SELECT 'or'", json!({ "type": "or", "conds": [
            { "type": "ok", "step": 5 }, { "type": "is_autocommit" } ] })),     // 7 skipped: in a transaction
    ] } });
    let body = server
        .pipeline(
            "cond",
            Value::Null,
            json!([batch, { "type": "get_autocommit" }]),
        )
        .await;
    let result = &ok_response(&body["results"][0])["result"];
    let ran: Vec<bool> = result["step_results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| !r.is_null())
        .collect();
    assert_eq!(ran, [true, true, true, false, true, false, true, false]);
    assert_eq!(result["step_errors"][3]["code"], "SQLITE_CONSTRAINT");
    assert_eq!(result["step_errors"][5], Value::Null);
    // The failed step did not end the transaction: the client decides.
    assert_eq!(ok_response(&body["results"][1])["is_autocommit"], false);
    let baton = body["baton"].clone();
    let body = server
        .pipeline(
            "cond",
            baton,
            json!([execute("COMMIT"), { "type": "get_autocommit" }, { "type": "close" }]),
        )
        .await;
    assert_eq!(ok_response(&body["results"][1])["is_autocommit"], true);
    let rows = server
        .sql("cond", "SELECT count(*) AS n FROM t", json!(null))
        .await;
    assert_eq!(rows["rows"][0]["n"], 1);

    // A condition that looks forward refuses the whole batch before anything runs: its BEGIN
    // does not take the writer.
    let bad = json!({ "type": "batch", "batch": { "steps": [
        step("BEGIN", Value::Null),
        step("SELECT 1", json!({ "type": "ok", "step": 5 })) ] } });
    let body = server
        .pipeline(
            "cond",
            Value::Null,
            json!([bad, { "type": "get_autocommit" }]),
        )
        .await;
    assert_eq!(error_code(&body["results"][0]), "BATCH_COND_INVALID");
    assert_eq!(ok_response(&body["results"][1])["is_autocommit"], true);
}

#[tokio::test]
async fn stored_sql_sequence_describe_and_unknown_requests() {
    let server = TestServer::start().await;
    server.spawn_db("misc").await;
    let body = server
        .pipeline(
            "misc",
            Value::Null,
            json!([
                { "type": "sequence", "sql": "CREATE TABLE kv (k TEXT PRIMARY KEY, v); INSERT INTO kv VALUES ('a', 1);" },
                { "type": "store_sql", "sql_id": 7, "sql": "SELECT v FROM kv WHERE k = :k" },
                { "type": "execute", "stmt": { "sql_id": 7, "named_args": [{ "name": "k", "value": { "type": "text", "value": "a" } }] } },
                { "type": "describe", "sql_id": 7 },
                { "type": "store_sql", "sql_id": 7, "sql": "SELECT 2" },
                { "type": "close_sql", "sql_id": 7 },
                { "type": "execute", "stmt": { "sql_id": 7 } },
                { "type": "execute", "stmt": { "sql": "SELECT 1; SELECT 2" } },
                { "type": "execute", "stmt": { "sql": "  -- nothing\n" } },
                { "type": "execute", "stmt": { "sql": "SELECT ?", "args": [{ "type": "integer", "value": "1" }], "named_args": [{ "name": "a", "value": { "type": "null" } }] } },
                { "type": "execute", "stmt": { "sql": "SELECT 1", "want_rows": false } },
                { "type": "sequence", "sql": "INSERT INTO kv VALUES ('b', 2); INSERT INTO kv VALUES ('a', 3); INSERT INTO kv VALUES ('c', 4);" },
                { "type": "time_travel" },
            ]),
        )
        .await;
    let results = body["results"].as_array().expect("results");
    ok_response(&results[0]);
    ok_response(&results[1]);
    assert_eq!(
        ok_response(&results[2])["result"]["rows"][0][0],
        json!({ "type": "integer", "value": "1" })
    );
    let described = &ok_response(&results[3])["result"];
    assert_eq!(described["params"], json!([{ "name": ":k" }]));
    assert_eq!(
        described["cols"],
        json!([{ "name": "v", "decltype": null }])
    );
    assert_eq!(
        (
            described["is_readonly"].as_bool(),
            described["is_explain"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(error_code(&results[4]), "SQL_STORE_ID_IN_USE");
    ok_response(&results[5]);
    assert_eq!(error_code(&results[6]), "SQL_NOT_FOUND");
    assert_eq!(error_code(&results[7]), "SQL_MANY_STATEMENTS");
    assert_eq!(error_code(&results[8]), "SQL_NO_STATEMENT");
    assert_eq!(error_code(&results[9]), "ARGS_BOTH_POSITIONAL_AND_NAMED");
    assert_eq!(ok_response(&results[10])["result"]["rows"], json!([]));
    // A sequence stops at its first failure; what ran before it stays (autocommit).
    assert_eq!(error_code(&results[11]), "SQLITE_CONSTRAINT");
    assert_eq!(error_code(&results[12]), "PROTOCOL_ERROR");
    let keys = server
        .sql("misc", "SELECT group_concat(k) AS ks FROM kv", json!(null))
        .await;
    assert_eq!(keys["rows"][0]["ks"], "a,b");
}

#[tokio::test]
async fn a_cursor_streams_a_batch_as_lines_of_json() {
    let server = TestServer::start().await;
    server.spawn_db("cur").await;
    let response = server
        .client
        .post(server.url("/hrana/cur/v3/cursor"))
        .bearer_auth(KEY)
        .json(&json!({ "baton": null, "batch": { "steps": [
            { "stmt": { "sql": "SELECT 1 AS a UNION ALL SELECT 2" } },
            { "stmt": { "sql": "SELECT * FROM missing" } },
            { "stmt": { "sql": "SELECT 'skipped'" }, "condition": { "type": "ok", "step": 1 } },
            { "stmt": { "sql": "CREATE TABLE t (x)" } },
        ] } }))
        .send()
        .await
        .expect("cursor");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("body");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(lines[0]["baton"].is_string(), "{}", lines[0]);
    let types: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["type"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        types,
        [
            "step_begin",
            "row",
            "row",
            "step_end",
            "step_error",
            "step_begin",
            "step_end"
        ]
    );
    assert_eq!(lines[1]["cols"], json!([{ "name": "a", "decltype": null }]));
    assert_eq!(
        lines[3]["row"],
        json!([{ "type": "integer", "value": "2" }])
    );
    assert_eq!(lines[5]["step"], 1);
    assert_eq!(lines[5]["error"]["code"], "SQLITE_ERROR");
    assert_eq!(lines[6]["step"], 3);
}

#[tokio::test]
async fn the_sandbox_holds_for_streams_in_and_out_of_transactions() {
    let server = TestServer::start().await;
    server.spawn_db("jail").await;
    let outside = server.dir.path().join("escape.db");
    let vacuum_into = format!("VACUUM INTO '{}'", outside.display());
    let body = server
        .pipeline(
            "jail",
            Value::Null,
            json!([
                execute("BEGIN"),
                execute(&format!("ATTACH DATABASE '{}' AS other", outside.display())),
                execute("PRAGMA max_page_count = 1000000"),
                execute("ROLLBACK"),
                // With foreign keys off the stream's statements run on the writer outside any
                // transaction (without rows wanted, not even in a savepoint), where VACUUM
                // could otherwise run: still refused.
                execute("PRAGMA foreign_keys = OFF"),
                { "type": "execute", "stmt": { "sql": vacuum_into, "want_rows": false } },
                { "type": "execute", "stmt": { "sql": "VACUUM", "want_rows": false } },
            ]),
        )
        .await;
    let results = body["results"].as_array().expect("results");
    for i in [1, 2, 5, 6] {
        assert_eq!(error_code(&results[i]), "SQLITE_AUTH", "{}", results[i]);
    }
    assert!(!outside.exists(), "a file was written outside the data dir");
}

#[tokio::test]
async fn result_limits_hold_per_response_and_never_half_apply_a_write() {
    let server = TestServer::with(&["--max-result-rows", "3", "--max-result-bytes", "2000"]).await;
    server.spawn_db("lim").await;
    server
        .sql("lim", "CREATE TABLE t (x INTEGER)", json!(null))
        .await;
    let ten = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 10)";
    let insert_returning = format!("{ten} INSERT INTO t SELECT x FROM c RETURNING x");
    let body = server
        .pipeline(
            "lim",
            Value::Null,
            json!([
                execute(&format!("{ten} SELECT x FROM c")),
                execute(&format!("{ten} SELECT x FROM c LIMIT 3")),
                // Too many rows to return: the insert is undone, not reported failed but done.
                execute(&insert_returning),
                { "type": "execute", "stmt": { "sql": insert_returning, "want_rows": false } },
                execute("BEGIN"),
                execute(&insert_returning),
                execute("INSERT INTO t VALUES (-1)"),
                execute("COMMIT"),
            ]),
        )
        .await;
    let results = body["results"].as_array().expect("results");
    assert_eq!(error_code(&results[0]), "RESPONSE_TOO_LARGE");
    let rows = &ok_response(&results[1])["result"]["rows"];
    assert_eq!(rows.as_array().map(Vec::len), Some(3));
    assert_eq!(error_code(&results[2]), "RESPONSE_TOO_LARGE");
    assert_eq!(ok_response(&results[3])["result"]["affected_row_count"], 10);
    // Inside a transaction the oversized statement alone is undone; the transaction goes on.
    assert_eq!(error_code(&results[5]), "RESPONSE_TOO_LARGE");
    ok_response(&results[6]);
    ok_response(&results[7]);
    let count = server
        .sql("lim", "SELECT count(*) AS n FROM t", json!(null))
        .await;
    assert_eq!(count["rows"][0]["n"], 11);

    // Every statement of a response draws on one byte budget: each of these fits alone.
    let blob = execute("SELECT zeroblob(700)");
    let body = server
        .pipeline(
            "lim",
            Value::Null,
            json!([blob.clone(), blob.clone(), blob.clone()]),
        )
        .await;
    let results = body["results"].as_array().expect("results");
    ok_response(&results[0]);
    ok_response(&results[1]);
    assert_eq!(error_code(&results[2]), "RESPONSE_TOO_LARGE");
    let batch = json!({ "type": "batch", "batch": { "steps": [
        { "stmt": { "sql": "SELECT zeroblob(700)" } },
        { "stmt": { "sql": "SELECT zeroblob(700)" } },
        { "stmt": { "sql": "SELECT zeroblob(700)" } } ] } });
    let body = server.pipeline("lim", Value::Null, json!([batch])).await;
    let errors = &ok_response(&body["results"][0])["result"]["step_errors"];
    assert_eq!(errors[2]["code"], "RESPONSE_TOO_LARGE", "{errors}");
}

#[tokio::test]
async fn a_transaction_sqlite_rolls_back_stays_refused_until_the_client_rolls_back() {
    let server = TestServer::with(&["--statement-timeout", "200ms"]).await;
    server.spawn_db("lost").await;
    let slow = "INSERT INTO t SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL \
                SELECT x + 1 FROM c) SELECT x FROM c)";
    let body = server
        .pipeline(
            "lost",
            Value::Null,
            json!([
                execute("CREATE TABLE t (x)"),
                execute("BEGIN"),
                execute("INSERT INTO t VALUES ('in the transaction')"),
                execute(slow),
                execute("INSERT INTO t VALUES ('meant for the transaction')"),
                { "type": "get_autocommit" },
                execute("ROLLBACK"),
                execute("INSERT INTO t VALUES ('after the rollback')"),
            ]),
        )
        .await;
    let results = body["results"].as_array().expect("results");
    assert_eq!(error_code(&results[3]), "SQLITE_INTERRUPT");
    assert_eq!(error_code(&results[4]), "TRANSACTION_ROLLED_BACK");
    assert_eq!(ok_response(&results[5])["is_autocommit"], true);
    ok_response(&results[6]);
    ok_response(&results[7]);
    let rows = server.sql("lost", "SELECT x FROM t", json!(null)).await;
    assert_eq!(rows["rows"], json!([{ "x": "after the rollback" }]));
}

#[tokio::test]
async fn a_begin_waits_for_the_writer_only_as_long_as_the_busy_timeout() {
    let server = TestServer::with(&["--transaction-busy-timeout", "300ms"]).await;
    server.spawn_db("busy").await;
    let holder = server
        .pipeline("busy", Value::Null, json!([execute("BEGIN IMMEDIATE")]))
        .await;
    let started = std::time::Instant::now();
    let waiter = server
        .pipeline("busy", Value::Null, json!([execute("BEGIN IMMEDIATE")]))
        .await;
    assert_eq!(error_code(&waiter["results"][0]), "SQLITE_BUSY");
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(250)
            && waited < std::time::Duration::from_secs(5),
        "waited {waited:?}"
    );
    // The holder is unaffected and ends its transaction normally.
    let done = server
        .pipeline("busy", holder["baton"].clone(), json!([execute("COMMIT")]))
        .await;
    ok_response(&done["results"][0]);
}

#[tokio::test]
async fn a_stream_outlives_its_database_being_closed_and_reopened() {
    let server = TestServer::with(&["--max-open-databases", "1"]).await;
    server.spawn_db("first").await;
    server.spawn_db("second").await;
    let body = server
        .pipeline("first", Value::Null, json!([execute("CREATE TABLE t (x)")]))
        .await;
    // Using the other database closes this one (one open database at most): a stream between
    // requests does not keep it open.
    server.sql("second", "SELECT 1", json!(null)).await;
    let (_, info) = server.get("/admin/databases/first").await;
    assert_eq!(info["open"], false, "{info}");
    let body = server
        .pipeline(
            "first",
            body["baton"].clone(),
            json!([
                execute("INSERT INTO t VALUES (1)"),
                execute("SELECT count(*) FROM t")
            ]),
        )
        .await;
    ok_response(&body["results"][0]);
    assert_eq!(
        ok_response(&body["results"][1])["result"]["rows"][0][0]["value"],
        "1"
    );
}

#[tokio::test]
async fn concurrent_transactions_and_rest_writes_serialize_without_losing_updates() {
    let server = std::sync::Arc::new(TestServer::start().await);
    server.spawn_db("bank").await;
    server
        .sql(
            "bank",
            "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0)",
            json!(null),
        )
        .await;
    const ROUNDS: usize = 10;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let streams = std::sync::Arc::clone(&server);
        let rest = std::sync::Arc::clone(&server);
        // Read-modify-write across two HTTP requests: lost updates would show in the total.
        tasks.push(tokio::spawn(async move {
            for _ in 0..ROUNDS {
                let body = streams
                    .pipeline(
                        "bank",
                        Value::Null,
                        json!([execute("BEGIN IMMEDIATE"), execute("SELECT n FROM counter")]),
                    )
                    .await;
                let n: i64 = ok_response(&body["results"][1])["result"]["rows"][0][0]["value"]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .expect("a count");
                let update = json!({ "type": "execute", "stmt": {
                    "sql": "UPDATE counter SET n = ?",
                    "args": [{ "type": "integer", "value": (n + 1).to_string() }] } });
                let done = streams
                    .pipeline(
                        "bank",
                        body["baton"].clone(),
                        json!([update, execute("COMMIT"), { "type": "close" }]),
                    )
                    .await;
                ok_response(&done["results"][1]);
            }
        }));
        tasks.push(tokio::spawn(async move {
            for _ in 0..ROUNDS {
                rest.sql("bank", "UPDATE counter SET n = n + 1", json!(null))
                    .await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let total = server
        .sql("bank", "SELECT n FROM counter", json!(null))
        .await;
    assert_eq!(total["rows"][0]["n"], 8 * ROUNDS);
    let check = server
        .sql("bank", "PRAGMA integrity_check", json!(null))
        .await;
    assert_eq!(check["rows"][0]["integrity_check"], "ok");
}

#[tokio::test]
async fn the_size_quota_holds_inside_an_interactive_transaction() {
    let server = TestServer::start().await;
    let (status, body) = server
        .post(
            "/admin/databases/spawn/small",
            json!({"limits": {"max_size_bytes": 65536}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let body = server
        .pipeline(
            "small",
            Value::Null,
            json!([
                execute("CREATE TABLE big (b BLOB)"),
                execute("BEGIN IMMEDIATE"),
                execute("INSERT INTO big VALUES (zeroblob(1000000))"),
                { "type": "get_autocommit" },
            ]),
        )
        .await;
    assert_eq!(error_code(&body["results"][2]), "SQLITE_FULL");
    // SQLite ends the transaction on a full disk; the stream says so and the writer is free.
    assert_eq!(ok_response(&body["results"][3])["is_autocommit"], true);
    server
        .sql("small", "INSERT INTO big VALUES (x'00')", json!(null))
        .await;
}
