//! The single writer of one database: a dedicated thread fed by a bounded queue. It takes every
//! write request waiting, runs each inside its own SAVEPOINT (a failing request rolls back
//! alone), then COMMITs once, so one fsync serves many requests (group commit). Replies go out
//! only after the commit is durable.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dbforge_api::ErrorCode;
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::engine::EngineCounters;
use crate::execute::{ResultBudget, Statement, StatementOutput, run_statement};
use crate::sandbox::Sandbox;
use crate::{EngineError, Limits};

/// Most requests committed together; bounds the work lost to one failed COMMIT and the
/// latency of the first request in a group.
const MAX_GROUP: usize = 512;

/// The longest a group waits for expected requests (and never more than half a commit).
const MAX_COMMIT_DELAY: Duration = Duration::from_millis(2);

pub(crate) type WriteReply = Result<Vec<StatementOutput>, EngineError>;

pub(crate) struct WriteJob {
    pub(crate) statements: Vec<Statement>,
    pub(crate) reply: oneshot::Sender<WriteReply>,
}

/// What the writer thread owns.
pub(crate) struct WriterThread {
    pub(crate) conn: Connection,
    pub(crate) sandbox: Sandbox,
    pub(crate) limits: Limits,
    pub(crate) counters: Arc<EngineCounters>,
    /// Tables in the database, kept current after schema changes.
    pub(crate) table_count: Arc<AtomicU64>,
}

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
        };
        let waiting = Arc::clone(&queue.waiting);
        let handle = std::thread::Builder::new()
            .name(format!("writer-{name}"))
            .spawn(move || self.run(rx, &waiting))?;
        Ok((queue, handle))
    }

    fn run(mut self, rx: mpsc::Receiver<WriteJob>, waiting: &AtomicUsize) {
        let mut schema_version = self.schema_version();
        // Requests likely in flight (the last group plus those that came during its commit),
        // and how long the last COMMIT took: together they decide the commit delay.
        let mut in_flight = 1;
        let mut last_commit = Duration::ZERO;
        while let Ok(first) = rx.recv() {
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
                    Some(job) => jobs.push(job),
                    None => break,
                }
            }
            waiting.fetch_sub(jobs.len(), Ordering::Relaxed);
            let (replies, commit_time) = self.commit_group(&jobs);
            last_commit = commit_time;
            in_flight = jobs.len() + waiting.load(Ordering::Relaxed);
            let version = self.schema_version();
            if version != schema_version {
                schema_version = version;
                self.recount_tables();
            }
            for (job, reply) in jobs.into_iter().zip(replies) {
                // The requester may have gone away (client disconnected); nothing to do then.
                let _ = job.reply.send(reply);
            }
        }
        self.checkpoint_and_close();
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
                let committed = jobs.len() - aborted.iter().filter(|a| **a).count();
                self.counters.commits.fetch_add(1, Ordering::Relaxed);
                self.counters
                    .committed_requests
                    .fetch_add(committed as u64, Ordering::Relaxed);
                metrics::counter!("dbforge_commits_total").increment(1);
                metrics::histogram!("dbforge_group_commit_requests").record(committed as f64);
            }
            break;
        }
        let internal = EngineError::internal("write request was not processed");
        (fill(replies, &internal), commit_time)
    }

    fn run_job(&self, job: &WriteJob) -> Result<Vec<StatementOutput>, EngineError> {
        let mut budget = ResultBudget::new(&self.limits);
        job.statements
            .iter()
            .enumerate()
            .map(|(i, s)| {
                run_statement(&self.conn, &self.sandbox, s, &self.limits, &mut budget)
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
    tx: mpsc::Sender<WriteJob>,
    waiting: Arc<AtomicUsize>,
    depth: usize,
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

    pub(crate) async fn submit(&self, statements: Vec<Statement>) -> WriteReply {
        let queue = self.queue.lock().ok().and_then(|q| q.clone());
        let Some(queue) = queue else {
            return Err(closed());
        };
        let (reply, answer) = oneshot::channel();
        // Counted before sending, so the writer never sees more received than waiting.
        if queue.waiting.fetch_add(1, Ordering::Relaxed) >= queue.depth {
            queue.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(EngineError::new(
                ErrorCode::DatabaseBusy,
                "the database's write queue is full; retry shortly",
            ));
        }
        if queue.tx.send(WriteJob { statements, reply }).is_err() {
            queue.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(closed());
        }
        drop(queue);
        answer.await.unwrap_or_else(|_| Err(closed()))
    }

    /// Stops accepting writes, lets the queued ones finish, checkpoints and waits for the
    /// thread to end. Blocking.
    pub(crate) fn close(&self) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.take();
        }
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("a writer thread panicked");
        }
    }
}

fn closed() -> EngineError {
    EngineError::new(
        ErrorCode::DatabaseNotFound,
        "the database was closed or deleted",
    )
}
