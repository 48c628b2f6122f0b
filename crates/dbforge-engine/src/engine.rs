//! The engine: the data directory of plain SQLite files and a bounded cache of open databases
//! (least recently used and idle ones are checkpointed and closed), so 10,000 databases cost
//! disk, not memory.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use dbforge_api::{DatabaseName, ErrorCode};
use rusqlite::{Connection, OpenFlags};

use crate::disk::DiskGuard;
use crate::results::ResultMemory;
use crate::{Database, DatabaseSettings, EngineConfig, EngineError};

/// Totals across every database, for the gateway's statistics.
#[derive(Debug, Default)]
pub struct EngineCounters {
    pub commits: AtomicU64,
    pub committed_requests: AtomicU64,
    /// Reads that ran inline on the async executor (see `inline.rs`).
    pub inline_reads: AtomicU64,
}

/// A database file found in the data directory.
#[derive(Debug, Clone)]
pub struct StoredDatabase {
    pub name: DatabaseName,
    pub modified: SystemTime,
}

pub struct Engine {
    config: EngineConfig,
    open: Mutex<HashMap<DatabaseName, Arc<Database>>>,
    /// Names being deleted now: nothing opens them until the files are gone (an open in the
    /// meantime would keep a handle on the deleted file, and hand it to a new database of the
    /// name). Changed only under the `open` lock.
    deleting: Mutex<HashSet<DatabaseName>>,
    /// Databases closing off the cache (evicted, idle), by name.
    closing: Arc<Closing>,
    counters: Arc<EngineCounters>,
    result_memory: Arc<ResultMemory>,
    disk: Arc<DiskGuard>,
}

/// Ends a deletion's hold on its name, however the deletion ends.
struct Deleting<'a> {
    engine: &'a Engine,
    name: &'a DatabaseName,
}

impl Drop for Deleting<'_> {
    fn drop(&mut self) {
        self.engine
            .deleting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(self.name);
    }
}

/// Databases closing off the cache now, by name (a database evicted twice may close twice).
#[derive(Default)]
struct Closing {
    names: Mutex<HashMap<DatabaseName, usize>>,
    done: Condvar,
}

impl Closing {
    fn names(&self) -> MutexGuard<'_, HashMap<DatabaseName, usize>> {
        self.names.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Called under the cache's lock, as the database leaves it.
    fn begin(&self, name: &DatabaseName) {
        *self.names().entry(name.clone()).or_default() += 1;
    }

    /// Checkpoints and closes `databases` (each begun), then wakes whoever waits for them.
    fn close(&self, databases: &[Arc<Database>]) {
        for db in databases {
            db.close();
            let mut names = self.names();
            if let Some(count) = names.get_mut(db.name()) {
                *count -= 1;
                if *count == 0 {
                    names.remove(db.name());
                }
            }
        }
        self.done.notify_all();
    }

