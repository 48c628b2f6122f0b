//! Starting and stopping the `dbforge` server under test: each instance gets a fresh temporary
//! data directory and a random admin key, listens on a free port (`--listen 127.0.0.1:0`), and
//! announces its address on the first line of its stdout, which is parsed here.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::error::{Context, Result, bail};

/// Longest the server may take to print its address (a cold start opens the catalog only).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The server's `--durability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Full,
    Normal,
}

impl Durability {
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::Full => "full",
            Durability::Normal => "normal",
        }
    }
}

/// How to start servers; shared by every scenario.
#[derive(Debug, Clone)]
pub struct Launcher {
    pub binary: PathBuf,
    /// Where the temporary data directories are created (None: the system temp dir).
    pub data_root: Option<PathBuf>,
    /// The server's `--log` filter.
    pub log: String,
}

/// A running server. Dropping it kills the process (and then removes its data directory);
/// [`Server::stop`] does the same but also waits for the process to be gone.
pub struct Server {
    // Declared before `dir` so that, on drop, the process is killed before its files go.
    child: Child,
    pid: u32,
    addr: SocketAddr,
    key: String,
    dir: tempfile::TempDir,
}

impl Launcher {
    /// Starts a server with a fresh data directory and the given extra flags.
    pub async fn start(&self, durability: Durability, extra: &[&str]) -> Result<Server> {
        let dir = match &self.data_root {
            Some(root) => tempfile::Builder::new()
                .prefix("dbforge-bench-")
                .tempdir_in(root),
            None => tempfile::Builder::new().prefix("dbforge-bench-").tempdir(),
        }
        .context("creating a temporary data directory")?;
        let key = random_key();
        let mut child = Command::new(&self.binary)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(["--admin-key", &key])
            .args(["--durability", durability.as_str()])
            .args(["--log", &self.log])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // The server's warnings and errors go straight to our stderr, next to our progress.
            .stderr(Stdio::inherit())
            // A backstop for early returns: `stop` is the normal way out.
            .kill_on_drop(true)
            .spawn()
            .context(format_args!("starting {}", self.binary.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(START_TIMEOUT, lines.next_line())
            .await
            .map_err(|_| {
                crate::error::Error::msg(format!(
                    "the server printed nothing within {START_TIMEOUT:?}"
                ))
            })?
            .context("reading the server's stdout")?;
        let Some(first) = first else {
            let status = child.wait().await.context("waiting for the server")?;
            bail!(
                "the server exited before announcing its address ({status}); see its stderr above"
            );
        };
        let addr = parse_announcement(&first)?;
        // Keep reading so that the server can never block on a full stdout pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server {
            child,
            pid,
            addr,
            key,
            dir,
        })
    }
}

impl Server {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The server's resident memory in KiB (`VmRSS` of `/proc/<pid>/status`).
    pub fn rss_kib(&self) -> Result<u64> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).context(format_args!("reading {path}"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context(format_args!("no VmRSS line in {path}"))
    }

    /// Kills the server and waits for it, then removes its data directory. A benchmark has no
    /// use for a graceful shutdown, which would checkpoint every open database first.
    pub async fn stop(mut self) -> Result<()> {
        self.child.kill().await.context("killing the server")?;
        self.dir.close().context("removing the data directory")?;
        Ok(())
    }
}

/// Parses `DB-Forge <version> listening on http://<addr>` into the address.
fn parse_announcement(line: &str) -> Result<SocketAddr> {
    let parsed = line.strip_prefix("DB-Forge ").and_then(|rest| {
        let (_version, url) = rest.split_once(" listening on http://")?;
        url.trim().trim_end_matches('/').parse().ok()
    });
    parsed.context(format_args!(
        "unexpected first line from the server: {line:?} (expected `DB-Forge <version> listening on http://<address>`)"
    ))
}

/// A key nobody else would guess for the few seconds a benchmark server lives; no need for a
/// cryptographic generator in a tool that only talks to 127.0.0.1.
fn random_key() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut rng = crate::load::Rng::new(nanos as u64 ^ u64::from(std::process::id()));
    format!("bench-{:016x}{:016x}", rng.next_u64(), rng.next_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcement_is_parsed() {
        let addr =
            parse_announcement("DB-Forge 0.1.0 listening on http://127.0.0.1:40123").expect("ok");
        assert_eq!(addr, "127.0.0.1:40123".parse().expect("addr"));
        assert!(parse_announcement("something else").is_err());
    }
}
