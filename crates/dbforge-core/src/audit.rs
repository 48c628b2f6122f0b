//! The audit log: who did what, when, from where, and how it ended, for every admin action and
//! every request that writes (never SQL, parameters or secrets). The request path only queues
//! an entry (it never waits on the disk); one thread appends queued entries in batches to
//! `_forge/audit.db` and keeps the log within its age (`--audit-retention`) and size
//! (`--audit-max-entries`). A query first waits for what is queued to be stored.

use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use dbforge_api::{AuditEntry, AuditPage, CredentialKind};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags, params, params_from_iter};

use crate::clock::{now_ms, rfc3339};
use crate::error::{CoreError, CoreResult};

/// Entries waiting for the writer, at most: past it new entries are dropped and counted
/// (`dbforge_audit_dropped_total`, a warning in the log) rather than slowing requests.
pub const AUDIT_QUEUE: usize = 65_536;

/// Entries appended in one transaction at most.
const BATCH: usize = 1_024;

/// How often the writer enforces retention.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Entries one page answers at most.
pub const MAX_AUDIT_PAGE: usize = 1_000;

/// How long and how much the log keeps.
#[derive(Debug, Clone, Copy)]
pub struct AuditConfig {
    pub retention: Duration,
    pub max_entries: u64,
}

/// An entry as a front records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub credential: CredentialKind,
    pub credential_id: Option<String>,
    pub credential_name: Option<String>,
    pub client: Option<String>,
    pub action: String,
    pub database: Option<String>,
    pub target: Option<String>,
    pub statements: Vec<String>,
    pub status: u16,
    pub error: Option<String>,
}

/// What `GET /admin/audit` filters on.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// A key's or token's id.
    pub credential_id: Option<String>,
    /// The kind of credential (the bootstrap key has no id).
    pub credential: Option<CredentialKind>,
    /// The key an action was about.
    pub target: Option<String>,
    pub database: Option<String>,
    pub action: Option<String>,
    /// `Some(true)`: answers under 400; `Some(false)`: errors.
    pub succeeded: Option<bool>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Entries older than this id (the previous page's cursor).
    pub before: Option<i64>,
    pub limit: usize,
}

enum Message {
    Entry(i64, AuditRecord),
    /// Answered once everything queued before it is stored.
    Flush(SyncSender<()>),
}

pub(crate) struct AuditLog {
    queue: SyncSender<Message>,
    reader: Mutex<Connection>,
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::internal(format!("audit log: {e}"))
}

