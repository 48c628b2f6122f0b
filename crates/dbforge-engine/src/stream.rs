//! A client's stream of statements (libSQL's Hrana streams): run in order, in autocommit mode
//! through [`Database::execute`] like every other request, and inside an interactive
//! transaction on a connection lent to the stream: the writer's for `BEGIN [DEFERRED |
//! IMMEDIATE | EXCLUSIVE]` and `SAVEPOINT`, a private read-only one for libSQL's
//! `BEGIN TRANSACTION READONLY`. Dropping the stream rolls back what it still holds.

use std::sync::Arc;
use std::time::Duration;

use dbforge_api::ErrorCode;
use rusqlite::Connection;

use crate::database::{Database, joined};
use crate::deadline::Deadline;
use crate::execute::{Prepare, Statement, StatementOutput, explain_stop, run_statement};
use crate::readers::Reader;
use crate::results::ResultBudget;
use crate::sandbox::Sandbox;
use crate::writer::WriteSession;
use crate::{Access, EngineError, Limits};

/// SQLite's code for a plain SQL error (`SQLITE_ERROR`).
const SQLITE_ERROR: i32 = 1;

/// One client's sequence of statements on one database.
pub struct Stream {
    /// `None` while parked between requests outside a transaction (see [`Stream::park`]).
    db: Option<Arc<Database>>,
    transaction: Option<Transaction>,
    /// `PRAGMA foreign_keys` as this stream set it; applies to its transactions.
    foreign_keys: bool,
    /// Set when the stream's transaction ended without the client ending it (the gateway's
    /// time limit, or SQLite rolling back on an interrupt or a full disk). Every later
    /// statement fails until the client sends ROLLBACK or closes the stream: run in autocommit
    /// mode, the statements it meant for that transaction would commit one by one.
    lost: Option<EngineError>,
    /// The longest a transaction of this stream may hold the writer.
    write_hold_limit: Duration,
    /// The longest its BEGIN waits for another transaction to free the writer.
    write_wait_limit: Duration,
    /// What the stream's caller may do: a read-only stream never gets the writer.
    access: Access,
}

enum Transaction {
    Write(WriteSession),
    /// `None` while a statement runs on it (the connection travels to a blocking thread).
    Read {
        reader: Option<Box<Reader>>,
        since: std::time::Instant,
    },
}

/// What a statement does to the stream, read from its first words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    /// libSQL's `BEGIN TRANSACTION READONLY` (not SQLite syntax).
    BeginReadOnly,
    /// `BEGIN`, `BEGIN DEFERRED`, `BEGIN IMMEDIATE`, `BEGIN EXCLUSIVE`.
    Begin,
    /// `SAVEPOINT name` outside a transaction starts one.
    Savepoint,
    /// `COMMIT` or `END`.
    Commit,
    Rollback,
    /// `RELEASE name` or `ROLLBACK TO name`.
    SavepointEnd,
    /// `PRAGMA foreign_keys = on|off`: a per-connection setting, so it is the stream's.
    ForeignKeys(bool),
    Other,
}

/// What [`Stream::describe`] reports about a statement without running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// Each parameter's name (with its `:`, `@`, `$` or `?NNN`), `None` for a bare `?`.
    pub params: Vec<Option<String>>,
    /// Each result column's name and declared type.
    pub columns: Vec<(String, Option<String>)>,
    pub is_explain: bool,
    pub is_readonly: bool,
}

impl Database {
    /// Opens a stream on this database for a caller with `access`; its transactions hold
    /// the writer at most `write_hold_limit` and wait for it at most `write_wait_limit`.
    pub fn stream(
        self: &Arc<Self>,
        access: Access,
        write_hold_limit: Duration,
        write_wait_limit: Duration,
    ) -> Stream {
        Stream {
            access,
            db: Some(Arc::clone(self)),
            transaction: None,
            foreign_keys: true,
            lost: None,
            write_hold_limit,
            write_wait_limit,
        }
    }
}

impl Stream {
    /// The database the stream works on, unless it is parked.
    pub fn database(&self) -> Option<&Arc<Database>> {
        self.db.as_ref()
    }

