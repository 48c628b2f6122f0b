//! Whole-database copies with SQLite's backup API, never with user-reachable SQL: consistent
//! snapshots of a live database (backups, branches), a file's content copied over a live
//! database in one transaction (restore in place), and the checks a database file passes
//! before it is trusted (a restored backup, later an upload).

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use dbforge_api::{DatabaseName, ErrorCode};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::EngineError;
use crate::database::Database;
use crate::engine::{Engine, has_sqlite_header};

/// How long a copy waits in all for a lock it cannot take at once (a source in recovery, a
/// destination with a checkpoint running): SQLite's backup step reports busy rather than wait.
const COPY_BUSY_LIMIT: Duration = Duration::from_secs(5);

/// What a snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFacts {
    /// The snapshot file's size.
    pub bytes: u64,
    pub page_count: u64,
    pub page_size: u64,
}

/// What a database file that passed [`check_database_file`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    pub page_count: u64,
    pub page_size: u64,
    /// Rows of each ordinary table, by name (virtual tables are not counted).
    pub row_counts: Vec<(String, u64)>,
}

/// Copies every page of `src` into `dest` in one step: the source is read under one read
/// transaction (a consistent point in time: in WAL mode writers go on meanwhile and are never
/// blocked), the destination written as one transaction.
pub(crate) fn copy_all(src: &Connection, dest: &mut Connection) -> Result<(), EngineError> {
    let src_page: i64 = pragma(src, "page_size")?;
    let dest_page: i64 = pragma(dest, "page_size")?;
    let dest_wal = dest
        .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
        .map_err(copy_failed)?
        .eq_ignore_ascii_case("wal");
    // SQLite cannot change the page size of a database in WAL mode.
    if dest_wal && src_page != dest_page {
        return Err(EngineError::new(
            ErrorCode::InvalidRequest,
            format!(
                "the copy has pages of {src_page} bytes and the database {dest_page}: restore it \
                 as a new database instead"
            ),
        ));
    }
    let backup = Backup::new(src, dest).map_err(copy_failed)?;
    let started = Instant::now();
    loop {
        match backup.step(-1).map_err(copy_failed)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked if started.elapsed() < COPY_BUSY_LIMIT => {
                std::thread::sleep(Duration::from_millis(5));
            }
            StepResult::Busy | StepResult::Locked => {
                return Err(EngineError::new(
                    ErrorCode::DatabaseBusy,
                    "the database stayed locked while it was being copied; retry shortly",
                ));
            }
            _ => {}
        }
    }
}

fn pragma(conn: &Connection, name: &str) -> Result<i64, EngineError> {
    conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .map_err(copy_failed)
}

fn copy_failed(e: rusqlite::Error) -> EngineError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
        return EngineError::new(
            ErrorCode::DiskFull,
            "the server's disk is full: the copy could not be written",
        );
    }
    EngineError::from_sqlite(e, None)
}

