//! The data lifecycle from the command line: `db create --ttl`, `db update`, `backup`
//! (create, list, download, restore as new or in place, delete) and `branch`, with their
//! refusals: unknown backups, a restore without a target, an unconfirmed in-place restore, a
//! download over an existing file.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::{
    ADMIN_KEY, Launch, Terminal, client_failure as failure, client_stdout as stdout,
    run_client as dbforge,
};

/// `dbforge <args>` run in `dir` (where a download lands by default), with nothing on stdin.
fn dbforge_in(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dbforge"))
        .args(args)
        .current_dir(dir)
        .env("DBFORGE_URL", url)
        .env("DBFORGE_API_KEY", ADMIN_KEY)
        .env_remove("DBFORGE_PROFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run dbforge")
}

fn json(output: &Output) -> serde_json::Value {
    let text = stdout(output);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The CSV of `SELECT` on `db`.
fn select(url: &str, db: &str, sql: &str) -> String {
    stdout(&dbforge(url, &["sql", db, sql, "--format", "csv"], None))
}

/// Zstandard's frame magic number, little-endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

#[test]
fn a_time_to_live_and_a_backup_schedule_are_set_and_shown() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();

    let created = stdout(&dbforge(
        url,
        &["db", "create", "preview", "--ttl", "1h"],
        None,
    ));
    let info = json(&dbforge(url, &["db", "info", "preview"], None));
    let expires_at = info["expires_at"].as_str().expect("expires_at is set");
    assert_eq!(
        created,
        format!("created preview (expires at {expires_at})\n")
    );
    let list = stdout(&dbforge(url, &["db", "list", "--format", "csv"], None));
    assert!(
        list.starts_with(
            "name,size_bytes,table_count,created_at,max_size_bytes,open,expires_at,\
             branched_from,last_backup_at,backup\n"
        ) && list.contains(expires_at),
        "{list}"
    );

    let updated = stdout(&dbforge(
        url,
        &[
            "db",
            "update",
            "preview",
            "--no-ttl",
            "--backup-every",
            "off",
            "--backup-keep",
            "3",
        ],
        None,
    ));
    assert!(
        updated.starts_with("updated preview\n")
            && updated.contains("expires at:   never\n")
            && updated.contains("backups:      on demand only, keep 3\n"),
        "{updated}"
    );
    let info = json(&dbforge(
        url,
        &[
            "db",
            "update",
            "preview",
            "--ttl",
            "2h",
            "--backup-every",
            "1h",
            "--default-backup-keep",
            "--format",
            "json",
        ],
        None,
    ));
    assert!(info["expires_at"].is_string(), "{info}");
    assert_eq!(info["backups"]["every"], "1h", "{info}");
    assert_eq!(info["backups"]["keep"], 24, "the server's default: {info}");

    let (code, err) = failure(&dbforge(url, &["db", "update", "preview"], None));
    assert_eq!(code, Some(2), "nothing to change is a usage error: {err}");
    let (code, err) = failure(&dbforge(
        url,
        &["db", "update", "preview", "--ttl", "1h", "--no-ttl"],
        None,
    ));
    assert_eq!(code, Some(2), "{err}");
    let (code, err) = failure(&dbforge(
        url,
        &["db", "create", "bad-ttl", "--ttl", "soon"],
        None,
    ));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("invalid_request"), "{err}");
}

