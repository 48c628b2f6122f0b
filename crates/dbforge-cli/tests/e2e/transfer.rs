//! `dbforge export` and `dbforge import` against a real server: a SQL dump and CSV round
//! trip, SQLite files by extension, standard input, a reader that closes the pipe early, an
//! export cut short by the server, and the refusals (an existing file, a bad CSV).

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{
    ADMIN_KEY, Launch, client_failure as failure, client_stdout as stdout, run_client as dbforge,
};

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// The CSV of `sql` on `db`.
fn select(url: &str, db: &str, sql: &str) -> String {
    stdout(&dbforge(url, &["sql", db, sql, "--format", "csv"], None))
}

/// The files in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list the directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A query that fails after it sent about a megabyte of rows: SQLite's `abs` overflows on
/// row 90000, long after the answer began.
const FAILS_MIDWAY: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
     WHERE i < 100000) SELECT i, CASE WHEN i = 90000 THEN abs(-9223372036854775808) ELSE i END \
     AS v FROM n";

#[test]
fn a_sql_dump_imports_into_a_new_database_that_dumps_the_same() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    let work = tempfile::tempdir().expect("work dir");
    stdout(&dbforge(url, &["db", "create", "shop"], None));
    stdout(&dbforge(
        url,
        &[
            "sql",
            "shop",
            "CREATE TABLE items(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, \
               price REAL, photo BLOB, stock INTEGER); \
             CREATE TABLE orders(id INTEGER PRIMARY KEY, item INTEGER REFERENCES items(id), \
               note TEXT); \
             CREATE INDEX orders_item ON orders(item); \
             CREATE VIEW cheap AS SELECT name FROM items WHERE price < 2; \
             CREATE TRIGGER no_free BEFORE INSERT ON items WHEN NEW.price = 0 \
               BEGIN SELECT RAISE(ABORT, 'free'); END; \
             INSERT INTO items(name, price, photo, stock) VALUES \
               ('tea', 3.5, x'00ff10', 9007199254740993), ('it''s', 1e300, NULL, NULL), \
               ('', 1.0, x'', -1); \
             INSERT INTO orders(item, note) VALUES (1, 'line one\nline two'), (2, NULL)",
        ],
        None,
    ));

    let dump = work.path().join("shop.sql");
    let said = stdout(&dbforge(url, &["export", "shop", "-o", path(&dump)], None));
    let text = std::fs::read_to_string(&dump).expect("the dump");
    assert_eq!(
        said,
        format!(
            "exported shop (sql) to {}: {} bytes\n",
            dump.display(),
            text.len()
        )
    );
    assert!(
        text.starts_with("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
            && text.ends_with("COMMIT;\n")
            && text.contains("CREATE TRIGGER no_free"),
        "{text}"
    );
    // To standard output by default: the same bytes.
    assert_eq!(stdout(&dbforge(url, &["export", "shop"], None)), text);

    let imported = stdout(&dbforge(url, &["import", "copy", path(&dump)], None));
    assert!(
        imported.starts_with(&format!(
            "imported {} into the new database copy: ",
            dump.display()
        )) && imported.ends_with(&format!(" statements ({} bytes)\n", text.len())),
        "{imported}"
    );
    assert_eq!(
        stdout(&dbforge(url, &["export", "copy"], None)),
        text,
        "the copy dumps exactly as the original"
    );
    // One table: its dump (with its trigger), and --json for the server's whole answer.
    let items = work.path().join("items.sql");
    stdout(&dbforge(
        url,
        &["export", "shop", "--table", "items", "-o", path(&items)],
        None,
    ));
    let answer: serde_json::Value = serde_json::from_str(&stdout(&dbforge(
        url,
        &["import", "only-items", path(&items), "--json"],
        None,
    )))
    .expect("--json prints JSON");
    assert_eq!(answer["database"], "only-items", "{answer}");
    assert_eq!(answer["format"], "sql", "{answer}");
    assert_eq!(answer["created_database"], true, "{answer}");
    assert_eq!(
        select(
            url,
            "only-items",
            "SELECT name FROM sqlite_master ORDER BY name"
        ),
        "name\nitems\nno_free\nsqlite_sequence\n"
    );
    let every_item = "SELECT * FROM items ORDER BY id";
    assert_eq!(
        stdout(&dbforge(
            url,
            &["sql", "only-items", every_item, "--format", "json"],
            None
        )),
        stdout(&dbforge(
            url,
            &["sql", "shop", every_item, "--format", "json"],
            None
        ))
    );
}

