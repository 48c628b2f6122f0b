//! Protocol streams (a libSQL client's session: interactive transactions, stored SQL) and
//! their batons. A baton names a stream and the number of responses it has had, signed with a
//! key that never leaves the process: it cannot be forged, it changes with every response (an
//! old baton is refused), and it only works for its own database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dbforge_api::DatabaseName;
use dbforge_engine::{Admitted, Stream};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::auth::KeyId;

/// How the gateway keeps streams.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// A stream unused for this long is closed (and what it held rolled back).
    pub idle_timeout: Duration,
    /// The longest one transaction may hold a database's writer.
    pub write_hold_limit: Duration,
    /// The longest a BEGIN waits for another transaction to free the writer (`SQLITE_BUSY`).
    pub write_wait_limit: Duration,
    /// Streams open at once, over all databases.
    pub max_streams: usize,
    /// Streams open at once on one database, so that one tenant cannot take them all.
    pub max_streams_per_database: usize,
    /// The longest a read transaction (`BEGIN TRANSACTION READONLY`) may stay open.
    pub read_transaction_timeout: Duration,
    /// Bytes of SQL one stream may store, one database's streams together, and all streams.
    pub stored_sql: StoredSqlLimits,
}

/// Bounds on the SQL texts streams keep with `store_sql`.
#[derive(Debug, Clone, Copy)]
pub struct StoredSqlLimits {
    pub per_stream: usize,
    pub per_database: usize,
    pub total: usize,
}

/// Texts one stream may store, whatever their size.
pub const MAX_STORED_SQL_TEXTS: usize = 1_024;

/// A stream between two requests.
pub struct StreamState {
    pub stream: Stream,
    /// SQL texts stored with `store_sql`, by id (scoped to the stream, as in Hrana over HTTP).
    pub stored_sql: StoredSql,
    /// The current request's place among its database's requests in flight (none between
    /// requests).
    pub(crate) admitted: Option<Admitted>,
}

/// Why a text could not be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreRefusal {
    IdInUse,
    /// The limit that would be passed, described.
    Full(String),
}

/// A stream's stored SQL texts, their bytes counted against the limits of the stream, its
/// database and the server; given back when the stream goes away.
pub struct StoredSql {
    texts: HashMap<i32, String>,
    bytes: usize,
    database: DatabaseName,
    ledger: Arc<Ledger>,
}

/// Stored SQL bytes per database and in all.
struct Ledger {
    limits: StoredSqlLimits,
    held: Mutex<(HashMap<DatabaseName, usize>, usize)>,
}

impl Ledger {
    fn take(&self, database: &DatabaseName, bytes: usize) -> Result<(), String> {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (per_database, total) = &mut *held;
        let here = per_database.get(database).copied().unwrap_or(0);
        if here + bytes > self.limits.per_database {
            return Err(format!(
                "the streams of this database store {} MiB of SQL in all at most \
                 (--max-stored-sql-per-database)",
                self.limits.per_database >> 20
            ));
        }
        if *total + bytes > self.limits.total {
            return Err(format!(
                "the server's streams store {} MiB of SQL in all at most (--max-stored-sql)",
                self.limits.total >> 20
            ));
        }
        per_database.insert(database.clone(), here + bytes);
        *total += bytes;
        Ok(())
    }

    fn give_back(&self, database: &DatabaseName, bytes: usize) {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (per_database, total) = &mut *held;
        *total = total.saturating_sub(bytes);
        if let Some(here) = per_database.get_mut(database) {
            *here = here.saturating_sub(bytes);
            if *here == 0 {
                per_database.remove(database);
            }
        }
    }
}

impl StoredSql {
    pub fn get(&self, id: i32) -> Option<&String> {
        self.texts.get(&id)
    }

