//! The single writer of one database: a dedicated thread fed by a bounded queue. It takes every
//! write request waiting, runs each inside its own SAVEPOINT (a failing request rolls back
//! alone), then COMMITs once, so one fsync serves many requests (group commit). Replies go out
//! only after the commit is durable.
//!
//! A protocol stream's interactive transaction is a *session*: a queued job that, when its
//! turn comes, lends the connection to one client until its transaction ends, it goes away,
//! or it has held the lock for its time limit. Group commit resumes right after.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dbforge_api::ErrorCode;
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::deadline::Deadline;
use crate::disk::DiskGuard;
use crate::engine::EngineCounters;
use crate::execute::{Prepare, Statement, StatementOutput, run_statement};
use crate::results::{ResultBudget, ResultMemory};
use crate::sandbox::{Sandbox, request_over};
use crate::{EngineError, Limits};

/// Most requests committed together; bounds the work lost to one failed COMMIT and the
/// latency of the first request in a group.
const MAX_GROUP: usize = 512;

/// The longest a group waits for expected requests (and never more than half a commit).
const MAX_COMMIT_DELAY: Duration = Duration::from_millis(2);

pub(crate) type WriteReply = Result<Vec<StatementOutput>, EngineError>;

pub(crate) struct WriteJob {
    pub(crate) statements: Vec<Statement>,
    /// Bytes of results the request may return.
    pub(crate) result_bytes: usize,
    /// When the request's work must stop (a job whose request is over is not run at all).
    pub(crate) deadline: Deadline,
    pub(crate) reply: oneshot::Sender<WriteReply>,
}

/// What waits in a writer's queue.
pub(crate) enum Job {
    Write(WriteJob),
    Session(SessionJob),
    Replace(ReplaceJob),
    Import(ImportJob),
}

/// Runs an import (see `import.rs`) as one transaction of its own.
pub(crate) struct ImportJob {
    pub(crate) request: crate::import::ImportRequest,
    pub(crate) reply: oneshot::Sender<Result<crate::import::ImportSummary, EngineError>>,
}

/// Replaces the database's whole content with a file's, in one write transaction (a
/// restore in place): readers see the old content or the new, never a mix.
pub(crate) struct ReplaceJob {
    /// A complete, checked SQLite database with the live one's page size.
    pub(crate) source: std::path::PathBuf,
    pub(crate) reply: oneshot::Sender<Result<(), EngineError>>,
}

/// A request for the connection itself, for one interactive transaction.
pub(crate) struct SessionJob {
    pub(crate) commands: mpsc::Receiver<SessionCommand>,
    /// Answered when the session has the connection (or could not get it).
    pub(crate) opened: oneshot::Sender<Result<(), EngineError>>,
    /// `false` runs the session with `PRAGMA foreign_keys = OFF` (libSQL's `migrate`).
    pub(crate) foreign_keys: bool,
    /// The longest the session may hold the connection.
    pub(crate) hold_limit: Duration,
    pub(crate) shared: Arc<SessionShared>,
}

/// Work for a session, run on the writer thread with the connection lent out.
pub(crate) type SessionCommand = Box<dyn FnOnce(&SessionConnection<'_>) + Send>;

/// What a session command may use.
pub(crate) struct SessionConnection<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) sandbox: &'a Sandbox,
    pub(crate) limits: &'a Limits,
    table_count: &'a AtomicU64,
}

impl SessionConnection<'_> {
    /// After a command: once it ended the transaction, the table count is brought up to
    /// date before the client hears back, so whoever follows schema changes right after the
    /// COMMIT (the catalog) sees the tables it created.
    fn settle(&self) {
        if self.conn.is_autocommit()
            && let Ok(n) = self.sandbox.query_internal(self.conn, COUNT_TABLES_SQL)
        {
            self.table_count
                .store(u64::try_from(n).unwrap_or(0), Ordering::Relaxed);
        }
    }
}

/// State both ends of a session see.
#[derive(Debug, Default)]
pub(crate) struct SessionShared {
    /// Set when the writer ended the session at its hold limit (and rolled it back).
    pub(crate) expired: AtomicBool,
}

