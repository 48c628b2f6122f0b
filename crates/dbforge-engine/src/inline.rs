//! Reads proven cheap enough to run on the async executor, sparing them the hand-off to a
//! blocking thread (two thread wake-ups, a quarter of a point read's cost).
//!
//! User SQL must never hold an executor thread long enough to matter (the hardening issue's
//! first finding: a single SQLite step, such as a pattern match, can run for minutes and
//! nothing interrupts it). So a statement runs inline only when all of this holds:
//! - its text ran before on a blocking thread, on the same reader connection, at the same
//!   schema, in few steps, and SQLite compiled it to virtual machine operations that each do
//!   bounded work ([`CHEAP_OPCODES`]: no function calls, no sorts, no aggregate, no virtual
//!   tables, no count-by-b-tree): each step costs at most a b-tree seek or one value's copy;
//! - its parameters and its text are small;
//! - it runs under a budget of steps ([`INLINE_MAX_STEPS`]) and time ([`INLINE_BUDGET`])
//!   checked every few operations, with no busy wait: past it, or on a lock, it stops (a read
//!   changes nothing) and runs again on a blocking thread. Past the steps it is demoted at
//!   once; past the time after [`MAX_TIME_OVERRUNS`] (one can be the thread's preemption);
//! - no schema change is under way (the writer marks one from the moment it prepares DDL until
//!   its transaction ends, see [`SchemaEpoch`]), so it cannot start re-reading the schema.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dbforge_api::{Params, Value};
use rusqlite::Connection;

/// How long an inline read may take before it is stopped and sent to a blocking thread.
pub(crate) const INLINE_BUDGET: Duration = Duration::from_millis(1);

/// Virtual machine operations between checks of the budget while a read runs inline.
pub(crate) const INLINE_PROGRESS_STEPS: i32 = 4;

/// Most virtual machine steps a read may take inline.
pub(crate) const INLINE_MAX_STEPS: u64 = 2 * PROMOTE_WITHIN_STEPS;

/// Times a text may run past [`INLINE_BUDGET`] inline before it is demoted: once can be the
/// thread being preempted; more is the statement (a value of megabytes read in one step).
const MAX_TIME_OVERRUNS: u8 = 3;

/// Clean inline runs that forgive one overrun of [`INLINE_BUDGET`].
const RUNS_PER_FORGIVEN_OVERRUN: u16 = 1_000;

/// How an inline read ran out of its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Overrun {
    /// More steps than [`INLINE_MAX_STEPS`]: the statement is long (now), not cheap.
    Steps = 1,
    /// Past [`INLINE_BUDGET`]: expensive steps, or the thread was preempted.
    Time = 2,
}

impl Overrun {
    /// The overrun stored as `self as u8` (0: none), as the progress handler leaves it.
    pub(crate) fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Steps),
            2 => Some(Self::Time),
            _ => None,
        }
    }
}

/// A text is trusted inline only after a run on a blocking thread of at most this many
/// virtual machine steps (a point read takes about ten; steps, unlike time, do not depend on
/// what else the machine is doing).
pub(crate) const PROMOTE_WITHIN_STEPS: u64 = 1_000;

/// Longest SQL text, and most parameter bytes, a read may have to run inline.
pub(crate) const MAX_INLINE_SQL_BYTES: usize = 2_048;
pub(crate) const MAX_INLINE_PARAM_BYTES: usize = 4_096;

/// Texts judged per reader connection before the memo starts afresh.
const MAX_VERDICTS: usize = 256;

