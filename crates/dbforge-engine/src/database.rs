//! One open database: its writer, its readers and its limits. `execute` is the single entry
//! point every protocol front uses to run SQL.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dbforge_api::{DatabaseName, ErrorCode, Params};
use rusqlite::{Connection, OpenFlags, StatementStatus};

use crate::deadline::Deadline;
use crate::disk::DiskGuard;
use crate::engine::EngineCounters;
use crate::execute::{Run, Statement, StatementOutput, explain_stop, run_prepared};
use crate::inline::{INLINE_BUDGET, PROMOTE_WITHIN_STEPS, SchemaEpoch};
use crate::readers::{Reader, ReaderPool};
use crate::results::{ResultBudget, ResultMemory};
use crate::sandbox::Sandbox;
use crate::split::split_statements;
use crate::writer::{
    COUNT_TABLES_SQL, MIN_WAL_LIMIT, WAL_KEPT_BYTES, WRITER_BUSY_TIMEOUT, WalBound, WriteSession,
    Writer, WriterThread,
};
use crate::{Access, DatabaseSettings, Durability, EngineConfig, EngineError, Limits};

/// Uses of databases so far, over all databases of the process: orders uses for the LRU.
static USES: AtomicU64 = AtomicU64::new(0);

pub struct Database {
    name: DatabaseName,
    /// The database's file.
    path: PathBuf,
    limits: Limits,
    writer: Writer,
    readers: Arc<ReaderPool>,
    table_count: Arc<AtomicU64>,
    /// The table count last handed out by [`Database::take_table_count_change`].
    reported_table_count: AtomicU64,
    opened_at: Instant,
    /// Milliseconds after `opened_at` of the last use, for idle closing and LRU eviction.
    last_used_ms: AtomicU64,
    /// The number of the last use (see [`Database::last_use`]).
    last_use: AtomicU64,
    known_writes: KnownWrites,
    result_memory: Arc<ResultMemory>,
    disk: Arc<DiskGuard>,
    /// Whether the schema holds, for reads that run inline (see `inline.rs`).
    schema_epoch: Arc<SchemaEpoch>,
    counters: Arc<EngineCounters>,
    /// Requests admitted and not yet finished (see [`Database::admit`]).
    in_flight: AtomicUsize,
}