/// How long the writer's connection waits for a lock (only checkpoints ever wait: the
/// writer is the database's only writer).
pub(crate) const WRITER_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite's code for a locked database (`SQLITE_BUSY`).
const SQLITE_BUSY: i32 = 5;

/// How often a session waiting for its client's next command checks whether the database is
/// closing.
const SESSION_POLL: Duration = Duration::from_millis(200);

/// What the writer thread owns.
pub(crate) struct WriterThread {
    pub(crate) conn: Connection,
    pub(crate) sandbox: Sandbox,
    pub(crate) limits: Limits,
    pub(crate) counters: Arc<EngineCounters>,
    /// Tables in the database, kept current after schema changes.
    pub(crate) table_count: Arc<AtomicU64>,
    pub(crate) result_memory: Arc<ResultMemory>,
    /// The write-ahead log and what it may hold (see [`WalBound`]).
    pub(crate) wal: WalBound,
    /// The data directory's disk: no writes while it is nearly full.
    pub(crate) disk: Arc<DiskGuard>,
    /// Marked by the sandbox when DDL is prepared; settled here once its transaction ends.
    pub(crate) schema_epoch: Arc<crate::inline::SchemaEpoch>,
}

/// The write-ahead log's bound. Checkpoints reset the log only when no reader holds an older
/// snapshot, so a long read transaction lets it grow with every write; past `limit` bytes
/// (the database's quota, at least [`MIN_WAL_LIMIT`]) the writer checkpoints at once, and
/// refuses writes while that cannot bring the log back under the limit.
pub(crate) struct WalBound {
    pub(crate) path: std::path::PathBuf,
    pub(crate) limit: u64,
    /// Set while the log is over its limit.
    pub(crate) full: bool,
    /// When the log's size was last read (see [`WAL_CHECK_INTERVAL`]).
    pub(crate) checked_at: Option<Instant>,
}

/// How often the writer reads the log's size after commits: reading it (a `statx`) right
/// after every fsync cost a single writer a thread switch per commit, and the bound needs
/// no more than this to hold (the log grows by at most this much time of writes past it).
const WAL_CHECK_INTERVAL: Duration = Duration::from_millis(10);

/// The least a database's write-ahead log may hold, whatever its quota: room for the usual
/// cycle of writes between automatic checkpoints (1,000 pages).
pub(crate) const MIN_WAL_LIMIT: u64 = 8 << 20;

/// What a checkpoint that resets the log leaves of it on disk (`journal_size_limit`).
pub(crate) const WAL_KEPT_BYTES: u64 = 4 << 20;

impl WriterThread {
    pub(crate) fn spawn(
        self,
        name: &str,
        queue_depth: usize,
    ) -> std::io::Result<(Queue, JoinHandle<()>)> {
        // Unbounded channel, bounded by the `waiting` count: a bounded one would allocate every
        // slot up front, for every open database.
        let (tx, rx) = mpsc::channel();
        let queue = Queue {
            tx,
            waiting: Arc::new(AtomicUsize::new(0)),
            depth: queue_depth.max(1),
            closing: Arc::new(AtomicBool::new(false)),
        };
        let waiting = Arc::clone(&queue.waiting);
        let closing = Arc::clone(&queue.closing);
        let handle = std::thread::Builder::new()
            .stack_size(crate::SQL_THREAD_STACK_BYTES)
            .name(format!("writer-{name}"))
            .spawn(move || self.run(rx, &waiting, &closing))?;
        Ok((queue, handle))
    }

