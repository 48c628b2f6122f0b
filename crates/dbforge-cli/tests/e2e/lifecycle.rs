//! Starting and stopping: port 0, a busy port, SIGTERM and SIGINT draining writes and
//! checkpointing, and the reconciliation of the data directory with the catalog at start-up.

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{
    ADMIN_KEY, Api, EXIT_TIMEOUT, Launch, assert_integrity, open_sqlite, sidecar,
};

#[tokio::test]
async fn port_zero_binds_a_free_port_and_serves_health() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    assert!(
        server.url().starts_with("http://127.0.0.1:"),
        "banner: {:?}",
        server.banner.lines
    );
    assert_ne!(server.banner.port(), 0);
    let health = Api::new(server.url(), None).health().await;
    assert_eq!(health["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_writes_checkpoints_and_exits_zero() {
    let data = tempfile::tempdir().expect("data dir");
    let mut server = Launch::serve_with_key(data.path()).start();
    let api = Api::new(server.url(), Some(ADMIN_KEY));
    api.spawn("drain").await;
    api.query(
        "drain",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
        json!([]),
    )
    .await;
    for id in 0..50 {
        api.query(
            "drain",
            "INSERT INTO t VALUES (?, ?)",
            json!([id, format!("v{id}")]),
        )
        .await;
    }

    // Writers keep going through the signal until the server is gone; whatever was
    // acknowledged must be on disk.
    let writers: Vec<_> = (0..8_i64)
        .map(|w| {
            let api = api.clone();
            tokio::spawn(async move {
                let mut acked = Vec::new();
                let mut id = 1_000_000 * (w + 1);
                loop {
                    match api
                        .try_query("drain", "INSERT INTO t VALUES (?, 'late')", json!([id]))
                        .await
                    {
                        Ok((StatusCode::OK, _)) => acked.push(id),
                        Ok(_) | Err(_) => break,
                    }
                    id += 1;
                }
                acked
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.send_sigterm();
    let writers_done = tokio::time::timeout(EXIT_TIMEOUT, async {
        let mut acked = Vec::new();
        for writer in writers {
            acked.extend(writer.await.expect("writer task"));
        }
        acked
    })
    .await;
    let late = writers_done.expect("writers stop once the server has stopped");
    let status = server.wait_exit(EXIT_TIMEOUT);
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM");

    let db = data.path().join("drain.db");
    let wal = sidecar(&db, "-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "{} should be checkpointed away", wal.display());

    let conn = open_sqlite(&db);
    assert_integrity(&conn, "drain");
    let early: i64 = conn
        .query_row("SELECT count(*) FROM t WHERE id < 50", [], |r| r.get(0))
        .expect("count the first rows");
    assert_eq!(early, 50);
    let mut missing = Vec::new();
    for id in &late {
        let found: i64 = conn
            .query_row("SELECT count(*) FROM t WHERE id = ?", [id], |r| r.get(0))
            .expect("look up a row");
        if found != 1 {
            missing.push(*id);
        }
    }
    assert!(
        missing.is_empty(),
        "acknowledged writes missing after SIGTERM: {missing:?}"
    );
    eprintln!("{} writes acknowledged around the signal", late.len());
}

#[tokio::test]
async fn valid_sqlite_files_are_adopted_and_vanished_databases_are_dropped() {
    let data = tempfile::tempdir().expect("data dir");
    let dir = data.path();
    {
        let conn = open_sqlite(&dir.join("adopted-db.db"));
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
             INSERT INTO notes (body) VALUES ('one'), ('two'), ('three');",
        )
        .expect("fill the database to adopt");
        let bad = open_sqlite(&dir.join("Bad.db"));
        bad.execute_batch("CREATE TABLE x (a)")
            .expect("a valid SQLite file with an invalid name");
    }
    std::fs::write(dir.join("notes.txt"), "not a database\n").expect("write notes.txt");
    std::fs::write(dir.join("fake.db"), "SQLite? no, just text\n").expect("write fake.db");
    let junk = ["notes.txt", "Bad.db", "fake.db"].map(|name| {
        (
            name,
            std::fs::read(dir.join(name)).expect("read a junk file"),
        )
    });

    let mut server = Launch::serve_with_key(dir).start();
    let api = Api::new(server.url(), Some(ADMIN_KEY));
    let list = api.list().await;
    assert_eq!(list["total"], 1, "only adopted-db is a database: {list}");
    let adopted = &list["databases"][0];
    assert_eq!(adopted["name"], "adopted-db");
    assert_eq!(adopted["table_count"], 1);
    let rows = api
        .query(
            "adopted-db",
            "SELECT body FROM notes ORDER BY id",
            json!([]),
        )
        .await;
    assert_eq!(
        rows["rows"],
        json!([{"body": "one"}, {"body": "two"}, {"body": "three"}])
    );

    // A file the server did not adopt is not its to overwrite, whatever spawn answers.
    api.send(reqwest::Method::POST, "/admin/databases/spawn/fake", None)
        .await;

    api.spawn("doomed").await;
    api.query("doomed", "CREATE TABLE t (a)", json!([])).await;
    assert_eq!(api.names().await, ["adopted-db", "doomed"]);
    assert!(server.terminate().success());
    drop(server);

    let doomed = dir.join("doomed.db");
    for suffix in ["-wal", "-shm", ""] {
        let path = sidecar(&doomed, suffix);
        if path.exists() {
            std::fs::remove_file(&path)
                .unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
        }
    }

    let server = Launch::serve_with_key(dir).start();
    let api = Api::new(server.url(), Some(ADMIN_KEY));
    assert_eq!(api.names().await, ["adopted-db"]);
    let (status, body) = api.get("/admin/databases/doomed").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "database_not_found");
    // The dropped entry does not block the name.
    api.spawn("doomed").await;
    for (name, bytes) in junk {
        assert_eq!(
            std::fs::read(dir.join(name)).expect("the junk file is still there"),
            bytes,
            "{name} was modified"
        );
    }
}

#[tokio::test]
async fn sigint_stops_cleanly_like_sigterm() {
    let data = tempfile::tempdir().expect("data dir");
    let mut server = Launch::serve_with_key(data.path()).start();
    let api = Api::new(server.url(), Some(ADMIN_KEY));
    api.spawn("interrupted").await;
    api.query(
        "interrupted",
        "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)",
        json!([]),
    )
    .await;
    server.send_signal("INT");
    assert_eq!(server.wait_exit(EXIT_TIMEOUT).code(), Some(0));

    let db = data.path().join("interrupted.db");
    let wal_len = std::fs::metadata(sidecar(&db, "-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert_eq!(wal_len, 0, "the write-ahead log is checkpointed away");
    let conn = open_sqlite(&db);
    assert_integrity(&conn, "interrupted");
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .expect("count rows");
    assert_eq!(rows, 3);
}

#[test]
fn busy_port_fails_the_start_with_exit_1_and_says_why() {
    let data = tempfile::tempdir().expect("data dir");
    let taken = TcpListener::bind("127.0.0.1:0").expect("hold a port");
    let address = taken.local_addr().expect("held address").to_string();
    let run = Launch::serve_on(data.path(), &address)
        .args(["--admin-key", ADMIN_KEY])
        .run_to_exit();
    assert_eq!(run.status.code(), Some(1), "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains(&format!("cannot listen on {address}")),
        "stderr: {}",
        run.stderr
    );
}

#[test]
fn sigterm_exits_despite_a_stalled_client_connection() {
    let data = tempfile::tempdir().expect("data dir");
    let mut server = Launch::serve_with_key(data.path())
        .args(["--shutdown-timeout", "1s"])
        .start();
    let address = server.url().trim_start_matches("http://").to_owned();
    let mut stalled = TcpStream::connect(&address).expect("connect");
    stalled
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .expect("send half a request head");
    // Let the server read the partial head before the signal.
    std::thread::sleep(Duration::from_millis(300));
    server.send_sigterm();
    let status = server.wait_exit(EXIT_TIMEOUT);
    assert_eq!(status.code(), Some(0));
    drop(stalled);
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_id() {
    let data = tempfile::tempdir().expect("data dir");
    let mut server = Launch::serve_with_key(data.path())
        .args(["--log-format", "json"])
        .start();
    let response = reqwest::Client::new()
        .post(format!("{}/admin/databases/spawn/logged", server.url()))
        .header("x-api-key", ADMIN_KEY)
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("spawn sent");
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    server.send_sigterm();
    assert_eq!(server.wait_exit(EXIT_TIMEOUT).code(), Some(0));
    let stderr = server.stderr();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["message"] == "listening"),
        "{stderr}"
    );
    let created = lines
        .iter()
        .find(|l| l["message"] == "database created")
        .unwrap_or_else(|| panic!("no creation line in {stderr}"));
    assert_eq!(created["span"]["id"], "trace-me-42");
}