    /// Stores `sql` under `id`, within the limits.
    pub fn store(&mut self, id: i32, sql: String) -> Result<(), StoreRefusal> {
        if self.texts.contains_key(&id) {
            return Err(StoreRefusal::IdInUse);
        }
        let limits = self.ledger.limits;
        if self.texts.len() >= MAX_STORED_SQL_TEXTS || self.bytes + sql.len() > limits.per_stream {
            return Err(StoreRefusal::Full(format!(
                "a stream stores at most {MAX_STORED_SQL_TEXTS} SQL texts of {} KiB in all \
                 (--max-stored-sql-per-stream)",
                limits.per_stream >> 10
            )));
        }
        self.ledger
            .take(&self.database, sql.len())
            .map_err(StoreRefusal::Full)?;
        self.bytes += sql.len();
        self.texts.insert(id, sql);
        Ok(())
    }

    pub fn remove(&mut self, id: i32) {
        if let Some(sql) = self.texts.remove(&id) {
            self.bytes -= sql.len();
            self.ledger.give_back(&self.database, sql.len());
        }
    }
}

impl Drop for StoredSql {
    fn drop(&mut self) {
        self.ledger.give_back(&self.database, self.bytes);
    }
}

struct Entry {
    database: DatabaseName,
    /// The database's incarnation (see `CatalogEntry::incarnation`): a baton kept across
    /// the deletion and re-creation of its database's name does not reach the new one.
    incarnation: u64,
    /// The credential that opened the stream: only it may use the stream's batons (a baton
    /// seen in a log or proxy must not lend another caller its transaction or its access).
    owner: KeyId,
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
    /// A baton of a stream another credential opened.
    WrongCaller,
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
    stored_sql: Arc<Ledger>,
}

