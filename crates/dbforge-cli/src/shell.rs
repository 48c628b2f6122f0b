//! `dbforge shell <db>`: a sqlite3-like REPL on a remote database, with line editing,
//! persistent history, statements spanning lines until `;`, and dot commands.

use std::path::PathBuf;
use std::time::Instant;

use dbforge_client::Client;
use dbforge_client::api::{QueryRequest, QueryResponse};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::commands::{Connection, Failure, Format, print_result};

const HELP: &str = "\
.tables              list tables and views
.schema [TABLE]      show CREATE statements
.mode table|json|csv how results are printed
.timer on|off        show each statement's round-trip time
.help                this text
.quit                leave (also .exit or Ctrl-D)
Anything else is SQL, sent when a line ends with ';'.";

/// `$DBFORGE_HISTORY`, else `$XDG_DATA_HOME/dbforge/history`, else `~/.local/share/dbforge/history`.
fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("DBFORGE_HISTORY") {
        return Some(PathBuf::from(path));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("dbforge").join("history"))
}

struct Shell {
    client: Client,
    database: String,
    format: Format,
    timer: bool,
}

impl Shell {
    async fn run_sql(&self, sql: &str) {
        let request = QueryRequest {
            sql: Some(sql.to_owned()),
            ..QueryRequest::default()
        };
        let started = Instant::now();
        let answer = self.client.query(&self.database, &request).await;
        let elapsed = started.elapsed();
        match answer {
            Ok(QueryResponse::Single(result)) => report(print_result(&result, self.format)),
            Ok(QueryResponse::Batch(batch)) => {
                for result in &batch.results {
                    report(print_result(result, self.format));
                }
            }
            Err(e) => report(Err(Failure::from(e))),
        }
        if self.timer {
            println!("Run Time: {:.3} ms", elapsed.as_secs_f64() * 1000.0);
        }
    }

    /// Runs a dot command; false when the shell should end.
    async fn run_dot(&mut self, line: &str) -> bool {
        let mut words = line.split_whitespace();
        let command = words.next().unwrap_or_default();
        let argument = words.next();
        match (command, argument) {
            (".quit" | ".exit", _) => return false,
            (".help", _) => println!("{HELP}"),
            (".tables", _) => match self.client.tables(&self.database).await {
                Ok(list) => {
                    let names: Vec<String> = list.tables.into_iter().map(|t| t.name).collect();
                    println!("{}", names.join("  "));
                }
                Err(e) => report(Err(Failure::from(e))),
            },
            (".schema", table) => match self.client.tables(&self.database).await {
                Ok(list) => {
                    for t in list
                        .tables
                        .iter()
                        .filter(|t| table.is_none_or(|name| t.name == name))
                    {
                        println!("{};", t.sql.as_deref().unwrap_or_default());
                        for index in t.indexes.iter().filter(|i| i.origin == "c") {
                            println!("-- index {} on ({})", index.name, index.columns.join(", "));
                        }
                    }
                }
                Err(e) => report(Err(Failure::from(e))),
            },
            (".mode", Some(mode)) => match mode {
                "table" => self.format = Format::Table,
                "json" => self.format = Format::Json,
                "csv" => self.format = Format::Csv,
                other => eprintln!("Error: unknown mode {other:?}; use table, json or csv"),
            },
            (".timer", Some("on")) => self.timer = true,
            (".timer", Some("off")) => self.timer = false,
            _ => eprintln!("Error: unknown or incomplete command {line:?}; try .help"),
        }
        true
    }
}

fn report(result: Result<(), Failure>) {
    if let Err(failure) = result {
        eprintln!("Error: {}", failure.message);
    }
}

pub async fn shell(connection: &Connection, database: String) -> Result<(), Failure> {
    let client = connection.client()?;
    // Fail early, with the server's words, if the database is not there.
    client.database(&database).await?;
    let mut editor = DefaultEditor::new().map_err(|e| Failure {
        message: format!("terminal: {e}"),
        code: 3,
    })?;
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    let mut shell = Shell {
        client,
        database,
        format: Format::Table,
        timer: false,
    };
    let prompt = format!("{}> ", shell.database);
    let continuation = format!(
        "{}...> ",
        " ".repeat(shell.database.len().saturating_sub(3))
    );
    let mut buffer = String::new();
    loop {
        let line = match editor.readline(if buffer.is_empty() {
            &prompt
        } else {
            &continuation
        }) {
            Ok(line) => line,
            // Ctrl-C drops the statement being typed, like sqlite3.
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                return Err(Failure {
                    message: format!("terminal: {e}"),
                    code: 3,
                });
            }
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('.') {
            let _ = editor.add_history_entry(trimmed);
            if !shell.run_dot(trimmed).await {
                break;
            }
            continue;
        }
        if trimmed.is_empty() && buffer.is_empty() {
            continue;
        }
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);
        if trimmed.ends_with(';') {
            let _ = editor.add_history_entry(buffer.as_str());
            shell.run_sql(&buffer).await;
            buffer.clear();
        }
    }
    if !buffer.trim().is_empty() {
        shell.run_sql(&buffer).await;
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    Ok(())
}
