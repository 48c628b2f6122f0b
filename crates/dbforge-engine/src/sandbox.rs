//! The sandbox every user-facing connection runs in: an authorizer (no ATTACH, no
//! load_extension, no TEMP objects, no transaction control, PRAGMAs from an allow-list),
//! defensive mode, untrusted schema, SQLite limits, and a stop flag the progress handler reads
//! (raised by the watchdog at a statement's deadline, see `deadline.rs`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dbforge_api::ErrorCode;

use rusqlite::Connection;
use rusqlite::config::DbConfig;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;

use crate::deadline::{Deadline, Target, Watch};
use crate::inline::{INLINE_MAX_STEPS, INLINE_PROGRESS_STEPS, Overrun, SchemaEpoch};
use crate::{EngineError, Limits};

/// Virtual machine steps between checks of the stop flag. The check is one atomic load, so
/// it can be frequent: it bounds the straight-line work (a row of expensive expressions, with
/// no jump where SQLite would look at `sqlite3_interrupt`) that runs past a deadline.
const PROGRESS_STEPS: i32 = 100;

/// Longest LIKE or GLOB pattern. SQLite matches patterns recursively, one level per
/// wildcard: at its default (50,000) a pattern of `%a` repeated overflows a thread's stack
/// and kills the process. 10,000 bytes need well under the SQL threads' stacks.
const MAX_LIKE_PATTERN_BYTES: i32 = 10_000;

/// Most arguments to one function call (SQLite's own default; the bundled build allows
/// 1,000): bounds the work of one call over many JSON paths or printf arguments.
const MAX_FUNCTION_ARGS: i32 = 127;

/// PRAGMAs that only inspect (any argument is fine).
const INSPECTING_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "foreign_key_check",
    "integrity_check",
    "quick_check",
    "collation_list",
    "function_list",
    "module_list",
    "pragma_list",
    "compile_options",
];
/// PRAGMAs that may be read but not set.
const READABLE_PRAGMAS: &[&str] = &[
    "page_count",
    "page_size",
    "freelist_count",
    "max_page_count",
    "schema_version",
    "data_version",
    "encoding",
    "journal_mode",
    "foreign_keys",
    "auto_vacuum",
    "synchronous",
    "cache_size",
    "busy_timeout",
    "recursive_triggers",
    "case_sensitive_like",
];
/// PRAGMAs that may be read and set: they live in the database file or last one transaction.
const SETTABLE_PRAGMAS: &[&str] = &[
    "user_version",
    "application_id",
    "defer_foreign_keys",
    "optimize",
    "analysis_limit",
];

/// Shared state between a connection's hooks and the code driving it.
pub(crate) struct Sandbox {
    /// How the watchdog (or a cancelled request) stops the statement running on this
    /// connection.
    target: Target,
    /// The authorizer's reason for the last refusal, so the error says what was refused.
    denial: Arc<Mutex<Option<String>>>,
    /// Set while the engine prepares its own statements (BEGIN, SAVEPOINT, ...).
    internal: Arc<AtomicBool>,
    /// Set while the connection serves an interactive transaction (a protocol stream), whose
    /// client runs its own BEGIN, COMMIT, ROLLBACK and SAVEPOINTs. Statements prepared then
    /// must not enter the statement cache: a cached COMMIT would skip the authorizer later.
    transactions: Arc<AtomicBool>,
    /// Set by the authorizer: a statement was prepared, and whether it inserts at top level.
    prepared: Arc<AtomicBool>,
    inserting: Arc<AtomicBool>,
    /// Whether each SQL text inserts rows. Cached statements skip the authorizer, so what it
    /// saw at the first prepare is remembered here.
    inserts_by_sql: RefCell<HashMap<String, bool>>,
    /// Set by the progress handler when a read running inline used up its budget: 1 for its
    /// steps, 2 for its time (see [`Overrun`]).
    inline_spent: Arc<AtomicU8>,
}

/// Remembered SQL texts per connection before the memo starts afresh.
const MAX_REMEMBERED_SQL: usize = 1_024;

