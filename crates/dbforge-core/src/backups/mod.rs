//! Backups: consistent snapshots of live databases (SQLite's backup API, see the engine's
//! `snapshot`), zstd-compressed, each with a manifest (database, time, sizes, pages, SQLite
//! version, SHA-256), kept in a local directory or S3-compatible storage, read back and
//! checked after writing and again before every restore.

mod archive;
mod index;
mod store;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use dbforge_api::{BackupInfo, BackupKind, DatabaseName, ErrorCode};
use dbforge_engine::{
    Database, DiskGuard, check_database_file, count_database_rows, remove_with_sidecars,
};

use crate::clock::{now_ms, rfc3339};
use crate::error::{CoreError, CoreResult};
use crate::state::blocking;
pub(crate) use index::BackupIndex;
pub(crate) use store::BackupStore;

/// The backup settings (flags `--backup-*`).
#[derive(Debug, Clone)]
pub struct BackupConfig {
    /// The local destination (`--backup-dir`), used when there is no URL.
    pub dir: PathBuf,
    /// S3-compatible storage (`--backup-url s3://bucket/prefix`), instead of the directory.
    pub url: Option<String>,
    /// How often each database is backed up (`--backup-every`); `None`: only on demand.
    pub every: Option<Duration>,
    /// Backups kept per database (`--backup-keep`); older ones go after each new one.
    pub keep: u32,
    /// Back a database up before its time to live deletes it (`--ttl-final-backup`).
    pub ttl_final_backup: bool,
    /// Backups and restores running at once (`--backup-concurrency`); more wait their turn.
    pub concurrency: usize,
    /// The longest a check of one database file may take (`integrity_check`, row counts).
    pub check_limit: Duration,
}

impl BackupConfig {
    /// Backups in `forge_dir/backups`, on demand only, 24 kept.
    pub fn in_forge_dir(forge_dir: &Path) -> Self {
        Self {
            dir: forge_dir.join("backups"),
            url: None,
            every: None,
            keep: 24,
            ttl_final_backup: false,
            concurrency: 2,
            check_limit: Duration::from_secs(300),
        }
    }
}

/// The backups of the gateway: their destination, their index, and who is backing up or
/// restoring what right now.
pub(crate) struct Backups {
    pub(crate) store: BackupStore,
    pub(crate) index: BackupIndex,
    pub(crate) config: BackupConfig,
    /// Private work files (snapshots, downloads), on the data directory's file system so a
    /// checked file can be moved into place.
    tmp: PathBuf,
    permits: tokio::sync::Semaphore,
    /// Databases with a backup or restore under way: one at a time each.
    busy: Mutex<HashSet<DatabaseName>>,
    /// The last failed attempt of each database since its last success: when, and why.
    failures: Mutex<HashMap<DatabaseName, (i64, String)>>,
}

/// A database's turn for one backup or restore; the next may start once it is dropped.
pub(crate) struct Turn<'a> {
    backups: &'a Backups,
    name: DatabaseName,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.backups.busy().remove(&self.name);
    }
}

/// A private work file, removed (with anything SQLite left beside it) when dropped.
pub(crate) struct TempFile(pub(crate) PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        remove_with_sidecars(&self.0);
    }
}

/// The object of a backup's snapshot, beside its manifest `{id}.json`.
pub(crate) fn snapshot_object(id: &str) -> String {
    format!("{id}.sqlite.zst")
}

