//! `dbforge audit` against a real gateway: writes and admin actions show up with who made
//! them, filters narrow them, one page says how to get the next (never a silent cut), `--all`
//! follows the cursor to the end, and the log is for admins only.

use std::process::Output;

use serde_json::Value;

use crate::support::{
    Launch, client_failure as failure, client_stdout as stdout, run_client as dbforge,
    run_client_with_key as dbforge_as,
};

const QUERY: &str = "POST /api/db/{name}/query";

fn json(output: &Output) -> Value {
    let text = stdout(output);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Creates a key with `dbforge keys create` and returns its id and secret.
fn create_key(url: &str, name: &str, role: &str) -> (String, String) {
    let created = json(&dbforge(
        url,
        &[
            "keys",
            "create",
            "--name",
            name,
            "--role",
            role,
            "--databases",
            "shop",
            "--format",
            "json",
        ],
        None,
    ));
    let text = |value: &Value| value.as_str().expect("a string").to_owned();
    (text(&created["key"]["id"]), text(&created["secret"]))
}

/// The `action`s of a JSON list of entries, in order.
fn actions(entries: &Value) -> Vec<&str> {
    entries
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["action"].as_str().expect("an action"))
        .collect()
}

#[test]
fn the_audit_log_is_listed_filtered_and_paged_from_the_command_line() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    stdout(&dbforge(url, &["db", "create", "shop"], None));
    stdout(&dbforge(url, &["sql", "shop", "CREATE TABLE t(x)"], None));
    let (writer_id, writer) = create_key(url, "writer", "read_write");
    let (_, reader) = create_key(url, "reader", "read_only");
    for i in 1..=3 {
        let insert = format!("INSERT INTO t VALUES ({i})");
        stdout(&dbforge_as(url, &writer, &["sql", "shop", &insert], None));
    }
    stdout(&dbforge_as(
        url,
        &reader,
        &["sql", "shop", "SELECT * FROM t"],
        None,
    ));
    let (code, _) = failure(&dbforge_as(
        url,
        &reader,
        &["sql", "shop", "DELETE FROM t"],
        None,
    ));
    assert_eq!(code, Some(1), "a read-only key may not write");

    let all = json(&dbforge(url, &["audit", "--format", "json"], None));
    assert_eq!(
        actions(&all),
        [
            QUERY,
            QUERY,
            QUERY,
            QUERY,
            "POST /admin/keys",
            "POST /admin/keys",
            QUERY,
            "POST /admin/databases/spawn/{name}",
        ],
        "newest first, the read left out: {all:#}"
    );
    let write = &all[1];
    assert_eq!(
        (
            &write["credential"],
            &write["credential_id"],
            &write["credential_name"],
            &write["client"],
            &write["database"],
            &write["statements"],
            &write["status"],
            &write["error"],
        ),
        (
            &Value::from("key"),
            &Value::from(writer_id.as_str()),
            &Value::from("writer"),
            &Value::from("127.0.0.1"),
            &Value::from("shop"),
            &serde_json::json!(["INSERT"]),
            &Value::from(200),
            &Value::Null,
        ),
        "{write:#}"
    );

    let table = dbforge(url, &["audit"], None);
    let text = stdout(&table);
    for header in [
        "at",
        "credential",
        "client",
        "action",
        "database",
        "statements",
        "status",
        "error",
    ] {
        assert!(
            text.lines().nth(1).is_some_and(|l| l.contains(header)),
            "{text}"
        );
    }
    assert!(
        text.contains("bootstrap_admin") && text.contains("forbidden") && text.contains("writer"),
        "{text}"
    );
    assert!(text.ends_with("8 row(s)\n"), "{text}");
    assert_eq!(stderr(&table), "", "one page holds it all: no hint");

    let errors = stdout(&dbforge(
        url,
        &["audit", "--outcome", "error", "--format", "csv"],
        None,
    ));
    let refusal = format!(",reader,127.0.0.1,{QUERY},shop,,403,forbidden\n");
    assert!(
        errors.starts_with("at,credential,client,action,database,statements,status,error\n")
            && errors.ends_with(&refusal)
            && errors.lines().count() == 2,
        "{errors}"
    );
    let by_writer = stdout(&dbforge(
        url,
        &["audit", "--key", &writer_id, "--format", "csv"],
        None,
    ));
    let insert = format!(",writer,127.0.0.1,{QUERY},shop,INSERT,200,\n");
    assert_eq!(by_writer.matches(&insert).count(), 3, "{by_writer}");
    assert_eq!(by_writer.lines().count(), 4, "{by_writer}");
    let keys_made = json(&dbforge(
        url,
        &["audit", "--action", "POST /admin/keys", "--format", "json"],
        None,
    ));
    assert_eq!(actions(&keys_made), ["POST /admin/keys"; 2]);
    let on_shop = json(&dbforge(
        url,
        &[
            "audit",
            "--database",
            "shop",
            "--outcome",
            "ok",
            "--format",
            "json",
        ],
        None,
    ));
    assert_eq!(on_shop.as_array().map(Vec::len), Some(5), "{on_shop:#}");
    let between = json(&dbforge(
        url,
        &[
            "audit",
            "--since",
            "2000-01-01T00:00:00Z",
            "--until",
            "2000-01-02T00:00:00Z",
            "--format",
            "json",
        ],
        None,
    ));
    assert_eq!(between, serde_json::json!([]));

    // One page at a time: stderr names the cursor of the next, and the pages add up.
    let first = dbforge(url, &["audit", "--limit", "3", "--format", "json"], None);
    let page = json(&first);
    assert_eq!(page.as_array().map(Vec::len), Some(3));
    let cursor = page[2]["id"].to_string();
    let hint = stderr(&first);
    assert!(
        hint.contains(&format!("--before {cursor}")) && hint.contains("--all"),
        "{hint}"
    );
    let mut paged = page.as_array().expect("a list").clone();
    let mut before = cursor;
    loop {
        let next = dbforge(
            url,
            &[
                "audit", "--limit", "3", "--before", &before, "--format", "json",
            ],
            None,
        );
        paged.extend(json(&next).as_array().expect("a list").iter().cloned());
        match stderr(&next).split("--before ").nth(1) {
            Some(rest) => before = rest.split_whitespace().next().expect("a cursor").into(),
            None => break,
        }
    }
    assert_eq!(Value::from(paged), all, "the pages add up to the whole log");
    let every = dbforge(
        url,
        &["audit", "--all", "--limit", "3", "--format", "json"],
        None,
    );
    assert_eq!(json(&every), all, "--all follows the cursor to the end");
    assert_eq!(stderr(&every), "");
    let every_csv = stdout(&dbforge(
        url,
        &["audit", "--all", "--limit", "2", "--format", "csv"],
        None,
    ));
    assert_eq!(every_csv.lines().count(), 9, "a header, once: {every_csv}");

    let (code, message) = failure(&dbforge_as(url, &writer, &["audit"], None));
    assert_eq!(code, Some(1), "admins only: {message}");
    assert!(message.contains("forbidden"), "{message}");
}

#[test]
fn bad_audit_requests_are_usage_errors_or_the_servers_refusal() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    for (args, why) in [
        (&["audit", "--outcome", "maybe"][..], "an unknown outcome"),
        (&["audit", "--before", "latest"][..], "a cursor is a number"),
        (&["audit", "--format", "xml"][..], "an unknown format"),
    ] {
        let (code, message) = failure(&dbforge(url, args, None));
        assert_eq!(code, Some(2), "{why}: {message}");
    }
    for (args, refusal) in [
        (&["audit", "--since", "yesterday"][..], "since"),
        (&["audit", "--limit", "0"][..], "limit"),
        (&["audit", "--limit", "1001", "--all"][..], "limit"),
    ] {
        let output = dbforge(url, args, None);
        let (code, message) = failure(&output);
        assert_eq!(code, Some(1), "{args:?}: {message}");
        assert!(
            message.contains("invalid_request") && message.contains(refusal),
            "{message}"
        );
        assert!(output.stdout.is_empty(), "nothing printed for a refusal");
    }
}
