//! Imports as a core operation: an uploaded file (already on disk) becomes a new database
//! (a SQLite file, checked first), or is loaded into a new or existing one in one transaction
//! (SQL dump, CSV, JSON, NDJSON). Nothing is left half-made: a database the import created
//! is deleted again when the import fails.

use std::sync::Arc;

use dbforge_api::{DatabaseName, ErrorCode, ImportResult, SpawnRequest};
use dbforge_engine::{ImportFormat, ImportRequest, check_database_file};

use crate::auth::Principal;
use crate::backups::TempFile;
use crate::catalog::NewEntry;
use crate::error::{CoreError, CoreResult};
use crate::service::Core;
use crate::state::blocking;

/// What arrives in an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// A SQLite database file: becomes a new database.
    Sqlite,
    /// Rows or statements loaded into a database.
    Load(ImportFormat),
}

impl ImportKind {
    fn label(self) -> &'static str {
        match self {
            ImportKind::Sqlite => "sqlite",
            ImportKind::Load(ImportFormat::Sql) => "sql",
            ImportKind::Load(ImportFormat::Csv) => "csv",
            ImportKind::Load(ImportFormat::Json) => "json",
            ImportKind::Load(ImportFormat::Ndjson) => "ndjson",
        }
    }
}

/// An upload on its way to disk: a private file, removed when dropped.
pub struct Upload(pub(crate) TempFile);

impl Upload {
    /// Where the front writes the uploaded bytes.
    pub fn path(&self) -> &std::path::Path {
        &self.0.0
    }
}

/// An import to run.
#[derive(Debug, Clone)]
pub struct ImportInto {
    pub kind: ImportKind,
    pub table: Option<String>,
    pub csv_null: String,
}

impl Core {
    /// A new private file for an upload.
    pub fn upload(&self) -> CoreResult<Upload> {
        Ok(Upload(self.0.backups.temp("upload")?))
    }

    /// The most an upload may hold (`--max-import-bytes`).
    pub fn max_import_bytes(&self) -> u64 {
        self.0.exports.limits.max_import_bytes
    }

    /// Checks, before any byte is uploaded, what can be known of an import from its request
    /// alone: the caller's right to it, a SQLite file's name free, a table named when rows go
    /// to one. The import checks again once the upload is in (the catalog may change).
    pub fn check_import(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        into: &ImportInto,
    ) -> CoreResult<()> {
        let exists = self.visible_entry(principal, name).is_ok();
        match into.kind {
            ImportKind::Sqlite | ImportKind::Load(ImportFormat::Sql) if into.table.is_some() => {
                return Err(CoreError::invalid_request(
                    "`table` is for CSV, JSON and NDJSON: a SQL dump or a SQLite file names its own tables",
                ));
            }
            ImportKind::Load(ImportFormat::Csv) => {}
            _ if !into.csv_null.is_empty() => {
                return Err(CoreError::invalid_request("`null` is for CSV only"));
            }
            _ => {}
        }
        if let ImportKind::Load(ImportFormat::Csv | ImportFormat::Json | ImportFormat::Ndjson) =
            into.kind
            && into.table.as_deref().is_none_or(str::is_empty)
        {
            return Err(CoreError::invalid_request(
                "name the table the rows go to: `table=`",
            ));
        }
        if into.kind == ImportKind::Sqlite && (exists || self.0.catalog.get(name).is_some()) {
            return Err(CoreError::new(
                ErrorCode::DatabaseExists,
                format!(
                    "a database named {name} exists already: a SQLite file is imported as a new database"
                ),
            ));
        }
        if !exists && !principal.may_create(name) {
            // A database the caller may not see answers as one that does not exist.
            return Err(match self.0.catalog.get(name) {
                Some(_) => CoreError::database_not_found(name.as_str()),
                None => CoreError::new(
                    ErrorCode::Forbidden,
                    format!("this key may not create a database named {name}"),
                ),
            });
        }
        if exists && !principal.access().may_write() {
            return Err(CoreError::new(
                ErrorCode::Forbidden,
                "an import writes, and this credential is read-only",
            ));
        }
        Ok(())
    }

    /// Imports `upload` into `name` (see the module's description).
    pub async fn import(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        into: ImportInto,
        upload: Upload,
        bytes: u64,
    ) -> CoreResult<ImportResult> {
        let exists = self.visible_entry(principal, name).is_ok();
        let result = |created_database, created_table, count| ImportResult {
            database: name.to_string(),
            format: into.kind.label().to_owned(),
            table: into.table.clone(),
            created_database,
            created_table,
            count,
            bytes,
        };
        let format = match into.kind {
            ImportKind::Sqlite => {
                if exists || self.0.catalog.get(name).is_some() {
                    return Err(CoreError::new(
                        ErrorCode::DatabaseExists,
                        format!(
                            "a database named {name} exists already: a SQLite file is imported as a new database"
                        ),
                    ));
                }
                self.install_upload(principal, name, upload).await?;
                return Ok(result(true, false, 0));
            }
            ImportKind::Load(format) => format,
        };
        let created_database = !exists;
        if created_database {
            self.create_database(principal, name.clone(), SpawnRequest::default())
                .await?;
        }
        let request = ImportRequest {
            format,
            file: upload.path().to_path_buf(),
            table: into.table.clone(),
            csv_null: into.csv_null.clone(),
            limit: self.0.exports.limits.import_timeout,
        };
        let loaded = async {
            let db = self.database(principal, name).await?;
            if !principal.access().may_write() {
                return Err(CoreError::new(
                    ErrorCode::Forbidden,
                    "an import writes, and this credential is read-only",
                ));
            }
            let summary = db.database().import(request).await?;
            self.0.follow_schema_change(db.database()).await;
            Ok(summary)
        }
        .await;
        drop(upload);
        match loaded {
            Ok(summary) => {
                tracing::info!(database = %name, format = into.kind.label(), count = summary.count, "import finished");
                Ok(result(
                    created_database,
                    summary.created_table,
                    summary.count,
                ))
            }
            Err(e) => {
                if created_database && let Err(undo) = self.delete_unchecked(name).await {
                    tracing::error!(database = %name, error = %undo.message, "could not remove the database a failed import created");
                }
                Err(e)
            }
        }
    }

    /// Makes an uploaded SQLite file the new database `name`, once it passed the checks:
    /// SQLite's header, `integrity_check`, and the size quota.
    async fn install_upload(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        upload: Upload,
    ) -> CoreResult<()> {
        if !principal.may_create(name) {
            return Err(CoreError::new(
                ErrorCode::Forbidden,
                format!("this key may not create a database named {name}"),
            ));
        }
        let inner = Arc::clone(&self.0);
        let target = name.clone();
        let limit = self.0.backups.config.check_limit;
        blocking(move || {
            let path = upload.path().to_path_buf();
            check_database_file(&path, limit)?;
            let quota = inner.engine.config().limits.default_max_size_bytes;
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if size > quota {
                return Err(CoreError::new(
                    ErrorCode::DatabaseFull,
                    format!("the file holds {size} bytes, over the database quota of {quota} bytes (--max-database-size)"),
                ));
            }
            let engine = &inner.engine;
            inner.catalog.create(
                &target,
                NewEntry::default(),
                || Ok(engine.install_database(&target, &path)?),
                || {
                    if let Err(e) = engine.delete_database(&target) {
                        tracing::error!(database = %target, error = %e, "could not remove an imported file that was not registered");
                    }
                },
            )?;
            drop(upload);
            Ok(())
        })
        .await?;
        self.learn_table_count(name).await;
        tracing::info!(database = %name, "SQLite file imported as a new database");
        Ok(())
    }
}
