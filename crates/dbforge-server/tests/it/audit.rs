//! The audit log over HTTP: admin actions and writes are recorded with who, what, from where
//! and how they ended (reads are not; SQL, parameters and secrets never), filtered and paged
//! by cursor, admins only, and kept across a restart.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error};

async fn query(srv: &TestServer, key: &str, sql: &str, params: Value) -> (StatusCode, Value) {
    srv.with_key(
        key,
        Method::POST,
        "/api/db/app/query",
        Some(json!({"sql": sql, "params": params})),
    )
    .await
}

async fn audit(srv: &TestServer, query: &str) -> Value {
    let (status, page) = srv.get(&format!("/admin/audit{query}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

fn actions(page: &Value) -> Vec<String> {
    page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or("?").to_owned())
        .collect()
}

#[tokio::test]
async fn admin_actions_and_writes_are_recorded_and_reads_and_secrets_are_not() {
    let srv = TestServer::start().await;
    srv.spawn_db("app").await;
    srv.sql("app", "CREATE TABLE t (v TEXT)", json!([])).await;
    let (writer_id, writer) = srv
        .create_key(json!({"name": "writer", "role": "read_write", "databases": ["app"]}))
        .await;
    let (reader_id, reader) = srv
        .create_key(json!({"name": "reader", "role": "read_only", "databases": ["app"]}))
        .await;
    let inserted = query(
        &srv,
        &writer,
        "INSERT INTO t VALUES (?)",
        json!(["super-secret-value"]),
    )
    .await;
    assert_eq!(inserted.0, StatusCode::OK);
    let read = query(&srv, &writer, "SELECT * FROM t", json!([])).await;
    assert_eq!(read.0, StatusCode::OK);
    assert_error(
        &query(&srv, &reader, "DELETE FROM t", json!([])).await,
        403,
        "forbidden",
    );
    let (status, _) = srv
        .send(
            srv.client
                .post(srv.url("/hrana/app/v3/pipeline"))
                .bearer_auth(&writer)
                .json(&json!({"requests": [
                    {"type": "execute", "stmt": {"sql": "CREATE INDEX t_v ON t (v)"}},
                    {"type": "close"}
                ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // libSQL's root route names its database by Host: the entry names it too.
    let (status, _) = srv
        .send(
            srv.client
                .post(srv.url("/v3/pipeline"))
                .bearer_auth(&writer)
                .header("host", "app.db.localhost")
                .json(&json!({"requests": [
                    {"type": "execute", "stmt": {"sql": "DROP INDEX t_v"}},
                    {"type": "close"}
                ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let by_host = audit(&srv, "?action=POST%20/v3/pipeline").await;
    assert_eq!(by_host["entries"][0]["database"], "app", "{by_host}");
    assert_eq!(by_host["entries"][0]["statements"], json!(["DROP"]));

    let page = audit(&srv, "?until=2999-01-01T00:00:00Z&action=").await;
    let page = json!({"entries": page["entries"].as_array().expect("entries")[1..].to_vec()});
    let text = page.to_string();
    assert!(
        !text.contains("super-secret-value"),
        "no parameters: {text}"
    );
    assert!(!text.contains("SELECT"), "no SQL: {text}");
    assert!(
        !text.contains(&writer) && !text.contains(&reader),
        "no secrets"
    );
    assert_eq!(
        actions(&page),
        [
            "POST /hrana/{name}/v3/pipeline",
            "POST /api/db/{name}/query",
            "POST /api/db/{name}/query",
            "POST /admin/keys",
            "POST /admin/keys",
            "POST /api/db/{name}/query",
            "POST /admin/databases/spawn/{name}",
        ],
        "newest first; the read is not there: {page}"
    );
    let entries = page["entries"].as_array().expect("entries");
    let hrana = &entries[0];
    assert_eq!(
        (
            &hrana["credential"],
            &hrana["credential_id"],
            &hrana["credential_name"]
        ),
        (&json!("key"), &json!(writer_id), &json!("writer"))
    );
    assert_eq!(
        (&hrana["database"], &hrana["statements"]),
        (&json!("app"), &json!(["CREATE"]))
    );
    let refused = &entries[1];
    assert_eq!(
        (
            &refused["credential_id"],
            &refused["status"],
            &refused["error"]
        ),
        (&json!(reader_id), &json!(403), &json!("forbidden"))
    );
    let insert = &entries[2];
    assert_eq!(
        (&insert["statements"], &insert["status"]),
        (&json!(["INSERT"]), &json!(200))
    );
    assert_eq!(insert["client"], "127.0.0.1");
    assert!(
        insert["at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{insert}"
    );
    // Key actions name their key; the bootstrap key's actions are found by kind.
    assert_eq!(entries[3]["target"], json!(reader_id), "{}", entries[3]);
    assert_eq!(entries[4]["target"], json!(writer_id), "{}", entries[4]);
    let revoked = srv
        .send(
            srv.client
                .delete(srv.url(&format!("/admin/keys/{reader_id}")))
                .header("x-api-key", crate::support::KEY),
        )
        .await;
    assert_eq!(revoked.0, StatusCode::NO_CONTENT);
    let about_reader = audit(&srv, &format!("?target={reader_id}")).await;
    assert_eq!(
        actions(&about_reader),
        ["DELETE /admin/keys/{id}", "POST /admin/keys"]
    );
    let bootstrap = audit(&srv, "?credential=bootstrap_admin").await;
    assert_eq!(
        bootstrap["entries"].as_array().map(Vec::len),
        Some(5),
        "{bootstrap}"
    );
    let spawn = &entries[6];
    assert_eq!(
        (&spawn["credential"], &spawn["database"], &spawn["status"]),
        (&json!("bootstrap_admin"), &json!("app"), &json!(201))
    );
}

#[tokio::test]
async fn the_log_is_filtered_paged_for_admins_only_and_kept_across_a_restart() {
    let srv = TestServer::start().await;
    for db in ["a", "b", "c"] {
        srv.spawn_db(db).await;
    }
    assert_eq!(
        srv.post_empty("/admin/databases/prune/c").await.0,
        StatusCode::OK
    );
    let (_, missing) = srv.post_empty("/admin/databases/prune/c").await;
    assert_eq!(missing["error"]["code"], "database_not_found");

    let errors = audit(&srv, "?outcome=error").await;
    assert_eq!(actions(&errors), ["POST /admin/databases/prune/{name}"]);
    assert_eq!(errors["entries"][0]["error"], "database_not_found");
    let on_b = audit(&srv, "?database=b").await;
    assert_eq!(on_b["entries"].as_array().map(Vec::len), Some(1));
    let spawns = audit(&srv, "?action=POST%20/admin/databases/spawn/%7Bname%7D").await;
    assert_eq!(spawns["entries"].as_array().map(Vec::len), Some(3));

    let first = audit(&srv, "?limit=2").await;
    assert_eq!(first["entries"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_i64().expect("a cursor");
    let rest = audit(&srv, &format!("?limit=10&before={cursor}")).await;
    assert_eq!(rest["entries"].as_array().map(Vec::len), Some(3));
    assert_eq!(rest["next_cursor"], Value::Null);

    assert_error(
        &srv.get("/admin/audit?outcome=maybe").await,
        400,
        "invalid_request",
    );
    // Any RFC 3339 offset is read as the instant it names.
    let all = audit(
        &srv,
        "?since=2000-01-01T02:00:00%2B02:00&until=2999-01-01T00:00:00-05:00",
    )
    .await;
    assert_eq!(all["entries"].as_array().map(Vec::len), Some(5), "{all}");
    let none = audit(&srv, "?until=2000-01-01T00:00:00%2B02:00").await;
    assert_eq!(none["entries"].as_array().map(Vec::len), Some(0), "{none}");
    assert_error(
        &srv.get("/admin/audit?since=yesterday").await,
        400,
        "invalid_request",
    );
    let (_, key) = srv
        .create_key(json!({"name": "ci", "role": "read_write", "databases": ["a"]}))
        .await;
    let refused = srv.with_key(&key, Method::GET, "/admin/audit", None).await;
    assert_error(&refused, 403, "forbidden");

    let dir = srv.stop().await;
    let again = TestServer::in_dir(dir, &[]).await;
    let kept = audit(&again, "?limit=1000").await;
    assert_eq!(kept["entries"].as_array().map(Vec::len), Some(6), "{kept}");
}

#[tokio::test]
async fn a_write_refused_inside_a_libsql_pipeline_is_audited_too() {
    let srv = TestServer::start().await;
    srv.spawn_db("app").await;
    srv.sql("app", "CREATE TABLE t (v TEXT)", json!([])).await;
    let (reader_id, reader) = srv
        .create_key(json!({"name": "reader", "role": "read_only", "databases": ["app"]}))
        .await;
    // libSQL answers 200 and carries the refusal in the statement's result.
    let (status, body) = srv
        .send(
            srv.client
                .post(srv.url("/hrana/app/v3/pipeline"))
                .bearer_auth(&reader)
                .json(&json!({"requests": [
                    {"type": "execute", "stmt": {"sql": "INSERT INTO t VALUES ('x')"}},
                    {"type": "close"}
                ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["results"][0]["error"]["code"], "FORBIDDEN", "{body}");
    // A read through the same front is not audited.
    let (status, _) = srv
        .send(
            srv.client
                .post(srv.url("/hrana/app/v3/pipeline"))
                .bearer_auth(&reader)
                .json(&json!({"requests": [
                    {"type": "execute", "stmt": {"sql": "SELECT count(*) FROM t"}},
                    {"type": "close"}
                ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = audit(&srv, &format!("?key={reader_id}")).await;
    let entries = page["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{page}");
    assert_eq!(
        (
            &entries[0]["action"],
            &entries[0]["status"],
            &entries[0]["error"],
            &entries[0]["database"]
        ),
        (
            &json!("POST /hrana/{name}/v3/pipeline"),
            &json!(200),
            &json!("forbidden"),
            &json!("app")
        )
    );
}
