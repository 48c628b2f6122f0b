//! Results of writes as the real binary reports them.

use serde_json::json;

use crate::support::{ADMIN_KEY, Api, Launch};

#[tokio::test]
async fn every_insert_reports_its_rowid() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let api = Api::new(server.url(), Some(ADMIN_KEY));
    api.spawn("rowids").await;
    api.query(
        "rowids",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, v); CREATE TABLE b (id INTEGER PRIMARY KEY, v)",
        json!([]),
    )
    .await;
    for (table, expected) in [("a", 1), ("b", 1), ("a", 2), ("b", 2)] {
        let sql = format!("INSERT INTO {table} (v) VALUES ('x')");
        let body = api.query("rowids", &sql, json!([])).await;
        assert_eq!(body["last_insert_rowid"], expected, "{sql}: {body}");
    }
}
