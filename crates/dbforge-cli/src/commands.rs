//! The client subcommands of `dbforge`: databases, SQL, tables and stats against a running
//! gateway, through the Rust client.

use std::io::Read as _;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use dbforge_client::api::{
    DatabaseLimits, QueryRequest, QueryResponse, SpawnRequest, StatementResult,
};
use dbforge_client::{Client, Params, Value};

use crate::{lifecycle, output};

/// Where the gateway is and how to authenticate: flags, else environment, else the profile
/// in `$XDG_CONFIG_HOME/dbforge/profiles.toml` (or `~/.config/dbforge/profiles.toml`), e.g.
/// `[default]` / `url = "http://127.0.0.1:8081"` / `api_key = "..."`.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The gateway's URL [default: the profile's, else http://127.0.0.1:8081].
    #[arg(long, global = true, env = "DBFORGE_URL")]
    pub url: Option<String>,
    /// The API key [default: the profile's].
    #[arg(long, global = true, env = "DBFORGE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// A PEM file of certificates to trust for `https://` besides the system's (a server
    /// with a private or self-signed certificate).
    #[arg(long, global = true, env = "DBFORGE_CA_CERT", value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// The profile to read from the profile file.
    #[arg(
        long,
        global = true,
        env = "DBFORGE_PROFILE",
        default_value = "default"
    )]
    pub profile: String,
}

/// One profile of the profile file.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    url: Option<String>,
    api_key: Option<String>,
}

fn profile_path() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config.join("dbforge").join("profiles.toml"))
}

impl Connection {
    fn profile(&self) -> Result<Profile, Failure> {
        let Some(path) = profile_path() else {
            return Ok(Profile::default());
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Profile::default()),
            Err(e) => return Err(usage(format!("cannot read {}: {e}", path.display()))),
        };
        let mut profiles: std::collections::HashMap<String, Profile> = toml::from_str(&text)
            .map_err(|e| {
                usage(format!(
                    "{} is not a valid profile file: {e}",
                    path.display()
                ))
            })?;
        match profiles.remove(&self.profile) {
            Some(profile) => Ok(profile),
            None if self.profile == "default" => Ok(Profile::default()),
            None => Err(usage(format!(
                "no profile [{}] in {}",
                self.profile,
                path.display()
            ))),
        }
    }

    pub fn client(&self) -> Result<Client, Failure> {
        self.client_with(None)
    }

    /// A client that waits up to `timeout` for an answer (the default is 30 s): for backups,
    /// restores and downloads, which take as long as the database is large.
    pub fn client_with_timeout(&self, timeout: std::time::Duration) -> Result<Client, Failure> {
        self.client_with(Some(timeout))
    }

    fn client_with(&self, timeout: Option<std::time::Duration>) -> Result<Client, Failure> {
        let profile = if self.url.is_some() && self.api_key.is_some() {
            Profile::default()
        } else {
            self.profile()?
        };
        let url = self
            .url
            .clone()
            .or(profile.url)
            .unwrap_or_else(|| "http://127.0.0.1:8081".into());
        let mut builder = Client::builder(url);
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(path) = &self.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| usage(format!("--ca-cert {}: {e}", path.display())))?;
            builder = builder.ca_certificate(pem);
        }
        let client = match self.api_key.clone().or(profile.api_key) {
            Some(key) => builder.api_key(key).build(),
            None => builder.build(),
        };
        Ok(client?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// List databases (every page), with their expiry, parent and backup state.
    List {
        /// Only names starting with this.
        #[arg(long)]
        prefix: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Create a database.
    Create {
        name: String,
        /// Size quota, e.g. 64MiB (default: the server's).
        #[arg(long, value_parser = dbforge_server::config::parse_size)]
        max_size: Option<u64>,
        /// Time to live: the database is deleted once it has passed (30m, 2h, 7d; 1s to 100
        /// years). `dbforge db update --ttl/--no-ttl` changes it.
        #[arg(long, value_name = "DURATION")]
        ttl: Option<String>,
    },
    /// Show one database's details (JSON): with `expires_at`, `branched_from` and `backups`
    /// when they apply.
    Info { name: String },
    /// Change a database's time to live or backup schedule; what is not named stays as it is.
    Update(lifecycle::UpdateArgs),
    /// Delete a database and its files.
    Delete { name: String },
}

/// `dbforge sql`'s arguments.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The database.
    pub database: String,
    /// The SQL; read from --file or standard input when absent or `-`.
    pub sql: Option<String>,
    /// Read the SQL from this file.
    #[arg(long, short = 'f', conflicts_with = "sql")]
    pub file: Option<PathBuf>,
    /// A positional parameter (repeatable): JSON (42, null, "text", {"base64": "..."}) or
    /// else taken as text.
    #[arg(long = "param", short = 'p')]
    pub params: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// A CLI failure: what to print and the exit code.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl From<dbforge_client::Error> for Failure {
    fn from(e: dbforge_client::Error) -> Self {
        match &e {
            dbforge_client::Error::Api { code, message, .. } => Failure {
                message: format!("{}: {message}", code.as_str()),
                code: 1,
            },
            other => Failure {
                message: other.to_string(),
                code: 3,
            },
        }
    }
}

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 2,
    }
}

