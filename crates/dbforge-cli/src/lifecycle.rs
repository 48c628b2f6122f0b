//! The data lifecycle from the command line: `dbforge backup` (take, list, download, restore,
//! delete), `dbforge branch`, `dbforge db update` (time to live, backup schedule) and how
//! `dbforge db list` shows a database's expiry, parent and backups, through the Rust client.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use clap::{ArgGroup, Args, Subcommand};
use dbforge_client::api::{
    BackupInfo, BackupStatus, DatabaseInfo, RestoreRequest, UpdateDatabaseRequest,
};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::AsyncWrite;

use crate::commands::{Connection, Failure, Format, usage};
use crate::keys::AnswerFormat;
use crate::output;

/// How long a backup, restore or branch may take before the client gives up (the server's
/// `--request-timeout` bounds them first): longer than the client's usual 30 s.
const WORK_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// How long a download may take in all (it streams: its size is the backup's).
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// The columns of `dbforge db list` (table and CSV; JSON has the server's whole answer).
pub const DATABASE_COLUMNS: [&str; 10] = [
    "name",
    "size_bytes",
    "table_count",
    "created_at",
    "max_size_bytes",
    "open",
    "expires_at",
    "branched_from",
    "last_backup_at",
    "backup",
];

/// A database as a row of [`DATABASE_COLUMNS`]: the nested fields flattened for people.
pub fn database_row(info: &DatabaseInfo) -> serde_json::Value {
    serde_json::json!({
        "name": info.name.to_string(),
        "size_bytes": info.size_bytes,
        "table_count": info.table_count,
        "created_at": info.created_at,
        "max_size_bytes": info.max_size_bytes,
        "open": info.open,
        "expires_at": info.expires_at,
        "branched_from": info.branched_from.as_ref().map(|l| l.parent.clone()),
        "last_backup_at": info.backups.as_ref().and_then(|b| b.last_success_at.clone()),
        "backup": info.backups.as_ref().map(backup_state),
    })
}

/// A database's backups in one word or so: `ok`, `overdue`, `failing: <why>`, or `off` when
/// it has backups but no schedule.
fn backup_state(status: &BackupStatus) -> String {
    match (&status.last_error, status.overdue, &status.every) {
        (Some(error), _, _) => format!("failing: {error}"),
        (None, true, _) => "overdue".to_owned(),
        (None, false, None) => "off".to_owned(),
        (None, false, Some(_)) => "ok".to_owned(),
    }
}

/// Prints a database's lifecycle details under a heading, one `label: value` a line.
fn print_database(heading: &str, info: &DatabaseInfo) {
    println!("{heading}");
    let mut fields = vec![(
        "expires at",
        info.expires_at.clone().unwrap_or_else(|| "never".into()),
    )];
    if let Some(lineage) = &info.branched_from {
        fields.push((
            "branched",
            format!("from {} as of {}", lineage.parent, lineage.branched_at),
        ));
    }
    match &info.backups {
        None => fields.push(("backups", "on demand only".into())),
        Some(status) => {
            let schedule = match &status.every {
                Some(every) => format!("every {every}"),
                None => "on demand only".to_owned(),
            };
            fields.push(("backups", format!("{schedule}, keep {}", status.keep)));
            if let Some(at) = &status.last_success_at {
                fields.push(("last backup", at.clone()));
            }
            if let Some(at) = &status.last_failure_at {
                let error = status.last_error.as_deref().unwrap_or("unknown error");
                fields.push(("last failure", format!("{at}: {error}")));
            }
            if status.overdue {
                fields.push(("overdue", "yes".into()));
            }
        }
    }
    for (label, value) in fields {
        println!("  {:<14}{value}", format!("{label}:"));
    }
}

