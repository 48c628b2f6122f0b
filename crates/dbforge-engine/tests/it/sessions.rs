//! Interactive transactions on streams: ROLLBACK leaves nothing, COMMIT persists, a second
//! BEGIN waits for the first transaction (or is refused busy past its wait limit), dropping a
//! stream mid-transaction rolls it back, and a transaction held past its limit is rolled
//! back and frees the writer.

use std::time::Duration;

use dbforge_api::ErrorCode;
use dbforge_engine::{Access, Statement};

use crate::support::{
    TestEngine, create_table, deadline, hold_writer, ids, poll_once, query_i64, run, single_i64,
    step, stream, within,
};

#[tokio::test]
async fn rollback_leaves_nothing() {
    let t = TestEngine::new();
    let db = t.create("rollback");
    create_table(&db).await;
    let mut session = hold_writer(&db).await;
    step(
        &mut session,
        "INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b')",
    )
    .await
    .expect("insert");
    let inside = step(&mut session, "SELECT count(*) FROM t").await;
    assert_eq!(single_i64(&inside.expect("count inside")), 2);

    step(&mut session, "ROLLBACK").await.expect("ROLLBACK");
    assert!(session.is_autocommit());
    assert_eq!(query_i64(&db, "SELECT count(*) FROM t").await, 0);
}

#[tokio::test]
async fn commit_persists_every_statement_of_the_transaction() {
    let t = TestEngine::new();
    let db = t.create("commit");
    create_table(&db).await;
    let mut session = hold_writer(&db).await;
    for sql in [
        "INSERT INTO t (id, v) VALUES (1, 'a')",
        "INSERT INTO t (id, v) VALUES (2, 'b')",
        "UPDATE t SET v = 'changed' WHERE id = 1",
    ] {
        step(&mut session, sql).await.expect(sql);
    }
    step(&mut session, "COMMIT").await.expect("COMMIT");
    assert!(session.is_autocommit());

    assert_eq!(ids(&db).await, vec![1, 2]);
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM t WHERE v = 'changed'").await,
        1
    );
}

#[tokio::test]
async fn a_second_begin_is_refused_busy_past_its_wait_limit() {
    let t = TestEngine::new();
    let db = t.create("busy");
    create_table(&db).await;
    let mut first = hold_writer(&db).await;

    // The engine, not the test, waits out the limit.
    let mut impatient = db.stream(
        Access::ReadWrite,
        Duration::from_secs(30),
        Duration::from_millis(50),
    );
    let refused = step(&mut impatient, "BEGIN")
        .await
        .expect_err("the writer is held");
    assert_eq!(refused.code, ErrorCode::DatabaseBusy);
    assert_eq!(
        refused.sqlite_code,
        Some(5),
        "SQLITE_BUSY, for protocols that speak it"
    );
    assert!(impatient.is_autocommit());

    // The refused BEGIN left nothing behind: the first transaction goes on and commits, and
    // the writer is free again afterwards.
    step(&mut first, "INSERT INTO t (id, v) VALUES (1, 'first')")
        .await
        .expect("first transaction still works");
    step(&mut first, "COMMIT").await.expect("COMMIT");
    step(&mut impatient, "BEGIN")
        .await
        .expect("BEGIN once the writer is free");
    step(&mut impatient, "ROLLBACK").await.expect("ROLLBACK");
    assert_eq!(ids(&db).await, vec![1]);
}

#[tokio::test]
async fn a_second_begin_waits_for_the_first_transaction_to_end() {
    let t = TestEngine::new();
    let db = t.create("waiting");
    create_table(&db).await;
    let mut first = hold_writer(&db).await;
    step(&mut first, "INSERT INTO t (id, v) VALUES (1, 'first')")
        .await
        .expect("insert");

    let mut second = stream(&db);
    let second_deadline = deadline();
    let mut begin = Box::pin(second.execute(Statement::new("BEGIN"), usize::MAX, &second_deadline));
    assert!(
        poll_once(&mut begin).is_pending(),
        "BEGIN got the writer while another transaction held it"
    );

    step(&mut first, "COMMIT").await.expect("COMMIT");
    within(begin)
        .await
        .expect("BEGIN once the first transaction ended");
    // Its transaction started after the first one committed, so it sees the first row.
    let seen = step(&mut second, "SELECT count(*) FROM t").await;
    assert_eq!(single_i64(&seen.expect("count")), 1);
    step(&mut second, "INSERT INTO t (id, v) VALUES (2, 'second')")
        .await
        .expect("insert");
    step(&mut second, "COMMIT").await.expect("COMMIT");
    assert_eq!(ids(&db).await, vec![1, 2]);
}

#[tokio::test]
async fn dropping_a_stream_mid_transaction_rolls_it_back() {
    let t = TestEngine::new();
    let db = t.create("dropped");
    create_table(&db).await;
    let mut session = hold_writer(&db).await;
    step(
        &mut session,
        "INSERT INTO t (id, v) VALUES (1, 'abandoned')",
    )
    .await
    .expect("insert");
    drop(session);

    // This write waits for the writer until the abandoned transaction is over; it would
    // collide with row 1 had that transaction been committed.
    run(&db, "INSERT INTO t (id, v) VALUES (1, 'kept')")
        .await
        .expect("row 1 is free: the abandoned insert was rolled back");
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM t WHERE v = 'kept'").await,
        1
    );
    assert_eq!(query_i64(&db, "SELECT count(*) FROM t").await, 1);
}

#[tokio::test]
async fn a_transaction_held_past_its_limit_is_rolled_back_and_frees_the_writer() {
    let t = TestEngine::new();
    let db = t.create("hold-limit");
    create_table(&db).await;
    let mut slow = db.stream(
        Access::ReadWrite,
        Duration::from_millis(100),
        Duration::from_secs(10),
    );
    step(&mut slow, "BEGIN").await.expect("BEGIN");
    step(&mut slow, "INSERT INTO t (id, v) VALUES (1, 'too slow')")
        .await
        .expect("insert");

    // Waits until the writer ends the slow transaction at its hold limit; the test itself
    // never sleeps.
    let mut next = stream(&db);
    step(&mut next, "BEGIN")
        .await
        .expect("BEGIN once the slow transaction is rolled back");
    let seen = step(&mut next, "SELECT count(*) FROM t").await;
    assert_eq!(
        single_i64(&seen.expect("count")),
        0,
        "the slow insert is gone"
    );
    step(&mut next, "ROLLBACK").await.expect("ROLLBACK");

    let expired = step(&mut slow, "INSERT INTO t (id, v) VALUES (2, 'later')")
        .await
        .expect_err("the transaction is over");
    assert_eq!(expired.code, ErrorCode::TransactionTimeout);
    // Until its client acknowledges the loss, nothing it sends runs outside the transaction
    // it meant.
    let still = step(&mut slow, "INSERT INTO t (id, v) VALUES (3, 'later')")
        .await
        .expect_err("still refused");
    assert_eq!(still.code, ErrorCode::TransactionTimeout);
    step(&mut slow, "ROLLBACK")
        .await
        .expect("ROLLBACK acknowledges");
    run(&db, "SELECT 1").await.expect("database usable");
    step(&mut slow, "INSERT INTO t (id, v) VALUES (4, 'autocommit')")
        .await
        .expect("the stream works again after ROLLBACK");
    assert_eq!(ids(&db).await, vec![4]);
}
