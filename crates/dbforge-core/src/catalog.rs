//! The gateway's catalog: which databases exist, when they were created and their limits.
//! Stored in `{data_dir}/_forge/catalog.db` (SQLite) and mirrored in memory, so resolving a
//! name on the request path is a map lookup. At start-up it is reconciled with the data
//! directory: valid `.db` files nobody registered are adopted, entries whose file is gone are
//! dropped (a crash between deleting the file and the entry leaves exactly that).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Mutex, RwLock};

use dbforge_api::{DatabaseName, ErrorCode};
use dbforge_engine::StoredDatabase;
use rusqlite::{Connection, OpenFlags, params};

use crate::clock::{millis, now_ms};
use crate::error::CoreError;

/// What the catalog knows of one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    pub created_at_ms: i64,
    /// The database's own quota, if set at creation; else the server default applies.
    pub max_size_bytes: Option<u64>,
    pub table_count: u64,
    /// Tells this database apart from any other that had or will have its name, within this
    /// process (a number never given twice): what is bound to a database, not to its name,
    /// carries it (libSQL batons).
    pub incarnation: u64,
    /// When the database expires (its time to live), in Unix milliseconds.
    pub expires_at_ms: Option<i64>,
    /// The database's own backup interval in seconds (0: none), else the server's.
    pub backup_every_s: Option<u64>,
    /// How many backups of it to keep, else the server's number.
    pub backup_keep: Option<u32>,
}

impl CatalogEntry {
    /// Whether its time to live has passed at `now_ms`.
    pub fn expired_at(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_some_and(|at| at <= now_ms)
    }
}

/// What a new database is created with.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub max_size_bytes: Option<u64>,
    pub expires_at_ms: Option<i64>,
    /// The database it copies, and the time of the copy (a branch).
    pub parent: Option<(DatabaseName, i64)>,
}

/// The columns added to `databases` after its first version, with their types.
const ADDED_COLUMNS: [(&str, &str); 5] = [
    ("expires_at_ms", "INTEGER"),
    ("backup_every_s", "INTEGER"),
    ("backup_keep", "INTEGER"),
    ("parent", "TEXT"),
    ("branched_at_ms", "INTEGER"),
];

/// A number no other database of this process has had.
fn next_incarnation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

pub struct Catalog {
    conn: Mutex<Connection>,
    entries: RwLock<BTreeMap<DatabaseName, CatalogEntry>>,
    /// Branches' parents and branch times (kept apart: entries are copied on every request).
    lineage: RwLock<BTreeMap<DatabaseName, (String, i64)>>,
    /// The newest creation time given: each new database gets a later one, even within one
    /// millisecond, so "created" order is the order databases were created in.
    last_created_ms: std::sync::atomic::AtomicI64,
}

/// What start-up reconciliation did.
#[derive(Debug, Default)]
pub struct Reconciled {
    pub adopted: Vec<DatabaseName>,
    pub dropped: Vec<DatabaseName>,
}

/// A connection to the gateway's own database (`{forge_dir}/catalog.db`, WAL), creating the
/// folder and the file if needed, with the `synchronous` level its user needs. Blocking.
pub(crate) fn open_forge_db(forge_dir: &Path, synchronous: &str) -> Result<Connection, CoreError> {
    std::fs::create_dir_all(forge_dir).map_err(internal)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
    let conn =
        Connection::open_with_flags(forge_dir.join("catalog.db"), flags).map_err(internal)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous};"
    ))
    .map_err(internal)?;
    Ok(conn)
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::internal(format!("catalog: {e}"))
}

/// A failed write to the catalog: a full disk says so, anything else is internal.
fn catalog_write_failed(e: rusqlite::Error) -> CoreError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
        return CoreError::new(
            ErrorCode::DiskFull,
            "the server's disk is full: the database could not be registered",
        );
    }
    internal(e)
}

