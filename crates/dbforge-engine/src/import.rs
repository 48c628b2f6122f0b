//! Imports into a live database, all or nothing: a SQL dump (as `sqlite3 .dump` writes it),
//! CSV (a header row; column types from the table, or inferred for a new one), a JSON array
//! or NDJSON of row objects (values in the API's JSON mapping). The input is a file (the
//! upload, already on disk); it is read in pieces, and runs as one write transaction on the
//! database's writer, in the sandbox like any user SQL. A failure names the line (or row) and
//! the reason, and rolls everything back.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Duration;

use dbforge_api::{ErrorCode, Value};
use rusqlite::Connection;
use rusqlite::types::ToSqlOutput;

use crate::csv_fields::{CsvRecords, Field};
use crate::deadline::Deadline;
use crate::export::quote_identifier;
use crate::sandbox::Sandbox;
use crate::split::split_terminated;
use crate::{EngineError, Limits};

/// What an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Sql,
    Csv,
    Json,
    Ndjson,
}

/// An import to run.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub format: ImportFormat,
    /// The input, a private file.
    pub file: PathBuf,
    /// The table rows go to (CSV, JSON, NDJSON): created when missing.
    pub table: Option<String>,
    /// What CSV's NULL looks like (default: an empty field).
    pub csv_null: String,
    /// The longest the import may take.
    pub limit: Duration,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// Statements run (SQL) or rows inserted (the others).
    pub count: u64,
    /// Whether the table was created by the import.
    pub created_table: bool,
}

/// Bytes of a dump read before its complete statements are run.
const SQL_PIECE_BYTES: usize = 1 << 20;

fn failed_at(place: &str, e: EngineError) -> EngineError {
    EngineError {
        message: format!("{place}: {}", e.message),
        ..e
    }
}

fn bad_input(place: &str, why: impl std::fmt::Display) -> EngineError {
    EngineError::new(ErrorCode::InvalidRequest, format!("{place}: {why}"))
}

fn io(e: std::io::Error) -> EngineError {
    EngineError::internal(format!("reading the upload: {e}"))
}

/// Runs `request` on the writer's connection as one transaction (with foreign keys checked
/// once at the end, as a dump loads tables in any order). Called on the writer thread.
pub(crate) fn run_import(
    conn: &Connection,
    sandbox: &Sandbox,
    limits: &Limits,
    request: &ImportRequest,
) -> Result<ImportSummary, EngineError> {
    let internal = |sql: &str| {
        sandbox
            .run_internal(conn, sql)
            .map_err(|e| sandbox.error(e))
    };
    internal("PRAGMA foreign_keys = OFF")?;
    let result = (|| {
        internal("BEGIN IMMEDIATE")?;
        let deadline = Deadline::after(request.limit);
        let done = match request.format {
            ImportFormat::Sql => import_sql(conn, sandbox, limits, request, &deadline),
            ImportFormat::Csv => import_csv(conn, sandbox, request, &deadline),
            ImportFormat::Json | ImportFormat::Ndjson => {
                import_json(conn, sandbox, request, &deadline)
            }
        }?;
        check_foreign_keys(conn, sandbox)?;
        internal("COMMIT")?;
        Ok(done)
    })();
    if result.is_err() && !conn.is_autocommit() {
        let _ = sandbox.run_internal(conn, "ROLLBACK");
    }
    let _ = sandbox.run_internal(conn, "PRAGMA foreign_keys = ON");
    result
}

fn check_foreign_keys(conn: &Connection, sandbox: &Sandbox) -> Result<(), EngineError> {
    let violation: Option<(String, Option<i64>, String)> = {
        let mut stmt = conn
            .prepare("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check LIMIT 1")
            .map_err(|e| sandbox.error(e))?;
        let mut rows = stmt.query([]).map_err(|e| sandbox.error(e))?;
        match rows.next().map_err(|e| sandbox.error(e))? {
            Some(row) => Some((
                row.get(0).map_err(|e| sandbox.error(e))?,
                row.get(1).map_err(|e| sandbox.error(e))?,
                row.get(2).map_err(|e| sandbox.error(e))?,
            )),
            None => None,
        }
    };
    match violation {
        None => Ok(()),
        Some((table, rowid, parent)) => Err(EngineError::new(
            ErrorCode::ConstraintViolation,
            format!(
                "FOREIGN KEY constraint failed: a row of {table} (rowid {}) refers to a row of \
                 {parent} that does not exist; nothing was imported",
                rowid.map_or("?".into(), |r| r.to_string())
            ),
        )),
    }
}

