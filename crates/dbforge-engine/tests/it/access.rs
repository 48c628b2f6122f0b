//! Read-only access, attacked: every way SQL can write (plain DML and DDL, `WITH ... INSERT`,
//! `REPLACE`, an INSTEAD OF trigger behind a view, PRAGMA writes, VACUUM, a write hidden
//! after a read in one request, a text the engine already knows as a write) is refused with
//! `forbidden` and leaves the database unchanged; on a stream, so is every transaction that
//! could write, while reads and read transactions work.

use std::sync::Arc;
use std::time::Duration;

use dbforge_api::ErrorCode;
use dbforge_engine::{Access, Database, EngineError, Statement, StatementOutput, Stream};

use crate::support::{
    GUARD, TestEngine, create_table, deadline, ids, insert, query_i64, run, single_i64, step,
    teach_insert_is_a_write, within,
};

async fn read_only(db: &Arc<Database>, sql: &str) -> Result<Vec<StatementOutput>, EngineError> {
    within(db.execute_as(Access::ReadOnly, vec![Statement::new(sql)], &deadline())).await
}

fn read_only_stream(db: &Arc<Database>) -> Stream {
    db.stream(Access::ReadOnly, Duration::from_secs(30), GUARD)
}

fn assert_forbidden(outcome: Result<impl std::fmt::Debug, EngineError>, what: &str) {
    match outcome {
        Err(e) => assert_eq!(e.code, ErrorCode::Forbidden, "{what}: {e:?}"),
        Ok(done) => panic!("{what} ran for a read-only caller: {done:?}"),
    }
}

/// A table with rows 1 and 2 and an index, a view over it with an INSTEAD OF trigger that writes, and
/// `user_version` 3: what the attacks try to change.
async fn target(t: &TestEngine, raw: &str) -> Arc<Database> {
    let db = t.create(raw);
    create_table(&db).await;
    run(
        &db,
        "INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b'); \
         CREATE INDEX t_by_v ON t (v); \
         CREATE VIEW names AS SELECT v FROM t; \
         CREATE TRIGGER names_insert INSTEAD OF INSERT ON names \
           BEGIN INSERT INTO t (v) VALUES (new.v); END; \
         PRAGMA user_version = 3",
    )
    .await
    .expect("target set up");
    db
}

async fn assert_unchanged(db: &Arc<Database>) {
    assert_eq!(ids(db).await, vec![1, 2]);
    assert_eq!(query_i64(db, "PRAGMA user_version").await, 3);
    assert_eq!(
        query_i64(db, "SELECT count(*) FROM sqlite_schema").await,
        4,
        "the table, its index, the view and the trigger, nothing more or less"
    );
}

#[tokio::test]
async fn reads_run_for_a_read_only_caller() {
    let t = TestEngine::new();
    let db = target(&t, "reads").await;
    let outputs = read_only(&db, "SELECT count(*) FROM t; SELECT count(*) FROM names")
        .await
        .expect("reads run");
    assert_eq!(single_i64(&outputs[0]), 2);
    assert_eq!(single_i64(&outputs[1]), 2);
    let pragma = read_only(&db, "PRAGMA user_version")
        .await
        .expect("a PRAGMA read");
    assert_eq!(single_i64(&pragma[0]), 3);
}

#[tokio::test]
async fn every_kind_of_write_is_refused_and_changes_nothing() {
    let t = TestEngine::new();
    let db = target(&t, "writes").await;
    for sql in [
        "INSERT INTO t (v) VALUES ('x')",
        "UPDATE t SET v = 'x'",
        "DELETE FROM t",
        "REPLACE INTO t (id, v) VALUES (1, 'x')",
        "INSERT OR REPLACE INTO t (id, v) VALUES (2, 'x')",
        "WITH n(v) AS (SELECT 'x') INSERT INTO t (v) SELECT v FROM n",
        "WITH gone AS (SELECT 1) DELETE FROM t",
        "INSERT INTO names (v) VALUES ('through the trigger')",
        "CREATE TABLE u (x)",
        "CREATE INDEX t_by_id ON t (id)",
        "DROP TABLE t",
        "DROP VIEW names",
        "ALTER TABLE t ADD COLUMN w",
        "PRAGMA user_version = 9",
        "PRAGMA main.user_version = 9",
        "PRAGMA application_id = 9",
        "VACUUM",
        "ANALYZE",
        "REINDEX",
        "REINDEX t_by_v",
        "DROP INDEX t_by_v",
        "SELECT 1; DELETE FROM t",
    ] {
        assert_forbidden(read_only(&db, sql).await, sql);
    }
    assert_unchanged(&db).await;
}

#[tokio::test]
async fn the_refusal_names_the_statement_that_writes() {
    let t = TestEngine::new();
    let db = target(&t, "which").await;
    let error = read_only(&db, "SELECT 1; SELECT 2; UPDATE t SET v = 'x'")
        .await
        .expect_err("refused");
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert_eq!(error.statement, Some(2));
    assert!(error.message.contains("read-only"), "{}", error.message);
}

#[tokio::test]
async fn a_text_already_known_as_a_write_is_refused_too() {
    let t = TestEngine::new();
    let db = target(&t, "known").await;
    // The same text from a read-write caller first: the engine now sends it straight to the
    // writer, a path the read-only caller must not take.
    teach_insert_is_a_write(&db, 10).await;
    assert_forbidden(
        within(db.execute_as(Access::ReadOnly, vec![insert(11)], &deadline())).await,
        "a known write",
    );
    assert_eq!(ids(&db).await, vec![1, 2, 10]);
}

#[tokio::test]
async fn a_read_only_stream_refuses_transactions_that_could_write() {
    let t = TestEngine::new();
    let db = target(&t, "stream").await;
    let mut stream = read_only_stream(&db);
    for sql in [
        "BEGIN",
        "BEGIN DEFERRED",
        "BEGIN IMMEDIATE",
        "BEGIN EXCLUSIVE TRANSACTION",
        "SAVEPOINT s",
    ] {
        assert_forbidden(step(&mut stream, sql).await, sql);
        assert!(stream.is_autocommit(), "{sql} left no transaction");
    }
    // Turning foreign keys off would give an autocommit write a session of its own.
    step(&mut stream, "PRAGMA foreign_keys = off")
        .await
        .expect("the stream's own setting");
    assert_forbidden(
        step(&mut stream, "DELETE FROM t").await,
        "an autocommit write",
    );
    assert_forbidden(
        step(&mut stream, "INSERT INTO names (v) VALUES ('x')").await,
        "a write through a trigger",
    );
    let count = step(&mut stream, "SELECT count(*) FROM t").await;
    assert_eq!(single_i64(&count.expect("a read")), 2);
    assert_unchanged(&db).await;
}

#[tokio::test]
async fn a_read_transaction_works_and_refuses_writes_inside() {
    let t = TestEngine::new();
    let db = target(&t, "readtx").await;
    let mut stream = read_only_stream(&db);
    step(&mut stream, "BEGIN TRANSACTION READONLY")
        .await
        .expect("a read transaction");
    assert!(!stream.is_autocommit());
    let count = step(&mut stream, "SELECT count(*) FROM t").await;
    assert_eq!(single_i64(&count.expect("a read inside")), 2);
    for sql in ["INSERT INTO t (v) VALUES ('x')", "PRAGMA user_version = 9"] {
        assert_forbidden(step(&mut stream, sql).await, sql);
    }
    step(&mut stream, "COMMIT").await.expect("COMMIT ends it");
    assert!(stream.is_autocommit());
    assert_unchanged(&db).await;
}
