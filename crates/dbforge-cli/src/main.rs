//! The `dbforge` binary: `dbforge serve` runs the gateway; the other subcommands are clients
//! of a running gateway.

mod audit;
mod commands;
mod import;
mod keys;
mod lifecycle;
mod output;
mod shell;
mod transfer;
mod tui;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use dbforge_server::ServeConfig;

/// mimalloc rather than glibc's allocator: the server frees much of what it allocates on
/// another thread, and glibc's slow paths for that cost point reads about a tenth of their
/// throughput (measured in docs/BENCHMARKS.md). SQLite keeps its own (system) allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// DB-Forge: SQLite databases on demand over HTTP.
#[derive(Debug, Parser)]
#[command(name = "dbforge", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    connection: commands::Connection,
}

#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once per run; boxing the serve settings would only add noise"
)]
enum Command {
    /// Run the gateway: REST API, API docs, health and metrics on one port.
    Serve(ServeConfig),
    /// Manage databases: list, create (--ttl), info, update (time to live, backup schedule),
    /// delete.
    #[command(subcommand)]
    Db(commands::DbCommand),
    /// Manage a database's backups: create, list, download, restore (as a new database or in
    /// place), delete.
    #[command(subcommand)]
    Backup(lifecycle::BackupCommand),
    /// Branch a database: NEW becomes an independent copy of DATABASE as it is now.
    Branch(lifecycle::BranchArgs),
    /// Run SQL: `dbforge sql shop "SELECT * FROM items WHERE id = ?" --param 1`.
    Sql(commands::SqlArgs),
    /// List a database's tables and views with their columns.
    Tables {
        database: String,
        #[arg(long, value_enum, default_value = "table")]
        format: commands::Format,
    },
    /// Show the gateway's statistics.
    Stats,
    /// Manage scoped API keys: create, list, revoke, rotate (admins only).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Mint a token for one database and print it, or revoke tokens with --revoke.
    ///
    /// `TOKEN=$(dbforge token shop)`; a token works wherever a key does: `dbforge --api-key
    /// "$TOKEN" sql shop ...`, libSQL's `authToken`, the Rust and Python clients.
    Token(keys::TokenArgs),
    /// Show the audit log, newest first: admin actions and writes, with who, when, from where
    /// and how they ended (admins only).
    ///
    /// One page (--limit, 100 by default) unless --all; when more entries exist, standard
    /// error says how to get them (--before).
    Audit(audit::AuditArgs),
    /// Read a table's rows: paging, ordering and equality filters.
    Rows(commands::RowsArgs),
    /// Export a database, a table or a query's rows: a SQL dump (the default), CSV, JSON,
    /// NDJSON or the SQLite file itself, streamed to standard output or to a file (-o).
    ///
    /// No row limit; the rows are one consistent point in time. An export that fails midway
    /// is an error (exit 3), never a shorter file: with -o, FILE appears only once complete.
    Export(transfer::ExportArgs),
    /// Import a file, all or nothing: a SQL dump, CSV, JSON or NDJSON loads into the
    /// database (created when missing); a SQLite file becomes a new database.
    ///
    /// The format comes from the file's extension unless --format says it; a failure names
    /// the line (or row) and leaves nothing behind.
    Import(transfer::ImportArgs),
    /// Insert rows from a JSON-lines or CSV file, in batches, with a progress bar.
    Insert(import::InsertArgs),
    /// An interactive SQL shell on one database (like sqlite3; `.help` inside).
    Shell { database: String },
    /// A full-screen terminal UI: databases, tables, a SQL editor, results and live stats.
    Tui,
    /// Print a shell completion script: `dbforge completions bash > /etc/bash_completion.d/dbforge`.
    Completions { shell: clap_complete::Shell },
}

/// Parses the command line; for `serve --config FILE`, the file's settings become the flags'
/// defaults, so that the precedence is file < environment < flag.
fn parse() -> Result<Cli, String> {
    let cli = Cli::parse();
    let Command::Serve(serve) = &cli.command else {
        return Ok(cli);
    };
    let Some(path) = serve.config.clone() else {
        return Ok(cli);
    };
    let mut command = Cli::command();
    let known: Vec<String> = command
        .find_subcommand("serve")
        .map(|s| s.get_arguments().map(|a| a.get_id().to_string()).collect())
        .unwrap_or_default();
    let defaults = dbforge_server::config::read_config_file(&path, &known)?;
    command = command.mut_subcommand("serve", |mut serve| {
        for (id, value) in defaults {
            serve = serve.mut_arg(id, |arg| arg.default_value(value));
        }
        serve
    });
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // SQLite runs on the runtime's blocking threads; some of its work recurses deeply
        // (pattern matching, nested expressions, JSON): give it room (address space only).
        .thread_stack_size(dbforge_server::SQL_THREAD_STACK_BYTES)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let connection = cli.connection;
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(config) => dbforge_server::serve(config)
                .await
                .map_err(|message| commands::Failure { message, code: 1 }),
            Command::Db(command) => commands::db(&connection, command).await,
            Command::Backup(command) => lifecycle::backup(&connection, command).await,
            Command::Branch(args) => lifecycle::branch(&connection, args).await,
            Command::Sql(args) => commands::sql(&connection, args).await,
            Command::Tables { database, format } => {
                commands::tables(&connection, &database, format).await
            }
            Command::Stats => commands::stats(&connection).await,
            Command::Keys(command) => keys::keys(&connection, command).await,
            Command::Token(args) => keys::token(&connection, args).await,
            Command::Audit(args) => audit::audit(&connection, args).await,
            Command::Shell { database } => shell::shell(&connection, database).await,
            Command::Tui => tui::run(connection.client()?)
                .await
                .map_err(|message| commands::Failure { message, code: 1 }),
            Command::Insert(args) => import::insert(&connection, args).await,
            Command::Rows(args) => commands::rows(&connection, args).await,
            Command::Export(args) => transfer::export(&connection, args).await,
            Command::Import(args) => transfer::import(&connection, args).await,
            Command::Completions { shell } => {
                clap_complete::generate(
                    shell,
                    &mut Cli::command(),
                    "dbforge",
                    &mut std::io::stdout(),
                );
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
