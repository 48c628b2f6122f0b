//! What results may cost. The limits count the bytes a front will actually send (each value
//! as encoded, plus what its encoding adds per value and per row, column names included when
//! every row repeats them), per request (`max_result_bytes`) and over all requests held in
//! memory at once ([`ResultMemory`]): a result is charged as its rows are collected and gives
//! its bytes back when dropped, after the front has sent it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dbforge_api::{ErrorCode, MAX_SAFE_INTEGER, Value};

use crate::EngineError;

/// How a front encodes a result, so that the limits count what it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    /// Bytes the front adds around each value (separators, quotes of a key, a type tag).
    pub per_value: usize,
    /// Whether every row repeats the column names (JSON objects).
    pub names_per_row: bool,
}

impl Default for Encoding {
    /// JSON arrays: a comma per value.
    fn default() -> Self {
        Self {
            per_value: 1,
            names_per_row: false,
        }
    }
}

/// Bytes of `value` in JSON as the fronts write it: text quoted and escaped, blobs in base64
/// inside `{"base64": ...}`, large integers possibly as `{"integer": "..."}`.
pub fn wire_size(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Integer(i) if !(-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(i) => 34,
        Value::Integer(i) => decimal_digits(i.unsigned_abs()) + usize::from(*i < 0),
        Value::Real(_) => 24,
        Value::Text(t) => {
            let mut escapes = 0;
            for &b in t.as_bytes() {
                escapes += usize::from(ESCAPE_EXTRA[usize::from(b)]);
            }
            t.len() + 2 + escapes
        }
        Value::Blob(b) => b.len().div_ceil(3) * 4 + 13,
    }
}

/// Bytes JSON adds to escape each byte of a string: `\"`, `\\` and the common controls
/// take two bytes, the other controls six (`\u00XX`).
const ESCAPE_EXTRA: [u8; 256] = {
    let mut extra = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        extra[b] = 5;
        b += 1;
    }
    extra[b'"' as usize] = 1;
    extra[b'\\' as usize] = 1;
    extra[b'\n' as usize] = 1;
    extra[b'\r' as usize] = 1;
    extra[b'\t' as usize] = 1;
    extra[0x08] = 1;
    extra[0x0c] = 1;
    extra
};

fn decimal_digits(mut n: u64) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

/// Bytes held in memory at once by many holders, against a limit: taken before they are
/// held, given back when they are freed. The server's result memory and its request-body
/// memory are both one.
#[derive(Debug)]
pub struct MemoryBudget {
    used: AtomicUsize,
    limit: usize,
}

impl MemoryBudget {
    pub fn new(limit: usize) -> Self {
        Self {
            used: AtomicUsize::new(0),
            limit,
        }
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Takes `bytes` if they fit under the limit.
    pub fn try_take(&self, bytes: usize) -> bool {
        self.try_take_below(bytes, self.limit)
    }

    /// Takes `bytes` if they fit under `ceiling` (at most the limit).
    pub fn try_take_below(&self, bytes: usize, ceiling: usize) -> bool {
        let ceiling = ceiling.min(self.limit);
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let Some(next) = used.checked_add(bytes).filter(|n| *n <= ceiling) else {
                return false;
            };
            match self
                .used
                .compare_exchange_weak(used, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => used = now,
            }
        }
    }

    /// Gives back `bytes` taken before.
    pub fn give_back(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// Result bytes held in memory now, over all requests, against a limit. The last part of
/// it ([`ResultMemory::reserve`]) is kept for small results: a request's first
/// [`CHARGE_STEP`] may use it, anything beyond may not, so large results held by slow
/// clients cannot refuse another tenant's `SELECT 1`.
#[derive(Debug)]
pub struct ResultMemory {
    budget: MemoryBudget,
}

/// The most kept for small results: room for 64 requests' first step at once.
const SMALL_RESULTS_RESERVE: usize = 64 * CHARGE_STEP;

impl ResultMemory {
    pub fn new(limit: usize) -> Self {
        Self {
            budget: MemoryBudget::new(limit),
        }
    }

    /// Bytes only small results may take: an eighth of the limit, at most 4 MiB.
    pub fn reserve(&self) -> usize {
        (self.budget.limit / 8).min(SMALL_RESULTS_RESERVE)
    }

    /// Bytes of results held now.
    pub fn used(&self) -> usize {
        self.budget.used()
    }

    /// Takes `bytes` if they fit: under the whole limit for a request's first step
    /// (`small`), under the limit less the reserve otherwise.
    fn try_take(&self, bytes: usize, small: bool) -> bool {
        if small {
            self.budget.try_take(bytes)
        } else {
            self.budget
                .try_take_below(bytes, self.budget.limit - self.reserve())
        }
    }

    fn give_back(&self, bytes: usize) {
        self.budget.give_back(bytes);
    }
}

/// A result's share of [`ResultMemory`], given back when the last clone is dropped. A front
/// that turns a result into something else keeps it until that is sent.
#[derive(Clone, Default)]
pub struct ResultCharge(Option<Arc<Held>>);

struct Held {
    memory: Arc<ResultMemory>,
    bytes: usize,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.memory.give_back(self.bytes);
    }
}

impl ResultCharge {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.0.as_ref().map_or(0, |held| held.bytes)
    }
}

impl std::fmt::Debug for ResultCharge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResultCharge({} bytes)", self.bytes())
    }
}

