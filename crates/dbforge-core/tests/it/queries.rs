//! Queries: `execute` and the tables and rows operations, each counted once in the gateway's
//! statistics (errors too), heard by the query observers, and followed into the catalog when
//! they change the schema.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dbforge_api::{ColumnDefinition, CreateTableRequest, ErrorCode, Value};
use dbforge_core::QueryObserver;
use dbforge_engine::{Encoding, RowsQuery, Statement};

use crate::support::{TestCore, code_of, deadline, guarded, name};

#[tokio::test]
async fn each_execute_counts_one_query_and_a_failing_one_one_error() {
    let test = TestCore::start();
    test.create("counted").await;
    let before = test.stats().await;
    assert_eq!((before.queries_total, before.query_errors_total), (0, 0));

    let db = guarded(test.core.database(&test.admin, &name("counted")))
        .await
        .expect("open");
    let created = guarded(test.core.execute(
        &db,
        vec![Statement::new(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT)",
        )],
        &deadline(),
    ))
    .await
    .expect("created");
    assert_eq!(created.len(), 1);
    let inserted = guarded(test.core.execute(
        &db,
        vec![
            Statement::new("INSERT INTO items (label) VALUES ('one')"),
            Statement::new("INSERT INTO items (label) VALUES ('two')"),
        ],
        &deadline(),
    ))
    .await
    .expect("inserted");
    assert_eq!(
        inserted.iter().map(|o| o.rows_affected).collect::<Vec<_>>(),
        [1, 1]
    );
    assert_eq!(inserted[1].last_insert_rowid, Some(2));
    let failed = guarded(test.core.execute(
        &db,
        vec![Statement::new("SELEC nonsense")],
        &deadline(),
    ))
    .await;
    assert_eq!(code_of(failed), ErrorCode::SqlError);

    let after = test.stats().await;
    assert_eq!(after.queries_total, 3, "one per execute, not per statement");
    assert_eq!(after.query_errors_total, 1);
    assert_eq!(after.query_latency.count, 3);
    assert!(after.commits_total >= 2, "{} commits", after.commits_total);
}

#[tokio::test]
async fn a_failing_statement_undoes_the_whole_request() {
    let test = TestCore::start();
    test.create("atomic").await;
    test.run("atomic", &["CREATE TABLE t (x UNIQUE)"])
        .await
        .expect("created");
    let failed = test
        .run(
            "atomic",
            &["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"],
        )
        .await
        .expect_err("the second insert breaks the constraint");
    assert_eq!(failed.statement, Some(1), "the failing statement is named");
    assert_eq!(
        test.scalar("atomic", "SELECT count(*) FROM t").await,
        Value::Integer(0)
    );
}

#[tokio::test]
async fn the_table_count_follows_a_schema_change_before_and_after_closing() {
    let test = TestCore::start();
    test.create("schema").await;
    test.run("schema", &["CREATE TABLE t (x)"])
        .await
        .expect("created");

    // Open, `describe_database` answers the live count.
    let open = test
        .core
        .describe_database(&test.admin, &name("schema"))
        .expect("described");
    assert!(open.open);
    assert_eq!(open.table_count, 1);

    // Closed, it answers the catalog's, which followed the change.
    test.core.close_all();
    let closed = test
        .core
        .describe_database(&test.admin, &name("schema"))
        .expect("described");
    assert!(!closed.open);
    assert_eq!(closed.table_count, 1);

    // And the catalog kept it across a restart.
    let test = test.restart();
    let restarted = test
        .core
        .describe_database(&test.admin, &name("schema"))
        .expect("described");
    assert_eq!((restarted.open, restarted.table_count), (false, 1));

    test.run("schema", &["CREATE VIEW v AS SELECT 1", "DROP TABLE t"])
        .await
        .expect("changed");
    test.core.close_all();
    let counted = test
        .core
        .describe_database(&test.admin, &name("schema"))
        .expect("described");
    assert_eq!(counted.table_count, 0, "views are not tables");
}

fn column(name: &str, column_type: &str) -> ColumnDefinition {
    ColumnDefinition {
        name: name.into(),
        column_type: Some(column_type.into()),
        primary_key: false,
        autoincrement: false,
        not_null: false,
        unique: false,
        default: None,
    }
}