    /// Between requests: lets go of the database unless a transaction holds it, so an idle
    /// stream neither keeps its database open nor breaks when it is closed and reopened.
    pub fn park(&mut self) {
        if self.transaction.is_none() {
            self.db = None;
        }
    }

    /// Before a request: the database's current handle (a transaction keeps its own).
    pub fn resume(&mut self, db: Arc<Database>) {
        if self.transaction.is_none() {
            self.db = Some(db);
        }
    }

    fn db(&self) -> Result<&Arc<Database>, EngineError> {
        self.db
            .as_ref()
            .ok_or_else(|| EngineError::internal("a parked stream was used without resume()"))
    }

    /// Whether the stream is outside any transaction (SQLite's autocommit mode).
    pub fn is_autocommit(&self) -> bool {
        self.transaction.is_none()
    }

    /// Ends a read transaction held for longer than `limit` (its snapshot keeps the
    /// database's write-ahead log from being checkpointed and reset, so the log grows with
    /// every write meanwhile); the stream then refuses statements until its client sends
    /// ROLLBACK. Whether it ended one.
    pub fn expire_read_transaction(&mut self, limit: Duration) -> bool {
        let expired = matches!(
            self.transaction,
            Some(Transaction::Read { since, .. }) if since.elapsed() > limit
        );
        if expired {
            // Dropping the connection ends its transaction and releases its snapshot.
            self.transaction = None;
            self.lost = Some(lost_error(&format!(
                "the read transaction was held longer than {} (--read-transaction-timeout) \
                 and was ended, so that the database's log could be checkpointed",
                humantime::format_duration(limit)
            )));
        }
        expired
    }

    /// Runs one statement (one, not several separated by `;`) whose result may take at most
    /// `result_bytes` (the rest of the caller's response budget).
    pub async fn execute(
        &mut self,
        statement: Statement,
        result_bytes: usize,
        deadline: &Deadline,
    ) -> Result<StatementOutput, EngineError> {
        let verb = classify(&statement.sql);
        if let Some(lost) = &self.lost {
            if verb == Verb::Rollback {
                // The client acknowledges the lost transaction: the stream is usable again.
                self.lost = None;
                return Ok(StatementOutput::default());
            }
            return Err(lost.clone());
        }
        let db = Arc::clone(self.db()?);
        db.touch();
        db.check_sql_text(&statement.sql)?;
        let result_bytes = result_bytes.min(db.limits().max_result_bytes);
        if self.transaction.is_none() {
            match verb {
                Verb::BeginReadOnly => {
                    let reader = db.begin_read_transaction().await?;
                    self.transaction = Some(Transaction::Read {
                        reader: Some(Box::new(reader)),
                        since: std::time::Instant::now(),
                    });
                    return Ok(StatementOutput::default());
                }
                Verb::Begin | Verb::Savepoint if !self.access.may_write() => {
                    let mut refusal =
                        Access::refusal("BEGIN and SAVEPOINT start a transaction that may write");
                    refusal.message.push_str(
                        "; start a read transaction with BEGIN TRANSACTION READONLY \
                         (transaction(\"read\") or batch mode \"read\" in libSQL's clients)",
                    );
                    return Err(refusal);
                }
                Verb::Begin | Verb::Savepoint => {
                    let session = db
                        .open_write_session(
                            self.foreign_keys,
                            self.write_hold_limit,
                            self.write_wait_limit.min(deadline.remaining()),
                        )
                        .await?;
                    self.transaction = Some(Transaction::Write(session));
                }
                Verb::ForeignKeys(on) => {
                    self.foreign_keys = on;
                    return Ok(StatementOutput::default());
                }
                Verb::Commit => return Err(no_transaction("cannot commit")),
                Verb::Rollback => return Err(no_transaction("cannot rollback")),
                Verb::SavepointEnd => {
                    return Err(sqlite_error(
                        "no such savepoint: no transaction is active".into(),
                    ));
                }
                Verb::Other if !self.foreign_keys && self.access.may_write() => {
                    // The stream turned foreign keys off: its autocommit statements need a
                    // connection set that way, which only a session can lend.
                    let session = db
                        .open_write_session(
                            false,
                            self.write_hold_limit,
                            self.write_wait_limit.min(deadline.remaining()),
                        )
                        .await?;
                    self.transaction = Some(Transaction::Write(session));
                }
                Verb::Other => {
                    let mut outputs = db
                        .execute_within(vec![statement], result_bytes, self.access, deadline)
                        .await?;
                    return outputs
                        .pop()
                        .ok_or_else(|| EngineError::internal("a statement produced no result"));
                }
            }
        } else if verb == Verb::BeginReadOnly {
            return Err(sqlite_error(
                "cannot start a transaction within a transaction".into(),
            ));
        } else if let Verb::ForeignKeys(_) = verb {
            // SQLite ignores this PRAGMA inside a transaction; so does the stream.
            return Ok(StatementOutput::default());
        }
        // A statement of the client's own (not transaction control) runs inside a savepoint
        // when its result must be whole, so that failing it for its size undoes its writes.
        let guarded = statement.whole_result && verb == Verb::Other;
        let statement_deadline = deadline.clone();
        let memory = Arc::clone(db.result_memory());
        let (result, was_in_transaction) = self
            .run_in_transaction(deadline, move |conn, sandbox, limits| {
                let was_in_transaction = !conn.is_autocommit();
                let guard = guarded
                    && sandbox
                        .run_internal(conn, "SAVEPOINT dbforge_statement")
                        .is_ok();
                let mut budget = ResultBudget::new(result_bytes, &memory);
                let result = run_statement(
                    conn,
                    sandbox,
                    &statement,
                    limits,
                    &mut budget,
                    Prepare::Fresh,
                    &statement_deadline,
                );
                // SQLite may have ended the transaction, savepoint and all.
                if guard && !conn.is_autocommit() {
                    let end = if result.is_ok() {
                        "RELEASE dbforge_statement"
                    } else {
                        "ROLLBACK TO dbforge_statement; RELEASE dbforge_statement"
                    };
                    if let Err(e) = sandbox.run_internal(conn, end) {
                        tracing::error!(error = %e, "ending a statement's savepoint failed");
                    }
                }
                (result, was_in_transaction)
            })
            .await?;
        let result = result.map_err(|e| self.access.explain(db.disk().explain(e)));
        let ends_transactions = matches!(verb, Verb::Commit | Verb::Rollback | Verb::SavepointEnd);
        if was_in_transaction && self.transaction.is_none() && !ends_transactions {
            let reason = match &result {
                Err(e) => e.message.clone(),
                Ok(_) => "the statement ended it".to_owned(),
            };
            self.lost = Some(lost_error(&format!(
                "SQLite rolled back this stream's transaction ({reason})"
            )));
        }
        result
    }

