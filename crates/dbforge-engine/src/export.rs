//! Exports streamed a chunk at a time, never held whole: a SQL dump as `sqlite3 .dump`
//! writes one (schema, rows, indexes, triggers, views, in one transaction), or one table's
//! or query's rows as CSV, a JSON array or NDJSON. Everything is read in one read transaction
//! on a sandboxed read-only connection of its own: a consistent point in time, whatever
//! writers do meanwhile.

use std::io::Write;
use std::time::Duration;

use dbforge_api::{ErrorCode, Lossless, Value};
use rusqlite::types::ValueRef;

use crate::EngineError;
use crate::database::Database;
use crate::deadline::Deadline;
use crate::readers::Reader;

/// Bytes gathered before a chunk is handed on.
const CHUNK_BYTES: usize = 64 * 1024;

/// What an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Sql,
    Csv,
    Json,
    Ndjson,
}

/// What an export reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportSource {
    /// The whole database (a SQL dump only).
    Database,
    Table(String),
    /// A read-only query (its statement is checked by SQLite, and runs in the sandbox).
    Query(String),
}

/// An export to run.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub format: ExportFormat,
    pub source: ExportSource,
    /// How CSV writes NULL (empty by default: then an empty string is written `""`).
    pub csv_null: String,
}

/// Where an export's bytes go: `false` when the reader went away (the export stops).
pub type ExportSink<'a> = &'a mut dyn FnMut(Vec<u8>) -> bool;

/// Gathers output into chunks for the sink; remembers whether the sink went away.
struct Chunks<'a> {
    buffer: Vec<u8>,
    sink: ExportSink<'a>,
    gone: bool,
}

impl Write for Chunks<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.gone {
            return Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the export's reader went away",
            ));
        }
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
            if !(self.sink)(chunk) {
                self.gone = true;
                return Err(std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "the export's reader went away",
                ));
            }
        }
        Ok(())
    }
}

fn written(e: std::io::Error) -> EngineError {
    EngineError::new(
        ErrorCode::RequestTimeout,
        format!("the export stopped: {e}"),
    )
}

/// `"name"` with quotes doubled: an identifier SQL cannot be spliced into.
pub(crate) fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A value as a SQL literal that reads back as the same value and type.
pub(crate) fn sql_literal(value: ValueRef<'_>, out: &mut impl Write) -> std::io::Result<()> {
    match value {
        ValueRef::Null => out.write_all(b"NULL"),
        ValueRef::Integer(i) => write!(out, "{i}"),
        ValueRef::Real(f) if f.is_finite() => write!(out, "{}", real_text(f)),
        // What `sqlite3 .dump` writes for infinities: a literal that overflows to one.
        ValueRef::Real(f) if f > 0.0 => out.write_all(b"1e999"),
        ValueRef::Real(_) => out.write_all(b"-1e999"),
        ValueRef::Text(bytes) if bytes.contains(&0) || std::str::from_utf8(bytes).is_err() => {
            // Text a literal cannot hold as it is: its bytes, cast back to text.
            out.write_all(b"CAST(X'")?;
            write_hex(bytes, out)?;
            out.write_all(b"' AS TEXT)")
        }
        ValueRef::Text(bytes) => {
            out.write_all(b"'")?;
            for (i, part) in bytes.split(|b| *b == b'\'').enumerate() {
                if i > 0 {
                    out.write_all(b"''")?;
                }
                out.write_all(part)?;
            }
            out.write_all(b"'")
        }
        ValueRef::Blob(bytes) => {
            out.write_all(b"X'")?;
            write_hex(bytes, out)?;
            out.write_all(b"'")
        }
    }
}

/// A finite real as the shortest text that reads back exactly, always marked as a real
/// (`1.0`, `1e20`), never as an integer.
pub(crate) fn real_text(f: f64) -> String {
    let text = format!("{f:?}");
    if text.contains(['.', 'e', 'E']) || text.contains("inf") || text.contains("NaN") {
        text
    } else {
        format!("{text}.0")
    }
}

fn write_hex(bytes: &[u8], out: &mut impl Write) -> std::io::Result<()> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut line = Vec::with_capacity(bytes.len() * 2);
    for b in bytes {
        line.push(DIGITS[usize::from(b >> 4)]);
        line.push(DIGITS[usize::from(b & 15)]);
    }
    out.write_all(&line)
}

