//! The index of stored backups: their manifests in the catalog database
//! (`_forge/catalog.db`, table `backups`), so listing, retention and each database's last
//! backup need no round trip to the destination. The destination keeps every manifest too
//! (beside its snapshot), and backups found there that the index lacks are adopted at start.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use dbforge_api::BackupInfo;
use rusqlite::{Connection, params};

use crate::catalog::open_forge_db;
use crate::error::{CoreError, CoreResult};

pub(crate) struct BackupIndex {
    conn: Mutex<Connection>,
    /// The newest backup's time of each database that has one (Unix milliseconds).
    latest: Mutex<HashMap<String, i64>>,
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::internal(format!("backup index: {e}"))
}

impl BackupIndex {
    /// Opens (creating if needed) the index. Blocking.
    pub(crate) fn open(forge_dir: &Path) -> CoreResult<Self> {
        let conn = open_forge_db(forge_dir, "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS backups (
                 id TEXT PRIMARY KEY,
                 database TEXT NOT NULL,
                 created_at_ms INTEGER NOT NULL,
                 manifest TEXT NOT NULL
             );
             CREATE INDEX IF NOT EXISTS backups_by_database ON backups (database, created_at_ms);",
        )
        .map_err(internal)?;
        let latest = conn
            .prepare("SELECT database, max(created_at_ms) FROM backups GROUP BY database")
            .and_then(|mut stmt| {
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<HashMap<String, i64>, _>>()
            })
            .map_err(internal)?;
        Ok(Self {
            conn: Mutex::new(conn),
            latest: Mutex::new(latest),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn latest_map(&self) -> MutexGuard<'_, HashMap<String, i64>> {
        self.latest.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a stored backup (one already known is left as it is). Blocking.
    pub(crate) fn insert(&self, info: &BackupInfo, created_at_ms: i64) -> CoreResult<bool> {
        let manifest = serde_json::to_string(info).map_err(internal)?;
        let added = self
            .conn()
            .execute(
                "INSERT OR IGNORE INTO backups (id, database, created_at_ms, manifest) VALUES (?1, ?2, ?3, ?4)",
                params![info.id, info.database, created_at_ms, manifest],
            )
            .map_err(internal)?
            > 0;
        if added {
            let mut latest = self.latest_map();
            let newest = latest.entry(info.database.clone()).or_insert(created_at_ms);
            *newest = (*newest).max(created_at_ms);
        }
        Ok(added)
    }

    /// The backups of `database`, newest first. Blocking.
    pub(crate) fn list(&self, database: &str) -> CoreResult<Vec<BackupInfo>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT manifest FROM backups WHERE database = ?1 ORDER BY created_at_ms DESC, id DESC",
            )
            .map_err(internal)?;
        let rows = stmt
            .query_map([database], |r| r.get::<_, String>(0))
            .map_err(internal)?;
        rows.map(|row| {
            let text = row.map_err(internal)?;
            serde_json::from_str(&text).map_err(internal)
        })
        .collect()
    }

    /// One backup of `database`. Blocking.
    pub(crate) fn get(&self, database: &str, id: &str) -> CoreResult<Option<BackupInfo>> {
        let conn = self.conn();
        let text: Option<String> = conn
            .query_row(
                "SELECT manifest FROM backups WHERE database = ?1 AND id = ?2",
                params![database, id],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(internal)?;
        text.map(|t| serde_json::from_str(&t).map_err(internal))
            .transpose()
    }

    /// Forgets a backup. Blocking.
    pub(crate) fn remove(&self, database: &str, id: &str) -> CoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "DELETE FROM backups WHERE database = ?1 AND id = ?2",
            params![database, id],
        )
        .map_err(internal)?;
        let newest: Option<i64> = conn
            .query_row(
                "SELECT max(created_at_ms) FROM backups WHERE database = ?1",
                [database],
                |r| r.get(0),
            )
            .map_err(internal)?;
        let mut latest = self.latest_map();
        match newest {
            Some(ms) => latest.insert(database.to_owned(), ms),
            None => latest.remove(database),
        };
        Ok(())
    }

    /// Whether a backup of this id is known.
    pub(crate) fn contains(&self, id: &str) -> CoreResult<bool> {
        self.conn()
            .query_row("SELECT 1 FROM backups WHERE id = ?1", [id], |_| Ok(()))
            .map(|()| true)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(false),
                e => Err(internal(e)),
            })
    }

    /// When the newest backup of `database` was taken.
    pub(crate) fn latest(&self, database: &str) -> Option<i64> {
        self.latest_map().get(database).copied()
    }

    /// The newest backup's time of every database that has one.
    pub(crate) fn all_latest(&self) -> HashMap<String, i64> {
        self.latest_map().clone()
    }
}
