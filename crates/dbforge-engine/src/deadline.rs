//! When user SQL must stop. A [`Deadline`] belongs to one request: the time its work must end
//! by, and a flag its front raises when the client goes away. Every statement the request runs
//! is watched: a watchdog thread interrupts it at its deadline (the statement time limit or the
//! request's, whichever comes first), or within a tick of the request being cancelled.
//!
//! Interrupting takes two signals, because SQLite checks for them in different places: a
//! per-connection stop flag read by the progress handler (between virtual machine steps), and
//! `sqlite3_interrupt` (read inside long single steps such as `count(*)`, integrity checks and
//! the parser, which the progress handler never reaches).
//!
//! Each connection registers once; a statement only writes its deadline into its connection's
//! slot, so watching costs no shared lock on the request path. The watchdog looks at the slots
//! every [`TICK`] while any statement runs.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use rusqlite::InterruptHandle;

/// How often the watchdog looks at running statements: the precision of deadlines and how
/// soon a cancelled request's statements stop. SQLite clears its interrupt flag whenever no
/// statement on the connection is active, so a statement past its deadline is interrupted
/// again at every tick until it ends.
const TICK: Duration = Duration::from_millis(10);

/// How long past its deadline the engine still waits for an interrupted statement. One that
/// is interrupted ends within milliseconds, unless it is inside a single long SQLite step that
/// nothing interrupts (a huge pattern match, a long run of expensive expressions): then its
/// caller is answered after this grace, and the statement ends on its own thread.
pub(crate) const ABANDON_GRACE: Duration = Duration::from_millis(500);

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
}

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

    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    /// Stops the request's work: its running statements are interrupted at the watchdog's
    /// next tick, the next ones refused.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Relaxed);
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

    /// Watches the statement about to run on `target`'s connection until the returned guard
    /// drops: it is stopped at `until`, or when the request is cancelled. `None` when the
    /// request is already over.
    pub(crate) fn watch(&self, until: Instant, target: &Target) -> Option<Watch> {
        if self.is_over() {
            return None;
        }
        {
            let mut slot = target.slot.lock();
            slot.until = Some(until);
            slot.request = Some(Arc::clone(&self.inner));
            slot.interrupted_at = None;
        }
        let watchdog = watchdog();
        // Sequentially consistent with the watchdog's own store and load (below), so that
        // one of the two sides always sees the other.
        watchdog.running.fetch_add(1, Ordering::SeqCst);
        if watchdog.asleep.load(Ordering::SeqCst) {
            // The watchdog sleeps after a while without statements: wake it (under its lock,
            // so the wake-up cannot slip between its look at the count and its wait).
            let _idle = lock(&watchdog.idle);
            watchdog.wake.notify_one();
        }
        Some(Watch {
            target: target.clone(),
        })
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

/// A connection as the watchdog sees it: registered once, for as long as it lives.
#[derive(Clone)]
pub(crate) struct Target {
    /// Read by the connection's progress handler.
    pub(crate) stop: Arc<AtomicBool>,
    slot: Arc<Slot>,
}

struct Slot {
    interrupt: InterruptHandle,
    state: Mutex<SlotState>,
}

/// The statement running on a connection, if any. The watchdog interrupts under this lock and
/// the statement's thread clears it under the lock too, so a statement that has ended is never
/// interrupted.
#[derive(Default)]
struct SlotState {
    until: Option<Instant>,
    request: Option<Arc<Shared>>,
    /// When the watchdog first interrupted the running statement.
    interrupted_at: Option<Instant>,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, SlotState> {
        lock(&self.state)
    }
}

impl Target {
    /// Registers `conn` with the watchdog.
    pub(crate) fn register(conn: &rusqlite::Connection) -> Self {
        let target = Self {
            stop: Arc::default(),
            slot: Arc::new(Slot {
                interrupt: conn.get_interrupt_handle(),
                state: Mutex::default(),
            }),
        };
        lock(&watchdog().slots).push((Arc::downgrade(&target.slot), Arc::clone(&target.stop)));
        target
    }
}

/// A watched statement; dropping it ends the watch.
pub(crate) struct Watch {
    target: Target,
}

impl Drop for Watch {
    fn drop(&mut self) {
        *self.target.slot.lock() = SlotState::default();
        watchdog().running.fetch_sub(1, Ordering::Relaxed);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here is a few stores or a scan: a panic inside one leaves
    // nothing half-done, so a poisoned lock is still usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The thread that stops statements: it looks at every registered connection each [`TICK`]
/// while statements run, and sleeps otherwise.
struct Watchdog {
    slots: Mutex<Vec<(Weak<Slot>, Arc<AtomicBool>)>>,
    /// Statements being watched now.
    running: AtomicUsize,
    /// Set while the thread waits to be woken (no statement for [`LINGER`]).
    asleep: AtomicBool,
    idle: Mutex<()>,
    wake: Condvar,
}

/// How long the watchdog keeps ticking after the last statement before it sleeps: under
/// steady traffic it never needs waking (a wake-up per statement would cost a system call).
const LINGER: Duration = Duration::from_secs(1);

/// The watchdog, started on first use; `Err` if its thread could not be started.
fn started() -> &'static Result<&'static Watchdog, String> {
    static WATCHDOG: OnceLock<Result<&'static Watchdog, String>> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let watchdog = Watchdog::leaked();
        std::thread::Builder::new()
            .name("dbforge-watchdog".into())
            .spawn(move || watchdog.run())
            .map(|_| watchdog)
            .map_err(|e| format!("could not start the statement watchdog: {e}"))
    })
}

fn watchdog() -> &'static Watchdog {
    // `Engine::new` refuses to run when the thread could not start (see `start_watchdog`);
    // tests that skip it get one that is never woken, and whose statements are never stopped.
    static UNSTARTED: OnceLock<&'static Watchdog> = OnceLock::new();
    match started() {
        Ok(watchdog) => watchdog,
        Err(_) => UNSTARTED.get_or_init(Watchdog::leaked),
    }
}

