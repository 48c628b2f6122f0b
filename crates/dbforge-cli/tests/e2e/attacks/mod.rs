//! Attack tests against the real binary: each one plays a hostile tenant or an anonymous
//! client (loopback only, bounded in time and count) while a prober checks that `/health` and
//! another tenant's `SELECT 1` keep answering fast, that the server's memory stays within a
//! bound, and that it never exits. One module per class of finding.

mod connections;
mod observability;
mod results;
mod sandbox;
mod smaller;
mod statements;
mod storage;
mod streams;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{ADMIN_KEY, Api, Launch, Server};

/// The most `/health` or the other tenant's `SELECT 1` may take while an attack runs.
pub const PROBE_LIMIT: Duration = Duration::from_millis(500);

/// Where the prober connects from; attackers connect from 127.0.0.1.
pub const PROBE_ADDRESS: [u8; 4] = [127, 0, 0, 2];

/// The database of the tenant who is not attacking.
pub const BYSTANDER: &str = "bystander";

/// A server under attack, with a bystander tenant and a prober.
pub struct Siege {
    pub server: Server,
    pub api: Api,
    pub data: tempfile::TempDir,
}

/// What the prober saw while an attack ran.
#[derive(Debug, Default, Clone)]
pub struct Watch {
    pub probes: u32,
    pub slowest_health: Duration,
    pub slowest_bystander: Duration,
    pub failures: Vec<String>,
    pub peak_rss_bytes: u64,
    /// Probes that took longer than [`PROBE_LIMIT`]: when (since the prober started) and
    /// how long each part took.
    pub slow: Vec<String>,
}

impl Siege {
    /// Starts `dbforge serve` with the test key and `args`, and creates the bystander's
    /// database.
    pub async fn start(args: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("data dir");
        let server = Launch::serve_with_key(data.path())
            .args(["--log", "warn"])
            .args(args)
            .start();
        Self::adopt(server, data).await
    }

    /// Lays siege to a server started otherwise (in `data`, with the test key).
    pub async fn adopt(server: Server, data: tempfile::TempDir) -> Self {
        let api = Api::new(server.url(), Some(ADMIN_KEY));
        api.spawn(BYSTANDER).await;
        api.query(BYSTANDER, "SELECT 1", json!([])).await;
        Self { server, api, data }
    }

    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// Runs `attack` while probing the server every 50 ms from a thread of its own (so the
    /// attack's own load on the test process cannot hide a slow server), then checks the
    /// server is still up. Returns what the attack returned and what the prober saw.
    pub async fn during<T>(&self, attack: impl std::future::Future<Output = T>) -> (T, Watch) {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Watch::default()));
        let prober = {
            let (stop, seen) = (Arc::clone(&stop), Arc::clone(&seen));
            let url = self.url().to_owned();
            let pid = self.server.pid();
            thread::spawn(move || probe(&url, pid, &stop, &seen))
        };
        let result = attack.await;
        // A quick attack may end before the first probe: let one finish, so the server is
        // seen serving others at least once around it.
        let waited = Instant::now();
        while seen.lock().expect("probe results").probes == 0
            && waited.elapsed() < Duration::from_secs(5)
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.store(true, Ordering::Relaxed);
        prober.join().expect("the prober ends");
        let watch = seen.lock().expect("probe results").clone();
        self.assert_alive().await;
        (result, watch)
    }

    /// The server still answers and its process has not exited.
    pub async fn assert_alive(&self) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.server.pid()))
            .expect("the server process exists");
        assert!(
            !stat.contains(") Z "),
            "the server exited:\n{}",
            self.server.stderr()
        );
        self.api.health().await;
    }
}

impl Watch {
    /// `/health` and the bystander stayed fast and never failed, over enough probes to mean
    /// something.
    pub fn assert_unharmed(&self, what: &str) {
        assert!(self.probes >= 1, "{what}: no probe ran");
        assert!(
            self.failures.is_empty(),
            "{what}: probes failed: {:?}",
            self.failures
        );
        assert!(
            self.slowest_health < PROBE_LIMIT && self.slowest_bystander < PROBE_LIMIT,
            "{what}: the server slowed down for others: {self:?}"
        );
    }

    pub fn assert_memory_below(&self, bytes: u64, what: &str) {
        assert!(
            self.peak_rss_bytes < bytes,
            "{what}: the server's memory reached {} MiB (bound {} MiB)",
            self.peak_rss_bytes >> 20,
            bytes >> 20
        );
    }
}

/// The prober: on its own thread and runtime, over its own keep-alive connection.
fn probe(url: &str, pid: u32, stop: &AtomicBool, seen: &Mutex<Watch>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("prober runtime");
    runtime.block_on(async {
        // From an address of its own: an attacker on 127.0.0.1 cannot take its connections.
        let api = Api::connecting_from(url, Some(ADMIN_KEY), Some(PROBE_ADDRESS.into()));
        let began = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            let at = began.elapsed();
            let started = Instant::now();
            let health = api.try_send(reqwest::Method::GET, "/health", None).await;
            let health_took = started.elapsed();
            let started = Instant::now();
            let bystander = api.try_query(BYSTANDER, "SELECT 1 AS one", json!([])).await;
            let bystander_took = started.elapsed();
            let rss = rss_bytes(pid);
            record(
                seen,
                at,
                health_took,
                bystander_took,
                rss,
                health,
                bystander,
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
}

type Answer = reqwest::Result<(reqwest::StatusCode, serde_json::Value)>;

/// Adds one round of probes to what the prober saw.
fn record(
    seen: &Mutex<Watch>,
    at: Duration,
    health_took: Duration,
    bystander_took: Duration,
    rss: u64,
    health: Answer,
    bystander: Answer,
) {
    let mut watch = seen.lock().expect("probe results");
    watch.probes += 1;
    if health_took.max(bystander_took) >= PROBE_LIMIT {
        watch.slow.push(format!(
            "at {at:?}: health {health_took:?}, bystander {bystander_took:?}"
        ));
    }
    watch.slowest_health = watch.slowest_health.max(health_took);
    watch.slowest_bystander = watch.slowest_bystander.max(bystander_took);
    watch.peak_rss_bytes = watch.peak_rss_bytes.max(rss);
    match health {
        Ok((status, _)) if status.is_success() => {}
        other => watch.failures.push(format!("health: {other:?}")),
    }
    match bystander {
        Ok((status, body)) if status.is_success() && body["rows"][0]["one"] == 1 => {}
        other => watch.failures.push(format!("bystander: {other:?}")),
    }
}

/// Resident memory of a process (`VmRSS`), 0 when it cannot be read.
pub fn rss_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

/// CPU time (user + system) a process has used so far.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after its closing paren.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    // The kernel's clock ticks per second (USER_HZ) are 100 on Linux.
    Duration::from_millis(ticks * 10)
}
