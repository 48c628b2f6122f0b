//! Wire types of the data lifecycle: backups and restores, branches, and a database's time
//! to live and backup schedule.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a backup was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    /// Asked for (`POST /admin/databases/{name}/backups`).
    Manual,
    /// Taken by the schedule (`--backup-every`, or the database's own).
    Scheduled,
    /// Taken just before the database expired (`--ttl-final-backup`).
    Final,
}

/// One stored backup: its manifest, kept beside the snapshot in the destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupInfo {
    /// Sorts in time order: `20261201T100203123Z-9f3a1c`.
    pub id: String,
    pub database: String,
    /// RFC 3339 time of the snapshot.
    pub created_at: String,
    pub kind: BackupKind,
    /// The snapshot's size (a plain SQLite file).
    pub size_bytes: u64,
    /// The stored object's size (zstd-compressed).
    pub stored_bytes: u64,
    pub page_count: u64,
    pub page_size: u64,
    /// The SQLite version that wrote the snapshot.
    pub sqlite_version: String,
    /// SHA-256 (hex) of the snapshot, checked on every restore.
    pub sha256: String,
    /// `local` (`--backup-dir`) or `s3` (`--backup-url`).
    pub destination: String,
    /// Whether the stored backup was read back, decompressed and checked (checksum,
    /// `integrity_check`, the row count of every table) after it was written.
    pub verified: bool,
    /// Rows of each table in the snapshot.
    pub row_counts: BTreeMap<String, u64>,
}

/// A database's backups, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupList {
    pub backups: Vec<BackupInfo>,
}

/// Body of `POST /admin/databases/{name}/restore`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// The backup's id.
    pub backup: String,
    /// Restore into a new database of this name (the source database may be gone).
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub as_name: Option<String>,
    /// Restore in place: the database's own name, to confirm that its content is replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<String>,
}

/// Where a branch came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lineage {
    /// The database it was branched from (which may be gone since).
    pub parent: String,
    /// RFC 3339 time of the point it copies.
    pub branched_at: String,
}

/// A database's backup schedule and how it is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupStatus {
    /// How often it is backed up (`1h`), or null when it has no schedule.
    pub every: Option<String>,
    /// How many backups are kept (older ones are deleted after each new one).
    pub keep: u32,
    /// RFC 3339 time of the newest stored backup.
    pub last_success_at: Option<String>,
    /// RFC 3339 time of the last failed attempt since the last success.
    pub last_failure_at: Option<String>,
    /// Why that attempt failed.
    pub last_error: Option<String>,
    /// The schedule's time passed without a backup (or the last attempt failed).
    pub overdue: bool,
}

/// What `POST /admin/databases/{name}/import` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportResult {
    pub database: String,
    /// `sqlite`, `sql`, `csv`, `json` or `ndjson`.
    pub format: String,
    /// The table the rows went to (CSV, JSON, NDJSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Whether the import created the database.
    pub created_database: bool,
    /// Whether the import created the table.
    pub created_table: bool,
    /// Rows inserted (CSV, JSON, NDJSON) or statements run (SQL); 0 for a SQLite file.
    pub count: u64,
    /// The bytes uploaded.
    pub bytes: u64,
}

/// Body of `PATCH /admin/databases/{name}`: a field left out stays as it is, `null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateDatabaseRequest {
    /// A new time to live from now (`"30m"`, `"7d"`), or null: the database no longer expires.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub ttl: Option<Option<String>>,
    /// This database's backup interval (`"1h"`, or `"off"`), or null: the server's default.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub backup_every: Option<Option<String>>,
    /// How many backups of this database to keep, or null: the server's default.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    pub backup_keep: Option<Option<u32>>,
}

/// A field that is present: `Some(value)`, where the value may be `null` (`Some(None)`);
/// a missing field stays `None` through `#[serde(default)]`.
fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_tells_a_missing_field_from_a_null_one() {
        let update: UpdateDatabaseRequest =
            serde_json::from_str(r#"{"ttl": null, "backup_keep": 3}"#).expect("parses");
        assert_eq!(update.ttl, Some(None));
        assert_eq!(update.backup_every, None);
        assert_eq!(update.backup_keep, Some(Some(3)));
        assert!(serde_json::from_str::<UpdateDatabaseRequest>(r#"{"tll": "1h"}"#).is_err());
    }

    #[test]
    fn a_restore_names_its_target_with_as() {
        let request: RestoreRequest =
            serde_json::from_str(r#"{"backup": "b1", "as": "copy"}"#).expect("parses");
        assert_eq!(request.as_name.as_deref(), Some("copy"));
        assert_eq!(
            serde_json::to_value(&request).expect("serializes")["as"],
            "copy"
        );
    }
}