impl AuditLog {
    /// Opens (creating) `_forge/audit.db` and starts its writer thread. Blocking.
    pub(crate) fn open(forge_dir: &Path, config: AuditConfig) -> CoreResult<Self> {
        std::fs::create_dir_all(forge_dir).map_err(internal)?;
        let path = forge_dir.join("audit.db");
        let writer = Connection::open(&path).map_err(internal)?;
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS audit (
                     id INTEGER PRIMARY KEY,
                     at_ms INTEGER NOT NULL,
                     credential TEXT NOT NULL,
                     credential_id TEXT,
                     credential_name TEXT,
                     client TEXT,
                     action TEXT NOT NULL,
                     database TEXT,
                     statements TEXT NOT NULL,
                     status INTEGER NOT NULL,
                     error TEXT
                 );
                 CREATE INDEX IF NOT EXISTS audit_at ON audit (at_ms);",
            )
            .map_err(internal)?;
        // Logs made before entries named the key an action was about.
        let has_target: bool = writer
            .query_row(
                "SELECT count(*) FROM pragma_table_info('audit') WHERE name = 'target'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(internal)?;
        if !has_target {
            writer
                .execute_batch("ALTER TABLE audit ADD COLUMN target TEXT")
                .map_err(internal)?;
        }
        let reader = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(internal)?;
        let (queue, received) = sync_channel(AUDIT_QUEUE);
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || write_entries(writer, received, config))
            .map_err(internal)?;
        Ok(Self {
            queue,
            reader: Mutex::new(reader),
        })
    }

    /// Queues an entry, never waiting: a full queue drops it (counted and logged).
    pub(crate) fn record(&self, record: AuditRecord) {
        match self.queue.try_send(Message::Entry(now_ms(), record)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                metrics::counter!("dbforge_audit_dropped_total").increment(1);
                tracing::warn!("the audit queue is full; an entry was dropped");
            }
            Err(TrySendError::Disconnected(_)) => {
                tracing::error!("the audit writer has stopped; an entry was dropped");
            }
        }
    }

    /// Waits (at most `timeout`) until everything queued so far is stored. Blocking.
    pub(crate) fn flush(&self, timeout: Duration) {
        let (done, stored) = sync_channel(1);
        if self.queue.send(Message::Flush(done)).is_ok() {
            let _ = stored.recv_timeout(timeout);
        }
    }

    /// A page of entries, newest first. Blocking.
    pub(crate) fn query(&self, query: &AuditQuery) -> CoreResult<AuditPage> {
        self.flush(Duration::from_secs(5));
        let mut conditions = Vec::new();
        let mut values: Vec<SqlValue> = Vec::new();
        let mut filter = |condition: &str, value: SqlValue| {
            conditions.push(condition.to_owned());
            values.push(value);
        };
        if let Some(id) = &query.credential_id {
            filter("credential_id = ?", SqlValue::Text(id.clone()));
        }
        if let Some(kind) = query.credential {
            filter("credential = ?", SqlValue::Text(kind_name(kind).to_owned()));
        }
        if let Some(target) = &query.target {
            filter("target = ?", SqlValue::Text(target.clone()));
        }
        if let Some(database) = &query.database {
            filter("database = ?", SqlValue::Text(database.clone()));
        }
        if let Some(action) = &query.action {
            filter("action = ?", SqlValue::Text(action.clone()));
        }
        if let Some(since) = query.since_ms {
            filter("at_ms >= ?", SqlValue::Integer(since));
        }
        if let Some(until) = query.until_ms {
            filter("at_ms < ?", SqlValue::Integer(until));
        }
        if let Some(before) = query.before {
            filter("id < ?", SqlValue::Integer(before));
        }
        match query.succeeded {
            Some(true) => conditions.push("status < 400".into()),
            Some(false) => conditions.push("status >= 400".into()),
            None => {}
        }
        let limit = query.limit.clamp(1, MAX_AUDIT_PAGE);
        let sql = format!(
            "SELECT id, at_ms, credential, credential_id, credential_name, client, action, \
             database, statements, status, error, target FROM audit {} ORDER BY id DESC LIMIT {}",
            if conditions.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conditions.join(" AND "))
            },
            limit + 1
        );
        let reader = self
            .reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stmt = reader.prepare(&sql).map_err(internal)?;
        let mut entries = stmt
            .query_map(params_from_iter(values), |r| {
                let credential: String = r.get(2)?;
                let statements: String = r.get(8)?;
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: rfc3339(r.get(1)?),
                    credential: kind_from_name(&credential),
                    credential_id: r.get(3)?,
                    credential_name: r.get(4)?,
                    client: r.get(5)?,
                    action: r.get(6)?,
                    database: r.get(7)?,
                    statements: statements
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    status: r.get(9)?,
                    error: r.get(10)?,
                    target: r.get(11)?,
                })
            })
            .map_err(internal)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(internal)?;
        let next_cursor = if entries.len() > limit {
            entries.truncate(limit);
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok(AuditPage {
            entries,
            next_cursor,
        })
    }
}

fn kind_name(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::BootstrapAdmin => "bootstrap_admin",
        CredentialKind::Key => "key",
        CredentialKind::Token => "token",
    }
}

fn kind_from_name(name: &str) -> CredentialKind {
    match name {
        "key" => CredentialKind::Key,
        "token" => CredentialKind::Token,
        _ => CredentialKind::BootstrapAdmin,
    }
}

/// The writer thread: appends queued entries in batches, answers flushes, enforces retention;
/// ends when the log is dropped.
fn write_entries(mut conn: Connection, received: Receiver<Message>, config: AuditConfig) {
    let mut pruned_at = Instant::now();
    prune(&conn, config);
    loop {
        let first = match received.recv_timeout(PRUNE_EVERY) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => {
                prune(&conn, config);
                pruned_at = Instant::now();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match received.try_recv() {
                Ok(message) => batch.push(message),
                Err(_) => break,
            }
        }
        let mut flushes = Vec::new();
        if let Err(e) = append(&mut conn, batch, &mut flushes) {
            tracing::error!(error = %e, "appending to the audit log failed");
        }
        for flush in flushes {
            let _ = flush.send(());
        }
        if pruned_at.elapsed() >= PRUNE_EVERY {
            prune(&conn, config);
            pruned_at = Instant::now();
        }
    }
}

fn append(
    conn: &mut Connection,
    batch: Vec<Message>,
    flushes: &mut Vec<SyncSender<()>>,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO audit (at_ms, credential, credential_id, credential_name, client, \
             action, database, statements, status, error, target) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for message in batch {
            match message {
                Message::Entry(at_ms, r) => {
                    insert.execute(params![
                        at_ms,
                        kind_name(r.credential),
                        r.credential_id,
                        r.credential_name,
                        r.client,
                        r.action,
                        r.database,
                        r.statements.join(" "),
                        r.status,
                        r.error,
                        r.target,
                    ])?;
                }
                Message::Flush(done) => flushes.push(done),
            }
        }
    }
    tx.commit()
}