/// Whether a dump statement is one the import itself stands for: its own transaction and
/// the foreign-key switch around it.
fn stands_for_import(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(3)
        .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
        .collect();
    match words.as_slice() {
        [first, ..] if first == "BEGIN" || first == "COMMIT" || first == "END" => true,
        [pragma, setting, ..] if pragma == "PRAGMA" => {
            let setting = setting.replace(' ', "");
            setting.starts_with("FOREIGN_KEYS") || setting.starts_with("FOREIGN_KEYS=")
        }
        _ => false,
    }
}

fn run_one(
    conn: &Connection,
    sandbox: &Sandbox,
    limits: &Limits,
    sql: &str,
    deadline: &Deadline,
) -> Result<(), EngineError> {
    let _running = sandbox.start_statement(limits.statement_timeout, deadline)?;
    sandbox.before_prepare();
    let mut stmt = conn.prepare(sql).map_err(|e| sandbox.error(e))?;
    let mut rows = stmt.raw_query();
    while rows.next().map_err(|e| sandbox.error(e))?.is_some() {}
    Ok(())
}

fn import_sql(
    conn: &Connection,
    sandbox: &Sandbox,
    limits: &Limits,
    request: &ImportRequest,
    deadline: &Deadline,
) -> Result<ImportSummary, EngineError> {
    let mut input = BufReader::new(File::open(&request.file).map_err(io)?);
    let mut pending = String::new();
    // Line of the start of `pending` in the file (1-based).
    let mut line = 1usize;
    let mut count = 0u64;
    let mut eof = false;
    while !eof {
        let mut piece = Vec::with_capacity(SQL_PIECE_BYTES);
        // Whole lines only, so a multi-byte character is never split.
        while piece.len() < SQL_PIECE_BYTES {
            let n = input.read_until(b'\n', &mut piece).map_err(io)?;
            if n == 0 {
                eof = true;
                break;
            }
        }
        let text = String::from_utf8(piece)
            .map_err(|_| bad_input(&format!("line {line}"), "the dump is not UTF-8 text"))?;
        pending.push_str(&text);
        let (statements, consumed) = split_terminated(&pending, eof);
        for (offset, sql) in statements {
            let at_line = line + pending[..offset].matches('\n').count();
            if stands_for_import(sql) {
                continue;
            }
            run_one(conn, sandbox, limits, sql, deadline)
                .map_err(|e| failed_at(&format!("line {at_line}"), e))?;
            count += 1;
        }
        line += pending[..consumed].matches('\n').count();
        pending.drain(..consumed);
        if pending.len() > limits.max_sql_length {
            return Err(bad_input(
                &format!("line {line}"),
                format!(
                    "a statement is longer than {} bytes (--max-sql-length), or a quote is never closed",
                    limits.max_sql_length
                ),
            ));
        }
    }
    Ok(ImportSummary {
        count,
        created_table: false,
    })
}

/// The table's columns and their declared types, or `None` when there is no such table.
fn table_columns(
    conn: &Connection,
    sandbox: &Sandbox,
    table: &str,
) -> Result<Option<Vec<(String, String)>>, EngineError> {
    let mut stmt = conn
        .prepare("SELECT name, type FROM pragma_table_info(?1, 'main')")
        .map_err(|e| sandbox.error(e))?;
    let columns: Vec<(String, String)> = stmt
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| sandbox.error(e))?;
    Ok((!columns.is_empty()).then_some(columns))
}

