//! Listing databases: name order paged by cursor or offset, prefix and search filters, the
//! other sort orders, and the queries the core refuses.

use dbforge_api::{DatabaseList, ErrorCode, SortKey, SortOrder};
use dbforge_core::ListQuery;

use crate::support::{TestCore, code_of, guarded};

/// Created out of name order, so that name order and creation order differ.
const NAMES: [&str; 5] = ["b1", "a2", "c1", "a1", "a3"];

async fn with_databases() -> TestCore {
    let test = TestCore::start();
    for name in NAMES {
        test.create(name).await;
    }
    test
}

async fn list(test: &TestCore, query: ListQuery) -> DatabaseList {
    guarded(test.core.list_databases(&test.admin, query))
        .await
        .expect("listed")
}

fn names(list: &DatabaseList) -> Vec<&str> {
    list.databases.iter().map(|d| d.name.as_str()).collect()
}

#[tokio::test]
async fn name_order_pages_follow_the_cursor_to_the_end() {
    let test = with_databases().await;
    let mut query = ListQuery {
        limit: 2,
        ..ListQuery::default()
    };
    let mut pages = Vec::new();
    loop {
        let page = list(&test, query.clone()).await;
        assert_eq!(page.total, 5, "the total counts every page");
        pages.push(names(&page).join(","));
        match page.next_cursor {
            Some(cursor) => query.after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(pages, ["a1,a2", "a3,b1", "c1"]);
}

#[tokio::test]
async fn a_full_last_page_has_no_cursor() {
    let test = with_databases().await;
    let page = list(
        &test,
        ListQuery {
            limit: 5,
            ..ListQuery::default()
        },
    )
    .await;
    assert_eq!(names(&page).len(), 5);
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn a_prefix_narrows_the_list_and_its_total() {
    let test = with_databases().await;
    let first = list(
        &test,
        ListQuery {
            limit: 2,
            prefix: Some("a".into()),
            ..ListQuery::default()
        },
    )
    .await;
    assert_eq!((names(&first), first.total), (vec!["a1", "a2"], 3));
    let rest = list(
        &test,
        ListQuery {
            limit: 2,
            prefix: Some("a".into()),
            after: first.next_cursor,
            ..ListQuery::default()
        },
    )
    .await;
    assert_eq!(names(&rest), ["a3"]);
    assert_eq!(rest.next_cursor, None);
}

#[tokio::test]
async fn search_matches_a_substring_case_insensitively() {
    let test = with_databases().await;
    let found = list(
        &test,
        ListQuery {
            search: Some("1".into()),
            ..ListQuery::default()
        },
    )
    .await;
    assert_eq!((names(&found), found.total), (vec!["a1", "b1", "c1"], 3));
    let upper = list(
        &test,
        ListQuery {
            search: Some("A".into()),
            ..ListQuery::default()
        },
    )
    .await;
    assert_eq!(names(&upper), ["a1", "a2", "a3"]);
    assert_eq!(upper.next_cursor, None, "searches page by offset");
}

#[tokio::test]
async fn sorting_by_created_follows_creation_order_within_one_millisecond() {
    // Creations can fall within one millisecond: the order must hold all the same.
    let test = with_databases().await;
    let by_created = |order| ListQuery {
        sort: SortKey::Created,
        order,
        ..ListQuery::default()
    };
    let ascending = list(&test, by_created(SortOrder::Asc)).await;
    assert_eq!(names(&ascending), NAMES);
    let mut reversed = NAMES;
    reversed.reverse();
    let descending = list(&test, by_created(SortOrder::Desc)).await;
    assert_eq!(names(&descending), reversed);
    let times: Vec<&str> = ascending
        .databases
        .iter()
        .map(|d| d.created_at.as_str())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] < w[1]),
        "every creation time is later than the one before: {times:?}"
    );
}