    fn run(mut self, rx: mpsc::Receiver<Job>, waiting: &AtomicUsize, closing: &AtomicBool) {
        let mut schema_version = self.schema_version();
        // Requests likely in flight (the last group plus those that came during its commit),
        // and how long the last COMMIT took: together they decide the commit delay.
        let mut in_flight = 1;
        let mut last_commit = Duration::ZERO;
        // A job that runs alone (a session, a replacement) met while gathering a group: it
        // runs after that group commits.
        let mut next_alone: Option<Job> = None;
        loop {
            let first = match next_alone.take() {
                Some(job) => job,
                None => match rx.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                },
            };
            let first = match first {
                Job::Write(job) => job,
                Job::Import(job) => {
                    waiting.fetch_sub(1, Ordering::Relaxed);
                    if let Some(full) = self.refuse_writes() {
                        let _ = job.reply.send(Err(full));
                        continue;
                    }
                    let imported = crate::import::run_import(
                        &self.conn,
                        &self.sandbox,
                        &self.limits,
                        &job.request,
                    )
                    .map_err(|e| self.disk.explain(e));
                    self.schema_epoch.settle();
                    self.after_commit(&mut schema_version);
                    self.bound_wal();
                    let _ = job.reply.send(imported);
                    continue;
                }
                Job::Replace(job) => {
                    waiting.fetch_sub(1, Ordering::Relaxed);
                    let replaced = self.replace_content(&job.source);
                    self.after_commit(&mut schema_version);
                    self.bound_wal();
                    let _ = job.reply.send(replaced);
                    continue;
                }
                Job::Session(session) => {
                    waiting.fetch_sub(1, Ordering::Relaxed);
                    if let Some(full) = self.refuse_writes() {
                        let _ = session.opened.send(Err(full));
                        continue;
                    }
                    self.run_session(session, closing);
                    self.schema_epoch.settle();
                    self.after_commit(&mut schema_version);
                    self.bound_wal();
                    continue;
                }
            };
            let mut jobs = vec![first];
            let target = in_flight.min(MAX_GROUP);
            // Commit delay: the clients answered by the last commit are about to send their
            // next requests. Waiting a fraction of a commit for them keeps every client in one
            // group, instead of two halves taking turns and each request waiting two fsyncs.
            let delay_until = Instant::now() + (last_commit / 2).min(MAX_COMMIT_DELAY);
            while jobs.len() < MAX_GROUP {
                let next = match rx.try_recv() {
                    Ok(job) => Some(job),
                    Err(_) if jobs.len() < target => {
                        let left = delay_until.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            None
                        } else {
                            rx.recv_timeout(left).ok()
                        }
                    }
                    Err(_) => None,
                };
                match next {
                    Some(Job::Write(job)) => jobs.push(job),
                    Some(alone @ (Job::Session(_) | Job::Replace(_) | Job::Import(_))) => {
                        next_alone = Some(alone);
                        break;
                    }
                    None => break,
                }
            }
            waiting.fetch_sub(jobs.len(), Ordering::Relaxed);
            if let Some(full) = self.refuse_writes() {
                for job in jobs {
                    let _ = job.reply.send(Err(full.clone()));
                }
                continue;
            }
            let (replies, commit_time) = self.commit_group(&jobs);
            // Committed or rolled back: a schema change it prepared is over.
            self.schema_epoch.settle();
            last_commit = commit_time;
            in_flight = jobs.len() + waiting.load(Ordering::Relaxed);
            self.after_commit(&mut schema_version);
            self.bound_wal();
            for (job, reply) in jobs.into_iter().zip(replies) {
                let reply = reply.map_err(|e| self.disk.explain(e));
                // The requester may have gone away (client disconnected); nothing to do then.
                let _ = job.reply.send(reply);
            }
        }
        self.checkpoint_and_close();
    }

    /// Checks the log after a commit: past its limit, checkpoint it now, and note whether
    /// that brought it back under (see [`WalBound`]).
    fn bound_wal(&mut self) {
        if self
            .wal
            .checked_at
            .is_some_and(|at| at.elapsed() < WAL_CHECK_INTERVAL)
        {
            return;
        }
        self.wal.checked_at = Some(Instant::now());
        if self.wal_bytes() > self.wal.limit {
            self.checkpoint_now();
            self.wal.full = self.wal_bytes() > self.wal.limit;
            if self.wal.full {
                tracing::warn!(
                    wal_bytes = self.wal_bytes(),
                    limit = self.wal.limit,
                    "a database's write-ahead log is over its limit (a long read transaction \
                     keeps it from being reset); its writes are refused until it is back under"
                );
            }
        }
    }

    /// The error for writes refused now (the disk is nearly full, or the log is over its
    /// limit), or `None` when writes may go on (after a checkpoint, if the log was over).
    fn refuse_writes(&mut self) -> Option<EngineError> {
        if self.disk.is_low() {
            return Some(self.disk.refusal());
        }
        if !self.wal.full {
            return None;
        }
        self.checkpoint_now();
        self.wal.full = self.wal_bytes() > self.wal.limit;
        self.wal.full.then(|| {
            EngineError::new(
                ErrorCode::DatabaseFull,
                format!(
                    "the database's write-ahead log holds {} bytes, over its limit of {} (the \
                     database's quota): a long read transaction keeps it from being \
                     checkpointed; writes resume once that transaction ends",
                    self.wal_bytes(),
                    self.wal.limit
                ),
            )
        })
    }

    fn wal_bytes(&self) -> u64 {
        std::fs::metadata(&self.wal.path).map_or(0, |m| m.len())
    }

    /// Checkpoints the whole log and truncates it, without waiting for readers: one still
    /// on an old snapshot makes it stop where that snapshot starts.
    fn checkpoint_now(&self) {
        let _ = self.conn.busy_timeout(Duration::ZERO);
        if let Err(e) = self
            .sandbox
            .query_internal(&self.conn, "PRAGMA wal_checkpoint(TRUNCATE)")
        {
            tracing::debug!(error = %e, "checkpoint on pressure failed");
        }
        let _ = self.conn.busy_timeout(WRITER_BUSY_TIMEOUT);
    }

    /// Follows schema changes (the table count) after a commit.
    fn after_commit(&self, schema_version: &mut i64) {
        let version = self.schema_version();
        if version != *schema_version {
            *schema_version = version;
            self.recount_tables();
        }
    }

    /// Lends the connection to one interactive transaction until its client ends it (drops
    /// its handle once the connection is back in autocommit), its hold limit passes, or the
    /// database closes. Whatever it leaves open is rolled back.
    fn run_session(&mut self, job: SessionJob, closing: &AtomicBool) {
        let started = Instant::now();
        if closing.load(Ordering::Relaxed) {
            let _ = job.opened.send(Err(closed()));
            return;
        }
        if !job.foreign_keys
            && let Err(e) = self
                .sandbox
                .run_internal(&self.conn, "PRAGMA foreign_keys = OFF")
        {
            let _ = job.opened.send(Err(EngineError::from_sqlite(e, None)));
            return;
        }
        self.sandbox.allow_transactions(true);
        // The client may have gone away while it waited for its turn.
        if job.opened.send(Ok(())).is_ok() {
            let deadline = started + job.hold_limit;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    job.shared.expired.store(true, Ordering::Relaxed);
                    break;
                }
                match job.commands.recv_timeout(left.min(SESSION_POLL)) {
                    Ok(command) => command(&SessionConnection {
                        conn: &self.conn,
                        sandbox: &self.sandbox,
                        limits: &self.limits,
                        table_count: &self.table_count,
                    }),
                    Err(mpsc::RecvTimeoutError::Timeout) if closing.load(Ordering::Relaxed) => {
                        break;
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        }
        self.sandbox.allow_transactions(false);
        if !self.conn.is_autocommit() {
            if let Err(e) = self.sandbox.run_internal(&self.conn, "ROLLBACK") {
                tracing::error!(error = %e, "rolling back an abandoned transaction failed");
            } else {
                tracing::info!(
                    held_ms = started.elapsed().as_millis() as u64,
                    expired = job.shared.expired.load(Ordering::Relaxed),
                    "an interactive transaction was rolled back by the gateway"
                );
            }
        }
        if !job.foreign_keys
            && let Err(e) = self
                .sandbox
                .run_internal(&self.conn, "PRAGMA foreign_keys = ON")
        {
            tracing::error!(error = %e, "turning foreign keys back on failed");
        }
        metrics::histogram!("dbforge_session_hold_seconds").record(started.elapsed().as_secs_f64());
    }

    /// Runs `jobs` in one transaction; returns one reply per job and how long COMMIT took.
    fn commit_group(&mut self, jobs: &[WriteJob]) -> (Vec<WriteReply>, Duration) {
        let mut commit_time = Duration::ZERO;
        let mut replies: Vec<Option<WriteReply>> = jobs.iter().map(|_| None).collect();
        // Jobs whose failure made SQLite roll back the whole transaction; the group is retried
        // without them.
        let mut aborted = vec![false; jobs.len()];
        'attempt: loop {
            if let Err(e) = self.sandbox.run_internal(&self.conn, "BEGIN IMMEDIATE") {
                let err = EngineError::from_sqlite(e, None);
                return (fill(replies, &err), commit_time);
            }
            for (i, job) in jobs.iter().enumerate() {
                if aborted[i] {
                    continue;
                }
                // Its client gave up, or its time ran out while it waited: run nothing.
                if job.deadline.is_over() || job.reply.is_closed() {
                    aborted[i] = true;
                    replies[i] = Some(Err(request_over(&job.deadline)));
                    continue;
                }
                if let Err(e) = self.sandbox.run_internal(&self.conn, "SAVEPOINT request") {
                    replies[i] = Some(Err(EngineError::from_sqlite(e, None)));
                    continue;
                }
                match self.run_job(job) {
                    Ok(outputs) => {
                        let _ = self.sandbox.run_internal(&self.conn, "RELEASE request");
                        replies[i] = Some(Ok(outputs));
                    }
                    Err(err) if self.conn.is_autocommit() => {
                        // SQLite rolled back the whole transaction (interrupt, disk full, ...):
                        // the work of the jobs before this one is gone too. Redo it without it.
                        aborted[i] = true;
                        replies[i] = Some(Err(err));
                        for (j, reply) in replies.iter_mut().enumerate() {
                            if !aborted[j] {
                                *reply = None;
                            }
                        }
                        continue 'attempt;
                    }
                    Err(err) => {
                        let _ = self
                            .sandbox
                            .run_internal(&self.conn, "ROLLBACK TO request; RELEASE request");
                        replies[i] = Some(Err(err));
                    }
                }
            }
            let committing = Instant::now();
            let committed = self.sandbox.run_internal(&self.conn, "COMMIT");
            commit_time = committing.elapsed();
            if let Err(e) = committed {
                let _ = self.sandbox.run_internal(&self.conn, "ROLLBACK");
                let err = EngineError::from_sqlite(e, None);
                tracing::error!(error = %err, "commit failed; the group was rolled back");
                for (j, reply) in replies.iter_mut().enumerate() {
                    if !aborted[j] && matches!(reply, Some(Ok(_))) {
                        *reply = Some(Err(err.clone()));
                    }
                }
            } else {
                // Requests rolled back to their savepoint were not committed: count only those
                // that succeeded, and a commit only when it carried one (so committed requests
                // over commits stays the requests per commit).
                let committed = replies.iter().filter(|r| matches!(r, Some(Ok(_)))).count();
                if committed > 0 {
                    self.counters.commits.fetch_add(1, Ordering::Relaxed);
                    self.counters
                        .committed_requests
                        .fetch_add(committed as u64, Ordering::Relaxed);
                    metrics::counter!("dbforge_commits_total").increment(1);
                    metrics::histogram!("dbforge_group_commit_requests").record(committed as f64);
                }
            }
            break;
        }
        let internal = EngineError::internal("write request was not processed");
        (fill(replies, &internal), commit_time)
    }

    fn run_job(&self, job: &WriteJob) -> Result<Vec<StatementOutput>, EngineError> {
        let mut budget = ResultBudget::new(job.result_bytes, &self.result_memory);
        job.statements
            .iter()
            .enumerate()
            .map(|(i, s)| {
                run_statement(
                    &self.conn,
                    &self.sandbox,
                    s,
                    &self.limits,
                    &mut budget,
                    Prepare::Cached,
                    &job.deadline,
                )
                .map_err(|e| e.at_statement(i))
            })
            .collect()
    }

    fn schema_version(&self) -> i64 {
        self.sandbox
            .query_internal(&self.conn, "PRAGMA schema_version")
            .unwrap_or(-1)
    }

    fn recount_tables(&self) {
        if let Ok(n) = self.sandbox.query_internal(&self.conn, COUNT_TABLES_SQL) {
            self.table_count
                .store(u64::try_from(n).unwrap_or(0), Ordering::Relaxed);
        }
    }

    /// Copies `source` over the whole database with SQLite's backup API, as one write
    /// transaction on this connection (SQLite bumps the schema cookie, so every reader
    /// reloads the schema), then checkpoints so the log does not keep the old pages.
    fn replace_content(&mut self, source: &std::path::Path) -> Result<(), EngineError> {
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let failed = |e: rusqlite::Error| EngineError::from_sqlite(e, None);
        let src = Connection::open_with_flags(source, flags).map_err(failed)?;
        self.schema_epoch.begin_change();
        let copied = crate::snapshot::copy_all(&src, &mut self.conn);
        self.schema_epoch.settle();
        copied?;
        self.recount_tables();
        self.checkpoint_now();
        Ok(())
    }

    fn checkpoint_and_close(self) {
        if let Err(e) = self
            .sandbox
            .run_internal(&self.conn, "PRAGMA wal_checkpoint(TRUNCATE)")
        {
            tracing::warn!(error = %e, "checkpoint at close failed");
        }
        if let Err((_, e)) = self.conn.close() {
            tracing::warn!(error = %e, "closing the writer connection failed");
        }
    }
}

