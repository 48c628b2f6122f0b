//! Unit tests of the TUI: key handling on the pure [`App`], and drawing it into ratatui's
//! `TestBackend` to check what a person would see.

use dbforge_client::api::{
    BatchResult, ColumnInfo, GatewayStats, LatencyPercentiles, QueryResponse, StatementResult,
    TableInfo,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

use super::app::{Action, App, Focus, Outcome};
use super::ui;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        assert_eq!(app.handle_key(key(code)), None);
    }
}

fn column(name: &str, column_type: &str) -> ColumnInfo {
    ColumnInfo {
        name: name.into(),
        column_type: column_type.into(),
        not_null: false,
        default: None,
        primary_key: 0,
        hidden: false,
    }
}

fn table(name: &str, columns: Vec<ColumnInfo>) -> TableInfo {
    TableInfo {
        name: name.into(),
        kind: dbforge_client::api::TableKind::Table,
        sql: None,
        without_rowid: false,
        strict: false,
        columns,
        indexes: Vec::new(),
        foreign_keys: Vec::new(),
        error: None,
    }
}

fn result(columns: &[&str], rows: Vec<serde_json::Value>) -> StatementResult {
    StatementResult {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        column_types: vec![None; columns.len()],
        rows,
        rows_affected: 0,
        last_insert_rowid: None,
        truncated: false,
    }
}

/// An app with two databases, `shop` open with one table, as after the first loads.
fn sample() -> App {
    let mut app = App::new();
    app.set_databases(vec!["analytics".into(), "shop".into()]);
    app.selected_database = 1;
    app.open_database = Some("shop".into());
    app.set_tables(
        "shop",
        vec![table(
            "items",
            vec![column("id", "INTEGER"), column("price_cents", "INTEGER")],
        )],
    );
    app
}

