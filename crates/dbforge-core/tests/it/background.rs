//! Background work: it starts and stops with the core's runtime, closes idle databases,
//! sweeps idle streams, and runs the upkeep a front adds.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dbforge_api::ErrorCode;

use crate::support::{GUARD, TestCore, code_of, guarded, name};

/// Polls `check` until it holds, failing the test after [`GUARD`]: waits for an outcome.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let waited = tokio::time::timeout(GUARD, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "{what} did not happen within {GUARD:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_work_stops_promptly() {
    let test = TestCore::start();
    let background = test.core.start_background();
    // Give the tasks a turn to start their first beat.
    tokio::task::yield_now().await;
    guarded(async move { background.stop() }).await;
    guarded(test.core.gateway_stats())
        .await
        .expect("the core still answers");
}

#[tokio::test]
async fn stopping_the_background_ends_the_upkeep_it_runs() {
    let test = TestCore::start();
    let mut background = test.core.start_background();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    background.every(Duration::from_millis(10), move || {
        counted.fetch_add(1, Ordering::Relaxed);
    });
    eventually("the upkeep running twice", async || {
        runs.load(Ordering::Relaxed) >= 2
    })
    .await;
    background.stop();
    // Aborted, the task drops the closure it owns (and will never call it again).
    eventually("the upkeep task being dropped", async || {
        Arc::strong_count(&runs) == 1
    })
    .await;
}

#[tokio::test]
async fn an_idle_database_is_closed_by_the_background_work() {
    let test = TestCore::start_with(
        |config| config.engine.idle_timeout = Duration::from_millis(100),
        Vec::new(),
    );
    test.create("idle").await;
    test.run("idle", &["CREATE TABLE t (x)"])
        .await
        .expect("written");
    assert_eq!(test.stats().await.open_databases, 1);

    let _background = test.core.start_background();
    eventually("the idle database being closed", async || {
        test.stats().await.open_databases == 0
    })
    .await;
    let info = test
        .core
        .describe_database(&test.admin, &name("idle"))
        .expect("still exists");
    assert_eq!((info.open, info.table_count), (false, 1));
    test.run("idle", &["INSERT INTO t VALUES (1)"])
        .await
        .expect("it reopens on demand");
}

#[tokio::test]
async fn a_database_in_use_is_not_closed_as_idle() {
    let test = TestCore::start_with(
        |config| config.engine.idle_timeout = Duration::from_millis(100),
        Vec::new(),
    );
    test.create("busy").await;
    test.create("idle").await;
    let busy = guarded(test.core.database(&test.admin, &name("busy")))
        .await
        .expect("open");
    test.run("idle", &["SELECT 1"]).await.expect("opened");
    let _background = test.core.start_background();
    // Once the idle one is closed, the background has passed over the busy one too.
    eventually("the idle database being closed", async || {
        test.stats().await.open_databases == 1
    })
    .await;
    let info = test
        .core
        .describe_database(&test.admin, &name("busy"))
        .expect("exists");
    assert!(info.open, "a held handle keeps its database open");
    drop(busy);
}

#[tokio::test]
async fn an_idle_stream_is_swept_and_its_transaction_rolled_back() {
    let test = TestCore::start_with(
        |config| {
            config.streams.idle_timeout = Duration::from_millis(50);
            config.streams.max_streams_per_database = 1;
        },
        Vec::new(),
    );
    assert_eq!(test.core.stream_limits().max_streams_per_database, 1);
    test.create("swept").await;
    test.run("swept", &["CREATE TABLE t (x)"])
        .await
        .expect("table");
    let (lease, mut state) = guarded(test.core.open_stream(&test.admin, &name("swept"), None))
        .await
        .expect("a stream");
    for sql in ["BEGIN", "INSERT INTO t VALUES (1)"] {
        guarded(test.core.run_in_stream(
            &mut state,
            dbforge_engine::Statement::new(sql),
            1 << 20,
            &crate::support::deadline(),
        ))
        .await
        .expect(sql);
    }
    let baton = guarded(test.core.finish_stream(lease, state, false))
        .await
        .expect("a baton");

    let _background = test.core.start_background();
    // The database's one stream slot frees up once the sweeper closes the idle stream.
    eventually("the idle stream being swept", async || {
        test.core
            .open_stream(&test.admin, &name("swept"), None)
            .await
            .is_ok()
    })
    .await;
    let refused = guarded(
        test.core
            .open_stream(&test.admin, &name("swept"), Some(&baton)),
    )
    .await;
    assert_eq!(code_of(refused), ErrorCode::StreamExpired);
    // The writer is free again (a held transaction would keep this waiting), and the
    // stream's insert is gone.
    test.run("swept", &["INSERT INTO t VALUES (2)"])
        .await
        .expect("written");
    assert_eq!(
        test.scalar("swept", "SELECT group_concat(x) FROM t").await,
        dbforge_api::Value::Text("2".into())
    );
}