/// Drops entries older than the retention, then the oldest past the size limit.
fn prune(conn: &Connection, config: AuditConfig) {
    let oldest_kept =
        now_ms().saturating_sub(i64::try_from(config.retention.as_millis()).unwrap_or(i64::MAX));
    let max = i64::try_from(config.max_entries).unwrap_or(i64::MAX);
    let pruned = conn
        .execute("DELETE FROM audit WHERE at_ms < ?1", [oldest_kept])
        .and_then(|_| {
            conn.execute(
                "DELETE FROM audit WHERE id <= (SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                [max],
            )
        });
    if let Err(e) = pruned {
        tracing::error!(error = %e, "pruning the audit log failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: &str, database: Option<&str>, status: u16) -> AuditRecord {
        AuditRecord {
            credential: CredentialKind::Key,
            credential_id: Some("key_1".into()),
            credential_name: Some("ci".into()),
            client: Some("192.0.2.1".into()),
            action: action.into(),
            database: database.map(str::to_owned),
            target: None,
            statements: vec!["INSERT".into()],
            status,
            error: (status >= 400).then(|| "forbidden".to_owned()),
        }
    }

    fn open(dir: &Path, max_entries: u64) -> AuditLog {
        AuditLog::open(
            dir,
            AuditConfig {
                retention: Duration::from_secs(3_600),
                max_entries,
            },
        )
        .expect("audit log")
    }

    #[test]
    fn entries_are_stored_filtered_and_paged_newest_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = open(dir.path(), 1_000);
        for i in 0..5 {
            log.record(record("POST /api/db/{name}/query", Some("a"), 200));
            log.record(record(
                "POST /admin/keys",
                None,
                if i == 0 { 403 } else { 201 },
            ));
        }
        let all = log
            .query(&AuditQuery {
                limit: 4,
                ..AuditQuery::default()
            })
            .expect("page");
        assert_eq!(all.entries.len(), 4);
        assert!(
            all.entries.windows(2).all(|w| w[0].id > w[1].id),
            "newest first"
        );
        let rest = log
            .query(&AuditQuery {
                limit: 100,
                before: all.next_cursor,
                ..AuditQuery::default()
            })
            .expect("page");
        assert_eq!((rest.entries.len(), rest.next_cursor), (6, None));
        let failed = log
            .query(&AuditQuery {
                succeeded: Some(false),
                limit: 100,
                ..AuditQuery::default()
            })
            .expect("page");
        assert_eq!(failed.entries.len(), 1);
        assert_eq!(failed.entries[0].error.as_deref(), Some("forbidden"));
        let on_a = log
            .query(&AuditQuery {
                database: Some("a".into()),
                action: Some("POST /api/db/{name}/query".into()),
                limit: 100,
                ..AuditQuery::default()
            })
            .expect("page");
        assert_eq!(on_a.entries.len(), 5);
        assert_eq!(on_a.entries[0].statements, ["INSERT"]);
    }

    #[test]
    fn entries_older_than_the_retention_are_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let log = open(dir.path(), 1_000);
            for _ in 0..4 {
                log.record(record("POST /admin/keys", None, 201));
            }
            log.flush(Duration::from_secs(5));
        }
        let kept = |retention| {
            let log = AuditLog::open(
                dir.path(),
                AuditConfig {
                    retention,
                    max_entries: 1_000,
                },
            )
            .expect("audit log");
            log.query(&AuditQuery {
                limit: 100,
                ..AuditQuery::default()
            })
            .expect("page")
            .entries
            .len()
        };
        assert_eq!(
            kept(Duration::from_secs(3_600)),
            4,
            "within an hour's retention"
        );
        // Opening prunes first; entries a moment old are past a retention of nothing.
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(kept(Duration::ZERO), 0);
    }

    #[test]
    fn the_log_keeps_at_most_its_size_and_survives_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let log = open(dir.path(), 3);
            for _ in 0..10 {
                log.record(record("POST /admin/keys", None, 201));
            }
            log.flush(Duration::from_secs(5));
        }
        // Reopening prunes to the limit before anything else is written.
        let log = open(dir.path(), 3);
        log.flush(Duration::from_secs(5));
        let kept = log
            .query(&AuditQuery {
                limit: 100,
                ..AuditQuery::default()
            })
            .expect("page");
        assert_eq!(kept.entries.len(), 3);
        assert_eq!(kept.entries[0].id, 10, "the newest are kept");
    }
}
