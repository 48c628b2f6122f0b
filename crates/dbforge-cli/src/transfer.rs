//! `dbforge export` and `dbforge import`: a database, a table or a query's rows out as a SQL
//! dump, CSV, JSON, NDJSON or the SQLite file (to standard output, or to a file that appears
//! only once complete), and such a file back in, all or nothing, through the Rust client.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use clap::{Args, ValueEnum};
use dbforge_client::api::ImportResult;
use dbforge_client::{DataFormat, ExportOptions, ImportOptions};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::{AsyncRead, ReadBuf};

use crate::commands::{Connection, Failure, usage};
use crate::lifecycle::{Counting, io_failure, partial_path};
use crate::output;

/// A file's format on the command line (the API's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// A SQL dump, as `sqlite3 .dump` writes one.
    Sql,
    /// A header row, then one line per row (RFC 4180).
    Csv,
    /// One JSON array of row objects.
    Json,
    /// One JSON row object per line (JSON lines).
    Ndjson,
    /// The SQLite database file itself.
    Sqlite,
}

impl From<FormatArg> for DataFormat {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Sql => DataFormat::Sql,
            FormatArg::Csv => DataFormat::Csv,
            FormatArg::Json => DataFormat::Json,
            FormatArg::Ndjson => DataFormat::Ndjson,
            FormatArg::Sqlite => DataFormat::Sqlite,
        }
    }
}

/// `dbforge export`'s arguments.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    dbforge export shop -o shop.sql                      # the whole database as a SQL dump\n  \
    dbforge export shop --format sqlite -o shop.sqlite   # the database file itself\n  \
    dbforge export shop --format csv --table items --null '\\N' > items.csv\n  \
    dbforge export shop --format ndjson --sql 'SELECT * FROM items WHERE price > 10' | head")]
