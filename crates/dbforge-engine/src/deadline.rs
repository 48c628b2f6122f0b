//! When user SQL must stop. A [`Deadline`] belongs to one request: the time its work must end
//! by, and a flag its front raises when the client goes away. Every statement the request runs
//! is watched: the watchdog thread interrupts it at its deadline (the statement time limit or
//! the request's, whichever comes first), and cancelling the request interrupts it at once.
//!
//! Interrupting takes two signals, because SQLite checks for them in different places: a
//! per-connection stop flag read by the progress handler (between virtual machine steps), and
//! `sqlite3_interrupt` (read inside long single steps such as `count(*)`, integrity checks and
//! the parser, which the progress handler never reaches).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::InterruptHandle;

/// One request's deadline and cancellation.
#[derive(Clone)]
pub struct Deadline {
    inner: Arc<Shared>,
}

struct Shared {
    at: Instant,
    cancelled: AtomicBool,
    /// Set when one of the request's statements ran [`ABANDON_GRACE`] past its deadline
    /// without ending: its caller is answered, the statement left to end on its own thread.
    ran_away: AtomicBool,
    ran_away_signal: tokio::sync::Notify,
    /// Statements of this request running now, to interrupt them on cancel.
    running: Mutex<Vec<(u64, Target)>>,
}

/// How long past its deadline the engine still waits for an interrupted statement. One that
/// is interrupted ends within milliseconds, unless it is inside a single long SQLite step that
/// nothing interrupts (a huge pattern match, a long run of expensive expressions): then its
/// caller is answered after this grace, and the statement ends on its own thread.
pub(crate) const ABANDON_GRACE: Duration = Duration::from_millis(500);

impl std::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deadline")
            .field("in", &self.remaining())
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl Deadline {
    /// A request whose work must end within `limit` from now.
    pub fn after(limit: Duration) -> Self {
        let now = Instant::now();
        Self {
            inner: Arc::new(Shared {
                at: now
                    .checked_add(limit)
                    .unwrap_or(now + Duration::from_secs(86_400 * 365)),
                cancelled: AtomicBool::new(false),
                ran_away: AtomicBool::new(false),
                ran_away_signal: tokio::sync::Notify::new(),
                running: Mutex::new(Vec::new()),
            }),
        }
    }

    /// When the request's work must end.
    pub fn at(&self) -> Instant {
        self.inner.at
    }

    /// Time left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.inner.at.saturating_duration_since(Instant::now())
    }

    /// Whether the request's work must stop: cancelled, its time is up, or one of its
    /// statements ran away.
    pub fn is_over(&self) -> bool {
        self.is_cancelled()
            || self.inner.ran_away.load(Ordering::Relaxed)
            || Instant::now() >= self.inner.at
    }

    /// Completes when a statement of this request runs [`ABANDON_GRACE`] past its deadline
    /// without ending. The engine waits for its threads with this beside: past it, the
    /// caller gets [`abandoned`] and the thread finishes the statement alone.
    pub(crate) async fn ran_away(&self) {
        loop {
            let signalled = self.inner.ran_away_signal.notified();
            if self.inner.ran_away.load(Ordering::Relaxed) {
                return;
            }
            signalled.await;
        }
    }

    /// Waits for `work` (done on another thread) unless a statement of the request runs
    /// away first.
    pub(crate) async fn unless_ran_away<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, crate::EngineError>>,
    ) -> Result<T, crate::EngineError> {
        tokio::select! {
            done = work => done,
            () = self.ran_away() => Err(abandoned()),
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    /// Stops the request's work: its running statements are interrupted, the next ones
    /// refused.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Relaxed);
        for (_, target) in lock(&self.inner.running).iter() {
            target.stop();
        }
    }

    /// A guard that cancels the request when dropped: the front holds it for as long as the
    /// client waits, so work whose client went away stops.
    pub fn cancel_on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }

    /// The instant a statement starting now must end: after `timeout`, or at the request's
    /// deadline if that is sooner.
    pub(crate) fn statement_end(&self, timeout: Duration) -> Instant {
        let now = Instant::now();
        now.checked_add(timeout)
            .map_or(self.inner.at, |end| end.min(self.inner.at))
    }

    /// Watches a statement on a connection until the returned guard drops: it is stopped at
    /// `until`, or when the request is cancelled. `None` when the request is already over.
    pub(crate) fn watch(&self, until: Instant, target: &Target) -> Option<Watch> {
        let id = next_watch_id();
        {
            let mut running = lock(&self.inner.running);
            if self.is_cancelled() {
                return None;
            }
            running.push((id, target.clone()));
        }
        if let Ok(watchdog) = started() {
            watchdog.watch(id, until, target.clone(), Arc::clone(&self.inner));
        }
        Some(Watch {
            id,
            deadline: self.clone(),
        })
    }
}

