//! Scoped API keys: stored in the catalog database (`_forge/catalog.db`, table `keys`) as the
//! SHA-256 digest of their secret, never the secret, and mirrored in memory by digest, so
//! checking a key on the request path is one map lookup after the one digest.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use dbforge_api::{DatabaseName, ErrorCode, Role};
use rusqlite::{Connection, params};

use crate::auth::{Digest, digest, generate_secret};
use crate::catalog::open_forge_db;
use crate::error::{CoreError, CoreResult};

/// What a key may reach and do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The key's id (`key_` and 16 hex digits).
    pub id: String,
    pub name: String,
    pub role: Role,
    /// Database names, and prefixes ending in `*`.
    pub databases: Vec<String>,
    pub can_create: bool,
}

impl Grant {
    /// Whether one of the key's patterns matches `name` (an admin key matches all).
    pub fn matches(&self, name: &DatabaseName) -> bool {
        self.role == Role::Admin
            || self
                .databases
                .iter()
                .any(|pattern| match pattern.strip_suffix('*') {
                    Some(prefix) => name.as_str().starts_with(prefix),
                    None => pattern == name.as_str(),
                })
    }
}

/// One stored key.
pub(crate) struct StoredKey {
    pub(crate) grant: Arc<Grant>,
    pub(crate) prefix: String,
    pub(crate) created_at_ms: i64,
    pub(crate) expires_at_ms: Option<i64>,
    /// When it was last accepted (0: not since the server started); kept in memory only.
    pub(crate) last_used_ms: AtomicI64,
}

/// The keys, on disk and in memory.
pub(crate) struct KeyStore {
    conn: Mutex<Connection>,
    index: RwLock<Index>,
}

/// The stored keys in memory: by the digest of their secret (each request), and by id (the
/// key that minted a token is looked up on each of the token's requests).
#[derive(Default)]
struct Index {
    by_digest: HashMap<Digest, Arc<StoredKey>>,
    by_id: HashMap<String, Digest>,
}

impl Index {
    fn insert(&mut self, key_digest: Digest, key: Arc<StoredKey>) {
        self.by_id.insert(key.grant.id.clone(), key_digest);
        self.by_digest.insert(key_digest, key);
    }

    fn remove(&mut self, id: &str) {
        if let Some(key_digest) = self.by_id.remove(id) {
            self.by_digest.remove(&key_digest);
        }
    }

    fn by_id(&self, id: &str) -> Option<&Arc<StoredKey>> {
        self.by_id.get(id).and_then(|d| self.by_digest.get(d))
    }
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::internal(format!("keys: {e}"))
}

/// Most database patterns one key may hold: each request of the key is checked against them.
pub const MAX_KEY_PATTERNS: usize = 256;

/// Checks a key's database patterns: at most [`MAX_KEY_PATTERNS`], each a database name, or a
/// prefix of one followed by `*`.
pub(crate) fn check_patterns(patterns: &[String]) -> CoreResult<()> {
    if patterns.len() > MAX_KEY_PATTERNS {
        return Err(CoreError::invalid_request(format!(
            "databases: {} patterns; a key holds at most {MAX_KEY_PATTERNS} (use prefixes)",
            patterns.len()
        )));
    }
    for pattern in patterns {
        let valid = match pattern.strip_suffix('*') {
            Some("") => true,
            Some(prefix) => DatabaseName::parse(prefix).is_ok(),
            None => DatabaseName::parse(pattern).is_ok(),
        };
        if !valid {
            return Err(CoreError::invalid_request(format!(
                "databases: {pattern:?} is neither a database name nor a prefix of one followed \
                 by `*`"
            )));
        }
    }
    Ok(())
}

