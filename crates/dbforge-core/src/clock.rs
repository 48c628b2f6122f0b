//! Times as the catalog stores them (milliseconds since the Unix epoch) and as the API shows
//! them (RFC 3339), converted in one place.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `at` in milliseconds since the epoch (0 before it).
pub(crate) fn millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Now, in milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    millis(SystemTime::now())
}

/// An RFC 3339 time with any offset (`2027-01-31T00:00:00Z`, `...+02:00`), in milliseconds
/// since the epoch.
pub fn parse_rfc3339_ms(text: &str) -> Result<i64, String> {
    let at =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("{e}; use RFC 3339, e.g. 2027-01-31T00:00:00Z"))?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).map_err(|_| "out of range".to_owned())
}

/// Milliseconds since the epoch as RFC 3339 in UTC, to the millisecond.
pub(crate) fn rfc3339(ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(at).to_string()
}
