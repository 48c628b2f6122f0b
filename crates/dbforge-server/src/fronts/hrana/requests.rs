//! Running Hrana stream requests (`execute`, `batch`, `sequence`, `describe`, stored SQL,
//! `get_autocommit`) on a stream, through the core's protocol streams: the same sandbox,
//! limits, write path and bookkeeping as the REST API. Also the one mapping of core errors
//! onto Hrana's error codes.

use axum::response::Response;
use dbforge_api::{DatabaseName, ErrorCode, Params};
use dbforge_core::{Core, CoreError, StoreRefusal, StreamState};
use dbforge_engine::{
    Deadline, Encoding, ResultCharge, Statement, StatementOutput, split_statements,
};

use super::proto::{
    Batch, BatchCond, BatchResult, Col, CursorEntry, DescribeCol, DescribeParam, DescribeResult,
    Error, HranaValue, Stmt, StmtResult, StreamRequest, StreamResponse,
};
use crate::http::body::holding;
use crate::http::error::ErrorDetail;
use crate::http::{AddressedDatabase, AnsweredError, Writes};

/// What one HTTP response may still spend: result bytes (every statement of a pipeline or
/// cursor draws on the one budget of `--max-result-bytes`, as a REST request's do) and time
/// (every statement stops at the request's deadline, and when its client goes away).
pub struct ResponseBudget {
    bytes_left: usize,
    deadline: Deadline,
    /// The server memory the results were charged, held until the response is sent.
    charges: Vec<ResultCharge>,
    /// Details of internal faults in the response's results, for the log only.
    faults: Vec<String>,
    /// The kinds of the statements that wrote, for the audit log.
    writes: Writes,
    /// The database the request addressed (by path, header or Host), for the audit log.
    database: DatabaseName,
    /// Whether a statement was refused as a write (`FORBIDDEN`), for the audit log: the
    /// answer is a `200` carrying the refusal in a result.
    refused: bool,
}

impl ResponseBudget {
    pub fn new(core: &Core, deadline: Deadline, database: DatabaseName) -> Self {
        Self {
            bytes_left: core.limits().max_result_bytes,
            deadline,
            charges: Vec::new(),
            faults: Vec::new(),
            writes: Writes::default(),
            database,
            refused: false,
        }
    }

    /// A core error as a result's Hrana error; an internal fault's detail is kept for the log.
    pub fn error(&mut self, error: CoreError) -> Error {
        if error.code == ErrorCode::InternalError {
            self.faults.push(error.message.clone());
        }
        self.refused |= error.code == ErrorCode::Forbidden;
        hrana_error(error)
    }

    /// `response`, holding the results' memory until it is sent, and carrying the detail of
    /// internal faults for the request log (which writes it under the request id).
    pub fn answer(self, response: Response) -> Response {
        let mut response = self.writes.attach(holding(response, self.charges));
        response
            .extensions_mut()
            .insert(AddressedDatabase(self.database.to_string()));
        if self.refused {
            response
                .extensions_mut()
                .insert(AnsweredError(ErrorCode::Forbidden));
        }
        if !self.faults.is_empty() {
            response
                .extensions_mut()
                .insert(ErrorDetail(self.faults.join("; ")));
        }
        response
    }
}

/// What the result limits count for a Hrana result: each value is an object with its type
/// (`{"type":"integer","value":"42"}`), rows are arrays.
const HRANA_ENCODING: Encoding = Encoding {
    per_value: 32,
    names_per_row: false,
};