/// One object of the schema, as `sqlite_schema` lists it.
struct SchemaObject {
    kind: String,
    name: String,
    table: String,
    sql: Option<String>,
}

impl Database {
    /// Checks `request` and streams its output to `sink`, within `limit`. Blocking. Fails
    /// before the first byte for a bad request (an unknown table, a query that does not
    /// parse or writes); `ready` is called once it is known to be good, with nothing sent.
    pub fn export(
        &self,
        request: &ExportRequest,
        limit: Duration,
        ready: impl FnOnce(),
        sink: ExportSink<'_>,
    ) -> Result<u64, EngineError> {
        let reader = self.readers().open_reader()?;
        let deadline = Deadline::after(limit);
        let _running = reader.sandbox.start_statement(limit, &deadline)?;
        let sandbox = &reader.sandbox;
        sandbox
            .run_internal(&reader.conn, "BEGIN")
            .map_err(|e| sandbox.error(e))?;
        let mut out = Chunks {
            buffer: Vec::with_capacity(CHUNK_BYTES),
            sink,
            gone: false,
        };
        let rows = match (&request.format, &request.source) {
            (ExportFormat::Sql, ExportSource::Query(_)) => Err(EngineError::new(
                ErrorCode::InvalidRequest,
                "a SQL dump is of the database or of one table (`table=`), not of a query",
            )),
            (ExportFormat::Sql, source) => {
                let only = match source {
                    ExportSource::Table(t) => Some(t.as_str()),
                    _ => None,
                };
                dump(&reader, only, ready, &mut out)
            }
            (_, ExportSource::Database) => Err(EngineError::new(
                ErrorCode::InvalidRequest,
                "name what to export: `table=` or `sql=` (a read-only query)",
            )),
            (format, ExportSource::Table(table)) => {
                let columns = table_columns(&reader, table)?;
                let select = format!(
                    "SELECT {} FROM main.{}",
                    columns
                        .iter()
                        .map(|c| quote_identifier(c))
                        .collect::<Vec<_>>()
                        .join(", "),
                    quote_identifier(table)
                );
                rows_out(
                    &reader,
                    &select,
                    *format,
                    &request.csv_null,
                    ready,
                    &mut out,
                )
            }
            (format, ExportSource::Query(sql)) => {
                rows_out(&reader, sql, *format, &request.csv_null, ready, &mut out)
            }
        };
        let rows = rows?;
        out.flush().map_err(written)?;
        let _ = sandbox.run_internal(&reader.conn, "COMMIT");
        Ok(rows)
    }
}

/// The columns a table's rows are written with: every column but generated ones (which a
/// load computes again). `table_not_found` for a name that is not a table or view.
fn table_columns(reader: &Reader, table: &str) -> Result<Vec<String>, EngineError> {
    let sandbox = &reader.sandbox;
    let mut stmt = reader
        .conn
        .prepare("SELECT name, hidden FROM pragma_table_xinfo(?1, 'main')")
        .map_err(|e| sandbox.error(e))?;
    let columns: Vec<(String, i64)> = stmt
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| sandbox.error(e))?;
    if columns.is_empty() {
        return Err(EngineError::new(
            ErrorCode::TableNotFound,
            format!("no table or view named {table}"),
        ));
    }
    // hidden: 0 an ordinary column, 1 hidden (virtual tables), 2 and 3 generated.
    Ok(columns
        .into_iter()
        .filter(|(_, hidden)| *hidden == 0)
        .map(|(name, _)| name)
        .collect())
}

