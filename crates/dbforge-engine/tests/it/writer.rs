//! The writer: group commit, a failing request rolled back alone inside its group, requests
//! given up on while queued, and the bounded write queue (back-pressure).
//!
//! Every test gathers its group the same way: an interactive transaction holds the writer,
//! the requests are queued while it holds it, and ending the transaction hands the writer a
//! queue that already holds them all, so they run as one group.

use std::task::Poll;

use dbforge_api::{ErrorCode, Params, Value};
use dbforge_engine::Statement;

use crate::support::{
    TestEngine, create_table, deadline, hold_writer, ids, insert, poll_once, query_i64,
    release_writer, run, stream, teach_insert_is_a_write, within,
};

#[tokio::test]
async fn queued_writes_share_one_commit_and_all_persist() {
    let t = TestEngine::new();
    let db = t.create("group-commit");
    create_table(&db).await;
    teach_insert_is_a_write(&db, 0).await;
    let holder = hold_writer(&db).await;
    let before = t.commits();

    let deadline = deadline();
    let mut writes: Vec<_> = (1..=50)
        .map(|id| Box::pin(db.execute(vec![insert(id)], &deadline)))
        .collect();
    for write in &mut writes {
        assert!(
            poll_once(write).is_pending(),
            "a write finished while the writer was held"
        );
    }
    assert_eq!(
        t.commits(),
        before,
        "nothing commits while a transaction holds the writer"
    );

    release_writer(holder).await;
    for write in writes {
        let outputs = within(write).await.expect("write succeeds");
        assert_eq!(outputs[0].rows_affected, 1);
    }

    let (commits, requests) = t.commits();
    assert_eq!(commits - before.0, 1, "the 50 queued writes were one group");
    assert_eq!(requests - before.1, 50);
    assert_eq!(ids(&db).await, (0..=50).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_failing_request_is_rolled_back_alone_and_its_group_commits() {
    let t = TestEngine::new();
    let db = t.create("savepoints");
    create_table(&db).await;
    teach_insert_is_a_write(&db, 0).await;
    let holder = hold_writer(&db).await;
    let before = t.commits();

    let deadline = deadline();
    // Its first statement is fine, its second collides with row 3 of an earlier request of
    // the same group: neither may persist, and the requests after it must still commit.
    let failing = vec![insert(100), insert(3)];
    let requests: Vec<Vec<Statement>> = (1..=10)
        .map(|id| vec![insert(id)])
        .chain([failing])
        .chain((11..=20).map(|id| vec![insert(id)]))
        .collect();
    let mut writes: Vec<_> = requests
        .into_iter()
        .map(|statements| Box::pin(db.execute(statements, &deadline)))
        .collect();
    for write in &mut writes {
        assert!(poll_once(write).is_pending());
    }
    release_writer(holder).await;

    let mut replies = Vec::new();
    for write in writes {
        replies.push(within(write).await);
    }
    let failure = replies[10]
        .as_ref()
        .expect_err("the colliding request fails");
    assert_eq!(failure.code, ErrorCode::ConstraintViolation);
    assert_eq!(failure.statement, Some(1), "the second statement failed");
    for (i, reply) in replies.iter().enumerate().filter(|(i, _)| *i != 10) {
        assert!(reply.is_ok(), "request {i} failed: {reply:?}");
    }
    assert_eq!(
        t.commits().0 - before.0,
        1,
        "all 21 requests were one group"
    );
    assert_eq!(
        t.commits().1 - before.1,
        20,
        "the request rolled back to its savepoint is not counted as committed"
    );
    assert_eq!(
        ids(&db).await,
        (0..=20).collect::<Vec<_>>(),
        "row 100 (the failing request's first statement) is gone, every other row is there"
    );
}

#[tokio::test]
async fn a_request_cancelled_while_queued_is_skipped_and_its_group_commits() {
    let t = TestEngine::new();
    let db = t.create("cancelled");
    create_table(&db).await;
    teach_insert_is_a_write(&db, 0).await;
    let holder = hold_writer(&db).await;
    let before = t.commits();

    let kept = deadline();
    let given_up = deadline();
    let mut first = Box::pin(db.execute(vec![insert(1)], &kept));
    let mut cancelled = Box::pin(db.execute(vec![insert(2)], &given_up));
    let mut last = Box::pin(db.execute(vec![insert(3)], &kept));
    for write in [&mut first, &mut cancelled, &mut last] {
        assert!(poll_once(write).is_pending());
    }
    // Its client went away while it waited for the writer.
    given_up.cancel();
    release_writer(holder).await;

    within(first).await.expect("first write");
    within(last).await.expect("last write");
    let refused = within(cancelled)
        .await
        .expect_err("a cancelled request runs nothing");
    assert_eq!(refused.code, ErrorCode::QueryTimeout);
    let (commits, requests) = t.commits();
    assert_eq!(commits - before.0, 1);
    assert_eq!(requests - before.1, 2, "the skipped request is not counted");
    assert_eq!(ids(&db).await, vec![0, 1, 3]);
}

#[tokio::test]
async fn a_full_write_queue_refuses_the_next_request_then_drains() {
    const DEPTH: usize = 4;
    let t = TestEngine::with(|config| config.write_queue_depth = DEPTH);
    let db = t.create("back-pressure");
    create_table(&db).await;
    teach_insert_is_a_write(&db, 0).await;
    let holder = hold_writer(&db).await;

    let deadline = deadline();
    let mut queued: Vec<_> = (1..=DEPTH as i64)
        .map(|id| Box::pin(db.execute(vec![insert(id)], &deadline)))
        .collect();
    for write in &mut queued {
        assert!(
            poll_once(write).is_pending(),
            "a request within the depth waits"
        );
    }
    let mut overflow = Box::pin(db.execute(vec![insert(99)], &deadline));
    let refused = match poll_once(&mut overflow) {
        Poll::Ready(reply) => reply.expect_err("the queue is full"),
        Poll::Pending => panic!("a request past the queue's depth was queued"),
    };
    assert_eq!(refused.code, ErrorCode::DatabaseBusy);
    // A stream's BEGIN waits in the same queue, so it is refused the same way.
    let mut late_stream = stream(&db);
    let begin = within(late_stream.execute(Statement::new("BEGIN"), usize::MAX, &deadline))
        .await
        .expect_err("no room for a transaction either");
    assert_eq!(begin.code, ErrorCode::DatabaseBusy);
    // Reads never wait in the write queue.
    assert_eq!(query_i64(&db, "SELECT count(*) FROM t").await, 1);

    release_writer(holder).await;
    for write in queued {
        within(write).await.expect("a queued write completes");
    }
    run(&db, "INSERT INTO t (id, v) VALUES (5, 'after')")
        .await
        .expect("the drained queue takes writes again");
    assert_eq!(ids(&db).await, vec![0, 1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn group_replies_carry_each_requests_own_results() {
    let t = TestEngine::new();
    let db = t.create("replies");
    create_table(&db).await;
    teach_insert_is_a_write(&db, 0).await;
    let returning = |id: i64| {
        Statement::with_params(
            "INSERT INTO t (id, v) VALUES (?1, 'r') RETURNING id * 10",
            Params::Positional(vec![Value::Integer(id)]),
        )
    };
    // Seen once, the text goes straight to the writer on its first poll, like `insert`.
    within(db.execute(vec![returning(-1)], &deadline()))
        .await
        .expect("first returning insert");
    let holder = hold_writer(&db).await;
    let before = t.commits();

    let deadline = deadline();
    // Writes that return rows share the group with plain inserts: each reply must be its own
    // request's, its statements in their order.
    let mut writes: Vec<_> = [
        vec![insert(1)],
        vec![returning(2), returning(3)],
        vec![insert(4)],
    ]
    .into_iter()
    .map(|statements| Box::pin(db.execute(statements, &deadline)))
    .collect();
    for write in &mut writes {
        assert!(poll_once(write).is_pending());
    }
    release_writer(holder).await;

    let mut replies = Vec::new();
    for write in writes {
        replies.push(within(write).await.expect("write succeeds"));
    }
    assert_eq!(
        t.commits().0 - before.0,
        1,
        "the three requests were one group"
    );
    assert_eq!(replies[0].len(), 1);
    assert_eq!(replies[0][0].last_insert_rowid, Some(1));
    assert_eq!(replies[1].len(), 2);
    assert_eq!(replies[1][0].rows, vec![vec![Value::Integer(20)]]);
    assert_eq!(replies[1][1].rows, vec![vec![Value::Integer(30)]]);
    assert_eq!(replies[2][0].last_insert_rowid, Some(4));
}