/// The table rows go to: named, and not an internal one.
fn target_table(request: &ImportRequest) -> Result<&str, EngineError> {
    let table = request.table.as_deref().unwrap_or_default();
    if table.is_empty() {
        return Err(EngineError::new(
            ErrorCode::InvalidRequest,
            "name the table the rows go to: `table=`",
        ));
    }
    if table.to_ascii_lowercase().starts_with("sqlite_") {
        return Err(EngineError::new(
            ErrorCode::InvalidRequest,
            "tables whose names start with sqlite_ are SQLite's own",
        ));
    }
    Ok(table)
}

/// Creates `table` with `columns` (name, declared type; an empty type declares none).
fn create_table(
    conn: &Connection,
    sandbox: &Sandbox,
    table: &str,
    columns: &[(String, String)],
) -> Result<(), EngineError> {
    let list: Vec<String> = columns
        .iter()
        .map(|(name, kind)| {
            if kind.is_empty() {
                quote_identifier(name)
            } else {
                format!("{} {kind}", quote_identifier(name))
            }
        })
        .collect();
    let sql = format!(
        "CREATE TABLE main.{} ({})",
        quote_identifier(table),
        list.join(", ")
    );
    sandbox.before_prepare();
    conn.execute_batch(&sql).map_err(|e| sandbox.error(e))
}

fn insert_sql(table: &str, columns: &[String]) -> String {
    format!(
        "INSERT INTO main.{} ({}) VALUES ({})",
        quote_identifier(table),
        columns
            .iter()
            .map(|c| quote_identifier(c))
            .collect::<Vec<_>>()
            .join(", "),
        vec!["?"; columns.len()].join(", ")
    )
}

/// Checks that `names` (a header, or an object's keys) are distinct and not empty.
fn check_names(place: &str, names: &[String]) -> Result<(), EngineError> {
    let mut seen = BTreeSet::new();
    for name in names {
        if name.is_empty() {
            return Err(bad_input(place, "a column name is empty"));
        }
        if !seen.insert(name.to_ascii_lowercase()) {
            return Err(bad_input(
                place,
                format!("the column {name} is named twice"),
            ));
        }
    }
    Ok(())
}

/// What a CSV column holds, learned from every value: the narrowest type all fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inferred {
    Nothing,
    Integer,
    Real,
    Blob,
    Text,
}

impl Inferred {
    fn with(self, field: &str) -> Self {
        let kind = if field.parse::<i64>().is_ok() {
            Inferred::Integer
        } else if is_real(field) {
            Inferred::Real
        } else if hex_blob(field).is_some() {
            Inferred::Blob
        } else {
            Inferred::Text
        };
        match (self, kind) {
            (Inferred::Nothing, k) => k,
            (a, b) if a == b => a,
            (Inferred::Integer, Inferred::Real) | (Inferred::Real, Inferred::Integer) => {
                Inferred::Real
            }
            _ => Inferred::Text,
        }
    }

    fn declared(self) -> &'static str {
        match self {
            Inferred::Integer => "INTEGER",
            Inferred::Real => "REAL",
            Inferred::Blob => "BLOB",
            Inferred::Text => "TEXT",
            Inferred::Nothing => "",
        }
    }
}

pub(crate) fn is_real(field: &str) -> bool {
    matches!(field, "Infinity" | "-Infinity")
        || (field.parse::<f64>().is_ok_and(f64::is_finite)
            && field.bytes().any(|b| b.is_ascii_digit())
            && !field.bytes().any(|b| b.is_ascii_whitespace()))
}