/// `dbforge db update`'s arguments.
#[derive(Debug, Args)]
#[command(
    override_usage = "dbforge db update <NAME> [--ttl <DURATION> | --no-ttl]\n       \
        [--backup-every <DURATION|off> | --default-backup-every]\n       \
        [--backup-keep <N> | --default-backup-keep] [--format text|json]\n       \
        (at least one change)"
)]
#[command(group(
    ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args(["ttl", "no_ttl", "backup_every", "default_backup_every", "backup_keep", "default_backup_keep"])
))]
pub struct UpdateArgs {
    /// The database to change.
    pub name: String,
    /// A new time to live, counted from now: 30m, 2h, 7d (1s to 100 years).
    #[arg(long, value_name = "DURATION", conflicts_with = "no_ttl")]
    pub ttl: Option<String>,
    /// The database no longer expires.
    #[arg(long)]
    pub no_ttl: bool,
    /// Its own backup interval (1h, 1d), or `off`: backed up only on demand.
    #[arg(
        long,
        value_name = "DURATION|off",
        conflicts_with = "default_backup_every"
    )]
    pub backup_every: Option<String>,
    /// Back it up on the server's schedule again (`serve --backup-every`).
    #[arg(long)]
    pub default_backup_every: bool,
    /// How many of its backups to keep (older ones are deleted after each new one).
    #[arg(long, value_name = "N", conflicts_with = "default_backup_keep")]
    pub backup_keep: Option<u32>,
    /// Keep as many as the server's default (`serve --backup-keep`) again.
    #[arg(long)]
    pub default_backup_keep: bool,
    /// text: the database's expiry and backup schedule; json: the server's whole answer.
    #[arg(long, value_enum, default_value = "text")]
    pub format: AnswerFormat,
}

/// A `PATCH` field: left out, set, or cleared (`null`).
fn change<T>(value: Option<T>, clear: bool) -> Option<Option<T>> {
    match (value, clear) {
        (Some(value), _) => Some(Some(value)),
        (None, true) => Some(None),
        (None, false) => None,
    }
}