/// The virtual machine operations of a statement that may run inline: each does a bounded
/// amount of work (a b-tree seek or step, a comparison or copy of one value, arithmetic,
/// control flow). Anything else (function calls, sorts, aggregates, virtual tables, `OP_Count`,
/// sub-programs) keeps the statement off the executor.
const CHEAP_OPCODES: &[&str] = &[
    "Init",
    "Goto",
    "Halt",
    "Transaction",
    "TableLock",
    "OpenRead",
    "ReopenIdx",
    "OpenEphemeral",
    "OpenDup",
    "ColumnsUsed",
    "Explain",
    "Noop",
    "Trace",
    "CursorHint",
    "Close",
    "Integer",
    "Int64",
    "Real",
    "String8",
    "String",
    "Null",
    "SoftNull",
    "Blob",
    "Variable",
    "Copy",
    "SCopy",
    "IntCopy",
    "Move",
    "ResultRow",
    "Column",
    "Rowid",
    "NullRow",
    "Offset",
    "SeekRowid",
    "NotExists",
    "SeekGE",
    "SeekGT",
    "SeekLE",
    "SeekLT",
    "SeekScan",
    "SeekHit",
    "IdxGE",
    "IdxGT",
    "IdxLE",
    "IdxLT",
    "IdxRowid",
    "DeferredSeek",
    "FinishSeek",
    "Rewind",
    "Last",
    "Next",
    "Prev",
    "Eq",
    "Ne",
    "Lt",
    "Le",
    "Gt",
    "Ge",
    "ElseEq",
    "If",
    "IfNot",
    "IsNull",
    "NotNull",
    "IsTrue",
    "IsType",
    "Not",
    "And",
    "Or",
    "Affinity",
    "TypeCheck",
    "MustBeInt",
    "RealAffinity",
    "Once",
    "IfPos",
    "IfNotZero",
    "DecrJumpZero",
    "OffsetLimit",
    "Return",
    "Gosub",
    "BeginSubrtn",
    "InitCoroutine",
    "EndCoroutine",
    "Yield",
    "Jump",
    "Compare",
    "Permutation",
    "Add",
    "Subtract",
    "Multiply",
    "Divide",
    "Remainder",
    "BitAnd",
    "BitOr",
    "BitNot",
    "ShiftLeft",
    "ShiftRight",
    "Sequence",
    "Found",
    "NotFound",
    "NoConflict",
    "IfNoHope",
    "IdxInsert",
    "MakeRecord",
    "RowSetAdd",
    "RowSetRead",
    "RowSetTest",
    "Filter",
    "FilterAdd",
    "ZeroOrNull",
    "IfNullRow",
    // In a read-only statement these only fill an ephemeral table (IN lists, materialized
    // subqueries), one row per step.
    "NewRowid",
    "Insert",
];

/// The writer's schema changes as seen by inline reads: an even value is a schema that holds,
/// an odd one a change under way. A reader's verdicts are stamped with the value at which they
/// were made and count only while it holds.
#[derive(Debug, Default)]
pub(crate) struct SchemaEpoch(AtomicU64);

impl SchemaEpoch {
    /// The current schema's number, or `None` while a change is under way.
    pub(crate) fn stable(&self) -> Option<u64> {
        let value = self.0.load(Ordering::SeqCst);
        value.is_multiple_of(2).then_some(value)
    }

    /// The writer is about to change the schema (it prepared DDL): no read runs inline, and
    /// no verdict is made, until [`SchemaEpoch::settle`]. Called on the writer's thread only.
    pub(crate) fn begin_change(&self) {
        let value = self.0.load(Ordering::SeqCst);
        if value.is_multiple_of(2) {
            self.0.store(value + 1, Ordering::SeqCst);
        }
    }

    /// The writer's transaction ended: the schema holds again (under a new number).
    pub(crate) fn settle(&self) {
        let value = self.0.load(Ordering::SeqCst);
        if !value.is_multiple_of(2) {
            self.0.store(value + 1, Ordering::SeqCst);
        }
    }
}

/// One reader connection's judgements of SQL texts: whether each may run inline, and at
/// which schema that was decided.
#[derive(Debug, Default)]
pub(crate) struct Verdicts(HashMap<String, Verdict>);