/// Charges are bookkeeping, not content: two results are equal whatever they hold.
impl PartialEq for ResultCharge {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Memory is taken from [`ResultMemory`] in steps of this much, so a small result costs one
/// atomic operation, not one per row.
const CHARGE_STEP: usize = 64 * 1024;

/// What a request may still return, shared by its statements: bytes under the request's
/// limit, taken from the server's result memory as rows are collected.
pub(crate) struct ResultBudget {
    bytes_left: usize,
    memory: Arc<ResultMemory>,
    /// Taken from `memory` and not yet handed to a statement's result.
    reserved: usize,
    /// Handed out to the statement being collected.
    collected: usize,
    /// Taken from `memory` so far, over the request's statements.
    taken: usize,
}

impl ResultBudget {
    /// A request may return `bytes`, drawn from `memory`.
    pub(crate) fn new(bytes: usize, memory: &Arc<ResultMemory>) -> Self {
        Self {
            bytes_left: bytes,
            memory: Arc::clone(memory),
            reserved: 0,
            collected: 0,
            taken: 0,
        }
    }

    /// Whether a row of `bytes` fits under the request's limit.
    pub(crate) fn fits(&self, bytes: usize) -> bool {
        bytes <= self.bytes_left
    }

    /// Takes `bytes` for the statement being collected; fails when the server holds as many
    /// results as its memory allows.
    pub(crate) fn spend(&mut self, bytes: usize) -> Result<(), EngineError> {
        if self.reserved < bytes {
            let step = (bytes - self.reserved).max(CHARGE_STEP);
            let small = self.taken + step <= CHARGE_STEP;
            if !self.memory.try_take(step, small) {
                return Err(EngineError::new(
                    ErrorCode::ServerBusy,
                    "the server holds as many results as its memory limit allows \
                     (--max-result-memory); retry shortly, or ask for fewer rows",
                ));
            }
            self.reserved += step;
            self.taken += step;
        }
        self.reserved -= bytes;
        self.collected += bytes;
        self.bytes_left -= bytes;
        Ok(())
    }

    /// The charge for what the statement just collected, held by its result.
    pub(crate) fn settle(&mut self) -> ResultCharge {
        let bytes = std::mem::take(&mut self.collected);
        if bytes == 0 {
            return ResultCharge::default();
        }
        ResultCharge(Some(Arc::new(Held {
            memory: Arc::clone(&self.memory),
            bytes,
        })))
    }

    /// The statement being collected failed: what it took goes back to the reserve and to
    /// the request's limit.
    pub(crate) fn discard(&mut self) {
        let bytes = std::mem::take(&mut self.collected);
        self.reserved += bytes;
        self.bytes_left += bytes;
    }
}

impl Drop for ResultBudget {
    fn drop(&mut self) {
        let unused = self.reserved + self.collected;
        if unused > 0 {
            self.memory.give_back(unused);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_sizes_count_what_json_sends() {
        assert_eq!(wire_size(&Value::Null), "null".len());
        assert_eq!(wire_size(&Value::Integer(-120)), "-120".len());
        assert_eq!(wire_size(&Value::Integer(0)), 1);
        assert_eq!(
            wire_size(&Value::Text("a\"b\n".into())),
            "\"a\\\"b\\n\"".len()
        );
        assert_eq!(wire_size(&Value::Text("\u{1}".into())), "\"\\u0001\"".len());
        assert_eq!(
            wire_size(&Value::Blob(vec![1, 2, 3, 4])),
            r#"{"base64":"AQIDBA=="}"#.len()
        );
    }

    #[test]
    fn results_are_charged_to_the_servers_memory_until_dropped() {
        let memory = Arc::new(ResultMemory::new(200 * 1024));
        let mut budget = ResultBudget::new(usize::MAX, &memory);
        budget.spend(100).expect("room");
        let first = budget.settle();
        assert_eq!(first.bytes(), 100);
        assert_eq!(memory.used(), CHARGE_STEP, "charged a step at once");
        budget.spend(150 * 1024).expect("room");
        let second = budget.settle();
        let mut other = ResultBudget::new(usize::MAX, &memory);
        assert!(
            other.spend(100 * 1024).is_err(),
            "the server's memory is full"
        );
        drop(other);
        drop(budget);
        assert_eq!(memory.used(), 100 + 150 * 1024, "reserves went back");
        drop((first, second));
        assert_eq!(memory.used(), 0, "every byte went back");
    }

    #[test]
    fn large_results_leave_the_reserve_to_small_ones() {
        let memory = Arc::new(ResultMemory::new(1 << 20));
        assert_eq!(memory.reserve(), 128 * 1024, "an eighth of a small limit");
        let mut large = ResultBudget::new(usize::MAX, &memory);
        let mut held = Vec::new();
        while large.spend(CHARGE_STEP).is_ok() {
            held.push(large.settle());
        }
        assert_eq!(
            memory.used(),
            (1 << 20) - memory.reserve(),
            "a large result stops short of the reserve"
        );
        // Two small results fit in the reserve; a third request's first step does not.
        let mut small = ResultBudget::new(usize::MAX, &memory);
        small.spend(10).expect("a small result fits");
        let mut another = ResultBudget::new(usize::MAX, &memory);
        another.spend(CHARGE_STEP).expect("a first step fits");
        let mut third = ResultBudget::new(usize::MAX, &memory);
        assert!(third.spend(1).is_err(), "the reserve is used up");
        // A small result may not grow into a large one on the reserve.
        assert!(small.spend(2 * CHARGE_STEP).is_err());
        drop((small, another, third, large, held));
        assert_eq!(memory.used(), 0);
        assert_eq!(
            ResultMemory::new(512 << 20).reserve(),
            4 << 20,
            "at most 4 MiB"
        );
    }

    #[test]
    fn a_failed_statement_gives_back_what_it_collected() {
        let memory = Arc::new(ResultMemory::new(1 << 20));
        let mut budget = ResultBudget::new(1000, &memory);
        budget.spend(400).expect("room");
        budget.discard();
        assert!(budget.fits(1000), "the request's limit is whole again");
        drop(budget);
        assert_eq!(memory.used(), 0);
    }
}