#[tokio::test]
async fn each_tables_and_rows_operation_counts_one_query() {
    let test = TestCore::start();
    test.create("rows").await;
    let db = guarded(test.core.database(&test.admin, &name("rows")))
        .await
        .expect("open");
    let queries = || async { test.stats().await.queries_total };
    let mut expected = queries().await;

    let request = CreateTableRequest {
        name: "people".into(),
        columns: vec![
            ColumnDefinition {
                primary_key: true,
                ..column("id", "INTEGER")
            },
            column("name", "TEXT"),
        ],
        if_not_exists: false,
        strict: false,
    };
    let table = guarded(test.core.create_table(&db, &request, &deadline()))
        .await
        .expect("created");
    assert_eq!(table.name, "people");
    assert_eq!(
        table
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["id", "name"]
    );
    expected += 1;
    assert_eq!(queries().await, expected, "create_table");

    let tables = guarded(test.core.describe_tables(&db, None, &deadline()))
        .await
        .expect("described");
    assert_eq!(
        tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["people"]
    );
    expected += 1;
    assert_eq!(queries().await, expected, "describe_tables");

    let one = guarded(test.core.describe_table(&db, "people", &deadline()))
        .await
        .expect("described");
    assert_eq!(one, table);
    expected += 1;
    assert_eq!(queries().await, expected, "describe_table");

    let rows = vec![
        vec![("name".to_owned(), Ok(Value::Text("Ada".into())))],
        vec![("name".to_owned(), Ok(Value::Text("Grace".into())))],
    ];
    let inserted = guarded(test.core.insert_rows(&db, "people", rows, &deadline()))
        .await
        .expect("inserted");
    assert_eq!(inserted.inserted, 2);
    assert_eq!(inserted.rowids, [Some(1), Some(2)]);
    expected += 1;
    assert_eq!(queries().await, expected, "insert_rows");

    let query = RowsQuery {
        limit: 1,
        ..RowsQuery::default()
    };
    let page =
        guarded(
            test.core
                .read_rows(&db, "people", &query, Encoding::default(), &deadline()),
        )
        .await
        .expect("read");
    assert_eq!(
        page.output.rows,
        [vec![Value::Integer(1), Value::Text("Ada".into())]]
    );
    assert!(
        page.next_after.is_some() || page.next_offset.is_some(),
        "a second page"
    );
    expected += 1;
    assert_eq!(queries().await, expected, "read_rows");

    let missing = guarded(test.core.describe_table(&db, "nobody", &deadline())).await;
    assert_eq!(code_of(missing), ErrorCode::TableNotFound);
    expected += 1;
    let stats = test.stats().await;
    assert_eq!(stats.queries_total, expected, "a failed describe_table");
    assert_eq!(stats.query_errors_total, 1);

    assert_eq!(
        test.core
            .describe_database(&test.admin, &name("rows"))
            .expect("described")
            .table_count,
        1,
        "create_table is a schema change like any other"
    );
}

/// Remembers the outcome of every query it hears of.
#[derive(Default)]
struct Recorder {
    outcomes: Mutex<Vec<bool>>,
}

impl QueryObserver for Recorder {
    fn query_finished(&self, _elapsed: Duration, ok: bool) {
        self.outcomes.lock().expect("not poisoned").push(ok);
    }
}

impl Recorder {
    fn outcomes(&self) -> Vec<bool> {
        self.outcomes.lock().expect("not poisoned").clone()
    }
}

#[tokio::test]
async fn query_observers_hear_every_query_with_its_outcome() {
    let recorder = Arc::new(Recorder::default());
    let observer: Arc<dyn QueryObserver> = recorder.clone();
    let test = TestCore::start_with(|_| {}, vec![observer]);
    test.create("observed").await;
    assert!(recorder.outcomes().is_empty(), "creating is not a query");

    test.run("observed", &["CREATE TABLE t (x)"])
        .await
        .expect("created");
    test.run("observed", &["INSERT INTO nowhere VALUES (1)"])
        .await
        .expect_err("no such table");
    let db = guarded(test.core.database(&test.admin, &name("observed")))
        .await
        .expect("open");
    guarded(test.core.describe_tables(&db, None, &deadline()))
        .await
        .expect("described");
    let (lease, mut state) = guarded(test.core.open_stream(&test.admin, &name("observed"), None))
        .await
        .expect("a stream");
    guarded(test.core.run_in_stream(
        &mut state,
        Statement::new("SELECT * FROM t"),
        1 << 20,
        &deadline(),
    ))
    .await
    .expect("read in the stream");
    guarded(test.core.run_in_stream(
        &mut state,
        Statement::new("SELECT * FROM nowhere"),
        1 << 20,
        &deadline(),
    ))
    .await
    .expect_err("no such table");
    guarded(test.core.finish_stream(lease, state, true)).await;

    assert_eq!(recorder.outcomes(), [true, false, true, true, false]);
    let stats = test.stats().await;
    assert_eq!((stats.queries_total, stats.query_errors_total), (5, 2));
}