#[derive(Debug, Clone, Copy)]
struct Verdict {
    epoch: u64,
    cheap: bool,
    /// Runs past [`INLINE_BUDGET`] not yet forgiven, and clean runs since the last one.
    overruns: u8,
    clean_runs: u16,
}

impl Verdicts {
    /// Whether `sql` was judged cheap at schema `epoch`.
    pub(crate) fn is_cheap(&self, sql: &str, epoch: u64) -> bool {
        self.0.get(sql).is_some_and(|v| v.cheap && v.epoch == epoch)
    }

    /// Whether `sql` was judged (either way) at schema `epoch`.
    pub(crate) fn is_judged(&self, sql: &str, epoch: u64) -> bool {
        self.0.get(sql).is_some_and(|v| v.epoch == epoch)
    }

    pub(crate) fn record(&mut self, sql: &str, epoch: u64, cheap: bool) {
        if self.0.len() >= MAX_VERDICTS && !self.0.contains_key(sql) {
            self.0.clear();
        }
        self.0.insert(
            sql.to_owned(),
            Verdict {
                epoch,
                cheap,
                overruns: 0,
                clean_runs: 0,
            },
        );
    }

    /// How an inline run of `sql` went. A run past the step budget demotes the text at once
    /// (it runs on a blocking thread from now on, at this schema); runs past the time budget
    /// do after [`MAX_TIME_OVERRUNS`], less those forgiven by clean runs.
    pub(crate) fn ran(&mut self, sql: &str, overrun: Option<Overrun>) {
        let Some(verdict) = self.0.get_mut(sql) else {
            return;
        };
        match overrun {
            None if verdict.overruns > 0 => {
                verdict.clean_runs += 1;
                if verdict.clean_runs >= RUNS_PER_FORGIVEN_OVERRUN {
                    verdict.overruns -= 1;
                    verdict.clean_runs = 0;
                }
            }
            None => {}
            Some(Overrun::Steps) => verdict.cheap = false,
            Some(Overrun::Time) => {
                verdict.overruns += 1;
                verdict.clean_runs = 0;
                if verdict.overruns >= MAX_TIME_OVERRUNS {
                    verdict.cheap = false;
                }
            }
        }
    }
}

/// Whether a read with this text and these parameters is small enough to be tried inline.
pub(crate) fn small_enough(sql: &str, params: &Params) -> bool {
    if sql.len() > MAX_INLINE_SQL_BYTES {
        return false;
    }
    let value_bytes = |v: &Value| match v {
        Value::Text(s) => s.len(),
        Value::Blob(b) => b.len(),
        Value::Null | Value::Integer(_) | Value::Real(_) => 8,
    };
    let bytes: usize = match params {
        Params::None => 0,
        Params::Positional(values) => values.iter().map(value_bytes).sum(),
        Params::Named(pairs) => pairs.iter().map(|(n, v)| n.len() + value_bytes(v)).sum(),
    };
    bytes <= MAX_INLINE_PARAM_BYTES
}