pub struct ExportArgs {
    /// The database to export.
    pub database: String,
    /// What to write: sql (a dump that loads into an identical database; of the database, or
    /// of one --table), csv, json or ndjson (the rows of a --table or of a --sql query), or
    /// sqlite (the database file: a consistent snapshot).
    #[arg(long, value_enum, default_value = "sql")]
    pub format: FormatArg,
    /// Only this table: a dump of it with its indexes and triggers, or its rows.
    #[arg(long, conflicts_with = "sql")]
    pub table: Option<String>,
    /// The rows of this read-only query (csv, json, ndjson).
    #[arg(long, value_name = "QUERY")]
    pub sql: Option<String>,
    /// How CSV writes NULL [default: an empty field, empty text then being ""]; `\N` keeps
    /// NULL and empty text apart (import with the same --null).
    #[arg(long, value_name = "TEXT")]
    pub null: Option<String>,
    /// Write to this file, which appears only once the export is complete (nothing is left
    /// behind on a failure) [default: standard output].
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists (once the export is complete).
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// `dbforge import`'s arguments.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    dbforge import shop-copy shop.sql                    # a dump: shop-copy is created if missing\n  \
    dbforge import shop-copy shop.sqlite                 # a SQLite file: always a new database\n  \
    dbforge import shop items.csv --table items --null '\\N'\n  \
    gunzip -c rows.ndjson.gz | dbforge import shop - --format ndjson --table rows")]
pub struct ImportArgs {
    /// The database to load into: created when it does not exist (and removed again if the
    /// import fails). A SQLite file always becomes a new database of this name.
    pub database: String,
    /// The file to upload; `-` reads standard input (then --format is needed).
    pub file: PathBuf,
    /// What FILE holds [default: from its extension: .sql; .csv; .json; .ndjson or .jsonl;
    /// .sqlite, .sqlite3 or .db].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// The table the rows go to (csv, json, ndjson; needed), created when missing: an
    /// existing table's columns must match the CSV header (or the JSON keys).
    #[arg(long)]
    pub table: Option<String>,
    /// What NULL looks like in the CSV [default: an empty field].
    #[arg(long, value_name = "TEXT")]
    pub null: Option<String>,
    /// Print the server's answer as JSON (database, format, table, created_database,
    /// created_table, count, bytes) instead of a sentence. (--format is the file's format.)
    #[arg(long)]
    pub json: bool,
}

/// A progress bar of bytes on standard error, drawn only when it is a terminal (scripts see
/// just the summary): a bar when the total is known, else a count.
fn bytes_progress(total: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (progress, template) = match total {
        Some(total) => (
            ProgressBar::new(total),
            "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}",
        ),
        None => (
            ProgressBar::no_length(),
            "{spinner} {bytes} ({bytes_per_sec}) {msg}",
        ),
    };
    progress.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.enable_steady_tick(Duration::from_millis(200));
    progress
}

/// `--null` is the CSV NULL marker: refused with any other format, rather than ignored.
fn check_null(null: Option<&String>, format: DataFormat) -> Result<(), Failure> {
    if null.is_some() && format != DataFormat::Csv {
        return Err(usage(format!(
            "--null is how CSV writes NULL: it does not apply to --format {format}"
        )));
    }
    Ok(())
}

/// The innermost cause of an error (hyper's, say, under reqwest's).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// A failed export's message: an answer cut short says so (it is never a shorter export).
fn export_failure(error: dbforge_client::Error, partial: &str) -> Failure {
    match &error {
        dbforge_client::Error::Transport(e) if e.is_body() || e.is_decode() => Failure {
            message: format!(
                "the export did not arrive whole: the server cut it short or the connection \
                 broke ({}); {partial}",
                root_cause(e)
            ),
            code: 3,
        },
        _ => Failure::from(error),
    }
}

pub async fn export(connection: &Connection, args: ExportArgs) -> Result<(), Failure> {
    let format = DataFormat::from(args.format);
    check_null(args.null.as_ref(), format)?;
    let options = ExportOptions {
        format,
        table: args.table,
        sql: args.sql,
        null: args.null,
    };
    let client = connection.client()?;
    match args.output {
        Some(path) if path.as_os_str() != "-" => {
            export_to_file(&client, &args.database, &options, &path, args.force).await
        }
        _ => export_to_stdout(&client, &args.database, &options).await,
    }
}

async fn export_to_stdout(
    client: &dbforge_client::Client,
    database: &str,
    options: &ExportOptions,
) -> Result<(), Failure> {
    if options.format == DataFormat::Sqlite && std::io::stdout().is_terminal() {
        return Err(usage(
            "a SQLite file is binary: write it to a file with -o FILE, or redirect standard output",
        ));
    }
    let progress = bytes_progress(None);
    let mut sink = Counting {
        inner: tokio::io::stdout(),
        progress: progress.clone(),
        error: None,
    };
    let result = client.export(database, options, &mut sink).await;
    let written = sink.error.take();
    match (result, written) {
        (Ok(_), _) => {
            progress.finish_and_clear();
            Ok(())
        }
        // The reader went away (`dbforge export shop | head`): it has what it wanted, and
        // the export stops here, quietly, like any program writing to a closed pipe.
        (Err(_), Some(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            progress.finish_and_clear();
            Ok(())
        }
        (Err(_), Some(e)) => {
            progress.abandon();
            Err(io_failure(format!("writing standard output: {e}")))
        }
        (Err(e), None) => {
            progress.abandon();
            Err(export_failure(
                e,
                "what was written to standard output is not a whole export",
            ))
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, with the exit code a shell gives for it.
async fn interrupted() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return 130;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => 130,
            _ = term.recv() => 143,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}

/// Puts the complete export at `part` in place at `path`: over it with `force`, else only if
/// `path` still does not exist (a hard link cannot replace a file, unlike a rename).
fn put_in_place(
    part: &Path,
    path: &Path,
    force: bool,
    refuse: impl Fn() -> Failure,
) -> Result<(), Failure> {
    let moved = |e: std::io::Error| {
        io_failure(format!(
            "cannot move {} to {}: {e}",
            part.display(),
            path.display()
        ))
    };
    if force {
        return std::fs::rename(part, path).map_err(moved);
    }
    match std::fs::hard_link(part, path) {
        Ok(()) => {
            let _ = std::fs::remove_file(part);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(refuse()),
        // A file system without hard links: the check and the rename are then two steps.
        Err(_) if !path.exists() => std::fs::rename(part, path).map_err(moved),
        Err(_) => Err(refuse()),
    }
}

async fn export_to_file(
    client: &dbforge_client::Client,
    database: &str,
    options: &ExportOptions,
    path: &Path,
    force: bool,
) -> Result<(), Failure> {
    let refuse = || {
        usage(format!(
            "{} exists: pass --force to replace it, or -o to write elsewhere",
            path.display()
        ))
    };
    match std::fs::symlink_metadata(path) {
        Ok(_) if !force => return Err(refuse()),
        // `--force` replaces a file, never a device, a directory or a pipe (`-o /dev/null`
        // would otherwise be renamed over).
        Ok(meta) if !meta.is_file() => {
            return Err(usage(format!(
                "{} is not a regular file: export to standard output and redirect it instead",
                path.display()
            )));
        }
        _ => {}
    }
    // The export goes to a file beside FILE that takes its place once complete: a failed or
    // interrupted export leaves no partial file, and an existing FILE as it was.
    let part = partial_path(path);
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&part)
        .await
        .map_err(|e| io_failure(format!("cannot create {}: {e}", part.display())))?;
    let progress = bytes_progress(None);
    let mut sink = Counting {
        inner: file,
        progress: progress.clone(),
        error: None,
    };
    let outcome = {
        let export = client.export(database, options, &mut sink);
        tokio::select! {
            result = export => Ok(result),
            code = interrupted() => Err(code),
        }
    };
    let finished = match outcome {
        Err(code) => Err(Failure {
            message: format!("interrupted: {} was not written", path.display()),
            code,
        }),
        Ok(Ok(bytes)) => sink
            .inner
            .sync_all()
            .await
            .map(|()| bytes)
            .map_err(|e| io_failure(format!("writing {}: {e}", part.display()))),
        Ok(Err(e)) => Err(match sink.error.take() {
            Some(io) => io_failure(format!("writing {}: {io}", part.display())),
            None => export_failure(e, "nothing was written"),
        }),
    };
    drop(sink);
    let finished =
        finished.and_then(|bytes| put_in_place(&part, path, force, refuse).map(|()| bytes));
    match finished {
        Ok(bytes) => {
            progress.finish_and_clear();
            println!(
                "exported {database} ({}) to {}: {bytes} bytes",
                options.format,
                path.display()
            );
            Ok(())
        }
        Err(failure) => {
            progress.abandon();
            let _ = std::fs::remove_file(&part);
            Err(failure)
        }
    }
}

/// A reader that advances a progress bar by what it reads, says when it reached the end (the
/// server is importing then), and keeps its own failure: the client reports it as a failed
/// upload without saying it was the local file.
struct Reading<R> {
    inner: R,
    progress: ProgressBar,
    error: Arc<Mutex<Option<std::io::Error>>>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Reading<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                if read == 0 {
                    this.progress
                        .set_message("uploaded; the server is importing");
                } else {
                    this.progress.inc(read as u64);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => {
                let copy = std::io::Error::new(e.kind(), e.to_string());
                if let Ok(mut slot) = this.error.lock() {
                    *slot = Some(e);
                }
                Poll::Ready(Err(copy))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// What an import did, in a sentence.
fn describe(result: &ImportResult, source: &str) -> String {
    let into = if result.created_database {
        format!("the new database {}", result.database)
    } else {
        result.database.clone()
    };
    let what = match (result.format.as_str(), &result.table) {
        ("sqlite", _) => return format!("imported {source} as {into} ({} bytes)", result.bytes),
        ("sql", _) => format!("{} statements", result.count),
        (_, Some(table)) => format!(
            "{} rows into {}table {table}",
            result.count,
            if result.created_table { "the new " } else { "" }
        ),
        (_, None) => format!("{} rows", result.count),
    };
    format!(
        "imported {source} into {into}: {what} ({} bytes)",
        result.bytes
    )
}

pub async fn import(connection: &Connection, args: ImportArgs) -> Result<(), Failure> {
    let stdin = args.file.as_os_str() == "-";
    let format = match args.format {
        Some(format) => DataFormat::from(format),
        None if stdin => {
            return Err(usage(
                "say what standard input holds with --format (sql, csv, json, ndjson, sqlite)",
            ));
        }
        None => DataFormat::from_path(&args.file).ok_or_else(|| {
            usage(format!(
                "cannot tell the format of {} from its extension: pass --format (sql, csv, \
                 json, ndjson, sqlite)",
                args.file.display()
            ))
        })?,
    };
    check_null(args.null.as_ref(), format)?;
    match (format, &args.table) {
        (DataFormat::Csv | DataFormat::Json | DataFormat::Ndjson, None) => {
            return Err(usage(format!(
                "name the table the {format} rows go to with --table (created when missing)"
            )));
        }
        (DataFormat::Sql | DataFormat::Sqlite, Some(_)) => {
            return Err(usage(format!(
                "--table is for csv, json and ndjson: a {format} file brings its own tables"
            )));
        }
        _ => {}
    }
    let (source, body, total): (String, Box<dyn AsyncRead + Send + Unpin>, Option<u64>) = if stdin {
        if std::io::stdin().is_terminal() {
            return Err(usage(
                "standard input is a terminal: pipe the file in (`... | dbforge import DB - \
                     --format F`), or name it",
            ));
        }
        (
            "standard input".to_owned(),
            Box::new(tokio::io::stdin()),
            None,
        )
    } else {
        let file = tokio::fs::File::open(&args.file)
            .await
            .map_err(|e| usage(format!("cannot read {}: {e}", args.file.display())))?;
        let size = file.metadata().await.ok().map(|m| m.len());
        (args.file.display().to_string(), Box::new(file), size)
    };
    let options = ImportOptions {
        format,
        table: args.table,
        null: args.null,
    };
    let client = connection.client()?;
    let progress = bytes_progress(total);
    let read_error = Arc::new(Mutex::new(None));
    let body = Reading {
        inner: body,
        progress: progress.clone(),
        error: Arc::clone(&read_error),
    };
    let result = client.import(&args.database, &options, body).await;
    let read_error = read_error.lock().ok().and_then(|mut slot| slot.take());
    match (result, read_error) {
        (Ok(result), _) => {
            progress.finish_and_clear();
            if args.json {
                output::print_json(&result)
            } else {
                println!("{}", describe(&result, &source));
                Ok(())
            }
        }
        (Err(_), Some(e)) => {
            progress.abandon();
            Err(io_failure(format!(
                "reading {source}: {e}; nothing was imported"
            )))
        }
        (Err(e), None) => {
            progress.abandon();
            Err(import_failure(e))
        }
    }
}

/// A failed import's message: a broken upload says why (the connection's own error), not
/// just that the request failed.
fn import_failure(error: dbforge_client::Error) -> Failure {
    match &error {
        dbforge_client::Error::Transport(e) if !e.is_connect() && !e.is_timeout() => Failure {
            message: format!("the import request failed: {}", root_cause(e)),
            code: 3,
        },
        _ => Failure::from(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(format: &str, table: Option<&str>, created: (bool, bool)) -> ImportResult {
        ImportResult {
            database: "shop".into(),
            format: format.into(),
            table: table.map(str::to_owned),
            created_database: created.0,
            created_table: created.1,
            count: 3,
            bytes: 120,
        }
    }

    #[test]
    fn an_import_is_described_by_what_it_made() {
        assert_eq!(
            describe(&result("csv", Some("items"), (true, true)), "items.csv"),
            "imported items.csv into the new database shop: 3 rows into the new table items (120 bytes)"
        );
        assert_eq!(
            describe(
                &result("ndjson", Some("items"), (false, false)),
                "standard input"
            ),
            "imported standard input into shop: 3 rows into table items (120 bytes)"
        );
        assert_eq!(
            describe(&result("sql", None, (false, false)), "shop.sql"),
            "imported shop.sql into shop: 3 statements (120 bytes)"
        );
        assert_eq!(
            describe(&result("sqlite", None, (true, false)), "shop.db"),
            "imported shop.db as the new database shop (120 bytes)"
        );
    }

    #[test]
    fn null_markers_are_for_csv_only() {
        let marker = "\\N".to_owned();
        assert!(check_null(Some(&marker), DataFormat::Csv).is_ok());
        assert!(check_null(None, DataFormat::Sql).is_ok());
        assert!(check_null(Some(&marker), DataFormat::Ndjson).is_err());
    }
}
