//! Recent traffic in fixed intervals (requests, 4xx/5xx answers, queries, query latency
//! percentiles per interval) for the dashboard's charts. Intervals close lazily, when the
//! next event or read arrives, so nothing runs in the background.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dbforge_api::TrafficPoint;
use hdrhistogram::Histogram;

/// Length of one interval.
pub const INTERVAL: Duration = Duration::from_secs(2);
/// Closed intervals kept: five minutes.
pub const KEPT_INTERVALS: usize = 150;

pub struct Timeline {
    started: Instant,
    started_unix_ms: u64,
    open: Mutex<Open>,
}

struct Open {
    /// Index of the open interval since `started`.
    index: u64,
    point: TrafficPoint,
    /// Query latency in microseconds within the open interval; reset when it closes.
    latency: Histogram<u64>,
    closed: VecDeque<TrafficPoint>,
}

impl Default for Timeline {
    fn default() -> Self {
        Self::new(Instant::now())
    }
}

fn empty_point(start_ms: u64) -> TrafficPoint {
    TrafficPoint {
        start_ms,
        seconds: INTERVAL.as_secs_f64(),
        requests: 0,
        client_errors: 0,
        server_errors: 0,
        queries: 0,
        query_errors: 0,
        query_p50_ms: 0.0,
        query_p99_ms: 0.0,
    }
}

impl Timeline {
    pub fn new(started: Instant) -> Self {
        let started_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        // Two significant digits are plenty for a chart and keep the histogram small.
        let latency =
            Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("constant bounds are valid");
        Self {
            started,
            started_unix_ms,
            open: Mutex::new(Open {
                index: 0,
                point: empty_point(started_unix_ms),
                latency,
                closed: VecDeque::with_capacity(KEPT_INTERVALS),
            }),
        }
    }

    fn index_at(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.started);
        u64::try_from(elapsed.as_millis() / INTERVAL.as_millis()).unwrap_or(u64::MAX)
    }

    fn start_ms(&self, index: u64) -> u64 {
        let interval_ms = u64::try_from(INTERVAL.as_millis()).unwrap_or(u64::MAX);
        self.started_unix_ms
            .saturating_add(index.saturating_mul(interval_ms))
    }

    /// Closes every interval that ended before `now` (empty ones included, so the series has
    /// no gaps) and returns the open interval.
    fn advance<'a>(&self, open: &'a mut Open, now: Instant) -> &'a mut Open {
        let current = self.index_at(now);
        if current <= open.index {
            return open;
        }
        let mut closing = open.point;
        if !open.latency.is_empty() {
            closing.query_p50_ms = open.latency.value_at_quantile(0.50) as f64 / 1000.0;
            closing.query_p99_ms = open.latency.value_at_quantile(0.99) as f64 / 1000.0;
        }
        open.latency.reset();
        push_bounded(&mut open.closed, closing);
        // Idle intervals between the closed one and now, at most a full window of them.
        let idle = (current - open.index - 1).min(KEPT_INTERVALS as u64);
        for index in current - idle..current {
            push_bounded(&mut open.closed, empty_point(self.start_ms(index)));
        }
        open.index = current;
        open.point = empty_point(self.start_ms(current));
        open
    }

    pub fn record_request(&self, status: u16) {
        self.record_request_at(Instant::now(), status);
    }

    fn record_request_at(&self, now: Instant, status: u16) {
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        let open = self.advance(&mut open, now);
        open.point.requests += 1;
        match status {
            400..=499 => open.point.client_errors += 1,
            500.. => open.point.server_errors += 1,
            _ => {}
        }
    }

    fn record_query(&self, elapsed: Duration, ok: bool) {
        self.record_query_at(Instant::now(), elapsed, ok);
    }

    fn record_query_at(&self, now: Instant, elapsed: Duration, ok: bool) {
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        let open = self.advance(&mut open, now);
        open.point.queries += 1;
        open.point.query_errors += u64::from(!ok);
        let micros = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        open.latency.saturating_record(micros);
    }

    /// Closed intervals, oldest first, then the open one with the time it has covered so far.
    pub fn points(&self) -> Vec<TrafficPoint> {
        self.points_at(Instant::now())
    }

    fn points_at(&self, now: Instant) -> Vec<TrafficPoint> {
        let Ok(mut open) = self.open.lock() else {
            return Vec::new();
        };
        let open = self.advance(&mut open, now);
        let mut points: Vec<TrafficPoint> = open.closed.iter().copied().collect();
        let mut current = open.point;
        let interval_start =
            self.started + INTERVAL * u32::try_from(open.index).unwrap_or(u32::MAX);
        current.seconds = now
            .saturating_duration_since(interval_start)
            .as_secs_f64()
            .max(0.001);
        if !open.latency.is_empty() {
            current.query_p50_ms = open.latency.value_at_quantile(0.50) as f64 / 1000.0;
            current.query_p99_ms = open.latency.value_at_quantile(0.99) as f64 / 1000.0;
        }
        points.push(current);
        points
    }
}

fn push_bounded(points: &mut VecDeque<TrafficPoint>, point: TrafficPoint) {
    if points.len() == KEPT_INTERVALS {
        points.pop_front();
    }
    points.push_back(point);
}

/// The core tells the timeline of every finished query.
impl dbforge_core::QueryObserver for Timeline {
    fn query_finished(&self, elapsed: Duration, ok: bool) {
        self.record_query(elapsed, ok);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_land_in_their_interval_and_idle_intervals_are_zero() {
        let t0 = Instant::now();
        let timeline = Timeline::new(t0);
        timeline.record_request_at(t0, 200);
        timeline.record_request_at(t0, 404);
        timeline.record_query_at(t0, Duration::from_millis(3), true);
        // Three intervals later: the first closed, two idle ones, a new open one.
        let later = t0 + INTERVAL * 3 + Duration::from_millis(500);
        timeline.record_request_at(later, 503);
        let points = timeline.points_at(later);
        assert_eq!(points.len(), 4);
        assert_eq!((points[0].requests, points[0].client_errors), (2, 1));
        assert_eq!(points[0].queries, 1);
        assert!(
            (2.9..=3.1).contains(&points[0].query_p50_ms),
            "{}",
            points[0].query_p50_ms
        );
        assert_eq!(points[1].requests + points[2].requests, 0);
        assert_eq!((points[3].requests, points[3].server_errors), (1, 1));
        assert!(
            (points[3].seconds - 0.5).abs() < 0.01,
            "the open interval covers 0.5 s"
        );
        assert_eq!(points[1].start_ms - points[0].start_ms, 2_000);
    }

    #[test]
    fn percentiles_are_per_interval_not_since_start() {
        let t0 = Instant::now();
        let timeline = Timeline::new(t0);
        for _ in 0..100 {
            timeline.record_query_at(t0, Duration::from_millis(100), true);
        }
        let next = t0 + INTERVAL;
        timeline.record_query_at(next, Duration::from_millis(1), false);
        let points = timeline.points_at(next);
        assert!(points[0].query_p99_ms >= 99.0);
        assert!(
            points[1].query_p99_ms < 1.1,
            "the slow interval does not leak into the next"
        );
        assert_eq!(points[1].query_errors, 1);
    }

    #[test]
    fn the_window_is_bounded() {
        let t0 = Instant::now();
        let timeline = Timeline::new(t0);
        let much_later = t0 + INTERVAL * 10_000;
        assert_eq!(timeline.points_at(much_later).len(), KEPT_INTERVALS + 1);
    }
}
