//! Crash safety: `kill -9` in the middle of concurrent writes loses no acknowledged write and
//! leaves every database intact, round after round on the same data directory.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{
    ADMIN_KEY, Api, Launch, assert_integrity, database_files, open_sqlite, sidecar,
};

const DATABASES: [&str; 3] = ["crash-a", "crash-b", "crash-c"];
const WRITERS: usize = 16;
/// The writes run at least this long before the kill...
const WRITE_TIME: Duration = Duration::from_millis(1500);
/// ...and, on a loaded machine, until this many were acknowledged (or `MAX_WRITE_TIME`).
const TARGET_ACKED_PER_ROUND: usize = 300;
const MAX_WRITE_TIME: Duration = Duration::from_secs(10);
/// Fewer acknowledged writes in a round would make the round prove little.
const MIN_ACKED_PER_ROUND: usize = 100;

const CREATE_TABLE: &str =
    "CREATE TABLE t (id INTEGER PRIMARY KEY, writer INTEGER, seq INTEGER, payload TEXT)";
const INSERT: &str = "INSERT INTO t (id, writer, seq, payload) VALUES (?, ?, ?, ?)";

/// One row whose INSERT was answered 200.
#[derive(Debug, Clone)]
struct Ack {
    db: usize,
    id: i64,
    writer: i64,
    seq: i64,
}

/// Ids are chosen by the client, unique across rounds and writers, so a row identifies the
/// request that wrote it.
fn row_id(round: i64, writer: i64, seq: i64) -> i64 {
    (round * 100 + writer) * 1_000_000 + seq
}

/// A few hundred bytes derived from the id, so a torn or mixed-up row is noticed.
fn payload(id: i64) -> String {
    format!("payload of row {id};").repeat(12)
}

/// What the writers of a round are doing, for the moment of the kill.
#[derive(Debug, Default)]
struct Progress {
    in_flight: AtomicUsize,
    acked: AtomicUsize,
}

#[derive(Debug, Default)]
struct WriterReport {
    acked: Vec<Ack>,
    /// Answers other than 200 (none is expected while the server is healthy).
    unexpected: Vec<String>,
}

/// Inserts rows one request at a time until the server goes away or `stop` is set.
async fn write_until_gone(
    api: Api,
    round: i64,
    writer: i64,
    stop: Arc<AtomicBool>,
    progress: Arc<Progress>,
) -> WriterReport {
    let db = usize::try_from(writer).expect("writer index") % DATABASES.len();
    let mut report = WriterReport::default();
    let mut seq = 0;
    while !stop.load(Ordering::SeqCst) {
        let id = row_id(round, writer, seq);
        progress.in_flight.fetch_add(1, Ordering::SeqCst);
        let answer = api
            .try_query(DATABASES[db], INSERT, json!([id, writer, seq, payload(id)]))
            .await;
        progress.in_flight.fetch_sub(1, Ordering::SeqCst);
        match answer {
            Ok((StatusCode::OK, body)) => {
                if body["rows_affected"] != 1 {
                    report
                        .unexpected
                        .push(format!("row {id}: 200 with a wrong result {body}"));
                }
                progress.acked.fetch_add(1, Ordering::SeqCst);
                report.acked.push(Ack {
                    db,
                    id,
                    writer,
                    seq,
                });
            }
            Ok((status, body)) => report.unexpected.push(format!("row {id}: {status} {body}")),
            // The server was killed: this write was never acknowledged.
            Err(_) => break,
        }
        seq += 1;
    }
    report
}

/// Copies each database (and the catalog) with its write-ahead log as the crash left them, so
/// that SQLite's recovery is checked here while the server is left to recover the originals
/// itself.
fn snapshot(data_dir: &Path, into: &Path) {
    let mut files = database_files(data_dir);
    files.push(data_dir.join("_forge").join("catalog.db"));
    for file in files {
        for suffix in ["", "-wal"] {
            let from = sidecar(&file, suffix);
            if from.exists() {
                let name = from.file_name().expect("a file name");
                std::fs::copy(&from, into.join(name))
                    .unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
            }
        }
    }
}

/// Checks every database of the snapshot: intact, every acknowledged row present and exact,
/// every row well-formed. Returns the row count of each database.
fn verify_snapshot(dir: &Path, acked: &[Ack]) -> [i64; DATABASES.len()] {
    let mut counts = [0; DATABASES.len()];
    for (db, name) in DATABASES.iter().enumerate() {
        let path = dir.join(format!("{name}.db"));
        let conn = open_sqlite(&path);
        assert_integrity(&conn, name);
        let mut stmt = conn
            .prepare("SELECT id, writer, seq, payload FROM t")
            .expect("prepare the row scan");
        let rows: HashMap<i64, (i64, i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))
            .and_then(|rows| rows.collect())
            .unwrap_or_else(|e| panic!("scan {name}: {e}"));
        for (id, (_, _, text)) in &rows {
            assert_eq!(
                *text,
                payload(*id),
                "{name}: row {id} has a damaged payload"
            );
        }
        let lost: Vec<&Ack> = acked
            .iter()
            .filter(|a| a.db == db)
            .filter(|a| {
                rows.get(&a.id)
                    .is_none_or(|(writer, seq, _)| (*writer, *seq) != (a.writer, a.seq))
            })
            .collect();
        assert!(
            lost.is_empty(),
            "{name}: {} acknowledged writes are missing or wrong after kill -9, e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        );
        counts[db] = i64::try_from(rows.len()).expect("row count");
    }
    counts
}