impl Sandbox {
    /// Hardens `conn` and returns the handle that drives its deadline and privileges. On the
    /// writer's connection, `schema` is told when a schema change is prepared (see
    /// [`SchemaEpoch`]), before it can run.
    pub(crate) fn install(
        conn: &mut Connection,
        limits: &Limits,
        schema: Option<Arc<SchemaEpoch>>,
    ) -> Result<Self, EngineError> {
        let sandbox = Sandbox {
            target: Target::register(conn),
            denial: Arc::default(),
            internal: Arc::default(),
            transactions: Arc::default(),
            prepared: Arc::default(),
            inserting: Arc::default(),
            inserts_by_sql: RefCell::default(),
            inline_spent: Arc::default(),
        };
        let fail = |e: rusqlite::Error| EngineError::internal(format!("sandbox setup: {e}"));
        // Sorts and temporary tables in memory, where the process-wide heap limit bounds them,
        // not in unlinked files that nothing bounds but the disk.
        conn.execute_batch("PRAGMA temp_store = MEMORY")
            .map_err(fail)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
            .map_err(fail)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)
            .map_err(fail)?;
        conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)
            .map_err(fail)?;
        let sql_limit = i32::try_from(limits.max_sql_length).unwrap_or(i32::MAX);
        conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, sql_limit)
            .map_err(fail)?;
        let value_limit = i32::try_from(limits.max_value_bytes).unwrap_or(i32::MAX);
        conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, value_limit)
            .map_err(fail)?;
        let params = i32::try_from(limits.max_params).unwrap_or(i32::MAX);
        conn.set_limit(Limit::SQLITE_LIMIT_VARIABLE_NUMBER, params)
            .map_err(fail)?;
        conn.set_limit(
            Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
            MAX_LIKE_PATTERN_BYTES,
        )
        .map_err(fail)?;
        conn.set_limit(Limit::SQLITE_LIMIT_FUNCTION_ARG, MAX_FUNCTION_ARGS)
            .map_err(fail)?;

        watch_stop_flag(conn, &sandbox.target.stop).map_err(fail)?;

        let denial = Arc::clone(&sandbox.denial);
        let internal = Arc::clone(&sandbox.internal);
        let prepared = Arc::clone(&sandbox.prepared);
        let inserting = Arc::clone(&sandbox.inserting);
        let transactions = Arc::clone(&sandbox.transactions);
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            prepared.store(true, Ordering::Relaxed);
            if matches!(ctx.action, AuthAction::Insert { .. }) && ctx.accessor.is_none() {
                inserting.store(true, Ordering::Relaxed);
            }
            if internal.load(Ordering::Relaxed) {
                return Authorization::Allow;
            }
            if matches!(
                ctx.action,
                AuthAction::Transaction { .. } | AuthAction::Savepoint { .. }
            ) && transactions.load(Ordering::Relaxed)
            {
                return Authorization::Allow;
            }
            match refusal(&ctx.action, ctx.database_name) {
                None => {
                    if let Some(schema) = &schema
                        && changes_schema(&ctx.action)
                    {
                        schema.begin_change();
                    }
                    Authorization::Allow
                }
                Some(reason) => {
                    if let Ok(mut slot) = denial.lock() {
                        *slot = Some(reason);
                    }
                    Authorization::Deny
                }
            }
        }))
        .map_err(fail)?;
        Ok(sandbox)
    }

    /// Watches the user statement about to be prepared or run, until the returned guard
    /// drops: it is interrupted after `timeout` or at the request's deadline, whichever is
    /// first, or when the request is cancelled. Also clears the last refusal. Fails with
    /// `query_timeout` when the request is over already.
    pub(crate) fn start_statement(
        &self,
        timeout: Duration,
        deadline: &Deadline,
    ) -> Result<Running, EngineError> {
        if let Ok(mut slot) = self.denial.lock() {
            *slot = None;
        }
        self.target.stop.store(false, Ordering::Relaxed);
        let watch = (!deadline.is_over())
            .then(|| deadline.watch(deadline.statement_end(timeout), &self.target))
            .flatten()
            .ok_or_else(|| request_over(deadline))?;
        Ok(Running {
            watch: Some(watch),
            stop: Arc::clone(&self.target.stop),
        })
    }

    /// Call right before `prepare_cached(sql)`; then [`Sandbox::inserts`] tells whether the
    /// statement inserts rows (an INSERT, REPLACE or upsert at top level).
    pub(crate) fn before_prepare(&self) {
        self.prepared.store(false, Ordering::Relaxed);
        self.inserting.store(false, Ordering::Relaxed);
    }

    pub(crate) fn inserts(&self, sql: &str) -> bool {
        let mut memo = self.inserts_by_sql.borrow_mut();
        if self.prepared.load(Ordering::Relaxed) {
            let inserts = self.inserting.load(Ordering::Relaxed);
            if memo.len() >= MAX_REMEMBERED_SQL {
                memo.clear();
            }
            memo.insert(sql.to_owned(), inserts);
            inserts
        } else {
            memo.get(sql).copied().unwrap_or(false)
        }
    }

    /// Runs the next statements under the inline budget (see `inline.rs`): stopped after
    /// [`INLINE_MAX_STEPS`] steps or once `until` passes (checked every few steps), and failing
    /// at once on a lock instead of waiting for it. [`Sandbox::end_inline`] restores the usual
    /// handling.
    pub(crate) fn begin_inline(
        &self,
        conn: &mut Connection,
        until: Instant,
    ) -> rusqlite::Result<()> {
        let stop = Arc::clone(&self.target.stop);
        let spent = Arc::clone(&self.inline_spent);
        spent.store(0, Ordering::Relaxed);
        let mut steps: u64 = 0;
        conn.busy_timeout(Duration::ZERO)?;
        conn.progress_handler(
            INLINE_PROGRESS_STEPS,
            Some(move || {
                if stop.load(Ordering::Relaxed) {
                    return true;
                }
                steps += u64::from(INLINE_PROGRESS_STEPS.unsigned_abs());
                let overrun = if steps > INLINE_MAX_STEPS {
                    Overrun::Steps
                } else if Instant::now() >= until {
                    Overrun::Time
                } else {
                    return false;
                };
                spent.store(overrun as u8, Ordering::Relaxed);
                true
            }),
        )
    }

    /// Ends [`Sandbox::begin_inline`]: back to the usual stop flag and `busy_timeout`. How the
    /// budget ran out, if it did.
    pub(crate) fn end_inline(
        &self,
        conn: &mut Connection,
        busy_timeout: Duration,
    ) -> Option<Overrun> {
        let _ = conn.busy_timeout(busy_timeout);
        let _ = watch_stop_flag(conn, &self.target.stop);
        Overrun::from_code(self.inline_spent.load(Ordering::Relaxed))
    }

    pub(crate) fn take_denial(&self) -> Option<String> {
        self.denial.lock().ok().and_then(|mut slot| slot.take())
    }

    /// Lets the client's own transaction control through (see `transactions`), or stops it.
    pub(crate) fn allow_transactions(&self, allow: bool) {
        self.transactions.store(allow, Ordering::Relaxed);
    }

    /// Runs the engine's own SQL (transaction control, settings) past the authorizer.
    pub(crate) fn run_internal(&self, conn: &Connection, sql: &str) -> rusqlite::Result<()> {
        self.internal.store(true, Ordering::Relaxed);
        let result = conn.execute_batch(sql);
        self.internal.store(false, Ordering::Relaxed);
        result
    }

    /// Reads one integer with the engine's privileges (`PRAGMA schema_version`, counts).
    pub(crate) fn query_internal(&self, conn: &Connection, sql: &str) -> rusqlite::Result<i64> {
        self.internal.store(true, Ordering::Relaxed);
        let result = conn.query_row(sql, [], |row| row.get(0));
        self.internal.store(false, Ordering::Relaxed);
        result
    }

    pub(crate) fn error(&self, err: rusqlite::Error) -> EngineError {
        EngineError::from_sqlite(err, self.take_denial())
    }
}