/// Writes the rows of `select` in `format`; answers how many.
fn rows_out(
    reader: &Reader,
    select: &str,
    format: ExportFormat,
    csv_null: &str,
    ready: impl FnOnce(),
    out: &mut Chunks<'_>,
) -> Result<u64, EngineError> {
    let sandbox = &reader.sandbox;
    sandbox.before_prepare();
    let mut stmt = reader.conn.prepare(select).map_err(|e| match e {
        rusqlite::Error::MultipleStatement => EngineError::new(
            ErrorCode::InvalidRequest,
            "an export runs one query: the SQL holds several statements",
        ),
        e => sandbox.error(e),
    })?;
    if !stmt.readonly() {
        return Err(EngineError::new(
            ErrorCode::Forbidden,
            "an export runs a read-only query: this one writes",
        ));
    }
    if stmt.column_count() == 0 {
        return Err(EngineError::new(
            ErrorCode::InvalidRequest,
            "the query returns no columns",
        ));
    }
    let names = unique_names(stmt.column_names().map(str::to_owned).collect());
    let keys: Vec<String> = names
        .iter()
        .map(|n| serde_json::to_string(n).unwrap_or_else(|_| "\"?\"".into()))
        .collect();
    let mut rows = stmt.query([]).map_err(|e| sandbox.error(e))?;
    ready();
    if format == ExportFormat::Csv {
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                out.write_all(b",").map_err(written)?;
            }
            csv_quoted(name.as_bytes(), name.is_empty(), out).map_err(written)?;
        }
        out.write_all(b"\r\n").map_err(written)?;
    }
    if format == ExportFormat::Json {
        out.write_all(b"[").map_err(written)?;
    }
    let mut count = 0u64;
    let mut field = Vec::new();
    while let Some(row) = rows.next().map_err(|e| sandbox.error(e))? {
        match format {
            ExportFormat::Csv => {
                for i in 0..names.len() {
                    if i > 0 {
                        out.write_all(b",").map_err(written)?;
                    }
                    field.clear();
                    let value = row.get_ref(i).map_err(|e| sandbox.error(e))?;
                    csv_field(value, csv_null, &mut field);
                    // Text that an import would read as something else (NULL, a number, a
                    // blob) is quoted: a quoted field is always text.
                    let quote =
                        matches!(value, ValueRef::Text(_)) && misread_as_text(&field, csv_null);
                    csv_quoted(&field, quote, out).map_err(written)?;
                }
                out.write_all(b"\r\n").map_err(written)?;
            }
            ExportFormat::Json | ExportFormat::Ndjson => {
                if format == ExportFormat::Json && count > 0 {
                    out.write_all(b",").map_err(written)?;
                }
                out.write_all(b"{").map_err(written)?;
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",").map_err(written)?;
                    }
                    out.write_all(key.as_bytes()).map_err(written)?;
                    out.write_all(b":").map_err(written)?;
                    let value = owned(row.get_ref(i).map_err(|e| sandbox.error(e))?);
                    serde_json::to_writer(&mut *out, &Lossless(&value))
                        .map_err(|e| written(std::io::Error::other(e)))?;
                }
                out.write_all(b"}").map_err(written)?;
                if format == ExportFormat::Ndjson {
                    out.write_all(b"\n").map_err(written)?;
                }
            }
            ExportFormat::Sql => {}
        }
        count += 1;
    }
    if format == ExportFormat::Json {
        out.write_all(b"]\n").map_err(written)?;
    }
    Ok(count)
}

/// Whether a text, written as it is, would read back as something else: NULL (empty, or the
/// NULL marker), an integer, a real, a blob (`\x` hex).
fn misread_as_text(text: &[u8], null: &str) -> bool {
    let Ok(text) = std::str::from_utf8(text) else {
        return false;
    };
    text.is_empty()
        || text == null
        || text.parse::<i64>().is_ok()
        || crate::import::is_real(text)
        || crate::import::hex_blob(text).is_some()
}

/// Writes a CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, or
/// when `quote` asks; quotes inside doubled.
fn csv_quoted(field: &[u8], quote: bool, out: &mut impl Write) -> std::io::Result<()> {
    let needs = quote
        || field
            .iter()
            .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if !needs {
        return out.write_all(field);
    }
    out.write_all(b"\"")?;
    for (i, part) in field.split(|b| *b == b'"').enumerate() {
        if i > 0 {
            out.write_all(b"\"\"")?;
        }
        out.write_all(part)?;
    }
    out.write_all(b"\"")
}

/// Column names made unique (`a`, `a_2`, ...): a JSON object has one value per key.
fn unique_names(names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .map(|name| {
            let mut candidate = name.clone();
            let mut n = 1;
            while !seen.insert(candidate.clone()) {
                n += 1;
                candidate = format!("{name}_{n}");
            }
            candidate
        })
        .collect()
}

