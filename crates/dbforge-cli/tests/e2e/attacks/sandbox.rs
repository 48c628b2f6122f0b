//! SQL and values that try to get past the sandbox: the `temp` schema under any spelling, temp
//! storage, NUL characters, integers beyond 64 bits, and schema objects that cannot be
//! described.

use reqwest::StatusCode;
use serde_json::json;

use super::Siege;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_can_be_made_in_the_temp_schema_however_it_is_spelled() {
    let siege = Siege::start(&[]).await;
    siege.api.spawn("attacker").await;
    let setup = "CREATE TABLE t(a)";
    siege.api.query("attacker", setup, json!([])).await;
    for sql in [
        "CREATE TABLE temp.x(a)",
        "CREATE TABLE \"temp\".x AS SELECT zeroblob(1000000)",
        "CREATE VIEW temp.v AS SELECT 1",
        "CREATE TRIGGER temp.tr AFTER INSERT ON main.t BEGIN UPDATE t SET a = 0; END",
        "CREATE TEMP TABLE y(a)",
    ] {
        let (status, body) = siege
            .api
            .try_query("attacker", sql, json!([]))
            .await
            .expect("answered");
        assert_eq!(status, StatusCode::FORBIDDEN, "{sql}: {body}");
        assert_eq!(
            body["error"]["code"], "statement_not_allowed",
            "{sql}: {body}"
        );
    }
    // A row written through the API reaches the database itself.
    let (status, body) = siege
        .api
        .send(
            reqwest::Method::POST,
            "/api/db/attacker/tables/t/rows",
            Some(&json!({"a": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let count = siege
        .api
        .query_int("attacker", "SELECT count(*) FROM main.t WHERE a = 7")
        .await;
    assert_eq!(count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_sort_uses_bounded_memory_and_no_hidden_files() {
    let siege = Siege::start(&[
        "--statement-timeout",
        "3s",
        "--sqlite-memory-limit",
        "128MiB",
    ])
    .await;
    siege.api.spawn("attacker").await;
    // Millions of wide rows sorted at random: SQLite's sorter spills past its cache, to
    // unlinked temporary files unless temporary storage is kept in (bounded) memory.
    let sql = "SELECT x FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
               LIMIT 3000000) SELECT printf('%.200c', 'x') || x AS x FROM c) ORDER BY random() \
               LIMIT 1";
    let pid = siege.server.pid();
    let attack = async {
        let query = siege.api.try_query("attacker", sql, json!([]));
        let watch_files = async {
            let mut most = 0;
            for _ in 0..40 {
                most = most.max(hidden_files(pid));
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            most
        };
        tokio::join!(query, watch_files)
    };
    let ((answer, hidden), watch) = siege.during(attack).await;
    let (status, body) = answer.expect("answered");
    assert!(
        status == StatusCode::OK
            || ["query_timeout", "server_busy"]
                .contains(&body["error"]["code"].as_str().unwrap_or("")),
        "{status} {body}"
    );
    assert_eq!(hidden, 0, "the server wrote to unlinked temporary files");
    watch.assert_unharmed("huge sort");
    watch.assert_memory_below(400 << 20, "huge sort");
}

/// Files the process holds open that were deleted (SQLite's temporary files are unlinked at
/// once).
fn hidden_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .filter(|target| target.to_string_lossy().ends_with("(deleted)"))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn nul_characters_and_integers_beyond_64_bits_are_refused() {
    let siege = Siege::start(&[]).await;
    siege.api.spawn("attacker").await;
    siege
        .api
        .query("attacker", "CREATE TABLE t(a)", json!([]))
        .await;
    // SQLite stops reading at a NUL; the statement splitter did not.
    let (status, body) = siege
        .api
        .try_query("attacker", "SELECT 1\u{0}; DELETE FROM t", json!([]))
        .await
        .expect("answered");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("NUL"),
        "{body}"
    );
    // A JSON parser reads 10^20 as a double: it must not be stored as one.
    let body = r#"{"sql": "INSERT INTO t VALUES (?)", "params": [100000000000000000000]}"#;
    let response = reqwest::Client::new()
        .post(format!("{}/api/db/attacker/query", siege.url()))
        .header("x-api-key", crate::support::ADMIN_KEY)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let answer: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("64 bits"),
        "{answer}"
    );
    assert_eq!(
        siege
            .api
            .query_int("attacker", "SELECT count(*) FROM t")
            .await,
        0
    );
}

#[tokio::test]
async fn a_view_that_cannot_be_described_is_listed_with_its_error() {
    let siege = Siege::start(&[]).await;
    siege.api.spawn("attacker").await;
    let setup = "CREATE TABLE gone(a); CREATE VIEW broken AS SELECT a FROM gone; \
                 DROP TABLE gone; CREATE TABLE fine(b INTEGER)";
    siege.api.query("attacker", setup, json!([])).await;
    let (status, body) = siege.api.get("/api/db/attacker/tables").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tables = body["tables"].as_array().expect("tables");
    let broken = tables
        .iter()
        .find(|t| t["name"] == "broken")
        .expect("the view is listed");
    assert!(
        broken["error"].as_str().is_some_and(|e| e.contains("gone")),
        "{broken}"
    );
    let fine = tables
        .iter()
        .find(|t| t["name"] == "fine")
        .expect("the table is listed");
    assert_eq!(fine["columns"][0]["name"], "b");
    assert!(fine.get("error").is_none(), "{fine}");
}
