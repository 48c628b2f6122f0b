//! The activity log: a bounded in-memory ring of the most recent requests (time, key id,
//! method, route, database, status, duration), filled by the request middleware and read by
//! `GET /admin/activity`. It forgets the oldest entry when full, so its memory is fixed.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use axum::extract::Request;
use axum::response::Response;
use dbforge_api::{ActivityEntry, DatabaseName};

use super::Ops;
use crate::http::UiResponse;
use crate::http::credential::Authentication;

/// Requests the log keeps. At ~200 bytes an entry this is well under a megabyte.
pub const ACTIVITY_CAPACITY: usize = 2_000;

/// What the middleware learns about a request before running it.
pub struct RequestFacts {
    at: SystemTime,
    key_id: Option<String>,
    method: String,
    route: String,
    database: Option<String>,
}

impl RequestFacts {
    /// Reads the facts from the request head (after the credential step); `route` is the
    /// matched pattern.
    pub fn observe(request: &Request, route: &str) -> Self {
        let key_id = request
            .extensions()
            .get::<Authentication>()
            .and_then(Authentication::principal)
            .map(|p| p.key_id().to_string());
        Self {
            at: SystemTime::now(),
            key_id,
            method: crate::http::method_label(request.method()).to_owned(),
            route: route.to_owned(),
            database: database_in_path(route, request.uri().path()),
        }
    }

    pub fn route(&self) -> &str {
        &self.route
    }

    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }
}

/// Feeds an answered request to the activity log and the traffic timeline (a refused key
/// only to the timeline). Dashboard pages
/// and assets are not API traffic, and requests that only observe the gateway (the
/// dashboard's own polling, health checks, metric scrapes) would drown the real traffic, so
/// none of them counts.
pub fn note_request(ops: &Ops, facts: RequestFacts, response: &Response, elapsed: Duration) {
    if response.extensions().get::<UiResponse>().is_some()
        || OBSERVING_ROUTES.contains(&facts.route.as_str())
    {
        return;
    }
    let status = response.status().as_u16();
    ops.timeline.record_request(status);
    // Requests no accepted credential made (refused keys, addresses over a limit before their
    // key was checked) are counted (timeline, metrics) but not logged: anyone can send them,
    // and a flood of them would push the real traffic out of the ring.
    if status != 401 && facts.key_id.is_some() {
        ops.activity.record(facts, status, elapsed);
    }
}

/// The route of `GET /admin/activity`.
pub const ACTIVITY_ROUTE: &str = "/admin/activity";

/// Routes that only observe the gateway; they are left out of the log and the timeline.
pub const OBSERVING_ROUTES: &[&str] = &[
    ACTIVITY_ROUTE,
    "/admin/gateway/stats",
    "/admin/gateway/timeseries",
    "/health",
    "/ready",
    "/metrics",
];

/// The database a request addresses: the path segment where its route pattern has `{name}`,
/// if that segment is a valid database name.
pub fn database_in_path(route: &str, path: &str) -> Option<String> {
    let position = route.split('/').position(|segment| segment == "{name}")?;
    let segment = path.split('/').nth(position)?;
    DatabaseName::parse(segment)
        .ok()
        .map(|n| n.as_str().to_owned())
}

/// Which entries `GET /admin/activity` answers with.
#[derive(Debug, Default, Clone)]
pub struct ActivityFilter {
    /// Only entries older than this id (paging back).
    pub before: Option<u64>,
    pub database: Option<String>,
    /// Substring of the route pattern.
    pub route: Option<String>,
    pub method: Option<String>,
    pub status: Option<StatusFilter>,
    pub key_id: Option<String>,
}

/// A status filter: one code, a class (`4xx`), or every error (`error`: 400 and above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Exact(u16),
    Class(u16),
    Errors,
}

impl StatusFilter {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        if text == "error" || text == "errors" {
            return Ok(Self::Errors);
        }
        if let Some(class) = text.strip_suffix("xx") {
            return match class.parse::<u16>() {
                Ok(c @ 1..=5) => Ok(Self::Class(c)),
                _ => Err(format!("status class {text:?} must be 1xx to 5xx")),
            };
        }
        match text.parse::<u16>() {
            Ok(code @ 100..=599) => Ok(Self::Exact(code)),
            _ => Err(format!(
                "status {text:?} must be a code (404), a class (4xx) or `error`"
            )),
        }
    }

    fn matches(self, status: u16) -> bool {
        match self {
            Self::Exact(code) => status == code,
            Self::Class(class) => status / 100 == class,
            Self::Errors => status >= 400,
        }
    }
}