/// Runs one request of a pipeline (`close` is answered here and acted on by the caller).
pub async fn run_request(
    core: &Core,
    stream: &mut StreamState,
    budget: &mut ResponseBudget,
    request: StreamRequest,
) -> Result<StreamResponse, Error> {
    match request {
        StreamRequest::Close => Ok(StreamResponse::Close),
        StreamRequest::Execute { stmt } => Ok(StreamResponse::Execute {
            result: execute(core, stream, budget, &stmt).await?,
        }),
        StreamRequest::Batch { batch } => {
            let outcomes = run_batch(core, stream, budget, &batch).await?;
            Ok(StreamResponse::Batch {
                result: batch_result(outcomes),
            })
        }
        StreamRequest::Sequence { sql, sql_id } => {
            let sql = resolve_sql(stream, sql, sql_id)?;
            run_sequence(core, stream, budget, &sql).await?;
            Ok(StreamResponse::Sequence)
        }
        StreamRequest::Describe { sql, sql_id } => {
            let sql = resolve_sql(stream, sql, sql_id)?;
            let description = match stream.stream.describe(sql, &budget.deadline).await {
                Ok(description) => description,
                Err(e) => return Err(budget.error(e.into())),
            };
            Ok(StreamResponse::Describe {
                result: DescribeResult {
                    params: description
                        .params
                        .into_iter()
                        .map(|name| DescribeParam { name })
                        .collect(),
                    cols: description
                        .columns
                        .into_iter()
                        .map(|(name, decltype)| DescribeCol { name, decltype })
                        .collect(),
                    is_explain: description.is_explain,
                    is_readonly: description.is_readonly,
                },
            })
        }
        StreamRequest::StoreSql { sql_id, sql } => {
            if let Err(e) = core.limits().check_sql_length(&sql) {
                return Err(budget.error(e.into()));
            }
            match stream.stored_sql.store(sql_id, sql) {
                Ok(()) => Ok(StreamResponse::StoreSql),
                Err(StoreRefusal::IdInUse) => Err(Error::new(
                    "SQL_STORE_ID_IN_USE",
                    format!("SQL id {sql_id} is already in use; close it first"),
                )),
                Err(StoreRefusal::Full(limit)) => Err(Error::new(
                    "SQL_STORE_FULL",
                    format!("{limit}; close stored texts with close_sql"),
                )),
            }
        }
        StreamRequest::CloseSql { sql_id } => {
            stream.stored_sql.remove(sql_id);
            Ok(StreamResponse::CloseSql)
        }
        StreamRequest::GetAutocommit => Ok(StreamResponse::GetAutocommit {
            is_autocommit: stream.stream.is_autocommit(),
        }),
        StreamRequest::Unknown => Err(Error::new(
            "PROTOCOL_ERROR",
            "unknown request type; this server speaks Hrana 2 and 3 over HTTP (JSON)",
        )),
    }
}

/// What one batch step did.
pub enum StepOutcome {
    Skipped,
    Done(StmtResult),
    Failed(Error),
}

/// Runs a batch's steps in order, each only if its condition holds. A failing step does not
/// stop the batch, and nothing is rolled back on the client's behalf: clients end their
/// batches with their own conditional COMMIT and ROLLBACK.
pub async fn run_batch(
    core: &Core,
    stream: &mut StreamState,
    budget: &mut ResponseBudget,
    batch: &Batch,
) -> Result<Vec<StepOutcome>, Error> {
    if let Err(e) = core
        .limits()
        .check_statement_count(batch.steps.len(), "the batch", "steps")
    {
        return Err(budget.error(e.into()));
    }
    // Every condition is checked before anything runs: a batch refused halfway would leave
    // its BEGIN holding the writer.
    for (index, step) in batch.steps.iter().enumerate() {
        if let Some(condition) = &step.condition {
            check_condition(condition, index).map_err(|message| {
                Error::new("BATCH_COND_INVALID", format!("step {index}: {message}"))
            })?;
        }
    }
    let mut outcomes: Vec<StepOutcome> = Vec::with_capacity(batch.steps.len());
    for step in &batch.steps {
        let run = step
            .condition
            .as_ref()
            .is_none_or(|condition| evaluate(condition, &outcomes, stream.stream.is_autocommit()));
        outcomes.push(if run {
            match execute(core, stream, budget, &step.stmt).await {
                Ok(result) => StepOutcome::Done(result),
                Err(error) => StepOutcome::Failed(error),
            }
        } else {
            StepOutcome::Skipped
        });
    }
    Ok(outcomes)
}

/// Checks that a condition refers only to steps before `current`.
fn check_condition(condition: &BatchCond, current: usize) -> Result<(), String> {
    match condition {
        BatchCond::Ok { step } | BatchCond::Error { step } => {
            if usize::try_from(*step).is_ok_and(|s| s < current) {
                Ok(())
            } else {
                Err(format!(
                    "the condition refers to step {step}, which does not run before this one"
                ))
            }
        }
        BatchCond::Not { cond } => check_condition(cond, current),
        BatchCond::And { conds } | BatchCond::Or { conds } => conds
            .iter()
            .try_for_each(|cond| check_condition(cond, current)),
        BatchCond::IsAutocommit => Ok(()),
    }
}