/// Whether `id` has the form of a backup id (`20261201T100203123Z-9f3a1c`): anything else
/// never reaches an object path.
pub(crate) fn valid_backup_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() == 26
        && bytes[..8].iter().all(u8::is_ascii_digit)
        && bytes[8] == b'T'
        && bytes[9..18].iter().all(u8::is_ascii_digit)
        && bytes[18] == b'Z'
        && bytes[19] == b'-'
        && bytes[20..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// A new backup id: the time (sorts in time order) and 24 random bits.
fn new_backup_id(at_ms: i64) -> CoreResult<String> {
    let mut random = [0u8; 3];
    getrandom::fill(&mut random).map_err(|e| CoreError::internal(format!("randomness: {e}")))?;
    let compact: String = rfc3339(at_ms)
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    Ok(format!(
        "{compact}Z-{}",
        random
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

impl Backups {
    /// Opens the destination and the index, and clears work files a crash left. Blocking.
    pub(crate) fn open(forge_dir: &Path, config: BackupConfig) -> CoreResult<Self> {
        let store = match &config.url {
            Some(url) => BackupStore::s3(url)?,
            None => BackupStore::local(&config.dir)?,
        };
        let tmp = forge_dir.join("tmp");
        if tmp.exists() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        std::fs::create_dir_all(&tmp)
            .map_err(|e| CoreError::internal(format!("creating {}: {e}", tmp.display())))?;
        Ok(Self {
            index: BackupIndex::open(forge_dir)?,
            store,
            permits: tokio::sync::Semaphore::new(config.concurrency.max(1)),
            config,
            tmp,
            busy: Mutex::default(),
            failures: Mutex::default(),
        })
    }

    fn busy(&self) -> MutexGuard<'_, HashSet<DatabaseName>> {
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn failures(&self) -> MutexGuard<'_, HashMap<DatabaseName, (i64, String)>> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes `name`'s turn, or `database_busy` while another backup or restore of it runs.
    pub(crate) fn turn(&self, name: &DatabaseName) -> CoreResult<Turn<'_>> {
        if !self.busy().insert(name.clone()) {
            return Err(CoreError::new(
                ErrorCode::DatabaseBusy,
                format!("a backup or restore of {name} is under way; retry once it is done"),
            ));
        }
        Ok(Turn {
            backups: self,
            name: name.clone(),
        })
    }

    /// A new private work file's path (the file does not exist yet).
    pub(crate) fn temp(&self, what: &str) -> CoreResult<TempFile> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|e| CoreError::internal(format!("randomness: {e}")))?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        Ok(TempFile(self.tmp.join(format!("{what}-{suffix}"))))
    }

    /// The last failed attempt of `name` since its last success.
    pub(crate) fn failure(&self, name: &DatabaseName) -> Option<(i64, String)> {
        self.failures().get(name).cloned()
    }

    fn note_outcome(&self, name: &DatabaseName, kind: BackupKind, result: &CoreResult<BackupInfo>) {
        let kind_label = match kind {
            BackupKind::Manual => "manual",
            BackupKind::Scheduled => "scheduled",
            BackupKind::Final => "final",
        };
        let outcome = if result.is_ok() { "ok" } else { "failed" };
        metrics::counter!("dbforge_backups_total", "kind" => kind_label, "outcome" => outcome)
            .increment(1);
        match result {
            Ok(_) => {
                self.failures().remove(name);
            }
            // Another backup of it under way is not a failure of this database's backups.
            Err(e) if e.code == ErrorCode::DatabaseBusy => {}
            Err(e) => {
                tracing::warn!(database = %name, kind = kind_label, code = ?e.code, error = %e.message, "backup failed");
                // Shown to whoever sees the database: what went wrong, never where (paths,
                // the destination's address); the log has the detail.
                let shown = match e.code {
                    ErrorCode::InternalError | ErrorCode::StorageUnavailable => {
                        format!("{}: {}", e.code.as_str(), e.code.meaning())
                    }
                    code => format!("{}: {}", code.as_str(), e.message),
                };
                self.failures().insert(name.clone(), (now_ms(), shown));
            }
        }
    }

    /// Backs up the open database `db`: a snapshot, compressed and stored, then read back from
    /// the destination and checked before its manifest is written (a destination never holds
    /// the manifest of a backup that did not pass). Waits for a permit (`--backup-concurrency`).
    pub(crate) async fn take(
        &self,
        db: Arc<Database>,
        kind: BackupKind,
        disk: &DiskGuard,
    ) -> CoreResult<BackupInfo> {
        let name = db.name().clone();
        let result = async {
            let _turn = self.turn(&name)?;
            let _permit = self
                .permits
                .acquire()
                .await
                .map_err(|_| CoreError::internal("backup permits closed"))?;
            if disk.is_low() {
                return Err(CoreError::from(disk.refusal()));
            }
            self.take_now(db, kind).await
        }
        .await;
        self.note_outcome(&name, kind, &result);
        result
    }

    async fn take_now(&self, db: Arc<Database>, kind: BackupKind) -> CoreResult<BackupInfo> {
        let name = db.name().clone();
        let started_ms = now_ms();
        let id = new_backup_id(started_ms)?;
        let snapshot = self.temp("snapshot")?;
        let packed = self.temp("packed")?;
        let (snapshot_path, packed_path) = (snapshot.0.clone(), packed.0.clone());
        let limit = self.config.check_limit;
        let started = std::time::Instant::now();
        let (facts, checked, sha256, stored_bytes, copied) = blocking(move || {
            let facts = db.snapshot(&snapshot_path)?;
            let copied = started.elapsed();
            // Counted here; checked in full (integrity_check) once stored, as read back.
            let checked = count_database_rows(&snapshot_path, limit)?;
            let (sha256, stored) = archive::compress(&snapshot_path, &packed_path)?;
            Ok((facts, checked, sha256, stored, copied))
        })
        .await?;
        let packed_at = started.elapsed();
        drop(snapshot);
        let object = snapshot_object(&id);
        self.store
            .put_file(name.as_str(), &object, &packed.0)
            .await?;
        drop(packed);
        let mut info = BackupInfo {
            id: id.clone(),
            database: name.to_string(),
            created_at: rfc3339(started_ms),
            kind,
            size_bytes: facts.bytes,
            stored_bytes,
            page_count: facts.page_count,
            page_size: facts.page_size,
            sqlite_version: rusqlite::version().to_owned(),
            sha256,
            destination: self.store.kind.to_owned(),
            verified: false,
            row_counts: checked.row_counts.into_iter().collect::<BTreeMap<_, _>>(),
        };
        let stored_at = started.elapsed();
        // Verified as a restore would read it: from the destination.
        if let Err(e) = self.fetch_checked(&info).await {
            let _ = self.store.delete(name.as_str(), &object).await;
            return Err(CoreError::internal(format!(
                "the backup of {name} failed its check after it was stored: {}",
                e.message
            )));
        }
        info.verified = true;
        let manifest = serde_json::to_vec_pretty(&info)
            .map_err(|e| CoreError::internal(format!("manifest: {e}")))?;
        self.store
            .put_bytes(name.as_str(), &format!("{id}.json"), manifest)
            .await?;
        let index_info = info.clone();
        let index = &self.index;
        index.insert(&index_info, started_ms)?;
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        tracing::info!(
            database = %name, backup = %id, bytes = info.size_bytes, stored = info.stored_bytes,
            destination = self.store.kind, snapshot_ms = ms(copied),
            pack_ms = ms(packed_at - copied), upload_ms = ms(stored_at - packed_at),
            verify_ms = ms(started.elapsed() - stored_at), "backup stored"
        );
        Ok(info)
    }

    /// Reads a backup from its destination into a private file and checks it: its checksum,
    /// SQLite's `integrity_check`, and the row count of every table against its manifest.
    /// Anything amiss is `backup_corrupt`, and nothing is used.
    pub(crate) async fn fetch_checked(&self, info: &BackupInfo) -> CoreResult<TempFile> {
        let object = snapshot_object(&info.id);
        // A local destination's file is read where it lies (never written to); any other is
        // downloaded first.
        let (packed, packed_path) = match self.store.local_path(&info.database, &object) {
            Some(path) => {
                let size = std::fs::metadata(&path).map(|m| m.len()).map_err(|_| {
                    CoreError::new(
                        ErrorCode::BackupNotFound,
                        format!(
                            "the backup's object {}/{object} is missing from its destination",
                            info.database
                        ),
                    )
                })?;
                if size != info.stored_bytes {
                    return Err(CoreError::new(
                        ErrorCode::BackupCorrupt,
                        format!(
                            "the stored backup holds {size} bytes where its manifest says {}: \
                             it was not used",
                            info.stored_bytes
                        ),
                    ));
                }
                (None, path)
            }
            None => {
                let packed = self.temp("fetched")?;
                self.store
                    .get_to_file(&info.database, &object, &packed.0, info.stored_bytes)
                    .await?;
                let path = packed.0.clone();
                (Some(packed), path)
            }
        };
        let plain = self.temp("restore")?;
        let plain_path = plain.0.clone();
        let limit = self.config.check_limit;
        let expected = info.clone();
        blocking(move || {
            archive::decompress_checked(&packed_path, &plain_path, expected.size_bytes, &expected.sha256)?;
            let facts = check_database_file(&plain_path, limit).map_err(|e| {
                if e.code == ErrorCode::InvalidDatabaseFile {
                    CoreError::new(ErrorCode::BackupCorrupt, e.message)
                } else {
                    CoreError::from(e)
                }
            })?;
            let counts: BTreeMap<String, u64> = facts.row_counts.into_iter().collect();
            if counts != expected.row_counts {
                return Err(CoreError::new(
                    ErrorCode::BackupCorrupt,
                    "the stored backup's tables do not hold the rows its manifest counts: it was not used",
                ));
            }
            Ok(())
        })
        .await?;
        drop(packed);
        Ok(plain)
    }

    /// Deletes a backup: its manifest first (so a half-deleted backup is not listed again
    /// at the next start), then its snapshot, then its index entry.
    pub(crate) async fn delete(&self, info: &BackupInfo) -> CoreResult<()> {
        self.store
            .delete(&info.database, &format!("{}.json", info.id))
            .await?;
        self.store
            .delete(&info.database, &snapshot_object(&info.id))
            .await?;
        self.index.remove(&info.database, &info.id)
    }

    /// Deletes the backups of `name` beyond the newest `keep`.
    pub(crate) async fn prune(&self, name: &DatabaseName, keep: u32) -> CoreResult<usize> {
        let all = self.index.list(name.as_str())?;
        let mut removed = 0;
        for old in all.iter().skip(usize::try_from(keep).unwrap_or(usize::MAX)) {
            self.delete(old).await?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Adds to the index the backups whose manifests are in the destination but not in the
    /// index (another server's, or this one's before its catalog was lost).
    pub(crate) async fn adopt_from_store(&self) -> CoreResult<usize> {
        let mut adopted = 0;
        for location in self.store.manifests().await? {
            let file = location.filename().unwrap_or_default();
            let Some(id) = file.strip_suffix(".json") else {
                continue;
            };
            if !valid_backup_id(id) || self.index.contains(id)? {
                continue;
            }
            let bytes = self.store.get_bytes(&location).await?;
            let Ok(info) = serde_json::from_slice::<BackupInfo>(&bytes) else {
                tracing::warn!(location = %location, "ignoring a manifest that does not parse");
                continue;
            };
            if info.id != id || DatabaseName::parse(&info.database).is_err() {
                continue;
            }
            let at = crate::clock::parse_rfc3339_ms(&info.created_at).unwrap_or(0);
            if self.index.insert(&info, at)? {
                adopted += 1;
            }
        }
        Ok(adopted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_ids_sort_by_time_and_nothing_else_passes_for_one() {
        let early = new_backup_id(1_764_583_323_123).expect("id");
        let late = new_backup_id(1_764_583_323_124).expect("id");
        assert!(valid_backup_id(&early), "{early}");
        assert!(early < late);
        assert!(early.starts_with("20251201T"), "{early}");
        for bad in [
            "",
            "../../etc/passwd",
            "20261201T100203123Z-9f3a1",
            "20261201T100203123Z-9F3A1C",
            "20261201T100203123Z/9f3a1c",
        ] {
            assert!(!valid_backup_id(bad), "{bad}");
        }
    }
}