#[test]
fn backups_are_taken_listed_downloaded_restored_and_deleted() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    let work = tempfile::tempdir().expect("working dir");
    stdout(&dbforge(url, &["db", "create", "shop"], None));
    stdout(&dbforge(
        url,
        &[
            "sql",
            "shop",
            "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT); \
             INSERT INTO items(name) VALUES ('tea'), ('milk')",
        ],
        None,
    ));

    let text = stdout(&dbforge(url, &["backup", "create", "shop"], None));
    assert!(
        text.starts_with("created backup ") && text.contains("1 tables, 2 rows, checked"),
        "{text}"
    );
    let backup = json(&dbforge(
        url,
        &["backup", "create", "shop", "--format", "json"],
        None,
    ));
    let id = backup["id"].as_str().expect("an id").to_owned();
    assert_eq!(backup["row_counts"]["items"], 2);
    let list = stdout(&dbforge(
        url,
        &["backup", "list", "shop", "--format", "csv"],
        None,
    ));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(
        lines[0],
        "id,created_at,kind,size_bytes,stored_bytes,tables,rows,verified,destination"
    );
    assert_eq!(lines.len(), 3, "{list}");
    assert!(
        lines[1].starts_with(&format!("{id},")) && lines[1].contains(",manual,"),
        "newest first: {list}"
    );
    let info = json(&dbforge(url, &["db", "info", "shop"], None));
    assert_eq!(info["backups"]["last_success_at"], backup["created_at"]);

    // Download: the default name, the stored bytes, no overwriting without --force.
    let downloaded = stdout(&dbforge_in(
        work.path(),
        url,
        &["backup", "download", "shop", &id],
    ));
    let file = work.path().join(format!("shop-{id}.sqlite.zst"));
    let stored = backup["stored_bytes"].as_u64().expect("stored_bytes");
    assert!(
        downloaded.contains(&format!("shop-{id}.sqlite.zst: {stored} bytes")),
        "{downloaded}"
    );
    let bytes = std::fs::read(&file).expect("the downloaded file");
    assert_eq!(bytes.len() as u64, stored);
    assert_eq!(bytes[..4], ZSTD_MAGIC, "a zstd frame");
    std::fs::write(&file, "keep me").expect("replace the download");
    let (code, err) = failure(&dbforge_in(
        work.path(),
        url,
        &["backup", "download", "shop", &id],
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&file).expect("still there"), b"keep me");
    stdout(&dbforge_in(
        work.path(),
        url,
        &["backup", "download", "shop", &id, "--force"],
    ));
    assert_eq!(std::fs::read(&file).expect("replaced"), bytes);
    stdout(&dbforge_in(
        work.path(),
        url,
        &["backup", "download", "shop", &id, "-o", "copy.zst"],
    ));
    assert_eq!(
        std::fs::read(work.path().join("copy.zst")).expect("-o"),
        bytes
    );

    // An unknown backup: the server's code, non-zero, and no file left behind.
    let (code, err) = failure(&dbforge_in(
        work.path(),
        url,
        &["backup", "download", "shop", "20200101T000000000Z-000000"],
    ));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with("error: backup_not_found: ") && err.contains("20200101T000000000Z-000000"),
        "{err}"
    );
    let mut left: Vec<String> = std::fs::read_dir(work.path())
        .expect("list the working dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["copy.zst".to_owned(), format!("shop-{id}.sqlite.zst")]
    );
    for args in [
        vec!["backup", "restore", "shop", "nope", "--as", "x"],
        vec!["backup", "delete", "shop", "nope"],
    ] {
        let (code, err) = failure(&dbforge(url, &args, None));
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(err.contains("backup_not_found"), "{args:?}: {err}");
    }

    // Restores: as a new database, then in place (only when confirmed).
    stdout(&dbforge(
        url,
        &["sql", "shop", "INSERT INTO items(name) VALUES ('late')"],
        None,
    ));
    let restored = stdout(&dbforge(
        url,
        &["backup", "restore", "shop", &id, "--as", "shop-copy"],
        None,
    ));
    assert_eq!(
        restored,
        format!("restored backup {id} of shop as shop-copy\n")
    );
    assert_eq!(
        select(url, "shop-copy", "SELECT count(*) AS n FROM items"),
        "n\n2\n"
    );

    let (code, err) = failure(&dbforge(url, &["backup", "restore", "shop", &id], None));
    assert_eq!(code, Some(2), "neither --as nor --in-place: {err}");
    let (code, err) = failure(&dbforge(
        url,
        &["backup", "restore", "shop", &id, "--as", "x", "--in-place"],
        None,
    ));
    assert_eq!(code, Some(2), "both: {err}");
    let (code, err) = failure(&dbforge(
        url,
        &["backup", "restore", "shop", &id, "--in-place"],
        Some("shop\n"),
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--yes") && err.contains("not a terminal"),
        "{err}"
    );
    assert_eq!(
        select(url, "shop", "SELECT count(*) AS n FROM items"),
        "n\n3\n",
        "an unconfirmed restore changes nothing"
    );
    let restored = stdout(&dbforge(
        url,
        &["backup", "restore", "shop", &id, "--in-place", "--yes"],
        None,
    ));
    assert!(
        restored.starts_with(&format!("restored backup {id} over shop")),
        "{restored}"
    );
    assert_eq!(
        select(url, "shop", "SELECT name FROM items ORDER BY id"),
        "name\ntea\nmilk\n"
    );

    // Delete: gone from the list; a second delete is the server's refusal.
    let deleted = stdout(&dbforge(url, &["backup", "delete", "shop", &id], None));
    assert_eq!(deleted, format!("deleted backup {id} of shop\n"));
    let list = json(&dbforge(
        url,
        &["backup", "list", "shop", "--format", "json"],
        None,
    ));
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let (code, err) = failure(&dbforge(url, &["backup", "delete", "shop", &id], None));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("backup_not_found"), "{err}");
}

