//! Statements that would run past their limits: single SQLite steps nothing interrupts,
//! prepares made expensive on purpose, pipelines of runaway steps, and work whose client is
//! gone.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

use super::{Siege, cpu_time};

/// A statement limit short enough to keep the tests short.
const STATEMENT_TIMEOUT: &str = "1s";

/// The longest the attacker's own request may take when its statement limit is 1 s: the
/// limit, the grace the engine gives an interrupted statement, and slack for a loaded machine.
const ANSWERED_WITHIN: Duration = Duration::from_secs(3);

/// Sends `sql` to `db` and returns the status, the body and how long the answer took.
async fn timed_query(siege: &Siege, db: &str, sql: &str) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let (status, body) = siege
        .api
        .try_query(db, sql, json!([]))
        .await
        .unwrap_or_else(|e| panic!("{sql:.60}: {e}"));
    (status, body, started.elapsed())
}

/// Runs `sql` twice at once (two executor threads' worth on this machine) and checks each is
/// refused as a timeout, fast, while the bystander and `/health` stay fast.
async fn assert_stopped_at_its_limit(siege: &Siege, db: &str, sql: &str, what: &str) {
    let attack = async { tokio::join!(timed_query(siege, db, sql), timed_query(siege, db, sql)) };
    let (answers, watch) = siege.during(attack).await;
    for (status, body, took) in [answers.0, answers.1] {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(body["error"]["code"], "query_timeout", "{what}: {body}");
        assert!(took < ANSWERED_WITHIN, "{what}: answered after {took:?}");
    }
    watch.assert_unharmed(what);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pattern_match_no_step_can_interrupt_is_answered_at_its_limit() {
    let siege = Siege::start(&["--statement-timeout", STATEMENT_TIMEOUT]).await;
    siege.api.spawn("attacker").await;
    // One LIKE: a million characters against a 9,000-character pattern with a wildcard in
    // front, billions of comparisons inside a single virtual machine step.
    let sql = "SELECT printf('%.*c', 1000000, 'a') LIKE ('%' || printf('%.*c', 9000, 'a') || 'b')";
    assert_stopped_at_its_limit(&siege, "attacker", sql, "LIKE").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_of_expensive_expressions_is_answered_at_its_limit() {
    let siege = Siege::start(&["--statement-timeout", STATEMENT_TIMEOUT]).await;
    siege.api.spawn("attacker").await;
    let big = "CREATE TABLE big AS SELECT printf('%.*c', 16000000, 'a') AS x";
    siege.api.query("attacker", big, json!([])).await;
    // Hundreds of calls on a 16 MB value in one row: straight-line code, where SQLite never
    // looks at its interrupt flag.
    let terms = vec!["length(upper(x))"; 300].join(" + ");
    let sql = format!("SELECT {terms} FROM big");
    assert_stopped_at_its_limit(&siege, "attacker", &sql, "expressions").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_named_parameters_cannot_make_preparing_slow() {
    let siege = Siege::start(&["--statement-timeout", STATEMENT_TIMEOUT]).await;
    siege.api.spawn("attacker").await;
    // Preparing looks each named parameter up among those seen before: tens of thousands of
    // them took tens of seconds, all inside prepare.
    let names: Vec<String> = (0..30_000).map(|i| format!(":p{i}")).collect();
    let sql = format!("SELECT 1 WHERE 0 IN ({})", names.join(","));
    let attack = async {
        tokio::join!(
            timed_query(&siege, "attacker", &sql),
            timed_query(&siege, "attacker", &sql)
        )
    };
    let (answers, watch) = siege.during(attack).await;
    for (status, body, took) in [answers.0, answers.1] {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("too many SQL variables")),
            "{body}"
        );
        assert!(took < ANSWERED_WITHIN, "answered after {took:?}");
    }
    watch.assert_unharmed("named parameters");
    // The most a statement may have, each used many times over (a text near the SQL length
    // limit): still answered near the statement limit.
    let names: Vec<String> = (0..999).map(|i| format!(":p{i}")).collect();
    let list = names.join(",");
    let sql = format!(
        "SELECT 1 WHERE 0 IN ({})",
        vec![list.as_str(); 60].join(",")
    );
    let (status, body, took) = timed_query(&siege, "attacker", &sql).await;
    assert!(took < ANSWERED_WITHIN, "{status} {body} after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_of_runaway_steps_ends_at_the_request_deadline() {
    let siege = Siege::start(&[
        "--statement-timeout",
        STATEMENT_TIMEOUT,
        "--request-timeout",
        "3s",
    ])
    .await;
    siege.api.spawn("attacker").await;
    let runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                   SELECT count(*) FROM c";
    let steps: Vec<Value> = (0..1_000)
        .map(|_| json!({"type": "execute", "stmt": {"sql": runaway}}))
        .collect();
    let body = json!({"requests": steps});
    let attack = async {
        let started = Instant::now();
        let answer = siege
            .api
            .bearer()
            .try_send(
                reqwest::Method::POST,
                "/hrana/attacker/v2/pipeline",
                Some(&body),
            )
            .await;
        (answer, started.elapsed())
    };
    let ((answer, took), watch) = siege.during(attack).await;
    let (status, body) = answer.expect("the pipeline is answered");
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(results.len(), 1_000);
    assert!(
        results.iter().all(|r| r["type"] == "error"),
        "every runaway step failed"
    );
    assert!(took < Duration::from_secs(6), "answered after {took:?}");
    watch.assert_unharmed("pipeline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_stop_when_their_client_goes_away() {
    // A long statement limit: only the client's leaving can stop these.
    let siege = Siege::start(&["--statement-timeout", "60s"]).await;
    siege.api.spawn("attacker").await;
    siege
        .api
        .query("attacker", "CREATE TABLE t(x INTEGER)", json!([]))
        .await;
    let runaway_read = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                        SELECT count(*) FROM c";
    let runaway_write = "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL \
                         SELECT x + 1 FROM c WHERE x < 2000000000) SELECT x % 7 FROM c \
                         WHERE x % 1000000000 = 0";
    let address = siege.url().trim_start_matches("http://").to_owned();
    for sql in [runaway_read, runaway_write] {
        let body = json!({ "sql": sql }).to_string();
        let request = format!(
            "POST /api/db/attacker/query HTTP/1.1\r\nHost: {address}\r\nX-API-Key: {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            crate::support::ADMIN_KEY,
            body.len()
        );
        let mut socket = tokio::net::TcpStream::connect(&address)
            .await
            .expect("connect");
        socket.write_all(request.as_bytes()).await.expect("send");
        // Let the statement get going, then leave.
        tokio::time::sleep(Duration::from_millis(500)).await;
        drop(socket);
        // Give the server a moment to notice, then measure the CPU it still burns.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = cpu_time(siege.server.pid());
        tokio::time::sleep(Duration::from_secs(2)).await;
        let burnt = cpu_time(siege.server.pid()) - before;
        assert!(
            burnt < Duration::from_millis(500),
            "{sql:.40}: the server burnt {burnt:?} of CPU in 2 s after its client left"
        );
    }
    siege.assert_alive().await;
    let rows = siege
        .api
        .query_int("attacker", "SELECT count(*) FROM t")
        .await;
    assert_eq!(rows, 0, "the abandoned write was rolled back");
}
