//! Rate limits, as token buckets (governor): per scoped credential (keys other than admins',
//! and tokens), per client address (every request), and on failed credentials per address (a
//! run of wrong keys is refused before more are checked, so guessing costs the guesser, and
//! forged tokens cannot make the server verify signatures without end). A refused request is
//! `429 rate_limited` with `Retry-After`; the metrics count refusals by limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::Request;
use dbforge_core::{KeyId, Principal};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A rate as the flags write it: `200/s`, `6000/m`, `100000/h`, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate(pub Option<(NonZeroU32, Duration)>);

impl Rate {
    pub const OFF: Self = Self(None);

    fn quota(self, burst: Option<NonZeroU32>) -> Option<Quota> {
        let (count, period) = self.0?;
        let quota = Quota::with_period(period / count.get())?;
        Some(quota.allow_burst(burst.unwrap_or(count)))
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => f.write_str("off"),
            Some((count, period)) => {
                let unit = match period.as_secs() {
                    60 => "m",
                    3600 => "h",
                    _ => "s",
                };
                write!(f, "{count}/{unit}")
            }
        }
    }
}

/// Parses a [`Rate`] flag.
pub fn parse_rate(text: &str) -> Result<Rate, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(Rate::OFF);
    }
    let (count, unit) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?}: write a rate as N/s, N/m or N/h, or off"))?;
    let count: NonZeroU32 = count
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: the count must be a whole number of at least 1"))?;
    let period = match unit.trim() {
        "s" => Duration::from_secs(1),
        "m" => Duration::from_secs(60),
        "h" => Duration::from_secs(3600),
        other => return Err(format!("{text:?}: unknown unit {other:?} (s, m or h)")),
    };
    Ok(Rate(Some((count, period))))
}

/// The limits, as configured.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleConfig {
    pub per_credential: Rate,
    pub credential_burst: Option<NonZeroU32>,
    pub per_address: Rate,
    pub failed_auth: Rate,
    pub failed_auth_burst: Option<NonZeroU32>,
}

/// Which limit refused a request (the `limit` label of `dbforge_rate_limited_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Credential,
    Address,
    FailedAuth,
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credential => "credential",
            Self::Address => "address",
            Self::FailedAuth => "failed_auth",
        }
    }
}

/// A refusal: which limit, and when to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub limit: Limit,
    pub retry_after: Duration,
}

/// Set by the credential step when a limit refused the request before its credential was
/// checked (the address is over its rate, or over its run of wrong credentials).
#[derive(Debug, Clone, Copy)]
pub struct LimitedBeforeAuth(pub Refusal);

/// The client address of a request (set by the listener; absent in tests that call the router
/// directly).
pub fn client_address(request: &Request) -> Option<std::net::IpAddr> {
    request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
}

/// Client addresses remembered as over the failed-credential limit, at most: past it the
/// oldest refusals are forgotten first (a bound on memory whatever addresses attack).
const MAX_BLOCKED_ADDRESSES: usize = 65_536;