/// Cancels its request when dropped (see [`Deadline::cancel_on_drop`]); [`CancelOnDrop::disarm`]
/// lets the request end normally.
pub struct CancelOnDrop(Deadline);

impl CancelOnDrop {
    /// The request finished: nothing to cancel.
    pub fn disarm(self) {
        std::mem::forget(self);
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// What interrupting a statement on one connection takes.
#[derive(Clone)]
pub(crate) struct Target {
    /// Read by the connection's progress handler.
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) interrupt: Arc<InterruptHandle>,
}

impl Target {
    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.interrupt.interrupt();
    }
}

/// A watched statement; dropping it ends the watch.
pub(crate) struct Watch {
    id: u64,
    deadline: Deadline,
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Ok(watchdog) = started() {
            watchdog.unwatch(self.id);
        }
        lock(&self.deadline.inner.running).retain(|(id, _)| *id != self.id);
    }
}

/// The error of a statement abandoned past its deadline (see [`ABANDON_GRACE`]).
pub(crate) fn abandoned() -> crate::EngineError {
    metrics::counter!("dbforge_abandoned_statements_total").increment(1);
    crate::EngineError::new(
        dbforge_api::ErrorCode::QueryTimeout,
        "the statement ran past its time limit inside a single SQLite step that cannot be \
         interrupted; the request was answered and the statement, which changes nothing, \
         ends on its own (make the values or the expression smaller)",
    )
}

fn next_watch_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here is a single insert, removal or scan: a panic inside one
    // leaves nothing half-done, so a poisoned lock is still usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How often an interrupted statement that has not ended yet is interrupted again. SQLite
/// clears its interrupt flag whenever no statement on the connection is active (as a
/// statement starts, as parsing starts), so one interrupt sent just before can be lost.
const INTERRUPT_REPEAT: Duration = Duration::from_millis(10);

/// The thread that interrupts statements at their deadlines, and again every
/// [`INTERRUPT_REPEAT`] until they end.
struct Watchdog {
    state: Mutex<Watched>,
    changed: Condvar,
}

#[derive(Default)]
struct Watched {
    /// Statements by the time they are (next) interrupted.
    by_time: BTreeMap<(Instant, u64), Entry>,
    /// Each statement's key in `by_time`.
    due: HashMap<u64, Instant>,
}

struct Entry {
    target: Target,
    request: Arc<Shared>,
    /// When it was first interrupted.
    interrupted_at: Option<Instant>,
}

