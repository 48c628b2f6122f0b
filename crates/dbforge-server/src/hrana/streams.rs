//! Open Hrana streams and their batons. A baton names a stream and the number of responses it
//! has had, signed with a key that never leaves the process: it cannot be forged, it changes
//! with every response (an old baton is refused), and it only works for its own database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dbforge_api::DatabaseName;
use dbforge_engine::Stream;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How the gateway keeps streams.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// A stream unused for this long is closed (and what it held rolled back).
    pub idle_timeout: Duration,
    /// The longest one transaction may hold a database's writer.
    pub write_hold_limit: Duration,
    /// Streams open at once, over all databases.
    pub max_streams: usize,
}

/// A stream between two requests.
pub struct StreamState {
    pub stream: Stream,
    /// SQL texts stored with `store_sql`, by id (scoped to the stream, as in Hrana over HTTP).
    pub stored_sql: HashMap<i32, String>,
}

struct Entry {
    database: DatabaseName,
    /// Responses given so far; the baton of the next request must carry this number.
    sequence: u64,
    last_used: Instant,
    /// `None` while a request works on the stream.
    state: Option<StreamState>,
}

/// Why a baton was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatonError {
    /// Not a baton this process signed.
    Invalid,
    /// A baton of another database.
    WrongDatabase,
    /// The stream was closed, expired, or the server restarted.
    Unknown,
    /// An earlier baton of a live stream (the client must use the newest), or a request
    /// while another is still running on the stream.
    Stale,
}

pub struct Streams {
    limits: StreamLimits,
    key: [u8; 32],
    next_id: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
}

type Signer = Hmac<Sha256>;

/// Bytes of the signature kept in a baton (128 bits).
const SIGNATURE_BYTES: usize = 16;

impl Streams {
    pub fn new(limits: StreamLimits) -> Self {
        let mut key = [0u8; 32];
        // Without OS randomness batons would be forgeable: refuse to run rather than fall back.
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut key).expect("the OS random number generator is available");
        Self {
            limits,
            key,
            next_id: AtomicU64::new(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn limits(&self) -> StreamLimits {
        self.limits
    }

    pub fn open_count(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    /// Registers a new stream, leased to the request that opens it; `None` when the stream
    /// limit is reached.
    pub fn open(self: &Arc<Self>, database: DatabaseName) -> Option<Lease> {
        let mut entries = self.entries.lock().ok()?;
        if entries.len() >= self.limits.max_streams {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        entries.insert(
            id,
            Entry {
                database,
                // As if taken once: the opening request is its first.
                sequence: 1,
                last_used: Instant::now(),
                state: None,
            },
        );
        Some(Lease::new(self, id))
    }

    /// Takes the stream a baton names out of the table for one request.
    pub fn take(
        self: &Arc<Self>,
        baton: &str,
        database: &DatabaseName,
    ) -> Result<(Lease, StreamState), BatonError> {
        let (id, sequence, db_name) = self.verify(baton)?;
        if db_name != database.as_str() {
            return Err(BatonError::WrongDatabase);
        }
        let mut entries = self.entries.lock().map_err(|_| BatonError::Unknown)?;
        let entry = entries.get_mut(&id).ok_or(BatonError::Unknown)?;
        if entry.sequence != sequence || entry.state.is_none() {
            return Err(BatonError::Stale);
        }
        entry.last_used = Instant::now();
        // Bumped now, so a second request with the same baton is refused while this one runs.
        entry.sequence += 1;
        let state = entry.state.take().ok_or(BatonError::Stale)?;
        Ok((Lease::new(self, id), state))
    }

    fn give_back(&self, id: u64, state: StreamState) -> Option<String> {
        let mut entries = self.entries.lock().ok()?;
        let entry = entries.get_mut(&id)?;
        entry.last_used = Instant::now();
        entry.state = Some(state);
        Some(self.sign(id, entry.sequence, entry.database.as_str()))
    }

    fn remove(&self, id: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&id);
        }
    }

    /// Closes streams idle past their limit: a stream holding a writer after the write hold
    /// limit (the engine has rolled it back by then), any other after the idle timeout.
    /// Dropping a stream rolls back what it held.
    pub fn sweep(&self) -> usize {
        let now = Instant::now();
        let expired: Vec<Entry> = {
            let Ok(mut entries) = self.entries.lock() else {
                return 0;
            };
            let ids: Vec<u64> = entries
                .iter()
                .filter(|(_, e)| {
                    // A stream in use is never idle; one not yet given back counts from its take.
                    let limit = match &e.state {
                        Some(s) if s.stream.holds_writer() => {
                            self.limits.write_hold_limit.min(self.limits.idle_timeout)
                        }
                        Some(_) => self.limits.idle_timeout,
                        None => return false,
                    };
                    now.duration_since(e.last_used) > limit
                })
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| entries.remove(id)).collect()
        };
        // Dropped outside the lock: rolling back talks to the writer thread.
        let count = expired.len();
        drop(expired);
        count
    }

    /// Sweeps every second until the gateway is gone.
    pub fn start_sweeper(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let streams: Weak<Self> = Arc::downgrade(self);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(streams) = streams.upgrade() else {
                    return;
                };
                let closed = streams.sweep();
                if closed > 0 {
                    tracing::info!(closed, "closed idle libSQL streams");
                }
                metrics::gauge!("dbforge_hrana_streams").set(streams.open_count() as f64);
            }
        });
    }

    fn mac(&self, payload: &str) -> Signer {
        #[allow(clippy::expect_used)]
        let mut mac = Signer::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(payload.as_bytes());
        mac
    }

    fn sign(&self, id: u64, sequence: u64, database: &str) -> String {
        let payload = format!("{id}.{sequence}.{database}");
        let tag = self.mac(&payload).finalize().into_bytes();
        format!(
            "{payload}.{}",
            URL_SAFE_NO_PAD.encode(&tag[..SIGNATURE_BYTES])
        )
    }

    /// Checks a baton's signature and returns what it names.
    fn verify<'b>(&self, baton: &'b str) -> Result<(u64, u64, &'b str), BatonError> {
        let (payload, tag) = baton.rsplit_once('.').ok_or(BatonError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| BatonError::Invalid)?;
        self.mac(payload)
            .verify_truncated_left(&tag)
            .map_err(|_| BatonError::Invalid)?;
        if tag.len() != SIGNATURE_BYTES {
            return Err(BatonError::Invalid);
        }
        let mut parts = payload.splitn(3, '.');
        let id = parts.next().and_then(|p| p.parse().ok());
        let sequence = parts.next().and_then(|p| p.parse().ok());
        match (id, sequence, parts.next()) {
            (Some(id), Some(sequence), Some(database)) => Ok((id, sequence, database)),
            _ => Err(BatonError::Invalid),
        }
    }
}