/// Evaluates a (checked) step condition over the steps before it.
fn evaluate(condition: &BatchCond, before: &[StepOutcome], autocommit: bool) -> bool {
    let step = |index: u32| usize::try_from(index).ok().and_then(|i| before.get(i));
    match condition {
        BatchCond::Ok { step: i } => matches!(step(*i), Some(StepOutcome::Done(_))),
        BatchCond::Error { step: i } => matches!(step(*i), Some(StepOutcome::Failed(_))),
        BatchCond::Not { cond } => !evaluate(cond, before, autocommit),
        BatchCond::And { conds } => conds.iter().all(|c| evaluate(c, before, autocommit)),
        BatchCond::Or { conds } => conds.iter().any(|c| evaluate(c, before, autocommit)),
        BatchCond::IsAutocommit => autocommit,
    }
}

pub fn batch_result(outcomes: Vec<StepOutcome>) -> BatchResult {
    let mut result = BatchResult {
        step_results: Vec::with_capacity(outcomes.len()),
        step_errors: Vec::with_capacity(outcomes.len()),
    };
    for outcome in outcomes {
        let (ok, error) = match outcome {
            StepOutcome::Skipped => (None, None),
            StepOutcome::Done(r) => (Some(r), None),
            StepOutcome::Failed(e) => (None, Some(e)),
        };
        result.step_results.push(ok);
        result.step_errors.push(error);
    }
    result
}

/// The same outcomes as a cursor's entries.
pub fn cursor_entries(outcomes: Vec<StepOutcome>) -> Vec<CursorEntry> {
    let mut entries = Vec::new();
    for (step, outcome) in (0u32..).zip(outcomes) {
        match outcome {
            StepOutcome::Skipped => {}
            StepOutcome::Failed(error) => entries.push(CursorEntry::StepError { step, error }),
            StepOutcome::Done(result) => {
                entries.push(CursorEntry::StepBegin {
                    step,
                    cols: result.cols,
                });
                entries.extend(result.rows.into_iter().map(|row| CursorEntry::Row { row }));
                entries.push(CursorEntry::StepEnd {
                    affected_row_count: result.affected_row_count,
                    last_insert_rowid: result.last_insert_rowid,
                });
            }
        }
    }
    entries
}

/// Runs the statements of a SQL text one by one; the first failure ends it.
async fn run_sequence(
    core: &Core,
    stream: &mut StreamState,
    budget: &mut ResponseBudget,
    sql: &str,
) -> Result<(), Error> {
    let statements = split_statements(sql);
    if let Err(e) =
        core.limits()
            .check_statement_count(statements.len(), "the sequence", "statements")
    {
        return Err(budget.error(e.into()));
    }
    // The rows of a sequence are dropped, so they take none of the response's bytes.
    let result_bytes = core.limits().max_result_bytes;
    for sql in statements {
        run_statement(core, stream, budget, Statement::new(sql), result_bytes).await?;
    }
    Ok(())
}

/// Runs one `Stmt` and shapes its result as Hrana's.
async fn execute(
    core: &Core,
    stream: &mut StreamState,
    budget: &mut ResponseBudget,
    stmt: &Stmt,
) -> Result<StmtResult, Error> {
    let sql = resolve_sql(stream, stmt.sql.clone(), stmt.sql_id)?;
    match split_statements(&sql).len() {
        0 => {
            return Err(Error::new(
                "SQL_NO_STATEMENT",
                "the SQL text holds no statement",
            ));
        }
        1 => {}
        _ => {
            return Err(Error::new(
                "SQL_MANY_STATEMENTS",
                "the SQL text holds more than one statement; use `sequence` or a batch",
            ));
        }
    }
    let params = match (stmt.args.is_empty(), stmt.named_args.is_empty()) {
        (true, true) => Params::None,
        (false, true) => Params::Positional(stmt.args.iter().map(|v| v.0.clone()).collect()),
        (true, false) => Params::Named(
            stmt.named_args
                .iter()
                .map(|arg| (arg.name.clone(), arg.value.0.clone()))
                .collect(),
        ),
        (false, false) => {
            return Err(Error::new(
                "ARGS_BOTH_POSITIONAL_AND_NAMED",
                "give either positional `args` or `named_args`, not both",
            ));
        }
    };
    let want_rows = stmt.want_rows.unwrap_or(true);
    let statement = Statement::with_params(sql, params).encoded(HRANA_ENCODING);
    // Hrana cannot mark a result truncated: one past the limits fails (its writes undone),
    // unless the client does not want the rows at all.
    let statement = if want_rows {
        statement.whole()
    } else {
        statement
    };
    let bytes_left = budget.bytes_left;
    let mut output = run_statement(core, stream, budget, statement, bytes_left).await?;
    budget.bytes_left = budget.bytes_left.saturating_sub(output.result_bytes());
    if let Some(kind) = &output.wrote {
        budget.writes.note(kind);
    }
    budget.charges.push(std::mem::take(&mut output.memory));
    Ok(stmt_result(output, want_rows))
}

