//! The TUI's state and key handling: pure and synchronous, so that every key binding can be
//! tested without a terminal or a server. The event loop in `mod.rs` performs the returned
//! [`Action`]s and feeds their results back through the `set_*` methods.

use dbforge_client::api::{GatewayStats, QueryResponse, StatementResult, TableInfo};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The panes that take keyboard focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Databases,
    Tables,
    Editor,
    Results,
}

impl Focus {
    const ORDER: [Focus; 4] = [
        Focus::Databases,
        Focus::Tables,
        Focus::Editor,
        Focus::Results,
    ];

    fn index(self) -> usize {
        Self::ORDER.iter().position(|f| *f == self).unwrap_or(0)
    }

    fn next(self) -> Focus {
        Self::ORDER[(self.index() + 1) % Self::ORDER.len()]
    }

    fn previous(self) -> Focus {
        Self::ORDER[(self.index() + Self::ORDER.len() - 1) % Self::ORDER.len()]
    }
}

/// What the event loop must do for a key; everything else is handled inside [`App`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Fetch the list of databases again.
    RefreshDatabases,
    /// Fetch the tables of this database (it was just opened).
    LoadTables(String),
    /// Run this SQL on this database.
    RunSql {
        database: String,
        sql: String,
    },
    Quit,
}

/// The results pane's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A statement's rows, already turned into display text, cell by column.
    Rows {
        columns: Vec<String>,
        rows: Vec<Vec<String>>,
        rows_affected: u64,
        truncated: bool,
        /// How many statements ran, when a batch ran (the last one's result is shown).
        batch: Option<usize>,
    },
    Error(String),
}

/// The whole state of the TUI.
#[derive(Debug)]
pub struct App {
    pub focus: Focus,
    pub databases: Vec<String>,
    pub selected_database: usize,
    /// The database whose tables are shown and where SQL runs.
    pub open_database: Option<String>,
    pub tables: Vec<TableInfo>,
    pub selected_table: usize,
    /// The SQL editor's text, one entry per line (never empty).
    pub editor: Vec<String>,
    /// The editor cursor: line, and position in characters within that line.
    pub cursor: (usize, usize),
    pub outcome: Option<Outcome>,
    /// The first result row shown (vertical scrolling of the grid).
    pub result_row: usize,
    /// The first result column shown (horizontal scrolling of the grid).
    pub result_column: usize,
    pub stats: Option<Result<GatewayStats, String>>,
    /// A short message for the footer: loading, running, or an error not tied to a query.
    pub status: String,
    pub show_help: bool,
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

impl App {
    pub fn new() -> Self {
        App {
            focus: Focus::Databases,
            databases: Vec::new(),
            selected_database: 0,
            open_database: None,
            tables: Vec::new(),
            selected_table: 0,
            editor: vec![String::new()],
            cursor: (0, 0),
            outcome: None,
            result_row: 0,
            result_column: 0,
            stats: None,
            status: "loading databases…".into(),
            show_help: false,
        }
    }

    /// The editor's text, lines joined with newlines.
    pub fn sql(&self) -> String {
        self.editor.join("\n")
    }

    /// Replaces the editor's text and puts the cursor at its end.
    pub fn set_sql(&mut self, sql: &str) {
        self.editor = sql.split('\n').map(str::to_owned).collect();
        let last = self.editor.len() - 1;
        self.cursor = (last, self.editor[last].chars().count());
    }

    pub fn set_databases(&mut self, names: Vec<String>) {
        // Keep the selection on the same name when the list is refreshed.
        let current = self.databases.get(self.selected_database).cloned();
        self.databases = names;
        self.selected_database = current
            .and_then(|name| self.databases.iter().position(|n| *n == name))
            .unwrap_or(0);
        self.status = if self.databases.is_empty() {
            "no databases yet: create one with `dbforge db create NAME`".into()
        } else {
            String::new()
        };
    }

    pub fn set_tables(&mut self, database: &str, tables: Vec<TableInfo>) {
        // A late answer for a database the user already left is dropped.
        if self.open_database.as_deref() != Some(database) {
            return;
        }
        self.tables = tables;
        self.selected_table = 0;
        self.status.clear();
    }