    /// Parses `sql` and reports its parameters and columns.
    pub async fn describe(
        &mut self,
        sql: String,
        deadline: &Deadline,
    ) -> Result<Description, EngineError> {
        if let Some(lost) = &self.lost {
            return Err(lost.clone());
        }
        let db = Arc::clone(self.db()?);
        db.touch();
        db.check_sql_text(&sql)?;
        if self.transaction.is_some() {
            let statement_deadline = deadline.clone();
            return self
                .run_in_transaction(deadline, move |conn, sandbox, limits| {
                    let running =
                        sandbox.start_statement(limits.statement_timeout, &statement_deadline)?;
                    let described = describe_on(conn, sandbox, &sql);
                    drop(running);
                    described.map_err(|e| explain_stop(e, &statement_deadline))
                })
                .await?;
        }
        db.read(deadline, move |conn| {
            let stmt = conn
                .prepare(&sql)
                .map_err(|e| EngineError::from_sqlite(e, None))?;
            Ok(description(&stmt))
        })
        .await
    }

    /// Runs `work` on the transaction's connection, then drops the transaction if the
    /// connection is back in autocommit mode (COMMIT, ROLLBACK, or an error that made SQLite
    /// roll back). An error here means the transaction itself is gone.
    async fn run_in_transaction<R: Send + 'static>(
        &mut self,
        deadline: &Deadline,
        work: impl FnOnce(&Connection, &Sandbox, &Limits) -> R + Send + 'static,
    ) -> Result<R, EngineError> {
        let limits = self.db()?.limits().clone();
        let (result, autocommit) = match &mut self.transaction {
            None => return Err(EngineError::internal("no transaction to run in")),
            Some(Transaction::Write(session)) => {
                let ran = session
                    .run(deadline, move |c| {
                        let result = work(c.conn, c.sandbox, c.limits);
                        (result, c.conn.is_autocommit())
                    })
                    .await;
                match ran {
                    Ok(done) => done,
                    Err(e) => {
                        // Rolled back at the hold limit, or the database closed under it.
                        self.transaction = None;
                        self.lost = Some(e.clone());
                        return Err(e);
                    }
                }
            }
            Some(Transaction::Read { reader: slot, .. }) => {
                let Some(reader) = slot.take() else {
                    // An earlier statement was cancelled midway and took the connection.
                    self.transaction = None;
                    let e =
                        lost_error("the read transaction was lost when a request was cancelled");
                    self.lost = Some(e.clone());
                    return Err(e);
                };
                let reading = tokio::task::spawn_blocking(move || {
                    let result = work(&reader.conn, &reader.sandbox, &limits);
                    let autocommit = reader.conn.is_autocommit();
                    Ok((reader, result, autocommit))
                });
                // A statement that runs away keeps the connection: the transaction is lost.
                let (reader, result, autocommit) =
                    match deadline.unless_ran_away(joined(reading)).await {
                        Ok(done) => done,
                        Err(e) => {
                            self.transaction = None;
                            self.lost = Some(e.clone());
                            return Err(e);
                        }
                    };
                *slot = Some(reader);
                (result, autocommit)
            }
        };
        if autocommit {
            self.transaction = None;
        }
        Ok(result)
    }
}

