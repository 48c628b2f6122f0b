//! `auth`: what a credential costs a point read. The same reads with the bootstrap admin key,
//! a scoped read-only key and a minted read-only token, on the same keep-alive connections,
//! alternating within each round; the report gives each credential's rate over the admin
//! key's, median of the per-round ratios. The server's per-credential rate limit is set far
//! above the load, so its check is paid and never refuses.

use std::fmt::Write as _;

use serde_json::json;

use super::reads::{fill_t, point_reads};
use super::{Settings, progress, warm_then_measure};
use crate::error::{Context, Result, bail};
use crate::load::Pool;
use crate::report::{self, Rounds, Section, Table, Target, median};
use crate::server::{Durability, Server};

const DB: &str = "auth";
/// The most a credential may cost a point read, as a share of the admin key's rate.
const GOAL: f64 = 0.97;

pub async fn auth(settings: &Settings) -> Result<Section> {
    let server = settings
        .launcher
        .start(
            Durability::Full,
            // A rate and a bucket far above the load: the check runs, never refuses. (A period
            // of nanoseconds would leave no room for the skew between cores' clocks.)
            &[
                "--statement-timeout",
                "60s",
                "--rate-limit",
                "1000000/s",
                "--rate-limit-burst",
                "1000000",
            ],
        )
        .await?;
    let section = measure(settings, &server).await;
    server.stop().await?;
    section
}

async fn measure(settings: &Settings, server: &Server) -> Result<Section> {
    let rows = settings.rows;
    fill_t(server, DB, rows).await?;
    let mut admin = crate::load::Conn::connect(server.addr(), server.key()).await?;
    let created = admin
        .post(
            "/admin/keys",
            &json!({"name": "bench", "role": "read_only", "databases": [DB]}),
        )
        .await?;
    let Some(scoped) = created["secret"].as_str().map(str::to_owned) else {
        bail!("creating a key answered no secret: {created}");
    };
    let minted = admin
        .post(
            &format!("/admin/databases/{DB}/tokens"),
            &json!({"access": "read_only", "expires_in": "1h"}),
        )
        .await?;
    let Some(token) = minted["token"].as_str().map(str::to_owned) else {
        bail!("minting a token answered no token: {minted}");
    };
    drop(admin);

    let read = point_reads(DB, rows)?;
    let connections = settings.read_connections;
    let mut pools = [
        Pool::connect(server.addr(), server.key(), connections).await?,
        Pool::connect(server.addr(), &scoped, connections)
            .await
            .context("connecting with the scoped key")?,
        Pool::connect(server.addr(), &token, connections)
            .await
            .context("connecting with the token")?,
    ];
    let labels = [
        "the admin key",
        "a scoped read-only key",
        "a read-only token",
    ];
    let mut rounds: [Rounds; 3] = Default::default();
    let mut ratios: [Vec<f64>; 2] = Default::default();
    for round in 1..=settings.rounds {
        let mut rates = [0.0; 3];
        for (i, pool) in pools.iter_mut().enumerate() {
            let phase = warm_then_measure(pool, settings, &read).await?;
            rates[i] = phase.rate();
            rounds[i].push(&phase);
        }
        for (i, ratio) in ratios.iter_mut().enumerate() {
            ratio.push(if rates[0] > 0.0 {
                rates[i + 1] / rates[0]
            } else {
                0.0
            });
        }
        progress!(
            "auth: round {round}/{}: admin {} req/s, scoped key {} req/s ({}), token {} req/s ({})",
            settings.rounds,
            report::rate(rates[0]),
            report::rate(rates[1]),
            report::percent(ratios[0][round - 1]),
            report::rate(rates[2]),
            report::percent(ratios[1][round - 1])
        );
    }
    let mut table = Table::new(&[
        "Credential",
        "req/s",
        "p50",
        "p99",
        "errors",
        "req/s by round",
    ]);
    for (label, rounds) in labels.iter().zip(&rounds) {
        let mut cells = vec![format!("point read with {label}")];
        cells.extend(rounds.cells());
        table.row(cells);
    }
    let mut body = String::new();
    let _ = writeln!(
        body,
        "{connections} keep-alive connections per credential, the point read of the `reads` \
         scenario on a {}-row table; the credentials take turns within each round. Server \
         with default settings but `--statement-timeout 60s` (for the fill) and `--rate-limit \
         1000000/s --rate-limit-burst 1000000` (the scoped credentials' rate is checked on \
         every request, never reached).\n",
        report::thousands(rows)
    );
    body.push_str(&table.render());
    let mut targets = Vec::new();
    for (label, ratio) in labels[1..].iter().zip(&ratios) {
        let by_round: Vec<String> = ratio.iter().map(|r| report::percent(*r)).collect();
        let _ = writeln!(
            body,
            "\nPoint reads with {label} / with the admin key: **{}** (per round: {}).",
            report::percent(median(ratio)),
            by_round.join(" / ")
        );
        targets.push(Target {
            what: format!("Point reads with {label} vs the admin key"),
            goal: format!(">= {}", report::percent(GOAL)),
            measured: report::percent(median(ratio)),
            met: Some(median(ratio) >= GOAL),
        });
    }
    for (label, rounds) in labels.iter().zip(&rounds) {
        if let Some(note) = rounds.error_note(label) {
            body.push_str(&note);
        }
    }
    Ok(Section {
        title: "Authentication".into(),
        body,
        targets,
    })
}
