//! Databases: create, describe, list and delete through the core, and the errors of each.

use dbforge_api::{DatabaseLimits, ErrorCode};
use dbforge_core::ListQuery;

use crate::support::{TestCore, code_of, guarded, name};

#[tokio::test]
async fn a_created_database_is_described_and_listed() {
    let test = TestCore::start();
    let created = test.create("shop").await;
    assert_eq!(created.name.as_str(), "shop");
    assert_eq!(created.table_count, 0);
    assert_eq!(
        created.max_size_bytes,
        test.core.limits().default_max_size_bytes,
        "without a limit of its own, the server's default applies"
    );
    assert!(created.size_bytes > 0, "the file exists with its header");
    assert!(!created.open, "creating a database does not keep it open");
    assert!(test.data_dir().join("shop.db").is_file());

    let described = test
        .core
        .describe_database(&test.admin, &name("shop"))
        .expect("described");
    assert_eq!(described, created);

    let list = guarded(test.core.list_databases(&test.admin, ListQuery::default()))
        .await
        .expect("listed");
    assert_eq!(list.total, 1);
    assert_eq!(list.databases, vec![created]);
    assert_eq!(list.next_cursor, None);
}

#[tokio::test]
async fn a_database_keeps_the_size_limit_it_was_created_with() {
    let test = TestCore::start();
    let limits = DatabaseLimits {
        max_size_bytes: Some(1 << 20),
    };
    let created = test.create_with("small", limits).await.expect("created");
    assert_eq!(created.max_size_bytes, 1 << 20);
    let described = test
        .core
        .describe_database(&test.admin, &name("small"))
        .expect("described");
    assert_eq!(described.max_size_bytes, 1 << 20);
    let restarted = test.restart();
    let described = restarted
        .core
        .describe_database(&restarted.admin, &name("small"))
        .expect("described after a restart");
    assert_eq!(described.max_size_bytes, 1 << 20, "the catalog keeps it");
}

#[tokio::test]
async fn creating_a_database_twice_answers_database_exists() {
    let test = TestCore::start();
    let first = test.create("twice").await;
    let second = test.create_with("twice", DatabaseLimits::default()).await;
    assert_eq!(code_of(second), ErrorCode::DatabaseExists);
    let described = test
        .core
        .describe_database(&test.admin, &name("twice"))
        .expect("the first one is still there");
    assert_eq!(described.created_at, first.created_at);
}

#[tokio::test]
async fn a_zero_size_limit_is_an_invalid_request_and_creates_nothing() {
    let test = TestCore::start();
    let limits = DatabaseLimits {
        max_size_bytes: Some(0),
    };
    assert_eq!(
        code_of(test.create_with("zero", limits).await),
        ErrorCode::InvalidRequest
    );
    assert!(!test.data_dir().join("zero.db").exists());
    assert_eq!(
        code_of(test.core.describe_database(&test.admin, &name("zero"))),
        ErrorCode::DatabaseNotFound
    );
}

#[tokio::test]
async fn a_deleted_database_is_not_found_and_its_files_are_gone() {
    let test = TestCore::start();
    test.create("doomed").await;
    test.run(
        "doomed",
        &["CREATE TABLE t (x)", "INSERT INTO t VALUES (1)"],
    )
    .await
    .expect("written");
    assert!(
        test.data_dir().join("doomed.db-wal").exists(),
        "open in WAL mode"
    );

    guarded(test.core.delete_database(&test.admin, &name("doomed")))
        .await
        .expect("deleted");

    assert_eq!(
        code_of(guarded(test.core.database(&test.admin, &name("doomed"))).await),
        ErrorCode::DatabaseNotFound
    );
    assert_eq!(
        code_of(test.core.describe_database(&test.admin, &name("doomed"))),
        ErrorCode::DatabaseNotFound
    );
    for file in ["doomed.db", "doomed.db-wal", "doomed.db-shm"] {
        assert!(!test.data_dir().join(file).exists(), "{file} is left");
    }
    let stats = test.stats().await;
    assert_eq!((stats.database_count, stats.open_databases), (0, 0));
}

#[tokio::test]
async fn deleting_a_database_twice_answers_database_not_found() {
    let test = TestCore::start();
    test.create("once").await;
    guarded(test.core.delete_database(&test.admin, &name("once")))
        .await
        .expect("deleted");
    let again = guarded(test.core.delete_database(&test.admin, &name("once"))).await;
    assert_eq!(code_of(again), ErrorCode::DatabaseNotFound);
}

#[tokio::test]
async fn a_name_is_free_again_once_its_database_is_deleted() {
    let test = TestCore::start();
    test.create("reused").await;
    test.run("reused", &["CREATE TABLE old (x)"])
        .await
        .expect("written");
    guarded(test.core.delete_database(&test.admin, &name("reused")))
        .await
        .expect("deleted");
    let created = test.create("reused").await;
    assert_eq!(
        created.table_count, 0,
        "nothing of the old database is left"
    );
    let tables = test
        .scalar("reused", "SELECT count(*) FROM sqlite_schema")
        .await;
    assert_eq!(tables, dbforge_api::Value::Integer(0));
}

/// Opens `name` until it is gone, as requests arriving during a deletion do.
async fn open_until_gone(core: dbforge_core::Core, admin: dbforge_core::Principal) {
    loop {
        match core.database(&admin, &name("contested")).await {
            Ok(handle) => drop(handle),
            Err(e) if e.code == ErrorCode::DatabaseNotFound => return,
            Err(e) => panic!("opening during a deletion: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_opened_during_its_deletion_does_not_outlive_it() {
    let test = TestCore::start();
    for round in 0..100 {
        test.create("contested").await;
        test.run("contested", &["CREATE TABLE old (x)"])
            .await
            .expect("written");
        let openers: Vec<_> = (0..3)
            .map(|_| tokio::spawn(open_until_gone(test.core.clone(), test.admin.clone())))
            .collect();
        guarded(test.core.delete_database(&test.admin, &name("contested")))
            .await
            .expect("deleted");
        for opener in openers {
            guarded(opener).await.expect("the opener ends");
        }
        let still_open = test.stats().await.open_databases;

        // What a client of the new database of that name writes must be in its file.
        test.create("contested").await;
        test.run(
            "contested",
            &["CREATE TABLE fresh (x)", "INSERT INTO fresh VALUES (1)"],
        )
        .await
        .expect("written");
        test.core.close_all();
        let read = test
            .run("contested", &["SELECT count(*) FROM fresh"])
            .await
            .map(|mut outputs| outputs.remove(0).rows);
        assert_eq!(
            read,
            Ok(vec![vec![dbforge_api::Value::Integer(1)]]),
            "round {round}: the write went elsewhere ({still_open} database left open by the \
             deletion)"
        );
        assert_eq!(
            still_open, 0,
            "round {round}: the deleted database was left open"
        );
        guarded(test.core.delete_database(&test.admin, &name("contested")))
            .await
            .expect("deleted");
    }
}