/// One request's hold on a stream. Give the stream back for a new baton, or close it; a lease
/// dropped otherwise (the request was cancelled) removes the stream, whose own drop rolls back
/// what it held.
pub struct Lease {
    streams: Arc<Streams>,
    id: u64,
    settled: bool,
}

impl Lease {
    fn new(streams: &Arc<Streams>, id: u64) -> Self {
        Self {
            streams: Arc::clone(streams),
            id,
            settled: false,
        }
    }

    /// Returns the stream for the client's next request; `None` if it was swept meanwhile.
    pub fn give_back(mut self, state: StreamState) -> Option<String> {
        self.settled = true;
        self.streams.give_back(self.id, state)
    }

    pub fn close(mut self) {
        self.settled = true;
        self.streams.remove(self.id);
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.settled {
            self.streams.remove(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streams() -> Streams {
        Streams::new(StreamLimits {
            idle_timeout: Duration::from_secs(60),
            write_hold_limit: Duration::from_secs(5),
            max_streams: 2,
        })
    }

    #[test]
    fn batons_are_signed_and_bound_to_their_database() {
        let streams = streams();
        let baton = streams.sign(7, 3, "shop");
        assert_eq!(streams.verify(&baton), Ok((7, 3, "shop")));
        let forged = baton.replacen("7.3", "8.3", 1);
        assert_eq!(streams.verify(&forged), Err(BatonError::Invalid));
        let other_key = self::streams();
        assert_eq!(other_key.verify(&baton), Err(BatonError::Invalid));
        for junk in ["", ".", "abc", "1.2.db.", "1.2.db.AAAA"] {
            assert_eq!(streams.verify(junk), Err(BatonError::Invalid), "{junk}");
        }
    }

    #[test]
    fn the_stream_limit_is_enforced() {
        let streams = Arc::new(streams());
        let name = DatabaseName::parse("db").expect("valid");
        let first = streams.open(name.clone()).expect("room for one");
        let _second = streams.open(name.clone()).expect("room for two");
        assert!(streams.open(name.clone()).is_none());
        // A lease dropped without being settled frees its slot.
        drop(first);
        assert!(streams.open(name).is_some());
    }
}
