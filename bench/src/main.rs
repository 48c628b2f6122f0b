//! `dbforge-bench`: starts the `dbforge` server with fresh data directories, loads it over
//! HTTP, and prints a Markdown report (optionally written to `docs/BENCHMARKS.md`).
//!
//! ```sh
//! cargo build --release -p dbforge-cli
//! cargo run --release -p dbforge-bench -- all --write docs/BENCHMARKS.md
//! ```

mod error;
mod load;
mod report;
mod scenarios;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::error::{Context, Result, bail};
use crate::report::{Environment, Section};
use crate::scenarios::Settings;
use crate::server::Launcher;

/// Benchmarks a DB-Forge server: starts it, loads it, reports medians of rounds in Markdown.
#[derive(Debug, Parser)]
#[command(name = "dbforge-bench", version)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
    #[command(flatten)]
    options: Options,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
enum Scenario {
    /// Point reads by primary key vs `GET /health`, on 16 keep-alive connections.
    Reads,
    /// Concurrent single-row inserts, `--durability full` vs `normal` (group commit).
    Writes,
    /// Sequential database creation latency.
    Spawn,
    /// Point reads with the admin key vs a scoped key vs a token (what authentication costs).
    Auth,
    /// Thousands of databases: creation time, listing, stats, bounded memory.
    Scale,
    /// Every scenario, in the order above.
    All,
}

#[derive(Debug, Args)]
struct Options {
    /// The `dbforge` binary to benchmark [default: $CARGO_TARGET_DIR/release/dbforge, else
    /// target/release/dbforge, else next to this program].
    #[arg(long, global = true, value_name = "PATH")]
    server: Option<PathBuf>,

    /// Length of each measurement, in seconds.
    #[arg(long, global = true, default_value = "5", value_parser = parse_seconds)]
    seconds: Duration,

    /// Load sent before each measurement and not counted, in seconds.
    #[arg(long, global = true, default_value = "1", value_parser = parse_seconds)]
    warmup: Duration,

    /// How many times each measurement is repeated; the report gives the median.
    #[arg(long, global = true, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=99))]
    rounds: u32,

    /// Also write the report to this file (e.g. docs/BENCHMARKS.md).
    #[arg(long, global = true, value_name = "FILE")]
    write: Option<PathBuf>,

    /// reads: keep-alive connections sending requests.
    #[arg(long, global = true, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    connections: u32,

    /// reads: rows in the table.
    #[arg(long, global = true, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    rows: u64,

    /// writes: concurrent inserting clients (the single-client run is always added).
    #[arg(long, global = true, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    clients: u32,

    /// spawn: databases created per round.
    #[arg(long, global = true, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..))]
    spawn_count: u32,

    /// scale: databases created.
    #[arg(long, global = true, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(2..))]
    databases: u32,

    /// scale: connections creating (and then querying) the databases.
    #[arg(long, global = true, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    scale_connections: u32,

    /// scale: databases queried once each before reading the server's memory.
    #[arg(long, global = true, default_value_t = 2_000)]
    touch: u32,

    /// Directory in which the servers' temporary data directories are made [default: the
    /// system's temp dir]. Its file system matters: fsync is free on tmpfs.
    #[arg(long, global = true, value_name = "DIR")]
    data_root: Option<PathBuf>,

    /// The servers' log filter (their stderr is shown as is).
    #[arg(long, global = true, default_value = "warn")]
    server_log: String,

    /// Worker threads of the client's async runtime. One keeps the client's CPU use small on
    /// a machine it shares with the server.
    #[arg(long, global = true, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    client_threads: u32,
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(0.0..=3600.0).contains(&secs) {
        return Err("give between 0 and 3600 seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = cli.options.client_threads as usize;
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    let outcome = runtime
        .context("starting the async runtime")
        .and_then(|rt| rt.block_on(run(&cli)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dbforge-bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: &Cli) -> Result<()> {
    let o = &cli.options;
    if o.seconds.is_zero() {
        bail!("--seconds must be more than 0");
    }
    let binary = server_binary(o.server.as_deref())?;
    let version = server_version(&binary)?;
    let data_root = o.data_root.clone().unwrap_or_else(std::env::temp_dir);
    let settings = Settings {
        launcher: Launcher {
            binary,
            data_root: Some(data_root.clone()),
            log: o.server_log.clone(),
        },
        measure: o.seconds,
        warmup: o.warmup,
        rounds: o.rounds as usize,
        read_connections: o.connections as usize,
        rows: o.rows,
        write_clients: o.clients as usize,
        spawn_count: o.spawn_count as usize,
        scale_databases: o.databases as usize,
        scale_connections: o.scale_connections as usize,
        touch: o.touch as usize,
    };
    let chosen: &[Scenario] = match cli.scenario {
        Scenario::All => &[
            Scenario::Reads,
            Scenario::Auth,
            Scenario::Writes,
            Scenario::Spawn,
            Scenario::Scale,
        ],
        ref one => std::slice::from_ref(one),
    };
    let mut sections: Vec<Section> = Vec::new();
    for scenario in chosen {
        let section = match scenario {
            Scenario::Reads => scenarios::reads(&settings).await,
            Scenario::Writes => scenarios::writes(&settings).await,
            Scenario::Spawn => scenarios::spawn(&settings).await,
            Scenario::Auth => scenarios::auth(&settings).await,
            Scenario::Scale => scenarios::scale(&settings).await,
            Scenario::All => continue,
        };
        sections.push(section.context(format_args!("scenario {scenario:?}"))?);
    }
    let env = Environment {
        command: command_line(),
        server_version: version,
        rounds: settings.rounds,
        measure: settings.measure,
        warmup: settings.warmup,
        data_root: data_root.display().to_string(),
        client_threads: o.client_threads as usize,
    };
    let markdown = report::render(&env, &sections);
    print!("{markdown}");
    if let Some(path) = &o.write {
        std::fs::write(path, &markdown).context(format_args!("writing {}", path.display()))?;
        eprintln!("dbforge-bench: wrote {}", path.display());
    }
    Ok(())
}

/// The server binary: the flag, else where a release build puts it.
fn server_binary(flag: Option<&std::path::Path>) -> Result<PathBuf> {
    if let Some(path) = flag {
        if !path.is_file() {
            bail!("--server {}: no such file", path.display());
        }
        return Ok(path.to_path_buf());
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(dir).join("release/dbforge"));
    }
    candidates.push(PathBuf::from("target/release/dbforge"));
    // `cargo run --release -p dbforge-bench` puts this program next to the server binary.
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(PathBuf::from))
    {
        candidates.push(dir.join("dbforge"));
    }
    match candidates.iter().find(|p| p.is_file()) {
        Some(found) => Ok(found.clone()),
        None => bail!(
            "no dbforge binary at {}; build it with `cargo build --release -p dbforge-cli` or pass --server",
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `dbforge --version` prints `dbforge <version>`; also proves the binary runs at all.
fn server_version(binary: &std::path::Path) -> Result<String> {
    let output = std::process::Command::new(binary)
        .arg("--version")
        .output()
        .context(format_args!("running {} --version", binary.display()))?;
    if !output.status.success() {
        bail!("{} --version failed: {}", binary.display(), output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or("unknown")
        .to_owned())
}

/// This invocation as one would type it again, with `dbforge-bench` as the program name.
fn command_line() -> String {
    let quote = |arg: String| {
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
        if plain {
            arg
        } else {
            format!("'{}'", arg.replace('\'', r"'\''"))
        }
    };
    std::iter::once("dbforge-bench".to_owned())
        .chain(std::env::args().skip(1).map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}
