//! The data lifecycle over HTTP: backups (while writers write), restores as new and in place
//! (while clients read and write), corrupted backups refused, retention and schedules,
//! branches independent of their parent, databases with a time to live, and bad input.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{KEY, TestServer, assert_error};

async fn backup(server: &TestServer, db: &str) -> Value {
    let (status, body) = server
        .post_empty(&format!("/admin/databases/{db}/backups"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn count(server: &TestServer, db: &str, sql: &str) -> i64 {
    let body = server.sql(db, sql, json!([])).await;
    body["rows"][0]
        .as_object()
        .and_then(|row| row.values().next())
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("a count from {body}"))
}

async fn patch(server: &TestServer, db: &str, body: Value) -> (StatusCode, Value) {
    server
        .send(
            server
                .client
                .patch(server.url(&format!("/admin/databases/{db}")))
                .header("x-api-key", KEY)
                .json(&body),
        )
        .await
}

/// Polls `check` until it holds, for at most `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < until, "{what} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_16_writers_insert_holds_every_row_acknowledged_before_it() {
    let server = Arc::new(TestServer::start().await);
    server.spawn_db("busy").await;
    server
        .sql(
            "busy",
            "CREATE TABLE t (writer INTEGER, n INTEGER)",
            json!([]),
        )
        .await;
    let stop = Arc::new(AtomicBool::new(false));
    // Each writer's count of acknowledged inserts, in order: its rows are 0..acknowledged.
    let acknowledged: Arc<Vec<AtomicU64>> = Arc::new((0..16).map(|_| AtomicU64::new(0)).collect());
    let mut writers = Vec::new();
    for writer in 0..16u64 {
        let (server, stop, acknowledged) = (server.clone(), stop.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let (status, body) = server
                    .query(
                        "busy",
                        json!({"sql": "INSERT INTO t VALUES (?, ?)", "params": [writer, n]}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{body}");
                n += 1;
                acknowledged[writer as usize].store(n, Ordering::SeqCst);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before: Vec<u64> = acknowledged
        .iter()
        .map(|a| a.load(Ordering::SeqCst))
        .collect();
    let taken = backup(&server, "busy").await;
    let after: Vec<u64> = acknowledged
        .iter()
        .map(|a| a.load(Ordering::SeqCst))
        .collect();
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("writer");
    }
    assert_eq!(taken["verified"], true);
    assert_eq!(taken["destination"], "local");
    assert_eq!(taken["sha256"].as_str().map(str::len), Some(64));
    let id = taken["id"].as_str().expect("id");

    let (status, restored) = server
        .post(
            "/admin/databases/busy/restore",
            json!({"backup": id, "as": "busy-copy"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{restored}");
    assert_eq!(restored["table_count"], 1);
    let rows = server
        .sql(
            "busy-copy",
            "SELECT writer, count(*) AS c, max(n) AS m FROM t GROUP BY writer",
            json!([]),
        )
        .await;
    let mut copied = [0u64; 16];
    for row in rows["rows"].as_array().expect("rows") {
        let writer = row["writer"].as_u64().expect("writer") as usize;
        let (c, m) = (row["c"].as_u64().expect("c"), row["m"].as_u64().expect("m"));
        assert_eq!(c, m + 1, "writer {writer}'s rows are 0..{c}, with no gap");
        copied[writer] = c;
    }
    for writer in 0..16 {
        assert!(
            copied[writer] >= before[writer],
            "writer {writer}: {} acknowledged before the backup, {} in it",
            before[writer],
            copied[writer]
        );
        assert!(
            copied[writer] <= after[writer],
            "writer {writer}: nothing from after the backup"
        );
    }
    let check = server
        .sql("busy-copy", "PRAGMA integrity_check", json!([]))
        .await;
    assert_eq!(check["rows"][0]["integrity_check"], "ok");
    let manifest_total: u64 = taken["row_counts"]["t"].as_u64().expect("row count");
    assert_eq!(
        manifest_total,
        copied.iter().sum::<u64>(),
        "the manifest counts the rows"
    );
}

#[tokio::test]
async fn a_corrupted_backup_is_refused_on_restore_and_nothing_is_left_behind() {
    let server = TestServer::start().await;
    server.spawn_db("src").await;
    server
        .sql("src", "CREATE TABLE t AS WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 2000) SELECT v, randomblob(200) AS b FROM s", json!([]))
        .await;
    let taken = backup(&server, "src").await;
    let id = taken["id"].as_str().expect("id");
    let object = server
        .dir
        .path()
        .join("_forge/backups/src")
        .join(format!("{id}.sqlite.zst"));
    let mut bytes = std::fs::read(&object).expect("the stored object");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&object, bytes).expect("flip a byte");

    let response = server
        .post(
            "/admin/databases/src/restore",
            json!({"backup": id, "as": "from-bad"}),
        )
        .await;
    assert_error(&response, 422, "backup_corrupt");
    assert_error(
        &server.get("/admin/databases/from-bad").await,
        404,
        "database_not_found",
    );
    assert!(!server.dir.path().join("from-bad.db").exists());
    let response = server
        .post(
            "/admin/databases/src/restore",
            json!({"backup": id, "confirm": "src"}),
        )
        .await;
    assert_error(&response, 422, "backup_corrupt");
    assert_eq!(
        count(&server, "src", "SELECT count(*) FROM t").await,
        2000,
        "in place: untouched"
    );
    // A truncated object, or one gone, is refused the same way.
    let bytes = std::fs::read(&object).expect("the stored object");
    std::fs::write(&object, &bytes[..bytes.len() / 2]).expect("truncate");
    let response = server
        .post(
            "/admin/databases/src/restore",
            json!({"backup": id, "as": "from-cut"}),
        )
        .await;
    assert_error(&response, 422, "backup_corrupt");
    std::fs::remove_file(&object).expect("remove");
    let response = server
        .post(
            "/admin/databases/src/restore",
            json!({"backup": id, "as": "from-gone"}),
        )
        .await;
    assert_error(&response, 404, "backup_not_found");
    let leftovers: Vec<_> = std::fs::read_dir(server.dir.path().join("_forge/tmp"))
        .expect("work dir")
        .collect();
    assert!(leftovers.is_empty(), "work files removed: {leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_in_place_restore_under_load_shows_no_5xx_and_no_torn_reads() {
    let server = Arc::new(TestServer::start().await);
    server.spawn_db("live").await;
    // Two accounts whose balances always sum to 100: a torn read would see another sum.
    server
        .sql(
            "live",
            "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER)",
            json!([]),
        )
        .await;
    server
        .sql(
            "live",
            "INSERT INTO accounts VALUES (1, 50), (2, 50)",
            json!([]),
        )
        .await;
    server
        .sql("live", "CREATE TABLE log (n INTEGER)", json!([]))
        .await;
    let taken = backup(&server, "live").await;
    let id = taken["id"].as_str().expect("id").to_owned();

    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for client in 0..6u64 {
        let (server, stop) = (server.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut requests = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let (status, body) =
                    if client % 2 == 0 {
                        server
                            .query(
                                "live",
                                json!({"sql": "SELECT sum(balance) AS s FROM accounts"}),
                            )
                            .await
                    } else {
                        server.query("live", json!({"statements": [
                        {"sql": "UPDATE accounts SET balance = balance - 1 WHERE id = 1"},
                        {"sql": "UPDATE accounts SET balance = balance + 1 WHERE id = 2"},
                        {"sql": "INSERT INTO log VALUES (?)", "params": [requests]}
                    ]})).await
                    };
                // Writers wait for the swap (one write transaction); readers never wait.
                assert_eq!(status, StatusCode::OK, "no error during a restore: {body}");
                if client % 2 == 0 {
                    assert_eq!(
                        body["rows"][0]["s"], 100,
                        "a read sees the old or the new, whole"
                    );
                }
                requests += 1;
            }
            requests
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..3 {
        let (status, body) = server
            .post(
                "/admin/databases/live/restore",
                json!({"backup": id, "confirm": "live"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["name"], "live");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for client in clients {
        total += client.await.expect("client");
    }
    assert!(total > 20, "the clients kept working ({total} requests)");
    // Writes acknowledged after the last restore are kept.
    let logged = count(&server, "live", "SELECT count(*) FROM log").await;
    server
        .sql("live", "INSERT INTO log VALUES (-1)", json!([]))
        .await;
    assert_eq!(
        count(&server, "live", "SELECT count(*) FROM log").await,
        logged + 1
    );
    let check = server
        .sql("live", "PRAGMA integrity_check", json!([]))
        .await;
    assert_eq!(check["rows"][0]["integrity_check"], "ok");
    let (_, info) = server.get("/admin/databases/live").await;
    assert_eq!(info["table_count"], 2, "the catalog follows: {info}");
}

#[tokio::test]
async fn backups_are_listed_newest_first_downloaded_deleted_and_kept_to_their_number() {
    let server = TestServer::start().await;
    server.spawn_db("kept").await;
    server.sql("kept", "CREATE TABLE t (v)", json!([])).await;
    let (status, body) = patch(&server, "kept", json!({"backup_keep": 2})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["backups"]["keep"], 2);
    let mut ids = Vec::new();
    for i in 0..3 {
        server
            .sql("kept", "INSERT INTO t VALUES (?)", json!([i]))
            .await;
        ids.push(
            backup(&server, "kept").await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let (_, list) = server.get("/admin/databases/kept/backups").await;
    let listed: Vec<&str> = list["backups"]
        .as_array()
        .expect("backups")
        .iter()
        .map(|b| b["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        listed,
        [ids[2].as_str(), ids[1].as_str()],
        "newest first, the oldest pruned"
    );
    assert!(
        !server
            .dir
            .path()
            .join(format!("_forge/backups/kept/{}.json", ids[0]))
            .exists()
    );

    let response = server
        .client
        .get(server.url(&format!("/admin/databases/kept/backups/{}", ids[2])))
        .header("x-api-key", KEY)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zstd");
    let sha = response.headers()["x-dbforge-sha256"]
        .to_str()
        .expect("sha")
        .to_owned();
    let packed = response.bytes().await.expect("bytes");
    let plain = zstd::decode_all(&packed[..]).expect("a zstd stream");
    assert!(plain.starts_with(b"SQLite format 3\0"));
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(&plain)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(digest, sha);

    let (status, _) = server
        .send(
            server
                .client
                .delete(server.url(&format!("/admin/databases/kept/backups/{}", ids[1])))
                .header("x-api-key", KEY),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = server.get("/admin/databases/kept/backups").await;
    assert_eq!(list["backups"].as_array().map(Vec::len), Some(1));
    assert_error(
        &server
            .get(&format!("/admin/databases/kept/backups/{}", ids[1]))
            .await,
        404,
        "backup_not_found",
    );
    assert!(
        server
            .metrics_text()
            .await
            .contains("dbforge_backups_total{kind=\"manual\",outcome=\"ok\"} ")
    );
}

#[tokio::test]
async fn a_database_with_a_schedule_is_backed_up_when_it_changed() {
    let server = TestServer::start().await;
    server.spawn_db("scheduled").await;
    server
        .sql("scheduled", "CREATE TABLE t (v)", json!([]))
        .await;
    let (status, body) = patch(&server, "scheduled", json!({"backup_every": "1s"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["backups"]["every"], "1s");
    eventually(Duration::from_secs(20), "a scheduled backup", || async {
        let (_, list) = server.get("/admin/databases/scheduled/backups").await;
        list["backups"][0]["kind"] == "scheduled"
    })
    .await;
    let (_, info) = server.get("/admin/databases/scheduled").await;
    assert!(info["backups"]["last_success_at"].is_string(), "{info}");
    assert_eq!(info["backups"]["overdue"], false);
    let (status, body) = patch(&server, "scheduled", json!({"backup_every": "off"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["backups"]["every"], Value::Null, "{body}");
}

#[tokio::test]
async fn a_branch_is_independent_of_its_parent_in_both_directions() {
    let server = TestServer::start().await;
    server.spawn_db("trunk").await;
    server.sql("trunk", "CREATE TABLE t (v)", json!([])).await;
    server
        .sql("trunk", "INSERT INTO t VALUES (1), (2)", json!([]))
        .await;
    let (status, branch) = server
        .post_empty("/admin/databases/trunk/branch/feature")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{branch}");
    assert_eq!(branch["branched_from"]["parent"], "trunk");
    assert!(branch["branched_from"]["branched_at"].is_string());
    server
        .sql("feature", "INSERT INTO t VALUES (3)", json!([]))
        .await;
    server
        .sql("trunk", "DELETE FROM t WHERE v = 1", json!([]))
        .await;
    assert_eq!(count(&server, "trunk", "SELECT count(*) FROM t").await, 1);
    assert_eq!(count(&server, "feature", "SELECT count(*) FROM t").await, 3);
    let (_, list) = server.get("/admin/databases?prefix=feat").await;
    assert_eq!(
        list["databases"][0]["branched_from"]["parent"], "trunk",
        "{list}"
    );
    // The lineage outlives the parent.
    server.post_empty("/admin/databases/prune/trunk").await;
    let (_, info) = server.get("/admin/databases/feature").await;
    assert_eq!(info["branched_from"]["parent"], "trunk");
    assert_error(
        &server
            .post_empty("/admin/databases/feature/branch/feature")
            .await,
        409,
        "database_exists",
    );
    assert_error(
        &server.post_empty("/admin/databases/nope/branch/x").await,
        404,
        "database_not_found",
    );
    assert_error(
        &server
            .post_empty("/admin/databases/feature/branch/Bad!")
            .await,
        400,
        "invalid_database_name",
    );
}

#[tokio::test]
async fn a_database_with_a_time_to_live_is_gone_after_it_and_can_be_extended_or_cleared() {
    let server = TestServer::start().await;
    let (status, info) = server
        .post("/admin/databases/spawn/brief", json!({"ttl": "1s"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert!(info["expires_at"].is_string());
    let (status, info) = server
        .post("/admin/databases/spawn/kept", json!({"ttl": "1s"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    let (status, info) = patch(&server, "kept", json!({"ttl": null})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(info.get("expires_at").is_none(), "cleared: {info}");
    let (status, info) = server
        .post("/admin/databases/spawn/extended", json!({"ttl": "1s"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    let (_, info) = patch(&server, "extended", json!({"ttl": "1h"})).await;
    let expires = info["expires_at"].as_str().expect("expires_at").to_owned();
    eventually(
        Duration::from_secs(10),
        "the expired database gone",
        || async {
            server.get("/admin/databases/brief").await.0 == StatusCode::NOT_FOUND
                && !server.dir.path().join("brief.db").exists()
        },
    )
    .await;
    assert_error(
        &server.query("brief", json!({"sql": "SELECT 1"})).await,
        404,
        "database_not_found",
    );
    let (_, list) = server.get("/admin/databases").await;
    let names: Vec<&str> = list["databases"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| d["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["extended", "kept"]);
    let (_, info) = server.get("/admin/databases/extended").await;
    assert_eq!(info["expires_at"], expires.as_str());
    assert!(
        server
            .metrics_text()
            .await
            .contains("dbforge_databases_expired_total 1")
    );
}

#[tokio::test]
async fn bad_lifecycle_requests_get_clear_errors() {
    let server = TestServer::start().await;
    server.spawn_db("db").await;
    server.spawn_db("other").await;
    let id = backup(&server, "db").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for ttl in ["0s", "soon", "500ms", "101years"] {
        let response = server
            .post("/admin/databases/spawn/t1", json!({"ttl": ttl}))
            .await;
        assert_error(&response, 400, "invalid_request");
    }
    assert_error(
        &server.get("/admin/databases/t1").await,
        404,
        "database_not_found",
    );
    assert_error(
        &patch(&server, "db", json!({"backup_keep": 0})).await,
        400,
        "invalid_request",
    );
    assert_error(
        &patch(&server, "db", json!({"backup_every": "often"})).await,
        400,
        "invalid_request",
    );
    assert_error(
        &patch(&server, "db", json!({"tll": "1h"})).await,
        400,
        "invalid_json",
    );
    assert_error(
        &patch(&server, "nope", json!({"ttl": "1h"})).await,
        404,
        "database_not_found",
    );
    let restore = |body: Value| server.post("/admin/databases/db/restore", body);
    assert_error(
        &restore(json!({"backup": id})).await,
        400,
        "invalid_request",
    );
    assert_error(
        &restore(json!({"backup": id, "confirm": "other"})).await,
        400,
        "invalid_request",
    );
    assert_error(
        &restore(json!({"backup": id, "confirm": "db", "as": "x"})).await,
        400,
        "invalid_request",
    );
    assert_error(
        &restore(json!({"backup": id, "as": "other"})).await,
        409,
        "database_exists",
    );
    assert_error(
        &restore(json!({"backup": id, "as": "Not Valid"})).await,
        400,
        "invalid_database_name",
    );
    assert_error(
        &restore(json!({"backup": "20261201T100203123Z-000000", "as": "x"})).await,
        404,
        "backup_not_found",
    );
    assert_error(
        &restore(json!({"backup": "../../catalog", "as": "x"})).await,
        404,
        "backup_not_found",
    );
    assert_error(
        &server
            .get("/admin/databases/db/backups/..%2F..%2Fcatalog.db")
            .await,
        404,
        "backup_not_found",
    );
    assert_error(
        &server
            .get(&format!("/admin/databases/other/backups/{id}"))
            .await,
        404,
        "backup_not_found",
    );
    assert_error(
        &server.post_empty("/admin/databases/nope/backups").await,
        404,
        "database_not_found",
    );
}

#[tokio::test]
async fn keys_back_up_and_restore_only_what_they_manage() {
    let server = TestServer::start().await;
    server.spawn_db("ci-1").await;
    server.spawn_db("prod").await;
    let prod_backup = backup(&server, "prod").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, reader) = server
        .create_key(json!({"name": "r", "role": "read_only", "databases": ["ci-*"]}))
        .await;
    let (_, owner) = server
        .create_key(
            json!({"name": "o", "role": "read_write", "databases": ["ci-*"], "can_create": true}),
        )
        .await;
    let post = Method::POST;
    let response = server
        .with_key(&reader, post.clone(), "/admin/databases/ci-1/backups", None)
        .await;
    assert_error(&response, 403, "forbidden");
    let response = server
        .with_key(&owner, post.clone(), "/admin/databases/ci-1/backups", None)
        .await;
    assert_eq!(response.0, StatusCode::CREATED, "{}", response.1);
    let (status, list) = server
        .with_key(&reader, Method::GET, "/admin/databases/ci-1/backups", None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a reader lists what it may read: {list}"
    );
    // Another tenant's database and backups do not exist for the key.
    let response = server
        .with_key(&owner, Method::GET, "/admin/databases/prod/backups", None)
        .await;
    assert_error(&response, 404, "database_not_found");
    let response = server
        .with_key(
            &owner,
            post.clone(),
            "/admin/databases/prod/restore",
            Some(json!({"backup": prod_backup, "as": "ci-stolen"})),
        )
        .await;
    assert_error(&response, 404, "database_not_found");
    let response = server
        .with_key(
            &owner,
            post.clone(),
            "/admin/databases/prod/branch/ci-copy",
            None,
        )
        .await;
    assert_error(&response, 404, "database_not_found");
    let response = server
        .with_key(&owner, post, "/admin/databases/ci-1/branch/prod-2", None)
        .await;
    assert_error(&response, 403, "forbidden");
}

#[tokio::test]
async fn with_ttl_final_backup_an_expiring_database_is_backed_up_before_it_goes() {
    let server = TestServer::with(&["--ttl-final-backup"]).await;
    let (status, body) = server
        .post("/admin/databases/spawn/short", json!({"ttl": "1s"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    server.sql("short", "CREATE TABLE t (v)", json!([])).await;
    server
        .sql("short", "INSERT INTO t VALUES (1), (2)", json!([]))
        .await;
    eventually(
        Duration::from_secs(10),
        "the expired database deleted",
        || async { !server.dir.path().join("short.db").exists() },
    )
    .await;
    // Its backups outlive it, and its name's creator (the admin) may list and restore them.
    let (status, list) = server.get("/admin/databases/short/backups").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["backups"][0]["kind"], "final", "{list}");
    assert_eq!(list["backups"][0]["row_counts"]["t"], 2);
    let id = list["backups"][0]["id"].as_str().expect("id");
    let (status, body) = server
        .post(
            "/admin/databases/short/restore",
            json!({"backup": id, "as": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(count(&server, "short", "SELECT count(*) FROM t").await, 2);
    assert!(
        body.get("expires_at").is_none(),
        "a restored database has no time to live: {body}"
    );
}