/// The watchdog, started on first use; `Err` if its thread could not be started.
fn started() -> &'static Result<&'static Watchdog, String> {
    static WATCHDOG: OnceLock<Result<&'static Watchdog, String>> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let watchdog: &'static Watchdog = Box::leak(Box::new(Watchdog {
            state: Mutex::new(Watched::default()),
            changed: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("dbforge-watchdog".into())
            .spawn(move || watchdog.run())
            .map(|_| watchdog)
            .map_err(|e| format!("could not start the statement watchdog: {e}"))
    })
}

/// Starts the watchdog thread now: the engine refuses to run without it, rather than leave
/// statements without their deadlines.
pub(crate) fn start_watchdog() -> Result<(), String> {
    started().as_ref().map(|_| ()).map_err(Clone::clone)
}

impl Watchdog {
    fn watch(&self, id: u64, until: Instant, target: Target, request: Arc<Shared>) {
        let mut state = lock(&self.state);
        let earliest = state
            .by_time
            .keys()
            .next()
            .is_none_or(|(first, _)| until < *first);
        let entry = Entry {
            target,
            request,
            interrupted_at: None,
        };
        state.by_time.insert((until, id), entry);
        state.due.insert(id, until);
        drop(state);
        // The thread sleeps until the earliest time it knows: wake it for an earlier one.
        if earliest {
            self.changed.notify_one();
        }
    }

    fn unwatch(&self, id: u64) {
        let mut state = lock(&self.state);
        if let Some(due) = state.due.remove(&id) {
            state.by_time.remove(&(due, id));
        }
    }

    fn run(&self) {
        let mut state = lock(&self.state);
        loop {
            let now = Instant::now();
            while let Some(entry) = state.by_time.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let ((_, id), mut entry) = entry.remove_entry();
                // Interrupted under the lock: the statement's own thread unwatches under it
                // too, so a statement that already ended is never interrupted.
                entry.target.stop();
                let first = *entry.interrupted_at.get_or_insert(now);
                if now >= first + ABANDON_GRACE
                    && !entry.request.ran_away.swap(true, Ordering::Relaxed)
                {
                    entry.request.ran_away_signal.notify_waiters();
                    tracing::warn!(
                        "a statement ran past its deadline inside an uninterruptible SQLite \
                         step; its request was answered and the statement left to end"
                    );
                }
                let again = now + INTERRUPT_REPEAT;
                state.by_time.insert((again, id), entry);
                state.due.insert(id, again);
            }
            let wait = state
                .by_time
                .keys()
                .next()
                .map(|(first, _)| first.saturating_duration_since(now));
            state = match wait {
                Some(wait) => {
                    self.changed
                        .wait_timeout(state, wait)
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .0
                }
                None => self
                    .changed
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn target(conn: &Connection) -> Target {
        Target {
            stop: Arc::new(AtomicBool::new(false)),
            interrupt: Arc::new(conn.get_interrupt_handle()),
        }
    }

    #[test]
    fn a_statement_is_stopped_at_its_deadline() {
        let conn = Connection::open_in_memory().expect("open");
        let target = target(&conn);
        let deadline = Deadline::after(Duration::from_secs(60));
        let until = Instant::now() + Duration::from_millis(50);
        let _watch = deadline.watch(until, &target).expect("not over");
        let started = Instant::now();
        while !target.stop.load(Ordering::Relaxed) {
            assert!(started.elapsed() < Duration::from_secs(5), "never stopped");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(started.elapsed() >= Duration::from_millis(40));
    }

    #[test]
    fn cancelling_stops_running_statements_and_refuses_new_ones() {
        let conn = Connection::open_in_memory().expect("open");
        let target = target(&conn);
        let deadline = Deadline::after(Duration::from_secs(60));
        let watch = deadline
            .watch(deadline.statement_end(Duration::from_secs(30)), &target)
            .expect("not over");
        drop(deadline.cancel_on_drop());
        assert!(target.stop.load(Ordering::Relaxed));
        assert!(deadline.is_over());
        drop(watch);
        assert!(deadline.watch(Instant::now(), &target).is_none());
    }

    #[test]
    fn an_ended_watch_is_never_fired() {
        let conn = Connection::open_in_memory().expect("open");
        let target = target(&conn);
        let deadline = Deadline::after(Duration::from_secs(60));
        let watch = deadline
            .watch(Instant::now() + Duration::from_millis(30), &target)
            .expect("not over");
        drop(watch);
        std::thread::sleep(Duration::from_millis(80));
        assert!(!target.stop.load(Ordering::Relaxed));
        deadline.cancel_on_drop().disarm();
        assert!(!deadline.is_over());
    }

    #[test]
    fn statements_end_at_the_request_deadline_when_it_is_sooner() {
        let deadline = Deadline::after(Duration::from_millis(100));
        assert!(deadline.statement_end(Duration::from_secs(5)) <= deadline.at());
        let long = Deadline::after(Duration::from_secs(600));
        assert!(long.statement_end(Duration::from_secs(5)) < long.at());
    }
}
