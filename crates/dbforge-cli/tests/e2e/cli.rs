//! The client subcommands (`db`, `sql`, `tables`, `stats`) against a real gateway: output
//! formats, parameters, SQL from stdin, and exit codes with the server's error on stderr.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use crate::support::{ADMIN_KEY, Launch, Terminal, client_stdout as stdout, run_client as dbforge};

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

#[test]
fn the_shell_runs_multi_line_sql_and_dot_commands_and_keeps_history() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    stdout(&dbforge(url, &["db", "create", "repl"], None));
    let history = data.path().join("history");
    let script = "create table t(a integer,\n b text);\ninsert into t values (1, 'x'), (2, 'y');\n.tables\n.schema t\n.mode csv\nselect * from t order by a;\nselec 1;\n.timer on\nselect 42 as answer;\n.quit\n";
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbforge"))
        .args(["shell", "repl"])
        .env("DBFORGE_URL", url)
        .env("DBFORGE_API_KEY", ADMIN_KEY)
        .env("DBFORGE_HISTORY", &history)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the shell");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write script");
    let output = child.wait_with_output().expect("shell ends");
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(out.contains("2 row(s) affected"), "{out}");
    assert!(
        out.contains("CREATE TABLE t(a integer,\n b text);"),
        "{out}"
    );
    assert!(out.contains("a,b\n1,x\n2,y\n"), "{out}");
    assert!(out.contains("answer\n42\nRun Time: "), "{out}");
    assert!(
        err.contains("Error: sql_error") && err.contains("syntax error"),
        "{err}"
    );
    let saved = std::fs::read_to_string(&history).expect("history saved");
    assert!(
        saved.contains("select 42 as answer;") && saved.contains(".mode csv"),
        "{saved}"
    );
    let missing = dbforge(url, &["shell", "nope"], Some(""));
    assert_eq!(
        missing.status.code(),
        Some(1),
        "a missing database ends the shell at once"
    );
}

/// The shell in a real terminal (tmux): line editing and the prompt, as a person sees them.
#[test]
fn the_shell_edits_lines_in_a_real_terminal() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    stdout(&dbforge(server.url(), &["db", "create", "term"], None));
    let command = format!(
        "DBFORGE_URL={} DBFORGE_API_KEY={ADMIN_KEY} DBFORGE_HISTORY={} {} shell term",
        server.url(),
        data.path().join("history").display(),
        env!("CARGO_BIN_EXE_dbforge")
    );
    let terminal = Terminal::start("shell", &command);
    terminal.wait_for("term>");
    // Type a typo, fix it with the cursor keys, then run it.
    terminal.type_text("selct 6 * 7 as product;");
    terminal.keys(&["Home", "Right", "Right", "Right", "e", "Enter"]);
    let text = terminal.wait_for("1 row(s)");
    assert!(text.contains("product") && text.contains("42"), "{text}");
    terminal.type_text(".quit");
    terminal.keys(&["Enter"]);
    terminal.wait_exit();
}

#[test]
fn bulk_insert_from_json_lines_and_csv_in_batches() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    stdout(&dbforge(url, &["db", "create", "bulk"], None));
    stdout(&dbforge(
        url,
        &[
            "sql",
            "bulk",
            "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL)",
        ],
        None,
    ));

    let jsonl = data.path().join("rows.jsonl");
    let lines: String = (1..=2500)
        .map(|i| format!("{{\"id\": {i}, \"name\": \"n{i}\", \"score\": {i}.5}}\n"))
        .collect();
    std::fs::write(&jsonl, lines).expect("write jsonl");
    let out = stdout(&dbforge(
        url,
        &[
            "insert",
            "bulk",
            "t",
            "--file",
            jsonl.to_str().expect("utf-8"),
            "--batch",
            "1000",
        ],
        None,
    ));
    assert_eq!(out, "inserted 2500 rows into t\n");

    let csv = data.path().join("rows.csv");
    std::fs::write(
        &csv,
        "id,name,score\n3001,\"comma, inside\",\n3002,plain,7\n",
    )
    .expect("write csv");
    stdout(&dbforge(
        url,
        &["insert", "bulk", "t", "-f", csv.to_str().expect("utf-8")],
        None,
    ));
    let check = stdout(&dbforge(
        url,
        &[
            "sql",
            "bulk",
            "SELECT count(*) AS n, sum(score IS NULL) AS nulls, max(name) AS top FROM t",
            "--format",
            "csv",
        ],
        None,
    ));
    assert_eq!(check, "n,nulls,top\n2502,1,plain\n");

    // A duplicate in the second batch: the first batch stays, the message says where.
    let clash = data.path().join("clash.jsonl");
    std::fs::write(&clash, "{\"id\": 5001}\n{\"id\": 5002}\n{\"id\": 1}\n").expect("write clash");
    let failed = dbforge(
        url,
        &[
            "insert",
            "bulk",
            "t",
            "-f",
            clash.to_str().expect("utf-8"),
            "--batch",
            "2",
        ],
        None,
    );
    assert_eq!(failed.status.code(), Some(1));
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        err.contains("constraint_violation")
            && err.contains("rows 3-3")
            && err.contains("the 2 rows before them"),
        "{err}"
    );
    let bad = data.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"id\": 1}\n[1, 2]\n").expect("write bad");
    let refused = dbforge(
        url,
        &["insert", "bulk", "t", "-f", bad.to_str().expect("utf-8")],
        None,
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("line 2"));
}

#[test]
fn rows_are_read_with_filters_and_order_and_sql_comes_from_a_file() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    stdout(&dbforge(url, &["db", "create", "r"], None));
    let script = data.path().join("setup.sql");
    std::fs::write(
        &script,
        "CREATE TABLE p(id INTEGER PRIMARY KEY, kind TEXT, n INTEGER);\nINSERT INTO p(kind, n) VALUES ('a', 1), ('b', 2), ('a', 3), ('a', 4);\n",
    )
    .expect("write script");
    stdout(&dbforge(
        url,
        &["sql", "r", "--file", script.to_str().expect("utf-8")],
        None,
    ));
    let rows = stdout(&dbforge(
        url,
        &[
            "rows",
            "r",
            "p",
            "--where",
            "kind=a",
            "--order-by",
            "n",
            "--desc",
            "--limit",
            "2",
            "--format",
            "csv",
        ],
        None,
    ));
    assert_eq!(rows, "id,kind,n\n4,a,4\n3,a,3\n");
    let bad = dbforge(url, &["rows", "r", "p", "--where", "nonsense"], None);
    assert_eq!(bad.status.code(), Some(2));
    let missing = dbforge(url, &["rows", "r", "nope"], None);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("table_not_found"));
}