/// Whether SQLite compiles `sql` only to [`CHEAP_OPCODES`] (read from its `EXPLAIN`).
/// Runs under the connection's sandbox like the statement itself; any failure says no.
pub(crate) fn compiles_cheap(conn: &Connection, sql: &str) -> bool {
    let Ok(mut explain) = conn.prepare(&format!("EXPLAIN {sql}")) else {
        return false;
    };
    // Unbound parameters are NULL: EXPLAIN only compiles the statement.
    let mut rows = explain.raw_query();
    loop {
        match rows.next() {
            Ok(Some(row)) => match row.get_ref(1).map(|v| v.as_str().map(str::to_owned)) {
                Ok(Ok(opcode)) if CHEAP_OPCODES.contains(&opcode.as_str()) => {}
                _ => return false,
            },
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(setup: &str, sql: &str) -> bool {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(setup).expect("setup");
        compiles_cheap(&conn, sql)
    }

    const SCHEMA: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v INTEGER);
                          CREATE INDEX t_name ON t(name);
                          CREATE VIEW slow AS SELECT name LIKE '%a%b' AS m FROM t;";

    #[test]
    fn seeks_and_short_scans_are_cheap() {
        for sql in [
            "SELECT * FROM t WHERE id = ?",
            "SELECT id, name FROM t WHERE name = ? LIMIT 10",
            "SELECT * FROM t WHERE id IN (1, 2, 3)",
            "SELECT * FROM t WHERE v > 10 LIMIT 5",
            "SELECT 1",
        ] {
            assert!(judged(SCHEMA, sql), "{sql}");
        }
    }

    #[test]
    fn functions_sorts_aggregates_and_counts_are_not() {
        for sql in [
            "SELECT name LIKE ? FROM t WHERE id = 1",
            "SELECT printf('%.*c', 100, 'a')",
            "SELECT * FROM t ORDER BY v",
            "SELECT count(*) FROM t",
            "SELECT sum(v) FROM t",
            "SELECT * FROM slow",
            "SELECT * FROM pragma_table_info('t')",
            "SELECT * FROM json_each('[1]')",
            "SELECT * FROM missing",
        ] {
            assert!(!judged(SCHEMA, sql), "{sql}");
        }
    }

    #[test]
    fn a_schema_change_under_way_stops_inline_reads_until_it_settles() {
        let epoch = SchemaEpoch::default();
        assert_eq!(epoch.stable(), Some(0));
        epoch.begin_change();
        epoch.begin_change();
        assert_eq!(epoch.stable(), None);
        epoch.settle();
        assert_eq!(epoch.stable(), Some(2));
        epoch.settle();
        assert_eq!(epoch.stable(), Some(2));
    }

    #[test]
    fn verdicts_hold_at_their_schema_and_a_demotion_sticks() {
        let mut verdicts = Verdicts::default();
        verdicts.record("SELECT 1", 2, true);
        assert!(verdicts.is_cheap("SELECT 1", 2));
        assert!(!verdicts.is_cheap("SELECT 1", 4), "another schema");
        verdicts.ran("SELECT 1", Some(Overrun::Steps));
        assert!(
            !verdicts.is_cheap("SELECT 1", 2),
            "too many steps demote at once"
        );
        assert!(verdicts.is_judged("SELECT 1", 2));

        verdicts.record("SELECT 2", 2, true);
        for _ in 0..MAX_TIME_OVERRUNS - 1 {
            verdicts.ran("SELECT 2", Some(Overrun::Time));
        }
        for _ in 0..RUNS_PER_FORGIVEN_OVERRUN {
            verdicts.ran("SELECT 2", None);
        }
        verdicts.ran("SELECT 2", Some(Overrun::Time));
        assert!(
            verdicts.is_cheap("SELECT 2", 2),
            "a preempted run now and then is forgiven"
        );
        verdicts.ran("SELECT 2", Some(Overrun::Time));
        assert!(
            !verdicts.is_cheap("SELECT 2", 2),
            "overruns in a row demote"
        );
        for i in 0..MAX_VERDICTS + 1 {
            verdicts.record(&format!("SELECT {i}"), 2, true);
        }
        assert!(verdicts.0.len() <= MAX_VERDICTS, "bounded");
    }

    #[test]
    fn large_texts_and_parameters_stay_off_the_executor() {
        assert!(small_enough(
            "SELECT ?",
            &Params::Positional(vec![Value::Integer(1)])
        ));
        let big = Params::Positional(vec![Value::Text("x".repeat(MAX_INLINE_PARAM_BYTES + 1))]);
        assert!(!small_enough("SELECT ?", &big));
        assert!(!small_enough(
            &"x".repeat(MAX_INLINE_SQL_BYTES + 1),
            &Params::None
        ));
    }
}