const TEMP_REFUSAL: &str = "TEMP tables, views, indexes and triggers (and anything in the \
     `temp` schema) are not allowed: connections are shared between requests; use a regular \
     table or a CTE";

/// A watched statement (see [`Sandbox::start_statement`]). Dropping it ends the watch, then
/// clears the stop flag, so the engine's own statements that follow (RELEASE, COMMIT) are
/// never stopped by it.
pub(crate) struct Running {
    watch: Option<Watch>,
    stop: Arc<AtomicBool>,
}

impl Drop for Running {
    fn drop(&mut self) {
        drop(self.watch.take());
        self.stop.store(false, Ordering::Relaxed);
    }
}

/// The error for work refused because its request is over.
pub(crate) fn request_over(deadline: &Deadline) -> EngineError {
    if deadline.is_cancelled() {
        EngineError::new(
            ErrorCode::QueryTimeout,
            "the request was cancelled (its client went away) and its statements stopped",
        )
    } else {
        EngineError::new(
            ErrorCode::QueryTimeout,
            "the request ran out of time (--request-timeout) before this statement could run",
        )
    }
}

/// Lets the progress handler stop the running statement when `stop` is raised.
fn watch_stop_flag(conn: &mut Connection, stop: &Arc<AtomicBool>) -> rusqlite::Result<()> {
    let stop = Arc::clone(stop);
    conn.progress_handler(PROGRESS_STEPS, Some(move || stop.load(Ordering::Relaxed)))
}

