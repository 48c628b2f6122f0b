//! `writes`: many clients inserting single rows into one database. Every insert is its own
//! request and is acknowledged only once committed, so the figure shows how well group commit
//! shares one fsync between concurrent requests: with it, `--durability full` (an fsync per
//! commit) should come close to `normal` (no fsync at commit).

use std::fmt::Write as _;
use std::sync::Arc;

use hyper::Method;
use hyper::body::Bytes;

use super::{Settings, create_table_t, progress};
use crate::error::{Context, Result};
use crate::load::{Conn, Job, Phase, Pool, Workload};
use crate::report::{self, Rounds, Section, Table, Target, median};
use crate::server::Durability;

const DB: &str = "writes";
const GOAL: f64 = 0.8;

/// One measurement: a load phase and the group-commit figures of the server over it.
struct Measured {
    phase: Phase,
    /// Committed requests per commit over the measured phase.
    per_commit: f64,
}

/// Rounds of one configuration, with their requests per commit.
#[derive(Default)]
struct Series {
    rounds: Rounds,
    per_commit: Vec<f64>,
}

impl Series {
    fn push(&mut self, m: &Measured) {
        self.rounds.push(&m.phase);
        self.per_commit.push(m.per_commit);
    }
}

pub async fn writes(settings: &Settings) -> Result<Section> {
    let clients = settings.write_clients;
    let mut full = Series::default();
    let mut normal = Series::default();
    let mut single = Series::default();
    let mut ratios = Vec::new();
    for round in 1..=settings.rounds {
        // Alternate which configuration goes first, so a slow drift of the machine (another
        // build, page cache) does not always favour the same one.
        let order = if round % 2 == 1 {
            [Durability::Full, Durability::Normal]
        } else {
            [Durability::Normal, Durability::Full]
        };
        let mut rates = [0.0; 2];
        for durability in order {
            let m = measure(settings, durability, clients).await?;
            progress!(
                "writes: round {round}/{}: {clients} clients, durability {}: {} rows/s, {:.1} requests/commit",
                settings.rounds,
                durability.as_str(),
                report::rate(m.phase.rate()),
                m.per_commit
            );
            match durability {
                Durability::Full => {
                    rates[0] = m.phase.rate();
                    full.push(&m);
                }
                Durability::Normal => {
                    rates[1] = m.phase.rate();
                    normal.push(&m);
                }
            }
        }
        ratios.push(if rates[1] > 0.0 {
            rates[0] / rates[1]
        } else {
            0.0
        });
        let m = measure(settings, Durability::Full, 1).await?;
        progress!(
            "writes: round {round}/{}: 1 client, durability full: {} rows/s",
            settings.rounds,
            report::rate(m.phase.rate())
        );
        single.push(&m);
    }

    let ratio = median(&ratios);
    let mut table = Table::new(&[
        "Clients, durability",
        "rows/s",
        "p50",
        "p99",
        "errors",
        "rows/s by round",
        "requests/commit",
    ]);
    for (label, series) in [
        (format!("{clients}, `full`"), &full),
        (format!("{clients}, `normal`"), &normal),
        ("1, `full`".to_owned(), &single),
    ] {
        let mut cells = vec![label];
        cells.extend(series.rounds.cells());
        cells.push(format!("{:.1}", median(&series.per_commit)));
        table.row(cells);
    }
    let mut body = String::new();
    let _ = writeln!(
        body,
        "Each client sends `INSERT INTO t(name, value) VALUES (?, ?)` (one row per request) \
         on its own keep-alive connection into the same database, waiting for each answer, \
         which comes only after the commit. A fresh server and data directory per \
         measurement; `full` and `normal` alternate within each round. Requests per commit \
         are `committed_requests_total / commits_total` of `GET /admin/gateway/stats`, as \
         deltas over the measured phase.\n"
    );
    body.push_str(&table.render());
    let what = format!("`full` / `normal` with {clients} clients");
    let _ = writeln!(body, "{}", report::ratio_line(&what, ratio, &ratios, GOAL));
    // A lone client gets one commit, hence one fsync, per request: its latency bounds what an
    // fsync costs on this disk, which decides how much group commit matters here.
    let _ = writeln!(
        body,
        "\nWith 1 client each request is its own commit and waits for its own fsync: its p50 \
         of {} bounds the cost of an fsync on this disk. The cheaper the fsync, the closer \
         `full` and `normal` are regardless of group commit; on a disk where an fsync takes \
         milliseconds, the ratio rests on the requests per commit.",
        report::ms(median(&single.rounds.p50_ms))
    );
    for (label, series) in [
        ("full", &full),
        ("normal", &normal),
        ("single client", &single),
    ] {
        if let Some(note) = series.rounds.error_note(label) {
            body.push_str(&note);
        }
    }
    let clean = full.rounds.errors == 0 && normal.rounds.errors == 0;
    Ok(Section {
        title: "Writes".into(),
        body,
        targets: vec![Target {
            what: format!("Durable single-row inserts, {clients} clients: `full` vs `normal`"),
            goal: format!(">= {}", report::percent(GOAL)),
            measured: format!(
                "{} ({} vs {} rows/s)",
                report::percent(ratio),
                report::rate(full.rounds.rate()),
                report::rate(normal.rounds.rate())
            ),
            met: Some(ratio >= GOAL && clean),
        }],
    })
}

/// Starts a server with `durability`, creates the table, and measures `clients` inserting.
async fn measure(settings: &Settings, durability: Durability, clients: usize) -> Result<Measured> {
    let server = settings.launcher.start(durability, &[]).await?;
    let result = async {
        let mut conn = Conn::connect(server.addr(), server.key()).await?;
        create_table_t(&mut conn, DB).await?;
        let uri: hyper::Uri = format!("/api/db/{DB}/query")
            .parse()
            .context("query URI")?;
        let insert: Workload = Arc::new(move |rng| {
            let n = rng.one_to(1_000_000_000);
            Job {
                method: Method::POST,
                uri: uri.clone(),
                body: Some(Bytes::from(format!(
                    r#"{{"sql":"INSERT INTO t(name, value) VALUES (?, ?)","params":["name-{n}",{n}]}}"#
                ))),
            }
        });
        let mut pool = Pool::connect(server.addr(), server.key(), clients).await?;
        if !settings.warmup.is_zero() {
            pool.run(settings.warmup, &insert).await?;
        }
        // The phases end with every request answered, so these snapshots bracket exactly the
        // measured requests.
        let before = commit_counters(&mut conn).await?;
        let phase = pool.run(settings.measure, &insert).await?;
        let after = commit_counters(&mut conn).await?;
        let commits = after.0.saturating_sub(before.0);
        let requests = after.1.saturating_sub(before.1);
        let per_commit = if commits > 0 {
            requests as f64 / commits as f64
        } else {
            0.0
        };
        Ok(Measured { phase, per_commit })
    }
    .await;
    server.stop().await?;
    result
}

/// `(commits_total, committed_requests_total)` of the server.
async fn commit_counters(conn: &mut Conn) -> Result<(u64, u64)> {
    let stats = conn.get("/admin/gateway/stats").await?;
    let field = |name: &str| {
        stats[name]
            .as_u64()
            .context(format_args!("gateway stats without {name}: {stats}"))
    };
    Ok((field("commits_total")?, field("committed_requests_total")?))
}