/// Why a stream could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenRefusal {
    /// The server's limit (`--max-streams`).
    ServerFull,
    /// The database's limit (`--max-streams-per-database`).
    DatabaseFull,
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
            stored_sql: Arc::new(Ledger {
                limits: limits.stored_sql,
                held: Mutex::default(),
            }),
            limits,
            key,
            next_id: AtomicU64::new(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// An empty store of SQL texts for a new stream on `database`.
    pub fn stored_sql(&self, database: DatabaseName) -> StoredSql {
        StoredSql {
            texts: HashMap::new(),
            bytes: 0,
            database,
            ledger: Arc::clone(&self.stored_sql),
        }
    }

    /// Bytes of SQL stored by all streams.
    #[cfg(test)]
    fn stored_sql_bytes(&self) -> usize {
        self.stored_sql.held.lock().map_or(0, |held| held.1)
    }

    pub fn limits(&self) -> StreamLimits {
        self.limits
    }

    pub fn open_count(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    /// Registers a new stream on `database` (in its `incarnation`), leased to the request
    /// that opens it, unless the server or the database has as many as it may.
    pub fn open(
        self: &Arc<Self>,
        database: DatabaseName,
        incarnation: u64,
        owner: KeyId,
    ) -> Result<Lease, OpenRefusal> {
        let mut entries = self.entries.lock().map_err(|_| OpenRefusal::ServerFull)?;
        if entries.len() >= self.limits.max_streams {
            return Err(OpenRefusal::ServerFull);
        }
        let on_database = entries.values().filter(|e| e.database == database).count();
        if on_database >= self.limits.max_streams_per_database {
            return Err(OpenRefusal::DatabaseFull);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        entries.insert(
            id,
            Entry {
                database,
                incarnation,
                owner,
                // As if taken once: the opening request is its first.
                sequence: 1,
                last_used: Instant::now(),
                state: None,
            },
        );
        Ok(Lease::new(self, id))
    }

    /// Closes every stream of `database` (it is being deleted), rolling back what they held.
    pub fn close_database(&self, database: &DatabaseName) {
        let closed: Vec<Entry> = {
            let Ok(mut entries) = self.entries.lock() else {
                return;
            };
            let ids: Vec<u64> = entries
                .iter()
                .filter(|(_, e)| &e.database == database)
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| entries.remove(id)).collect()
        };
        // Dropped outside the lock: rolling back talks to the writer thread.
        drop(closed);
    }

    /// Takes the stream a baton names out of the table for one request by `caller`.
    pub fn take(
        self: &Arc<Self>,
        baton: &str,
        database: &DatabaseName,
        incarnation: u64,
        caller: KeyId,
    ) -> Result<(Lease, StreamState), BatonError> {
        let (id, sequence, db_name) = self.verify(baton)?;
        if db_name != database.as_str() {
            return Err(BatonError::WrongDatabase);
        }
        let mut entries = self.entries.lock().map_err(|_| BatonError::Unknown)?;
        let entry = entries.get_mut(&id).ok_or(BatonError::Unknown)?;
        if entry.incarnation != incarnation {
            // The database was deleted and its name given to a new one.
            return Err(BatonError::Unknown);
        }
        if entry.owner != caller {
            return Err(BatonError::WrongCaller);
        }
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

    /// Closes streams idle for longer than the idle timeout, rolling back what they held, and
    /// ends read transactions held past their limit. (A stream holding the writer has it
    /// taken away sooner, by the engine's hold limit; a stream stays, so that its client
    /// learns why.)
    pub fn sweep(&self) -> usize {
        let now = Instant::now();
        let expired: Vec<Entry> = {
            let Ok(mut entries) = self.entries.lock() else {
                return 0;
            };
            for state in entries.values_mut().filter_map(|e| e.state.as_mut()) {
                // Ending it only drops a read-only connection: quick enough under the lock.
                state
                    .stream
                    .expire_read_transaction(self.limits.read_transaction_timeout);
            }
            let ids: Vec<u64> = entries
                .iter()
                // A stream in use (its state taken) is never idle.
                .filter(|(_, e)| {
                    e.state.is_some() && now.duration_since(e.last_used) > self.limits.idle_timeout
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

    const OWNER: KeyId = KeyId::new([1, 2, 3, 4, 5, 6]);

    fn streams() -> Streams {
        Streams::new(StreamLimits {
            idle_timeout: Duration::from_secs(60),
            write_hold_limit: Duration::from_secs(5),
            write_wait_limit: Duration::from_secs(1),
            max_streams: 3,
            max_streams_per_database: 2,
            read_transaction_timeout: Duration::from_secs(5),
            stored_sql: StoredSqlLimits {
                per_stream: 100,
                per_database: 150,
                total: 250,
            },
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
    fn the_stream_limits_are_enforced() {
        let streams = Arc::new(streams());
        let name = DatabaseName::parse("db").expect("valid");
        let other = DatabaseName::parse("other").expect("valid");
        let first = streams.open(name.clone(), 1, OWNER).expect("room for one");
        let _second = streams.open(name.clone(), 1, OWNER).expect("room for two");
        assert_eq!(
            streams.open(name.clone(), 1, OWNER).err(),
            Some(OpenRefusal::DatabaseFull),
            "a database holds at most its share"
        );
        let _third = streams
            .open(other.clone(), 1, OWNER)
            .expect("another database has room");
        assert_eq!(
            streams.open(other, 1, OWNER).err(),
            Some(OpenRefusal::ServerFull)
        );
        // A lease dropped without being settled frees its slot.
        drop(first);
        assert!(streams.open(name, 1, OWNER).is_ok());
    }

    #[test]
    fn stored_sql_is_bounded_per_stream_per_database_and_in_all() {
        let streams = streams();
        let db = DatabaseName::parse("db").expect("valid");
        let other = DatabaseName::parse("other").expect("valid");
        let mut first = streams.stored_sql(db.clone());
        first.store(1, "x".repeat(60)).expect("fits");
        assert_eq!(first.store(1, "y".into()), Err(StoreRefusal::IdInUse));
        assert!(
            first.store(2, "x".repeat(41)).is_err(),
            "over the stream's share"
        );
        let mut second = streams.stored_sql(db.clone());
        second.store(1, "x".repeat(90)).expect("fits");
        assert!(
            second.store(2, "x".to_owned()).is_err(),
            "over the database's share"
        );
        let mut third = streams.stored_sql(other.clone());
        third.store(1, "x".repeat(100)).expect("fits");
        let mut fourth = streams.stored_sql(other);
        assert!(
            fourth.store(1, "x".to_owned()).is_err(),
            "over the server's total"
        );
        drop(second);
        fourth
            .store(1, "x".to_owned())
            .expect("a closed stream gave its bytes back");
        first.remove(1);
        assert_eq!(streams.stored_sql_bytes(), 101);
    }
}
