//! Export and import over HTTP: a SQL dump that the real `sqlite3` CLI loads into an
//! identical database, CSV / JSON / NDJSON round trips that keep every type, SQLite files
//! in and out, streaming beyond the 10,000-row result limit, and bad input refused whole
//! (nothing half-imported, nothing left behind).

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{KEY, TestServer, assert_error};

/// A database with every kind of value and schema object worth a round trip.
async fn shop(server: &TestServer) {
    server.spawn_db("shop").await;
    let (status, body) = server
        .query(
            "shop",
            json!({"statements": [
                {"sql": "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"},
                {"sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer INTEGER REFERENCES customers(id), note TEXT, total REAL, big INTEGER, receipt BLOB, shout TEXT GENERATED ALWAYS AS (upper(note)) VIRTUAL)"},
                {"sql": "CREATE INDEX orders_by_customer ON orders (customer)"},
                {"sql": "CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 10"},
                {"sql": "CREATE TRIGGER orders_note AFTER INSERT ON orders WHEN new.note IS NULL BEGIN UPDATE orders SET note = '' WHERE id = new.id; END"},
                {"sql": "INSERT INTO customers VALUES (1, 'Zoë ✓'), (2, 'O''Brien, \"the\" boss')"},
                {"sql": "INSERT INTO orders (customer, note, total, big, receipt) VALUES (1, 'first;\nsecond line', 12.5, 9007199254740993, X'00ff10')"},
                {"sql": "INSERT INTO orders (customer, note, total, big, receipt) VALUES (2, 'x', 0.1, -9223372036854775808, X'')"},
                {"sql": "INSERT INTO orders (customer, note, total, big, receipt) VALUES (NULL, 'nulls', NULL, NULL, NULL)"},
                {"sql": "INSERT INTO orders (customer, note, total, big, receipt) VALUES (1, '', 1e300, 0, NULL)"}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn get_bytes(
    server: &TestServer,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let response = server
        .client
        .get(server.url(path))
        .header("x-api-key", KEY)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.bytes().await.expect("body").to_vec(),
    )
}

async fn import(
    server: &TestServer,
    path: &str,
    body: Vec<u8>,
    content_type: &str,
) -> (StatusCode, Value) {
    server
        .send(
            server
                .client
                .post(server.url(path))
                .header("x-api-key", KEY)
                .header("content-type", content_type)
                .body(body),
        )
        .await
}

/// Every row of a query as NDJSON text: a lossless, typed picture of the rows.
async fn rows(server: &TestServer, db: &str, sql: &str) -> String {
    let path = format!("/api/db/{db}/export?format=ndjson&sql={}", urlencode(sql));
    let (status, _, body) = get_bytes(server, &path).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    String::from_utf8(body).expect("utf-8")
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn sqlite3(db: &std::path::Path, input: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("sqlite3")
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the sqlite3 CLI (apt-get install sqlite3)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    let output = child.wait_with_output().expect("sqlite3 ran");
    assert!(
        output.status.success(),
        "sqlite3: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[tokio::test]
async fn a_sql_dump_loads_in_the_sqlite3_cli_into_an_identical_database() {
    let server = TestServer::start().await;
    shop(&server).await;
    let (status, headers, dump) = get_bytes(&server, "/api/db/shop/export?format=sql").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"shop.sql\""
    );
    let dir = tempfile::tempdir().expect("dir");
    let loaded = dir.path().join("loaded.db");
    sqlite3(&loaded, &dump);
    // The same database, as sqlite3 itself sees both: schema, rows, indexes, triggers, views.
    let original = sqlite3(&server.dir.path().join("shop.db"), b".dump\n");
    assert_eq!(sqlite3(&loaded, b".dump\n"), original);
    assert!(
        original.contains("CREATE TRIGGER orders_note"),
        "{original}"
    );
    assert!(
        original.contains("INSERT INTO sqlite_sequence"),
        "{original}"
    );
    // And back in through the import: the same dump again.
    let (status, body) = import(
        &server,
        "/admin/databases/reloaded/import?format=sql",
        dump.clone(),
        "application/octet-stream",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["created_database"], true);
    let (_, _, again) = get_bytes(&server, "/api/db/reloaded/export").await;
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&dump)
    );
    // A dump of one table holds it, its index and its trigger, not the rest.
    let (_, _, one) = get_bytes(&server, "/api/db/shop/export?table=customers").await;
    let one = String::from_utf8(one).expect("utf-8");
    assert!(
        one.contains("CREATE TABLE customers") && !one.contains("orders"),
        "{one}"
    );
}

#[tokio::test]
async fn csv_json_and_ndjson_exports_import_back_with_every_type_intact() {
    let server = TestServer::start().await;
    shop(&server).await;
    let original = rows(&server, "shop", "SELECT * FROM orders ORDER BY id").await;
    assert!(
        original.contains(r#"{"integer":"9007199254740993"}"#),
        "{original}"
    );
    for (format, null, content_type) in [
        ("csv", "", "text/csv"),
        ("csv", "&null=%5CN", "text/csv"),
        ("json", "", "application/json"),
        ("ndjson", "", "application/x-ndjson"),
    ] {
        let (status, _, exported) = get_bytes(
            &server,
            &format!("/api/db/shop/export?format={format}&table=orders{null}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{format}");
        let target = format!("from-{format}{}", null.len());
        // The format comes from the Content-Type here.
        let (status, body) = import(
            &server,
            &format!("/admin/databases/{target}/import?table=orders{null}"),
            exported,
            content_type,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{format}: {body}");
        assert_eq!(body["count"], 4, "{format}: {body}");
        assert_eq!(body["created_table"], true);
        let copied = rows(&server, &target, "SELECT * FROM orders ORDER BY id").await;
        // The generated column is computed, not stored: compare what was stored.
        let stored = |text: &str| -> Vec<Value> {
            text.lines()
                .map(|l| {
                    let mut row: Value = serde_json::from_str(l).expect("json");
                    row.as_object_mut().expect("object").remove("shout");
                    row
                })
                .collect()
        };
        assert_eq!(stored(&copied), stored(&original), "{format}");
    }
    // CSV keeps text that looks like something else apart from it: a quoted field is text.
    server.spawn_db("lookalikes").await;
    server
        .sql(
            "lookalikes",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, note)",
            json!([]),
        )
        .await;
    server
        .sql(
            "lookalikes",
            "INSERT INTO t (note) VALUES ('\\N'), ('42'), ('1.5'), ('\\x41'), (''), (NULL), (42), (X'41'), ('Infinity')",
            json!([]),
        )
        .await;
    let original = rows(
        &server,
        "lookalikes",
        "SELECT id, note, typeof(note) AS t FROM t ORDER BY id",
    )
    .await;
    for null in ["", "&null=%5CN"] {
        let (_, _, exported) = get_bytes(
            &server,
            &format!("/api/db/lookalikes/export?format=csv&table=t{null}"),
        )
        .await;
        let target = format!("lookalikes-back{}", null.len());
        server.spawn_db(&target).await;
        server
            .sql(
                &target,
                "CREATE TABLE t (id INTEGER PRIMARY KEY, note)",
                json!([]),
            )
            .await;
        let (status, body) = import(
            &server,
            &format!("/admin/databases/{target}/import?format=csv&table=t{null}"),
            exported,
            "text/csv",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let copied = rows(
            &server,
            &target,
            "SELECT id, note, typeof(note) AS t FROM t ORDER BY id",
        )
        .await;
        assert_eq!(copied, original, "null marker {null:?}");
    }
    // Into an existing table, its columns' types decide.
    let (status, body) = import(
        &server,
        "/admin/databases/shop/import?format=csv&table=customers",
        b"id,name\n3,\"new, one\"\n4,42\n".to_vec(),
        "text/csv",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["created_database"], false);
    let added = rows(
        &server,
        "shop",
        "SELECT id, name, typeof(name) AS t FROM customers WHERE id > 2",
    )
    .await;
    assert_eq!(
        added,
        "{\"id\":3,\"name\":\"new, one\",\"t\":\"text\"}\n{\"id\":4,\"name\":\"42\",\"t\":\"text\"}\n"
    );
}

#[tokio::test]
async fn exports_stream_past_the_result_limit_and_sqlite_files_go_out_and_in() {
    let server = TestServer::with(&["--max-result-rows", "100"]).await;
    server.spawn_db("big").await;
    server
        .sql("big", "CREATE TABLE t AS WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 25000) SELECT n, 'row ' || n AS label FROM s", json!([]))
        .await;
    let (status, _, csv) = get_bytes(&server, "/api/db/big/export?format=csv&table=t").await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(csv).expect("utf-8");
    assert_eq!(
        text.lines().count(),
        25_001,
        "a header and every row, no limit"
    );
    assert!(text.ends_with("25000,row 25000\r\n"));

    let (status, headers, file) = get_bytes(&server, "/api/db/big/export?format=sqlite").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/vnd.sqlite3");
    assert!(file.starts_with(b"SQLite format 3\0"));
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("copy.db"), &file).expect("write");
    assert_eq!(
        sqlite3(
            &dir.path().join("copy.db"),
            b"SELECT count(*) FROM t; PRAGMA integrity_check;\n"
        ),
        "25000\nok\n"
    );

    let (status, body) = import(
        &server,
        "/admin/databases/uploaded/import",
        file,
        "application/vnd.sqlite3",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, info) = server.get("/admin/databases/uploaded").await;
    assert_eq!(info["table_count"], 1);
    let journal = server
        .sql("uploaded", "PRAGMA journal_mode", json!([]))
        .await;
    assert_eq!(
        journal["rows"][0]["journal_mode"], "wal",
        "converted to WAL"
    );
    assert_error(
        &import(
            &server,
            "/admin/databases/uploaded/import?format=sqlite",
            b"x".to_vec(),
            "application/octet-stream",
        )
        .await,
        409,
        "database_exists",
    );
}

#[tokio::test]
async fn bad_imports_are_refused_whole_and_leave_nothing_behind() {
    let server = TestServer::with(&["--max-import-bytes", "64KiB"]).await;
    shop(&server).await;
    let before = rows(&server, "shop", "SELECT * FROM customers").await;
    let octets = "application/octet-stream";
    // A CSV with a bad row in the middle: no row of it lands, and the error names its line.
    let csv = b"id,name\n10,a\n11,b\n12\n13,d\n".to_vec();
    let response = import(
        &server,
        "/admin/databases/shop/import?format=csv&table=customers",
        csv,
        octets,
    )
    .await;
    assert_error(&response, 400, "invalid_request");
    assert!(
        response.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("line 4"),
        "{}",
        response.1
    );
    assert_eq!(
        rows(&server, "shop", "SELECT * FROM customers").await,
        before
    );
    // The same with CRLF line ends (what CSV exports write), and a quote never closed.
    let message = |response: &(StatusCode, Value)| {
        response.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let csv = b"id,name\r\n10,a\r\n11,b\r\n12\r\n13,d\r\n".to_vec();
    let response = import(
        &server,
        "/admin/databases/shop/import?format=csv&table=customers",
        csv,
        octets,
    )
    .await;
    assert!(message(&response).starts_with("line 4"), "{}", response.1);
    let csv = b"id,name\n10,\"open\n11,b\n".to_vec();
    let response = import(
        &server,
        "/admin/databases/shop/import?format=csv&table=customers",
        csv,
        octets,
    )
    .await;
    assert_error(&response, 400, "invalid_request");
    assert!(message(&response).starts_with("line 2"), "{}", response.1);
    // A JSON array whose third element is not an object.
    let json = br#"[{"id": 30, "name": "a"}, {"id": 31, "name": "b"}, 5]"#.to_vec();
    let response = import(
        &server,
        "/admin/databases/shop/import?format=json&table=customers",
        json,
        octets,
    )
    .await;
    assert_error(&response, 400, "invalid_request");
    assert!(message(&response).starts_with("row 3"), "{}", response.1);
    assert_eq!(
        rows(&server, "shop", "SELECT * FROM customers").await,
        before
    );
    // A row breaking a constraint in the middle.
    let ndjson = b"{\"id\": 20, \"name\": \"ok\"}\n{\"id\": 21, \"name\": null}\n".to_vec();
    let response = import(
        &server,
        "/admin/databases/shop/import?format=ndjson&table=customers",
        ndjson,
        octets,
    )
    .await;
    assert_error(&response, 409, "constraint_violation");
    assert!(
        response.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("line 2"),
        "{}",
        response.1
    );
    assert_eq!(
        rows(&server, "shop", "SELECT * FROM customers").await,
        before
    );
    // A dump with an ATTACH: refused by the sandbox, and the database it would create is gone.
    let dump =
        b"CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\nATTACH DATABASE '/tmp/x.db' AS x;\n"
            .to_vec();
    let response = import(
        &server,
        "/admin/databases/attached/import?format=sql",
        dump,
        octets,
    )
    .await;
    assert_error(&response, 403, "statement_not_allowed");
    assert!(
        response.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("line 3"),
        "{}",
        response.1
    );
    assert_error(
        &server.get("/admin/databases/attached").await,
        404,
        "database_not_found",
    );
    assert!(!server.dir.path().join("attached.db").exists());
    // Not SQLite, a truncated SQLite file, a file over the upload limit.
    let response = import(
        &server,
        "/admin/databases/fake/import?format=sqlite",
        b"hello, not a database".to_vec(),
        octets,
    )
    .await;
    assert_error(&response, 422, "invalid_database_file");
    let (_, _, file) = get_bytes(&server, "/api/db/shop/export?format=sqlite").await;
    let truncated = file[..file.len() / 2].to_vec();
    let response = import(
        &server,
        "/admin/databases/cut/import?format=sqlite",
        truncated,
        octets,
    )
    .await;
    assert_error(&response, 422, "invalid_database_file");
    let response = import(
        &server,
        "/admin/databases/huge/import?format=csv&table=t",
        vec![b'a'; 70 * 1024],
        octets,
    )
    .await;
    assert_error(&response, 413, "payload_too_large");
    // Wrong or missing formats, a JSON that is not an array of objects, an empty upload.
    assert_error(
        &import(
            &server,
            "/admin/databases/shop/import",
            b"x".to_vec(),
            octets,
        )
        .await,
        415,
        "unsupported_media_type",
    );
    assert_error(
        &import(
            &server,
            "/admin/databases/shop/import?format=xml",
            b"x".to_vec(),
            octets,
        )
        .await,
        400,
        "invalid_request",
    );
    assert_error(
        &import(
            &server,
            "/admin/databases/shop/import?format=json&table=customers",
            b"{\"id\": 1}".to_vec(),
            octets,
        )
        .await,
        400,
        "invalid_request",
    );
    assert_error(
        &import(
            &server,
            "/admin/databases/shop/import?format=csv",
            b"a\n1\n".to_vec(),
            octets,
        )
        .await,
        400,
        "invalid_request",
    );
    assert_error(
        &import(
            &server,
            "/admin/databases/shop/import?format=csv&table=t",
            Vec::new(),
            octets,
        )
        .await,
        400,
        "invalid_request",
    );
    for name in ["fake", "cut", "huge"] {
        assert_error(
            &server.get(&format!("/admin/databases/{name}")).await,
            404,
            "database_not_found",
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(server.dir.path().join("_forge/tmp"))
        .expect("tmp")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A dump cut off in the middle of a statement: nothing of it lands.
    let (_, _, dump) = get_bytes(&server, "/api/db/shop/export?format=sql").await;
    let cut = dump[..dump.len() * 2 / 3].to_vec();
    let response = import(
        &server,
        "/admin/databases/cutdump/import?format=sql",
        cut,
        octets,
    )
    .await;
    assert_eq!(response.0.as_u16(), 400, "{}", response.1);
    assert!(message(&response).starts_with("line "), "{}", response.1);
    assert_error(
        &server.get("/admin/databases/cutdump").await,
        404,
        "database_not_found",
    );
    // Options that do not apply to the format are refused, not ignored.
    for (path, body) in [
        (
            "/admin/databases/opt/import?format=sql&table=t",
            b"SELECT 1;".to_vec(),
        ),
        (
            "/admin/databases/opt/import?format=json&table=t&null=N",
            b"[]".to_vec(),
        ),
    ] {
        assert_error(
            &import(&server, path, body, octets).await,
            400,
            "invalid_request",
        );
    }
    assert_error(
        &server.get("/api/db/shop/export?format=sql&null=N").await,
        400,
        "invalid_request",
    );
    let several = server
        .get("/api/db/shop/export?format=csv&sql=SELECT%201%3B%20SELECT%202")
        .await;
    assert_error(&several, 400, "invalid_request");
    assert!(
        several.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("one query"),
        "{}",
        several.1
    );
    // Bad exports: before any byte, with the envelope.
    assert_error(
        &server.get("/api/db/shop/export?format=csv").await,
        400,
        "invalid_request",
    );
    assert_error(
        &server
            .get("/api/db/shop/export?format=csv&table=nope")
            .await,
        404,
        "table_not_found",
    );
    assert_error(
        &server
            .get("/api/db/shop/export?format=csv&sql=DELETE%20FROM%20orders")
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &server
            .get("/api/db/shop/export?format=sql&sql=SELECT%201")
            .await,
        400,
        "invalid_request",
    );
    assert_error(
        &server
            .get("/api/db/shop/export?format=sqlite&table=orders")
            .await,
        400,
        "invalid_request",
    );
}

#[tokio::test]
async fn a_read_only_key_exports_but_cannot_import() {
    let server = TestServer::start().await;
    shop(&server).await;
    let (_, reader) = server
        .create_key(json!({"name": "r", "role": "read_only", "databases": ["shop"]}))
        .await;
    let response = server
        .client
        .get(server.url("/api/db/shop/export?format=json&table=customers"))
        .header("x-api-key", &reader)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    let response = server
        .send(
            server
                .client
                .post(server.url("/admin/databases/shop/import?format=csv&table=customers"))
                .header("x-api-key", &reader)
                .body("id,name\n9,x\n"),
        )
        .await;
    assert_error(&response, 403, "forbidden");
    let response = server
        .send(
            server
                .client
                .post(server.url("/admin/databases/other/import?format=csv&table=t"))
                .header("x-api-key", &reader)
                .body("a\n1\n"),
        )
        .await;
    assert_error(&response, 403, "forbidden");
}

#[tokio::test]
async fn a_sqlite_file_over_the_database_quota_is_refused() {
    let server = TestServer::with(&["--max-database-size", "64KiB"]).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("big.db");
    sqlite3(&file, b"CREATE TABLE t AS WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 100) SELECT n, randomblob(2000) AS b FROM s;\n");
    let bytes = std::fs::read(&file).expect("read");
    assert!(bytes.len() > 64 * 1024);
    let response = import(
        &server,
        "/admin/databases/big/import?format=sqlite",
        bytes,
        "application/octet-stream",
    )
    .await;
    assert_error(&response, 507, "database_full");
    assert_error(
        &server.get("/admin/databases/big").await,
        404,
        "database_not_found",
    );
    assert!(!server.dir.path().join("big.db").exists());
}
