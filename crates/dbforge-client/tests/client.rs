//! Every client method against a real gateway (in-process, on a random port).

use clap::Parser;
use dbforge_client::api::{DatabaseLimits, ErrorCode, QueryRequest, QueryResponse};
use dbforge_client::{Client, Error, RowsQuery, Value, params};
use serde_json::json;

const KEY: &str = "client-test-key-0123456789";

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    serve: dbforge_server::ServeConfig,
}

/// A gateway for one test: its URL, a client with the key, and its data directory.
struct Gateway {
    url: String,
    client: Client,
    _dir: tempfile::TempDir,
}

async fn gateway() -> Gateway {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8 path").to_owned();
    let argv = ["dbforge", "--data-dir", &data, "--admin-key", KEY];
    let config = Args::try_parse_from(argv).expect("flags").serve;
    let gateway = tokio::task::spawn_blocking(move || dbforge_server::Gateway::open(&config))
        .await
        .expect("task")
        .expect("gateway");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let never = std::future::pending::<()>();
    tokio::spawn(dbforge_server::serve_with(
        listener,
        gateway.state,
        never,
        std::time::Duration::from_secs(1),
    ));
    let client = Client::builder(url.clone())
        .api_key(KEY)
        .build()
        .expect("client");
    Gateway {
        url,
        client,
        _dir: dir,
    }
}

#[tokio::test]
async fn databases_are_created_listed_inspected_and_deleted() {
    let Gateway { client, _dir, .. } = gateway().await;
    assert_eq!(client.health().await.expect("health").status, "ok");
    assert_eq!(client.ready().await.expect("ready").status, "ready");
    for name in ["b-db", "a-db", "c-db"] {
        client.create_database(name, None).await.expect("create");
    }
    let limited = client
        .create_database(
            "small",
            Some(DatabaseLimits {
                max_size_bytes: Some(65536),
            }),
        )
        .await
        .expect("create with limits");
    assert_eq!(limited.max_size_bytes, 65536);
    let page = client
        .list_databases(Some(2), None, None)
        .await
        .expect("list");
    assert_eq!(page.total, 4);
    let names: Vec<&str> = page.databases.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["a-db", "b-db"]);
    let next = client
        .list_databases(Some(2), page.next_cursor.as_deref(), None)
        .await
        .expect("page 2");
    assert_eq!(next.databases[0].name.as_str(), "c-db");
    let only_c = client
        .list_databases(None, None, Some("c"))
        .await
        .expect("prefix");
    assert_eq!(only_c.total, 1);
    assert_eq!(client.database("a-db").await.expect("info").table_count, 0);
    assert_eq!(
        client
            .delete_database("a-db")
            .await
            .expect("delete")
            .deleted
            .as_str(),
        "a-db"
    );
    let stats = client.stats().await.expect("stats");
    assert_eq!(stats.database_count, 3);
    assert!(
        client
            .metrics()
            .await
            .expect("metrics")
            .contains("http_requests_total{")
    );
}

#[tokio::test]
async fn server_errors_carry_their_code_status_and_message() {
    let Gateway { client, url, _dir } = gateway().await;
    let missing = client.database("nope").await.expect_err("missing");
    assert_eq!(missing.code(), Some(ErrorCode::DatabaseNotFound));
    assert!(matches!(missing, Error::Api { status: 404, .. }));
    client.create_database("twice", None).await.expect("create");
    let conflict = client
        .create_database("twice", None)
        .await
        .expect_err("exists");
    assert_eq!(conflict.code(), Some(ErrorCode::DatabaseExists));
    let invalid = client
        .create_database("Not Valid", None)
        .await
        .expect_err("bad name");
    assert_eq!(invalid.code(), Some(ErrorCode::InvalidDatabaseName));
    let sql = client
        .execute("twice", "selec 1", params![])
        .await
        .expect_err("syntax");
    assert_eq!(sql.code(), Some(ErrorCode::SqlError));
    assert!(sql.to_string().contains("syntax error"), "{sql}");
    let anonymous = Client::builder(url).build().expect("client");
    let unauthorized = anonymous.stats().await.expect_err("no key");
    assert_eq!(unauthorized.code(), Some(ErrorCode::Unauthorized));
}

