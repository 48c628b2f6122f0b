//! `reads`: point reads by primary key from a 100,000-row table, against `GET /health` as the
//! ceiling of what the HTTP stack serves on this machine. Both run on the same keep-alive
//! connections and alternate within each round, so their ratio is a fair comparison. The same
//! read through libSQL's protocol (a Hrana pipeline of `execute` + `close`, what
//! `@libsql/client`'s `execute()` sends) shows what that front costs next to REST.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use hyper::Method;
use hyper::body::Bytes;
use serde_json::json;

use super::{Settings, create_table_t, progress, warm_then_measure};
use crate::error::{Context, Result, bail};
use crate::load::{Conn, Job, Pool, Workload};
use crate::report::{self, Rounds, Section, Table, Target, median};
use crate::server::{Durability, Server};

const DB: &str = "reads";
const GOAL: f64 = 0.5;

pub async fn reads(settings: &Settings) -> Result<Section> {
    // Filling 100,000 rows in one statement may take longer than the default 5 s limit on a
    // busy machine.
    let server = settings
        .launcher
        .start(Durability::Full, &["--statement-timeout", "60s"])
        .await?;
    let section = measure(settings, &server).await;
    server.stop().await?;
    section
}

/// Creates `db` with table `t` holding `rows` rows, checks one, and answers how long the fill
/// took.
pub(super) async fn fill_t(server: &Server, db: &str, rows: u64) -> Result<std::time::Duration> {
    let mut conn = Conn::connect(server.addr(), server.key()).await?;
    create_table_t(&mut conn, db).await?;
    progress!("filling {} rows", report::thousands(rows));
    let started = Instant::now();
    // One statement generates every row inside SQLite: far faster than shipping them as JSON.
    conn.query(
        db,
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) \
         INSERT INTO t SELECT i, 'name-' || i, i * 7 FROM c",
        json!([rows]),
    )
    .await?;
    let fill = started.elapsed();
    let count = conn
        .query(db, "SELECT count(*) AS n FROM t", json!([]))
        .await?;
    let counted = count["rows"][0]["n"].as_u64();
    if counted != Some(rows) {
        bail!("the table holds {counted:?} rows after the fill, expected {rows}");
    }
    // One read checked in full, so that the load below is known to fetch the right thing.
    let probe = conn
        .query(db, "SELECT * FROM t WHERE id = ?", json!([rows / 2]))
        .await?;
    if probe["rows"][0]["value"].as_u64() != Some(rows / 2 * 7) {
        bail!("unexpected point read result: {probe}");
    }
    Ok(fill)
}

/// Point reads by a random primary key of `t` in `db`, over REST.
pub(super) fn point_reads(db: &str, rows: u64) -> Result<Workload> {
    let query_uri: hyper::Uri = format!("/api/db/{db}/query").parse().context("query URI")?;
    Ok(Arc::new(move |rng| Job {
        method: Method::POST,
        uri: query_uri.clone(),
        body: Some(Bytes::from(format!(
            r#"{{"sql":"SELECT * FROM t WHERE id = ?","params":[{}]}}"#,
            rng.one_to(rows)
        ))),
    }))
}