/// User tables of a database (SQLite's internal tables excluded).
pub(crate) const COUNT_TABLES_SQL: &str = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

fn fill(replies: Vec<Option<WriteReply>>, err: &EngineError) -> Vec<WriteReply> {
    replies
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(err.clone())))
        .collect()
}

/// The sending end of a writer's queue, with the count of requests waiting in it.
pub(crate) struct Queue {
    tx: mpsc::Sender<Job>,
    waiting: Arc<AtomicUsize>,
    depth: usize,
    /// Set when the database closes: a session waiting for its client gives up.
    closing: Arc<AtomicBool>,
}

impl Queue {
    /// Queues `job` unless the queue is full.
    fn push(&self, job: Job) -> Result<(), EngineError> {
        // Counted before sending, so the writer never sees more received than waiting.
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.depth {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(EngineError::new(
                ErrorCode::DatabaseBusy,
                "the database's write queue is full; retry shortly",
            ));
        }
        if self.tx.send(job).is_err() {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(closed());
        }
        Ok(())
    }
}

/// The producer side, owned by the database handle.
pub(crate) struct Writer {
    queue: std::sync::Mutex<Option<Arc<Queue>>>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    pub(crate) fn new(queue: Queue, thread: JoinHandle<()>) -> Self {
        Self {
            queue: std::sync::Mutex::new(Some(Arc::new(queue))),
            thread: std::sync::Mutex::new(Some(thread)),
        }
    }