pub async fn update(connection: &Connection, args: UpdateArgs) -> Result<(), Failure> {
    let request = UpdateDatabaseRequest {
        ttl: change(args.ttl, args.no_ttl),
        backup_every: change(args.backup_every, args.default_backup_every),
        backup_keep: change(args.backup_keep, args.default_backup_keep),
    };
    let info = connection
        .client()?
        .update_database(&args.name, &request)
        .await?;
    match args.format {
        AnswerFormat::Json => output::print_json(&info),
        AnswerFormat::Text => {
            print_database(&format!("updated {}", info.name), &info);
            Ok(())
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Back a database up now; answers once the backup is stored and checked.
    ///
    /// The database keeps taking reads and writes meanwhile.
    Create {
        /// The database to back up.
        database: String,
        /// text: a summary line; json: the backup's whole manifest (`.id` for scripts).
        #[arg(long, value_enum, default_value = "text")]
        format: AnswerFormat,
    },
    /// List a database's backups, newest first (also those of a database deleted since).
    List {
        /// The database whose backups to list.
        database: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Download a backup as stored: a SQLite file compressed with zstd (`zstd -d` gives the
    /// database file).
    Download(DownloadArgs),
    /// Restore a backup into a new database (--as NEW) or over the database itself
    /// (--in-place, after you type its name; --yes skips that).
    Restore(RestoreArgs),
    /// Delete a backup from the backup destination.
    Delete {
        /// The database whose backup it is.
        database: String,
        /// The backup's id (from `dbforge backup list`).
        id: String,
        #[arg(long, value_enum, default_value = "text")]
        format: AnswerFormat,
    },
}

/// `dbforge backup download`'s arguments.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The database whose backup it is.
    pub database: String,
    /// The backup's id (from `dbforge backup list`).
    pub id: String,
    /// Where to write it [default: DATABASE-ID.sqlite.zst in the current directory].
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists (it is replaced only once the whole backup has arrived).
    #[arg(long)]
    pub force: bool,
}

/// `dbforge backup restore`'s arguments.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["as_name", "in_place"])))]
pub struct RestoreArgs {
    /// The database whose backup it is (it may have been deleted since, with --as).
    pub database: String,
    /// The backup's id (from `dbforge backup list`).
    pub id: String,
    /// Restore into a new database of this name; DATABASE stays as it is (or gone).
    #[arg(long = "as", value_name = "NEW")]
    pub as_name: Option<String>,
    /// Replace DATABASE's whole content with the backup's: every write since the backup is
    /// lost. Asks you to type the database's name first, unless --yes.
    #[arg(long)]
    pub in_place: bool,
    /// With --in-place: do not ask (needed when standard input is not a terminal).
    #[arg(long, short = 'y', requires = "in_place")]
    pub yes: bool,
    /// text: a sentence; json: the restored database's info.
    #[arg(long, value_enum, default_value = "text")]
    pub format: AnswerFormat,
}

/// `dbforge branch`'s arguments.
#[derive(Debug, Args)]
pub struct BranchArgs {
    /// The database to copy.
    pub database: String,
    /// The new database's name.
    pub new: String,
    /// text: a sentence; json: the branch's info (with `branched_from`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: AnswerFormat,
}

pub async fn backup(connection: &Connection, command: BackupCommand) -> Result<(), Failure> {
    match command {
        BackupCommand::Create { database, format } => {
            let client = connection.client_with_timeout(WORK_TIMEOUT)?;
            let backup = client.create_backup(&database).await?;
            match format {
                AnswerFormat::Json => output::print_json(&backup),
                AnswerFormat::Text => {
                    println!(
                        "created backup {} of {}: {} bytes ({} stored), {} tables, {} rows{}",
                        backup.id,
                        backup.database,
                        backup.size_bytes,
                        backup.stored_bytes,
                        backup.row_counts.len(),
                        backup.row_counts.values().sum::<u64>(),
                        if backup.verified { ", checked" } else { "" },
                    );
                    Ok(())
                }
            }
        }
        BackupCommand::List { database, format } => {
            let backups = connection.client()?.backups(&database).await?.backups;
            if format == Format::Json {
                return output::print_json(&backups);
            }
            let rows: Vec<serde_json::Value> = backups.iter().map(backup_row).collect();
            let columns = [
                "id",
                "created_at",
                "kind",
                "size_bytes",
                "stored_bytes",
                "tables",
                "rows",
                "verified",
                "destination",
            ];
            output::print_rows(&columns.map(String::from), &rows, format)
        }
        BackupCommand::Download(args) => download(connection, args).await,
        BackupCommand::Restore(args) => restore(connection, args).await,
        BackupCommand::Delete {
            database,
            id,
            format,
        } => {
            let deleted = connection.client()?.delete_backup(&database, &id).await?;
            match format {
                AnswerFormat::Json => output::print_json(&deleted),
                AnswerFormat::Text => {
                    println!("deleted backup {} of {}", deleted.id, deleted.database);
                    Ok(())
                }
            }
        }
    }
}

fn backup_row(backup: &BackupInfo) -> serde_json::Value {
    let kind = serde_json::to_value(backup.kind).unwrap_or_default();
    serde_json::json!({
        "id": backup.id,
        "created_at": backup.created_at,
        "kind": kind,
        "size_bytes": backup.size_bytes,
        "stored_bytes": backup.stored_bytes,
        "tables": backup.row_counts.len(),
        "rows": backup.row_counts.values().sum::<u64>(),
        "verified": backup.verified,
        "destination": backup.destination,
    })
}

pub(crate) fn io_failure(what: String) -> Failure {
    Failure {
        message: what,
        code: 3,
    }
}

/// `{path}.part-{pid}`: where a forced download (or an export) goes before it replaces
/// `path`.
pub(crate) fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".part-{}", std::process::id()));
    PathBuf::from(name)
}

