//! The client subcommands (`db`, `sql`, `tables`, `stats`) against a real gateway: output
//! formats, parameters, SQL from stdin, and exit codes with the server's error on stderr.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use crate::support::{ADMIN_KEY, Launch};

/// Runs `dbforge <args>` against `url` with the admin key from the environment.
fn dbforge(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbforge"))
        .args(args)
        .env("DBFORGE_URL", url)
        .env("DBFORGE_API_KEY", ADMIN_KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dbforge");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("dbforge finishes")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn databases_sql_and_tables_from_the_command_line() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();

    assert_eq!(
        stdout(&dbforge(
            url,
            &["db", "create", "shop", "--max-size", "1MiB"],
            None
        )),
        "created shop\n"
    );
    let info: serde_json::Value =
        serde_json::from_str(&stdout(&dbforge(url, &["db", "info", "shop"], None))).expect("json");
    assert_eq!(info["max_size_bytes"], 1 << 20);

    stdout(&dbforge(
        url,
        &[
            "sql",
            "shop",
            "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL)",
        ],
        None,
    ));
    let inserted = stdout(&dbforge(
        url,
        &[
            "sql",
            "shop",
            "INSERT INTO items(name, price) VALUES (?, ?), (?, ?)",
            "-p",
            "tea",
            "-p",
            "3.5",
            "-p",
            "milk, whole",
            "-p",
            "null",
        ],
        None,
    ));
    assert_eq!(inserted, "2 row(s) affected\n");

    let csv = stdout(&dbforge(
        url,
        &[
            "sql",
            "shop",
            "SELECT name, price FROM items ORDER BY id",
            "--format",
            "csv",
        ],
        None,
    ));
    assert_eq!(csv, "name,price\ntea,3.5\n\"milk, whole\",\n");
    let json: serde_json::Value = serde_json::from_str(&stdout(&dbforge(
        url,
        &["sql", "shop", "-", "--format", "json"],
        Some("SELECT count(*) AS n FROM items;"),
    )))
    .expect("json");
    assert_eq!(json[0]["rows"][0]["n"], 2);
    let table = stdout(&dbforge(
        url,
        &[
            "sql",
            "shop",
            "SELECT name FROM items WHERE price > ?",
            "-p",
            "1",
        ],
        None,
    ));
    assert!(
        table.contains("tea") && !table.contains("milk") && table.ends_with("1 row(s)\n"),
        "{table}"
    );

    let tables = stdout(&dbforge(url, &["tables", "shop"], None));
    assert!(
        tables.contains("items") && tables.contains("price REAL"),
        "{tables}"
    );
    let list = stdout(&dbforge(url, &["db", "list", "--format", "csv"], None));
    assert!(
        list.starts_with("name,size_bytes,table_count") && list.contains("\nshop,"),
        "{list}"
    );
    let stats: serde_json::Value =
        serde_json::from_str(&stdout(&dbforge(url, &["stats"], None))).expect("json");
    assert_eq!(stats["database_count"], 1);
    assert_eq!(
        stdout(&dbforge(url, &["db", "delete", "shop"], None)),
        "deleted shop\n"
    );
}

#[test]
fn failures_exit_non_zero_with_the_servers_code_on_stderr() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    let missing = dbforge(url, &["sql", "nope", "SELECT 1"], None);
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("database_not_found"), "{stderr}");
    assert!(missing.stdout.is_empty());

    stdout(&dbforge(url, &["db", "create", "x"], None));
    let syntax = dbforge(url, &["sql", "x", "SELEC 1"], None);
    assert_eq!(syntax.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&syntax.stderr).contains("sql_error"));

    let unreachable = Command::new(env!("CARGO_BIN_EXE_dbforge"))
        .args(["--url", "http://127.0.0.1:9", "stats"])
        .output()
        .expect("run");
    assert_eq!(
        unreachable.status.code(),
        Some(3),
        "transport failures have their own exit code"
    );
    let empty = dbforge(url, &["sql", "x"], Some("   "));
    assert_eq!(empty.status.code(), Some(2));
}

/// `dbforge <args>` with only a profile file to say where the gateway is.
fn with_profile(config_home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dbforge"))
        .args(args)
        .env_remove("DBFORGE_URL")
        .env_remove("DBFORGE_API_KEY")
        .env_remove("DBFORGE_PROFILE")
        .env("XDG_CONFIG_HOME", config_home)
        .output()
        .expect("run dbforge")
}

#[test]
fn connection_settings_come_from_the_profile_file_unless_overridden() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let config = tempfile::tempdir().expect("config home");
    std::fs::create_dir_all(config.path().join("dbforge")).expect("mkdir");
    let profiles = format!(
        "[default]\nurl = \"{url}\"\napi_key = \"{ADMIN_KEY}\"\n\n[wrong-key]\nurl = \"{url}\"\napi_key = \"nope\"\n",
        url = server.url()
    );
    std::fs::write(config.path().join("dbforge/profiles.toml"), profiles).expect("write profiles");

    let stats = with_profile(config.path(), &["stats"]);
    assert!(
        stats.status.success(),
        "{}",
        String::from_utf8_lossy(&stats.stderr)
    );
    let denied = with_profile(config.path(), &["--profile", "wrong-key", "stats"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&denied.stderr).contains("unauthorized"));
    let overridden = with_profile(
        config.path(),
        &["--profile", "wrong-key", "--api-key", ADMIN_KEY, "stats"],
    );
    assert!(overridden.status.success(), "a flag beats the profile");
    let unknown = with_profile(config.path(), &["--profile", "missing", "stats"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let output = Command::new(env!("CARGO_BIN_EXE_dbforge"))
            .args(["completions", shell])
            .output()
            .expect("run");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && script.contains("dbforge") && script.contains("serve"),
            "{shell}"
        );
    }
}