    pub fn set_result(&mut self, response: QueryResponse) {
        let (result, batch) = match response {
            QueryResponse::Single(result) => (result, None),
            QueryResponse::Batch(batch) => {
                let count = batch.results.len();
                match batch.results.into_iter().last() {
                    Some(last) => (last, Some(count)),
                    None => (empty_result(), Some(0)),
                }
            }
        };
        let rows = result
            .rows
            .iter()
            .map(|row| row_cells(&result.columns, row))
            .collect();
        self.outcome = Some(Outcome::Rows {
            columns: result.columns,
            rows,
            rows_affected: result.rows_affected,
            truncated: result.truncated,
            batch,
        });
        self.result_row = 0;
        self.result_column = 0;
        self.status.clear();
    }

    /// A failed query: shown in the results pane.
    pub fn set_error(&mut self, message: String) {
        self.outcome = Some(Outcome::Error(message));
        self.result_row = 0;
        self.result_column = 0;
        self.status.clear();
    }

    pub fn set_stats(&mut self, stats: Result<GatewayStats, String>) {
        self.stats = Some(stats);
    }

    /// The outcome of the last key press; `None` when nothing outside the state must happen.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C')) {
            return Some(Action::Quit);
        }
        if self.show_help {
            // Any key closes the popup, so nobody is stuck in it.
            self.show_help = false;
            return None;
        }
        let run = key.code == KeyCode::F(5)
            || (ctrl && matches!(key.code, KeyCode::Char('r') | KeyCode::Enter));
        if run {
            return self.run();
        }
        match key.code {
            KeyCode::F(1) => {
                self.show_help = true;
                return None;
            }
            KeyCode::Tab => {
                self.focus = self.focus.next();
                return None;
            }
            KeyCode::BackTab => {
                self.focus = self.focus.previous();
                return None;
            }
            _ => {}
        }
        if self.focus == Focus::Editor {
            self.edit(key);
            return None;
        }
        // Outside the editor, plain letters are commands.
        match key.code {
            KeyCode::Char('q') => return Some(Action::Quit),
            KeyCode::Char('?') => {
                self.show_help = true;
                return None;
            }
            _ => {}
        }
        match self.focus {
            Focus::Databases => self.databases_key(key),
            Focus::Tables => self.tables_key(key),
            Focus::Results => {
                self.results_key(key);
                None
            }
            Focus::Editor => None,
        }
    }

    fn run(&mut self) -> Option<Action> {
        let Some(database) = self.open_database.clone() else {
            self.status = "open a database first: select it and press Enter".into();
            return None;
        };
        let sql = self.sql();
        if sql.trim().is_empty() {
            self.status = "the editor is empty: type SQL first".into();
            return None;
        }
        self.status = format!("running on {database}…");
        Some(Action::RunSql { database, sql })
    }

    fn databases_key(&mut self, key: KeyEvent) -> Option<Action> {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => {
                self.selected_database = self.selected_database.saturating_sub(1);
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected_database =
                    (self.selected_database + 1).min(self.databases.len().saturating_sub(1));
            }
            KeyCode::Char('r') => {
                self.status = "loading databases…".into();
                return Some(Action::RefreshDatabases);
            }
            KeyCode::Enter => {
                let name = self.databases.get(self.selected_database)?.clone();
                self.open_database = Some(name.clone());
                self.tables.clear();
                self.selected_table = 0;
                self.status = format!("loading tables of {name}…");
                return Some(Action::LoadTables(name));
            }
            _ => {}
        }
        None
    }

    fn tables_key(&mut self, key: KeyEvent) -> Option<Action> {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => {
                self.selected_table = self.selected_table.saturating_sub(1);
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected_table =
                    (self.selected_table + 1).min(self.tables.len().saturating_sub(1));
            }
            KeyCode::Enter => {
                // A starting point for the editor: browse the selected table.
                let table = self.tables.get(self.selected_table)?;
                let sql = format!(
                    "SELECT * FROM \"{}\" LIMIT 100",
                    table.name.replace('"', "\"\"")
                );
                self.set_sql(&sql);
                self.focus = Focus::Editor;
            }
            _ => {}
        }
        None
    }

    fn results_key(&mut self, key: KeyEvent) {
        let (rows, columns) = match &self.outcome {
            Some(Outcome::Rows { rows, columns, .. }) => (rows.len(), columns.len()),
            _ => (0, 0),
        };
        let last_row = rows.saturating_sub(1);
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.result_row = self.result_row.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.result_row = (self.result_row + 1).min(last_row)
            }
            KeyCode::PageUp => self.result_row = self.result_row.saturating_sub(10),
            KeyCode::PageDown => self.result_row = (self.result_row + 10).min(last_row),
            KeyCode::Home | KeyCode::Char('g') => self.result_row = 0,
            KeyCode::End | KeyCode::Char('G') => self.result_row = last_row,
            KeyCode::Left | KeyCode::Char('h') => {
                self.result_column = self.result_column.saturating_sub(1)
            }
            KeyCode::Right | KeyCode::Char('l') => {
                self.result_column = (self.result_column + 1).min(columns.saturating_sub(1))
            }
            _ => {}
        }
    }

    /// Multi-line editing at the cursor; positions are in characters, not bytes.
    fn edit(&mut self, key: KeyEvent) {
        let (row, col) = self.cursor;
        match key.code {
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                let at = byte_index(&self.editor[row], col);
                self.editor[row].insert(at, c);
                self.cursor.1 += 1;
            }
            KeyCode::Enter => {
                let at = byte_index(&self.editor[row], col);
                let rest = self.editor[row].split_off(at);
                self.editor.insert(row + 1, rest);
                self.cursor = (row + 1, 0);
            }
            KeyCode::Backspace => {
                if col > 0 {
                    let at = byte_index(&self.editor[row], col - 1);
                    self.editor[row].remove(at);
                    self.cursor.1 -= 1;
                } else if row > 0 {
                    let line = self.editor.remove(row);
                    let previous = &mut self.editor[row - 1];
                    let len = previous.chars().count();
                    previous.push_str(&line);
                    self.cursor = (row - 1, len);
                }
            }
            KeyCode::Delete => {
                if col < self.editor[row].chars().count() {
                    let at = byte_index(&self.editor[row], col);
                    self.editor[row].remove(at);
                } else if row + 1 < self.editor.len() {
                    let next = self.editor.remove(row + 1);
                    self.editor[row].push_str(&next);
                }
            }
            KeyCode::Left => {
                if col > 0 {
                    self.cursor.1 -= 1;
                } else if row > 0 {
                    self.cursor = (row - 1, self.editor[row - 1].chars().count());
                }
            }
            KeyCode::Right => {
                if col < self.editor[row].chars().count() {
                    self.cursor.1 += 1;
                } else if row + 1 < self.editor.len() {
                    self.cursor = (row + 1, 0);
                }
            }
            KeyCode::Up if row > 0 => {
                self.cursor = (row - 1, col.min(self.editor[row - 1].chars().count()));
            }
            KeyCode::Down if row + 1 < self.editor.len() => {
                self.cursor = (row + 1, col.min(self.editor[row + 1].chars().count()));
            }
            KeyCode::Home => self.cursor.1 = 0,
            KeyCode::End => self.cursor.1 = self.editor[row].chars().count(),
            KeyCode::Esc => self.focus = Focus::Results,
            _ => {}
        }
    }
}

/// The byte offset of the `chars`-th character of `line` (its length past the end).
fn byte_index(line: &str, chars: usize) -> usize {
    line.char_indices()
        .nth(chars)
        .map_or(line.len(), |(index, _)| index)
}

/// One row's cells in column order: rows come as objects keyed by column (the default) or
/// as arrays.
fn row_cells(columns: &[String], row: &serde_json::Value) -> Vec<String> {
    match row {
        serde_json::Value::Object(map) => columns
            .iter()
            .map(|c| map.get(c).map_or_else(String::new, cell_text))
            .collect(),
        serde_json::Value::Array(values) => values.iter().map(cell_text).collect(),
        other => vec![cell_text(other)],
    }
}

/// A value as shown in a cell: text without quotes, NULL spelled out.
pub fn cell_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "NULL".into(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// An empty statement result, for a batch that ran nothing.
fn empty_result() -> StatementResult {
    StatementResult {
        columns: Vec::new(),
        column_types: Vec::new(),
        rows: Vec::new(),
        rows_affected: 0,
        last_insert_rowid: None,
        truncated: false,
    }
}