async fn download(connection: &Connection, args: DownloadArgs) -> Result<(), Failure> {
    let path = match args.output {
        Some(path) => path,
        None if args.id.contains(['/', '\\']) || args.id.starts_with('.') => {
            return Err(usage(format!(
                "{:?} is not a backup id (ids look like 20261201T100203123Z-9f3a1c)",
                args.id
            )));
        }
        None => PathBuf::from(format!("{}-{}.sqlite.zst", args.database, args.id)),
    };
    let refuse = || {
        usage(format!(
            "{} exists: pass --force to replace it, or -o to write elsewhere",
            path.display()
        ))
    };
    if !args.force && path.exists() {
        return Err(refuse());
    }
    let client = connection.client_with_timeout(DOWNLOAD_TIMEOUT)?;
    // Drawn on stderr, and only when it is a terminal: scripts see just the summary. Its
    // length is the stored size from the listing (the download itself does not say).
    let progress = if std::io::stderr().is_terminal() {
        let stored = client.backups(&args.database).await.ok().and_then(|list| {
            list.backups
                .into_iter()
                .find(|b| b.id == args.id)
                .map(|b| b.stored_bytes)
        });
        let progress = ProgressBar::new(stored.unwrap_or(0));
        let template = if stored.is_some() {
            "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})"
        } else {
            "{spinner} {bytes} ({bytes_per_sec})"
        };
        progress.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        progress
    } else {
        ProgressBar::hidden()
    };
    // Without --force the file is created only if absent (no race with another writer), and
    // written in place; with it, the backup goes to a file beside it that replaces it once
    // complete, so that a failed download leaves the old file as it was.
    let written_to = if args.force {
        partial_path(&path)
    } else {
        path.clone()
    };
    let file = match tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&written_to)
        .await
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && !args.force => {
            return Err(refuse());
        }
        Err(e) => {
            return Err(io_failure(format!(
                "cannot create {}: {e}",
                written_to.display()
            )));
        }
    };
    let mut sink = Counting {
        inner: file,
        progress: progress.clone(),
        error: None,
    };
    let result = client
        .download_backup(&args.database, &args.id, &mut sink)
        .await;
    let finished = match result {
        Ok(bytes) => sink
            .inner
            .sync_all()
            .await
            .map(|()| bytes)
            .map_err(|e| io_failure(format!("writing {}: {e}", written_to.display()))),
        Err(e) => Err(match sink.error.take() {
            Some(io) => io_failure(format!("writing {}: {io}", written_to.display())),
            None => Failure::from(e),
        }),
    };
    drop(sink);
    let finished = match finished {
        Ok(bytes) if args.force => tokio::fs::rename(&written_to, &path)
            .await
            .map(|()| bytes)
            .map_err(|e| {
                io_failure(format!(
                    "cannot move {} to {}: {e}",
                    written_to.display(),
                    path.display()
                ))
            }),
        other => other,
    };
    match finished {
        Ok(bytes) => {
            progress.finish_and_clear();
            println!(
                "downloaded backup {} of {} to {}: {bytes} bytes (zstd; `zstd -d` gives the SQLite file)",
                args.id,
                args.database,
                path.display()
            );
            Ok(())
        }
        Err(failure) => {
            progress.abandon();
            let _ = tokio::fs::remove_file(&written_to).await;
            Err(failure)
        }
    }
}

/// A writer that advances a progress bar by what it writes, and keeps its own failure (the
/// client reports it as a failed download without saying it was the local file).
pub(crate) struct Counting<W> {
    pub(crate) inner: W,
    pub(crate) progress: ProgressBar,
    pub(crate) error: Option<std::io::Error>,
}

impl<W: AsyncWrite + Unpin> Counting<W> {
    fn keep_error<T>(&mut self, polled: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
        match polled {
            Poll::Ready(Err(e)) => {
                let copy = std::io::Error::new(e.kind(), e.to_string());
                self.error = Some(e);
                Poll::Ready(Err(copy))
            }
            other => other,
        }
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Counting<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.progress.inc(n as u64);
        }
        this.keep_error(polled)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.keep_error(polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.keep_error(polled)
    }
}

