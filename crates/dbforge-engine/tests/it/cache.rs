//! The engine's data directory and its cache of open databases: the least recently used idle
//! database is evicted past the bound, handles in use never are, idle ones are closed,
//! deleted databases stay deleted, and the directory scan finds exactly the databases.

use std::time::Duration;

use dbforge_api::ErrorCode;

use crate::support::{TestEngine, create_table, ids, name, query_i64, run, settings};

#[tokio::test]
async fn past_the_bound_the_least_recently_used_database_is_evicted() {
    let t = TestEngine::with(|config| config.max_open_databases = 2);
    for raw in ["a", "b", "c"] {
        t.engine.create_database(&name(raw)).expect("created");
    }
    {
        let b = t.open("b");
        create_table(&b).await;
        run(
            &b,
            "INSERT INTO t (id, v) VALUES (7, 'kept across eviction')",
        )
        .await
        .expect("insert");
    }
    drop(t.open("a"));
    drop(t.open("b"));
    // `a` is used again, in the same millisecond as likely as not: uses are ordered by count,
    // not by time: `b` is now the least recently used.
    drop(t.engine.cached(&name("a")).expect("a is open"));

    let c = t.open("c");
    assert_eq!(t.engine.open_count(), 2);
    assert!(t.engine.cached(&name("b")).is_none(), "b was evicted");
    assert!(t.engine.cached(&name("a")).is_some(), "a was used after b");
    assert!(t.engine.cached(&name("c")).is_some());
    drop(c);

    // Eviction closes, it does not delete: b reopens with its data.
    let b = t.open("b");
    assert_eq!(ids(&b).await, vec![7]);
}

#[tokio::test]
async fn a_database_in_use_is_never_evicted() {
    let t = TestEngine::with(|config| config.max_open_databases = 1);
    for raw in ["a", "b", "c"] {
        t.engine.create_database(&name(raw)).expect("created");
    }
    let held = t.open("a");
    let b = t.open("b");
    assert_eq!(t.engine.open_count(), 2, "both are in use: the bound waits");
    drop(b);

    let c = t.open("c");
    assert_eq!(t.engine.open_count(), 2, "only b, unused, could go");
    assert!(t.engine.cached(&name("b")).is_none());
    assert!(t.engine.cached(&name("a")).is_some());
    drop(c);
    run(&held, "CREATE TABLE still_open (x)")
        .await
        .expect("the held handle still works");
}

#[tokio::test]
async fn close_idle_closes_every_unused_database_past_the_idle_timeout() {
    let t = TestEngine::with(|config| config.idle_timeout = Duration::ZERO);
    let held = t.create("held");
    drop(t.create("idle-1"));
    drop(t.create("idle-2"));
    assert_eq!(t.engine.open_count(), 3);

    assert_eq!(t.engine.close_idle(), 2);
    assert_eq!(t.engine.open_count(), 1, "a database in use stays open");
    assert!(t.engine.cached(&name("held")).is_some());
    create_table(&held).await;

    // Closed, not gone: it opens again on demand.
    let reopened = t.open("idle-1");
    assert_eq!(
        query_i64(&reopened, "SELECT count(*) FROM sqlite_schema").await,
        0
    );
}

#[tokio::test]
async fn close_idle_leaves_recently_used_databases_open() {
    // The default idle timeout is minutes: a database used just now is not idle.
    let t = TestEngine::new();
    drop(t.create("recent"));
    assert_eq!(t.engine.close_idle(), 0);
    assert_eq!(t.engine.open_count(), 1);
}

#[tokio::test]
async fn a_deleted_database_cannot_be_opened_and_comes_back_empty_if_created_again() {
    let t = TestEngine::new();
    {
        let db = t.create("doomed");
        create_table(&db).await;
    }
    let doomed = name("doomed");
    t.engine.delete_database(&doomed).expect("deleted");

    let refused = t
        .engine
        .open(&doomed, settings())
        .err()
        .expect("a deleted database does not open");
    assert_eq!(refused.code, ErrorCode::DatabaseNotFound);
    assert!(
        !t.engine.database_path(&doomed).exists(),
        "opening did not recreate it"
    );
    assert_eq!(t.engine.open_count(), 0);

    let again = t.create("doomed");
    assert_eq!(
        again.table_count(),
        0,
        "nothing of the deleted database came back"
    );
}

#[tokio::test]
async fn a_handle_held_across_deletion_refuses_reads_and_writes() {
    let t = TestEngine::new();
    let db = t.create("deleted-under");
    create_table(&db).await;
    t.engine
        .delete_database(&name("deleted-under"))
        .expect("deleted");

    let write = run(&db, "INSERT INTO t (id, v) VALUES (1, 'x')")
        .await
        .expect_err("no writes after deletion");
    assert_eq!(write.code, ErrorCode::DatabaseNotFound);
    let read = run(&db, "SELECT count(*) FROM t")
        .await
        .expect_err("no reads after deletion");
    assert_eq!(read.code, ErrorCode::DatabaseNotFound);
    assert!(!t.engine.database_path(db.name()).exists());
}

#[tokio::test]
async fn opening_a_database_never_created_fails_without_creating_it() {
    let t = TestEngine::new();
    let missing = name("never-created");
    let refused = t
        .engine
        .open(&missing, settings())
        .err()
        .expect("not found");
    assert_eq!(refused.code, ErrorCode::DatabaseNotFound);
    assert!(!t.engine.database_path(&missing).exists());
}

#[tokio::test]
async fn creating_an_existing_database_is_refused() {
    let t = TestEngine::new();
    let db = t.create("twice");
    create_table(&db).await;
    let refused = t
        .engine
        .create_database(&name("twice"))
        .expect_err("exists");
    assert_eq!(refused.code, ErrorCode::DatabaseExists);
    assert_eq!(db.table_count(), 1, "the existing database was left alone");
}

#[tokio::test]
async fn the_data_directory_scan_lists_exactly_the_databases() {
    let t = TestEngine::new();
    for raw in ["alpha", "beta"] {
        t.engine.create_database(&name(raw)).expect("created");
    }
    drop(t.create("gamma"));
    t.engine
        .delete_database(&name("gamma"))
        .expect("gamma deleted");
    let dir = t.dir.path();
    // A valid name but not SQLite, a real database under an invalid name, other files.
    std::fs::write(dir.join("fake.db"), b"not a database at all").expect("write fake.db");
    std::fs::copy(dir.join("alpha.db"), dir.join("Not_Valid.db")).expect("copy");
    std::fs::write(dir.join("notes.txt"), b"hello").expect("write notes");
    std::fs::create_dir(dir.join("folder.db")).expect("mkdir");
    // An empty file is an empty database (a crash during creation leaves one): it is found.
    std::fs::write(dir.join("empty.db"), b"").expect("write empty.db");

    let mut found: Vec<String> = t
        .engine
        .scan_data_dir()
        .expect("scan")
        .into_iter()
        .map(|stored| stored.name.to_string())
        .collect();
    found.sort();
    assert_eq!(found, vec!["alpha", "beta", "empty"]);
    let empty = t.open("empty");
    assert_eq!(
        query_i64(&empty, "SELECT count(*) FROM sqlite_schema").await,
        0,
        "an empty file opens as an empty database"
    );
    // A name held by a file that is not a database says so.
    let refused = t
        .engine
        .create_database(&name("fake"))
        .expect_err("the name is taken by a file");
    assert_eq!(refused.code, ErrorCode::DatabaseExists);
    assert!(
        refused.message.contains("not a SQLite database"),
        "{refused:?}"
    );
}