/// `\x` and an even number of hex digits: a blob, as CSV exports write one.
pub(crate) fn hex_blob(field: &str) -> Option<Vec<u8>> {
    let hex = field.strip_prefix("\\x")?;
    if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

fn csv_records(request: &ImportRequest) -> Result<CsvRecords<BufReader<File>>, EngineError> {
    Ok(CsvRecords::new(BufReader::new(
        File::open(&request.file).map_err(io)?,
    )))
}

/// The next record of `records`, with as many fields as the header (`width`).
fn csv_row(
    records: &mut CsvRecords<BufReader<File>>,
    width: usize,
) -> Result<Option<(usize, Vec<Field>)>, EngineError> {
    let Some((line, fields)) = records
        .next_record()
        .map_err(|e| EngineError::new(ErrorCode::InvalidRequest, e))?
    else {
        return Ok(None);
    };
    if fields.len() != width {
        return Err(bad_input(
            &format!("line {line}"),
            format!("{} fields, where the header has {width}", fields.len()),
        ));
    }
    Ok(Some((line, fields)))
}

fn import_csv(
    conn: &Connection,
    sandbox: &Sandbox,
    request: &ImportRequest,
    deadline: &Deadline,
) -> Result<ImportSummary, EngineError> {
    let table = target_table(request)?;
    let mut records = csv_records(request)?;
    let header: Vec<String> = match records
        .next_record()
        .map_err(|e| EngineError::new(ErrorCode::InvalidRequest, e))?
    {
        Some((_, fields)) => fields.into_iter().map(|f| f.text).collect(),
        None => {
            return Err(bad_input(
                "line 1",
                "the CSV is empty: a header row names the columns",
            ));
        }
    };
    check_names("line 1 (the header)", &header)?;
    let null = request.csv_null.as_str();
    // A quoted field is always text; an unquoted one equal to the marker is NULL.
    let is_null = |f: &Field| !f.quoted && f.text == null;
    let existing = table_columns(conn, sandbox, table)?;
    let created_table = existing.is_none();
    let types: Vec<String> = match existing {
        Some(columns) => {
            let by_name: HashMap<String, String> = columns
                .into_iter()
                .map(|(n, t)| (n.to_ascii_lowercase(), t.to_ascii_uppercase()))
                .collect();
            header
                .iter()
                .map(|h| {
                    by_name
                        .get(&h.to_ascii_lowercase())
                        .cloned()
                        .ok_or_else(|| {
                            bad_input("line 1 (the header)", format!("{table} has no column {h}"))
                        })
                })
                .collect::<Result<_, _>>()?
        }
        None => {
            // A first pass learns each column's type from every value.
            let mut kinds = vec![Inferred::Nothing; header.len()];
            while let Some((_, fields)) = csv_row(&mut records, header.len())? {
                if deadline.is_over() {
                    return Err(crate::sandbox::request_over(deadline));
                }
                for (kind, field) in kinds.iter_mut().zip(&fields) {
                    if field.quoted {
                        // Quoted: text, whatever it looks like.
                        *kind = Inferred::Text;
                    } else if !is_null(field) {
                        *kind = kind.with(&field.text);
                    }
                }
            }
            let columns: Vec<(String, String)> = header
                .iter()
                .cloned()
                .zip(kinds.iter().map(|k| k.declared().to_owned()))
                .collect();
            create_table(conn, sandbox, table, &columns)?;
            records = csv_records(request)?;
            records
                .next_record()
                .map_err(|e| EngineError::new(ErrorCode::InvalidRequest, e))?;
            kinds.iter().map(|k| k.declared().to_owned()).collect()
        }
    };
    // Columns that keep a blob as one: declared BLOB, or of no type.
    let blob_columns: Vec<bool> = types
        .iter()
        .map(|t| t.contains("BLOB") || t.trim().is_empty())
        .collect();
    let mut insert = conn
        .prepare(&insert_sql(table, &header))
        .map_err(|e| sandbox.error(e))?;
    let mut count = 0u64;
    while let Some((line, fields)) = csv_row(&mut records, header.len())? {
        if deadline.is_over() {
            return Err(crate::sandbox::request_over(deadline));
        }
        let place = format!("line {line}");
        // Quoted: text. Unquoted: NULL, a number or a blob when it reads as one, else text
        // (SQLite's column types then convert as they always do).
        let values: Vec<Value> = fields
            .into_iter()
            .zip(&blob_columns)
            .map(|(field, blob)| {
                if field.quoted {
                    return Value::Text(field.text);
                }
                if is_null(&field) {
                    return Value::Null;
                }
                if let Ok(i) = field.text.parse::<i64>() {
                    return Value::Integer(i);
                }
                if is_real(&field.text) {
                    return Value::Real(match field.text.as_str() {
                        "Infinity" => f64::INFINITY,
                        "-Infinity" => f64::NEG_INFINITY,
                        text => text.parse().unwrap_or(f64::NAN),
                    });
                }
                if *blob && let Some(bytes) = hex_blob(&field.text) {
                    return Value::Blob(bytes);
                }
                Value::Text(field.text)
            })
            .collect();
        insert
            .execute(rusqlite::params_from_iter(values.iter().map(Bound)))
            .map_err(|e| failed_at(&place, sandbox.error(e)))?;
        count += 1;
    }
    Ok(ImportSummary {
        count,
        created_table,
    })
}

/// A value bound to a statement as it is.
struct Bound<'a>(&'a Value);

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::ValueRef;
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// Row objects one at a time, with where each came from: NDJSON lines, or the elements of
/// one JSON array (read as a stream, never whole).
fn each_object(
    request: &ImportRequest,
    mut each: impl FnMut(&str, serde_json::Map<String, serde_json::Value>) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let file = File::open(&request.file).map_err(io)?;
    if request.format == ImportFormat::Ndjson {
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let place = format!("line {}", i + 1);
            let line = line.map_err(|e| bad_input(&place, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let object = serde_json::from_str(&line)
                .map_err(|e| bad_input(&place, format!("not a JSON object: {e}")))?;
            each(&place, object)?;
        }
        return Ok(());
    }
    let mut rows = Rows {
        each: &mut each,
        failure: None,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(BufReader::new(file));
    let outcome = serde::Deserializer::deserialize_seq(&mut deserializer, &mut rows);
    if let Some(e) = rows.failure.take() {
        return Err(e);
    }
    outcome.map_err(|e| bad_input(&format!("line {}", e.line()), e))?;
    deserializer
        .end()
        .map_err(|e| bad_input(&format!("line {}", e.line()), e))
}

/// The elements of a JSON array handed one at a time to `each`; its first error stops the
/// reading and is kept in `failure`.
struct Rows<'f, F> {
    each: &'f mut F,
    failure: Option<EngineError>,
}

impl<'de, F> serde::de::Visitor<'de> for &mut Rows<'_, F>
where
    F: FnMut(&str, serde_json::Map<String, serde_json::Value>) -> Result<(), EngineError>,
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of row objects")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while let Some(element) = seq.next_element::<serde_json::Value>()? {
            index += 1;
            let place = format!("row {index}");
            let outcome = match element {
                serde_json::Value::Object(object) => (self.each)(&place, object),
                other => Err(bad_input(
                    &place,
                    format!("not a JSON object (a row is an object of column values): {other}"),
                )),
            };
            if let Err(e) = outcome {
                self.failure = Some(e);
                return Err(serde::de::Error::custom("the import stopped"));
            }
        }
        Ok(())
    }
}

