//! Protocol streams: a transaction carried across requests by batons, and every way a baton
//! or a stream is refused (reused, forged, of another database, of a deleted database, one
//! stream too many).

use dbforge_api::{ErrorCode, Value};
use dbforge_core::{Lease, StreamState};
use dbforge_engine::{Statement, StatementOutput};

use crate::support::{TestCore, code_of, deadline, guarded, name};

/// A database `db` with an empty table `t`.
async fn with_table(db: &str) -> TestCore {
    let test = TestCore::start();
    test.create(db).await;
    test.run(db, &["CREATE TABLE t (x)"]).await.expect("table");
    test
}

async fn open(test: &TestCore, db: &str, baton: Option<&str>) -> (Lease, StreamState) {
    guarded(test.core.open_stream(&test.admin, &name(db), baton))
        .await
        .unwrap_or_else(|e| panic!("opening a stream on {db}: {e}"))
}

async fn run(test: &TestCore, state: &mut StreamState, sql: &str) -> StatementOutput {
    guarded(
        test.core
            .run_in_stream(state, Statement::new(sql), 1 << 20, &deadline()),
    )
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Ends a request on the stream, keeping the stream: its baton for the next request.
async fn park(test: &TestCore, lease: Lease, state: StreamState) -> String {
    guarded(test.core.finish_stream(lease, state, false))
        .await
        .expect("a live stream answers a baton")
}

/// Opens a stream, begins a transaction and inserts 1 into `t`, and parks it.
async fn pending_insert(test: &TestCore, db: &str) -> String {
    let (lease, mut state) = open(test, db, None).await;
    run(test, &mut state, "BEGIN").await;
    run(test, &mut state, "INSERT INTO t VALUES (1)").await;
    assert!(!state.stream.is_autocommit());
    park(test, lease, state).await
}

async fn baton_refusal(test: &TestCore, db: &str, baton: &str) -> ErrorCode {
    code_of(guarded(test.core.open_stream(&test.admin, &name(db), Some(baton))).await)
}

#[tokio::test]
async fn a_baton_carries_a_transaction_to_the_next_request() {
    let test = with_table("tx").await;
    let baton = pending_insert(&test, "tx").await;
    assert_eq!(
        test.scalar("tx", "SELECT count(*) FROM t").await,
        Value::Integer(0),
        "others do not see the transaction before it commits"
    );

    let (lease, mut state) = open(&test, "tx", Some(&baton)).await;
    let seen = run(&test, &mut state, "SELECT count(*) FROM t").await;
    assert_eq!(seen.rows, [vec![Value::Integer(1)]], "the same transaction");
    run(&test, &mut state, "COMMIT").await;
    assert!(state.stream.is_autocommit());
    let next = park(&test, lease, state).await;
    assert_ne!(next, baton, "every response has a new baton");

    assert_eq!(
        test.scalar("tx", "SELECT count(*) FROM t").await,
        Value::Integer(1),
        "committed"
    );
    let (lease, mut state) = open(&test, "tx", Some(&next)).await;
    run(&test, &mut state, "INSERT INTO t VALUES (2)").await;
    guarded(test.core.finish_stream(lease, state, true)).await;
    assert_eq!(
        test.scalar("tx", "SELECT count(*) FROM t").await,
        Value::Integer(2),
        "outside a transaction, a stream's statement commits on its own"
    );
}

#[tokio::test]
async fn a_used_baton_is_refused_as_reused() {
    let test = with_table("reuse").await;
    let first = pending_insert(&test, "reuse").await;
    let (lease, state) = open(&test, "reuse", Some(&first)).await;
    assert_eq!(
        baton_refusal(&test, "reuse", &first).await,
        ErrorCode::BatonReused,
        "while the request it started runs"
    );
    let second = park(&test, lease, state).await;
    assert_eq!(
        baton_refusal(&test, "reuse", &first).await,
        ErrorCode::BatonReused,
        "after it"
    );
    // The refusals did not harm the stream: its newest baton still works.
    let (lease, mut state) = open(&test, "reuse", Some(&second)).await;
    run(&test, &mut state, "COMMIT").await;
    guarded(test.core.finish_stream(lease, state, true)).await;
}

#[tokio::test]
async fn a_forged_or_garbage_baton_is_invalid() {
    let test = with_table("forged").await;
    let baton = pending_insert(&test, "forged").await;
    let (payload, signature) = baton.rsplit_once('.').expect("a signed baton");
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let forged_signature = format!("{payload}.{flipped}{}", &signature[1..]);
    let forged_sequence = {
        let mut parts = payload.splitn(3, '.');
        let id = parts.next().expect("id");
        let sequence: u64 = parts.next().expect("sequence").parse().expect("a number");
        let db = parts.next().expect("database");
        format!("{id}.{}.{db}.{signature}", sequence + 1)
    };
    for garbage in [
        "",
        "garbage",
        "1.1.forged.AAAAAAAAAAAAAAAAAAAAAA",
        &forged_signature,
        &forged_sequence,
    ] {
        assert_eq!(
            baton_refusal(&test, "forged", garbage).await,
            ErrorCode::BatonInvalid,
            "{garbage:?}"
        );
    }
    // The genuine baton was not spent by the refusals.
    let (lease, mut state) = open(&test, "forged", Some(&baton)).await;
    run(&test, &mut state, "ROLLBACK").await;
    guarded(test.core.finish_stream(lease, state, true)).await;
}

#[tokio::test]
async fn a_baton_of_another_database_is_invalid() {
    let test = with_table("mine").await;
    test.create("theirs").await;
    let baton = pending_insert(&test, "mine").await;
    assert_eq!(
        baton_refusal(&test, "theirs", &baton).await,
        ErrorCode::BatonInvalid
    );
}

#[tokio::test]
async fn a_baton_does_not_reach_a_new_database_of_the_same_name() {
    let test = with_table("reborn").await;
    let baton = pending_insert(&test, "reborn").await;
    // The stream holds a write transaction: deleting must not wait for it.
    guarded(test.core.delete_database(&test.admin, &name("reborn")))
        .await
        .expect("deleted");
    assert_eq!(
        baton_refusal(&test, "reborn", &baton).await,
        ErrorCode::DatabaseNotFound,
        "no database, no stream"
    );
    test.create("reborn").await;
    // Deleting the database closed its streams, so the baton names no stream any more.
    assert_eq!(
        baton_refusal(&test, "reborn", &baton).await,
        ErrorCode::StreamExpired
    );
    assert_eq!(
        test.scalar("reborn", "SELECT count(*) FROM sqlite_schema")
            .await,
        Value::Integer(0),
        "the new database is empty"
    );
}

#[tokio::test]
async fn a_closed_stream_answers_no_baton_and_its_last_baton_is_expired() {
    let test = with_table("closed").await;
    let baton = pending_insert(&test, "closed").await;
    let (lease, state) = open(&test, "closed", Some(&baton)).await;
    let next = guarded(test.core.finish_stream(lease, state, true)).await;
    assert_eq!(next, None);
    assert_eq!(
        baton_refusal(&test, "closed", &baton).await,
        ErrorCode::StreamExpired
    );
    // The writer is free again (a held transaction would keep this waiting), and the
    // stream's insert is gone.
    test.run("closed", &["INSERT INTO t VALUES (2)"])
        .await
        .expect("written");
    assert_eq!(
        test.scalar("closed", "SELECT group_concat(x) FROM t").await,
        Value::Text("2".into()),
        "closing a stream rolls its transaction back"
    );
}

#[tokio::test]
async fn a_database_holds_at_most_its_share_of_streams() {
    let test = with_table("crowded").await;
    test.create("roomy").await;
    // The limit is two per database.
    let first = open(&test, "crowded", None).await;
    let second = open(&test, "crowded", None).await;
    let refused = guarded(test.core.open_stream(&test.admin, &name("crowded"), None)).await;
    assert_eq!(code_of(refused), ErrorCode::StreamsExhausted);
    let _elsewhere = open(&test, "roomy", None).await;

    // A parked stream still counts; a closed one, or one whose lease was dropped, does not.
    let baton = park(&test, first.0, first.1).await;
    let refused = guarded(test.core.open_stream(&test.admin, &name("crowded"), None)).await;
    assert_eq!(code_of(refused), ErrorCode::StreamsExhausted);
    drop(second);
    let third = open(&test, "crowded", None).await;
    let (lease, state) = open(&test, "crowded", Some(&baton)).await;
    guarded(test.core.finish_stream(lease, state, true)).await;
    let _fourth = open(&test, "crowded", None).await;
    drop(third);
}

#[tokio::test]
async fn a_table_created_in_a_stream_transaction_reaches_the_catalog() {
    let test = with_table("schema").await;
    let (lease, mut state) = open(&test, "schema", None).await;
    run(&test, &mut state, "BEGIN").await;
    run(&test, &mut state, "CREATE TABLE u (y)").await;
    run(&test, &mut state, "COMMIT").await;
    guarded(test.core.finish_stream(lease, state, true)).await;
    let open_count = test
        .core
        .describe_database(&test.admin, &name("schema"))
        .expect("described")
        .table_count;
    test.core.close_all();
    let closed = test
        .core
        .describe_database(&test.admin, &name("schema"))
        .expect("described");
    assert_eq!((open_count, closed.open, closed.table_count), (2, false, 2));
}
