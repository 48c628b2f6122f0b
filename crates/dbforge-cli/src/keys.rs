//! `dbforge keys` (scoped API keys: create, list, revoke, rotate) and `dbforge token`
//! (per-database tokens: mint, revoke) against a running gateway, through the Rust client.

use clap::{Args, Subcommand, ValueEnum};
use dbforge_client::api::{
    CreateKeyRequest, CreatedKey, KeyInfo, Role, TokenAccess, TokensRevoked,
};

use crate::commands::{Connection, Failure, Format, usage};
use crate::output;

/// How a single answer is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnswerFormat {
    /// Plain text.
    Text,
    /// The server's whole answer, as JSON.
    Json,
}

/// A key's role, with the wire names (`read-write` is accepted too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Everything, like the bootstrap admin key.
    Admin,
    /// Read and write the data of its databases.
    #[value(name = "read_write", alias = "read-write")]
    ReadWrite,
    /// Read the data of its databases.
    #[value(name = "read_only", alias = "read-only")]
    ReadOnly,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::ReadWrite => Role::ReadWrite,
            RoleArg::ReadOnly => Role::ReadOnly,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed this once (the server keeps only a hash).
    Create {
        /// A label for people (1-100 characters).
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The databases the key reaches: names and prefixes ending in `*`, comma-separated
        /// or repeated (`--databases 'shop,ci-*'`; `'*'` is every database). Not needed for
        /// admin keys.
        #[arg(long, value_delimiter = ',', value_name = "NAMES")]
        databases: Vec<String>,
        /// The key may also create (and delete) databases its patterns match.
        #[arg(long)]
        can_create: bool,
        /// When the key stops working, RFC 3339 in UTC (2027-01-31T00:00:00Z) [default: never].
        #[arg(long, value_name = "TIME")]
        expires_at: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: AnswerFormat,
    },
    /// List the keys (never their secrets).
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Revoke a key at once: its next request is refused.
    Revoke {
        /// The key's id (`key_...`, from `dbforge keys list`).
        id: String,
    },
    /// Give a key a new secret with the same grants; the old secret stops working at once.
    Rotate {
        /// The key's id (`key_...`, from `dbforge keys list`).
        id: String,
        #[arg(long, value_enum, default_value = "text")]
        format: AnswerFormat,
    },
}

/// `dbforge token`'s arguments.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The database the token is for (or whose tokens --revoke revokes).
    #[arg(required_unless_present = "all")]
    pub database: Option<String>,
    /// A token that only reads (the default).
    #[arg(long, conflicts_with = "read_write")]
    pub read_only: bool,
    /// A token that reads and writes the database's data.
    #[arg(long)]
    pub read_write: bool,
    /// How long the token works: 90s, 15m, 1h, 7d [default: the server's, 1h].
    #[arg(long, visible_alias = "expires-in", value_name = "DURATION")]
    pub expires: Option<String>,
    /// Revoke every token of DATABASE minted so far instead of minting one.
    #[arg(long, conflicts_with_all = ["read_only", "read_write", "expires"])]
    pub revoke: bool,
    /// With --revoke: every token of the server, whatever its database (admins only).
    #[arg(long, requires = "revoke", conflicts_with = "database")]
    pub all: bool,
    /// text: the token alone, for `TOKEN=$(dbforge token shop)` (with --revoke, a sentence);
    /// json: the server's whole answer (token, id, database, access, expires_at).
    #[arg(long, value_enum, default_value = "text")]
    pub format: AnswerFormat,
}