fn import_json(
    conn: &Connection,
    sandbox: &Sandbox,
    request: &ImportRequest,
    deadline: &Deadline,
) -> Result<ImportSummary, EngineError> {
    let table = target_table(request)?;
    let existing = table_columns(conn, sandbox, table)?;
    let created_table = existing.is_none();
    if created_table {
        // A first pass learns the columns (in the order first seen) and their types.
        let mut order: Vec<String> = Vec::new();
        let mut kinds: HashMap<String, BTreeSet<&'static str>> = HashMap::new();
        each_object(request, |place, object| {
            if deadline.is_over() {
                return Err(crate::sandbox::request_over(deadline));
            }
            for (key, value) in object {
                let value: Value = serde_json::from_value(value)
                    .map_err(|e| bad_input(place, format!("{key}: {e}")))?;
                if !kinds.contains_key(&key) {
                    order.push(key.clone());
                }
                let seen = kinds.entry(key).or_default();
                match value {
                    Value::Null => {}
                    Value::Integer(_) => {
                        seen.insert("INTEGER");
                    }
                    Value::Real(_) => {
                        seen.insert("REAL");
                    }
                    Value::Text(_) => {
                        seen.insert("TEXT");
                    }
                    Value::Blob(_) => {
                        seen.insert("BLOB");
                    }
                }
            }
            Ok(())
        })?;
        if order.is_empty() {
            return Err(bad_input(
                "the input",
                "no row has any column: nothing says what the table holds",
            ));
        }
        check_names("the input", &order)?;
        // One type for a column whose values all have it; none (values kept as they are)
        // for a column of mixed types.
        let columns: Vec<(String, String)> = order
            .into_iter()
            .map(|name| {
                let kind = match kinds
                    .get(&name)
                    .map(|k| k.iter().copied().collect::<Vec<_>>())
                {
                    Some(one) if one.len() == 1 => one[0].to_owned(),
                    _ => String::new(),
                };
                (name, kind)
            })
            .collect();
        create_table(conn, sandbox, table, &columns)?;
    }
    let known: HashMap<String, String> = table_columns(conn, sandbox, table)?
        .unwrap_or_default()
        .into_iter()
        .map(|(name, _)| (name.to_ascii_lowercase(), name))
        .collect();
    let mut statements: HashMap<Vec<String>, String> = HashMap::new();
    let mut count = 0u64;
    each_object(request, |place, object| {
        if deadline.is_over() {
            return Err(crate::sandbox::request_over(deadline));
        }
        let mut columns = Vec::with_capacity(object.len());
        let mut values = Vec::with_capacity(object.len());
        for (key, value) in object {
            let Some(column) = known.get(&key.to_ascii_lowercase()) else {
                return Err(bad_input(place, format!("{table} has no column {key}")));
            };
            columns.push(column.clone());
            values.push(
                serde_json::from_value::<Value>(value)
                    .map_err(|e| bad_input(place, format!("{key}: {e}")))?,
            );
        }
        if columns.is_empty() {
            let sql = format!(
                "INSERT INTO main.{} DEFAULT VALUES",
                quote_identifier(table)
            );
            conn.execute(&sql, [])
                .map_err(|e| failed_at(place, sandbox.error(e)))?;
        } else {
            let sql = statements
                .entry(columns.clone())
                .or_insert_with(|| insert_sql(table, &columns));
            let mut stmt = conn.prepare_cached(sql).map_err(|e| sandbox.error(e))?;
            stmt.execute(rusqlite::params_from_iter(values.iter().map(Bound)))
                .map_err(|e| failed_at(place, sandbox.error(e)))?;
        }
        count += 1;
        Ok(())
    })?;
    Ok(ImportSummary {
        count,
        created_table,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_take_the_narrowest_type_every_value_fits() {
        let infer = |fields: &[&str]| fields.iter().fold(Inferred::Nothing, |k, f| k.with(f));
        assert_eq!(infer(&["1", "-9223372036854775808"]), Inferred::Integer);
        assert_eq!(infer(&["1", "2.5"]), Inferred::Real);
        assert_eq!(infer(&["\\x00ff", "\\x"]), Inferred::Blob);
        assert_eq!(infer(&["1", "x"]), Inferred::Text);
        assert_eq!(
            infer(&["nan"]),
            Inferred::Text,
            "only finite numbers count as reals"
        );
        assert_eq!(hex_blob("\\x0g"), None);
    }

    #[test]
    fn the_dumps_own_transaction_and_foreign_key_switch_are_skipped() {
        for sql in [
            "BEGIN TRANSACTION",
            "COMMIT",
            "PRAGMA foreign_keys=OFF",
            "pragma foreign_keys = off",
        ] {
            assert!(stands_for_import(sql), "{sql}");
        }
        for sql in [
            "CREATE TABLE t(a)",
            "PRAGMA user_version = 3",
            "INSERT INTO t VALUES(1)",
        ] {
            assert!(!stands_for_import(sql), "{sql}");
        }
    }
}