#[tokio::test]
async fn sorting_by_tables_descending_puts_the_most_tables_first() {
    let test = with_databases().await;
    test.run(
        "c1",
        &[
            "CREATE TABLE t1 (x)",
            "CREATE TABLE t2 (x)",
            "CREATE TABLE t3 (x)",
        ],
    )
    .await
    .expect("three tables");
    test.run("a2", &["CREATE TABLE t1 (x)"])
        .await
        .expect("one table");
    test.run("b1", &["CREATE TABLE t1 (x)", "CREATE TABLE t2 (x)"])
        .await
        .expect("two tables");
    let query = ListQuery {
        sort: SortKey::Tables,
        order: SortOrder::Desc,
        limit: 3,
        ..ListQuery::default()
    };
    let open = list(&test, query.clone()).await;
    assert_eq!(names(&open), ["c1", "b1", "a2"]);
    assert_eq!(
        open.databases
            .iter()
            .map(|d| d.table_count)
            .collect::<Vec<_>>(),
        [3, 2, 1]
    );
    // Closed, the order comes from the catalog's counts: the same.
    test.core.close_all();
    let closed = list(&test, query).await;
    assert!(closed.databases.iter().all(|d| !d.open));
    assert_eq!(names(&closed), ["c1", "b1", "a2"]);
}

#[tokio::test]
async fn offset_pages_in_name_order_and_in_any_sort() {
    let test = with_databases().await;
    let by_name = list(
        &test,
        ListQuery {
            limit: 2,
            offset: Some(2),
            ..ListQuery::default()
        },
    )
    .await;
    assert_eq!((names(&by_name), by_name.total), (vec!["a3", "b1"], 5));
    assert_eq!(by_name.next_cursor.as_deref(), Some("b1"));
    let by_created = list(
        &test,
        ListQuery {
            limit: 2,
            offset: Some(3),
            sort: SortKey::Created,
            ..ListQuery::default()
        },
    )
    .await;
    assert_eq!(names(&by_created), ["a1", "a3"]);
    assert_eq!((by_created.total, by_created.next_cursor), (5, None));
    let past_the_end = list(
        &test,
        ListQuery {
            offset: Some(10),
            sort: SortKey::Created,
            ..ListQuery::default()
        },
    )
    .await;
    assert!(past_the_end.databases.is_empty());
    assert_eq!(past_the_end.total, 5);
}

#[tokio::test]
async fn limits_outside_one_to_a_thousand_are_invalid() {
    let test = with_databases().await;
    for limit in [0, 1001] {
        let refused = guarded(test.core.list_databases(
            &test.admin,
            ListQuery {
                limit,
                ..ListQuery::default()
            },
        ))
        .await;
        assert_eq!(code_of(refused), ErrorCode::InvalidRequest, "limit {limit}");
    }
    for limit in [1, 1000] {
        let page = list(
            &test,
            ListQuery {
                limit,
                ..ListQuery::default()
            },
        )
        .await;
        assert_eq!(page.databases.len(), limit.min(5), "limit {limit}");
    }
}

#[tokio::test]
async fn a_cursor_with_a_sort_search_order_or_offset_is_invalid() {
    let test = with_databases().await;
    let after = || ListQuery {
        after: Some("a1".into()),
        ..ListQuery::default()
    };
    let refused = [
        ListQuery {
            sort: SortKey::Created,
            ..after()
        },
        ListQuery {
            sort: SortKey::Tables,
            ..after()
        },
        ListQuery {
            order: SortOrder::Desc,
            ..after()
        },
        ListQuery {
            search: Some("a".into()),
            ..after()
        },
        ListQuery {
            offset: Some(1),
            ..after()
        },
        ListQuery {
            after: Some("Not A Name".into()),
            ..ListQuery::default()
        },
    ];
    for query in refused {
        let answer = guarded(test.core.list_databases(&test.admin, query.clone())).await;
        assert_eq!(code_of(answer), ErrorCode::InvalidRequest, "{query:?}");
    }
}
