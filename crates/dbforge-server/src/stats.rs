//! In-process counters behind `GET /admin/gateway/stats` (Prometheus gets the same events
//! through the `metrics` facade).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dbforge_api::LatencyPercentiles;
use hdrhistogram::Histogram;

use crate::activity::ActivityLog;
use crate::timeline::Timeline;

pub struct Stats {
    started: Instant,
    pub requests: AtomicU64,
    pub queries: AtomicU64,
    pub query_errors: AtomicU64,
    /// Query latency in microseconds, 1 µs to 1 hour, 3 significant digits.
    latency: Mutex<Histogram<u64>>,
    /// Total bytes on disk, with when it was measured: statting every file is not free.
    disk: Mutex<Option<(Instant, u64)>>,
    refreshing: AtomicBool,
    /// The most recent requests, for `GET /admin/activity`.
    pub activity: ActivityLog,
    /// Traffic per interval, for `GET /admin/gateway/timeseries`.
    pub timeline: Timeline,
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    pub fn new() -> Self {
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
            activity: ActivityLog::default(),
            timeline: Timeline::default(),
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
        self.timeline.record_query(elapsed, ok);
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

    /// The last measured total disk usage and whether it is older than `max_age`.
    pub fn disk_bytes(&self, max_age: Duration) -> Option<(u64, bool)> {
        let cached = *self.disk.lock().ok()?;
        cached.map(|(at, bytes)| (bytes, at.elapsed() >= max_age))
    }

    pub fn store_disk_bytes(&self, bytes: u64) {
        if let Ok(mut cached) = self.disk.lock() {
            *cached = Some((Instant::now(), bytes));
        }
        self.refreshing.store(false, Ordering::Release);
    }

    /// True for the one caller that should start a refresh of the disk usage.
    pub fn begin_disk_refresh(&self) -> bool {
        !self.refreshing.swap(true, Ordering::AcqRel)
    }
}