pub async fn keys(connection: &Connection, command: KeysCommand) -> Result<(), Failure> {
    let client = connection.client()?;
    match command {
        KeysCommand::Create {
            name,
            role,
            databases,
            can_create,
            expires_at,
            format,
        } => {
            let request = CreateKeyRequest {
                name,
                role: role.into(),
                databases,
                can_create,
                expires_at,
            };
            let created = client.create_key(&request).await?;
            let heading = format!("created key {}", created.key.id);
            print_created(&created, &heading, format)
        }
        KeysCommand::List { format } => {
            let keys = client.list_keys().await?.keys;
            if format == Format::Json {
                return output::print_json(&keys);
            }
            let rows: Vec<serde_json::Value> = keys
                .iter()
                .map(|key| {
                    serde_json::json!({
                        "id": key.id,
                        "name": key.name,
                        "prefix": key.prefix,
                        "role": key.role.as_str(),
                        "databases": reach(key, ","),
                        "can_create": key.can_create,
                        "created_at": key.created_at,
                        "expires_at": key.expires_at,
                        "last_used_at": key.last_used_at,
                    })
                })
                .collect();
            let columns = [
                "id",
                "name",
                "prefix",
                "role",
                "databases",
                "can_create",
                "created_at",
                "expires_at",
                "last_used_at",
            ];
            output::print_rows(&columns.map(String::from), &rows, format)
        }
        KeysCommand::Revoke { id } => {
            client.revoke_key(&id).await?;
            println!("revoked key {id}");
            Ok(())
        }
        KeysCommand::Rotate { id, format } => {
            let rotated = client.rotate_key(&id).await?;
            let heading = format!("rotated key {id}: the old secret no longer works");
            print_created(&rotated, &heading, format)
        }
    }
}

/// Prints a created or rotated key: its details, then its secret last, on a line of its own.
fn print_created(created: &CreatedKey, heading: &str, format: AnswerFormat) -> Result<(), Failure> {
    if format == AnswerFormat::Json {
        return output::print_json(created);
    }
    println!("{heading}");
    print_key(&created.key);
    println!();
    println!("secret (shown only this once; store it now, the server keeps only its hash):");
    println!("{}", created.secret);
    Ok(())
}

fn print_key(key: &KeyInfo) {
    let databases = reach(key, ", ");
    let yes_no = |flag: bool| if flag { "yes" } else { "no" };
    let fields = [
        ("name", key.name.as_str()),
        ("prefix", key.prefix.as_str()),
        ("role", key.role.as_str()),
        ("databases", databases.as_str()),
        ("can create", yes_no(key.can_create)),
        ("created at", key.created_at.as_str()),
        ("expires at", key.expires_at.as_deref().unwrap_or("never")),
    ];
    for (label, value) in fields {
        println!("  {:<12}{value}", format!("{label}:"));
    }
}

/// The databases a key reaches, for people: `*` (every one) for an admin key, whose patterns
/// the server ignores, else its patterns joined by `separator`.
fn reach(key: &KeyInfo, separator: &str) -> String {
    if key.role == Role::Admin {
        "*".to_owned()
    } else {
        key.databases.join(separator)
    }
}

pub async fn token(connection: &Connection, args: TokenArgs) -> Result<(), Failure> {
    let client = connection.client()?;
    let database = args.database.as_deref();
    if args.revoke {
        let revoked = match (database, args.all) {
            (_, true) => client.revoke_all_tokens().await?,
            (Some(database), false) => client.revoke_database_tokens(database).await?,
            (None, false) => {
                return Err(usage("name the database whose tokens to revoke, or --all"));
            }
        };
        return print_revoked(&revoked, args.format);
    }
    let Some(database) = database else {
        return Err(usage("name the database to mint a token for"));
    };
    let access = if args.read_write {
        TokenAccess::ReadWrite
    } else {
        TokenAccess::ReadOnly
    };
    let minted = client
        .mint_token(database, access, args.expires.as_deref())
        .await?;
    match args.format {
        AnswerFormat::Json => output::print_json(&minted),
        AnswerFormat::Text => {
            println!("{}", minted.token);
            Ok(())
        }
    }
}

fn print_revoked(revoked: &TokensRevoked, format: AnswerFormat) -> Result<(), Failure> {
    if format == AnswerFormat::Json {
        return output::print_json(revoked);
    }
    match &revoked.database {
        Some(database) => println!(
            "revoked every token of {database} minted so far (revocation epoch {})",
            revoked.epoch
        ),
        None => println!(
            "revoked every token of the server minted so far (revocation epoch {})",
            revoked.epoch
        ),
    }
    Ok(())
}
