//! Running one statement on a sandboxed connection: binding parameters, stepping, collecting
//! rows within the result limits.

use dbforge_api::{ErrorCode, Params, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use crate::deadline::Deadline;
use crate::results::{Encoding, ResultBudget, ResultCharge, wire_size};
use crate::sandbox::{Sandbox, request_over};
use crate::{EngineError, Limits};

/// One statement to run: SQL text and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Params,
    /// A result past the limits fails the statement, undoing its writes, instead of being
    /// truncated: for protocols that cannot say "truncated" (libSQL's).
    pub whole_result: bool,
    /// How the front will encode the result (what the result limits count).
    pub encoding: Encoding,
}

impl Statement {
    pub fn new(sql: impl Into<String>) -> Self {
        Self::with_params(sql, Params::None)
    }

    pub fn with_params(sql: impl Into<String>, params: Params) -> Self {
        Self {
            sql: sql.into(),
            params,
            whole_result: false,
            encoding: Encoding::default(),
        }
    }

    /// The same statement, failing rather than truncating (see `whole_result`).
    pub fn whole(mut self) -> Self {
        self.whole_result = true;
        self
    }

    /// The same statement, its result to be sent as `encoding` describes.
    pub fn encoded(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }
}

/// What one statement produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatementOutput {
    pub columns: Vec<String>,
    pub column_types: Vec<Option<String>>,
    pub rows: Vec<Vec<Value>>,
    pub rows_affected: u64,
    pub last_insert_rowid: Option<i64>,
    pub truncated: bool,
    /// When SQLite reported the statement as one that may write (`sqlite3_stmt_readonly`
    /// false): its kind (see [`crate::statement_kind`]), what the audit log records.
    pub wrote: Option<String>,
    /// The rows' share of the server's result memory, held until this result (or what a
    /// front made of it, see [`ResultCharge`]) is dropped.
    pub memory: ResultCharge,
}

impl StatementOutput {
    /// The bytes the result limits counted for it (its encoded size).
    pub fn result_bytes(&self) -> usize {
        self.memory.bytes()
    }
}

struct Bind<'a>(&'a Value);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn to_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn params_error(message: String) -> EngineError {
    EngineError::new(ErrorCode::InvalidParams, message)
}

fn bind(stmt: &mut rusqlite::Statement<'_>, params: &Params) -> Result<(), EngineError> {
    let expected = stmt.parameter_count();
    match params {
        Params::None if expected > 0 => Err(params_error(format!(
            "the statement has {expected} placeholder(s) but no params were given"
        ))),
        Params::None => Ok(()),
        Params::Positional(values) => {
            if values.len() != expected {
                return Err(params_error(format!(
                    "the statement has {expected} placeholder(s) but {} param(s) were given",
                    values.len()
                )));
            }
            for (i, v) in values.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, Bind(v))
                    .map_err(|e| params_error(format!("cannot bind param {}: {e}", i + 1)))?;
            }
            Ok(())
        }
        Params::Named(values) => {
            let mut used = vec![false; values.len()];
            for index in 1..=expected {
                let Some(name) = stmt.parameter_name(index).map(str::to_owned) else {
                    return Err(params_error(format!(
                        "placeholder {index} is positional (?); pass params as an array"
                    )));
                };
                let bare = &name[1..];
                let found = values.iter().position(|(k, _)| k == &name || k == bare);
                let Some(pos) = found else {
                    return Err(params_error(format!("no value given for {name}")));
                };
                used[pos] = true;
                stmt.raw_bind_parameter(index, Bind(&values[pos].1))
                    .map_err(|e| params_error(format!("cannot bind {name}: {e}")))?;
            }
            if let Some(pos) = used.iter().position(|u| !u) {
                return Err(params_error(format!(
                    "param {:?} matches no placeholder of the statement",
                    values[pos].0
                )));
            }
            Ok(())
        }
    }
}

/// Where [`run_statement`] gets its prepared statement from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prepare {
    /// The connection's statement cache: the authorizer only sees the first prepare.
    Cached,
    /// A fresh prepare, passing the authorizer every time and never entering the cache.
    Fresh,
}

/// Runs one statement to completion (writer side: prepares it and learns whether it
/// inserts). Read-only statements stop stepping once the result is full; writing statements
/// always run to the end so their effect is whole.
pub(crate) fn run_statement(
    conn: &Connection,
    sandbox: &Sandbox,
    statement: &Statement,
    limits: &Limits,
    budget: &mut ResultBudget,
    prepare: Prepare,
    deadline: &Deadline,
) -> Result<StatementOutput, EngineError> {
    // Preparing is watched too: parsing a hostile text is work of its own.
    let running = sandbox.start_statement(limits.statement_timeout, deadline)?;
    sandbox.before_prepare();
    let mut finish = |stmt: &mut rusqlite::Statement<'_>| {
        let run = Run {
            params: &statement.params,
            inserts: sandbox.inserts(&statement.sql),
            whole: statement.whole_result,
            encoding: statement.encoding,
        };
        step_statement(conn, sandbox, stmt, run, limits, budget)
    };
    let outcome = match prepare {
        Prepare::Cached => conn
            .prepare_cached(&statement.sql)
            .map(|mut stmt| finish(&mut stmt)),
        Prepare::Fresh => conn
            .prepare(&statement.sql)
            .map(|mut stmt| finish(&mut stmt)),
    };
    drop(running);
    match outcome {
        Ok(result) => result
            .map(|mut output| {
                if output.wrote.is_some() {
                    output.wrote = Some(crate::statement_kind(&statement.sql));
                }
                output
            })
            .map_err(|e| explain_stop(e, deadline)),
        Err(e) => Err(explain_stop(sandbox.error(e), deadline)),
    }
}