/// One CSV field: NULL as `null`, integers in decimal, reals always with a `.` or an
/// exponent, text as it is, blobs as `\x` and hex (PostgreSQL's spelling).
fn csv_field(value: ValueRef<'_>, null: &str, out: &mut Vec<u8>) {
    match value {
        ValueRef::Null => out.extend_from_slice(null.as_bytes()),
        ValueRef::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        ValueRef::Real(f) if f.is_finite() => out.extend_from_slice(real_text(f).as_bytes()),
        ValueRef::Real(f) => {
            out.extend_from_slice(if f > 0.0 { b"Infinity" } else { b"-Infinity" })
        }
        ValueRef::Text(t) => out.extend_from_slice(t),
        ValueRef::Blob(b) => {
            out.extend_from_slice(b"\\x");
            let _ = write_hex(b, out);
        }
    }
}

fn owned(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// The objects of the schema, in the order they were created.
fn schema_objects(reader: &Reader) -> Result<Vec<SchemaObject>, EngineError> {
    let sandbox = &reader.sandbox;
    let mut stmt = reader
        .conn
        .prepare(
            "SELECT type, name, tbl_name, sql FROM main.sqlite_schema \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
        )
        .map_err(|e| sandbox.error(e))?;
    stmt.query_map([], |r| {
        Ok(SchemaObject {
            kind: r.get(0)?,
            name: r.get(1)?,
            table: r.get(2)?,
            sql: r.get(3)?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(|e| sandbox.error(e))
}

/// Names of tables SQLite keeps for virtual tables (their content comes with the virtual
/// table's own rows).
fn shadow_tables(reader: &Reader) -> Result<std::collections::HashSet<String>, EngineError> {
    let sandbox = &reader.sandbox;
    let mut stmt = reader
        .conn
        .prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'")
        .map_err(|e| sandbox.error(e))?;
    stmt.query_map([], |r| r.get(0))
        .and_then(Iterator::collect)
        .map_err(|e| sandbox.error(e))
}

/// A SQL dump of the database, or of `only` (a table with its indexes and triggers).
fn dump(
    reader: &Reader,
    only: Option<&str>,
    ready: impl FnOnce(),
    out: &mut Chunks<'_>,
) -> Result<u64, EngineError> {
    let sandbox = &reader.sandbox;
    let objects = schema_objects(reader)?;
    let shadows = shadow_tables(reader)?;
    if let Some(table) = only
        && !objects.iter().any(|o| o.kind == "table" && o.name == table)
    {
        return Err(EngineError::new(
            ErrorCode::TableNotFound,
            format!("no table named {table}"),
        ));
    }
    let wanted = |o: &SchemaObject| only.is_none_or(|t| o.table == t);
    ready();
    out.write_all(b"PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
        .map_err(written)?;
    let mut rows = 0u64;
    for object in objects.iter().filter(|o| o.kind == "table" && wanted(o)) {
        let Some(sql) = &object.sql else { continue };
        if shadows.contains(&object.name) {
            continue;
        }
        writeln!(out, "{sql};").map_err(written)?;
        let columns = table_columns(reader, &object.name)?;
        let all_columns: i64 = reader
            .conn
            .query_row(
                "SELECT count(*) FROM pragma_table_xinfo(?1, 'main')",
                [&object.name],
                |r| r.get(0),
            )
            .map_err(|e| sandbox.error(e))?;
        let virtual_table = sql
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("CREATE VIRTUAL");
        // Name the columns when some are left out (generated, hidden), as `.dump` does.
        let target = if usize::try_from(all_columns).ok() == Some(columns.len()) && !virtual_table {
            quote_identifier(&object.name)
        } else {
            format!(
                "{}({})",
                quote_identifier(&object.name),
                columns
                    .iter()
                    .map(|c| quote_identifier(c))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        };
        let select = format!(
            "SELECT {} FROM main.{}",
            columns
                .iter()
                .map(|c| quote_identifier(c))
                .collect::<Vec<_>>()
                .join(", "),
            quote_identifier(&object.name)
        );
        let mut stmt = reader.conn.prepare(&select).map_err(|e| sandbox.error(e))?;
        let mut result = stmt.query([]).map_err(|e| sandbox.error(e))?;
        while let Some(row) = result.next().map_err(|e| sandbox.error(e))? {
            write!(out, "INSERT INTO {target} VALUES(").map_err(written)?;
            for i in 0..columns.len() {
                if i > 0 {
                    out.write_all(b",").map_err(written)?;
                }
                sql_literal(row.get_ref(i).map_err(|e| sandbox.error(e))?, out).map_err(written)?;
            }
            out.write_all(b");\n").map_err(written)?;
            rows += 1;
        }
    }
    // AUTOINCREMENT counters, so new rows do not reuse ids.
    let has_sequence: bool = reader
        .conn
        .query_row(
            "SELECT count(*) FROM main.sqlite_schema WHERE name = 'sqlite_sequence'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| sandbox.error(e))?
        > 0;
    if has_sequence {
        let mut stmt = reader
            .conn
            .prepare("SELECT name, seq FROM main.sqlite_sequence")
            .map_err(|e| sandbox.error(e))?;
        let sequences: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| sandbox.error(e))?;
        let sequences: Vec<_> = sequences
            .into_iter()
            .filter(|(t, _)| only.is_none_or(|o| o == t))
            .collect();
        if !sequences.is_empty() {
            out.write_all(b"DELETE FROM sqlite_sequence;\n")
                .map_err(written)?;
            for (table, seq) in sequences {
                out.write_all(b"INSERT INTO sqlite_sequence VALUES(")
                    .map_err(written)?;
                sql_literal(ValueRef::Text(table.as_bytes()), out).map_err(written)?;
                writeln!(out, ",{seq});").map_err(written)?;
            }
        }
    }
    for object in objects.iter().filter(|o| o.kind != "table" && wanted(o)) {
        if let Some(sql) = &object.sql {
            writeln!(out, "{sql};").map_err(written)?;
        }
    }
    out.write_all(b"COMMIT;\n").map_err(written)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned_value(value: ValueRef<'_>) -> rusqlite::types::Value {
        rusqlite::types::Value::from(match value {
            ValueRef::Text(t) => {
                return rusqlite::types::Value::Text(String::from_utf8_lossy(t).into_owned());
            }
            ValueRef::Real(f) => return rusqlite::types::Value::Real(f),
            ValueRef::Integer(i) => i,
            _ => return rusqlite::types::Value::Null,
        })
    }

    fn literal(value: ValueRef<'_>) -> String {
        let mut out = Vec::new();
        sql_literal(value, &mut out).expect("write");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn literals_read_back_as_the_same_value_and_type() {
        assert_eq!(literal(ValueRef::Integer(i64::MIN)), "-9223372036854775808");
        assert_eq!(literal(ValueRef::Real(1.0)), "1.0");
        assert_eq!(literal(ValueRef::Real(0.1)), "0.1");
        assert_eq!(literal(ValueRef::Real(1e300)), "1e300");
        assert_eq!(literal(ValueRef::Real(f64::INFINITY)), "1e999");
        assert_eq!(literal(ValueRef::Text(b"it's")), "'it''s'");
        assert_eq!(literal(ValueRef::Text(b"a\0b")), "CAST(X'610062' AS TEXT)");
        assert_eq!(literal(ValueRef::Blob(&[0, 255])), "X'00ff'");
        assert_eq!(literal(ValueRef::Null), "NULL");
        let conn = rusqlite::Connection::open_in_memory().expect("db");
        for value in [
            ValueRef::Real(0.1),
            ValueRef::Real(-2.5e-10),
            ValueRef::Text(b"a\0b"),
            ValueRef::Integer(-1),
        ] {
            let sql = format!("SELECT {0}, typeof({0})", literal(value));
            let (back, kind): (rusqlite::types::Value, String) = conn
                .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("reads back");
            assert_eq!(owned_value(value), back, "{sql}");
            assert_eq!(
                kind,
                match value {
                    ValueRef::Real(_) => "real",
                    ValueRef::Text(_) => "text",
                    _ => "integer",
                }
            );
        }
    }

    #[test]
    fn duplicate_column_names_become_distinct_keys() {
        assert_eq!(
            unique_names(vec!["a".into(), "a".into(), "b".into(), "a".into()]),
            ["a", "a_2", "b", "a_3"]
        );
    }
}
