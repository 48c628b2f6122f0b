//! Drawing the TUI from an [`App`]: a stats line, databases and tables on the left, the SQL
//! editor and the results grid on the right, a footer of keys, and the help popup.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Cell, Clear, List, ListItem, ListState, Paragraph, Row, Table, Wrap,
};

use super::app::{App, Focus, Outcome};

/// The widest a result column gets, so that one long value does not hide the others.
const MAX_COLUMN_WIDTH: usize = 40;

pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [stats, main, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(30), Constraint::Percentage(70)]).areas(main);
    let [databases, tables] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(left);
    let [editor, results] =
        Layout::vertical([Constraint::Length(8), Constraint::Min(4)]).areas(right);

    draw_stats(frame, app, stats);
    draw_databases(frame, app, databases);
    draw_tables(frame, app, tables);
    draw_editor(frame, app, editor);
    draw_results(frame, app, results);
    draw_footer(frame, app, footer);
    if app.show_help {
        draw_help(frame);
    }
}

/// A pane's frame; the focused one stands out.
fn pane(title: String, focused: bool) -> Block<'static> {
    let style = if focused {
        Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    Block::bordered().title(title).border_style(style)
}

fn draw_stats(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let mut spans = vec![
        Span::styled(" DB-Forge ", Style::new().bold().reversed()),
        " ".into(),
    ];
    match &app.stats {
        None => spans.push("stats: loading…".into()),
        Some(Err(message)) => spans.push(Span::styled(format!("stats: {message}"), Color::Red)),
        Some(Ok(stats)) => spans.push(
            format!(
                "databases {} · open {} · queries {} · p50 {:.1} ms · p99 {:.1} ms · up {}s",
                stats.database_count,
                stats.open_databases,
                stats.queries_total,
                stats.query_latency.p50_ms,
                stats.query_latency.p99_ms,
                stats.uptime_seconds,
            )
            .into(),
        ),
    }
    frame.render_widget(Line::from(spans), area);
}

fn draw_databases(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let items: Vec<ListItem<'_>> = app
        .databases
        .iter()
        .map(|name| {
            let open = app.open_database.as_deref() == Some(name.as_str());
            let marker = if open { "● " } else { "  " };
            ListItem::new(format!("{marker}{name}"))
        })
        .collect();
    let title = format!(" Databases ({}) ", app.databases.len());
    let list = List::new(items)
        .block(pane(title, app.focus == Focus::Databases))
        .highlight_style(Style::new().reversed());
    let mut state = ListState::default()
        .with_selected((!app.databases.is_empty()).then_some(app.selected_database));
    frame.render_stateful_widget(list, area, &mut state);
}

fn draw_tables(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let title = match &app.open_database {
        Some(name) => format!(" Tables: {name} "),
        None => " Tables ".to_string(),
    };
    let block = pane(title, app.focus == Focus::Tables);
    if app.open_database.is_none() {
        let hint = Paragraph::new("Select a database and press Enter.")
            .style(Style::new().dim())
            .wrap(Wrap { trim: true })
            .block(block);
        frame.render_widget(hint, area);
        return;
    }
    // Each table is one list item: its name, then its columns indented under it.
    let items: Vec<ListItem<'_>> = app
        .tables
        .iter()
        .map(|table| {
            let mut lines = vec![Line::from(vec![
                Span::styled(table.name.clone(), Style::new().bold()),
                Span::styled(format!(" ({})", table.kind.as_str()), Style::new().dim()),
            ])];
            lines.extend(table.columns.iter().map(|column| {
                Line::from(vec![
                    Span::raw(format!("  {}", column.name)),
                    Span::styled(format!(" {}", column.column_type), Style::new().dim()),
                ])
            }));
            ListItem::new(lines)
        })
        .collect();
    let list = List::new(items)
        .block(block)
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state =
        ListState::default().with_selected((!app.tables.is_empty()).then_some(app.selected_table));
    frame.render_stateful_widget(list, area, &mut state);
}