#[test]
fn a_csv_round_trip_keeps_null_and_empty_text_apart_with_a_null_marker() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    let work = tempfile::tempdir().expect("work dir");
    stdout(&dbforge(url, &["db", "create", "shop"], None));
    stdout(&dbforge(
        url,
        &[
            "sql",
            "shop",
            "CREATE TABLE t(n INTEGER, r REAL, s TEXT, b BLOB); \
             INSERT INTO t VALUES (1, 1.0, NULL, x'01'), (2, 2.5, '', NULL), \
               (3, NULL, 'a, \"quoted\"\nline', x'ff00'), (NULL, -0.5, '\\N?', NULL)",
        ],
        None,
    ));
    let csv = work.path().join("t.csv");
    stdout(&dbforge(
        url,
        &[
            "export",
            "shop",
            "--format",
            "csv",
            "--table",
            "t",
            "--null",
            "\\N",
            "-o",
            path(&csv),
        ],
        None,
    ));
    let text = std::fs::read_to_string(&csv).expect("the CSV");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[1..3],
        ["1,1.0,\\N,\\x01", "2,2.5,\"\",\\N"],
        "NULL is the marker, empty text is quoted: {text}"
    );
    // The format comes from the extension.
    let imported = stdout(&dbforge(
        url,
        &[
            "import",
            "copy",
            path(&csv),
            "--table",
            "t",
            "--null",
            "\\N",
        ],
        None,
    ));
    assert!(
        imported.ends_with(&format!(
            ": 4 rows into the new table t ({} bytes)\n",
            text.len()
        )),
        "{imported}"
    );
    let every_value = "SELECT quote(n), quote(r), quote(s), quote(b), typeof(n), typeof(r), \
         typeof(s), typeof(b) FROM t ORDER BY rowid";
    let original = select(url, "shop", every_value);
    assert_eq!(select(url, "copy", every_value), original);
    assert!(
        original.contains("NULL") && original.contains("''"),
        "{original}"
    );

    // Into the existing table (its columns, its types), appended.
    let again = stdout(&dbforge(
        url,
        &[
            "import",
            "copy",
            path(&csv),
            "--table",
            "t",
            "--null",
            "\\N",
        ],
        None,
    ));
    assert!(again.contains("into copy: 4 rows into table t"), "{again}");
    assert_eq!(select(url, "copy", "SELECT count(*) AS c FROM t"), "c\n8\n");
}

#[test]
fn an_export_to_a_pipe_closed_early_stops_quietly() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    stdout(&dbforge(url, &["db", "create", "big"], None));
    // About 5 MB: far more than a pipe holds.
    stdout(&dbforge(
        url,
        &[
            "sql",
            "big",
            "CREATE TABLE t(i INTEGER, s TEXT); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) \
             INSERT INTO t SELECT i, printf('%090d', i) FROM n",
        ],
        None,
    ));
    for format in ["csv", "ndjson", "sql"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dbforge"))
            .args(["export", "big", "--format", format, "--table", "t"])
            .env("DBFORGE_URL", url)
            .env("DBFORGE_API_KEY", ADMIN_KEY)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn dbforge");
        // Like `| head -c 1000`: read a little, then close the pipe.
        let mut pipe = child.stdout.take().expect("stdout");
        let mut start = [0u8; 1000];
        pipe.read_exact(&mut start).expect("the export begins");
        drop(pipe);
        let output = child.wait_with_output().expect("dbforge exits");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stderr.is_empty(),
            "{format}: {:?}, stderr: {stderr}",
            output.status
        );
    }
}

