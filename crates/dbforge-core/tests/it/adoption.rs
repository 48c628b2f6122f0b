//! Reconciliation at start-up: SQLite files dropped into the data directory are adopted
//! (their tables counted), catalog entries whose file is gone are dropped, and anything that
//! is not a database of a valid name is left alone.

use dbforge_api::{ErrorCode, Value};
use rusqlite::Connection;

use crate::support::{TestCore, code_of, config, name};

fn write_sqlite_file(path: &std::path::Path, tables: usize) {
    let conn = Connection::open(path).expect("a new SQLite file");
    for i in 0..tables {
        conn.execute_batch(&format!(
            "CREATE TABLE t{i} (x); INSERT INTO t{i} VALUES ({i});"
        ))
        .expect("a table");
    }
    conn.close().expect("closed");
}

#[tokio::test]
async fn a_sqlite_file_dropped_into_the_data_directory_is_adopted_with_its_tables() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_sqlite_file(&dir.path().join("legacy.db"), 2);
    std::fs::write(dir.path().join("notes.db"), b"not a database at all").expect("written");
    write_sqlite_file(&dir.path().join("Bad Name.db"), 1);
    write_sqlite_file(&dir.path().join("other.sqlite"), 1);

    let config = config(dir.path());
    let test = TestCore::open_in(dir, config, Vec::new());

    let reconciled = &test.opened.reconciled;
    assert_eq!(reconciled.adopted, [name("legacy")]);
    assert!(reconciled.dropped.is_empty());
    let info = test
        .core
        .describe_database(&test.admin, &name("legacy"))
        .expect("adopted");
    assert_eq!(info.table_count, 2);
    assert_eq!(
        info.max_size_bytes,
        test.core.limits().default_max_size_bytes
    );
    assert_eq!(
        test.scalar("legacy", "SELECT x FROM t1").await,
        Value::Integer(1),
        "its data is served"
    );
    assert_eq!(
        code_of(test.core.describe_database(&test.admin, &name("notes"))),
        ErrorCode::DatabaseNotFound,
        "a file without SQLite's header is not adopted"
    );
    assert_eq!(test.stats().await.database_count, 1);

    // The adopted table count was written to the catalog, not only learned.
    let test = test.restart();
    assert!(test.opened.reconciled.adopted.is_empty(), "adopted once");
    let info = test
        .core
        .describe_database(&test.admin, &name("legacy"))
        .expect("still there");
    assert_eq!((info.open, info.table_count), (false, 2));
}

#[tokio::test]
async fn a_database_whose_catalog_was_lost_is_adopted_back() {
    let test = TestCore::start();
    test.create("kept").await;
    test.run("kept", &["CREATE TABLE t (x)", "INSERT INTO t VALUES (42)"])
        .await
        .expect("written");
    test.core.close_all();
    let dir = test.dir;
    drop(test.core);
    for entry in std::fs::read_dir(dir.path().join("_forge")).expect("forge dir") {
        let path = entry.expect("an entry").path();
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if file_name.starts_with("catalog.db") {
            std::fs::remove_file(&path).expect("catalog file removed");
        }
    }

    let config = config(dir.path());
    let test = TestCore::open_in(dir, config, Vec::new());
    assert_eq!(test.opened.reconciled.adopted, [name("kept")]);
    let info = test
        .core
        .describe_database(&test.admin, &name("kept"))
        .expect("adopted");
    assert_eq!(info.table_count, 1);
    assert_eq!(
        test.scalar("kept", "SELECT x FROM t").await,
        Value::Integer(42)
    );
}

#[tokio::test]
async fn a_catalog_entry_whose_file_is_gone_is_dropped() {
    let test = TestCore::start();
    test.create("vanished").await;
    test.create("stays").await;
    test.core.close_all();
    std::fs::remove_file(test.data_dir().join("vanished.db")).expect("file removed");

    let test = test.restart();
    assert_eq!(test.opened.reconciled.dropped, [name("vanished")]);
    assert!(test.opened.reconciled.adopted.is_empty());
    assert_eq!(
        code_of(test.core.describe_database(&test.admin, &name("vanished"))),
        ErrorCode::DatabaseNotFound
    );
    test.core
        .describe_database(&test.admin, &name("stays"))
        .expect("the other one stays");

    // Dropped from the catalog on disk too: a second restart has nothing to reconcile.
    let test = test.restart();
    assert!(test.opened.reconciled.dropped.is_empty());
    test.create("vanished").await;
}
