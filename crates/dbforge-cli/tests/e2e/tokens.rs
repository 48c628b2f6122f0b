//! `dbforge token` against a real gateway: a token is minted (printed alone, for
//! `TOKEN=$(dbforge token shop)`), used as the CLI's key by flag and by environment (a
//! read-only one reads and is refused writes), and revoked per database and all at once.

use std::process::Output;

use serde_json::Value;

use crate::support::{
    Launch, client_failure as failure, client_stdout as stdout, run_client as dbforge,
    run_client_with_key as dbforge_as,
};

/// Mints a token with `dbforge token <args>` and returns it, checking it is printed alone.
fn mint(url: &str, args: &[&str]) -> String {
    let mut argv = vec!["token"];
    argv.extend_from_slice(args);
    let printed = stdout(&dbforge(url, &argv, None));
    let token = printed
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("not one line: {printed:?}"));
    assert!(
        token.starts_with("eyJ")
            && token.matches('.').count() == 2
            && !token.contains(char::is_whitespace),
        "not a JWT alone: {printed:?}"
    );
    token.to_owned()
}

/// Asserts `output` is the server's `unauthorized` (exit code 1).
fn assert_unauthorized(output: &Output, why: &str) {
    let (code, stderr) = failure(output);
    assert_eq!(code, Some(1), "{why}: {stderr}");
    assert!(stderr.contains("error: unauthorized: "), "{why}: {stderr}");
}

#[test]
fn a_read_only_token_reads_is_refused_writes_and_stops_when_revoked() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    stdout(&dbforge(url, &["db", "create", "shop"], None));
    stdout(&dbforge(
        url,
        &[
            "sql",
            "shop",
            "CREATE TABLE items(name TEXT); INSERT INTO items VALUES ('tea');",
        ],
        None,
    ));

    let token = mint(url, &["shop"]);
    let by_flag = dbforge(
        url,
        &[
            "--api-key",
            &token,
            "sql",
            "shop",
            "SELECT name FROM items",
            "--format",
            "csv",
        ],
        None,
    );
    assert_eq!(
        stdout(&by_flag),
        "name\ntea\n",
        "the token as --api-key reads"
    );
    let by_env = dbforge_as(
        url,
        &token,
        &[
            "sql",
            "shop",
            "SELECT count(*) AS n FROM items",
            "--format",
            "csv",
        ],
        None,
    );
    assert_eq!(
        stdout(&by_env),
        "n\n1\n",
        "the token in DBFORGE_API_KEY reads"
    );

    let write = dbforge_as(
        url,
        &token,
        &["sql", "shop", "INSERT INTO items VALUES ('milk')"],
        None,
    );
    let (code, stderr) = failure(&write);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: forbidden: ") && stderr.contains("read-only"),
        "{stderr}"
    );
    assert!(write.stdout.is_empty());
    let (code, stderr) = failure(&dbforge_as(url, &token, &["token", "shop"], None));
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("forbidden") && stderr.contains("cannot mint"),
        "{stderr}"
    );

    assert_eq!(
        stdout(&dbforge(url, &["token", "shop", "--revoke"], None)),
        "revoked every token of shop minted so far (revocation epoch 1)\n"
    );
    assert_unauthorized(
        &dbforge_as(url, &token, &["sql", "shop", "SELECT 1"], None),
        "a revoked token",
    );
    let check = stdout(&dbforge(
        url,
        &[
            "sql",
            "shop",
            "SELECT count(*) AS n FROM items",
            "--format",
            "csv",
        ],
        None,
    ));
    assert_eq!(check, "n\n1\n", "the refused write left nothing");
}

#[test]
fn read_write_tokens_with_a_lifetime_and_revoking_every_token() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    stdout(&dbforge(url, &["db", "create", "shop"], None));
    stdout(&dbforge(url, &["sql", "shop", "CREATE TABLE t(x)"], None));

    let answer: Value = serde_json::from_str(&stdout(&dbforge(
        url,
        &[
            "token",
            "shop",
            "--read-write",
            "--expires",
            "90s",
            "--format",
            "json",
        ],
        None,
    )))
    .expect("JSON");
    assert_eq!(
        (&answer["database"], &answer["access"]),
        (&Value::from("shop"), &Value::from("read_write")),
        "{answer}"
    );
    assert!(
        answer["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("tok_")),
        "{answer}"
    );
    assert!(answer["expires_at"].is_string(), "{answer}");
    let writer = answer["token"].as_str().expect("a token").to_owned();
    assert_eq!(
        stdout(&dbforge_as(
            url,
            &writer,
            &["sql", "shop", "INSERT INTO t VALUES (1)"],
            None
        )),
        "1 row(s) affected\n"
    );
    let reader = mint(url, &["shop", "--read-only", "--expires-in", "1h"]);

    let (code, stderr) = failure(&dbforge(url, &["token", "shop", "--expires", "soon"], None));
    assert_eq!(code, Some(1), "the server refuses the lifetime");
    assert!(
        stderr.contains("invalid_request") && stderr.contains("expires_in"),
        "{stderr}"
    );
    let (code, stderr) = failure(&dbforge(url, &["token", "nope"], None));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("database_not_found"), "{stderr}");

    let revoked: Value = serde_json::from_str(&stdout(&dbforge(
        url,
        &["token", "--revoke", "--all", "--format", "json"],
        None,
    )))
    .expect("JSON");
    assert_eq!(revoked, serde_json::json!({"database": null, "epoch": 1}));
    for token in [&writer, &reader] {
        assert_unauthorized(
            &dbforge_as(url, token, &["sql", "shop", "SELECT 1"], None),
            "revoked with every token",
        );
    }
    let fresh = mint(url, &["shop"]);
    stdout(&dbforge_as(url, &fresh, &["sql", "shop", "SELECT 1"], None));
}

#[test]
fn token_usage_errors_exit_with_the_usage_code() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    for (args, why) in [
        (&["token"][..], "no database"),
        (&["token", "--all"][..], "--all without --revoke"),
        (
            &["token", "shop", "--revoke", "--all"][..],
            "a database and --all",
        ),
        (
            &["token", "shop", "--revoke", "--read-write"][..],
            "--revoke with an access",
        ),
        (
            &["token", "shop", "--read-only", "--read-write"][..],
            "two accesses",
        ),
    ] {
        let (code, stderr) = failure(&dbforge(url, args, None));
        assert_eq!(code, Some(2), "{why}: {stderr}");
    }
}
