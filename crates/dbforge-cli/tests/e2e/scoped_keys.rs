//! `dbforge keys` against a real gateway: a key is created (its secret printed once), listed,
//! used, rotated and revoked from the command line, with the server's errors and exit codes.

use std::process::Output;

use serde_json::Value;

use crate::support::{
    Launch, client_failure as failure, client_stdout as stdout, run_client as dbforge,
    run_client_with_key as dbforge_as,
};

fn json(output: &Output) -> Value {
    let text = stdout(output);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn keys_are_created_listed_rotated_and_revoked_from_the_command_line() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();

    let created = stdout(&dbforge(
        url,
        &[
            "keys",
            "create",
            "--name",
            "ci runner",
            "--role",
            "read_write",
            "--databases",
            "shop,ci-*",
            "--can-create",
            "--expires-at",
            "2999-01-31T00:00:00Z",
        ],
        None,
    ));
    let lines: Vec<&str> = created.lines().collect();
    let id = lines
        .first()
        .and_then(|line| line.strip_prefix("created key "))
        .unwrap_or_else(|| panic!("no `created key <id>` first line:\n{created}"))
        .to_owned();
    let secret = lines.last().copied().unwrap_or_default().to_owned();
    assert!(
        secret.len() == 47 && secret.starts_with("dbf_"),
        "the secret is the last line on its own:\n{created}"
    );
    for shown in [
        "name:       ci runner",
        "role:       read_write",
        "databases:  shop, ci-*",
        "can create: yes",
        "expires at: 2999-01-31T00:00:00",
        "shown only this once",
    ] {
        assert!(
            created.contains(shown),
            "{shown:?} missing from:\n{created}"
        );
    }

    assert_eq!(
        stdout(&dbforge_as(url, &secret, &["db", "create", "ci-1"], None)),
        "created ci-1\n",
        "the key creates what its patterns match"
    );
    let (code, stderr) = failure(&dbforge_as(url, &secret, &["db", "create", "other"], None));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("forbidden"), "{stderr}");
    let (code, stderr) = failure(&dbforge_as(url, &secret, &["keys", "list"], None));
    assert_eq!(code, Some(1), "keys are for admins");
    assert!(stderr.contains("forbidden"), "{stderr}");

    let csv = stdout(&dbforge(url, &["keys", "list", "--format", "csv"], None));
    let prefix = &secret[..8];
    assert!(
        csv.starts_with(
            "id,name,prefix,role,databases,can_create,created_at,expires_at,last_used_at\n"
        ) && csv.contains(&format!(
            "{id},ci runner,{prefix},read_write,\"shop,ci-*\",true,"
        )),
        "{csv}"
    );
    let listed = json(&dbforge(url, &["keys", "list", "--format", "json"], None));
    assert_eq!(listed[0]["id"], id.as_str(), "{listed}");
    assert_eq!(listed[0]["databases"], serde_json::json!(["shop", "ci-*"]));
    assert!(
        listed[0]["last_used_at"].is_string(),
        "used above: {listed}"
    );

    let rotated = json(&dbforge(
        url,
        &["keys", "rotate", &id, "--format", "json"],
        None,
    ));
    assert_eq!(rotated["key"]["id"], id.as_str());
    let new_secret = rotated["secret"].as_str().expect("a secret").to_owned();
    assert_ne!(new_secret, secret);
    let (code, stderr) = failure(&dbforge_as(url, &secret, &["db", "info", "ci-1"], None));
    assert_eq!(code, Some(1), "the old secret stops working");
    assert!(stderr.contains("unauthorized"), "{stderr}");
    stdout(&dbforge_as(url, &new_secret, &["db", "info", "ci-1"], None));

    assert_eq!(
        stdout(&dbforge(url, &["keys", "revoke", &id], None)),
        format!("revoked key {id}\n")
    );
    let (code, stderr) = failure(&dbforge_as(url, &new_secret, &["db", "info", "ci-1"], None));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("unauthorized"), "{stderr}");
    let (code, stderr) = failure(&dbforge(url, &["keys", "revoke", &id], None));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("key_not_found"), "{stderr}");
    assert_eq!(
        json(&dbforge(url, &["keys", "list", "--format", "json"], None)),
        serde_json::json!([])
    );
}

#[test]
fn bad_key_requests_are_usage_errors_or_the_servers_refusal() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    let (code, stderr) = failure(&dbforge(
        url,
        &["keys", "create", "--name", "x", "--role", "owner"],
        None,
    ));
    assert_eq!(code, Some(2), "an unknown role is bad usage: {stderr}");
    let (code, stderr) = failure(&dbforge(url, &["keys", "create", "--role", "admin"], None));
    assert_eq!(code, Some(2), "a name is required: {stderr}");
    let (code, stderr) = failure(&dbforge(
        url,
        &["keys", "create", "--name", "x", "--role", "read-only"],
        None,
    ));
    assert_eq!(code, Some(1), "the server wants databases: {stderr}");
    assert!(
        stderr.contains("invalid_request") && stderr.contains("databases"),
        "{stderr}"
    );
    let (code, stderr) = failure(&dbforge(
        url,
        &[
            "keys",
            "create",
            "--name",
            "x",
            "--role",
            "read_only",
            "--databases",
            "shop",
            "--expires-at",
            "tomorrow",
        ],
        None,
    ));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("expires_at"), "{stderr}");
    let admin = stdout(&dbforge(
        url,
        &["keys", "create", "--name", "root", "--role", "admin"],
        None,
    ));
    assert!(
        admin.contains("role:       admin") && admin.contains("databases:  *"),
        "{admin}"
    );
}