/// Runs one statement on the stream with `result_bytes` left for its result.
async fn run_statement(
    core: &Core,
    stream: &mut StreamState,
    budget: &mut ResponseBudget,
    statement: Statement,
    result_bytes: usize,
) -> Result<StatementOutput, Error> {
    core.run_in_stream(stream, statement, result_bytes, &budget.deadline)
        .await
        .map_err(|e| budget.error(e))
}

fn stmt_result(output: StatementOutput, want_rows: bool) -> StmtResult {
    StmtResult {
        cols: output
            .columns
            .into_iter()
            .zip(output.column_types)
            .map(|(name, decltype)| Col {
                name: Some(name),
                decltype,
            })
            .collect(),
        rows: if want_rows {
            output
                .rows
                .into_iter()
                .map(|row| row.into_iter().map(HranaValue).collect())
                .collect()
        } else {
            Vec::new()
        },
        affected_row_count: output.rows_affected,
        last_insert_rowid: output.last_insert_rowid,
    }
}

fn resolve_sql(
    stream: &StreamState,
    sql: Option<String>,
    sql_id: Option<i32>,
) -> Result<String, Error> {
    match (sql, sql_id) {
        (Some(sql), None) => Ok(sql),
        (None, Some(id)) => stream.stored_sql.get(id).cloned().ok_or_else(|| {
            Error::new(
                "SQL_NOT_FOUND",
                format!("no SQL text is stored under id {id} on this stream"),
            )
        }),
        (Some(_), Some(_)) => Err(Error::new(
            "PROTOCOL_ERROR",
            "give either `sql` or `sql_id`, not both",
        )),
        (None, None) => Err(Error::new(
            "PROTOCOL_ERROR",
            "`sql` or `sql_id` is required",
        )),
    }
}

/// A core error in Hrana's terms: SQLite's own code (`SQLITE_CONSTRAINT`, ...) where SQLite
/// reported it, `SQL_PARSE_ERROR` for a statement it could not parse, `ARGS_INVALID` for
/// arguments that do not fit the statement, and the gateway's code (upper case) otherwise.
/// An internal fault's detail is never sent.
pub fn hrana_error(error: CoreError) -> Error {
    if error.code == ErrorCode::InternalError {
        return Error::new(
            "INTERNAL_ERROR",
            "internal error; the server log has the detail under this response's x-request-id",
        );
    }
    let code = if error.in_sql_text {
        // As libSQL's server: syntax is a parse error, other faults SQLite found at a place in
        // the text ("no such column") are input errors.
        let syntax = ["syntax error", "unrecognized token", "incomplete input"]
            .iter()
            .any(|s| error.message.contains(s));
        if syntax {
            "SQL_PARSE_ERROR"
        } else {
            "SQL_INPUT_ERROR"
        }
        .to_owned()
    } else if error.code == ErrorCode::StatementNotAllowed {
        // The sandbox's refusals, however SQLite worded them (VACUUM INTO fails as a plain
        // error when its hidden ATTACH is refused).
        "SQLITE_AUTH".to_owned()
    } else if let Some(code) = error.sqlite_code {
        sqlite_code_name(code).to_owned()
    } else if error.code == ErrorCode::InvalidParams {
        "ARGS_INVALID".to_owned()
    } else if error.code == ErrorCode::ResultTooLarge {
        "RESPONSE_TOO_LARGE".to_owned()
    } else {
        error.code.as_str().to_ascii_uppercase()
    };
    Error::new(code, error.message)
}

