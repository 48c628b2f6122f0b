//! `dbforge tui`: a full-screen terminal UI over a gateway — databases, their tables, a SQL
//! editor, a results grid and live statistics. The state and its key handling live in
//! [`app`] (pure), drawing in [`ui`]; this file owns the terminal and talks to the server.

mod app;
#[cfg(test)]
mod tests;
mod ui;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dbforge_client::Client;
use dbforge_client::api::{GatewayStats, QueryRequest, QueryResponse, TableInfo};
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use tokio::sync::mpsc;

use app::{Action, App};

/// How often the stats line is refreshed.
const STATS_INTERVAL: Duration = Duration::from_secs(2);
/// Most databases listed: the list is paged on the server, and a TUI list of more is unusable.
const MAX_DATABASES: usize = 10_000;

/// A server answer, delivered to the event loop by the task that waited for it.
enum Update {
    Databases(Result<Vec<String>, String>),
    Tables(String, Result<Vec<TableInfo>, String>),
    Query(Result<QueryResponse, String>),
    Stats(Result<GatewayStats, String>),
}

/// Runs the TUI until the user quits; the terminal is restored on every way out (ratatui's
/// panic hook covers panics).
pub async fn run(client: Client) -> Result<(), String> {
    let mut terminal =
        ratatui::try_init().map_err(|e| format!("cannot start the terminal UI: {e}"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let (keys, reader) = read_events(stop.clone());
    let result = event_loop(&mut terminal, client, keys).await;
    // Stop the reader before giving the terminal back, so it does not eat the shell's input.
    stop.store(true, Ordering::Relaxed);
    let _ = reader.join();
    ratatui::restore();
    result
}

/// Terminal events on a channel. crossterm's async `EventStream` needs a feature this crate
/// does not enable, so a plain thread polls; the short poll lets it notice `stop` quickly.
fn read_events(
    stop: Arc<AtomicBool>,
) -> (
    mpsc::UnboundedReceiver<std::io::Result<Event>>,
    std::thread::JoinHandle<()>,
) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let reader = std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let next = match event::poll(Duration::from_millis(100)) {
                Ok(false) => continue,
                Ok(true) => event::read(),
                Err(e) => Err(e),
            };
            let failed = next.is_err();
            if sender.send(next).is_err() || failed {
                break;
            }
        }
    });
    (receiver, reader)
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    client: Client,
    mut events: mpsc::UnboundedReceiver<std::io::Result<Event>>,
) -> Result<(), String> {
    let mut app = App::new();
    let (updates_tx, mut updates) = mpsc::unbounded_channel();
    perform(&client, &updates_tx, Action::RefreshDatabases);
    let mut ticker = tokio::time::interval(STATS_INTERVAL);
    // One stats request at a time: a slow server must not pile them up.
    let stats_busy = Arc::new(AtomicBool::new(false));
    loop {
        terminal
            .draw(|frame| ui::draw(frame, &app))
            .map_err(|e| format!("cannot draw: {e}"))?;
        tokio::select! {
            event = events.recv() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    match app.handle_key(key) {
                        Some(Action::Quit) => return Ok(()),
                        Some(action) => perform(&client, &updates_tx, action),
                        None => {}
                    }
                }
                // Resizes and everything else just redraw.
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("cannot read the terminal: {e}")),
                None => return Err("the terminal input closed".into()),
            },
            Some(update) = updates.recv() => match update {
                Update::Databases(Ok(names)) => app.set_databases(names),
                Update::Databases(Err(message)) => {
                    app.status = format!("cannot list databases: {message}");
                }
                Update::Tables(database, Ok(tables)) => app.set_tables(&database, tables),
                Update::Tables(database, Err(message)) => {
                    app.status = format!("cannot list the tables of {database}: {message}");
                }
                Update::Query(Ok(response)) => app.set_result(response),
                Update::Query(Err(message)) => app.set_error(message),
                Update::Stats(stats) => {
                    stats_busy.store(false, Ordering::Relaxed);
                    app.set_stats(stats);
                }
            },
            _ = ticker.tick() => {
                if !stats_busy.swap(true, Ordering::Relaxed) {
                    let (client, tx) = (client.clone(), updates_tx.clone());
                    tokio::spawn(async move {
                        let stats = client.stats().await.map_err(|e| e.to_string());
                        let _ = tx.send(Update::Stats(stats));
                    });
                }
            }
        }
    }
}

/// Starts the server call for an action in its own task, so the UI stays responsive; the
/// answer comes back as an [`Update`].
fn perform(client: &Client, updates: &mpsc::UnboundedSender<Update>, action: Action) {
    let (client, tx) = (client.clone(), updates.clone());
    tokio::spawn(async move {
        let update = match action {
            Action::Quit => return,
            Action::RefreshDatabases => Update::Databases(list_databases(&client).await),
            Action::LoadTables(database) => {
                let tables = client
                    .tables(&database)
                    .await
                    .map(|list| list.tables)
                    .map_err(|e| e.to_string());
                Update::Tables(database, tables)
            }
            Action::RunSql { database, sql } => {
                let request = QueryRequest {
                    sql: Some(sql),
                    ..Default::default()
                };
                Update::Query(
                    client
                        .query(&database, &request)
                        .await
                        .map_err(|e| e.to_string()),
                )
            }
        };
        // The loop may have ended meanwhile; then nobody needs the answer.
        let _ = tx.send(update);
    });
}

/// Every database name, following the server's pages.
async fn list_databases(client: &Client) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = client
            .list_databases(Some(1000), after.as_deref(), None)
            .await
            .map_err(|e| e.to_string())?;
        names.extend(page.databases.into_iter().map(|d| d.name.to_string()));
        match page.next_cursor {
            Some(cursor) if names.len() < MAX_DATABASES => after = Some(cursor),
            _ => return Ok(names),
        }
    }
}