    /// Waits until no database of `name` is closing.
    fn wait(&self, name: &DatabaseName) {
        let mut names = self.names();
        while names.contains_key(name) {
            names = self
                .done
                .wait(names)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

impl Engine {
    pub fn new(config: EngineConfig) -> Result<Self, EngineError> {
        crate::deadline::start_watchdog().map_err(EngineError::internal)?;
        limit_sqlite_memory(config.sqlite_memory_limit)?;
        fs::create_dir_all(&config.data_dir).map_err(|e| {
            EngineError::internal(format!("creating {}: {e}", config.data_dir.display()))
        })?;
        Ok(Self {
            result_memory: Arc::new(ResultMemory::new(config.max_result_memory)),
            disk: Arc::new(DiskGuard::new(
                config.data_dir.clone(),
                config.min_free_disk,
            )),
            config,
            open: Mutex::new(HashMap::new()),
            deleting: Mutex::default(),
            closing: Arc::default(),
            counters: Arc::default(),
        })
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn counters(&self) -> &EngineCounters {
        &self.counters
    }

    /// The data directory's disk and its free space.
    pub fn disk(&self) -> &DiskGuard {
        &self.disk
    }

    /// Result bytes held in memory now, over all requests.
    pub fn result_memory(&self) -> &ResultMemory {
        &self.result_memory
    }

    /// `{data_dir}/{name}.db`: the name is validated, so this cannot leave the data directory.
    pub fn database_path(&self, name: &DatabaseName) -> PathBuf {
        self.config.data_dir.join(format!("{name}.db"))
    }

    fn sidecar_paths(&self, name: &DatabaseName) -> [PathBuf; 4] {
        let base = self.database_path(name);
        let with = |suffix: &str| {
            let mut p = base.clone().into_os_string();
            p.push(suffix);
            PathBuf::from(p)
        };
        [with("-wal"), with("-shm"), with("-journal"), base.clone()]
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<DatabaseName, Arc<Database>>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts
        // and removes), so a poisoned lock is still usable.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates an empty database file in WAL mode. Blocking. A creation that fails leaves no
    /// file behind (a half-made one would take the name for good).
    pub fn create_database(&self, name: &DatabaseName) -> Result<(), EngineError> {
        let path = self.database_path(name);
        if path.exists() {
            let message = if has_sqlite_header(&path) {
                format!("a database named {name} exists already")
            } else {
                format!(
                    "the data directory holds a file {name}.db that is not a SQLite database; \
                     move it away to use this name"
                )
            };
            return Err(EngineError::new(ErrorCode::DatabaseExists, message));
        }
        if self.disk.is_low() {
            return Err(self.disk.refusal());
        }
        self.write_new_database(name, &path).inspect_err(|_| {
            for leftover in self.sidecar_paths(name) {
                let _ = fs::remove_file(leftover);
            }
        })
    }

    fn write_new_database(&self, name: &DatabaseName, path: &Path) -> Result<(), EngineError> {
        let fail = |e: rusqlite::Error| {
            let full = e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull);
            let error = EngineError::internal(format!("creating {name}: {e}"));
            if full {
                self.disk.check();
                EngineError::new(
                    ErrorCode::DiskFull,
                    "the server's disk is full: the database could not be created",
                )
            } else {
                error
            }
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(fail)?;
        // Setting WAL writes the header, so the file is a complete, valid database at once.
        // SQLite's own syncs are off here: one fsync of the file and one of the directory
        // below make the new database durable with half the fsyncs SQLite would do.
        conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA journal_mode = WAL;")
            .map_err(fail)?;
        conn.close().map_err(|(_, e)| fail(e))?;
        let sync = |p: &Path| fs::File::open(p).and_then(|f| f.sync_all());
        sync(path)
            .and_then(|()| sync(&self.config.data_dir))
            .map_err(|e| {
                if e.raw_os_error() == Some(rustix::io::Errno::NOSPC.raw_os_error()) {
                    self.disk.check();
                    return self.disk.refusal();
                }
                EngineError::internal(format!("syncing {}: {e}", path.display()))
            })?;
        Ok(())
    }

    /// The open handle of `name`, if it is in the cache.
    pub fn cached(&self, name: &DatabaseName) -> Option<Arc<Database>> {
        let db = self.lock().get(name).cloned();
        if let Some(db) = &db {
            db.touch();
        }
        db
    }

    /// The open handle of `name`, opening it if needed. Blocking.
    pub fn open(
        &self,
        name: &DatabaseName,
        settings: DatabaseSettings,
    ) -> Result<Arc<Database>, EngineError> {
        let mut open = self.lock();
        if let Some(db) = open.get(name) {
            db.touch();
            return Ok(Arc::clone(db));
        }
        let path = self.database_path(name);
        if !path.exists() || self.is_being_deleted(name) {
            return Err(EngineError::new(
                ErrorCode::DatabaseNotFound,
                format!("no database named {name}"),
            ));
        }
        let db = Arc::new(Database::open(
            name.clone(),
            path,
            &self.config,
            settings,
            Arc::clone(&self.counters),
            Arc::clone(&self.result_memory),
            Arc::clone(&self.disk),
        )?);
        db.touch();
        open.insert(name.clone(), Arc::clone(&db));
        let evicted = self.evict_beyond_capacity(&mut open);
        let count = open.len();
        drop(open);
        metrics::gauge!("dbforge_open_databases").set(count as f64);
        if !evicted.is_empty() {
            // Checkpointing can take a while; the caller should not wait for it.
            let closing = Arc::clone(&self.closing);
            let spawned = std::thread::Builder::new()
                .name("dbforge-evict".into())
                .spawn(move || closing.close(&evicted));
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "could not start the eviction thread");
            }
        }
        Ok(db)
    }

    fn evict_beyond_capacity(
        &self,
        open: &mut HashMap<DatabaseName, Arc<Database>>,
    ) -> Vec<Arc<Database>> {
        let mut evicted = Vec::new();
        while open.len() > self.config.max_open_databases {
            // Only a handle nobody else holds may go: one in use stays until it is idle.
            let victim = open
                .iter()
                .filter(|(_, db)| Arc::strong_count(db) == 1)
                .min_by_key(|(_, db)| db.last_use())
                .map(|(name, _)| name.clone());
            let Some(victim) = victim else { break };
            if let Some(db) = open.remove(&victim) {
                self.closing.begin(&victim);
                evicted.push(db);
            }
        }
        evicted
    }

    /// Closes databases unused for longer than the idle timeout. Blocking.
    pub fn close_idle(&self) -> usize {
        let idle: Vec<Arc<Database>> = {
            let mut open = self.lock();
            let names: Vec<DatabaseName> = open
                .iter()
                .filter(|(_, db)| {
                    Arc::strong_count(db) == 1 && db.idle_for() >= self.config.idle_timeout
                })
                .map(|(name, _)| name.clone())
                .collect();
            let closed = names
                .iter()
                .filter_map(|n| open.remove(n))
                .inspect(|db| self.closing.begin(db.name()))
                .collect();
            metrics::gauge!("dbforge_open_databases").set(open.len() as f64);
            closed
        };
        self.closing.close(&idle);
        idle.len()
    }

    /// Closes `name` if open and deletes its files. Blocking. Until the files are gone,
    /// nothing opens the name; a close of it already under way (eviction) finishes first, or
    /// its last connection could remove the log of a new database of the name (SQLite
    /// deletes the `-wal` by its path).
    pub fn delete_database(&self, name: &DatabaseName) -> Result<(), EngineError> {
        let db = {
            let mut open = self.lock();
            self.deleting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(name.clone());
            open.remove(name)
        };
        let _deleting = Deleting { engine: self, name };
        self.closing.wait(name);
        if let Some(db) = db {
            db.close();
        }
        // The main file goes last: if we crash half-way, what is left is still a database
        // (or nothing), never a log without its database.
        for path in self.sidecar_paths(name) {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(EngineError::internal(format!(
                        "deleting {}: {e}",
                        path.display()
                    )));
                }
            }
        }
        Ok(())
    }

    fn is_being_deleted(&self, name: &DatabaseName) -> bool {
        self.deleting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(name)
    }

    /// Checkpoints and closes every open database. Blocking.
    pub fn close_all(&self) {
        let all: Vec<Arc<Database>> = self.lock().drain().map(|(_, db)| db).collect();
        all.iter().for_each(|db| db.close());
        metrics::gauge!("dbforge_open_databases").set(0.0);
    }

    pub fn open_count(&self) -> usize {
        self.lock().len()
    }

    /// The live table count of `name` if it is open (without counting as a use).
    pub fn cached_table_count(&self, name: &DatabaseName) -> Option<u64> {
        self.lock().get(name).map(|db| db.table_count())
    }

    /// The live table count of every open database, taken under one lock: for callers that
    /// need many (sorting the list by table count), not one lock per database.
    pub fn open_table_counts(&self) -> HashMap<DatabaseName, u64> {
        self.lock()
            .iter()
            .map(|(name, db)| (name.clone(), db.table_count()))
            .collect()
    }

    /// Bytes on disk of a database: its file and its write-ahead log.
    pub fn size_on_disk(&self, name: &DatabaseName) -> u64 {
        let [wal, _, _, main] = self.sidecar_paths(name);
        [main, wal]
            .iter()
            .filter_map(|p| fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    /// When the database's file or write-ahead log last changed, in Unix milliseconds (0 if
    /// neither can be read).
    pub fn modified_ms(&self, name: &DatabaseName) -> i64 {
        let [wal, _, _, main] = self.sidecar_paths(name);
        [main, wal]
            .iter()
            .filter_map(|p| fs::metadata(p).and_then(|m| m.modified()).ok())
            .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .max()
            .unwrap_or(0)
    }

    /// Database files in the data directory: `{valid name}.db` starting with SQLite's header.
    /// Anything else (other files, invalid names, non-SQLite content) is ignored.
    pub fn scan_data_dir(&self) -> Result<Vec<StoredDatabase>, EngineError> {
        let entries = fs::read_dir(&self.config.data_dir).map_err(|e| {
            EngineError::internal(format!("reading {}: {e}", self.config.data_dir.display()))
        })?;
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(stem) = file_name.to_str().and_then(|n| n.strip_suffix(".db")) else {
                continue;
            };
            let Ok(name) = DatabaseName::parse(stem) else {
                continue;
            };
            let Ok(meta) = entry.metadata() else { continue };
            // An empty file is an empty SQLite database (what a crash during creation leaves
            // behind): adopting it keeps its name usable.
            if !meta.is_file() || (meta.len() > 0 && !has_sqlite_header(&entry.path())) {
                continue;
            }
            found.push(StoredDatabase {
                name,
                modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
        Ok(found)
    }
}

/// Sets SQLite's process-wide heap limits: past the soft one (three quarters of `hard`)
/// SQLite gives back cache pages, past the hard one allocations fail (`SQLITE_NOMEM`).
fn limit_sqlite_memory(hard: u64) -> Result<(), EngineError> {
    let hard = i64::try_from(hard).unwrap_or(i64::MAX).max(1 << 20);
    let conn = Connection::open_in_memory()
        .map_err(|e| EngineError::internal(format!("setting SQLite's memory limit: {e}")))?;
    // `hard_heap_limit` can only lower a limit already set; a fresh process has none.
    conn.execute_batch(&format!(
        "PRAGMA hard_heap_limit = {hard}; PRAGMA soft_heap_limit = {};",
        hard / 4 * 3
    ))
    .map_err(|e| EngineError::internal(format!("setting SQLite's memory limit: {e}")))
}

pub(crate) fn has_sqlite_header(path: &std::path::Path) -> bool {
    let mut header = [0u8; 16];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok()
        && &header == SQLITE_HEADER
}