/// The name of an SQLite result code's primary part.
fn sqlite_code_name(extended: i32) -> &'static str {
    match extended & 0xff {
        1 => "SQLITE_ERROR",
        2 => "SQLITE_INTERNAL",
        3 => "SQLITE_PERM",
        4 => "SQLITE_ABORT",
        5 => "SQLITE_BUSY",
        6 => "SQLITE_LOCKED",
        7 => "SQLITE_NOMEM",
        8 => "SQLITE_READONLY",
        9 => "SQLITE_INTERRUPT",
        10 => "SQLITE_IOERR",
        11 => "SQLITE_CORRUPT",
        12 => "SQLITE_NOTFOUND",
        13 => "SQLITE_FULL",
        14 => "SQLITE_CANTOPEN",
        15 => "SQLITE_PROTOCOL",
        16 => "SQLITE_EMPTY",
        17 => "SQLITE_SCHEMA",
        18 => "SQLITE_TOOBIG",
        19 => "SQLITE_CONSTRAINT",
        20 => "SQLITE_MISMATCH",
        21 => "SQLITE_MISUSE",
        22 => "SQLITE_NOLFS",
        23 => "SQLITE_AUTH",
        24 => "SQLITE_FORMAT",
        25 => "SQLITE_RANGE",
        26 => "SQLITE_NOTADB",
        _ => "SQLITE_UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done() -> StepOutcome {
        StepOutcome::Done(StmtResult {
            cols: vec![],
            rows: vec![],
            affected_row_count: 0,
            last_insert_rowid: None,
        })
    }

    fn cond(json: &str) -> BatchCond {
        serde_json::from_str(json).expect("condition parses")
    }

    #[test]
    fn conditions_combine_over_earlier_steps() {
        let before = [
            done(),
            StepOutcome::Failed(Error::new("X", "x")),
            StepOutcome::Skipped,
        ];
        let eval = |json: &str, autocommit| evaluate(&cond(json), &before, autocommit);
        assert!(eval(r#"{"type":"ok","step":0}"#, true));
        assert!(!eval(r#"{"type":"ok","step":1}"#, true));
        assert!(!eval(r#"{"type":"ok","step":2}"#, true));
        assert!(eval(r#"{"type":"error","step":1}"#, true));
        assert!(!eval(r#"{"type":"error","step":2}"#, true));
        assert!(eval(
            r#"{"type":"not","cond":{"type":"ok","step":1}}"#,
            true
        ));
        assert!(eval(
            r#"{"type":"and","conds":[{"type":"ok","step":0},{"type":"error","step":1}]}"#,
            true
        ));
        assert!(!eval(
            r#"{"type":"and","conds":[{"type":"ok","step":0},{"type":"ok","step":1}]}"#,
            true
        ));
        assert!(!eval(
            r#"{"type":"or","conds":[{"type":"ok","step":1},{"type":"is_autocommit"}]}"#,
            false
        ));
        assert!(!eval(r#"{"type":"or","conds":[]}"#, true));
        assert!(eval(r#"{"type":"and","conds":[]}"#, true));
        assert!(eval(r#"{"type":"is_autocommit"}"#, true));
    }

    #[test]
    fn conditions_may_only_look_back() {
        assert!(check_condition(&cond(r#"{"type":"ok","step":2}"#), 3).is_ok());
        assert!(check_condition(&cond(r#"{"type":"ok","step":3}"#), 3).is_err());
        assert!(
            check_condition(
                &cond(r#"{"type":"not","cond":{"type":"or","conds":[{"type":"is_autocommit"},{"type":"error","step":9}]}}"#),
                3
            )
            .is_err()
        );
    }

    #[test]
    fn sqlite_codes_use_their_primary_name() {
        assert_eq!(sqlite_code_name(19), "SQLITE_CONSTRAINT");
        assert_eq!(sqlite_code_name(2067), "SQLITE_CONSTRAINT"); // SQLITE_CONSTRAINT_UNIQUE
        assert_eq!(sqlite_code_name(1), "SQLITE_ERROR");
        assert_eq!(sqlite_code_name(999), "SQLITE_UNKNOWN");
    }
}