    fn queue(&self) -> Result<Arc<Queue>, EngineError> {
        self.queue
            .lock()
            .ok()
            .and_then(|q| q.clone())
            .ok_or_else(closed)
    }

    pub(crate) async fn submit(
        &self,
        statements: Vec<Statement>,
        result_bytes: usize,
        deadline: &Deadline,
    ) -> WriteReply {
        let (reply, answer) = oneshot::channel();
        self.queue()?.push(Job::Write(WriteJob {
            statements,
            result_bytes,
            deadline: deadline.clone(),
            reply,
        }))?;
        // If one of its own statements runs away, its reply is dropped: the statement was
        // interrupted, so the writer rolls it back when it finally ends.
        deadline
            .unless_ran_away(async { answer.await.unwrap_or_else(|_| Err(closed())) })
            .await
    }

    /// Waits for the connection and lends it to a new session; it stays lent until the
    /// returned handle is dropped or the hold limit passes.
    pub(crate) async fn open_session(
        &self,
        foreign_keys: bool,
        hold_limit: Duration,
        wait_limit: Duration,
    ) -> Result<WriteSession, EngineError> {
        let (commands, receiver) = mpsc::channel();
        let (opened, answer) = oneshot::channel();
        let shared = Arc::new(SessionShared::default());
        self.queue()?.push(Job::Session(SessionJob {
            commands: receiver,
            opened,
            foreign_keys,
            hold_limit,
            shared: Arc::clone(&shared),
        }))?;
        // Given up on, the job stays queued, but the writer skips it: nobody takes its answer.
        match tokio::time::timeout(wait_limit, answer).await {
            Ok(opened) => opened.unwrap_or_else(|_| Err(closed()))?,
            Err(_) => {
                return Err(EngineError {
                    sqlite_code: Some(SQLITE_BUSY),
                    ..EngineError::new(
                        ErrorCode::DatabaseBusy,
                        format!(
                            "another transaction has held this database's writer for longer than \
                             {} ms; retry shortly",
                            wait_limit.as_millis()
                        ),
                    )
                });
            }
        }
        Ok(WriteSession { commands, shared })
    }