/// Writes a consistent snapshot of the database at `src_path` to the new file `dest`: a
/// standalone database (rollback-journal mode, no log beside it), synced to disk. Blocking.
pub(crate) fn snapshot_file(src_path: &Path, dest: &Path) -> Result<SnapshotFacts, EngineError> {
    let io = |what: &str, e: std::io::Error| {
        EngineError::internal(format!("{what} {}: {e}", dest.display()))
    };
    if dest.exists() {
        return Err(EngineError::internal(format!(
            "{} exists already",
            dest.display()
        )));
    }
    // Read-only: nothing done here can change the source, and a read-only connection never
    // checkpoints or removes the source's log when it closes.
    let src = Connection::open_with_flags(
        src_path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(copy_failed)?;
    let result = (|| {
        let mut dest_conn = Connection::open_with_flags(
            dest,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(copy_failed)?;
        // One sync of the finished file below is all the durability a copy needs.
        dest_conn
            .execute_batch("PRAGMA synchronous = OFF; PRAGMA journal_mode = OFF;")
            .map_err(copy_failed)?;
        copy_all(&src, &mut dest_conn)?;
        // The copied header says WAL (the source's mode): make the copy a file that needs
        // no log beside it.
        dest_conn
            .query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
            .map_err(copy_failed)?;
        let page_count = pragma(&dest_conn, "page_count")?;
        let page_size = pragma(&dest_conn, "page_size")?;
        dest_conn.close().map_err(|(_, e)| copy_failed(e))?;
        let file = fs::File::open(dest).map_err(|e| io("opening", e))?;
        file.sync_all().map_err(|e| io("syncing", e))?;
        let bytes = file.metadata().map_err(|e| io("reading", e))?.len();
        Ok(SnapshotFacts {
            bytes,
            page_count: u64::try_from(page_count).unwrap_or(0),
            page_size: u64::try_from(page_size).unwrap_or(0),
        })
    })();
    if result.is_err() {
        remove_with_sidecars(dest);
    }
    result
}

/// Removes `path` and whatever SQLite may have left beside it.
pub fn remove_with_sidecars(path: &Path) {
    for suffix in ["-wal", "-shm", "-journal", ""] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(p);
    }
}

/// Checks that `path` (a private copy: it may be changed to rollback-journal mode) is a
/// sound SQLite database: its header, SQLite's `integrity_check`, and the rows of every
/// table, all within `limit`. Its schema is not trusted (defensive mode, no schema-defined
/// functions run). Blocking.
pub fn check_database_file(path: &Path, limit: Duration) -> Result<FileFacts, EngineError> {
    inspect_file(path, limit, true)
}

/// [`check_database_file`] without `integrity_check`: the page and row counts of a file this
/// process just wrote (a snapshot, checked in full once it is stored). Blocking.
pub fn count_database_rows(path: &Path, limit: Duration) -> Result<FileFacts, EngineError> {
    inspect_file(path, limit, false)
}

fn inspect_file(path: &Path, limit: Duration, integrity: bool) -> Result<FileFacts, EngineError> {
    let invalid = |message: String| EngineError::new(ErrorCode::InvalidDatabaseFile, message);
    if !has_sqlite_header(path) {
        return Err(invalid(
            "the file is not a SQLite database (its header is not \"SQLite format 3\")".into(),
        ));
    }
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| invalid(format!("the file cannot be opened as a database: {e}")))?;
    let until = Instant::now() + limit;
    conn.progress_handler(10_000, Some(move || Instant::now() > until))
        .map_err(|e| EngineError::internal(format!("configuring a check: {e}")))?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
        .and_then(|_| {
            conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA,
                false,
            )
        })
        .map_err(|e| EngineError::internal(format!("configuring a check: {e}")))?;
    let timed_out = || {
        EngineError::new(
            ErrorCode::QueryTimeout,
            format!(
                "checking the database file took longer than {} ms",
                limit.as_millis()
            ),
        )
    };
    let corrupt = |e: rusqlite::Error| {
        if matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OperationInterrupted)
        {
            return timed_out();
        }
        invalid(format!("the database file is damaged: {e}"))
    };
    // A standalone file: no log is expected beside it.
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
        .map_err(corrupt)?;
    let verdict: String = if integrity {
        conn.query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))
            .map_err(corrupt)?
    } else {
        "ok".to_owned()
    };
    if verdict != "ok" {
        return Err(invalid(format!(
            "the database file is damaged: integrity_check says {verdict}"
        )));
    }
    let tables: Vec<String> = {
        let mut stmt = conn
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' \
                 ORDER BY name",
            )
            .map_err(corrupt)?;
        stmt.query_map([], |r| r.get(0))
            .map_err(corrupt)?
            .collect::<Result<_, _>>()
            .map_err(corrupt)?
    };
    let mut row_counts = Vec::with_capacity(tables.len());
    for table in tables {
        let quoted = table.replace('"', "\"\"");
        let rows: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM main.\"{quoted}\""),
                [],
                |r| r.get(0),
            )
            .map_err(corrupt)?;
        row_counts.push((table, u64::try_from(rows).unwrap_or(0)));
    }
    let page_count = pragma(&conn, "page_count").map_err(|_| timed_out())?;
    let page_size = pragma(&conn, "page_size").map_err(|_| timed_out())?;
    Ok(FileFacts {
        page_count: u64::try_from(page_count).unwrap_or(0),
        page_size: u64::try_from(page_size).unwrap_or(0),
        row_counts,
    })
}

impl Database {
    /// Writes a consistent snapshot of this database to the new file `dest` while it goes on
    /// taking reads and writes (see [`copy_all`]). Blocking.
    pub fn snapshot(&self, dest: &Path) -> Result<SnapshotFacts, EngineError> {
        snapshot_file(self.path(), dest)
    }

    /// Replaces this database's content with `source`'s (a file that passed
    /// [`check_database_file`]) as one write transaction, queued behind the writes before it:
    /// a reader sees all of the old content or all of the new, and every write answered after
    /// this returns is in the new content.
    pub async fn replace_content(&self, source: std::path::PathBuf) -> Result<(), EngineError> {
        self.writer().replace(source).await
    }

    /// Imports `request`'s file as one write transaction (see `import.rs`), queued behind the
    /// writes before it: all of it lands, or none.
    pub async fn import(
        &self,
        request: crate::import::ImportRequest,
    ) -> Result<crate::import::ImportSummary, EngineError> {
        self.writer().import(request).await
    }
}

impl Engine {
    /// Makes `file` (a complete database on the data directory's file system, such as a
    /// checked snapshot) the new database `name`, moving it into place and syncing the
    /// directory. Blocking. Fails, leaving `file` where it is, if `name` has a file already.
    pub fn install_database(&self, name: &DatabaseName, file: &Path) -> Result<(), EngineError> {
        let path = self.database_path(name);
        if path.exists() {
            return Err(EngineError::new(
                ErrorCode::DatabaseExists,
                format!("a database named {name} exists already"),
            ));
        }
        if self.disk().is_low() {
            return Err(self.disk().refusal());
        }
        // Whatever an earlier database of the name left beside its file must not become this
        // one's log.
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = fs::remove_file(p);
        }
        fs::rename(file, &path).map_err(|e| {
            EngineError::internal(format!("moving {} into place: {e}", file.display()))
        })?;
        fs::File::open(&self.config().data_dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| EngineError::internal(format!("syncing the data directory: {e}")))
    }
}