/// Whether an allowed action may change the schema (anything but reading, writing rows,
/// calling functions and transaction control): other connections must re-read it.
fn changes_schema(action: &AuthAction<'_>) -> bool {
    !matches!(
        action,
        AuthAction::Select
            | AuthAction::Read { .. }
            | AuthAction::Insert { .. }
            | AuthAction::Update { .. }
            | AuthAction::Delete { .. }
            | AuthAction::Function { .. }
            | AuthAction::Transaction { .. }
            | AuthAction::Savepoint { .. }
            | AuthAction::Recursive
    )
}

/// Why an action is refused, or `None` when it is allowed. `database` is the schema the
/// action touches (`main`, `temp`), when it touches one.
fn refusal(action: &AuthAction<'_>, database: Option<&str>) -> Option<String> {
    // `CREATE TABLE temp.x` is reported as a plain CREATE TABLE on the `temp` schema, not as
    // CREATE TEMP TABLE: refuse every change to that schema, however it is spelled. Its
    // objects would outlive the request on a shared connection, live outside the database's
    // quota in an unlinked file, and shadow or rewrite the main schema's tables for others.
    // Reading is harmless, and so is SQLite's own upkeep of the (empty) temp schema table:
    // ALTER TABLE and DROP TABLE update it with nested statements. Nobody else can write that
    // table (SQLite refuses, defensive mode on), and creating anything there is refused below.
    let harmless = match action {
        AuthAction::Read { .. } | AuthAction::Select | AuthAction::Function { .. } => true,
        AuthAction::Update { table_name, .. } | AuthAction::Delete { table_name } => {
            is_schema_table(table_name)
        }
        _ => false,
    };
    if !harmless && database.is_some_and(|db| db.eq_ignore_ascii_case("temp")) {
        return Some(TEMP_REFUSAL.into());
    }
    match action {
        AuthAction::Attach { .. } | AuthAction::Detach { .. } => Some(
            "ATTACH and DETACH are not allowed: each database is isolated from the others".into(),
        ),
        AuthAction::Function { function_name }
            if function_name.eq_ignore_ascii_case("load_extension") =>
        {
            Some("load_extension() is not allowed".into())
        }
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => Some(
            "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) is managed by the \
             gateway: every request already runs in its own transaction, and the statements of \
             one request's `statements` list commit or roll back together"
                .into(),
        ),
        AuthAction::CreateTempTable { .. }
        | AuthAction::CreateTempIndex { .. }
        | AuthAction::CreateTempTrigger { .. }
        | AuthAction::CreateTempView { .. } => Some(TEMP_REFUSAL.into()),
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => pragma_refusal(pragma_name, pragma_value.is_some()),
        _ => None,
    }
}