/// How to run one prepared statement.
#[derive(Clone, Copy)]
pub(crate) struct Run<'a> {
    pub(crate) params: &'a Params,
    /// Whether the statement inserts rows (to report its rowid).
    pub(crate) inserts: bool,
    /// Fail instead of truncating (see [`Statement::whole_result`]).
    pub(crate) whole: bool,
    /// How the result will be sent (see [`Statement::encoding`]).
    pub(crate) encoding: Encoding,
}

/// Binds and runs a statement prepared under `running` (the watch that stops it).
pub(crate) fn run_prepared(
    conn: &Connection,
    sandbox: &Sandbox,
    stmt: &mut rusqlite::Statement<'_>,
    run: Run<'_>,
    limits: &Limits,
    budget: &mut ResultBudget,
    deadline: &Deadline,
) -> Result<StatementOutput, EngineError> {
    step_statement(conn, sandbox, stmt, run, limits, budget).map_err(|e| explain_stop(e, deadline))
}

/// An interrupted statement's error, saying why it was stopped: its own time limit, or its
/// request's end (deadline or cancellation).
pub(crate) fn explain_stop(error: EngineError, deadline: &Deadline) -> EngineError {
    if error.code == ErrorCode::QueryTimeout && deadline.is_over() {
        EngineError {
            sqlite_code: error.sqlite_code,
            statement: error.statement,
            ..request_over(deadline)
        }
    } else {
        error
    }
}

fn step_statement(
    conn: &Connection,
    sandbox: &Sandbox,
    stmt: &mut rusqlite::Statement<'_>,
    run: Run<'_>,
    limits: &Limits,
    budget: &mut ResultBudget,
) -> Result<StatementOutput, EngineError> {
    let Run {
        params,
        inserts,
        whole,
        ..
    } = run;
    bind(stmt, params)?;
    let read_only = stmt.readonly();
    let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let column_types = stmt
        .columns()
        .map(|c| c.decl_type().map(str::to_owned))
        .collect();
    // `changes()` keeps the count of the last INSERT/UPDATE/DELETE across DDL statements, so
    // it only counts when the total moved.
    let total_before = conn.total_changes();
    let mut output = StatementOutput {
        columns,
        column_types,
        // Its kind is filled in by the caller, which has the SQL text (an empty string does
        // not allocate).
        wrote: (!read_only).then(String::new),
        ..StatementOutput::default()
    };
    let width = output.columns.len();
    // What every row costs besides its values: brackets, and the column names when each row
    // repeats them.
    let row_overhead = 2 + if run.encoding.names_per_row {
        output.columns.iter().map(|c| c.len() + 4).sum()
    } else {
        0
    };
    let mut rows = stmt.raw_query();
    let collected = loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => break Ok(()),
            Err(e) => break Err(sandbox.error(e)),
        };
        if output.truncated {
            continue;
        }
        let mut values = Vec::with_capacity(width);
        let mut size = row_overhead;
        for i in 0..width {
            let v = match row.get_ref(i) {
                Ok(v) => to_value(v),
                Err(e) => return Err(sandbox.error(e)),
            };
            size += wire_size(&v) + run.encoding.per_value;
            values.push(v);
        }
        if output.rows.len() >= limits.max_result_rows || !budget.fits(size) {
            output.truncated = true;
            if read_only {
                break Ok(());
            }
            continue;
        }
        if let Err(e) = budget.spend(size) {
            break Err(e);
        }
        output.rows.push(values);
    };
    drop(rows);
    if let Err(e) = collected {
        budget.discard();
        return Err(e);
    }
    output.memory = budget.settle();
    if output.truncated && whole {
        // A write ran to its end: the caller's savepoint undoes it.
        return Err(EngineError::new(
            ErrorCode::ResultTooLarge,
            format!(
                "the result is larger than the server's result limits ({} rows, {} bytes per \
                 request) and was not returned; add a LIMIT or page through the rows",
                limits.max_result_rows, limits.max_result_bytes
            ),
        ));
    }
    if !read_only && conn.total_changes() != total_before {
        output.rows_affected = conn.changes();
        // An upsert that updated instead of inserting leaves SQLite's value as it was.
        if inserts && output.rows_affected > 0 {
            output.last_insert_rowid = Some(conn.last_insert_rowid());
        }
    }
    Ok(output)
}
