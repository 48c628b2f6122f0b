//! Tables and rows as resources.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error};

async fn server_with_users() -> TestServer {
    let srv = TestServer::start().await;
    srv.spawn_db("app").await;
    let (status, body) = srv
        .post(
            "/api/db/app/tables",
            json!({
                "name": "users",
                "columns": [
                    {"name": "id", "type": "INTEGER", "primary_key": true, "autoincrement": true},
                    {"name": "email", "type": "TEXT", "not_null": true, "unique": true},
                    {"name": "plan", "type": "TEXT", "default": "free"},
                    {"name": "created", "default": {"expression": "CURRENT_TIMESTAMP"}}
                ]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    srv
}

fn column_names(table: &Value) -> Vec<&str> {
    table["columns"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn create_table_from_columns_reports_the_schema() {
    let srv = server_with_users().await;
    let (status, table) = srv.get("/api/db/app/tables/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(column_names(&table), ["id", "email", "plan", "created"]);
    assert_eq!(table["columns"][0]["primary_key"], 1);
    assert_eq!(table["columns"][1]["not_null"], true);
    assert_eq!(table["columns"][2]["default"], "'free'");
    assert_eq!(table["type"], "table");
    let unique = table["indexes"].as_array().expect("indexes");
    assert!(
        unique
            .iter()
            .any(|i| i["unique"] == true && i["columns"] == json!(["email"])),
        "{table}"
    );
    let (_, list) = srv.get("/api/db/app/tables").await;
    let names: Vec<&str> = list["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["users"],
        "sqlite_sequence and other internal tables are hidden"
    );
    let (_, info) = srv.get("/admin/databases/app").await;
    assert_eq!(info["table_count"], 1);
}

#[tokio::test]
async fn create_table_quotes_names_and_refuses_bad_definitions() {
    let srv = TestServer::start().await;
    srv.spawn_db("odd").await;
    let (status, table) = srv
        .post("/api/db/odd/tables", json!({"name": "weird \"name\"; drop", "columns": [{"name": "a b", "type": "VARCHAR(20)"}], "strict": false}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{table}");
    assert_eq!(table["name"], "weird \"name\"; drop");
    let (_, t) = srv
        .get("/api/db/odd/tables/weird%20%22name%22%3B%20drop")
        .await;
    assert_eq!(column_names(&t), ["a b"]);
    for bad in [
        json!({"name": "t", "columns": []}),
        json!({"name": "t", "columns": [{"name": "a", "type": "TEXT); DROP TABLE x; --"}]}),
        json!({"name": "t", "columns": [{"name": "a"}, {"name": "A"}]}),
        json!({"name": "t", "columns": [{"name": "a", "type": "TEXT", "autoincrement": true, "primary_key": true}]}),
        json!({"name": "t", "columns": [{"name": "a", "default": {"expression": "random()"}}]}),
    ] {
        assert_error(
            &srv.post("/api/db/odd/tables", bad).await,
            400,
            "invalid_request",
        );
    }
    assert_error(
        &srv.post(
            "/api/db/odd/tables",
            json!({"name": "t", "columns": [{"name": "a", "kind": "x"}]}),
        )
        .await,
        400,
        "invalid_json",
    );
    let duplicate = json!({"name": "weird \"name\"; drop", "columns": [{"name": "x"}]});
    assert_error(
        &srv.post("/api/db/odd/tables", duplicate).await,
        400,
        "sql_error",
    );
    assert_error(
        &srv.get("/api/db/odd/tables/missing").await,
        404,
        "table_not_found",
    );
}

#[tokio::test]
async fn insert_one_or_many_rows_returns_rowids_atomically() {
    let srv = server_with_users().await;
    let (status, body) = srv
        .post("/api/db/app/tables/users/rows", json!({"email": "a@x"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body, json!({"inserted": 1, "rowids": [1]}));
    let (status, body) = srv
        .post(
            "/api/db/app/tables/users/rows",
            json!({"rows": [{"email": "b@x", "plan": "pro"}, {"email": "c@x"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body, json!({"inserted": 2, "rowids": [2, 3]}));
    let failing = srv
        .post(
            "/api/db/app/tables/users/rows",
            json!({"rows": [{"email": "d@x"}, {"email": "a@x"}]}),
        )
        .await;
    assert_error(&failing, 409, "constraint_violation");
    assert!(
        failing.1["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("row 2")),
        "{}",
        failing.1
    );
    let body = srv
        .sql("app", "select count(*) as n from users", json!(null))
        .await;
    assert_eq!(
        body["rows"][0]["n"], 3,
        "the failed batch left nothing behind"
    );
    let body = srv
        .sql(
            "app",
            "select plan, created is not null as stamped from users where id = 3",
            json!(null),
        )
        .await;
    assert_eq!(body["rows"][0], json!({"plan": "free", "stamped": 1}));
    assert_error(
        &srv.post("/api/db/app/tables/users/rows", json!({"nope": 1}))
            .await,
        400,
        "column_not_found",
    );
    assert_error(
        &srv.post("/api/db/app/tables/users/rows", json!({"rows": [1, 2]}))
            .await,
        400,
        "invalid_json",
    );
    assert_error(
        &srv.post("/api/db/app/tables/users/rows", json!({"rows": []}))
            .await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.post("/api/db/app/tables/missing/rows", json!({"a": 1}))
            .await,
        404,
        "table_not_found",
    );
    // What is missing is named before a value that is not one.
    assert_error(
        &srv.post("/api/db/app/tables/missing/rows", json!({"a": [1, 2]}))
            .await,
        404,
        "table_not_found",
    );
    assert_error(
        &srv.post("/api/db/app/tables/users/rows", json!({"nope": [1, 2]}))
            .await,
        400,
        "column_not_found",
    );
    let (status, body) = srv
        .post("/api/db/app/tables/users/rows", json!({"email": [1, 2]}))
        .await;
    assert_error(&(status, body.clone()), 400, "invalid_json");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("row 1, column \"email\"")),
        "{body}"
    );
}

#[tokio::test]
async fn read_rows_pages_orders_and_filters() {
    let srv = server_with_users().await;
    let rows: Vec<Value> = (1..=25).map(|i| json!({"email": format!("u{i:02}@x"), "plan": if i % 5 == 0 { "pro" } else { "free" }})).collect();
    let (status, _) = srv
        .post("/api/db/app/tables/users/rows", json!({"rows": rows}))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Keyset paging by rowid walks every row exactly once.
    let mut seen = Vec::new();
    let mut path = "/api/db/app/tables/users/rows?limit=10".to_owned();
    loop {
        let (status, page) = srv.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(column_names(&page).len(), 0, "columns are a list of names");
        assert_eq!(page["columns"], json!(["id", "email", "plan", "created"]));
        seen.extend(
            page["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .map(|r| r["id"].as_i64().unwrap_or(0)),
        );
        match page["next_after"].as_i64() {
            Some(after) => path = format!("/api/db/app/tables/users/rows?limit=10&after={after}"),
            None => break,
        }
    }
    assert_eq!(seen, (1..=25).collect::<Vec<i64>>());

    let (_, page) = srv
        .get("/api/db/app/tables/users/rows?order_by=email&order=desc&limit=3&offset=1")
        .await;
    let emails: Vec<&str> = page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["email"].as_str())
        .collect();
    assert_eq!(emails, ["u24@x", "u23@x", "u22@x"]);
    assert_eq!(page["next_offset"], 4);

    let (_, page) = srv
        .get("/api/db/app/tables/users/rows?where.plan=pro&rowid=true")
        .await;
    let ids: Vec<i64> = page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["_rowid_"].as_i64())
        .collect();
    assert_eq!(ids, [5, 10, 15, 20, 25]);
    let (_, page) = srv.get("/api/db/app/tables/users/rows?where.id=7").await;
    assert_eq!(
        page["rows"][0]["email"], "u07@x",
        "text filters compare with the column's affinity"
    );

    assert_error(
        &srv.get("/api/db/app/tables/users/rows?where.nope=1").await,
        400,
        "column_not_found",
    );
    assert_error(
        &srv.get("/api/db/app/tables/users/rows?order_by=nope").await,
        400,
        "column_not_found",
    );
    assert_error(
        &srv.get("/api/db/app/tables/users/rows?limit=0").await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.get("/api/db/app/tables/users/rows?limit=x").await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.get("/api/db/app/tables/users/rows?order=sideways")
            .await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.get("/api/db/app/tables/users/rows?bogus=1").await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.get("/api/db/app/tables/nope/rows").await,
        404,
        "table_not_found",
    );
}

#[tokio::test]
async fn views_are_listed_and_readable() {
    let srv = server_with_users().await;
    srv.sql(
        "app",
        "create view pros as select email from users where plan = 'pro'",
        json!(null),
    )
    .await;
    srv.post(
        "/api/db/app/tables/users/rows",
        json!({"rows": [{"email": "p@x", "plan": "pro"}, {"email": "f@x"}]}),
    )
    .await;
    let (_, view) = srv.get("/api/db/app/tables/pros").await;
    assert_eq!(view["type"], "view");
    let (status, page) = srv.get("/api/db/app/tables/pros/rows").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["rows"], json!([{"email": "p@x"}]));
    assert_error(
        &srv.post("/api/db/app/tables/pros/rows", json!({"email": "x"}))
            .await,
        400,
        "invalid_request",
    );
}

#[tokio::test]
async fn a_table_segment_that_is_not_utf8_is_a_bad_request_not_a_bad_database_name() {
    let srv = TestServer::start().await;
    srv.spawn_db("u").await;
    assert_error(
        &srv.get("/api/db/u/tables/%FF/rows").await,
        400,
        "invalid_request",
    );
    assert_error(
        &srv.get("/api/db/%FF/tables").await,
        400,
        "invalid_database_name",
    );
}