pub async fn db(connection: &Connection, command: DbCommand) -> Result<(), Failure> {
    let client = connection.client()?;
    match command {
        DbCommand::List { prefix, format } => {
            let mut databases = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = client
                    .list_databases(Some(1000), after.as_deref(), prefix.as_deref())
                    .await?;
                databases.extend(page.databases);
                match page.next_cursor {
                    Some(cursor) => after = Some(cursor),
                    None => break,
                }
            }
            if format == Format::Json {
                return output::print_json(&databases);
            }
            let rows: Vec<serde_json::Value> =
                databases.iter().map(lifecycle::database_row).collect();
            output::print_rows(
                &lifecycle::DATABASE_COLUMNS.map(String::from),
                &rows,
                format,
            )
        }
        DbCommand::Create {
            name,
            max_size,
            ttl,
        } => {
            let request = SpawnRequest {
                limits: DatabaseLimits {
                    max_size_bytes: max_size,
                },
                ttl,
            };
            let info = client.spawn(&name, &request).await?;
            match &info.expires_at {
                Some(at) => println!("created {} (expires at {at})", info.name),
                None => println!("created {}", info.name),
            }
            Ok(())
        }
        DbCommand::Update(args) => lifecycle::update(connection, args).await,
        DbCommand::Info { name } => output::print_json(&client.database(&name).await?),
        DbCommand::Delete { name } => {
            let deleted = client.delete_database(&name).await?;
            println!("deleted {}", deleted.deleted);
            Ok(())
        }
    }
}

fn read_sql(args: &SqlArgs) -> Result<String, Failure> {
    if let Some(path) = &args.file {
        return std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read {}: {e}", path.display())));
    }
    match args.sql.as_deref() {
        Some(sql) if sql != "-" => Ok(sql.to_owned()),
        _ => {
            let mut sql = String::new();
            std::io::stdin()
                .read_to_string(&mut sql)
                .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
            Ok(sql)
        }
    }
}

/// A `--param`: JSON when it parses as a value, else text.
fn param(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::Text(raw.to_owned()))
}

pub async fn sql(connection: &Connection, args: SqlArgs) -> Result<(), Failure> {
    let sql = read_sql(&args)?;
    if sql.trim().is_empty() {
        return Err(usage("no SQL given"));
    }
    let params = if args.params.is_empty() {
        Params::None
    } else {
        Params::Positional(args.params.iter().map(|p| param(p)).collect())
    };
    let request = QueryRequest {
        sql: Some(sql),
        params,
        ..QueryRequest::default()
    };
    let client = connection.client()?;
    let results = match client.query(&args.database, &request).await? {
        QueryResponse::Single(result) => vec![result],
        QueryResponse::Batch(batch) => batch.results,
    };
    if args.format == Format::Json {
        return output::print_json(&results);
    }
    for result in &results {
        print_result(result, args.format)?;
    }
    Ok(())
}

pub(crate) fn print_result(result: &StatementResult, format: Format) -> Result<(), Failure> {
    if result.columns.is_empty() {
        if format == Format::Table {
            println!("{} row(s) affected", result.rows_affected);
        }
        return Ok(());
    }
    output::print_rows(&result.columns, &result.rows, format)?;
    if result.truncated {
        eprintln!("(result truncated at the server's limit)");
    }
    Ok(())
}

pub async fn tables(
    connection: &Connection,
    database: &str,
    format: Format,
) -> Result<(), Failure> {
    let tables = connection.client()?.tables(database).await?.tables;
    if format == Format::Json {
        return output::print_json(&tables);
    }
    let rows: Vec<serde_json::Value> = tables
        .iter()
        .map(|t| {
            let columns: Vec<String> = t
                .columns
                .iter()
                .map(|c| format!("{} {}", c.name, c.column_type).trim().to_owned())
                .collect();
            serde_json::json!({"name": t.name, "type": t.kind, "columns": columns.join(", ")})
        })
        .collect();
    output::print_rows(
        &["name", "type", "columns"].map(String::from),
        &rows,
        format,
    )
}

/// `dbforge rows`'s arguments.
#[derive(Debug, Args)]
pub struct RowsArgs {
    pub database: String,
    pub table: String,
    /// Rows to show.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    /// Rows to skip.
    #[arg(long)]
    pub offset: Option<u64>,
    /// Column to order by.
    #[arg(long)]
    pub order_by: Option<String>,
    /// Order descending.
    #[arg(long)]
    pub desc: bool,
    /// An equality filter `column=value` (repeatable).
    #[arg(long = "where", short = 'w', value_name = "COLUMN=VALUE")]
    pub filters: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

pub async fn rows(connection: &Connection, args: RowsArgs) -> Result<(), Failure> {
    let filters = args
        .filters
        .iter()
        .map(|f| {
            f.split_once('=')
                .map(|(c, v)| (c.to_owned(), v.to_owned()))
                .ok_or_else(|| usage(format!("--where takes COLUMN=VALUE, not {f:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let query = dbforge_client::RowsQuery {
        limit: Some(args.limit),
        offset: args.offset,
        order_by: args.order_by,
        descending: args.desc,
        filters,
        ..dbforge_client::RowsQuery::default()
    };
    let page = connection
        .client()?
        .read_rows(&args.database, &args.table, &query)
        .await?;
    output::print_rows(&page.columns, &page.rows, args.format)
}

pub async fn stats(connection: &Connection) -> Result<(), Failure> {
    output::print_json(&connection.client()?.stats().await?)
}
