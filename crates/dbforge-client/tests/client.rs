//! Every client method against a real gateway (in-process, on a random port), scoped keys and
//! per-database tokens included.

use clap::Parser;
use dbforge_client::api::{
    AuditEntry, CreateKeyRequest, CredentialKind, DatabaseLimits, ErrorCode, KeyInfo, QueryRequest,
    QueryResponse, Role, TokenAccess,
};
use dbforge_client::{AuditFilter, AuditOutcome, Client, Error, RowsQuery, Value, params};
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

/// A client of the gateway at `url` that sends `key` (a scoped key's secret or a token).
fn client_with_key(url: &str, key: &str) -> Client {
    Client::builder(url).api_key(key).build().expect("client")
}

#[tokio::test]
async fn scoped_keys_are_created_listed_rotated_and_revoked() {
    let Gateway { client, url, _dir } = gateway().await;
    let request = CreateKeyRequest {
        name: "ci runner".into(),
        role: Role::ReadWrite,
        databases: vec!["shop".into(), "ci-*".into()],
        can_create: true,
        expires_at: Some("2999-01-31T00:00:00Z".into()),
    };
    let created = client.create_key(&request).await.expect("create key");
    assert_eq!(
        (created.key.name.as_str(), created.key.role),
        ("ci runner", Role::ReadWrite)
    );
    assert_eq!(created.key.databases, ["shop", "ci-*"]);
    assert!(created.key.can_create);
    assert!(created.secret.starts_with(&created.key.prefix));

    let scoped = client_with_key(&url, &created.secret);
    scoped
        .create_database("ci-1", None)
        .await
        .expect("the key may create what its patterns match");
    let outside = scoped
        .create_database("other", None)
        .await
        .expect_err("outside the key's patterns");
    assert_eq!(outside.code(), Some(ErrorCode::Forbidden), "{outside}");
    let not_admin = scoped.list_keys().await.expect_err("keys are for admins");
    assert_eq!(not_admin.code(), Some(ErrorCode::Forbidden));

    let keys = client.list_keys().await.expect("list keys").keys;
    let [listed] = &keys[..] else {
        panic!("one key: {keys:?}")
    };
    assert!(listed.last_used_at.is_some(), "the key was used above");
    let unused = KeyInfo {
        last_used_at: None,
        ..listed.clone()
    };
    assert_eq!(unused, created.key, "listed as created");

    let rotated = client.rotate_key(&created.key.id).await.expect("rotate");
    assert_eq!(rotated.key.id, created.key.id);
    assert_ne!(rotated.secret, created.secret);
    let old = scoped.database("ci-1").await.expect_err("the old secret");
    assert_eq!(old.code(), Some(ErrorCode::Unauthorized));
    let renewed = client_with_key(&url, &rotated.secret);
    renewed
        .database("ci-1")
        .await
        .expect("the new secret works");

    client.revoke_key(&created.key.id).await.expect("revoke");
    let revoked = renewed.database("ci-1").await.expect_err("revoked");
    assert_eq!(revoked.code(), Some(ErrorCode::Unauthorized));
    assert!(client.list_keys().await.expect("list").keys.is_empty());
    let again = client
        .revoke_key(&created.key.id)
        .await
        .expect_err("already gone");
    assert_eq!(again.code(), Some(ErrorCode::KeyNotFound));
    assert!(matches!(again, Error::Api { status: 404, .. }));
    let rotate_missing = client.rotate_key("key_missing").await.expect_err("unknown");
    assert_eq!(rotate_missing.code(), Some(ErrorCode::KeyNotFound));
}

