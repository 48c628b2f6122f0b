//! The reader pool's bound, seen from inside: with every connection lent, a read waits in the
//! pool (its count of waiting reads says so, no timing involved) until one comes back; a
//! connection returned inside a transaction is closed, not lent again; a closed pool refuses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::*;

/// A WAL database with one table, for the pool's read-only connections to open.
fn database(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("pool.db");
    let conn = Connection::open(&path).expect("create database");
    conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x)")
        .expect("set up database");
    path
}

fn busy_timeout_ms(reader: &Reader) -> i64 {
    reader
        .sandbox
        .query_internal(&reader.conn, "PRAGMA busy_timeout")
        .expect("read busy_timeout")
}

fn state(pool: &ReaderPool) -> std::sync::MutexGuard<'_, PoolState> {
    pool.state.lock().expect("pool lock")
}

#[test]
fn with_every_reader_lent_a_read_waits_for_the_next_one_returned() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = ReaderPool::new(database(&dir), Limits::default(), 2);
    let waiter_ran = AtomicBool::new(false);
    std::thread::scope(|s| {
        // Each holder marks its connection (its busy_timeout) so the waiter can tell whose
        // connection it got, then keeps it until told to let go.
        let hold = |mark: u64| {
            let (acquired, has_acquired) = mpsc::channel();
            let (release, released) = mpsc::channel::<()>();
            let pool = &pool;
            let holder = s.spawn(move || {
                pool.with_reader(|r| {
                    r.conn
                        .busy_timeout(Duration::from_millis(mark))
                        .map_err(|e| EngineError::internal(e.to_string()))?;
                    acquired.send(()).expect("test waits");
                    // A failing test drops the sender: then the holder just lets go.
                    let _ = released.recv();
                    Ok(())
                })
            });
            has_acquired
                .recv_timeout(Duration::from_secs(10))
                .expect("reader lent");
            (release, holder)
        };
        let (release_first, first) = hold(4_001);
        let (release_second, second) = hold(4_002);
        assert_eq!(state(&pool).open, 2);

        let waiter = s.spawn(|| {
            pool.with_reader(|r| {
                waiter_ran.store(true, Ordering::SeqCst);
                Ok(busy_timeout_ms(r))
            })
        });
        // The pool counts a read as waiting under its lock, in the same critical section as
        // it starts to wait: once counted, it is blocked, not merely slow to start.
        let started = Instant::now();
        while state(&pool).waiting == 0 {
            assert!(
                !waiter_ran.load(Ordering::SeqCst),
                "a third read ran while both readers were lent"
            );
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the third read never waited for a reader"
            );
            std::thread::yield_now();
        }
        assert!(!waiter_ran.load(Ordering::SeqCst));
        assert_eq!(state(&pool).open, 2, "no third connection was opened");

        release_first.send(()).expect("first holder waits");
        first.join().expect("first holder").expect("first read");
        let mark = waiter.join().expect("waiter").expect("waiting read");
        assert_eq!(mark, 4_001, "the waiter got the connection given back");

        release_second.send(()).expect("second holder waits");
        second.join().expect("second holder").expect("second read");
    });
    let state = state(&pool);
    assert_eq!((state.open, state.idle.len(), state.waiting), (2, 2, 0));
}

#[test]
fn a_reader_returned_inside_a_transaction_is_closed_not_pooled() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = ReaderPool::new(database(&dir), Limits::default(), 2);
    pool.with_reader(|r| {
        r.sandbox
            .run_internal(&r.conn, "BEGIN; SELECT count(*) FROM t")
            .map_err(|e| EngineError::internal(e.to_string()))
    })
    .expect("read inside a transaction");
    // Pooled, it would hold its snapshot and keep the log from being checkpointed.
    let counts = |pool: &ReaderPool| {
        let state = state(pool);
        (state.open, state.idle.len())
    };
    assert_eq!(counts(&pool), (0, 0));

    pool.with_reader(|_| Ok(())).expect("a plain read");
    assert_eq!(counts(&pool), (1, 1));
}

#[test]
fn a_closed_pool_refuses_reads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = ReaderPool::new(database(&dir), Limits::default(), 1);
    pool.with_reader(|_| Ok(())).expect("read before close");
    pool.close();
    let refused = pool.with_reader(|_| Ok(())).expect_err("closed");
    assert_eq!(refused.code, ErrorCode::DatabaseNotFound);
    assert_eq!(state(&pool).open, 0, "the idle reader was closed");
    assert!(pool.with_idle_reader(|_| ()).is_none());
}
