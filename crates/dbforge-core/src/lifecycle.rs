//! The data lifecycle as core operations: backups (take, list, fetch, delete), restore (as a
//! new database, or in place), branches, and a database's time to live and backup schedule;
//! plus the background work behind them (the schedule with its retention, the TTL reaper).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dbforge_api::{
    BackupInfo, BackupKind, BackupList, BackupStatus, DatabaseInfo, DatabaseName, ErrorCode,
    RestoreRequest, UpdateDatabaseRequest,
};
use futures::stream::BoxStream;

use crate::auth::Principal;
use crate::backups::{snapshot_object, valid_backup_id};
use crate::catalog::{CatalogEntry, NewEntry};
use crate::clock::{now_ms, rfc3339};
use crate::error::{CoreError, CoreResult};
use crate::service::Core;
use crate::state::{Inner, blocking};

/// The longest time to live a database may be given: a century (of the duration parser's
/// years, 365.25 days), beyond which nobody means it.
const MAX_TTL: Duration = Duration::from_secs(100 * 31_557_600);

/// How long after a failed attempt the schedule tries a database again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// A duration from a request (`"90s"`, `"7d"`), at least a second.
pub(crate) fn parse_duration(field: &str, text: &str) -> CoreResult<Duration> {
    let duration = humantime::parse_duration(text.trim()).map_err(|e| {
        CoreError::invalid_request(format!(
            "{field}: {e}; use a duration such as \"90s\", \"30m\", \"1h\" or \"7d\""
        ))
    })?;
    if duration < Duration::from_secs(1) {
        return Err(CoreError::invalid_request(format!(
            "{field}: {text} is shorter than a second"
        )));
    }
    Ok(duration)
}

/// `now + ttl` in milliseconds, for a time to live from a request.
fn expiry(text: &str) -> CoreResult<i64> {
    let ttl = parse_duration("ttl", text)?;
    if ttl > MAX_TTL {
        return Err(CoreError::invalid_request(format!(
            "ttl: {text} is longer than 100 years"
        )));
    }
    Ok(now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)))
}

/// `expires_at` of a new database with time to live `ttl`, if any.
pub(crate) fn expiry_of(ttl: Option<&str>) -> CoreResult<Option<i64>> {
    ttl.map(expiry).transpose()
}

/// A duration as a flag or a request would write it (`1h`, `90s`).
fn written(duration: Duration) -> String {
    humantime::format_duration(duration)
        .to_string()
        .replace(' ', "")
}

impl Inner {
    /// A database's effective backup interval: its own, else the server's (`None`: none).
    pub(crate) fn backup_every(&self, entry: &CatalogEntry) -> Option<Duration> {
        match entry.backup_every_s {
            Some(0) => None,
            Some(s) => Some(Duration::from_secs(s)),
            None => self.backups.config.every,
        }
    }

    fn backup_keep(&self, entry: &CatalogEntry) -> u32 {
        entry.backup_keep.unwrap_or(self.backups.config.keep)
    }

    /// What `DatabaseInfo.backups` says of `name`: present when it has a schedule, settings of
    /// its own, or a backup.
    pub(crate) fn backup_status(
        &self,
        name: &DatabaseName,
        entry: &CatalogEntry,
    ) -> Option<BackupStatus> {
        let every = self.backup_every(entry);
        let last = self.backups.index.latest(name.as_str());
        let failure = self.backups.failure(name);
        let configured = entry.backup_every_s.is_some() || entry.backup_keep.is_some();
        if every.is_none() && last.is_none() && failure.is_none() && !configured {
            return None;
        }
        let now = now_ms();
        let overdue = failure.is_some()
            || every.is_some_and(|every| {
                let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
                // Unchanged since its last backup, a database is not due another.
                let due_since = last.unwrap_or(entry.created_at_ms);
                let changed = last.is_none_or(|at| self.engine.modified_ms(name) > at);
                changed && now.saturating_sub(due_since) > every_ms.saturating_add(60_000)
            });
        Some(BackupStatus {
            every: every.map(written),
            keep: self.backup_keep(entry),
            last_success_at: last.map(rfc3339),
            last_failure_at: failure.as_ref().map(|f| rfc3339(f.0)),
            last_error: failure.map(|f| f.1),
            overdue,
        })
    }
}