    /// Replaces the database's content with `source`'s, after the writes queued before it
    /// and before those queued after it.
    pub(crate) async fn replace(&self, source: std::path::PathBuf) -> Result<(), EngineError> {
        let (reply, answer) = oneshot::channel();
        self.queue()?
            .push(Job::Replace(ReplaceJob { source, reply }))?;
        answer.await.unwrap_or_else(|_| Err(closed()))
    }

    /// Runs an import as one transaction, after the writes queued before it.
    pub(crate) async fn import(
        &self,
        request: crate::import::ImportRequest,
    ) -> Result<crate::import::ImportSummary, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.queue()?
            .push(Job::Import(ImportJob { request, reply }))?;
        answer.await.unwrap_or_else(|_| Err(closed()))
    }

    /// Stops accepting writes, lets the queued ones finish, checkpoints and waits for the
    /// thread to end. Blocking.
    pub(crate) fn close(&self) {
        if let Ok(mut queue) = self.queue.lock()
            && let Some(queue) = queue.take()
        {
            queue.closing.store(true, Ordering::Relaxed);
        }
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("a writer thread panicked");
        }
    }
}

/// The client's end of a session: runs work on the lent connection, in order.
pub(crate) struct WriteSession {
    commands: mpsc::Sender<SessionCommand>,
    shared: Arc<SessionShared>,
}