/// After a restart, the server itself serves exactly what SQLite recovered, including the
/// last acknowledged row of every writer.
async fn assert_served(api: &Api, counts: &[i64], acked: &[Ack]) {
    for (db, name) in DATABASES.iter().enumerate() {
        let served = api.query_int(name, "SELECT count(*) FROM t").await;
        assert_eq!(served, counts[db], "{name}: rows served after the restart");
    }
    let mut last: HashMap<i64, &Ack> = HashMap::new();
    for ack in acked {
        last.insert(ack.writer, ack);
    }
    for ack in last.values() {
        let body = api
            .query(
                DATABASES[ack.db],
                "SELECT payload FROM t WHERE id = ?",
                json!([ack.id]),
            )
            .await;
        assert_eq!(
            body["rows"][0]["payload"],
            payload(ack.id),
            "row {} after the restart",
            ack.id
        );
    }
}

/// Runs `rounds` of: start the server on the same data directory, check it serves what the
/// previous crash left, write concurrently, `kill -9` mid-stream, check the files.
async fn crash_rounds(extra_args: &[&str], rounds: i64) {
    let data = tempfile::tempdir().expect("data dir");
    let launch = || Launch::serve_with_key(data.path()).args(extra_args);
    let mut acked: Vec<Ack> = Vec::new();
    let mut counts: Option<[i64; DATABASES.len()]> = None;
    for round in 0..rounds {
        let mut server = launch().start();
        let api = Api::new(server.url(), Some(ADMIN_KEY));
        match counts {
            None => {
                for name in DATABASES {
                    api.spawn(name).await;
                    api.query(name, CREATE_TABLE, json!([])).await;
                }
            }
            Some(counts) => assert_served(&api, &counts, &acked).await,
        }

        let stop = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(Progress::default());
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let writer = i64::try_from(w).expect("writer index");
                tokio::spawn(write_until_gone(
                    api.clone(),
                    round,
                    writer,
                    Arc::clone(&stop),
                    Arc::clone(&progress),
                ))
            })
            .collect();
        let started = Instant::now();
        tokio::time::sleep(WRITE_TIME).await;
        while progress.acked.load(Ordering::SeqCst) < TARGET_ACKED_PER_ROUND
            && started.elapsed() < MAX_WRITE_TIME
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Make sure the kill lands while requests are outstanding, not between two.
        let deadline = Instant::now() + Duration::from_secs(2);
        while progress.in_flight.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
        let outstanding = progress.in_flight.load(Ordering::SeqCst);
        server.kill_9();
        stop.store(true, Ordering::SeqCst);

        let mut round_acked = 0;
        for writer in writers {
            let report = writer.await.expect("writer task");
            assert!(
                report.unexpected.is_empty(),
                "round {round}: unexpected answers before the kill: {:?}",
                report.unexpected
            );
            round_acked += report.acked.len();
            acked.extend(report.acked);
        }
        assert!(
            round_acked > MIN_ACKED_PER_ROUND,
            "round {round}: only {round_acked} writes were acknowledged in {:?}",
            started.elapsed()
        );
        assert!(
            outstanding > 0,
            "round {round}: no write was in flight at the kill"
        );

        let copy = tempfile::tempdir().expect("snapshot dir");
        snapshot(data.path(), copy.path());
        let round_counts = verify_snapshot(copy.path(), &acked);
        assert_integrity(&open_sqlite(&copy.path().join("catalog.db")), "the catalog");
        eprintln!(
            "{extra_args:?} round {round}: {round_acked} writes acknowledged, {outstanding} in \
             flight at the kill; rows now {round_counts:?}"
        );
        counts = Some(round_counts);
    }

    let server = launch().start();
    let api = Api::new(server.url(), Some(ADMIN_KEY));
    assert_served(&api, &counts.expect("at least one round"), &acked).await;
    assert_eq!(api.names().await, DATABASES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_concurrent_writes_loses_no_acknowledged_write() {
    crash_rounds(&[], 3).await;
}

/// `normal` skips the fsync at commit; a process crash must still lose nothing, as the
/// operating system keeps what was written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_durability_normal_loses_no_acknowledged_write() {
    crash_rounds(&["--durability", "normal"], 2).await;
}