impl Core {
    /// The entry of a database the caller may manage (create, delete, back up, restore).
    fn managed_entry(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        what: &str,
    ) -> CoreResult<CatalogEntry> {
        let entry = self.visible_entry(principal, name)?;
        if !principal.may_create(name) {
            return Err(CoreError::new(
                ErrorCode::Forbidden,
                format!("this key may not {what} {name}"),
            ));
        }
        Ok(entry)
    }

    /// Backups of `name` may be listed and read by whoever sees it, and, once it is gone,
    /// by whoever may create a database of its name.
    fn check_backup_reader(&self, principal: &Principal, name: &DatabaseName) -> CoreResult<()> {
        match self.0.catalog.get(name) {
            Some(entry) if principal.may_see(name, &entry) => Ok(()),
            None if principal.may_create(name) => Ok(()),
            _ => Err(CoreError::database_not_found(name.as_str())),
        }
    }

    /// Takes a backup of `name` now (`POST /admin/databases/{name}/backups`); answers it once
    /// it is stored and checked.
    pub async fn create_backup(
        &self,
        principal: &Principal,
        name: &DatabaseName,
    ) -> CoreResult<BackupInfo> {
        self.managed_entry(principal, name, "back up")?;
        // A task of its own: a backup under way finishes (and is listed) even if its caller
        // goes away or its request times out.
        let core = self.clone();
        let name = name.clone();
        tokio::spawn(async move { core.backup_now(&name, BackupKind::Manual).await })
            .await
            .map_err(|e| CoreError::internal(format!("backup task: {e}")))?
    }

    /// Backs `name` up (any caller: the schedule, the reaper), then keeps the newest ones.
    async fn backup_now(&self, name: &DatabaseName, kind: BackupKind) -> CoreResult<BackupInfo> {
        let inner = &self.0;
        let db = self.open_unchecked(name).await?;
        let info = inner.backups.take(db, kind, inner.engine.disk()).await?;
        if let Some(entry) = inner.catalog.get(name) {
            let keep = inner.backup_keep(&entry);
            if let Err(e) = inner.backups.prune(name, keep.max(1)).await {
                tracing::warn!(database = %name, error = %e.message, "could not delete old backups");
            }
        }
        Ok(info)
    }

    /// The open database `name`, for the gateway's own work (no caller, no admission).
    async fn open_unchecked(
        &self,
        name: &DatabaseName,
    ) -> CoreResult<Arc<dbforge_engine::Database>> {
        let inner = &self.0;
        let entry = inner
            .catalog
            .get(name)
            .ok_or_else(|| CoreError::database_not_found(name.as_str()))?;
        if let Some(db) = inner.engine.cached(name) {
            return Ok(db);
        }
        let engine = Arc::clone(&inner.engine);
        let settings = inner.settings(&entry);
        let opened = name.clone();
        blocking(move || Ok(engine.open(&opened, settings)?)).await
    }

    /// The backups of `name`, newest first.
    pub async fn list_backups(
        &self,
        principal: &Principal,
        name: &DatabaseName,
    ) -> CoreResult<BackupList> {
        self.check_backup_reader(principal, name)?;
        let inner = Arc::clone(&self.0);
        let name = name.clone();
        let backups = blocking(move || inner.backups.index.list(name.as_str())).await?;
        Ok(BackupList { backups })
    }

    /// One backup's manifest, or `backup_not_found`.
    async fn backup_info(&self, name: &DatabaseName, id: &str) -> CoreResult<BackupInfo> {
        let not_found = || {
            CoreError::new(
                ErrorCode::BackupNotFound,
                format!("{name} has no backup with the id {id}"),
            )
        };
        if !valid_backup_id(id) {
            return Err(not_found());
        }
        let inner = Arc::clone(&self.0);
        let (database, wanted) = (name.to_string(), id.to_owned());
        blocking(move || inner.backups.index.get(&database, &wanted))
            .await?
            .ok_or_else(not_found)
    }