impl KeyStore {
    /// Opens (creating its table if needed) the key store in `forge_dir`. Blocking.
    pub(crate) fn open(forge_dir: &Path) -> CoreResult<Self> {
        // FULL: a revoked key must stay revoked across a crash.
        let conn = open_forge_db(forge_dir, "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS keys (
                 id TEXT PRIMARY KEY,
                 name TEXT NOT NULL,
                 digest BLOB NOT NULL UNIQUE,
                 prefix TEXT NOT NULL,
                 role TEXT NOT NULL,
                 databases TEXT NOT NULL,
                 can_create INTEGER NOT NULL,
                 created_at_ms INTEGER NOT NULL,
                 expires_at_ms INTEGER
             ) WITHOUT ROWID;",
        )
        .map_err(internal)?;
        let mut index = Index::default();
        {
            let mut stmt = conn
                .prepare(
                    "SELECT id, name, digest, prefix, role, databases, can_create, \
                     created_at_ms, expires_at_ms FROM keys",
                )
                .map_err(internal)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, bool>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, Option<i64>>(8)?,
                    ))
                })
                .map_err(internal)?;
            for row in rows {
                let (id, name, stored, prefix, role, databases, can_create, created, expires) =
                    row.map_err(internal)?;
                let (Ok(key_digest), Some(role)) =
                    (Digest::try_from(stored), Role::from_name(&role))
                else {
                    tracing::warn!(id, "ignoring a stored key that cannot be read");
                    continue;
                };
                let databases = databases
                    .split('\n')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect();
                index.insert(
                    key_digest,
                    Arc::new(StoredKey {
                        grant: Arc::new(Grant {
                            id,
                            name,
                            role,
                            databases,
                            can_create,
                        }),
                        prefix,
                        created_at_ms: created,
                        expires_at_ms: expires,
                        last_used_ms: AtomicI64::new(0),
                    }),
                );
            }
        }
        Ok(Self {
            conn: Mutex::new(conn),
            index: RwLock::new(index),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The key whose secret has this digest, if any.
    pub(crate) fn find(&self, key_digest: &Digest) -> Option<Arc<StoredKey>> {
        self.read().by_digest.get(key_digest).cloned()
    }

    /// The key with this id and the digest of its current secret, if any.
    pub(crate) fn secret_of(&self, id: &str) -> Option<(Arc<StoredKey>, Digest)> {
        let index = self.read();
        let key_digest = *index.by_id.get(id)?;
        let key = index.by_digest.get(&key_digest)?;
        Some((Arc::clone(key), key_digest))
    }

    /// The key with this id, if any.
    pub(crate) fn find_by_id(&self, id: &str) -> Option<Arc<StoredKey>> {
        self.read().by_id(id).cloned()
    }

    /// Every key, by name.
    pub(crate) fn all(&self) -> Vec<Arc<StoredKey>> {
        let mut keys: Vec<_> = self.read().by_digest.values().cloned().collect();
        keys.sort_by(|a, b| (&a.grant.name, &a.grant.id).cmp(&(&b.grant.name, &b.grant.id)));
        keys
    }

    /// Stores a new key; answers it and its secret. Blocking.
    pub(crate) fn create(
        &self,
        grant: Grant,
        created_at_ms: i64,
        expires_at_ms: Option<i64>,
    ) -> CoreResult<(Arc<StoredKey>, String)> {
        let secret = generate_secret().map_err(internal)?;
        let key_digest = digest(&secret);
        let stored = Arc::new(StoredKey {
            prefix: secret_prefix(&secret),
            grant: Arc::new(grant),
            created_at_ms,
            expires_at_ms,
            last_used_ms: AtomicI64::new(0),
        });
        let conn = self.conn();
        conn.execute(
            "INSERT INTO keys (id, name, digest, prefix, role, databases, can_create, \
             created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                stored.grant.id,
                stored.grant.name,
                key_digest.as_slice(),
                stored.prefix,
                stored.grant.role.as_str(),
                stored.grant.databases.join("\n"),
                stored.grant.can_create,
                created_at_ms,
                expires_at_ms,
            ],
        )
        .map_err(internal)?;
        self.write().insert(key_digest, Arc::clone(&stored));
        Ok((stored, secret))
    }

    /// Revokes a key at once: its next request is refused. Blocking.
    pub(crate) fn revoke(&self, id: &str) -> CoreResult<()> {
        let conn = self.conn();
        self.find_by_id(id).ok_or_else(|| not_found(id))?;
        conn.execute("DELETE FROM keys WHERE id = ?1", [id])
            .map_err(internal)?;
        self.write().remove(id);
        Ok(())
    }

    /// Gives a key a new secret with the same grants (the old one stops working). Blocking.
    pub(crate) fn rotate(&self, id: &str) -> CoreResult<(Arc<StoredKey>, String)> {
        let conn = self.conn();
        let old = self.find_by_id(id).ok_or_else(|| not_found(id))?;
        let secret = generate_secret().map_err(internal)?;
        let key_digest = digest(&secret);
        let stored = Arc::new(StoredKey {
            grant: Arc::clone(&old.grant),
            prefix: secret_prefix(&secret),
            created_at_ms: old.created_at_ms,
            expires_at_ms: old.expires_at_ms,
            last_used_ms: AtomicI64::new(old.last_used_ms.load(Ordering::Relaxed)),
        });
        conn.execute(
            "UPDATE keys SET digest = ?2, prefix = ?3 WHERE id = ?1",
            params![id, key_digest.as_slice(), stored.prefix],
        )
        .map_err(internal)?;
        let mut index = self.write();
        index.remove(id);
        index.insert(key_digest, Arc::clone(&stored));
        Ok((stored, secret))
    }
}