#[tokio::test]
async fn sql_runs_with_params_values_and_batches() {
    let Gateway { client, _dir, .. } = gateway().await;
    client.create_database("sql", None).await.expect("create");
    client
        .execute(
            "sql",
            "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB, big INTEGER)",
            params![],
        )
        .await
        .expect("create table");
    let big = 9_007_199_254_740_993_i64;
    let inserted = client
        .execute(
            "sql",
            "INSERT INTO t(name, data, big) VALUES (?, ?, ?)",
            params!["ünï", vec![0_u8, 255], big],
        )
        .await
        .expect("insert");
    assert_eq!(
        (inserted.rows_affected, inserted.last_insert_rowid),
        (1, Some(1))
    );
    let named = dbforge_client::Params::Named(vec![("id".into(), Value::Integer(1))]);
    let row = client
        .execute("sql", "SELECT name, data, big FROM t WHERE id = :id", named)
        .await
        .expect("select");
    assert_eq!(
        row.rows[0],
        json!({"name": "ünï", "data": {"base64": "AP8="}, "big": big})
    );
    let lossless = QueryRequest {
        sql: Some("SELECT big FROM t".into()),
        lossless: true,
        ..QueryRequest::default()
    };
    let QueryResponse::Single(result) = client.query("sql", &lossless).await.expect("query") else {
        panic!("one statement gives one result");
    };
    assert_eq!(result.rows[0]["big"], json!({"integer": big.to_string()}));
    let batch = client
        .batch(
            "sql",
            [
                ("INSERT INTO t(name) VALUES (?)", params!["x"]),
                ("SELECT count(*) AS n FROM t", params![]),
            ],
        )
        .await
        .expect("batch");
    assert_eq!(batch.results[1].rows[0]["n"], 2);
    let failed = client
        .batch(
            "sql",
            [
                ("INSERT INTO t(name) VALUES ('y')", params![]),
                ("INSERT INTO t(id) VALUES (1)", params![]),
            ],
        )
        .await
        .expect_err("constraint");
    assert_eq!(failed.code(), Some(ErrorCode::ConstraintViolation));
    let count = client
        .execute("sql", "SELECT count(*) AS n FROM t", params![])
        .await
        .expect("count");
    assert_eq!(count.rows[0]["n"], 2, "the failed batch left nothing");
}

#[tokio::test]
async fn tables_and_rows_are_resources() {
    let Gateway { client, _dir, .. } = gateway().await;
    client.create_database("res", None).await.expect("create");
    let request = serde_json::from_value(json!({
        "name": "odd/table name",
        "columns": [{"name": "id", "type": "INTEGER", "primary_key": true}, {"name": "tag", "type": "TEXT"}]
    }))
    .expect("request");
    let created = client
        .create_table("res", &request)
        .await
        .expect("create table");
    assert_eq!(created.name, "odd/table name");
    assert_eq!(client.tables("res").await.expect("tables").tables.len(), 1);
    assert_eq!(
        client
            .table("res", "odd/table name")
            .await
            .expect("table")
            .columns
            .len(),
        2
    );
    let rows = (1..=5)
        .map(|i| json!({"tag": if i % 2 == 0 { "even" } else { "odd" }}))
        .collect();
    let inserted = client
        .insert_rows("res", "odd/table name", rows)
        .await
        .expect("insert");
    assert_eq!(
        inserted.rowids,
        [Some(1), Some(2), Some(3), Some(4), Some(5)]
    );
    let query = RowsQuery {
        filters: vec![("tag".into(), "even".into())],
        ..RowsQuery::default()
    };
    let page = client
        .read_rows("res", "odd/table name", &query)
        .await
        .expect("rows");
    assert_eq!(
        page.rows,
        [
            json!({"id": 2, "tag": "even"}),
            json!({"id": 4, "tag": "even"})
        ]
    );
    let first = RowsQuery {
        limit: Some(2),
        ..RowsQuery::default()
    };
    let page = client
        .read_rows("res", "odd/table name", &first)
        .await
        .expect("page");
    let rest = RowsQuery {
        after: page.next_after,
        descending: false,
        ..RowsQuery::default()
    };
    let page = client
        .read_rows("res", "odd/table name", &rest)
        .await
        .expect("rest");
    assert_eq!(page.rows.len(), 3);
    let missing = client.table("res", "nope").await.expect_err("missing");
    assert_eq!(missing.code(), Some(ErrorCode::TableNotFound));
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let client = Client::builder(url).retries(1).build().expect("client");
    let started = std::time::Instant::now();
    let err = client.health().await.expect_err("nothing listens");
    assert!(
        matches!(err, Error::Transport(_)) && err.is_retryable(),
        "{err}"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(90),
        "one retry with backoff"
    );
    assert!(Client::builder("not a url").build().is_err());
}