    /// A stored backup as it is kept (the zstd-compressed snapshot), with its manifest.
    pub async fn backup_download(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        id: &str,
    ) -> CoreResult<(
        BackupInfo,
        BoxStream<'static, Result<Bytes, std::io::Error>>,
    )> {
        self.check_backup_reader(principal, name)?;
        let info = self.backup_info(name, id).await?;
        let stream = self
            .0
            .backups
            .store
            .get_stream(name.as_str(), &snapshot_object(&info.id))
            .await?;
        Ok((info, stream))
    }

    /// Deletes one backup.
    pub async fn delete_backup(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        id: &str,
    ) -> CoreResult<BackupInfo> {
        self.check_backup_reader(principal, name)?;
        if !principal.may_create(name) {
            return Err(CoreError::new(
                ErrorCode::Forbidden,
                format!("this key may not delete backups of {name}"),
            ));
        }
        let info = self.backup_info(name, id).await?;
        self.0.backups.delete(&info).await?;
        tracing::info!(database = %name, backup = %id, "backup deleted");
        Ok(info)
    }

    /// Restores a backup of `name`: into the new database `as`, or over `name` itself when
    /// `confirm` repeats its name. The backup is read from its destination and checked
    /// (checksum, `integrity_check`, row counts) before anything is touched.
    pub async fn restore(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        request: RestoreRequest,
    ) -> CoreResult<(DatabaseInfo, bool)> {
        self.check_backup_reader(principal, name)?;
        match (&request.as_name, &request.confirm) {
            (Some(_), Some(_)) => Err(CoreError::invalid_request(
                "give either `as` (restore into a new database) or `confirm` (replace this one), not both",
            )),
            (None, None) => Err(CoreError::invalid_request(format!(
                "to replace the content of {name}, confirm with \"confirm\": \"{name}\"; to \
                 restore into a new database, name it with \"as\""
            ))),
            (Some(target), None) => {
                let target = DatabaseName::parse(target)?;
                let info = self
                    .restore_as_new(principal, name, &request.backup, target)
                    .await?;
                Ok((info, true))
            }
            (None, Some(confirm)) => {
                if confirm != name.as_str() {
                    return Err(CoreError::invalid_request(format!(
                        "confirm must be the database's own name, {name}"
                    )));
                }
                let info = self
                    .restore_in_place(principal, name, &request.backup)
                    .await?;
                Ok((info, false))
            }
        }
    }

    async fn restore_as_new(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        id: &str,
        target: DatabaseName,
    ) -> CoreResult<DatabaseInfo> {
        if !principal.may_create(&target) {
            return Err(CoreError::new(
                ErrorCode::Forbidden,
                format!("this key may not create a database named {target}"),
            ));
        }
        if self.0.catalog.get(&target).is_some() {
            return Err(CoreError::new(
                ErrorCode::DatabaseExists,
                format!(
                    "a database named {target} exists already: restore under a new name, or in place"
                ),
            ));
        }
        let info = self.backup_info(name, id).await?;
        let backups = &self.0.backups;
        let _turn = backups.turn(&target)?;
        let file = backups.fetch_checked(&info).await?;
        let inner = Arc::clone(&self.0);
        let path = file.0.clone();
        let created = blocking(move || {
            let engine = &inner.engine;
            let entry = inner.catalog.create(
                &target,
                NewEntry::default(),
                || Ok(engine.install_database(&target, &path)?),
                || {
                    if let Err(e) = engine.delete_database(&target) {
                        tracing::error!(database = %target, error = %e, "could not remove a restored file that was not registered");
                    }
                },
            )?;
            Ok((target, entry))
        })
        .await?;
        drop(file);
        let (target, entry) = created;
        tracing::info!(database = %target, from = %name, backup = %id, "backup restored as a new database");
        self.learn_table_count(&target).await;
        Ok(self.0.info(
            target.clone(),
            &self.0.catalog.get(&target).unwrap_or(entry),
        ))
    }

