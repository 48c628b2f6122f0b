//! The gateway's counters: queries, their errors and latency, requests, bytes on disk (what
//! `GatewayStats` reports; Prometheus gets the same events through the `metrics` facade),
//! and the observers that hear of every finished query.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dbforge_api::{DatabaseName, LatencyPercentiles};
use hdrhistogram::Histogram;

pub struct Stats {
    started: Instant,
    pub requests: AtomicU64,
    pub queries: AtomicU64,
    pub query_errors: AtomicU64,
    /// Query latency in microseconds, 1 µs to 1 hour, 3 significant digits.
    latency: Mutex<Histogram<u64>>,
    /// Bytes on disk of every database, with when they were measured: statting every file
    /// is not free, so the total and the size order of the list reuse one measurement.
    disk: Mutex<Option<Arc<DiskSizes>>>,
    refreshing: AtomicBool,
    /// Told of every finished query (the traffic timeline, later audit and change events).
    observers: Vec<Arc<dyn QueryObserver>>,
}

/// Hears of every query the core runs, after it finished.
pub trait QueryObserver: Send + Sync {
    fn query_finished(&self, elapsed: Duration, ok: bool);
}

/// One measurement of the bytes on disk of every database (file and write-ahead log).
#[derive(Debug)]
pub struct DiskSizes {
    measured: Instant,
    pub per_database: HashMap<DatabaseName, u64>,
    pub total: u64,
}

impl DiskSizes {
    pub fn new(per_database: HashMap<DatabaseName, u64>) -> Self {
        Self {
            measured: Instant::now(),
            total: per_database.values().sum(),
            per_database,
        }
    }
}

impl Default for Stats {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl Stats {
    pub fn new(observers: Vec<Arc<dyn QueryObserver>>) -> Self {
        let histogram =
            Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("constant bounds are valid");
        Self {
            started: Instant::now(),
            requests: AtomicU64::new(0),
            queries: AtomicU64::new(0),
            query_errors: AtomicU64::new(0),
            latency: Mutex::new(histogram),
            disk: Mutex::new(None),
            refreshing: AtomicBool::new(false),
            observers,
        }
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn record_query(&self, elapsed: Duration, ok: bool) {
        self.queries.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.query_errors.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        if let Ok(mut h) = self.latency.lock() {
            h.saturating_record(micros);
        }
        for observer in &self.observers {
            observer.query_finished(elapsed, ok);
        }
        metrics::counter!("dbforge_queries_total", "outcome" => if ok { "ok" } else { "error" })
            .increment(1);
        metrics::histogram!("dbforge_query_duration_seconds").record(elapsed.as_secs_f64());
    }

    pub fn latency(&self) -> LatencyPercentiles {
        let Ok(h) = self.latency.lock() else {
            return LatencyPercentiles::default();
        };
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        LatencyPercentiles {
            count: h.len(),
            p50_ms: ms(0.50),
            p90_ms: ms(0.90),
            p99_ms: ms(0.99),
            max_ms: h.max() as f64 / 1000.0,
        }
    }

    /// The last measured disk usage and whether it is older than `max_age`.
    pub fn disk_sizes(&self, max_age: Duration) -> Option<(Arc<DiskSizes>, bool)> {
        let cached = self.disk.lock().ok()?.clone();
        cached.map(|sizes| {
            let stale = sizes.measured.elapsed() >= max_age;
            (sizes, stale)
        })
    }

    pub fn store_disk_sizes(&self, sizes: DiskSizes) -> Arc<DiskSizes> {
        let sizes = Arc::new(sizes);
        if let Ok(mut cached) = self.disk.lock() {
            *cached = Some(Arc::clone(&sizes));
        }
        self.refreshing.store(false, Ordering::Release);
        sizes
    }

    /// True for the one caller that should start a refresh of the disk usage.
    pub fn begin_disk_refresh(&self) -> bool {
        !self.refreshing.swap(true, Ordering::AcqRel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(pairs: &[(&str, u64)]) -> DiskSizes {
        DiskSizes::new(
            pairs
                .iter()
                .map(|(n, b)| (DatabaseName::parse(n).expect("valid name"), *b))
                .collect(),
        )
    }

    #[test]
    fn disk_sizes_are_reused_until_stale_and_refreshed_by_one_caller() {
        let stats = Stats::default();
        assert!(stats.disk_sizes(Duration::from_secs(2)).is_none());
        stats.store_disk_sizes(sizes(&[("a", 10), ("b", 32)]));
        let (fresh, stale) = stats.disk_sizes(Duration::from_secs(3600)).expect("stored");
        assert!(!stale);
        assert_eq!(fresh.total, 42);
        assert_eq!(
            fresh.per_database[&DatabaseName::parse("b").expect("valid")],
            32
        );
        let (old, stale) = stats.disk_sizes(Duration::ZERO).expect("stored");
        assert!(stale, "older than a zero max age");
        assert_eq!(old.total, 42, "a stale figure is still answered");
        assert!(stats.begin_disk_refresh(), "the first caller refreshes");
        assert!(!stats.begin_disk_refresh(), "only one refresh at a time");
        stats.store_disk_sizes(sizes(&[("a", 1)]));
        assert!(
            stats.begin_disk_refresh(),
            "a stored figure ends the refresh"
        );
        let (new, _) = stats.disk_sizes(Duration::from_secs(3600)).expect("stored");
        assert_eq!(new.total, 1);
    }
}