pub struct Throttle {
    per_credential: Option<DefaultKeyedRateLimiter<KeyId>>,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    failed_auth: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Addresses over the failed-credential limit, until when: refused before their
    /// credential is checked. `blocked_count` lets the common case skip the lock.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    blocked_count: AtomicUsize,
    clock: DefaultClock,
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            per_credential: keyed(config.per_credential, config.credential_burst),
            per_address: keyed(config.per_address, None),
            failed_auth: keyed(config.failed_auth, config.failed_auth_burst),
            blocked: Mutex::default(),
            blocked_count: AtomicUsize::new(0),
            clock: DefaultClock::default(),
        }
    }

    /// Before the credential is checked: refuses an address over the failed-credential limit
    /// or over its request rate.
    pub fn before_auth(&self, address: Option<IpAddr>) -> Result<(), Refusal> {
        let Some(address) = address else {
            return Ok(());
        };
        if self.blocked_count.load(Ordering::Relaxed) > 0 {
            let mut blocked = self.blocked();
            if let Some(until) = blocked.get(&address).copied() {
                let now = Instant::now();
                if until > now {
                    return Err(Refusal {
                        limit: Limit::FailedAuth,
                        retry_after: until - now,
                    });
                }
                blocked.remove(&address);
                self.blocked_count.store(blocked.len(), Ordering::Relaxed);
            }
        }
        check(
            self.per_address.as_ref(),
            &address,
            &self.clock,
            Limit::Address,
        )
    }

    /// After a credential was refused: counts the failure; past the limit the address is
    /// refused (before any credential is checked) until its bucket refills.
    pub fn after_failed_auth(&self, address: Option<IpAddr>) -> Result<(), Refusal> {
        let Some(address) = address else {
            return Ok(());
        };
        let refused = check(
            self.failed_auth.as_ref(),
            &address,
            &self.clock,
            Limit::FailedAuth,
        );
        if let Err(refusal) = refused {
            let mut blocked = self.blocked();
            if blocked.len() >= MAX_BLOCKED_ADDRESSES {
                let now = Instant::now();
                blocked.retain(|_, until| *until > now);
                if blocked.len() >= MAX_BLOCKED_ADDRESSES {
                    blocked.clear();
                }
            }
            blocked.insert(address, Instant::now() + refusal.retry_after);
            self.blocked_count.store(blocked.len(), Ordering::Relaxed);
        }
        refused
    }

    /// After a credential was accepted: counts the request against a scoped credential's rate
    /// (admins are not limited: the operator's own keys).
    pub fn after_auth(&self, principal: &Principal) -> Result<(), Refusal> {
        if principal.is_admin() {
            return Ok(());
        }
        check(
            self.per_credential.as_ref(),
            &principal.rate_key(),
            &self.clock,
            Limit::Credential,
        )
    }

    /// Forgets buckets that are full again (run now and then): the keyed stores grow with
    /// every address and credential seen, and a full bucket is the same as none.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_credential {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        for limiter in [&self.per_address, &self.failed_auth].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let now = Instant::now();
        let mut blocked = self.blocked();
        blocked.retain(|_, until| *until > now);
        self.blocked_count.store(blocked.len(), Ordering::Relaxed);
    }

    fn blocked(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Instant>> {
        self.blocked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn keyed<K: std::hash::Hash + Eq + Clone>(
    rate: Rate,
    burst: Option<NonZeroU32>,
) -> Option<DefaultKeyedRateLimiter<K>> {
    rate.quota(burst).map(RateLimiter::keyed)
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: Option<&DefaultKeyedRateLimiter<K>>,
    key: &K,
    clock: &DefaultClock,
    limit: Limit,
) -> Result<(), Refusal> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    limiter.check_key(key).map_err(|not_until| {
        metrics::counter!("dbforge_rate_limited_total", "limit" => limit.as_str()).increment(1);
        Refusal {
            limit,
            retry_after: not_until.wait_time_from(clock.now()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_address: &str, failed: &str, burst: u32) -> Throttle {
        Throttle::new(ThrottleConfig {
            per_credential: Rate::OFF,
            credential_burst: None,
            per_address: parse_rate(per_address).expect("rate"),
            failed_auth: parse_rate(failed).expect("rate"),
            failed_auth_burst: NonZeroU32::new(burst),
        })
    }

    #[test]
    fn rates_parse_and_print_as_written() {
        for text in ["200/s", "6000/m", "5/h", "off"] {
            assert_eq!(parse_rate(text).map(|r| r.to_string()), Ok(text.to_owned()));
        }
        for bad in ["", "200", "0/s", "-1/s", "10/d", "x/s"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_address_over_its_rate_is_refused_and_others_are_not() {
        let throttle = throttle("3/m", "off", 1);
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        for _ in 0..3 {
            assert_eq!(throttle.before_auth(Some(a)), Ok(()));
        }
        let refusal = throttle
            .before_auth(Some(a))
            .expect_err("the fourth in a minute");
        assert_eq!(refusal.limit, Limit::Address);
        assert!(refusal.retry_after > Duration::from_secs(10), "{refusal:?}");
        assert_eq!(throttle.before_auth(Some(b)), Ok(()));
    }

    #[test]
    fn a_run_of_failed_credentials_blocks_the_address_before_any_check() {
        let throttle = throttle("off", "1/h", 5);
        let a: IpAddr = "198.51.100.7".parse().expect("ip");
        for _ in 0..5 {
            assert_eq!(throttle.after_failed_auth(Some(a)), Ok(()));
        }
        let refusal = throttle.after_failed_auth(Some(a)).expect_err("the sixth");
        assert_eq!(refusal.limit, Limit::FailedAuth);
        let before = throttle
            .before_auth(Some(a))
            .expect_err("blocked before auth");
        assert_eq!(before.limit, Limit::FailedAuth);
        let other: IpAddr = "198.51.100.8".parse().expect("ip");
        assert_eq!(throttle.before_auth(Some(other)), Ok(()));
        throttle.forget_idle();
        assert!(
            throttle.before_auth(Some(a)).is_err(),
            "still blocked after upkeep"
        );
    }
}
