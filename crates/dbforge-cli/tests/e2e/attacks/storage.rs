//! Disk as the resource: a write-ahead log kept from being reset by a long read transaction,
//! and a disk that fills up.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Siege;
use crate::support::{ADMIN_KEY, Api, Launch};

fn wal_bytes(data: &Path, db: &str) -> u64 {
    std::fs::metadata(data.join(format!("{db}.db-wal"))).map_or(0, |m| m.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_read_transaction_cannot_grow_the_log_without_bound() {
    let siege = Siege::start(&["--read-transaction-timeout", "3s"]).await;
    let data = siege.data.path().to_owned();
    let created = siege
        .api
        .send(
            reqwest::Method::POST,
            "/admin/databases/spawn/attacker",
            Some(&json!({"limits": {"max_size_bytes": 1_048_576}})),
        )
        .await;
    assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    let fill = "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); \
                INSERT INTO t(v) SELECT randomblob(1000) FROM (WITH RECURSIVE c(x) AS \
                (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 200) SELECT x FROM c)";
    siege.api.query("attacker", fill, json!([])).await;
    // A read transaction that holds its snapshot, then never comes back.
    let (status, answer) = siege
        .api
        .bearer()
        .try_send(
            reqwest::Method::POST,
            "/hrana/attacker/v2/pipeline",
            Some(&json!({"requests": [
                {"type": "execute", "stmt": {"sql": "BEGIN TRANSACTION READONLY"}},
                {"type": "execute", "stmt": {"sql": "SELECT count(*) FROM t"}}
            ]})),
        )
        .await
        .expect("answered");
    assert_eq!(status, StatusCode::OK, "{answer}");
    // Rewrite the same rows over and over: every commit appends to the log, which cannot be
    // reset under the old snapshot.
    let attack = async {
        let started = Instant::now();
        let mut largest = 0;
        let mut refused = 0;
        while started.elapsed() < Duration::from_secs(6) {
            let (status, body) = siege
                .api
                .try_query("attacker", "UPDATE t SET v = randomblob(1000)", json!([]))
                .await
                .expect("answered");
            if status != StatusCode::OK {
                assert_eq!(body["error"]["code"], "database_full", "{body}");
                refused += 1;
            }
            largest = largest.max(wal_bytes(&data, "attacker"));
        }
        (largest, refused)
    };
    let ((largest, refused), watch) = siege.during(attack).await;
    // The limit is the quota, at least 8 MiB; one more transaction may pass it.
    assert!(largest < 10 << 20, "the log reached {largest} bytes");
    assert!(
        refused > 0,
        "writes were never refused while the log was full"
    );
    watch.assert_unharmed("log growth");
    // The transaction expired: writes go on, and the log is cut back after a checkpoint.
    siege
        .api
        .query("attacker", "UPDATE t SET v = randomblob(1000)", json!([]))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while wal_bytes(&data, "attacker") > 4 << 20 {
        assert!(Instant::now() < deadline, "the log was never truncated");
        siege
            .api
            .query(
                "attacker",
                "UPDATE t SET v = randomblob(10) WHERE id = 1",
                json!([]),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().expect("a mount point");
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("run mount");
        assert!(
            mounted.success(),
            "this test mounts a small tmpfs to fill a disk for real: it needs root (CI runs as root)"
        );
        Self { path, _dir: dir }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_as_such_and_leaves_no_dead_names() {
    let disk = SmallDisk::mount("24m");
    let data = disk.path.join("data");
    let server = Launch::serve_with_key(&data)
        .args(["--log", "warn", "--min-free-disk", "4MiB"])
        .start();
    let api = Api::new(server.url(), Some(ADMIN_KEY));
    api.spawn("hog").await;
    api.query("hog", "CREATE TABLE t(v BLOB)", json!([])).await;
    // Fill the disk, a megabyte at a time, until the server refuses.
    let mut refusal = Value::Null;
    for _ in 0..40 {
        let (status, body) = api
            .try_query(
                "hog",
                "INSERT INTO t VALUES (randomblob(1000000))",
                json!([]),
            )
            .await
            .expect("answered");
        if status != StatusCode::OK {
            assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
            refusal = body;
            break;
        }
    }
    assert_eq!(refusal["error"]["code"], "disk_full", "{refusal}");
    // Not ready, and why.
    let (status, body) = api.get("/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("disk_full"),
        "{body}"
    );
    // A spawn is refused with the reason, and leaves nothing that would take the name.
    let (status, body) = api
        .send(reqwest::Method::POST, "/admin/databases/spawn/victim", None)
        .await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    assert_eq!(body["error"]["code"], "disk_full");
    assert!(
        !data.join("victim.db").exists(),
        "a dead file was left behind"
    );
    let (status, _) = api.get("/admin/databases/victim").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Reads go on; deleting frees the disk; then the name is free to use.
    assert!(api.query_int("hog", "SELECT count(*) FROM t").await > 0);
    let (status, _) = api
        .send(reqwest::Method::POST, "/admin/databases/prune/hog", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _) = api
            .send(reqwest::Method::POST, "/admin/databases/spawn/victim", None)
            .await;
        if status == StatusCode::CREATED {
            break;
        }
        assert!(Instant::now() < deadline, "the disk never had room again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, _) = api.get("/ready").await;
    assert_eq!(status, StatusCode::OK);
    drop(server);
}