#[test]
fn an_export_never_overwrites_without_force_and_never_leaves_a_partial_file() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    let work = tempfile::tempdir().expect("work dir");
    stdout(&dbforge(url, &["db", "create", "shop"], None));
    stdout(&dbforge(
        url,
        &["sql", "shop", "CREATE TABLE t(a); INSERT INTO t VALUES (1)"],
        None,
    ));
    let dump = stdout(&dbforge(url, &["export", "shop"], None));
    let file = work.path().join("out.sql");
    std::fs::write(&file, "keep me").expect("an existing file");

    let (code, err) = failure(&dbforge(url, &["export", "shop", "-o", path(&file)], None));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "keep me");

    // Cut short by the server after a megabyte: an error, with or without --force, and the
    // file stays as it was (or absent).
    let fresh = work.path().join("fresh.csv");
    let midway = ["export", "shop", "--format", "csv", "--sql", FAILS_MIDWAY];
    for (target, force) in [(&fresh, false), (&file, true)] {
        let mut args = midway.to_vec();
        args.extend(["-o", path(target)]);
        if force {
            args.push("--force");
        }
        let (code, err) = failure(&dbforge(url, &args, None));
        assert_eq!(code, Some(3), "{err}");
        assert!(
            err.starts_with("error: the export did not arrive whole") && !err.contains("panick"),
            "{err}"
        );
    }
    // To standard output: the bytes that came, then the same error.
    let output = dbforge(url, &midway, None);
    let (code, err) = failure(&output);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("not a whole export"), "{err}");
    assert!(output.stdout.len() > 100_000, "it had begun");
    // Refused before the first byte: the server's code.
    let (code, err) = failure(&dbforge(
        url,
        &["export", "shop", "--table", "nope", "-o", path(&fresh)],
        None,
    ));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.starts_with("error: table_not_found: "), "{err}");
    assert_eq!(
        files_in(work.path()),
        ["out.sql"],
        "no partial or temporary file"
    );
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "keep me");

    let said = stdout(&dbforge(
        url,
        &["export", "shop", "-o", path(&file), "--force"],
        None,
    ));
    assert!(said.starts_with("exported shop (sql) to "), "{said}");
    assert_eq!(std::fs::read_to_string(&file).expect("replaced"), dump);
    assert_eq!(files_in(work.path()), ["out.sql"]);

    // Never over something that is not a file, even with --force.
    let (code, err) = failure(&dbforge(
        url,
        &["export", "shop", "-o", path(work.path()), "--force"],
        None,
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn a_bad_csv_is_refused_with_its_line_and_leaves_nothing() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    let work = tempfile::tempdir().expect("work dir");
    let bad = work.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n3,4\n5\n").expect("a CSV");

    let (code, err) = failure(&dbforge(
        url,
        &["import", "fresh", path(&bad), "--table", "t"],
        None,
    ));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with("error: invalid_request: line 4: "),
        "the server's code and line: {err}"
    );
    let (code, err) = failure(&dbforge(url, &["db", "info", "fresh"], None));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("database_not_found"), "nothing created: {err}");

    // Into an existing database: no table, no row.
    stdout(&dbforge(url, &["db", "create", "shop"], None));
    let (code, err) = failure(&dbforge(
        url,
        &["import", "shop", path(&bad), "--table", "t"],
        None,
    ));
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        select(url, "shop", "SELECT count(*) AS c FROM sqlite_master"),
        "c\n0\n"
    );

    // Usage mistakes are caught before anything is sent.
    let notes = work.path().join("notes.txt");
    std::fs::write(&notes, "x").expect("a file");
    for (args, needle) in [
        (vec!["import", "shop", path(&bad)], "--table"),
        (vec!["import", "shop", path(&notes)], "--format"),
        (
            vec![
                "import",
                "shop",
                path(&bad),
                "--table",
                "t",
                "--format",
                "sql",
            ],
            "--table is for csv",
        ),
        (
            vec![
                "import",
                "shop",
                path(&bad),
                "--format",
                "ndjson",
                "--table",
                "t",
                "--null",
                "x",
            ],
            "--null",
        ),
        (
            vec!["import", "shop", "/nonexistent/x.csv", "--table", "t"],
            "cannot read",
        ),
    ] {
        let (code, err) = failure(&dbforge(url, &args, None));
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn sqlite_files_are_imported_by_their_extension_as_new_databases() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    let work = tempfile::tempdir().expect("work dir");

    // A file made by another SQLite program.
    let made = work.path().join("made.sqlite");
    let conn = rusqlite::Connection::open(&made).expect("create a SQLite file");
    conn.execute_batch(
        "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); \
         INSERT INTO notes(body) VALUES ('one'), ('two'), ('three');",
    )
    .expect("fill it");
    drop(conn);
    let size = std::fs::metadata(&made).expect("its size").len();
    let said = stdout(&dbforge(url, &["import", "notes", path(&made)], None));
    assert_eq!(
        said,
        format!(
            "imported {} as the new database notes ({size} bytes)\n",
            made.display()
        )
    );
    assert_eq!(
        select(url, "notes", "SELECT group_concat(body) AS b FROM notes"),
        "b\n\"one,two,three\"\n"
    );

    // The server's own SQLite export, back in as `.db`.
    let snapshot = work.path().join("notes-copy.db");
    stdout(&dbforge(
        url,
        &[
            "export",
            "notes",
            "--format",
            "sqlite",
            "-o",
            path(&snapshot),
        ],
        None,
    ));
    stdout(&dbforge(
        url,
        &["import", "notes-copy", path(&snapshot)],
        None,
    ));
    assert_eq!(
        select(url, "notes-copy", "SELECT count(*) AS c FROM notes"),
        "c\n3\n"
    );

    // A SQLite file is always a new database; a file that is not one is refused.
    let (code, err) = failure(&dbforge(url, &["import", "notes", path(&made)], None));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("database_exists"), "{err}");
    let fake = work.path().join("fake.sqlite");
    std::fs::write(&fake, "not a database at all").expect("a file");
    let (code, err) = failure(&dbforge(url, &["import", "fake", path(&fake)], None));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("invalid_database_file"), "{err}");
    let (code, _) = failure(&dbforge(url, &["db", "info", "fake"], None));
    assert_eq!(code, Some(1));
}