/// Prepares `sql` (fresh, past the authorizer) and describes it.
fn describe_on(
    conn: &Connection,
    sandbox: &Sandbox,
    sql: &str,
) -> Result<Description, EngineError> {
    sandbox.before_prepare();
    let stmt = conn.prepare(sql).map_err(|e| sandbox.error(e))?;
    Ok(description(&stmt))
}

fn description(stmt: &rusqlite::Statement<'_>) -> Description {
    Description {
        params: (1..=stmt.parameter_count())
            .map(|i| stmt.parameter_name(i).map(str::to_owned))
            .collect(),
        columns: stmt
            .columns()
            .map(|c| (c.name().to_owned(), c.decl_type().map(str::to_owned)))
            .collect(),
        is_explain: stmt.is_explain() != 0,
        is_readonly: stmt.readonly(),
    }
}

fn sqlite_error(message: String) -> EngineError {
    EngineError {
        sqlite_code: Some(SQLITE_ERROR),
        ..EngineError::new(ErrorCode::SqlError, message)
    }
}

fn no_transaction(what: &str) -> EngineError {
    sqlite_error(format!("{what} - no transaction is active"))
}

/// The error of a stream whose transaction ended without its client ending it.
fn lost_error(what: &str) -> EngineError {
    EngineError::new(
        ErrorCode::TransactionRolledBack,
        format!(
            "{what}; every statement of the stream fails until the client sends ROLLBACK \
             (or closes the stream), so none meant for the transaction runs outside it"
        ),
    )
}

/// Reads what a statement does to the stream from its first few tokens.
fn classify(sql: &str) -> Verb {
    let tokens = leading_tokens(sql, 8);
    let token = |i: usize| tokens.get(i).map(String::as_str).unwrap_or("");
    match token(0) {
        "BEGIN" => {
            if tokens[1..].iter().any(|t| t == "READONLY") {
                Verb::BeginReadOnly
            } else {
                Verb::Begin
            }
        }
        "SAVEPOINT" => Verb::Savepoint,
        "COMMIT" | "END" => Verb::Commit,
        "RELEASE" => Verb::SavepointEnd,
        "ROLLBACK" if token(1) == "TO" || (token(1) == "TRANSACTION" && token(2) == "TO") => {
            Verb::SavepointEnd
        }
        "ROLLBACK" => Verb::Rollback,
        "PRAGMA" => {
            // PRAGMA [schema.]foreign_keys = value, or ...foreign_keys(value)
            let rest: Vec<&str> = match (token(1), token(2)) {
                (_, ".") => tokens.iter().skip(3).map(String::as_str).collect(),
                _ => tokens.iter().skip(1).map(String::as_str).collect(),
            };
            match rest.as_slice() {
                ["FOREIGN_KEYS", "=" | "(", value, ..] => match *value {
                    "ON" | "TRUE" | "YES" | "1" => Verb::ForeignKeys(true),
                    "OFF" | "FALSE" | "NO" | "0" => Verb::ForeignKeys(false),
                    _ => Verb::Other,
                },
                _ => Verb::Other,
            }
        }
        _ => Verb::Other,
    }
}