#[tokio::test]
async fn a_read_only_token_reads_and_is_forbidden_to_write() {
    let Gateway { client, url, _dir } = gateway().await;
    client.create_database("shop", None).await.expect("create");
    client
        .execute("shop", "CREATE TABLE items(name TEXT)", params![])
        .await
        .expect("create table");
    client
        .execute("shop", "INSERT INTO items VALUES ('tea')", params![])
        .await
        .expect("insert");

    let minted = client
        .mint_token("shop", TokenAccess::ReadOnly, Some("15m"))
        .await
        .expect("mint");
    assert_eq!(
        (minted.database.as_str(), minted.access),
        ("shop", TokenAccess::ReadOnly)
    );
    assert!(minted.id.starts_with("tok_"), "{}", minted.id);
    let reader = client_with_key(&url, &minted.token);
    let rows = reader
        .execute("shop", "SELECT name FROM items", params![])
        .await
        .expect("a read-only token reads");
    assert_eq!(rows.rows, [json!({"name": "tea"})]);
    let write = reader
        .execute("shop", "INSERT INTO items VALUES ('milk')", params![])
        .await
        .expect_err("a read-only token may not write");
    assert_eq!(write.code(), Some(ErrorCode::Forbidden), "{write}");
    assert!(matches!(write, Error::Api { status: 403, .. }));
    let minting = reader
        .mint_token("shop", TokenAccess::ReadOnly, None)
        .await
        .expect_err("a token cannot mint tokens");
    assert_eq!(minting.code(), Some(ErrorCode::Forbidden));

    let writer_token = client
        .mint_token("shop", TokenAccess::ReadWrite, None)
        .await
        .expect("mint read-write")
        .token;
    let writer = client_with_key(&url, &writer_token);
    writer
        .execute("shop", "INSERT INTO items VALUES ('milk')", params![])
        .await
        .expect("a read-write token writes");

    let bad_lifetime = client
        .mint_token("shop", TokenAccess::ReadOnly, Some("soon"))
        .await
        .expect_err("not a duration");
    assert_eq!(bad_lifetime.code(), Some(ErrorCode::InvalidRequest));
    let missing = client
        .mint_token("nope", TokenAccess::ReadOnly, None)
        .await
        .expect_err("no such database");
    assert_eq!(missing.code(), Some(ErrorCode::DatabaseNotFound));

    let revoked = client
        .revoke_database_tokens("shop")
        .await
        .expect("revoke shop's tokens");
    assert_eq!(revoked.database.as_deref(), Some("shop"));
    for token_client in [&reader, &writer] {
        let refused = token_client
            .execute("shop", "SELECT 1", params![])
            .await
            .expect_err("revoked");
        assert_eq!(refused.code(), Some(ErrorCode::Unauthorized), "{refused}");
    }
    let fresh = client
        .mint_token("shop", TokenAccess::ReadOnly, None)
        .await
        .expect("mint after revocation")
        .token;
    let fresh_reader = client_with_key(&url, &fresh);
    fresh_reader
        .execute("shop", "SELECT 1", params![])
        .await
        .expect("a token minted after the revocation works");
    let everything = client.revoke_all_tokens().await.expect("revoke all");
    assert_eq!(everything.database, None);
    let refused = fresh_reader
        .execute("shop", "SELECT 1", params![])
        .await
        .expect_err("revoked with every token");
    assert_eq!(refused.code(), Some(ErrorCode::Unauthorized));
}

#[tokio::test]
async fn a_read_only_key_mints_only_read_only_tokens() {
    let Gateway { client, url, _dir } = gateway().await;
    client.create_database("shop", None).await.expect("create");
    let request = CreateKeyRequest {
        name: "reader".into(),
        role: Role::ReadOnly,
        databases: vec!["shop".into()],
        can_create: false,
        expires_at: None,
    };
    let secret = client.create_key(&request).await.expect("key").secret;
    let reader = client_with_key(&url, &secret);
    reader
        .mint_token("shop", TokenAccess::ReadOnly, None)
        .await
        .expect("read-only tokens");
    let write = reader
        .mint_token("shop", TokenAccess::ReadWrite, None)
        .await
        .expect_err("beyond the key's own access");
    assert_eq!(write.code(), Some(ErrorCode::Forbidden));
    let all = reader.revoke_all_tokens().await.expect_err("admins only");
    assert_eq!(all.code(), Some(ErrorCode::Forbidden));
}