/// Asks, on a terminal, to type the database's name before its content is replaced; refuses
/// (a usage error) when standard input is not a terminal to ask on.
fn confirm_in_place(database: &str, id: &str, taken: Option<&str>) -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(usage(format!(
            "restoring {database} in place replaces its whole content: add --yes to confirm \
             (standard input is not a terminal, so it cannot be asked)"
        )));
    }
    let when = taken.map_or_else(String::new, |at| format!(" (taken {at})"));
    eprint!(
        "Restoring backup {id}{when} in place replaces the whole content of {database}:\n\
         every write since the backup is lost.\n\
         Type the database's name to go on ({database}): "
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
    if answer.trim() == database {
        Ok(())
    } else {
        Err(usage(format!(
            "not confirmed ({:?} is not {database:?}): nothing was changed",
            answer.trim()
        )))
    }
}

async fn restore(connection: &Connection, args: RestoreArgs) -> Result<(), Failure> {
    let client = connection.client_with_timeout(WORK_TIMEOUT)?;
    let request = match args.as_name {
        Some(new) => RestoreRequest {
            backup: args.id.clone(),
            as_name: Some(new),
            confirm: None,
        },
        None => {
            if !args.yes {
                // When the backup was taken, for the question (the restore itself says
                // whether it exists).
                let taken = if std::io::stdin().is_terminal() {
                    client.backups(&args.database).await.ok().and_then(|list| {
                        list.backups
                            .into_iter()
                            .find(|b| b.id == args.id)
                            .map(|b| b.created_at)
                    })
                } else {
                    None
                };
                confirm_in_place(&args.database, &args.id, taken.as_deref())?;
            }
            RestoreRequest {
                backup: args.id.clone(),
                as_name: None,
                confirm: Some(args.database.clone()),
            }
        }
    };
    let info = client.restore(&args.database, &request).await?;
    if args.format == AnswerFormat::Json {
        return output::print_json(&info);
    }
    if request.confirm.is_some() {
        println!(
            "restored backup {} over {}: its content is the backup's now",
            args.id, info.name
        );
    } else {
        println!(
            "restored backup {} of {} as {}",
            args.id, args.database, info.name
        );
    }
    Ok(())
}

pub async fn branch(connection: &Connection, args: BranchArgs) -> Result<(), Failure> {
    let info = connection
        .client_with_timeout(WORK_TIMEOUT)?
        .branch(&args.database, &args.new)
        .await?;
    if args.format == AnswerFormat::Json {
        return output::print_json(&info);
    }
    match &info.branched_from {
        Some(lineage) => println!(
            "branched {} from {} as of {}",
            info.name, lineage.parent, lineage.branched_at
        ),
        None => println!("branched {} from {}", info.name, args.database),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(every: Option<&str>, error: Option<&str>, overdue: bool) -> BackupStatus {
        BackupStatus {
            every: every.map(str::to_owned),
            keep: 24,
            last_success_at: None,
            last_failure_at: error.map(|_| "2026-12-01T10:00:00Z".to_owned()),
            last_error: error.map(str::to_owned),
            overdue,
        }
    }

    #[test]
    fn the_backup_column_says_failing_before_overdue_before_off_or_ok() {
        let failing = status(Some("1h"), Some("storage_unavailable"), true);
        assert_eq!(backup_state(&failing), "failing: storage_unavailable");
        assert_eq!(backup_state(&status(Some("1h"), None, true)), "overdue");
        assert_eq!(backup_state(&status(None, None, false)), "off");
        assert_eq!(backup_state(&status(Some("1h"), None, false)), "ok");
    }

    #[test]
    fn an_update_leaves_out_sets_or_clears_each_field() {
        assert_eq!(change(Some("2h"), false), Some(Some("2h")));
        assert_eq!(change::<&str>(None, true), Some(None));
        assert_eq!(change::<&str>(None, false), None);
    }
}