/// The schema table under any of its names.
fn is_schema_table(name: &str) -> bool {
    [
        "sqlite_master",
        "sqlite_schema",
        "sqlite_temp_master",
        "sqlite_temp_schema",
    ]
    .iter()
    .any(|schema| name.eq_ignore_ascii_case(schema))
}

fn pragma_refusal(name: &str, has_value: bool) -> Option<String> {
    let name = name.to_ascii_lowercase();
    let allowed = INSPECTING_PRAGMAS.contains(&name.as_str())
        || SETTABLE_PRAGMAS.contains(&name.as_str())
        || (READABLE_PRAGMAS.contains(&name.as_str()) && !has_value);
    if allowed {
        return None;
    }
    if READABLE_PRAGMAS.contains(&name.as_str()) {
        return Some(format!(
            "PRAGMA {name} may be read but not set: the gateway manages it"
        ));
    }
    Some(format!(
        "PRAGMA {name} is not allowed; allowed are {}, reading {}, and setting {}",
        INSPECTING_PRAGMAS.join(", "),
        READABLE_PRAGMAS.join(", "),
        SETTABLE_PRAGMAS.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandboxed() -> (Connection, Sandbox) {
        let mut conn = Connection::open_in_memory().expect("open");
        let sandbox = Sandbox::install(&mut conn, &Limits::default(), None).expect("sandbox");
        (conn, sandbox)
    }

    #[test]
    fn nothing_can_be_created_in_the_temp_schema_however_it_is_spelled() {
        let (conn, sandbox) = sandboxed();
        conn.execute_batch("CREATE TABLE t(a)")
            .expect("a main table");
        for sql in [
            "CREATE TEMP TABLE x(a)",
            "CREATE TABLE temp.x(a)",
            "CREATE TABLE TEMP.x AS SELECT 1",
            "CREATE VIEW temp.v AS SELECT 1",
            "CREATE TRIGGER temp.tr AFTER INSERT ON main.t BEGIN SELECT 1; END",
            "CREATE VIRTUAL TABLE temp.f USING fts5(a)",
        ] {
            let error = conn.execute_batch(sql).expect_err(sql);
            assert!(
                sandbox.error(error).message.contains("temp"),
                "{sql} refused for the temp schema"
            );
        }
        // An index there can only be on a table there, which cannot exist.
        assert!(conn.execute_batch("CREATE INDEX temp.i ON t(a)").is_err());
    }

    #[test]
    fn altering_and_dropping_tables_still_work() {
        let (conn, _sandbox) = sandboxed();
        conn.execute_batch(
            "CREATE TABLE parent(id INTEGER PRIMARY KEY);
             CREATE TABLE parent_new(id INTEGER PRIMARY KEY, label TEXT);
             DROP TABLE parent;
             ALTER TABLE parent_new RENAME TO parent;
             ALTER TABLE parent RENAME COLUMN label TO title;
             ALTER TABLE parent ADD COLUMN extra;
             SELECT * FROM temp.sqlite_master;",
        )
        .expect("schema changes pass the sandbox");
    }

    #[test]
    fn pragma_allow_list_separates_reading_from_setting() {
        assert!(pragma_refusal("table_info", true).is_none());
        assert!(pragma_refusal("USER_VERSION", true).is_none());
        assert!(pragma_refusal("page_count", false).is_none());
        assert!(pragma_refusal("max_page_count", true).is_some());
        assert!(pragma_refusal("journal_mode", true).is_some());
        assert!(pragma_refusal("writable_schema", false).is_some());
        assert!(pragma_refusal("database_list", false).is_some());
    }
}
