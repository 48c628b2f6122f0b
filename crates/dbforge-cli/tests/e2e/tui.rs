//! `dbforge tui` in a real terminal (tmux): browse to a database, see its tables, run SQL
//! from the editor with F5, and quit leaving the terminal to the shell.

use crate::support::{ADMIN_KEY, Launch, Terminal, client_stdout, run_client};

/// Runs `dbforge <args>` against `url` and insists that it succeeds.
fn dbforge(url: &str, args: &[&str]) {
    client_stdout(&run_client(url, args, None));
}

#[test]
fn the_tui_browses_runs_sql_and_quits_in_a_real_terminal() {
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

    let command = format!(
        "DBFORGE_URL={} DBFORGE_API_KEY={ADMIN_KEY} {} tui",
        server.url(),
        env!("CARGO_BIN_EXE_dbforge")
    );
    let terminal = Terminal::start("tui", &command);
    let wait_for = |needle: &str| terminal.wait_for(needle);
    let keys = |keys: &[&str]| terminal.keys(keys);

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
    terminal.type_text("SELECT label FROM blends");
    keys(&["Enter"]);
    terminal.type_text("WHERE id = 2");
    keys(&["F5"]);
    let text = wait_for("darjeeling");
    assert!(text.contains("1 row(s)"), "{text}");
    assert!(!text.contains("assam"), "{text}");

    // An error shows in the results pane.
    keys(&["C-u"]); // ignored by the editor: Ctrl+letters are not text
    keys(&["BSpace"; 12]);
    terminal.type_text("WHERE nope = 2");
    keys(&["F5"]);
    wait_for("no such column");

    // The help popup opens and closes.
    keys(&["F1"]);
    wait_for("Help: keys");
    keys(&["Escape"]);

    // Ctrl+C quits: the program ends, so tmux ends the session with it.
    keys(&["C-c"]);
    terminal.wait_exit();
}