impl WriteSession {
    /// Runs `work` on the session's connection and returns what it returned.
    /// Gives up when a statement of `deadline`'s request runs away (see
    /// [`Deadline::ran_away`]); the transaction is then lost to its client.
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        deadline: &Deadline,
        work: impl FnOnce(&SessionConnection<'_>) -> R + Send + 'static,
    ) -> Result<R, EngineError> {
        let (reply, answer) = oneshot::channel();
        let command: SessionCommand = Box::new(move |connection| {
            let result = work(connection);
            connection.settle();
            let _ = reply.send(result);
        });
        self.commands.send(command).map_err(|_| self.ended())?;
        deadline
            .unless_ran_away(async { answer.await.map_err(|_| self.ended()) })
            .await
    }

    /// Whether the writer ended the session at its hold limit.
    pub(crate) fn expired(&self) -> bool {
        self.shared.expired.load(Ordering::Relaxed)
    }

    fn ended(&self) -> EngineError {
        if self.expired() {
            EngineError::new(
                ErrorCode::TransactionTimeout,
                "the transaction held the write lock for longer than the limit and was rolled back; \
                 every statement of the stream fails until the client sends ROLLBACK (or closes \
                 the stream), so none meant for the transaction runs outside it",
            )
        } else {
            closed()
        }
    }
}

fn closed() -> EngineError {
    EngineError::new(
        ErrorCode::DatabaseNotFound,
        "the database was closed or deleted",
    )
}