impl ActivityFilter {
    fn matches(&self, entry: &Recorded) -> bool {
        self.before.is_none_or(|before| entry.id < before)
            && self
                .database
                .as_deref()
                .is_none_or(|db| entry.facts.database.as_deref() == Some(db))
            && self
                .route
                .as_deref()
                .is_none_or(|route| entry.facts.route.contains(route))
            && self
                .method
                .as_deref()
                .is_none_or(|method| entry.facts.method.eq_ignore_ascii_case(method))
            && self
                .status
                .is_none_or(|status| status.matches(entry.status))
            && self
                .key_id
                .as_deref()
                .is_none_or(|key| entry.facts.key_id.as_deref() == Some(key))
    }
}

struct Recorded {
    id: u64,
    facts: RequestFacts,
    status: u16,
    duration: Duration,
}

impl Recorded {
    fn to_entry(&self) -> ActivityEntry {
        ActivityEntry {
            id: self.id,
            at: humantime::format_rfc3339_millis(self.facts.at).to_string(),
            key_id: self.facts.key_id.clone(),
            method: self.facts.method.clone(),
            route: self.facts.route.clone(),
            database: self.facts.database.clone(),
            status: self.status,
            duration_ms: self.duration.as_secs_f64() * 1000.0,
        }
    }
}

/// Per-database totals over the log, for "busiest databases".
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseTraffic {
    pub name: String,
    pub requests: u64,
    pub errors: u64,
    pub total: Duration,
}

pub struct ActivityLog {
    capacity: usize,
    ring: Mutex<Ring>,
}

struct Ring {
    entries: VecDeque<Recorded>,
    next_id: u64,
}

impl Default for ActivityLog {
    fn default() -> Self {
        Self::with_capacity(ACTIVITY_CAPACITY)
    }
}

impl ActivityLog {
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            ring: Mutex::new(Ring {
                entries: VecDeque::with_capacity(capacity),
                next_id: 1,
            }),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn record(&self, facts: RequestFacts, status: u16, duration: Duration) {
        let Ok(mut ring) = self.ring.lock() else {
            return;
        };
        if ring.entries.len() == self.capacity {
            ring.entries.pop_front();
        }
        let id = ring.next_id;
        ring.next_id += 1;
        ring.entries.push_back(Recorded {
            id,
            facts,
            status,
            duration,
        });
    }

    /// Up to `limit` matching entries, newest first, and whether older matches remain.
    pub fn query(&self, filter: &ActivityFilter, limit: usize) -> (Vec<ActivityEntry>, bool) {
        let Ok(ring) = self.ring.lock() else {
            return (Vec::new(), false);
        };
        let mut matching = ring.entries.iter().rev().filter(|e| filter.matches(e));
        let page: Vec<ActivityEntry> = matching
            .by_ref()
            .take(limit)
            .map(Recorded::to_entry)
            .collect();
        let more = matching.next().is_some();
        (page, more)
    }