/// What kind of statement `sql` is, by its first word (`INSERT`, `CREATE`, `WITH`, ...),
/// upper-cased and at most 16 characters; `?` when it starts with no word. A label for logs
/// (the audit log), never a basis for a decision.
pub fn statement_kind(sql: &str) -> String {
    match leading_tokens(sql, 1).pop() {
        Some(word) if word.chars().all(|c| c.is_ascii_alphabetic()) => {
            word.chars().take(16).collect()
        }
        _ => "?".to_owned(),
    }
}

/// The first `n` tokens of `sql`, upper-cased: words and numbers whole, any other character
/// alone; whitespace and comments skipped.
fn leading_tokens(sql: &str, n: usize) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() && tokens.len() < n {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            i = bytes[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |p| i + p + 1);
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i = sql[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |p| i + 2 + p + 2);
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            let end = bytes[i..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                .map_or(bytes.len(), |p| i + p);
            tokens.push(sql[i..end].to_ascii_uppercase());
            i = end;
        } else if c == b'\'' || c == b'"' {
            // A quoted value (`PRAGMA foreign_keys = 'off'`): its content is the token.
            let end = bytes[i + 1..]
                .iter()
                .position(|&b| b == c)
                .map_or(bytes.len(), |p| i + 1 + p);
            tokens.push(sql[i + 1..end].to_ascii_uppercase());
            i = end + 1;
        } else {
            let width = sql[i..].chars().next().map_or(1, char::len_utf8);
            tokens.push(sql[i..i + width].to_owned());
            i += width;
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_statements_are_recognised_through_comments_and_case() {
        assert_eq!(classify("begin"), Verb::Begin);
        assert_eq!(classify("  /* x */ BEGIN IMMEDIATE;"), Verb::Begin);
        assert_eq!(classify("-- c\nbegin deferred transaction"), Verb::Begin);
        assert_eq!(classify("BEGIN TRANSACTION READONLY"), Verb::BeginReadOnly);
        assert_eq!(classify("SAVEPOINT sp1"), Verb::Savepoint);
        assert_eq!(classify("commit"), Verb::Commit);
        assert_eq!(classify("END TRANSACTION"), Verb::Commit);
        assert_eq!(classify("ROLLBACK"), Verb::Rollback);
        assert_eq!(classify("rollback transaction"), Verb::Rollback);
        assert_eq!(classify("ROLLBACK TO sp1"), Verb::SavepointEnd);
        assert_eq!(
            classify("ROLLBACK TRANSACTION TO SAVEPOINT sp1"),
            Verb::SavepointEnd
        );
        assert_eq!(classify("RELEASE sp1"), Verb::SavepointEnd);
        assert_eq!(classify("SELECT 'BEGIN'"), Verb::Other);
        assert_eq!(classify("INSERT INTO begin VALUES (1)"), Verb::Other);
        assert_eq!(classify(""), Verb::Other);
    }

    #[test]
    fn foreign_keys_pragma_is_the_streams_setting() {
        assert_eq!(
            classify("PRAGMA foreign_keys=off"),
            Verb::ForeignKeys(false)
        );
        assert_eq!(
            classify("pragma main.foreign_keys = ON"),
            Verb::ForeignKeys(true)
        );
        assert_eq!(classify("PRAGMA foreign_keys(0)"), Verb::ForeignKeys(false));
        assert_eq!(
            classify("PRAGMA foreign_keys = 'yes'"),
            Verb::ForeignKeys(true)
        );
        assert_eq!(classify("PRAGMA foreign_keys"), Verb::Other);
        assert_eq!(classify("PRAGMA foreign_keys = maybe"), Verb::Other);
        assert_eq!(classify("PRAGMA foreign_key_list(t)"), Verb::Other);
    }
}