/// The screen as text, one line per row.
fn render(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).expect("test terminal");
    terminal.draw(|frame| ui::draw(frame, app)).expect("draw");
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width as usize;
    buffer
        .content
        .chunks(width)
        .map(|row| row.iter().map(|cell| cell.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_screen_shows_panes_databases_tables_and_columns() {
    let mut app = sample();
    app.set_stats(Ok(GatewayStats {
        version: "0.1.0".into(),
        uptime_seconds: 7,
        database_count: 2,
        total_bytes: 8192,
        open_databases: 1,
        requests_total: 40,
        queries_total: 12,
        query_errors_total: 0,
        query_latency: LatencyPercentiles {
            p50_ms: 0.4,
            p99_ms: 2.5,
            ..Default::default()
        },
        commits_total: 0,
        committed_requests_total: 0,
        inline_reads_total: 0,
    }));
    let screen = render(&app);
    for needle in [
        "Databases (2)",
        "Tables: shop",
        "SQL editor",
        "Results",
        "analytics",
        "● shop",
        "items",
        "price_cents INTEGER",
        "databases 2 · open 1 · queries 12 · p50 0.4 ms · p99 2.5 ms",
        "F5/Ctrl+R run",
    ] {
        assert!(
            screen.contains(needle),
            "{needle:?} not on screen:\n{screen}"
        );
    }
}

#[test]
fn a_result_is_a_grid_of_cells_with_a_row_count() {
    let mut app = sample();
    app.set_result(QueryResponse::Single(result(
        &["id", "name", "note"],
        vec![
            json!({"id": 1, "name": "darjeeling", "note": null}),
            json!({"id": 2, "name": "sencha", "note": "green"}),
        ],
    )));
    let screen = render(&app);
    assert!(screen.contains("Results: 2 row(s)"), "{screen}");
    let header = screen.lines().find(|l| l.contains("name")).expect("header");
    assert!(header.contains("id") && header.contains("note"), "{header}");
    let row = screen
        .lines()
        .find(|l| l.contains("darjeeling"))
        .expect("first row");
    assert!(row.contains('1') && row.contains("NULL"), "{row}");
    assert!(
        screen.contains("sencha") && screen.contains("green"),
        "{screen}"
    );

    // Scrolling the grid hides the first row.
    app.focus = Focus::Results;
    app.handle_key(key(KeyCode::Down));
    let screen = render(&app);
    assert!(
        !screen.contains("darjeeling") && screen.contains("sencha"),
        "{screen}"
    );
}

#[test]
fn a_write_shows_rows_affected_and_a_batch_shows_its_last_result() {
    let mut app = sample();
    let mut write = result(&[], Vec::new());
    write.rows_affected = 3;
    app.set_result(QueryResponse::Batch(BatchResult {
        results: vec![result(&["x"], vec![json!({"x": 1})]), write],
    }));
    let screen = render(&app);
    assert!(
        screen.contains("3 row(s) affected") && screen.contains("last of 2 statements"),
        "{screen}"
    );
}

#[test]
fn an_error_is_shown_in_red_in_the_results_pane() {
    let mut app = sample();
    app.set_error("sql_error (400): no such table: nope".into());
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).expect("test terminal");
    terminal.draw(|frame| ui::draw(frame, &app)).expect("draw");
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width as usize;
    let (index, _) = buffer
        .content
        .chunks(width)
        .enumerate()
        .find(|(_, row)| {
            row.iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .contains("no such table: nope")
        })
        .expect("the error is on screen");
    let row = &buffer.content[index * width..(index + 1) * width];
    let red = row
        .iter()
        .find(|cell| cell.symbol() == "s" && cell.fg == ratatui::style::Color::Red);
    assert!(red.is_some(), "the error is not red");
    assert!(matches!(app.outcome, Some(Outcome::Error(_))));
}

#[test]
fn question_mark_and_f1_toggle_the_help_popup() {
    let mut app = sample();
    assert!(!render(&app).contains("Help: keys"));
    assert_eq!(app.handle_key(key(KeyCode::Char('?'))), None);
    let screen = render(&app);
    assert!(
        screen.contains("Help: keys") && screen.contains("run the editor's SQL"),
        "{screen}"
    );
    // Any key closes it, and is not acted on (q does not quit here).
    assert_eq!(app.handle_key(key(KeyCode::Char('q'))), None);
    assert!(!render(&app).contains("Help: keys"));
    // F1 opens it from the editor too, where '?' is just text.
    app.focus = Focus::Editor;
    app.handle_key(key(KeyCode::Char('?')));
    assert!(!app.show_help);
    assert_eq!(app.sql(), "?");
    app.handle_key(key(KeyCode::F(1)));
    assert!(app.show_help);
}

#[test]
fn arrows_and_jk_move_the_database_selection_and_enter_opens_it() {
    let mut app = App::new();
    app.set_databases(vec!["a".into(), "b".into(), "c".into()]);
    assert_eq!(app.selected_database, 0);
    app.handle_key(key(KeyCode::Down));
    app.handle_key(key(KeyCode::Char('j')));
    app.handle_key(key(KeyCode::Down)); // stops at the last one
    assert_eq!(app.selected_database, 2);
    app.handle_key(key(KeyCode::Up));
    assert_eq!(app.selected_database, 1);
    app.handle_key(key(KeyCode::Char('k')));
    app.handle_key(key(KeyCode::Up)); // stops at the first one
    assert_eq!(app.selected_database, 0);
    app.handle_key(key(KeyCode::Down));
    assert_eq!(
        app.handle_key(key(KeyCode::Enter)),
        Some(Action::LoadTables("b".into()))
    );
    assert_eq!(app.open_database.as_deref(), Some("b"));
    // A late answer for another database is ignored.
    app.set_tables("a", vec![table("stale", Vec::new())]);
    assert!(app.tables.is_empty());
    app.set_tables("b", vec![table("fresh", Vec::new())]);
    assert_eq!(app.tables[0].name, "fresh");
    // Refreshing keeps the selection on the same name.
    app.set_databases(vec!["0".into(), "a".into(), "b".into()]);
    assert_eq!(app.selected_database, 2);
}

#[test]
fn tab_and_shift_tab_cycle_the_focus() {
    let mut app = App::new();
    assert_eq!(app.focus, Focus::Databases);
    let tab = key(KeyCode::Tab);
    app.handle_key(tab);
    assert_eq!(app.focus, Focus::Tables);
    app.handle_key(tab);
    assert_eq!(app.focus, Focus::Editor);
    // Tab leaves the editor rather than typing a tab.
    app.handle_key(tab);
    assert_eq!(app.focus, Focus::Results);
    app.handle_key(tab);
    assert_eq!(app.focus, Focus::Databases);
    app.handle_key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
    assert_eq!(app.focus, Focus::Results);
}

#[test]
fn typing_edits_the_sql_buffer_over_several_lines() {
    let mut app = sample();
    app.focus = Focus::Editor;
    type_text(&mut app, "SELECT 1\nFROM itemz");
    app.handle_key(key(KeyCode::Backspace));
    type_text(&mut app, "s");
    assert_eq!(app.sql(), "SELECT 1\nFROM items");
    assert_eq!(app.cursor, (1, 10));
    // Backspace at the start of a line joins it to the previous one.
    app.handle_key(key(KeyCode::Home));
    app.handle_key(key(KeyCode::Backspace));
    assert_eq!(app.sql(), "SELECT 1FROM items");
    type_text(&mut app, " ");
    assert_eq!(app.sql(), "SELECT 1 FROM items");
    // Non-ASCII text is edited by characters, not bytes.
    app.handle_key(key(KeyCode::End));
    type_text(&mut app, " -- thé");
    app.handle_key(key(KeyCode::Left));
    app.handle_key(key(KeyCode::Backspace));
    assert_eq!(app.sql(), "SELECT 1 FROM items -- té");
    let screen = render(&app);
    assert!(screen.contains("SELECT 1 FROM items -- té"), "{screen}");
}

#[test]
fn f5_ctrl_r_and_ctrl_enter_run_the_buffer() {
    let mut app = sample();
    app.focus = Focus::Editor;
    type_text(&mut app, "SELECT *\nFROM items");
    let expected = Some(Action::RunSql {
        database: "shop".into(),
        sql: "SELECT *\nFROM items".into(),
    });
    assert_eq!(app.handle_key(key(KeyCode::F(5))), expected);
    assert_eq!(app.handle_key(ctrl('r')), expected);
    assert_eq!(
        app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::CONTROL)),
        expected
    );
    // Ctrl+R did not type an 'r'.
    assert_eq!(app.sql(), "SELECT *\nFROM items");
    // F5 works from the other panes too.
    app.focus = Focus::Results;
    assert_eq!(app.handle_key(key(KeyCode::F(5))), expected);
}

