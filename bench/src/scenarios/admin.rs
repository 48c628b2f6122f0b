//! `spawn` and `scale`: the cost of creating databases, and how the gateway behaves with many
//! of them: listing pages, statistics, and resident memory once thousands have been opened
//! (the cache of open databases is bounded by `--max-open-databases`, 256 by default).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use hyper::body::Bytes;
use hyper::{Method, StatusCode};

use super::{Settings, progress, warm_then_measure};
use crate::error::{Context, Result, bail};
use crate::load::{self, Conn, Job, Phase, Pool, Workload, quantile_ms};
use crate::report::{self, Rounds, Section, Table, Target, median};
use crate::server::{Durability, Server};

/// Median spawn latency the project aims at, in milliseconds.
const SPAWN_GOAL_MS: f64 = 5.0;
/// The server's default `--max-open-databases` (the benchmark does not change it).
const DEFAULT_MAX_OPEN: usize = 256;
/// Growth of resident memory tolerated between the first and the last checkpoint of the
/// touching phase, once the open-database cache is full, to call memory bounded.
const RSS_GROWTH_LIMIT: f64 = 0.25;

/// The name of the `i`th database; zero-padded so that name order is creation order.
fn db_name(prefix: &str, i: usize) -> String {
    format!("{prefix}-{i:06}")
}

pub async fn spawn(settings: &Settings) -> Result<Section> {
    let mut rounds = Rounds::default();
    for round in 1..=settings.rounds {
        let server = settings.launcher.start(Durability::Full, &[]).await?;
        let phase = spawn_round(settings, &server).await;
        server.stop().await?;
        let phase = phase?;
        progress!(
            "spawn: round {round}/{}: {} databases, median {}, p99 {}",
            settings.rounds,
            phase.ok,
            report::ms(phase.p50_ms()),
            report::ms(phase.p99_ms())
        );
        rounds.push(&phase);
    }
    let p50 = median(&rounds.p50_ms);
    let mut table = Table::new(&[
        "Request",
        "spawns/s",
        "p50",
        "p99",
        "errors",
        "spawns/s by round",
    ]);
    let mut cells = vec!["`POST /admin/databases/spawn/{name}`".to_owned()];
    cells.extend(rounds.cells());
    table.row(cells);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "{} databases created one after another on one keep-alive connection, on a fresh \
         server (`--durability full`) per round; spawns during the warm-up are not counted.\n",
        report::thousands(settings.spawn_count as u64)
    );
    body.push_str(&table.render());
    if let Some(note) = rounds.error_note("spawn") {
        body.push('\n');
        body.push_str(&note);
    }
    Ok(Section {
        title: "Spawn".into(),
        body,
        targets: vec![Target {
            what: "Spawn latency, median".into(),
            goal: format!("< {}", report::ms(SPAWN_GOAL_MS)),
            measured: format!(
                "{} (p99 {})",
                report::ms(p50),
                report::ms(median(&rounds.p99_ms))
            ),
            met: Some(p50 < SPAWN_GOAL_MS && rounds.errors == 0),
        }],
    })
}

/// Warm-up spawns, then `spawn_count` timed spawns, sequentially.
async fn spawn_round(settings: &Settings, server: &Server) -> Result<Phase> {
    let mut conn = Conn::connect(server.addr(), server.key()).await?;
    let warm_until = Instant::now() + settings.warmup;
    let mut i = 0;
    while Instant::now() < warm_until {
        conn.spawn_database(&db_name("warm", i)).await?;
        i += 1;
    }
    let mut phase = Phase {
        ok: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latency: load::new_histogram()?,
    };
    let started = Instant::now();
    for i in 0..settings.spawn_count {
        let job = Job {
            method: Method::POST,
            uri: load::spawn_uri(&db_name("db", i))?,
            body: None,
        };
        let t = Instant::now();
        let (status, body) = conn.send(&job).await?;
        if status == StatusCode::CREATED {
            load::record(&mut phase.latency, t.elapsed());
            phase.ok += 1;
        } else {
            phase.errors += 1;
            phase
                .first_error
                .get_or_insert_with(|| format!("{status}: {}", String::from_utf8_lossy(&body)));
        }
    }
    phase.elapsed = started.elapsed();
    Ok(phase)
}

pub async fn scale(settings: &Settings) -> Result<Section> {
    let server = settings.launcher.start(Durability::Full, &[]).await?;
    let section = scale_on(settings, &server).await;
    server.stop().await?;
    section
}