#[tokio::test]
async fn the_token_signing_key_is_public_without_a_key() {
    let Gateway { url, _dir, .. } = gateway().await;
    let anonymous = Client::builder(url).build().expect("client");
    let jwks = anonymous.jwks().await.expect("jwks");
    let [key] = &jwks.keys[..] else {
        panic!("one signing key: {jwks:?}")
    };
    assert_eq!(
        (key.kty.as_str(), key.crv.as_str(), key.alg.as_str()),
        ("OKP", "Ed25519", "EdDSA")
    );
    assert!(!key.x.is_empty() && !key.kid.is_empty());
}

/// A key for `databases` with `role`; its id and secret.
async fn key(client: &Client, name: &str, role: Role, databases: &[&str]) -> (String, String) {
    let request = CreateKeyRequest {
        name: name.into(),
        role,
        databases: databases.iter().map(|d| (*d).to_owned()).collect(),
        can_create: false,
        expires_at: None,
    };
    let created = client.create_key(&request).await.expect("create key");
    (created.key.id, created.secret)
}

#[tokio::test]
async fn the_audit_log_shows_writes_and_admin_actions_filtered_and_paged() {
    let Gateway { client, url, _dir } = gateway().await;
    client.create_database("shop", None).await.expect("create");
    client
        .execute("shop", "CREATE TABLE items(name TEXT)", params![])
        .await
        .expect("create table");
    let (writer_id, writer_secret) = key(&client, "writer", Role::ReadWrite, &["shop"]).await;
    let (reader_id, reader_secret) = key(&client, "reader", Role::ReadOnly, &["shop"]).await;
    let writer = client_with_key(&url, &writer_secret);
    writer
        .execute("shop", "INSERT INTO items VALUES ('tea')", params![])
        .await
        .expect("the writer writes");
    let reader = client_with_key(&url, &reader_secret);
    reader
        .execute("shop", "SELECT * FROM items", params![])
        .await
        .expect("a read is not audited");
    let refused = reader
        .execute("shop", "DELETE FROM items", params![])
        .await
        .expect_err("a read-only key may not write");
    assert_eq!(refused.code(), Some(ErrorCode::Forbidden));

    let everything = client.audit(&AuditFilter::default()).await.expect("audit");
    assert_eq!(everything.next_cursor, None, "one page holds it all");
    let actions: Vec<(&str, Option<&str>, u16)> = everything
        .entries
        .iter()
        .map(|e| (e.action.as_str(), e.credential_id.as_deref(), e.status))
        .collect();
    let query = "POST /api/db/{name}/query";
    assert_eq!(
        actions,
        [
            (query, Some(reader_id.as_str()), 403),
            (query, Some(writer_id.as_str()), 200),
            ("POST /admin/keys", None, 201),
            ("POST /admin/keys", None, 201),
            (query, None, 200),
            ("POST /admin/databases/spawn/{name}", None, 201),
        ],
        "newest first, reads left out: {everything:#?}"
    );
    let write = &everything.entries[1];
    assert_eq!(
        write,
        &AuditEntry {
            id: write.id,
            at: write.at.clone(),
            credential: CredentialKind::Key,
            credential_id: Some(writer_id.clone()),
            credential_name: Some("writer".into()),
            client: Some("127.0.0.1".into()),
            action: query.into(),
            database: Some("shop".into()),
            target: None,
            statements: vec!["INSERT".into()],
            status: 200,
            error: None,
        }
    );
    assert!(
        write.at.ends_with('Z') && write.at.len() == "2026-01-01T00:00:00.000Z".len(),
        "RFC 3339 in UTC to the millisecond: {}",
        write.at
    );
    let bootstrap = &everything.entries[4];
    assert_eq!(
        (bootstrap.credential, &bootstrap.statements[..]),
        (CredentialKind::BootstrapAdmin, &["CREATE".to_owned()][..])
    );

    let failed = client
        .audit(&AuditFilter {
            outcome: Some(AuditOutcome::Error),
            ..AuditFilter::default()
        })
        .await
        .expect("errors");
    let [denied] = &failed.entries[..] else {
        panic!("one refusal: {failed:#?}")
    };
    assert_eq!(
        (
            denied.credential_name.as_deref(),
            denied.status,
            denied.error.as_deref()
        ),
        (Some("reader"), 403, Some("forbidden"))
    );
    let succeeded = client
        .audit(&AuditFilter {
            outcome: Some(AuditOutcome::Ok),
            ..AuditFilter::default()
        })
        .await
        .expect("successes");
    assert_eq!(succeeded.entries.len(), 5);
    assert!(succeeded.entries.iter().all(|e| e.status < 400));
    let by_writer = client
        .audit(&AuditFilter {
            key: Some(writer_id.clone()),
            ..AuditFilter::default()
        })
        .await
        .expect("by key");
    assert_eq!(by_writer.entries, std::slice::from_ref(write));
    let key_creations = client
        .audit(&AuditFilter {
            action: Some("POST /admin/keys".into()),
            ..AuditFilter::default()
        })
        .await
        .expect("by action");
    assert_eq!(key_creations.entries.len(), 2);
    let on_shop = client
        .audit(&AuditFilter {
            database: Some("shop".into()),
            ..AuditFilter::default()
        })
        .await
        .expect("by database");
    assert_eq!(on_shop.entries.len(), 4, "{on_shop:#?}");
    let future = client
        .audit(&AuditFilter {
            since: Some("2999-01-01T00:00:00Z".into()),
            ..AuditFilter::default()
        })
        .await
        .expect("since");
    assert!(future.entries.is_empty());
    let past = client
        .audit(&AuditFilter {
            until: Some("2000-01-01T00:00:00Z".into()),
            ..AuditFilter::default()
        })
        .await
        .expect("until");
    assert!(past.entries.is_empty());
    let by_bootstrap = client
        .audit(&AuditFilter {
            credential: Some(CredentialKind::BootstrapAdmin),
            ..AuditFilter::default()
        })
        .await
        .expect("by kind");
    assert!(
        !by_bootstrap.entries.is_empty()
            && by_bootstrap
                .entries
                .iter()
                .all(|e| e.credential == CredentialKind::BootstrapAdmin),
        "{by_bootstrap:#?}"
    );
    let writer_created = client
        .audit(&AuditFilter {
            target: Some(writer_id.clone()),
            ..AuditFilter::default()
        })
        .await
        .expect("by target");
    assert_eq!(
        writer_created
            .entries
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["POST /admin/keys"]
    );

    let mut paged = Vec::new();
    let mut filter = AuditFilter {
        limit: Some(4),
        ..AuditFilter::default()
    };
    let mut pages = 0;
    loop {
        let page = client.audit(&filter).await.expect("page");
        pages += 1;
        assert!(page.entries.len() <= 4);
        paged.extend(page.entries);
        match page.next_cursor {
            Some(cursor) => filter.before = Some(cursor),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(
        paged, everything.entries,
        "the pages add up to the whole log"
    );

    let bad_time = client
        .audit(&AuditFilter {
            since: Some("yesterday".into()),
            ..AuditFilter::default()
        })
        .await
        .expect_err("not RFC 3339");
    assert_eq!(bad_time.code(), Some(ErrorCode::InvalidRequest));
    let too_many = client
        .audit(&AuditFilter {
            limit: Some(1001),
            ..AuditFilter::default()
        })
        .await
        .expect_err("past the page limit");
    assert_eq!(too_many.code(), Some(ErrorCode::InvalidRequest));
    let not_admin = writer
        .audit(&AuditFilter::default())
        .await
        .expect_err("admins only");
    assert_eq!(not_admin.code(), Some(ErrorCode::Forbidden));
    assert!(matches!(not_admin, Error::Api { status: 403, .. }));
}

#[tokio::test]
async fn exports_stream_out_and_imports_load_back_all_or_nothing() {
    use dbforge_client::{DataFormat, ExportOptions, ImportOptions};

    let Gateway { client, _dir, .. } = gateway().await;
    client.create_database("shop", None).await.expect("create");
    client
        .batch(
            "shop",
            [
                (
                    "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL)",
                    params![],
                ),
                (
                    "INSERT INTO items(name, price) VALUES ('tea', 3.5), (NULL, 1.0), ('', 2.0)",
                    params![],
                ),
            ],
        )
        .await
        .expect("fill");

    // A SQL dump, loaded into a new database, dumps the same.
    let mut dump = Vec::new();
    let written = client
        .export("shop", &ExportOptions::default(), &mut dump)
        .await
        .expect("export");
    assert_eq!(written, dump.len() as u64);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("shop.sql");
    std::fs::write(&file, &dump).expect("write the dump");
    let opened = tokio::fs::File::open(&file).await.expect("open");
    let result = client
        .import("copy", &ImportOptions::new(DataFormat::Sql), opened)
        .await
        .expect("import");
    assert!(result.created_database, "{result:?}");
    assert_eq!((result.format.as_str(), result.bytes), ("sql", written));
    let mut again = Vec::new();
    client
        .export("copy", &ExportOptions::default(), &mut again)
        .await
        .expect("export the copy");
    assert_eq!(again, dump);

    // CSV with a NULL marker: NULL and empty text stay apart.
    let csv_options = ExportOptions {
        format: DataFormat::Csv,
        table: Some("items".into()),
        null: Some("\\N".into()),
        ..Default::default()
    };
    let mut csv = Vec::new();
    client
        .export("shop", &csv_options, &mut csv)
        .await
        .expect("CSV");
    let rows = ImportOptions {
        table: Some("items".into()),
        null: Some("\\N".into()),
        ..ImportOptions::new(DataFormat::Csv)
    };
    let loaded = client
        .import("from-csv", &rows, std::io::Cursor::new(csv))
        .await
        .expect("import the CSV");
    assert_eq!((loaded.count, loaded.created_table), (3, true));
    let nulls = client
        .execute(
            "from-csv",
            "SELECT count(*) AS n FROM items WHERE name IS NULL",
            params![],
        )
        .await
        .expect("count");
    assert_eq!(nulls.rows[0]["n"], 1);

    // A bad file: the server's code and line, and nothing created.
    let bad = client
        .import(
            "never",
            &rows,
            std::io::Cursor::new(b"a,b\n1,2\n3\n".to_vec()),
        )
        .await
        .expect_err("a short record");
    assert_eq!(bad.code(), Some(ErrorCode::InvalidRequest), "{bad}");
    assert!(bad.to_string().contains("line 3"), "{bad}");
    let missing = client.database("never").await.expect_err("not created");
    assert_eq!(missing.code(), Some(ErrorCode::DatabaseNotFound));

    // Refused before the first byte: the envelope; failed after it: an error, never success.
    let unknown = ExportOptions {
        table: Some("nope".into()),
        ..Default::default()
    };
    let mut nothing = Vec::new();
    let refused = client
        .export("shop", &unknown, &mut nothing)
        .await
        .expect_err("no such table");
    assert_eq!(refused.code(), Some(ErrorCode::TableNotFound), "{refused}");
    assert!(nothing.is_empty());
    let midway = ExportOptions {
        format: DataFormat::Ndjson,
        sql: Some(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
             SELECT CASE WHEN i = 90000 THEN abs(-9223372036854775808) ELSE i END AS v FROM n"
                .into(),
        ),
        ..Default::default()
    };
    let mut partial = Vec::new();
    let cut = client
        .export("shop", &midway, &mut partial)
        .await
        .expect_err("cut short");
    assert!(matches!(cut, Error::Transport(_)), "{cut:?}");
    assert!(!partial.is_empty(), "the export had begun");
}