/// A request's place among the requests in flight on a database; given back when dropped.
pub struct Admitted(Arc<Database>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// SQL texts that SQLite reported as not read-only. Routing only: a text not in it is
/// classified by preparing it, and the writer runs reads correctly too.
#[derive(Default)]
struct KnownWrites(Mutex<HashSet<String>>);

/// Remembered texts before the set starts afresh (a bound on memory, not a cache policy).
const MAX_KNOWN_WRITES: usize = 1_024;

impl KnownWrites {
    fn contains(&self, sql: &str) -> bool {
        self.0.lock().is_ok_and(|set| set.contains(sql))
    }

    fn remember(&self, sql: &str) {
        if let Ok(mut set) = self.0.lock() {
            if set.len() >= MAX_KNOWN_WRITES {
                set.clear();
            }
            set.insert(sql.to_owned());
        }
    }
}

/// Where a request's statements ran, decided by SQLite's `sqlite3_stmt_readonly`.
enum ReadAttempt {
    Done {
        outputs: Vec<StatementOutput>,
        /// Virtual machine steps of a lone statement (what decides whether it may run
        /// inline next time, see `inline.rs`).
        steps: u64,
    },
    NeedsWriter,
}

impl Database {
    /// Opens the database's writer (creating its thread) and its reader pool. Blocking.
    pub(crate) fn open(
        name: DatabaseName,
        path: PathBuf,
        config: &EngineConfig,
        settings: DatabaseSettings,
        counters: Arc<EngineCounters>,
        result_memory: Arc<ResultMemory>,
        disk: Arc<DiskGuard>,
    ) -> Result<Self, EngineError> {
        let setup = |e: rusqlite::Error| EngineError::internal(format!("opening {name}: {e}"));
        // No CREATE flag: a database that was deleted must not come back by being opened.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(setup)?;
        conn.busy_timeout(WRITER_BUSY_TIMEOUT).map_err(setup)?;
        let synchronous = match config.durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
             PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = {WAL_KEPT_BYTES};"
        ))
        .map_err(setup)?;
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(setup)?;
        let max_pages = settings.max_size_bytes / u64::try_from(page_size.max(512)).unwrap_or(4096);
        conn.query_row(
            &format!("PRAGMA max_page_count = {}", max_pages.max(1)),
            [],
            |_| Ok(()),
        )
        .map_err(setup)?;
        let tables: i64 = conn
            .query_row(COUNT_TABLES_SQL, [], |r| r.get(0))
            .map_err(setup)?;
        conn.set_prepared_statement_cache_capacity(128);
        let schema_epoch = Arc::new(SchemaEpoch::default());
        let sandbox = Sandbox::install(&mut conn, &config.limits, Some(Arc::clone(&schema_epoch)))?;

        let table_count = Arc::new(AtomicU64::new(u64::try_from(tables).unwrap_or(0)));
        let thread = WriterThread {
            conn,
            sandbox,
            limits: config.limits.clone(),
            counters: Arc::clone(&counters),
            table_count: Arc::clone(&table_count),
            result_memory: Arc::clone(&result_memory),
            wal: WalBound {
                path: wal_path(&path),
                limit: settings.max_size_bytes.max(MIN_WAL_LIMIT),
                full: false,
                checked_at: None,
            },
            disk: Arc::clone(&disk),
            schema_epoch: Arc::clone(&schema_epoch),
        };
        let (tx, handle) = thread
            .spawn(name.as_str(), config.write_queue_depth)
            .map_err(|e| EngineError::internal(format!("starting the writer of {name}: {e}")))?;
        let readers = ReaderPool::new(
            path.clone(),
            config.limits.clone(),
            config.readers_per_database,
        );
        Ok(Self {
            path,
            reported_table_count: AtomicU64::new(table_count.load(Ordering::Relaxed)),
            name,
            limits: config.limits.clone(),
            writer: Writer::new(tx, handle),
            readers: Arc::new(readers),
            table_count,
            opened_at: Instant::now(),
            last_used_ms: AtomicU64::new(0),
            last_use: AtomicU64::new(USES.fetch_add(1, Ordering::Relaxed)),
            known_writes: KnownWrites::default(),
            result_memory,
            disk,
            schema_epoch,
            counters,
            in_flight: AtomicUsize::new(0),
        })
    }

    /// Admits one more request on this database unless `max` are in flight already: one
    /// tenant's flood must not take every thread and every byte the server shares.
    pub fn admit(self: &Arc<Self>, max: usize) -> Option<Admitted> {
        let admitted = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok();
        admitted.then(|| Admitted(Arc::clone(self)))
    }

    pub fn name(&self) -> &DatabaseName {
        &self.name
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }

    pub(crate) fn readers(&self) -> &ReaderPool {
        &self.readers
    }

    pub fn table_count(&self) -> u64 {
        self.table_count.load(Ordering::Relaxed)
    }

    /// The table count, if it changed since the last call: lets the catalog follow schema
    /// changes without a write per request.
    pub fn take_table_count_change(&self) -> Option<u64> {
        let now = self.table_count();
        // A load first: every request asks, and a swap would write the shared line each time.
        if self.reported_table_count.load(Ordering::Relaxed) == now {
            return None;
        }
        (self.reported_table_count.swap(now, Ordering::Relaxed) != now).then_some(now)
    }

    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.opened_at.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_used_ms.store(ms, Ordering::Relaxed);
        self.last_use
            .store(USES.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// When the database was last used, in the order of all uses of all databases (a
    /// count, not a time: two uses in one millisecond are still told apart), for the cache's
    /// least-recently-used order.
    pub(crate) fn last_use(&self) -> u64 {
        self.last_use.load(Ordering::Relaxed)
    }

    pub(crate) fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_used_ms.load(Ordering::Relaxed));
        self.opened_at.elapsed().saturating_sub(last)
    }

    /// Runs a request: its statements commit together or not at all. Statements that SQLite
    /// reports read-only run concurrently on a reader; anything else goes to the writer.
    /// A statement without params may hold several statements separated by `;`: each becomes
    /// its own entry in the result. Every statement stops at its time limit or at `deadline`.
    pub async fn execute(
        self: &Arc<Self>,
        statements: Vec<Statement>,
        deadline: &Deadline,
    ) -> Result<Vec<StatementOutput>, EngineError> {
        self.execute_as(Access::ReadWrite, statements, deadline)
            .await
    }

    /// [`Database::execute`] for a caller with `access`: a read-only caller's statements run
    /// only on read-only connections, and one SQLite reports as a write is refused
    /// (`forbidden`) before it runs.
    pub async fn execute_as(
        self: &Arc<Self>,
        access: Access,
        statements: Vec<Statement>,
        deadline: &Deadline,
    ) -> Result<Vec<StatementOutput>, EngineError> {
        self.execute_within(statements, self.limits.max_result_bytes, access, deadline)
            .await
    }

    /// [`Database::execute_as`] with `result_bytes` (at most the configured limit) left for
    /// the results: a caller answering several requests in one response spends one budget.
    ///
    /// User SQL never runs on the async executor: a single SQLite step can take long (a
    /// pattern match, an aggregate over a large table), and an executor thread held that
    /// long would stall every other request. Reads run on tokio's blocking pool, writes on
    /// the database's writer thread.
    pub async fn execute_within(
        self: &Arc<Self>,
        statements: Vec<Statement>,
        result_bytes: usize,
        access: Access,
        deadline: &Deadline,
    ) -> Result<Vec<StatementOutput>, EngineError> {
        let result_bytes = result_bytes.min(self.limits.max_result_bytes);
        self.touch();
        let statements = self.expand(statements)?;
        // A text SQLite already called a write goes straight to the writer; the reader would
        // only find that out again.
        if let Some(i) = statements
            .iter()
            .position(|s| self.known_writes.contains(&s.sql))
        {
            if !access.may_write() {
                return Err(Access::refusal("the statement writes").at_statement(i));
            }
            return self.writer.submit(statements, result_bytes, deadline).await;
        }
        self.read_or_write(statements, result_bytes, access, deadline)
            .await
            .map_err(|e| access.explain(e))
    }

    /// Runs the statements on a reader (inline when proven cheap) if SQLite reports them all
    /// read-only, else on the writer, or refuses them for a read-only caller.
    async fn read_or_write(
        self: &Arc<Self>,
        statements: Vec<Statement>,
        result_bytes: usize,
        access: Access,
        deadline: &Deadline,
    ) -> Result<Vec<StatementOutput>, EngineError> {
        if let Some(outputs) = self.try_inline(&statements, result_bytes, access, deadline) {
            return match outputs? {
                ReadAttempt::Done { outputs, .. } => Ok(outputs),
                ReadAttempt::NeedsWriter => {
                    self.writer.submit(statements, result_bytes, deadline).await
                }
            };
        }
        let this = Arc::clone(self);
        let read_deadline = deadline.clone();
        let reading = tokio::task::spawn_blocking(move || {
            let outcome = this.readers.with_reader(|r| {
                let schema = this.schema_epoch.stable();
                let outcome = this.read_on(r, &statements, result_bytes, access, &read_deadline);
                if let (Ok(ReadAttempt::Done { steps, .. }), Some(epoch), [statement]) =
                    (&outcome, schema, statements.as_slice())
                {
                    judge_for_inline(r, statement, epoch, *steps);
                }
                outcome
            });
            outcome.map(|o| (o, statements))
        });
        let attempt = deadline.unless_ran_away(joined(reading)).await?;
        match attempt {
            (ReadAttempt::Done { outputs, .. }, _) => Ok(outputs),
            (ReadAttempt::NeedsWriter, statements) => {
                self.writer.submit(statements, result_bytes, deadline).await
            }
        }
    }

    /// Runs a lone read right here on the executor if it is proven cheap (see `inline.rs`):
    /// `None` when it is not, or when it ran past its budget (then it is demoted, and the
    /// caller runs it on a blocking thread).
    fn try_inline(
        &self,
        statements: &[Statement],
        result_bytes: usize,
        access: Access,
        deadline: &Deadline,
    ) -> Option<Result<ReadAttempt, EngineError>> {
        let [statement] = statements else {
            return None;
        };
        if !crate::inline::small_enough(&statement.sql, &statement.params) {
            return None;
        }
        let epoch = self.schema_epoch.stable()?;
        self.readers
            .with_idle_reader(|reader| {
                if !reader.verdicts.borrow().is_cheap(&statement.sql, epoch) {
                    return None;
                }
                let until = Instant::now() + INLINE_BUDGET;
                let outcome = match reader.sandbox.begin_inline(&mut reader.conn, until) {
                    Ok(()) => {
                        Some(self.read_on(reader, statements, result_bytes, access, deadline))
                    }
                    Err(_) => None,
                };
                let overrun = reader
                    .sandbox
                    .end_inline(&mut reader.conn, crate::readers::READER_BUSY_TIMEOUT);
                reader.verdicts.borrow_mut().ran(&statement.sql, overrun);
                match outcome {
                    _ if overrun.is_some() => None,
                    // Another connection held a lock for a moment: wait for it off the executor.
                    Some(Err(e)) if e.code == ErrorCode::DatabaseBusy => None,
                    Some(Ok(done)) => {
                        self.counters.inline_reads.fetch_add(1, Ordering::Relaxed);
                        Some(Ok(done))
                    }
                    outcome => outcome,
                }
            })
            .flatten()
    }

    /// Runs `f` on a reader connection with the sandbox in force (schema inspection), watched
    /// like a statement: it stops at the statement time limit or at `deadline`.
    pub(crate) async fn read<R: Send + 'static>(
        self: &Arc<Self>,
        deadline: &Deadline,
        f: impl FnOnce(&Connection) -> Result<R, EngineError> + Send + 'static,
    ) -> Result<R, EngineError> {
        self.touch();
        let readers = Arc::clone(&self.readers);
        let timeout = self.limits.statement_timeout;
        let read_deadline = deadline.clone();
        let reading = tokio::task::spawn_blocking(move || {
            readers.with_reader(|r| {
                let running = r.sandbox.start_statement(timeout, &read_deadline)?;
                let result = f(&r.conn).map_err(|e| {
                    r.sandbox.take_denial().map_or(e.clone(), |d| {
                        EngineError::new(ErrorCode::StatementNotAllowed, d)
                    })
                });
                drop(running);
                result.map_err(|e| explain_stop(e, &read_deadline))
            })
        });
        deadline.unless_ran_away(joined(reading)).await
    }

    fn expand(&self, statements: Vec<Statement>) -> Result<Vec<Statement>, EngineError> {
        let mut expanded = Vec::with_capacity(statements.len());
        for statement in statements {
            self.check_sql_text(&statement.sql)?;
            let parts = split_statements(&statement.sql);
            match parts.len() {
                0 => {
                    return Err(EngineError::new(
                        ErrorCode::InvalidRequest,
                        "a statement is empty (only whitespace or comments)",
                    ));
                }
                1 => expanded.push(Statement {
                    sql: parts[0].to_owned(),
                    ..statement
                }),
                _ if statement.params.is_empty() => {
                    expanded.extend(parts.into_iter().map(|sql| Statement {
                        sql: sql.to_owned(),
                        params: Params::None,
                        whole_result: statement.whole_result,
                        encoding: statement.encoding,
                    }));
                }
                n => {
                    return Err(EngineError::new(
                        ErrorCode::InvalidRequest,
                        format!(
                            "the SQL holds {n} statements but params bind to one statement: \
                             send each statement with its params in `statements`"
                        ),
                    ));
                }
            }
        }
        self.limits
            .check_statement_count(expanded.len(), "the request", "statements")?;
        Ok(expanded)
    }

    /// Refuses a SQL text over the length limit, or holding a NUL character: SQLite stops
    /// reading at a NUL while the statement splitter does not, so the two would disagree on
    /// what the text says.
    pub(crate) fn check_sql_text(&self, sql: &str) -> Result<(), EngineError> {
        if sql.contains('\0') {
            return Err(EngineError::new(
                ErrorCode::InvalidRequest,
                "the SQL text contains a NUL character (\\u0000); remove it or bind the value as a parameter",
            ));
        }
        self.limits.check_sql_length(sql)
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    pub(crate) fn result_memory(&self) -> &Arc<ResultMemory> {
        &self.result_memory
    }

    pub(crate) fn disk(&self) -> &DiskGuard {
        &self.disk
    }

    /// Waits for the writer and lends it to an interactive transaction.
    pub(crate) async fn open_write_session(
        &self,
        foreign_keys: bool,
        hold_limit: Duration,
        wait_limit: Duration,
    ) -> Result<WriteSession, EngineError> {
        self.writer
            .open_session(foreign_keys, hold_limit, wait_limit)
            .await
    }

    /// A private read-only connection inside `BEGIN` (its snapshot starts at the first read),
    /// whose client may end it with COMMIT or ROLLBACK.
    pub(crate) async fn begin_read_transaction(&self) -> Result<Reader, EngineError> {
        let readers = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || {
            let reader = readers.open_reader()?;
            reader
                .sandbox
                .run_internal(&reader.conn, "BEGIN")
                .map_err(|e| EngineError::from_sqlite(e, None))?;
            reader.sandbox.allow_transactions(true);
            Ok(reader)
        })
        .await
        .map_err(|e| EngineError::internal(format!("read task failed: {e}")))?
    }

    /// Runs the request on `reader` if SQLite reports every statement read-only, each
    /// statement (its prepare included) watched until its time limit or `deadline`. For a
    /// read-only caller, a statement that is not is refused here.
    fn read_on(
        &self,
        reader: &Reader,
        statements: &[Statement],
        result_bytes: usize,
        access: Access,
        deadline: &Deadline,
    ) -> Result<ReadAttempt, EngineError> {
        let timeout = self.limits.statement_timeout;
        let mut prepared = Vec::with_capacity(statements.len());
        // A lone statement (most reads) is watched once, from its prepare to its end.
        let mut lone_watch = None;
        for (i, s) in statements.iter().enumerate() {
            let running = reader.sandbox.start_statement(timeout, deadline)?;
            let outcome = reader.conn.prepare_cached(&s.sql);
            if statements.len() == 1 && outcome.is_ok() {
                lone_watch = Some(running);
            } else {
                drop(running);
            }
            match outcome {
                Ok(stmt) if stmt.readonly() => prepared.push(stmt),
                Ok(_) => {
                    self.known_writes.remember(&s.sql);
                    if !access.may_write() {
                        return Err(Access::refusal("the statement writes").at_statement(i));
                    }
                    return Ok(ReadAttempt::NeedsWriter);
                }
                Err(e) => {
                    let e = explain_stop(reader.sandbox.error(e), deadline);
                    // A read-only caller's statements never reach the writer: no earlier one
                    // could have created what this one names.
                    if !access.may_write()
                        || matches!(
                            e.code,
                            ErrorCode::StatementNotAllowed | ErrorCode::QueryTimeout
                        )
                    {
                        return Err(e.at_statement(i));
                    }
                    // It may name a table an earlier statement of this request creates: the
                    // writer runs them in order and reports the real error if there is one.
                    return Ok(ReadAttempt::NeedsWriter);
                }
            }
        }
        // Several statements read one snapshot.
        let snapshot = statements.len() > 1;
        if snapshot {
            reader
                .sandbox
                .run_internal(&reader.conn, "BEGIN")
                .map_err(|e| EngineError::from_sqlite(e, None))?;
        }
        let mut budget = ResultBudget::new(result_bytes, &self.result_memory);
        let mut outputs = Vec::with_capacity(statements.len());
        let mut failure = None;
        for (i, (stmt, s)) in prepared.iter_mut().zip(statements).enumerate() {
            let run = Run {
                params: &s.params,
                inserts: false,
                whole: s.whole_result,
                encoding: s.encoding,
            };
            let watched = match lone_watch.take() {
                Some(running) => Ok(running),
                None => reader.sandbox.start_statement(timeout, deadline),
            };
            let outcome = watched.and_then(|running| {
                let output = run_prepared(
                    &reader.conn,
                    &reader.sandbox,
                    stmt,
                    run,
                    &self.limits,
                    &mut budget,
                    deadline,
                );
                drop(running);
                output
            });
            match outcome {
                Ok(output) => outputs.push(output),
                Err(e) => {
                    failure = Some(e.at_statement(i));
                    break;
                }
            }
        }
        if snapshot && reader.sandbox.run_internal(&reader.conn, "COMMIT").is_err() {
            // The pool closes a reader left inside a transaction; try to end it anyway.
            let _ = reader.sandbox.run_internal(&reader.conn, "ROLLBACK");
        }
        match failure {
            None => {
                // Counted since the last run's reset: this run's steps.
                let steps = match prepared.as_slice() {
                    [lone] => {
                        u64::try_from(lone.reset_status(StatementStatus::VmStep)).unwrap_or(0)
                    }
                    _ => 0,
                };
                Ok(ReadAttempt::Done { outputs, steps })
            }
            Some(e) => Err(e),
        }
    }

    /// Stops the writer (after its queue drains), checkpoints and closes. Blocking.
    pub(crate) fn close(&self) {
        self.readers.close();
        self.writer.close();
    }
}

/// After a lone read ran on a blocking thread: decides, once per text and schema, whether it
/// may run inline on this reader from now on (see `inline.rs`).
fn judge_for_inline(reader: &Reader, statement: &Statement, epoch: u64, steps: u64) {
    let sql = statement.sql.as_str();
    // A long run decides nothing (a statement may be long once and short the next time): it
    // is judged after a short one.
    if steps > PROMOTE_WITHIN_STEPS
        || reader.verdicts.borrow().is_judged(sql, epoch)
        || !crate::inline::small_enough(sql, &statement.params)
    {
        return;
    }
    let cheap = crate::inline::compiles_cheap(&reader.conn, sql);
    reader.verdicts.borrow_mut().record(sql, epoch, cheap);
}

/// The result of work on a blocking thread.
pub(crate) async fn joined<T>(
    task: tokio::task::JoinHandle<Result<T, EngineError>>,
) -> Result<T, EngineError> {
    task.await
        .map_err(|e| EngineError::internal(format!("blocking task failed: {e}")))?
}

/// `{path}-wal`: the database's write-ahead log.
pub(crate) fn wal_path(path: &std::path::Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}