#[test]
fn an_import_reads_standard_input() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    let url = server.url();
    let rows =
        "{\"id\": 1, \"tag\": \"a\"}\n{\"id\": 2, \"tag\": null}\n\n{\"id\": 3, \"tag\": \"c\"}\n";
    let said = stdout(&dbforge(
        url,
        &[
            "import", "events", "-", "--format", "ndjson", "--table", "log",
        ],
        Some(rows),
    ));
    assert_eq!(
        said,
        format!(
            "imported standard input into the new database events: 3 rows into the new table \
             log ({} bytes)\n",
            rows.len()
        )
    );
    assert_eq!(
        select(
            url,
            "events",
            "SELECT count(*) AS c, count(tag) AS t FROM log"
        ),
        "c,t\n3,2\n"
    );
    let dump = "CREATE TABLE more(x);\nINSERT INTO more VALUES (42);\n";
    let answer: serde_json::Value = serde_json::from_str(&stdout(&dbforge(
        url,
        &["import", "events", "-", "--format", "sql", "--json"],
        Some(dump),
    )))
    .expect("JSON");
    assert_eq!(answer["created_database"], false, "{answer}");
    assert_eq!(answer["bytes"], dump.len(), "{answer}");
    assert_eq!(select(url, "events", "SELECT x FROM more"), "x\n42\n");

    let (code, err) = failure(&dbforge(
        url,
        &["import", "events", "-", "--table", "log"],
        Some(rows),
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--format"), "{err}");
}