fn draw_editor(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let focused = app.focus == Focus::Editor;
    let block = pane(" SQL editor (F5 / Ctrl+R runs) ".to_string(), focused);
    let inner = block.inner(area);
    // Scroll so that the cursor's line is always visible.
    let (row, col) = app.cursor;
    let top = (row + 1).saturating_sub(inner.height.max(1) as usize);
    let left = (col + 1).saturating_sub(inner.width.max(1) as usize);
    let text: Vec<Line<'_>> = app.editor.iter().map(|l| Line::raw(l.as_str())).collect();
    let editor = Paragraph::new(text)
        .block(block)
        .scroll((top as u16, left as u16));
    frame.render_widget(editor, area);
    if focused {
        frame.set_cursor_position(Position::new(
            inner.x + (col - left) as u16,
            inner.y + (row - top) as u16,
        ));
    }
}

fn draw_results(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let focused = app.focus == Focus::Results;
    match &app.outcome {
        None => {
            let hint = Paragraph::new("Run SQL to see its results here.")
                .style(Style::new().dim())
                .block(pane(" Results ".to_string(), focused));
            frame.render_widget(hint, area);
        }
        Some(Outcome::Error(message)) => {
            let error = Paragraph::new(message.as_str())
                .style(Style::new().fg(Color::Red))
                .wrap(Wrap { trim: false })
                .block(pane(" Results: error ".to_string(), focused));
            frame.render_widget(error, area);
        }
        Some(Outcome::Rows {
            columns,
            rows,
            rows_affected,
            truncated,
            batch,
        }) => {
            let mut title = if columns.is_empty() {
                format!(" Results: {rows_affected} row(s) affected ")
            } else {
                let mut t = format!(" Results: {} row(s)", rows.len());
                if *truncated {
                    t.push_str(", truncated");
                }
                if !rows.is_empty() {
                    t.push_str(&format!(" [{}-]", app.result_row + 1));
                }
                t.push(' ');
                t
            };
            if let Some(count) = batch {
                title.push_str(&format!("(last of {count} statements) "));
            }
            let block = pane(title, focused);
            if columns.is_empty() {
                frame.render_widget(Paragraph::new("").block(block), area);
                return;
            }
            let first = app.result_column.min(columns.len().saturating_sub(1));
            let shown = &columns[first..];
            let widths: Vec<Constraint> = (first..columns.len())
                .map(|c| {
                    let widest = rows
                        .iter()
                        .map(|row| row.get(c).map_or(0, |v| v.chars().count()))
                        .chain([columns[c].chars().count()])
                        .max()
                        .unwrap_or(0);
                    Constraint::Length(widest.clamp(1, MAX_COLUMN_WIDTH) as u16)
                })
                .collect();
            let header = Row::new(shown.iter().map(|c| Cell::from(c.as_str())))
                .style(Style::new().bold().underlined());
            let body = rows.iter().skip(app.result_row).map(|row| {
                Row::new(
                    row.iter()
                        .skip(first)
                        .map(|v| Cell::from(v.replace('\n', " "))),
                )
            });
            let table = Table::new(body, widths)
                .header(header)
                .column_spacing(2)
                .block(block);
            frame.render_widget(table, area);
        }
    }
}

fn draw_footer(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let line = if app.status.is_empty() {
        Line::from(
            " Tab focus · ↑↓/jk move · Enter open · F5/Ctrl+R run · ? or F1 help · q/Ctrl+C quit",
        )
        .style(Style::new().dim())
    } else {
        Line::from(format!(" {}", app.status)).style(Style::new().fg(Color::Cyan))
    };
    frame.render_widget(line, area);
}

const HELP: &[(&str, &str)] = &[
    ("Tab / Shift+Tab", "next / previous pane"),
    ("↑ ↓ or j k", "move in a list, scroll results"),
    ("← → or h l", "scroll result columns"),
    ("Enter (Databases)", "open the database: show its tables"),
    (
        "Enter (Tables)",
        "put SELECT * FROM the table in the editor",
    ),
    ("r (Databases)", "reload the list of databases"),
    ("F5, Ctrl+R, Ctrl+Enter", "run the editor's SQL"),
    ("Enter (Editor)", "new line; Esc leaves the editor"),
    ("? or F1", "this help (any key closes it)"),
    ("q or Ctrl+C", "quit (q types a q in the editor)"),
];

fn draw_help(frame: &mut Frame<'_>) {
    let area = centered(frame.area(), 72, HELP.len() as u16 + 2);
    let lines: Vec<Line<'_>> = HELP
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!("{keys:<24}"), Style::new().fg(Color::Yellow)),
                Span::raw(*what),
            ])
        })
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Help: keys ")),
        area,
    );
}

/// A rectangle of at most `width` x `height` in the middle of `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}