impl Catalog {
    /// Opens (creating if needed) the catalog in `forge_dir`. Blocking.
    pub fn open(forge_dir: &Path) -> Result<Self, CoreError> {
        // NORMAL is enough here: reconciliation at start-up repairs a lost last entry.
        let conn = open_forge_db(forge_dir, "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS databases (
                 name TEXT PRIMARY KEY,
                 created_at_ms INTEGER NOT NULL,
                 max_size_bytes INTEGER,
                 table_count INTEGER NOT NULL DEFAULT 0
             ) WITHOUT ROWID;",
        )
        .map_err(internal)?;
        let known: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('databases')")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect())
            .map_err(internal)?;
        for (column, kind) in ADDED_COLUMNS {
            if !known.iter().any(|k| k == column) {
                conn.execute_batch(&format!("ALTER TABLE databases ADD COLUMN {column} {kind}"))
                    .map_err(internal)?;
            }
        }
        let mut entries = BTreeMap::new();
        let mut lineage = BTreeMap::new();
        {
            let mut stmt = conn
                .prepare(
                    "SELECT name, created_at_ms, max_size_bytes, table_count, expires_at_ms, \
                     backup_every_s, backup_keep, parent, branched_at_ms FROM databases",
                )
                .map_err(internal)?;
            let rows = stmt
                .query_map([], |r| {
                    let parent = match (r.get::<_, Option<String>>(7)?, r.get::<_, Option<i64>>(8)?)
                    {
                        (Some(parent), Some(at)) => Some((parent, at)),
                        _ => None,
                    };
                    Ok((
                        r.get::<_, String>(0)?,
                        CatalogEntry {
                            created_at_ms: r.get(1)?,
                            max_size_bytes: r.get::<_, Option<i64>>(2)?.map(|v| v.max(0) as u64),
                            table_count: r.get::<_, i64>(3)?.max(0) as u64,
                            incarnation: next_incarnation(),
                            expires_at_ms: r.get(4)?,
                            backup_every_s: r.get::<_, Option<i64>>(5)?.map(|v| v.max(0) as u64),
                            backup_keep: r
                                .get::<_, Option<i64>>(6)?
                                .map(|v| u32::try_from(v.max(0)).unwrap_or(u32::MAX)),
                        },
                        parent,
                    ))
                })
                .map_err(internal)?;
            for row in rows {
                let (name, entry, parent) = row.map_err(internal)?;
                match DatabaseName::parse(&name) {
                    Ok(name) => {
                        if let Some(parent) = parent {
                            lineage.insert(name.clone(), parent);
                        }
                        entries.insert(name, entry);
                    }
                    Err(_) => tracing::warn!(name, "ignoring a catalog entry with an invalid name"),
                }
            }
        }
        let last_created_ms = entries.values().map(|e| e.created_at_ms).max().unwrap_or(0);
        Ok(Self {
            conn: Mutex::new(conn),
            entries: RwLock::new(entries),
            lineage: RwLock::new(lineage),
            last_created_ms: std::sync::atomic::AtomicI64::new(last_created_ms),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<DatabaseName, CatalogEntry>> {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<DatabaseName, CatalogEntry>> {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adopts `found` files that have no entry (created at their modification time, table
    /// count learned when first opened) and drops entries with no file. Blocking.
    pub fn reconcile(&self, found: &[StoredDatabase]) -> Result<Reconciled, CoreError> {
        let mut report = Reconciled::default();
        let present: std::collections::HashSet<&DatabaseName> =
            found.iter().map(|f| &f.name).collect();
        let missing: Vec<DatabaseName> = self
            .read()
            .keys()
            .filter(|n| !present.contains(n))
            .cloned()
            .collect();
        for name in missing {
            self.remove_entry(&name)?;
            report.dropped.push(name);
        }
        for StoredDatabase { name, modified } in found {
            if self.read().contains_key(name) {
                continue;
            }
            let created_at_ms = match millis(*modified) {
                0 => now_ms(),
                ms => ms,
            };
            self.insert(
                name,
                CatalogEntry {
                    created_at_ms,
                    max_size_bytes: None,
                    table_count: 0,
                    incarnation: next_incarnation(),
                    expires_at_ms: None,
                    backup_every_s: None,
                    backup_keep: None,
                },
            )?;
            report.adopted.push(name.clone());
        }
        Ok(report)
    }

    pub fn get(&self, name: &DatabaseName) -> Option<CatalogEntry> {
        self.read().get(name).copied()
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn names(&self) -> Vec<DatabaseName> {
        self.read().keys().cloned().collect()
    }

    /// Every entry, in name order, whose name starts with `prefix` and contains `search`
    /// (read under one lock).
    pub fn matching(&self, prefix: &str, search: &str) -> Vec<(DatabaseName, CatalogEntry)> {
        let now = now_ms();
        self.read()
            .iter()
            .filter(|(n, e)| {
                n.as_str().starts_with(prefix) && n.as_str().contains(search) && !e.expired_at(now)
            })
            .map(|(n, e)| (n.clone(), *e))
            .collect()
    }

    /// Registers a new database after `create` made its file. Serialized, so two spawns of
    /// one name cannot both succeed. Blocking.
    pub fn create(
        &self,
        name: &DatabaseName,
        new: NewEntry,
        create: impl FnOnce() -> Result<(), CoreError>,
        undo: impl FnOnce(),
    ) -> Result<CatalogEntry, CoreError> {
        // Holding the connection for the whole creation serializes spawns.
        let conn = self.conn();
        if self.read().contains_key(name) {
            return Err(CoreError::new(
                ErrorCode::DatabaseExists,
                format!("a database named {name} exists already"),
            ));
        }
        create()?;
        // Spawns are serialized here (the connection is held), so a plain load and store do.
        use std::sync::atomic::Ordering::Relaxed;
        let created_at_ms = now_ms().max(self.last_created_ms.load(Relaxed) + 1);
        self.last_created_ms.store(created_at_ms, Relaxed);
        let entry = CatalogEntry {
            created_at_ms,
            max_size_bytes: new.max_size_bytes,
            table_count: 0,
            incarnation: next_incarnation(),
            expires_at_ms: new.expires_at_ms,
            backup_every_s: None,
            backup_keep: None,
        };
        let parent = new.parent.as_ref().map(|(p, at)| (p.to_string(), *at));
        if let Err(e) = conn.execute(
            "INSERT INTO databases (name, created_at_ms, max_size_bytes, table_count, \
             expires_at_ms, parent, branched_at_ms) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6)",
            params![
                name.as_str(),
                entry.created_at_ms,
                new.max_size_bytes.map(|v| v as i64),
                entry.expires_at_ms,
                parent.as_ref().map(|p| p.0.as_str()),
                parent.as_ref().map(|p| p.1),
            ],
        ) {
            // The file exists but no entry names it: remove it, or the name would be taken
            // by a database nobody can reach (on a full disk, say).
            undo();
            return Err(catalog_write_failed(e));
        }
        self.write().insert(name.clone(), entry);
        let mut lineage = self
            .lineage
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match parent {
            Some(parent) => lineage.insert(name.clone(), parent),
            None => lineage.remove(name),
        };
        Ok(entry)
    }

    /// The database `name` was branched from, and when, if it is a branch.
    pub fn lineage(&self, name: &DatabaseName) -> Option<(String, i64)> {
        self.lineage
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// Changes the time to live and backup schedule of `name` (`change` edits a copy, which
    /// is stored, then answered). Blocking.
    pub fn update(
        &self,
        name: &DatabaseName,
        change: impl FnOnce(&mut CatalogEntry),
    ) -> Result<CatalogEntry, CoreError> {
        let conn = self.conn();
        let Some(mut entry) = self.get(name) else {
            return Err(CoreError::database_not_found(name.as_str()));
        };
        change(&mut entry);
        conn.execute(
            "UPDATE databases SET expires_at_ms = ?2, backup_every_s = ?3, backup_keep = ?4 \
             WHERE name = ?1",
            params![
                name.as_str(),
                entry.expires_at_ms,
                entry
                    .backup_every_s
                    .map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
                entry.backup_keep.map(i64::from),
            ],
        )
        .map_err(catalog_write_failed)?;
        if let Some(stored) = self.write().get_mut(name) {
            stored.expires_at_ms = entry.expires_at_ms;
            stored.backup_every_s = entry.backup_every_s;
            stored.backup_keep = entry.backup_keep;
        }
        Ok(entry)
    }

    /// Every database whose time to live has passed at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> Vec<DatabaseName> {
        self.read()
            .iter()
            .filter(|(_, e)| e.expired_at(now_ms))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Every entry, in name order (for the backup schedule).
    pub fn all(&self) -> Vec<(DatabaseName, CatalogEntry)> {
        self.read().iter().map(|(n, e)| (n.clone(), *e)).collect()
    }

    fn insert(&self, name: &DatabaseName, entry: CatalogEntry) -> Result<(), CoreError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO databases (name, created_at_ms, max_size_bytes, table_count) VALUES (?1, ?2, ?3, ?4)",
                params![name.as_str(), entry.created_at_ms, entry.max_size_bytes.map(|v| v as i64), entry.table_count as i64],
            )
            .map_err(internal)?;
        self.write().insert(name.clone(), entry);
        Ok(())
    }

    /// Unregisters `name` first (new requests see "not found" at once), then runs `delete`
    /// on its files, then forgets the entry on disk. Blocking.
    pub fn delete(
        &self,
        name: &DatabaseName,
        delete: impl FnOnce() -> Result<(), CoreError>,
    ) -> Result<(), CoreError> {
        let conn = self.conn();
        let Some(entry) = self.write().remove(name) else {
            return Err(CoreError::database_not_found(name.as_str()));
        };
        if let Err(e) = delete() {
            self.write().insert(name.clone(), entry);
            return Err(e);
        }
        conn.execute("DELETE FROM databases WHERE name = ?1", [name.as_str()])
            .map_err(internal)?;
        self.lineage
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(name);
        Ok(())
    }

    fn remove_entry(&self, name: &DatabaseName) -> Result<(), CoreError> {
        self.conn()
            .execute("DELETE FROM databases WHERE name = ?1", [name.as_str()])
            .map_err(internal)?;
        self.write().remove(name);
        Ok(())
    }

    /// Records a new table count (after a schema change). Blocking.
    pub fn set_table_count(&self, name: &DatabaseName, table_count: u64) -> Result<(), CoreError> {
        let conn = self.conn();
        let mut entries = self.write();
        let Some(entry) = entries.get_mut(name) else {
            return Ok(());
        };
        entry.table_count = table_count;
        drop(entries);
        conn.execute(
            "UPDATE databases SET table_count = ?2 WHERE name = ?1",
            params![name.as_str(), table_count as i64],
        )
        .map_err(internal)?;
        Ok(())
    }

    /// A page of entries ordered by name: those after `after`, starting with `prefix`, less
    /// the first `skip` of them. Returns the page and the number of matching entries over
    /// all pages.
    pub fn page(
        &self,
        prefix: &str,
        after: Option<&str>,
        skip: usize,
        limit: usize,
    ) -> (Vec<(DatabaseName, CatalogEntry)>, usize) {
        let entries = self.read();
        // Expired databases are gone for their users already (the reaper removes them soon).
        let now = now_ms();
        let matching = |n: &DatabaseName| n.as_str().starts_with(prefix);
        let live = |e: &CatalogEntry| !e.expired_at(now);
        let start = match after.and_then(|a| DatabaseName::parse(a).ok()) {
            Some(a) if a.as_str() >= prefix => Bound::Excluded(a),
            _ => match DatabaseName::parse(prefix) {
                Ok(p) => Bound::Included(p),
                Err(_) => Bound::Unbounded,
            },
        };
        let page: Vec<_> = entries
            .range((start, Bound::Unbounded))
            .skip_while(|(n, _)| n.as_str() < prefix)
            .take_while(|(n, _)| matching(n))
            .filter(|(_, e)| live(e))
            .skip(skip)
            .take(limit)
            .map(|(n, e)| (n.clone(), *e))
            .collect();
        let total = entries
            .iter()
            .skip_while(|(n, _)| n.as_str() < prefix)
            .take_while(|(n, _)| matching(n))
            .filter(|(_, e)| live(e))
            .count();
        (page, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DatabaseName {
        DatabaseName::parse(s).expect("valid name")
    }

    #[test]
    fn pages_follow_name_order_and_prefix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let catalog = Catalog::open(dir.path()).expect("open");
        for n in ["b1", "a1", "a2", "a3", "c1"] {
            catalog
                .create(&name(n), NewEntry::default(), || Ok(()), || {})
                .expect("create");
        }
        let (page, total) = catalog.page("a", None, 0, 2);
        assert_eq!(total, 3);
        assert_eq!(
            page.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
            ["a1", "a2"]
        );
        let (page, _) = catalog.page("a", Some("a2"), 0, 2);
        assert_eq!(
            page.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
            ["a3"]
        );
        let (page, total) = catalog.page("", Some("a3"), 0, 10);
        assert_eq!((page.len(), total), (2, 5));
        let (page, total) = catalog.page("a", None, 1, 1);
        assert_eq!(
            (page.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), total),
            (vec!["a2"], 3),
            "offset paging skips within the prefix"
        );
        let (page, _) = catalog.page("", None, 4, 10);
        assert_eq!(
            page.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
            ["c1"]
        );
    }

    #[test]
    fn creation_times_follow_creation_order_even_within_a_millisecond() {
        let dir = tempfile::tempdir().expect("tempdir");
        let catalog = Catalog::open(dir.path()).expect("open");
        let created: Vec<i64> = ["c", "a", "b"]
            .iter()
            .map(|n| {
                catalog
                    .create(&name(n), NewEntry::default(), || Ok(()), || {})
                    .expect("create")
                    .created_at_ms
            })
            .collect();
        assert!(created.windows(2).all(|w| w[0] < w[1]), "{created:?}");
        let reopened = Catalog::open(dir.path()).expect("reopen");
        let later = reopened
            .create(&name("d"), NewEntry::default(), || Ok(()), || {})
            .expect("create")
            .created_at_ms;
        assert!(later > created[2], "after reopening too");
    }

    #[test]
    fn entries_survive_reopening_and_duplicates_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let catalog = Catalog::open(dir.path()).expect("open");
            catalog
                .create(
                    &name("keep"),
                    NewEntry {
                        max_size_bytes: Some(4096),
                        ..NewEntry::default()
                    },
                    || Ok(()),
                    || {},
                )
                .expect("create");
            let dup = catalog.create(&name("keep"), NewEntry::default(), || Ok(()), || {});
            assert_eq!(dup.err().map(|e| e.code), Some(ErrorCode::DatabaseExists));
        }
        let catalog = Catalog::open(dir.path()).expect("reopen");
        assert_eq!(
            catalog.get(&name("keep")).and_then(|e| e.max_size_bytes),
            Some(4096)
        );
    }
}