fn not_found(id: &str) -> CoreError {
    CoreError::new(ErrorCode::KeyNotFound, format!("no API key with id {id:?}"))
}

/// The first characters of a secret, shown to tell keys apart (`dbf_` and 4 hex digits).
fn secret_prefix(secret: &str) -> String {
    secret.chars().take(8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(databases: &[&str], role: Role) -> Grant {
        Grant {
            id: "key_test".into(),
            name: "test".into(),
            role,
            databases: databases.iter().map(|d| (*d).to_owned()).collect(),
            can_create: false,
        }
    }

    fn name(text: &str) -> DatabaseName {
        DatabaseName::parse(text).expect("valid name")
    }

    #[test]
    fn patterns_match_names_and_prefixes_only() {
        let g = grant(&["shop", "ci-*"], Role::ReadWrite);
        assert!(g.matches(&name("shop")) && g.matches(&name("ci-1")) && g.matches(&name("ci-")));
        assert!(!g.matches(&name("shop2")) && !g.matches(&name("ci")) && !g.matches(&name("x")));
        assert!(grant(&["*"], Role::ReadOnly).matches(&name("anything")));
        assert!(grant(&[], Role::Admin).matches(&name("anything")));
        assert!(!grant(&[], Role::ReadWrite).matches(&name("anything")));
    }

    #[test]
    fn only_names_and_prefixes_are_patterns() {
        for good in ["shop", "ci-*", "*", "a_b-1"] {
            assert!(check_patterns(&[good.to_owned()]).is_ok(), "{good}");
        }
        for bad in ["Shop", "ci*x", "**", "../x", "", "a b"] {
            assert!(check_patterns(&[bad.to_owned()]).is_err(), "{bad}");
        }
        let many = |n: usize| (0..n).map(|i| format!("db{i}")).collect::<Vec<_>>();
        assert!(check_patterns(&many(MAX_KEY_PATTERNS)).is_ok());
        assert!(check_patterns(&many(MAX_KEY_PATTERNS + 1)).is_err());
    }

    #[test]
    fn keys_survive_reopening_and_revoked_or_rotated_secrets_stop_working() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = KeyStore::open(dir.path()).expect("open");
        let (kept, kept_secret) = store
            .create(grant(&["a"], Role::ReadWrite), 1, None)
            .expect("create");
        let mut other = grant(&["b"], Role::ReadOnly);
        other.id = "key_other".into();
        let (_, other_secret) = store.create(other, 2, Some(99)).expect("create");
        assert!(kept_secret.starts_with("dbf_") && kept.prefix == kept_secret[..8]);
        let reopened = KeyStore::open(dir.path()).expect("reopen");
        let found = reopened.find(&digest(&kept_secret)).expect("stored");
        assert_eq!(found.grant, kept.grant);
        assert_eq!(
            reopened
                .find(&digest(&other_secret))
                .map(|k| k.expires_at_ms),
            Some(Some(99))
        );
        reopened.revoke("key_other").expect("revoke");
        assert!(reopened.find(&digest(&other_secret)).is_none());
        let (_, new_secret) = reopened.rotate("key_test").expect("rotate");
        assert!(
            reopened.find(&digest(&kept_secret)).is_none(),
            "the old secret is gone"
        );
        assert!(reopened.find(&digest(&new_secret)).is_some());
        let again = KeyStore::open(dir.path()).expect("reopen");
        assert_eq!(again.all().len(), 1);
        assert!(
            again.find(&digest(&new_secret)).is_some(),
            "rotation is stored"
        );
        assert_eq!(
            again.revoke("key_nope").err().map(|e| e.code),
            Some(ErrorCode::KeyNotFound)
        );
    }
}