async fn measure(settings: &Settings, server: &Server) -> Result<Section> {
    let rows = settings.rows;
    let fill = fill_t(server, DB, rows).await?;

    let health_uri: hyper::Uri = "/health".parse().context("health URI")?;
    let health: Workload = Arc::new(move |_| Job {
        method: Method::GET,
        uri: health_uri.clone(),
        body: None,
    });
    let read = point_reads(DB, rows)?;

    let hrana_uri: hyper::Uri = format!("/hrana/{DB}/v2/pipeline")
        .parse()
        .context("pipeline URI")?;
    let hrana: Workload = Arc::new(move |rng| Job {
        method: Method::POST,
        uri: hrana_uri.clone(),
        body: Some(Bytes::from(format!(
            r#"{{"baton":null,"requests":[{{"type":"execute","stmt":{{"sql":"SELECT * FROM t WHERE id = ?","args":[{{"type":"integer","value":"{}"}}]}}}},{{"type":"close"}}]}}"#,
            rng.one_to(rows)
        ))),
    });

    let mut pool = Pool::connect(server.addr(), server.key(), settings.read_connections).await?;
    let mut health_rounds = Rounds::default();
    let mut read_rounds = Rounds::default();
    let mut hrana_rounds = Rounds::default();
    let mut ratios = Vec::new();
    let mut hrana_ratios = Vec::new();
    for round in 1..=settings.rounds {
        let h = warm_then_measure(&mut pool, settings, &health).await?;
        let r = warm_then_measure(&mut pool, settings, &read).await?;
        let l = warm_then_measure(&mut pool, settings, &hrana).await?;
        let ratio = if h.rate() > 0.0 {
            r.rate() / h.rate()
        } else {
            0.0
        };
        let hrana_ratio = if r.rate() > 0.0 {
            l.rate() / r.rate()
        } else {
            0.0
        };
        progress!(
            "reads: round {round}/{}: /health {} req/s, point reads {} req/s ({}), via libSQL {} req/s ({} of REST)",
            settings.rounds,
            report::rate(h.rate()),
            report::rate(r.rate()),
            report::percent(ratio),
            report::rate(l.rate()),
            report::percent(hrana_ratio)
        );
        health_rounds.push(&h);
        read_rounds.push(&r);
        hrana_rounds.push(&l);
        ratios.push(ratio);
        hrana_ratios.push(hrana_ratio);
    }

    let ratio = median(&ratios);
    let mut table = Table::new(&["Request", "req/s", "p50", "p99", "errors", "req/s by round"]);
    let mut row = |label: &str, rounds: &Rounds| {
        let mut cells = vec![label.to_owned()];
        cells.extend(rounds.cells());
        table.row(cells);
    };
    row("`GET /health`", &health_rounds);
    row(
        "point read `SELECT * FROM t WHERE id = ?` (random id)",
        &read_rounds,
    );
    row(
        "the same read as a libSQL pipeline (`execute` + `close`)",
        &hrana_rounds,
    );
    let mut body = String::new();
    let _ = writeln!(
        body,
        "{} keep-alive connections, each sending its next request as soon as the previous \
         one is answered. Table `t(id INTEGER PRIMARY KEY, name TEXT, value INTEGER)` with {} \
         rows (filled in {} by one `INSERT ... SELECT` from a recursive CTE). Server with \
         default settings but `--statement-timeout 60s` (for the fill).\n",
        settings.read_connections,
        report::thousands(rows),
        report::seconds(fill)
    );
    body.push_str(&table.render());
    let _ = writeln!(
        body,
        "{}",
        report::ratio_line("Point reads / health", ratio, &ratios, GOAL)
    );
    let hrana_by_round: Vec<String> = hrana_ratios.iter().map(|r| report::percent(*r)).collect();
    let _ = writeln!(
        body,
        "\nlibSQL (Hrana) point reads / REST point reads: **{}** (median of the per-round \
         ratios: {}).",
        report::percent(median(&hrana_ratios)),
        hrana_by_round.join(" / ")
    );
    for (label, rounds) in [
        ("health", &health_rounds),
        ("point reads", &read_rounds),
        ("libSQL point reads", &hrana_rounds),
    ] {
        if let Some(note) = rounds.error_note(label) {
            body.push_str(&note);
        }
    }
    Ok(Section {
        title: "Reads".into(),
        body,
        targets: vec![Target {
            what: format!(
                "Point reads vs `GET /health` ({} connections)",
                settings.read_connections
            ),
            goal: format!(">= {}", report::percent(GOAL)),
            measured: format!(
                "{} ({} vs {} req/s)",
                report::percent(ratio),
                report::rate(read_rounds.rate()),
                report::rate(health_rounds.rate())
            ),
            met: Some(ratio >= GOAL && read_rounds.errors == 0),
        }],
    })
}