    /// Requests per database among the entries newer than `window`, busiest first.
    pub fn busiest(&self, window: Duration, top: usize) -> Vec<DatabaseTraffic> {
        let Ok(ring) = self.ring.lock() else {
            return Vec::new();
        };
        let since = SystemTime::now()
            .checked_sub(window)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut totals: std::collections::HashMap<&str, DatabaseTraffic> = Default::default();
        for entry in ring
            .entries
            .iter()
            .rev()
            .take_while(|e| e.facts.at >= since)
        {
            let Some(name) = entry.facts.database.as_deref() else {
                continue;
            };
            let traffic = totals.entry(name).or_insert_with(|| DatabaseTraffic {
                name: name.to_owned(),
                requests: 0,
                errors: 0,
                total: Duration::ZERO,
            });
            traffic.requests += 1;
            traffic.errors += u64::from(entry.status >= 400);
            traffic.total += entry.duration;
        }
        let mut busiest: Vec<DatabaseTraffic> = totals.into_values().collect();
        busiest.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then_with(|| a.name.cmp(&b.name))
        });
        busiest.truncate(top);
        busiest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(route: &str, database: Option<&str>) -> RequestFacts {
        RequestFacts {
            at: SystemTime::now(),
            key_id: Some("k1".into()),
            method: "GET".into(),
            route: route.into(),
            database: database.map(str::to_owned),
        }
    }

    #[test]
    fn the_database_is_read_where_the_route_has_its_name() {
        assert_eq!(
            database_in_path("/api/db/{name}/query", "/api/db/shop/query").as_deref(),
            Some("shop")
        );
        assert_eq!(
            database_in_path(
                "/admin/databases/spawn/{name}",
                "/admin/databases/spawn/a-1"
            )
            .as_deref(),
            Some("a-1")
        );
        assert_eq!(
            database_in_path("/admin/gateway/stats", "/admin/gateway/stats"),
            None
        );
        assert_eq!(
            database_in_path("/api/db/{name}/query", "/api/db/Bad%20Name/query"),
            None
        );
    }

    #[test]
    fn the_ring_forgets_the_oldest_and_answers_newest_first() {
        let log = ActivityLog::with_capacity(3);
        for i in 0..5 {
            log.record(facts("/r", None), 200, Duration::from_millis(i));
        }
        let (entries, more) = log.query(&ActivityFilter::default(), 10);
        let ids: Vec<u64> = entries.iter().map(|e| e.id).collect();
        assert_eq!(ids, [5, 4, 3]);
        assert!(!more);
        let (page, more) = log.query(&ActivityFilter::default(), 2);
        assert_eq!(page.len(), 2);
        assert!(more, "a third entry is left");
        let older = ActivityFilter {
            before: Some(4),
            ..Default::default()
        };
        assert_eq!(
            log.query(&older, 10)
                .0
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            [3]
        );
    }

    #[test]
    fn filters_combine() {
        let log = ActivityLog::with_capacity(10);
        log.record(
            facts("/api/db/{name}/query", Some("a")),
            200,
            Duration::ZERO,
        );
        log.record(
            facts("/api/db/{name}/query", Some("b")),
            400,
            Duration::ZERO,
        );
        log.record(
            facts("/api/db/{name}/tables", Some("b")),
            500,
            Duration::ZERO,
        );
        let filter = ActivityFilter {
            database: Some("b".into()),
            status: Some(StatusFilter::Errors),
            route: Some("query".into()),
            ..Default::default()
        };
        let (entries, _) = log.query(&filter, 10);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].status, 400);
        let five = ActivityFilter {
            status: Some(StatusFilter::Class(5)),
            ..Default::default()
        };
        assert_eq!(log.query(&five, 10).0[0].route, "/api/db/{name}/tables");
    }

    #[test]
    fn status_filters_parse_codes_classes_and_errors() {
        assert_eq!(StatusFilter::parse("404"), Ok(StatusFilter::Exact(404)));
        assert_eq!(StatusFilter::parse("5XX"), Ok(StatusFilter::Class(5)));
        assert_eq!(StatusFilter::parse("error"), Ok(StatusFilter::Errors));
        assert!(StatusFilter::parse("9xx").is_err());
        assert!(StatusFilter::parse("abc").is_err());
        assert!(StatusFilter::parse("42").is_err());
    }

    #[test]
    fn busiest_counts_requests_and_errors_per_database() {
        let log = ActivityLog::with_capacity(10);
        for status in [200, 200, 404] {
            log.record(
                facts("/api/db/{name}/query", Some("hot")),
                status,
                Duration::from_millis(2),
            );
        }
        log.record(
            facts("/api/db/{name}/query", Some("cold")),
            200,
            Duration::ZERO,
        );
        log.record(facts("/admin/gateway/stats", None), 200, Duration::ZERO);
        let busiest = log.busiest(Duration::from_secs(60), 5);
        assert_eq!(busiest.len(), 2);
        assert_eq!(
            (
                busiest[0].name.as_str(),
                busiest[0].requests,
                busiest[0].errors
            ),
            ("hot", 3, 1)
        );
        assert_eq!(busiest[0].total, Duration::from_millis(6));
        assert_eq!(log.busiest(Duration::from_secs(60), 1).len(), 1);
    }
}
