//! A temp engine per test, and helpers to run SQL, hold the writer, and poll a request once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use dbforge_api::{DatabaseName, Params, Value};
use dbforge_engine::{
    Access, Database, DatabaseSettings, Deadline, Engine, EngineConfig, EngineError, Statement,
    StatementOutput, Stream,
};
use tempfile::TempDir;

/// How long any awaited step may take before the test fails: a guard against a hang, never
/// a wait for something to happen.
pub const GUARD: Duration = Duration::from_secs(10);

/// A generous request deadline: tests that need a short one build it themselves.
pub fn deadline() -> Deadline {
    Deadline::after(Duration::from_secs(30))
}

pub fn settings() -> DatabaseSettings {
    DatabaseSettings {
        max_size_bytes: 1 << 30,
    }
}

pub fn name(raw: &str) -> DatabaseName {
    DatabaseName::parse(raw).expect("valid database name")
}

/// An engine on its own temp data directory, closed before the directory is removed.
pub struct TestEngine {
    pub engine: Engine,
    pub dir: TempDir,
}

impl TestEngine {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    pub fn with(configure: impl FnOnce(&mut EngineConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = EngineConfig::new(dir.path());
        configure(&mut config);
        let engine = Engine::new(config).expect("engine starts");
        Self { engine, dir }
    }

    /// Creates `raw` and opens it.
    pub fn create(&self, raw: &str) -> Arc<Database> {
        let name = name(raw);
        self.engine
            .create_database(&name)
            .expect("database created");
        self.open(raw)
    }

    pub fn open(&self, raw: &str) -> Arc<Database> {
        self.engine
            .open(&name(raw), settings())
            .expect("database opens")
    }

    /// `(commits, committed requests)` so far.
    pub fn commits(&self) -> (u64, u64) {
        let counters = self.engine.counters();
        (
            counters.commits.load(Ordering::Relaxed),
            counters.committed_requests.load(Ordering::Relaxed),
        )
    }
}

impl Drop for TestEngine {
    fn drop(&mut self) {
        // Writer threads checkpoint at close: let them finish before the directory goes.
        self.engine.close_all();
    }
}

/// Fails the test if `work` does not finish within [`GUARD`].
pub async fn within<F: Future>(work: F) -> F::Output {
    tokio::time::timeout(GUARD, work)
        .await
        .expect("the step did not finish within the guard time")
}

/// Runs one SQL text (possibly several statements separated by `;`) as one request.
pub async fn run(db: &Arc<Database>, sql: &str) -> Result<Vec<StatementOutput>, EngineError> {
    within(db.execute(vec![Statement::new(sql)], &deadline())).await
}

/// The single integer `sql` returns.
pub async fn query_i64(db: &Arc<Database>, sql: &str) -> i64 {
    let outputs = run(db, sql).await.expect("query runs");
    single_i64(&outputs[0])
}

pub fn single_i64(output: &StatementOutput) -> i64 {
    match output.rows.as_slice() {
        [row] => match row.as_slice() {
            [Value::Integer(n)] => *n,
            other => panic!("expected one integer, got {other:?}"),
        },
        rows => panic!("expected one row, got {rows:?}"),
    }
}

/// `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`: the table every test writes.
pub async fn create_table(db: &Arc<Database>) {
    run(
        db,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)",
    )
    .await
    .expect("table created");
}

/// Inserts row `id` into `t`: the same SQL text for every id, so that once the engine has seen
/// it the text goes straight to the writer (see [`teach_insert_is_a_write`]).
pub fn insert(id: i64) -> Statement {
    Statement::with_params(
        "INSERT INTO t (id, v) VALUES (?1, ?2)",
        Params::Positional(vec![Value::Integer(id), Value::Text(format!("row {id}"))]),
    )
}

/// Runs [`insert`] once (row `id`). A text the engine has not seen yet is first tried on a
/// reader, on a blocking thread; once SQLite has called it a write, its next requests are
/// queued for the writer on their first poll, which is what [`poll_once`] relies on.
pub async fn teach_insert_is_a_write(db: &Arc<Database>, id: i64) {
    within(db.execute(vec![insert(id)], &deadline()))
        .await
        .expect("first insert");
}

/// The ids in `t`, in order.
pub async fn ids(db: &Arc<Database>) -> Vec<i64> {
    let outputs = run(db, "SELECT id FROM t ORDER BY id")
        .await
        .expect("ids read");
    outputs[0]
        .rows
        .iter()
        .map(|row| match row.as_slice() {
            [Value::Integer(id)] => *id,
            other => panic!("expected an integer id, got {other:?}"),
        })
        .collect()
}

/// Polls `work` once, without waiting: far enough for a write request to be queued (or
/// refused) and for a BEGIN to ask for the writer.
pub fn poll_once<F: Future + Unpin>(work: &mut F) -> Poll<F::Output> {
    Pin::new(work).poll(&mut Context::from_waker(Waker::noop()))
}

/// A stream whose transactions may hold the writer for the whole test and wait long for it.
pub fn stream(db: &Arc<Database>) -> Stream {
    db.stream(Access::ReadWrite, Duration::from_secs(30), GUARD)
}

/// Runs one statement on `stream`.
pub async fn step(stream: &mut Stream, sql: &str) -> Result<StatementOutput, EngineError> {
    within(stream.execute(Statement::new(sql), usize::MAX, &deadline())).await
}

/// Opens an interactive transaction: from here until it ends, the writer runs nothing else,
/// so every write request queued meanwhile waits, and they all meet in the writer's queue.
pub async fn hold_writer(db: &Arc<Database>) -> Stream {
    let mut holder = stream(db);
    step(&mut holder, "BEGIN").await.expect("BEGIN");
    holder
}

/// Ends the transaction of [`hold_writer`]; the writer then takes every queued request.
pub async fn release_writer(mut holder: Stream) {
    step(&mut holder, "COMMIT").await.expect("COMMIT");
    assert!(holder.is_autocommit());
}
