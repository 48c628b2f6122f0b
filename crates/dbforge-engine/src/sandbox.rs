//! The sandbox every user-facing connection runs in: an authorizer (no ATTACH, no
//! load_extension, no TEMP objects, no transaction control, PRAGMAs from an allow-list),
//! defensive mode, untrusted schema, SQLite limits, and a per-statement deadline enforced by
//! the progress handler.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use rusqlite::config::DbConfig;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;

use crate::{EngineError, Limits};

/// Virtual machine steps between deadline checks: cheap enough to be invisible, frequent
/// enough that an interrupt lands within a millisecond or so.
const PROGRESS_STEPS: i32 = 1_000;

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

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_nanos() -> u64 {
    u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Shared state between a connection's hooks and the code driving it.
#[derive(Debug, Default)]
pub(crate) struct Sandbox {
    /// Nanoseconds since [`epoch`] after which the running statement is interrupted; 0 = none.
    deadline: Arc<AtomicU64>,
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
}

/// Remembered SQL texts per connection before the memo starts afresh.
const MAX_REMEMBERED_SQL: usize = 1_024;

impl Sandbox {
    /// Hardens `conn` and returns the handle that drives its deadline and privileges.
    pub(crate) fn install(conn: &mut Connection, limits: &Limits) -> Result<Self, EngineError> {
        let sandbox = Sandbox::default();
        let fail = |e: rusqlite::Error| EngineError::internal(format!("sandbox setup: {e}"));
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

        let deadline = Arc::clone(&sandbox.deadline);
        conn.progress_handler(
            PROGRESS_STEPS,
            Some(move || {
                let at = deadline.load(Ordering::Relaxed);
                at != 0 && now_nanos() > at
            }),
        )
        .map_err(fail)?;

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
            match refusal(&ctx.action) {
                None => Authorization::Allow,
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

    /// Arms the deadline for the statement about to run and clears the last refusal.
    pub(crate) fn start_statement(&self, timeout: Duration) {
        let at = now_nanos().saturating_add(u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX));
        self.deadline.store(at.max(1), Ordering::Relaxed);
        if let Ok(mut slot) = self.denial.lock() {
            *slot = None;
        }
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

    pub(crate) fn end_statement(&self) {
        self.deadline.store(0, Ordering::Relaxed);
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

/// Why an action is refused, or `None` when it is allowed.
fn refusal(action: &AuthAction<'_>) -> Option<String> {
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
        | AuthAction::CreateTempView { .. } => Some(
            "TEMP tables, views, indexes and triggers are not allowed: connections are shared \
             between requests; use a regular table or a CTE"
                .into(),
        ),
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => pragma_refusal(pragma_name, pragma_value.is_some()),
        _ => None,
    }
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
