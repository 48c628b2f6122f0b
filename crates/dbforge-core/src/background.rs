//! The gateway's background work, started in one place ([`Core::start_background`]) and
//! stopped together ([`Background::stop`], or dropping it): closing idle databases and
//! measuring the disk's free space, sweeping idle protocol streams, and whatever periodic
//! upkeep a front or ops adds ([`Background::every`]). The tasks hold the core weakly: they
//! end on their own when it is gone.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::service::Core;
use crate::state::Inner;

/// How often idle streams are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// How often expired databases are looked for: they are gone within this of expiring (and
/// answer "not found" from the moment they expire).
const REAP_EVERY: Duration = Duration::from_secs(1);

/// How long after a failed reading of the backup destination's manifests it is read again.
const ADOPT_RETRY: Duration = Duration::from_secs(30);

/// How often the backup schedule looks for databases that are due.
const SCHEDULE_EVERY: Duration = Duration::from_secs(5);

/// Running background tasks; stopped when this is stopped or dropped.
#[must_use = "background work stops when this is dropped"]
pub struct Background {
    tasks: Vec<JoinHandle<()>>,
}

impl Core {
    /// Starts the background work on the current tokio runtime.
    pub fn start_background(&self) -> Background {
        let mut background = Background { tasks: Vec::new() };
        // Every second at most: the disk's free space is measured on the same beat.
        let housekeeping = (self.0.engine.config().idle_timeout / 4)
            .clamp(Duration::from_millis(100), Duration::from_secs(1));
        background.spawn(&self.0, housekeeping, |inner| {
            let engine = Arc::clone(&inner.engine);
            async move {
                let closed = tokio::task::spawn_blocking(move || {
                    engine.disk().check();
                    engine.close_idle()
                })
                .await
                .unwrap_or(0);
                if closed > 0 {
                    tracing::debug!(closed, "closed idle databases");
                }
            }
        });
        background.spawn(&self.0, SWEEP_EVERY, |inner| {
            let streams = Arc::clone(&inner.streams);
            async move {
                // Dropping a stream may roll back a transaction: not on the executor.
                let closed = tokio::task::spawn_blocking({
                    let streams = Arc::clone(&streams);
                    move || streams.sweep()
                })
                .await
                .unwrap_or(0);
                if closed > 0 {
                    tracing::info!(closed, "closed idle libSQL streams");
                }
                metrics::gauge!("dbforge_hrana_streams").set(streams.open_count() as f64);
            }
        });
        background.spawn(&self.0, REAP_EVERY, |inner| {
            let core = Core(Arc::clone(inner));
            async move {
                core.reap_expired().await;
            }
        });
        background.spawn(&self.0, SCHEDULE_EVERY, |inner| {
            let core = Core(Arc::clone(inner));
            async move {
                if core.has_backup_schedule() {
                    let taken = core.run_backup_schedule().await;
                    if taken > 0 {
                        tracing::debug!(taken, "scheduled backups taken");
                    }
                }
            }
        });
        // Once: backups a destination holds that the index lacks (another server's, or
        // this one's before its catalog was lost) are listed again.
        // Tried again while the destination cannot be read.
        let core = Core(Arc::clone(&self.0));
        background.tasks.push(tokio::spawn(async move {
            loop {
                match core.0.backups.adopt_from_store().await {
                    Ok(0) => return,
                    Ok(adopted) => {
                        tracing::info!(adopted, "backups found in the destination were added to the index");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e.message, "could not read the backup destination's manifests; trying again in 30 s");
                        tokio::time::sleep(ADOPT_RETRY).await;
                    }
                }
            }
        }));
        background
    }
}

impl Background {
    /// Runs `work` every `period` until the background work stops.
    pub fn every(&mut self, period: Duration, work: impl Fn() + Send + 'static) {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.tasks.push(tokio::spawn(async move {
            loop {
                tick.tick().await;
                work();
            }
        }));
    }

    /// A task that runs `work` on the core every `period`, ending once the core is gone.
    fn spawn<F: Future<Output = ()> + Send + 'static>(
        &mut self,
        inner: &Arc<Inner>,
        period: Duration,
        work: impl Fn(&Arc<Inner>) -> F + Send + 'static,
    ) {
        let inner: Weak<Inner> = Arc::downgrade(inner);
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.tasks.push(tokio::spawn(async move {
            loop {
                tick.tick().await;
                let Some(inner) = inner.upgrade() else {
                    return;
                };
                work(&inner).await;
            }
        }));
    }

    /// Stops every task (a task in the middle of its work stops at its next await).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