/// Starts the watchdog thread now: the engine refuses to run without it, rather than leave
/// statements without their deadlines.
pub(crate) fn start_watchdog() -> Result<(), String> {
    started().as_ref().map(|_| ()).map_err(Clone::clone)
}

impl Watchdog {
    /// A watchdog that lives as long as the process (its thread and every statement use it).
    fn leaked() -> &'static Self {
        Box::leak(Box::new(Self {
            slots: Mutex::new(Vec::new()),
            running: AtomicUsize::new(0),
            asleep: AtomicBool::new(false),
            idle: Mutex::new(()),
            wake: Condvar::new(),
        }))
    }

    fn run(&self) {
        let mut last_busy = Instant::now();
        loop {
            if self.running.load(Ordering::Relaxed) > 0 {
                last_busy = Instant::now();
            } else if last_busy.elapsed() >= LINGER {
                let idle = lock(&self.idle);
                self.asleep.store(true, Ordering::SeqCst);
                if self.running.load(Ordering::SeqCst) == 0 {
                    // Woken by the next statement.
                    let _idle = self
                        .wake
                        .wait(idle)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
                self.asleep.store(false, Ordering::Relaxed);
                last_busy = Instant::now();
                continue;
            }
            std::thread::sleep(TICK);
            self.look();
        }
    }

    /// Interrupts every statement past its deadline or of a cancelled request, and tells a
    /// request when one of its statements outlives its grace.
    fn look(&self) {
        let now = Instant::now();
        let mut slots = lock(&self.slots);
        slots.retain(|(slot, _)| slot.strong_count() > 0);
        for (slot, stop) in slots.iter() {
            let Some(slot) = slot.upgrade() else { continue };
            let mut state = slot.lock();
            let Some(until) = state.until else { continue };
            let cancelled = state
                .request
                .as_ref()
                .is_some_and(|r| r.cancelled.load(Ordering::Relaxed));
            if now < until && !cancelled {
                continue;
            }
            stop.store(true, Ordering::Relaxed);
            slot.interrupt.interrupt();
            let first = *state.interrupted_at.get_or_insert(now);
            if now >= first + ABANDON_GRACE
                && let Some(request) = &state.request
                && !request.ran_away.swap(true, Ordering::Relaxed)
            {
                request.ran_away_signal.notify_waiters();
                tracing::warn!(
                    "a statement ran past its deadline inside an uninterruptible SQLite step; \
                     its request was answered and the statement left to end"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn stopped_within(target: &Target, limit: Duration) -> Option<Duration> {
        let started = Instant::now();
        while !target.stop.load(Ordering::Relaxed) {
            if started.elapsed() > limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Some(started.elapsed())
    }

    #[test]
    fn a_statement_is_stopped_at_its_deadline() {
        start_watchdog().expect("watchdog");
        let conn = Connection::open_in_memory().expect("open");
        let target = Target::register(&conn);
        let deadline = Deadline::after(Duration::from_secs(60));
        let _watch = deadline
            .watch(Instant::now() + Duration::from_millis(50), &target)
            .expect("not over");
        let took = stopped_within(&target, Duration::from_secs(5)).expect("stopped");
        assert!(took >= Duration::from_millis(40), "{took:?}");
    }

    #[test]
    fn cancelling_stops_running_statements_and_refuses_new_ones() {
        start_watchdog().expect("watchdog");
        let conn = Connection::open_in_memory().expect("open");
        let target = Target::register(&conn);
        let deadline = Deadline::after(Duration::from_secs(60));
        let watch = deadline
            .watch(deadline.statement_end(Duration::from_secs(30)), &target)
            .expect("not over");
        drop(deadline.cancel_on_drop());
        assert!(stopped_within(&target, Duration::from_millis(500)).is_some());
        assert!(deadline.is_over());
        drop(watch);
        assert!(deadline.watch(Instant::now(), &target).is_none());
    }

    #[test]
    fn an_ended_watch_is_never_fired() {
        start_watchdog().expect("watchdog");
        let conn = Connection::open_in_memory().expect("open");
        let target = Target::register(&conn);
        let deadline = Deadline::after(Duration::from_secs(60));
        let watch = deadline
            .watch(Instant::now() + Duration::from_millis(30), &target)
            .expect("not over");
        drop(watch);
        assert!(stopped_within(&target, Duration::from_millis(100)).is_none());
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