async fn scale_on(settings: &Settings, server: &Server) -> Result<Section> {
    let n = settings.scale_databases;
    if n < 2 {
        bail!("--databases must be at least 2 (a first and a middle page)");
    }
    let rss_fresh = server.rss_kib()?;

    // Creation, with a few connections so that the client's round trips overlap.
    progress!(
        "scale: creating {} databases on {} connections",
        report::thousands(n as u64),
        settings.scale_connections
    );
    let (created_in, create_latency) = create_many(server, n, settings.scale_connections).await?;
    let rss_created = server.rss_kib()?;

    let mut conn = Conn::connect(server.addr(), server.key()).await?;
    let first = conn.get("/admin/databases?limit=100").await?;
    let total = first["total"].as_u64();
    if total != Some(n as u64) {
        bail!("the list reports {total:?} databases, expected {n}");
    }
    // The middle page starts right after the database in the middle of the name order.
    let middle_after = db_name("db", n / 2 - 1);
    let middle = conn
        .get(&format!("/admin/databases?limit=100&after={middle_after}"))
        .await?;
    let expected = db_name("db", n / 2);
    if middle["databases"][0]["name"].as_str() != Some(expected.as_str()) {
        bail!("the page after {middle_after} does not start with {expected}");
    }

    // Latency probes: one connection, one request at a time, as an admin tool would.
    let probes = [
        (
            "`GET /admin/databases?limit=100` (first page)",
            "/admin/databases?limit=100".to_owned(),
        ),
        (
            "`GET /admin/databases?limit=100&after=...` (middle page)",
            format!("/admin/databases?limit=100&after={middle_after}"),
        ),
        (
            "`GET /admin/gateway/stats`",
            "/admin/gateway/stats".to_owned(),
        ),
    ];
    let mut pool = Pool::connect(server.addr(), server.key(), 1).await?;
    let mut probe_rounds: Vec<(Rounds, Vec<f64>)> =
        probes.iter().map(|_| Default::default()).collect();
    for round in 1..=settings.rounds {
        for ((label, path), (rounds, maxima)) in probes.iter().zip(&mut probe_rounds) {
            let uri: hyper::Uri = path.parse().context("probe URI")?;
            let workload: Workload = Arc::new(move |_| Job {
                method: Method::GET,
                uri: uri.clone(),
                body: None,
            });
            let phase = warm_then_measure(&mut pool, settings, &workload).await?;
            progress!(
                "scale: round {round}/{}: {label}: p50 {}, p99 {}",
                settings.rounds,
                report::ms(phase.p50_ms()),
                report::ms(phase.p99_ms())
            );
            maxima.push(phase.latency.max() as f64 / 1000.0);
            rounds.push(&phase);
        }
    }

    // Open many databases, one query each, and watch resident memory at four checkpoints.
    let touch = settings.touch.min(n);
    progress!(
        "scale: querying {} of the databases once each",
        report::thousands(touch as u64)
    );
    let mut touch_latency = load::new_histogram()?;
    let mut checkpoints = Vec::new();
    let batches = 4.min(touch.max(1));
    let mut done = 0;
    for batch in 1..=batches {
        let until = touch * batch / batches;
        // Spread over the whole range of names rather than the first few.
        let indexes: Vec<usize> = (done..until).map(|k| k * n / touch).collect();
        let latency = query_each(server, &indexes, settings.scale_connections).await?;
        touch_latency.add(&latency).context("merging histograms")?;
        done = until;
        checkpoints.push((done, server.rss_kib()?));
    }
    let stats = conn.get("/admin/gateway/stats").await?;
    let open = stats["open_databases"].as_u64();

    let mut table = Table::text(&["Measure", "Value"]);
    let create_rate = n as f64 / created_in.as_secs_f64().max(f64::EPSILON);
    table.row(vec![
        format!(
            "Create {} databases ({} connections)",
            report::thousands(n as u64),
            settings.scale_connections
        ),
        format!(
            "{} ({}/s; p50 {}, p99 {} per spawn)",
            report::seconds(created_in),
            report::rate(create_rate),
            report::ms(quantile_ms(&create_latency, 0.5)),
            report::ms(quantile_ms(&create_latency, 0.99))
        ),
    ]);
    for ((label, _), (rounds, maxima)) in probes.iter().zip(&probe_rounds) {
        table.row(vec![
            (*label).to_owned(),
            format!(
                "p50 {}, p99 {}, max {} ({} req/s on one connection)",
                report::ms(median(&rounds.p50_ms)),
                report::ms(median(&rounds.p99_ms)),
                report::ms(median(maxima)),
                report::rate(rounds.rate())
            ),
        ]);
    }
    table.row(vec![
        format!(
            "First query on a database (opens it; {} connections)",
            settings.scale_connections
        ),
        format!(
            "p50 {}, p99 {}",
            report::ms(quantile_ms(&touch_latency, 0.5)),
            report::ms(quantile_ms(&touch_latency, 0.99))
        ),
    ]);
    table.row(vec!["Server RSS, fresh".into(), report::mib(rss_fresh)]);
    table.row(vec![
        format!(
            "Server RSS after creating {} databases",
            report::thousands(n as u64)
        ),
        report::mib(rss_created),
    ]);
    for (touched, rss) in &checkpoints {
        table.row(vec![
            format!(
                "Server RSS after querying {} databases",
                report::thousands(*touched as u64)
            ),
            report::mib(*rss),
        ]);
    }
    table.row(vec![
        "Open databases afterwards (`open_databases`)".into(),
        open.map_or_else(|| "?".into(), |o| o.to_string()),
    ]);

    let mut errors = Vec::new();
    for ((label, _), (rounds, _)) in probes.iter().zip(&probe_rounds) {
        if let Some(note) = rounds.error_note(label) {
            errors.push(note);
        }
    }
    let mut body = String::new();
    let _ = writeln!(
        body,
        "One server (default settings: `--durability full`, `--max-open-databases` {DEFAULT_MAX_OPEN}). \
         Listing and statistics latencies are medians over rounds of requests sent one at a \
         time on one connection. Then {} of the databases, spread over the name range, get \
         one query each (`SELECT count(*) FROM sqlite_schema`), which opens them; RSS is \
         `VmRSS` of `/proc/<pid>/status`.\n",
        report::thousands(touch as u64)
    );
    body.push_str(&table.render());
    for note in &errors {
        body.push_str(note);
    }

    // Memory is bounded if, once the cache is full, opening more databases does not grow it.
    let mut targets = Vec::new();
    if let (Some((first_n, first_rss)), Some((last_n, last_rss))) =
        (checkpoints.first(), checkpoints.last())
    {
        let growth = *last_rss as f64 / (*first_rss).max(1) as f64 - 1.0;
        let judged = *first_n >= DEFAULT_MAX_OPEN && last_n > first_n;
        let _ = writeln!(
            body,
            "\nRSS from {} to {} databases queried: {} -> {} ({:+.0}%).",
            report::thousands(*first_n as u64),
            report::thousands(*last_n as u64),
            report::mib(*first_rss),
            report::mib(*last_rss),
            growth * 100.0
        );
        targets.push(Target {
            what: format!(
                "Server memory after querying {} of {} databases",
                report::thousands(*last_n as u64),
                report::thousands(n as u64)
            ),
            goal: format!(
                "bounded: < {} growth once {DEFAULT_MAX_OPEN} are open",
                report::percent(RSS_GROWTH_LIMIT)
            ),
            measured: format!(
                "{} -> {} ({:+.0}%), {} open",
                report::mib(*first_rss),
                report::mib(*last_rss),
                growth * 100.0,
                open.map_or_else(|| "?".into(), |o| o.to_string())
            ),
            met: judged.then_some(growth < RSS_GROWTH_LIMIT),
        });
    }
    Ok(Section {
        title: "Scale".into(),
        body,
        targets,
    })
}