    async fn restore_in_place(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        id: &str,
    ) -> CoreResult<DatabaseInfo> {
        self.managed_entry(principal, name, "restore")?;
        let info = self.backup_info(name, id).await?;
        let backups = &self.0.backups;
        let _turn = backups.turn(name)?;
        let file = backups.fetch_checked(&info).await?;
        // Interactive transactions on the old content end (rolled back: nothing in them was
        // acknowledged as committed) rather than go on over the new.
        self.0.streams.close_database(name);
        let db = self.open_unchecked(name).await?;
        db.replace_content(file.0.clone()).await?;
        drop(file);
        self.0.follow_schema_change(&db).await;
        tracing::info!(database = %name, backup = %id, "backup restored in place");
        let entry = self
            .0
            .catalog
            .get(name)
            .ok_or_else(|| CoreError::database_not_found(name.as_str()))?;
        Ok(self.0.info(name.clone(), &entry))
    }

    /// After a database file was put in place: its table count, learned by opening it.
    pub(crate) async fn learn_table_count(&self, name: &DatabaseName) {
        if let Ok(db) = self.open_unchecked(name).await {
            let inner = Arc::clone(&self.0);
            let name = name.clone();
            let count = db.table_count();
            let _ = blocking(move || inner.catalog.set_table_count(&name, count)).await;
        }
    }

    /// Branches `name` into the new database `new`: an independent copy of one consistent
    /// point in time, with its lineage recorded.
    pub async fn branch(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        new: DatabaseName,
    ) -> CoreResult<DatabaseInfo> {
        let parent = self.visible_entry(principal, name)?;
        if !principal.may_create(&new) {
            return Err(CoreError::new(
                ErrorCode::Forbidden,
                format!("this key may not create a database named {new}"),
            ));
        }
        if self.0.catalog.get(&new).is_some() {
            return Err(CoreError::new(
                ErrorCode::DatabaseExists,
                format!("a database named {new} exists already"),
            ));
        }
        if self.0.engine.disk().is_low() {
            return Err(self.0.engine.disk().refusal().into());
        }
        let db = self.open_unchecked(name).await?;
        let file = self.0.backups.temp("branch")?;
        let inner = Arc::clone(&self.0);
        let path = file.0.clone();
        let parent_name = name.clone();
        let target = new.clone();
        blocking(move || {
            let at = now_ms();
            db.snapshot(&path)?;
            let engine = &inner.engine;
            inner.catalog.create(
                &target,
                NewEntry {
                    max_size_bytes: parent.max_size_bytes,
                    expires_at_ms: None,
                    parent: Some((parent_name, at)),
                },
                || Ok(engine.install_database(&target, &path)?),
                || {
                    if let Err(e) = engine.delete_database(&target) {
                        tracing::error!(database = %target, error = %e, "could not remove a branch that was not registered");
                    }
                },
            )?;
            Ok(())
        })
        .await?;
        drop(file);
        tracing::info!(database = %new, parent = %name, "database branched");
        self.learn_table_count(&new).await;
        let entry = self
            .0
            .catalog
            .get(&new)
            .ok_or_else(|| CoreError::database_not_found(new.as_str()))?;
        Ok(self.0.info(new, &entry))
    }

    /// Changes a database's time to live and backup schedule (`PATCH /admin/databases/{name}`).
    pub async fn update_database(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        update: UpdateDatabaseRequest,
    ) -> CoreResult<DatabaseInfo> {
        self.managed_entry(principal, name, "change")?;
        let expires_at_ms = match &update.ttl {
            None => None,
            Some(None) => Some(None),
            Some(Some(text)) => Some(Some(expiry(text)?)),
        };
        let backup_every_s = match &update.backup_every {
            None => None,
            Some(None) => Some(None),
            Some(Some(text)) if text.trim().eq_ignore_ascii_case("off") => Some(Some(0)),
            Some(Some(text)) => Some(Some(parse_duration("backup_every", text)?.as_secs())),
        };
        if update.backup_keep == Some(Some(0)) {
            return Err(CoreError::invalid_request(
                "backup_keep must be at least 1 (set backup_every to \"off\" to stop backups)",
            ));
        }
        let inner = Arc::clone(&self.0);
        let changed = name.clone();
        let entry = blocking(move || {
            inner.catalog.update(&changed, |entry| {
                if let Some(at) = expires_at_ms {
                    entry.expires_at_ms = at;
                }
                if let Some(every) = backup_every_s {
                    entry.backup_every_s = every;
                }
                if let Some(keep) = update.backup_keep {
                    entry.backup_keep = keep;
                }
            })
        })
        .await?;
        tracing::info!(database = %name, "database settings changed");
        Ok(self.0.info(name.clone(), &entry))
    }

