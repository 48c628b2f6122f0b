//! `dbforge audit`: the gateway's audit log (admin actions and writes: who, what, when, from
//! where, how it ended), newest first, filtered, a page or every page, through the Rust client.

use std::io::Write as _;

use clap::{Args, ValueEnum};
use dbforge_client::api::{AuditEntry, CredentialKind};
use dbforge_client::{AuditFilter, AuditOutcome};

use crate::commands::{Connection, Failure, Format};
use crate::output;

/// The largest page the server answers, used by `--all` unless `--limit` says otherwise.
const MAX_PAGE: u32 = 1000;

/// The columns of the table and CSV formats.
const COLUMNS: [&str; 8] = [
    "at",
    "credential",
    "client",
    "action",
    "database",
    "statements",
    "status",
    "error",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutcomeArg {
    /// Answers under 400.
    Ok,
    /// Answers of 400 and above.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CredentialArg {
    /// The bootstrap admin key.
    BootstrapAdmin,
    /// Scoped API keys.
    Key,
    /// Per-database tokens.
    Token,
}

impl From<CredentialArg> for CredentialKind {
    fn from(kind: CredentialArg) -> Self {
        match kind {
            CredentialArg::BootstrapAdmin => CredentialKind::BootstrapAdmin,
            CredentialArg::Key => CredentialKind::Key,
            CredentialArg::Token => CredentialKind::Token,
        }
    }
}

impl From<OutcomeArg> for AuditOutcome {
    fn from(outcome: OutcomeArg) -> Self {
        match outcome {
            OutcomeArg::Ok => AuditOutcome::Ok,
            OutcomeArg::Error => AuditOutcome::Error,
        }
    }
}

/// `dbforge audit`'s arguments.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only requests made with this key or token id (`key_...`, `tok_...`).
    #[arg(long, value_name = "ID")]
    pub key: Option<String>,
    /// Only requests made with this kind of credential (the bootstrap key has no id).
    #[arg(long, value_enum)]
    pub credential: Option<CredentialArg>,
    /// Only actions about this key (created, revoked or rotated): its id.
    #[arg(long, value_name = "KEY_ID")]
    pub target: Option<String>,
    /// Only requests on this database.
    #[arg(long, value_name = "DB")]
    pub database: Option<String>,
    /// Only this action: method and route, e.g. "POST /admin/keys" or
    /// "POST /api/db/{name}/query".
    #[arg(long)]
    pub action: Option<String>,
    /// Only answers under 400 (ok) or of 400 and above (error).
    #[arg(long, value_enum)]
    pub outcome: Option<OutcomeArg>,
    /// From this time on, RFC 3339 in UTC (2026-12-01T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Before this time, RFC 3339 in UTC.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only entries older than this one: the value a previous run printed to get the rest.
    #[arg(long, value_name = "CURSOR")]
    pub before: Option<i64>,
    /// Entries to show, 1-1000 [default: 100]; with --all, the size of each page fetched
    /// [default: 1000].
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    /// Every matching entry, page after page, to the oldest.
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

pub async fn audit(connection: &Connection, args: AuditArgs) -> Result<(), Failure> {
    let client = connection.client()?;
    let mut filter = AuditFilter {
        key: args.key,
        credential: args.credential.map(Into::into),
        target: args.target,
        database: args.database,
        action: args.action,
        outcome: args.outcome.map(Into::into),
        since: args.since,
        until: args.until,
        before: args.before,
        limit: args.limit.or(args.all.then_some(MAX_PAGE)),
    };
    let mut printer = Printer::new(args.format);
    loop {
        let page = match client.audit(&filter).await {
            Ok(page) => page,
            Err(e) => return Err(printer.stopped(e.into(), filter.before)),
        };
        printer.page(&page.entries)?;
        match page.next_cursor {
            Some(cursor) if args.all => filter.before = Some(cursor),
            Some(cursor) => {
                printer.finish()?;
                eprintln!(
                    "more entries are older than these: add --before {cursor} for the next \
                     page, or --all for every one"
                );
                return Ok(());
            }
            None => return printer.finish(),
        }
    }
}

/// Who made the request, for people: the key's name, else its (or the token's) id, else the
/// kind of credential (the bootstrap admin key has neither).
fn credential(entry: &AuditEntry) -> String {
    entry
        .credential_name
        .clone()
        .or_else(|| entry.credential_id.clone())
        .unwrap_or_else(|| {
            match entry.credential {
                CredentialKind::BootstrapAdmin => "bootstrap_admin",
                CredentialKind::Key => "key",
                CredentialKind::Token => "token",
            }
            .to_owned()
        })
}

/// An entry's cells, in [`COLUMNS`] order.
fn row(entry: &AuditEntry) -> Vec<String> {
    vec![
        entry.at.clone(),
        credential(entry),
        entry.client.clone().unwrap_or_default(),
        entry.action.clone(),
        entry.database.clone().unwrap_or_default(),
        entry.statements.join(", "),
        entry.status.to_string(),
        entry.error.clone().unwrap_or_default(),
    ]
}

fn write_failure(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure {
        message: format!("writing {what}: {e}"),
        code: 3,
    }
}

/// Prints entries as pages arrive: CSV and JSON stream (an `--all` of a large log is never held
/// in memory); the table, which needs every width, is printed at the end.
struct Printer {
    format: Format,
    /// Entries printed (CSV, JSON) or held for the table so far.
    count: usize,
    /// The table's rows.
    rows: Vec<serde_json::Value>,
    /// The CSV writer, once its header is written (not before the first answer, so that a
    /// refused request prints nothing on stdout).
    csv: Option<csv::Writer<std::io::Stdout>>,
}

impl Printer {
    fn new(format: Format) -> Self {
        Printer {
            format,
            count: 0,
            rows: Vec::new(),
            csv: None,
        }
    }

    fn csv_writer(&mut self) -> Result<&mut csv::Writer<std::io::Stdout>, Failure> {
        let writer = match self.csv.take() {
            Some(writer) => writer,
            None => {
                let mut writer = csv::Writer::from_writer(std::io::stdout());
                writer
                    .write_record(COLUMNS)
                    .map_err(|e| write_failure("CSV", e))?;
                writer
            }
        };
        Ok(self.csv.insert(writer))
    }

    fn page(&mut self, entries: &[AuditEntry]) -> Result<(), Failure> {
        match self.format {
            Format::Table => {
                let rows = entries.iter().map(|e| serde_json::Value::from(row(e)));
                self.rows.extend(rows);
            }
            Format::Csv => {
                let writer = self.csv_writer()?;
                for entry in entries {
                    writer
                        .write_record(row(entry))
                        .map_err(|e| write_failure("CSV", e))?;
                }
                writer.flush().map_err(|e| write_failure("CSV", e))?;
            }
            // The same text as `output::print_json` of the whole list, one entry at a time.
            Format::Json => {
                let mut out = std::io::stdout().lock();
                for (i, entry) in entries.iter().enumerate() {
                    let text = serde_json::to_string_pretty(entry)
                        .map_err(|e| write_failure("JSON", e))?;
                    let opening = if self.count + i == 0 { "[\n" } else { ",\n" };
                    let indented: Vec<String> =
                        text.lines().map(|line| format!("  {line}")).collect();
                    write!(out, "{opening}{}", indented.join("\n"))
                        .map_err(|e| write_failure("JSON", e))?;
                }
                out.flush().map_err(|e| write_failure("JSON", e))?;
            }
        }
        self.count += entries.len();
        Ok(())
    }

    fn finish(mut self) -> Result<(), Failure> {
        match self.format {
            Format::Table => {
                output::print_rows(&COLUMNS.map(String::from), &self.rows, Format::Table)
            }
            Format::Csv => self
                .csv_writer()?
                .flush()
                .map_err(|e| write_failure("CSV", e)),
            Format::Json => {
                let closing = if self.count == 0 { "[]\n" } else { "\n]\n" };
                let mut out = std::io::stdout().lock();
                out.write_all(closing.as_bytes())
                    .and_then(|()| out.flush())
                    .map_err(|e| write_failure("JSON", e))
            }
        }
    }

    /// The failure of a page after others arrived (with `--all`): the table shows what came,
    /// and the message says how to fetch the rest. A JSON array is left unclosed, so that
    /// what was cut short never reads as a whole answer.
    fn stopped(self, failure: Failure, before: Option<i64>) -> Failure {
        let Some(cursor) = before.filter(|_| self.count > 0) else {
            return failure;
        };
        let count = self.count;
        if self.format == Format::Table {
            let _ = output::print_rows(&COLUMNS.map(String::from), &self.rows, Format::Table);
        }
        Failure {
            message: format!(
                "{} (after {count} entries; the rest: --before {cursor})",
                failure.message
            ),
            ..failure
        }
    }
}
