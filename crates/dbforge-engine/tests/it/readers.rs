//! Readers: reads run beside a held write transaction and see only committed data, and a
//! read transaction keeps its snapshot while writes commit. (The reader pool's bound is
//! tested in `src/readers_tests.rs`, which can see the pool's count of waiting reads.)

use crate::support::{
    TestEngine, create_table, hold_writer, query_i64, release_writer, run, single_i64, step, stream,
};

#[tokio::test]
async fn reads_run_beside_a_held_write_transaction_and_see_only_committed_rows() {
    let t = TestEngine::new();
    let db = t.create("snapshot");
    create_table(&db).await;
    let mut writer = hold_writer(&db).await;
    step(
        &mut writer,
        "INSERT INTO t (id, v) VALUES (1, 'uncommitted')",
    )
    .await
    .expect("insert in the transaction");
    let inside = step(&mut writer, "SELECT count(*) FROM t")
        .await
        .expect("count in the transaction");
    assert_eq!(single_i64(&inside), 1, "the transaction sees its own row");

    // Were reads queued behind the writer, this would not finish before the guard.
    assert_eq!(query_i64(&db, "SELECT count(*) FROM t").await, 0);

    release_writer(writer).await;
    assert_eq!(query_i64(&db, "SELECT count(*) FROM t").await, 1);
}

#[tokio::test]
async fn a_read_transaction_keeps_its_snapshot_while_writes_commit() {
    let t = TestEngine::new();
    let db = t.create("read-transaction");
    create_table(&db).await;
    run(&db, "INSERT INTO t (id, v) VALUES (1, 'before')")
        .await
        .expect("first row");

    let mut reading = stream(&db);
    step(&mut reading, "BEGIN TRANSACTION READONLY")
        .await
        .expect("read transaction");
    // The snapshot starts at the transaction's first read.
    let first = step(&mut reading, "SELECT count(*) FROM t").await;
    assert_eq!(single_i64(&first.expect("first read")), 1);

    run(&db, "INSERT INTO t (id, v) VALUES (2, 'after')")
        .await
        .expect("a write commits while the read transaction is open");
    let again = step(&mut reading, "SELECT count(*) FROM t").await;
    assert_eq!(single_i64(&again.expect("second read")), 1, "same snapshot");
    let refused = step(&mut reading, "INSERT INTO t (id, v) VALUES (3, 'x')").await;
    assert!(refused.is_err(), "a read transaction cannot write");
    assert_eq!(query_i64(&db, "SELECT count(*) FROM t").await, 2);

    step(&mut reading, "COMMIT")
        .await
        .expect("end the transaction");
    assert!(reading.is_autocommit());
    let after = step(&mut reading, "SELECT count(*) FROM t").await;
    assert_eq!(single_i64(&after.expect("read after")), 2);
}
