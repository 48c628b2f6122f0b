//! `dbforge tui` in a real terminal (tmux): browse to a database, see its tables, run SQL
//! from the editor with F5, and quit leaving the terminal to the shell.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{ADMIN_KEY, Launch};

/// Runs `dbforge <args>` against `url` with the admin key, and insists that it succeeds.
fn dbforge(url: &str, args: &[&str]) {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_dbforge"))
        .args(args)
        .env("DBFORGE_URL", url)
        .env("DBFORGE_API_KEY", ADMIN_KEY)
        .output()
        .expect("run dbforge");
    assert!(
        output.status.success(),
        "dbforge {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_tui_browses_runs_sql_and_quits_in_a_real_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        panic!("tmux is required for this test (.ci/run installs it)");
    }
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path()).start();
    dbforge(server.url(), &["db", "create", "teashop"]);
    dbforge(
        server.url(),
        &[
            "sql",
            "teashop",
            "CREATE TABLE blends(id INTEGER PRIMARY KEY, label TEXT)",
        ],
    );
    dbforge(
        server.url(),
        &[
            "sql",
            "teashop",
            "INSERT INTO blends(label) VALUES ('assam'), ('darjeeling')",
        ],
    );

    let session = format!("dbforge-tui-e2e-{}", std::process::id());
    let command = format!(
        "DBFORGE_URL={} DBFORGE_API_KEY={ADMIN_KEY} {} tui",
        server.url(),
        env!("CARGO_BIN_EXE_dbforge")
    );
    let tmux = |args: &[&str]| Command::new("tmux").args(args).output().expect("tmux");
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "120",
        "-y",
        "30",
        &command,
    ]);
    let screen = || {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", &session]).stdout).into_owned()
    };
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = screen();
            if text.contains(needle) {
                return text;
            }
            if Instant::now() >= deadline {
                tmux(&["kill-session", "-t", &session]);
                panic!("{needle:?} never appeared:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let keys = |keys: &[&str]| {
        let mut args = vec!["send-keys", "-t", session.as_str()];
        args.extend_from_slice(keys);
        tmux(&args);
    };

    // The database list, and the live stats line once its first refresh is in.
    wait_for("teashop");
    wait_for("databases 1");
    // Open the database (it is selected, and the list has the focus): its table and columns.
    keys(&["Enter"]);
    let text = wait_for("blends");
    wait_for("label TEXT");
    assert!(text.contains("Tables: teashop"), "{text}");

    // Tab twice to the editor, type a query over two lines, run it with F5.
    keys(&["Tab", "Tab"]);
    keys(&["-l", "SELECT label FROM blends"]);
    keys(&["Enter"]);
    keys(&["-l", "WHERE id = 2"]);
    keys(&["F5"]);
    let text = wait_for("darjeeling");
    assert!(text.contains("1 row(s)"), "{text}");
    assert!(!text.contains("assam"), "{text}");

    // An error shows in the results pane.
    keys(&["C-u"]); // ignored by the editor: Ctrl+letters are not text
    keys(&["BSpace"; 12]);
    keys(&["-l", "WHERE nope = 2"]);
    keys(&["F5"]);
    wait_for("no such column");

    // The help popup opens and closes.
    keys(&["F1"]);
    wait_for("Help: keys");
    keys(&["Escape"]);

    // Ctrl+C quits: the program ends, so tmux ends the session with it.
    keys(&["C-c"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while tmux(&["has-session", "-t", &session]).status.success() {
        if Instant::now() >= deadline {
            let text = screen();
            tmux(&["kill-session", "-t", &session]);
            panic!("the TUI did not exit on Ctrl+C:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