#[test]
fn running_needs_an_open_database_and_some_sql() {
    let mut app = App::new();
    app.set_databases(vec!["shop".into()]);
    app.set_sql("SELECT 1");
    assert_eq!(app.handle_key(key(KeyCode::F(5))), None);
    assert!(app.status.contains("open a database"), "{}", app.status);
    app.open_database = Some("shop".into());
    app.set_sql("  ");
    assert_eq!(app.handle_key(key(KeyCode::F(5))), None);
    assert!(app.status.contains("empty"), "{}", app.status);
}

#[test]
fn q_quits_outside_the_editor_and_is_typed_inside_it() {
    let mut app = sample();
    assert_eq!(app.handle_key(key(KeyCode::Char('q'))), Some(Action::Quit));
    app.focus = Focus::Editor;
    assert_eq!(app.handle_key(key(KeyCode::Char('q'))), None);
    assert_eq!(app.sql(), "q");
    // Ctrl+C quits from anywhere, even with the help open.
    app.show_help = true;
    assert_eq!(app.handle_key(ctrl('c')), Some(Action::Quit));
}

#[test]
fn enter_on_a_table_puts_a_select_in_the_editor() {
    let mut app = sample();
    app.focus = Focus::Tables;
    assert_eq!(app.handle_key(key(KeyCode::Enter)), None);
    assert_eq!(app.focus, Focus::Editor);
    assert_eq!(app.sql(), "SELECT * FROM \"items\" LIMIT 100");
}