#[test]
fn a_branch_copies_its_parent_and_names_it() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    stdout(&dbforge(url, &["db", "create", "main-db"], None));
    stdout(&dbforge(
        url,
        &[
            "sql",
            "main-db",
            "CREATE TABLE t(a); INSERT INTO t VALUES (1)",
        ],
        None,
    ));
    let branched = stdout(&dbforge(url, &["branch", "main-db", "feature"], None));
    assert!(
        branched.starts_with("branched feature from main-db as of "),
        "{branched}"
    );
    stdout(&dbforge(
        url,
        &["sql", "feature", "INSERT INTO t VALUES (2)"],
        None,
    ));
    assert_eq!(
        select(url, "main-db", "SELECT count(*) AS n FROM t"),
        "n\n1\n"
    );
    assert_eq!(
        select(url, "feature", "SELECT count(*) AS n FROM t"),
        "n\n2\n"
    );
    let info = json(&dbforge(url, &["db", "info", "feature"], None));
    assert_eq!(info["branched_from"]["parent"], "main-db", "{info}");
    let list = stdout(&dbforge(url, &["db", "list", "--format", "csv"], None));
    let row = list
        .lines()
        .find(|l| l.starts_with("feature,"))
        .unwrap_or_else(|| panic!("no feature row: {list}"));
    assert_eq!(row.split(',').nth(7), Some("main-db"), "{list}");
    let json = json(&dbforge(
        url,
        &["branch", "main-db", "other", "--format", "json"],
        None,
    ));
    assert_eq!(json["branched_from"]["parent"], "main-db");

    let (code, err) = failure(&dbforge(url, &["branch", "main-db", "feature"], None));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("database_exists"), "{err}");
    let (code, err) = failure(&dbforge(url, &["branch", "missing", "x"], None));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("database_not_found"), "{err}");
}

/// An in-place restore in a real terminal (tmux) asks for the database's name: a wrong
/// answer changes nothing, the right one restores.
#[test]
fn an_in_place_restore_asks_for_the_name_on_a_terminal() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    stdout(&dbforge(url, &["db", "create", "asked"], None));
    stdout(&dbforge(
        url,
        &[
            "sql",
            "asked",
            "CREATE TABLE t(a); INSERT INTO t VALUES (1)",
        ],
        None,
    ));
    let backup = json(&dbforge(
        url,
        &["backup", "create", "asked", "--format", "json"],
        None,
    ));
    let id = backup["id"].as_str().expect("an id");
    stdout(&dbforge(
        url,
        &["sql", "asked", "INSERT INTO t VALUES (2)"],
        None,
    ));

    let restore = format!(
        "DBFORGE_URL={url} DBFORGE_API_KEY={ADMIN_KEY} {} backup restore asked {id} --in-place",
        env!("CARGO_BIN_EXE_dbforge")
    );
    let terminal = Terminal::start(
        "restore",
        &format!("{restore}; echo first=$?; {restore}; echo second=$?; read done"),
    );
    terminal.wait_for("Type the database's name to go on (asked):");
    terminal.type_text("asekd");
    terminal.keys(&["Enter"]);
    let screen = terminal.wait_for("first=");
    assert!(
        screen.contains("not confirmed") && screen.contains("first=2"),
        "{screen}"
    );
    assert_eq!(
        select(url, "asked", "SELECT count(*) AS n FROM t"),
        "n\n2\n"
    );
    terminal.type_text("asked");
    terminal.keys(&["Enter"]);
    let screen = terminal.wait_for("second=");
    assert!(screen.contains("second=0"), "{screen}");
    assert_eq!(
        select(url, "asked", "SELECT count(*) AS n FROM t"),
        "n\n1\n"
    );
    terminal.keys(&["Enter"]);
    terminal.wait_exit();
}