    /// Deletes every database whose time to live has passed (after a final backup when
    /// `--ttl-final-backup` is set; one whose final backup fails stays until it succeeds).
    pub(crate) async fn reap_expired(&self) -> usize {
        let mut reaped = 0;
        for name in self.0.catalog.expired(now_ms()) {
            if self.reap(&name).await {
                reaped += 1;
            }
        }
        reaped
    }

    /// Deletes the expired database `name` (after its final backup, when asked for);
    /// whether it is gone.
    pub(crate) async fn reap(&self, name: &DatabaseName) -> bool {
        if self.0.backups.config.ttl_final_backup {
            let recent_failure = self
                .0
                .backups
                .failure(name)
                .is_some_and(|(at, _)| now_ms() - at < RETRY_AFTER_FAILURE.as_millis() as i64);
            if recent_failure || self.backup_now(name, BackupKind::Final).await.is_err() {
                return false;
            }
        }
        match self.delete_unchecked(name).await {
            Ok(()) => {
                metrics::counter!("dbforge_databases_expired_total").increment(1);
                tracing::info!(database = %name, "database expired and deleted");
                true
            }
            Err(e) if e.code == ErrorCode::DatabaseNotFound => false,
            Err(e) => {
                tracing::warn!(database = %name, error = %e.message, "could not delete an expired database");
                false
            }
        }
    }

    /// Backs up every database whose schedule is due and which changed since its last backup,
    /// one at a time; then publishes how the schedule is doing (the oldest last backup, the
    /// databases overdue) as metrics without database names (their labels stay bounded;
    /// each database's own figures are in its info).
    pub(crate) async fn run_backup_schedule(&self) -> usize {
        let inner = &self.0;
        let now = now_ms();
        let mut taken = 0;
        let latest = inner.backups.index.all_latest();
        let mut oldest_ms = 0i64;
        let mut overdue = 0u64;
        for (name, entry) in inner.catalog.all() {
            let Some(every) = inner.backup_every(&entry) else {
                continue;
            };
            if entry.expired_at(now) {
                continue;
            }
            let last = latest.get(name.as_str()).copied();
            oldest_ms = oldest_ms.max(now - last.unwrap_or(entry.created_at_ms));
            if inner
                .backup_status(&name, &entry)
                .is_some_and(|s| s.overdue)
            {
                overdue += 1;
            }
            let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
            let due = last.is_none_or(|at| now - at >= every_ms);
            let changed = last.is_none_or(|at| inner.engine.modified_ms(&name) > at);
            let retrying_too_soon = inner
                .backups
                .failure(&name)
                .is_some_and(|(at, _)| now - at < RETRY_AFTER_FAILURE.as_millis() as i64);
            if !due || !changed || retrying_too_soon {
                continue;
            }
            if self.backup_now(&name, BackupKind::Scheduled).await.is_ok() {
                taken += 1;
            }
        }
        metrics::gauge!("dbforge_backup_oldest_age_seconds").set(oldest_ms as f64 / 1000.0);
        metrics::gauge!("dbforge_backups_overdue").set(overdue as f64);
        taken
    }

    /// Whether any database may be due a scheduled backup (a server default or an override).
    pub(crate) fn has_backup_schedule(&self) -> bool {
        self.0.backups.config.every.is_some()
            || self
                .0
                .catalog
                .all()
                .iter()
                .any(|(_, e)| e.backup_every_s.is_some_and(|s| s > 0))
    }
}