/// Creates `db-000000` .. on `connections` connections; returns the total time and the
/// latency of each spawn.
async fn create_many(
    server: &Server,
    count: usize,
    connections: usize,
) -> Result<(Duration, Histogram<u64>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections.max(1) {
        let mut conn = Conn::connect(server.addr(), server.key()).await?;
        let next = Arc::clone(&next);
        workers.push(tokio::spawn(async move {
            let mut latency = load::new_histogram()?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, crate::error::Error>(latency);
                }
                let t = Instant::now();
                conn.spawn_database(&db_name("db", i)).await?;
                load::record(&mut latency, t.elapsed());
            }
        }));
    }
    let mut latency = load::new_histogram()?;
    for worker in workers {
        let part = worker.await.context("a spawning worker panicked")??;
        latency.add(&part).context("merging histograms")?;
    }
    Ok((started.elapsed(), latency))
}

/// Runs one small query on each database `db-{i}` for `i` in `indexes`, on a few connections.
async fn query_each(
    server: &Server,
    indexes: &[usize],
    connections: usize,
) -> Result<Histogram<u64>> {
    let queue = Arc::new(indexes.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..connections.max(1) {
        let mut conn = Conn::connect(server.addr(), server.key()).await?;
        let queue = Arc::clone(&queue);
        let next = Arc::clone(&next);
        workers.push(tokio::spawn(async move {
            let mut latency = load::new_histogram()?;
            let body = Bytes::from_static(br#"{"sql":"SELECT count(*) FROM sqlite_schema"}"#);
            loop {
                let Some(&i) = queue.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return Ok::<_, crate::error::Error>(latency);
                };
                let path = format!("/api/db/{}/query", db_name("db", i));
                let job = Job {
                    method: Method::POST,
                    uri: path.parse().context("query URI")?,
                    body: Some(body.clone()),
                };
                let t = Instant::now();
                let (status, answer) = conn.send(&job).await?;
                if !status.is_success() {
                    bail!(
                        "querying {} answered {status}: {}",
                        db_name("db", i),
                        String::from_utf8_lossy(&answer)
                    );
                }
                load::record(&mut latency, t.elapsed());
            }
        }));
    }
    let mut latency = load::new_histogram()?;
    for worker in workers {
        let part = worker.await.context("a querying worker panicked")??;
        latency.add(&part).context("merging histograms")?;
    }
    Ok(latency)
}
