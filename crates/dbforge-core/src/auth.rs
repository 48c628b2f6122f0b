//! Authentication: the one place a credential is checked. Keys are compared by their SHA-256
//! digests in constant time (one digest per request); the admin key is configured, or
//! generated on first start and kept in `_forge/admin.key` (0600). A checked key becomes a
//! [`Principal`], which every operation takes; scoped keys will narrow what it may reach.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use dbforge_api::Role;
use dbforge_engine::Access;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

use crate::catalog::CatalogEntry;
use crate::keys::{Grant, KeyStore};
use crate::tokens::{TokenGrant, TokenRefusal, Tokens, looks_like_token};

/// The well-known key `--dev` accepts.
pub const DEV_KEY: &str = "development-api-key-12345";

/// The shortest admin key accepted outside `--dev`: a short key is guessed by anyone who can
/// reach the port (a generated key has 47 characters, 256 random bits).
pub const MIN_ADMIN_KEY_CHARS: usize = 16;

/// Where the admin key came from, to tell the operator once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Configured,
    Generated { path: PathBuf, key: String },
    Stored { path: PathBuf },
    DevOnly,
}

#[derive(Clone)]
pub struct Auth {
    digests: Vec<Digest>,
}

/// A key's SHA-256 digest: what is stored and compared, never the key.
pub(crate) type Digest = [u8; 32];

pub(crate) fn digest(key: &str) -> Digest {
    Sha256::digest(key.as_bytes()).into()
}

impl Auth {
    /// Resolves the admin key: configured, stored, or newly generated; plus the dev key.
    /// An empty key is never accepted: a configured one is an error, a stored one (left by a
    /// crash while it was being written) is replaced by a new one.
    pub fn resolve(
        configured: Option<&str>,
        dev: bool,
        forge_dir: &Path,
    ) -> std::io::Result<(Self, KeySource)> {
        let mut digests = Vec::new();
        if dev {
            digests.push(digest(DEV_KEY));
        }
        let source = match configured.map(str::trim) {
            Some("") => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the configured admin key is empty; set a non-empty key or leave it unset to have one generated",
                ));
            }
            Some(key) if key.chars().count() < MIN_ADMIN_KEY_CHARS && !dev => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "the configured admin key has {} characters; at least \
                         {MIN_ADMIN_KEY_CHARS} are required (leave it unset to have a random \
                         one generated; --dev accepts a short key for local development)",
                        key.chars().count()
                    ),
                ));
            }
            Some(key) => {
                digests.push(digest(key));
                KeySource::Configured
            }
            None if dev => KeySource::DevOnly,
            None => {
                let path = forge_dir.join("admin.key");
                let stored = match fs::read_to_string(&path) {
                    Ok(text) => Some(text.trim().to_owned()).filter(|k| !k.is_empty()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => return Err(e),
                };
                match stored {
                    Some(key) => {
                        digests.push(digest(&key));
                        KeySource::Stored { path }
                    }
                    None => {
                        let key = generate_secret()?;
                        write_private(&path, &key)?;
                        digests.push(digest(&key));
                        KeySource::Generated { path, key }
                    }
                }
            }
        };
        Ok((Self { digests }, source))
    }

    #[cfg(test)]
    fn accepts(&self, key: &str) -> bool {
        self.accepts_digest(&digest(key))
    }

    fn accepts_digest(&self, given: &Digest) -> bool {
        // Check every digest so the time taken does not say which one matched.
        self.digests
            .iter()
            .fold(false, |ok, d| ok | bool::from(d.ct_eq(given)))
    }
}

impl Auth {
    /// Checks a presented key (`None`: none was presented): one SHA-256 digest, compared with
    /// the bootstrap admin key's (constant time), else looked up among the stored keys (an
    /// expired one is refused). The accepted key becomes the caller's [`Principal`].
    pub(crate) fn authenticate(
        &self,
        key: Option<&str>,
        keys: &KeyStore,
        tokens: &Tokens,
        now_ms: impl FnOnce() -> i64,
    ) -> Result<Principal, AuthFailure> {
        let key = key.ok_or(AuthFailure::Missing)?;
        // A token is looked up by its text: no digest of its few hundred bytes. One this
        // server did not sign may still be a key (an admin key of that shape), so it goes on.
        let token_shaped = looks_like_token(key);
        if token_shaped {
            let now = now_ms();
            match tokens.verify(key, u64::try_from(now / 1000).unwrap_or(0)) {
                Ok(grant) => return token_principal(grant, keys, now),
                Err(TokenRefusal::Invalid) => {}
                Err(refusal) => return Err(AuthFailure::Token(refusal)),
            }
            let invalid = AuthFailure::Token(TokenRefusal::Invalid);
            return self.key_principal(key, keys, || now, invalid);
        }
        self.key_principal(key, keys, now_ms, AuthFailure::Rejected)
    }

    /// The principal of an admin or stored key (one digest), else `unknown`.
    fn key_principal(
        &self,
        key: &str,
        keys: &KeyStore,
        now_ms: impl FnOnce() -> i64,
        unknown: AuthFailure,
    ) -> Result<Principal, AuthFailure> {
        let given = digest(key);
        let id = KeyId::of_digest(&given);
        if self.accepts_digest(&given) {
            return Ok(Principal::Admin { key: id });
        }
        let stored = keys.find(&given).ok_or(unknown)?;
        let now_ms = now_ms();
        if stored
            .expires_at_ms
            .is_some_and(|expires| now_ms >= expires)
        {
            return Err(AuthFailure::Rejected);
        }
        stored
            .last_used_ms
            .store(now_ms, std::sync::atomic::Ordering::Relaxed);
        Ok(Principal::Key {
            key: id,
            grant: Arc::clone(&stored.grant),
        })
    }
}

/// The principal of a verified token, unless the key that minted it was revoked, rotated or
/// expired since (that ends the token too).
fn token_principal(
    grant: Arc<TokenGrant>,
    keys: &KeyStore,
    now_ms: i64,
) -> Result<Principal, AuthFailure> {
    if let Some(minter) = &grant.minted_by
        && !keys.secret_of(&minter.id).is_some_and(|(key, secret)| {
            KeyId::of_digest(&secret) == minter.secret
                && key.expires_at_ms.is_none_or(|at| now_ms < at)
        })
    {
        return Err(AuthFailure::Token(TokenRefusal::Revoked));
    }
    Ok(Principal::Token {
        key: grant.key_id,
        grant,
    })
}

/// Why a request is not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No key was presented.
    Missing,
    /// The key presented is not one this server accepts.
    Rejected,
    /// A token this server may have signed, refused (the reason is told to its bearer).
    Token(TokenRefusal),
}

/// A non-secret identifier of an accepted key: the first 6 bytes of its SHA-256 digest (the
/// key itself is 256 random bits, so this reveals nothing usable), shown as 12 hex digits, so
/// logs can tell keys apart without holding them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 6]);

impl KeyId {
    #[cfg(test)]
    pub(crate) const fn new(bytes: [u8; 6]) -> Self {
        Self(bytes)
    }

    /// The id of a secret with this digest.
    pub(crate) fn of_digest(digest: &Digest) -> Self {
        let mut id = [0u8; 6];
        id.copy_from_slice(&digest[..6]);
        Self(id)
    }

    /// Parses the 12 hex digits [`KeyId`]'s `Display` writes.
    pub(crate) fn from_hex(text: &str) -> Option<Self> {
        if text.len() != 12 || !text.is_ascii() {
            return None;
        }
        let mut id = [0u8; 6];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(id))
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Who is calling, once their credential is checked. Every operation of the core takes one,
/// and its methods here are where a caller's reach is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The bootstrap admin key (configured, stored or generated at first start).
    Admin { key: KeyId },
    /// A stored key (`POST /admin/keys`) and what it was granted.
    Key { key: KeyId, grant: Arc<Grant> },
    /// A per-database token (`POST /admin/databases/{name}/tokens`): exactly a read-only or
    /// read-write key scoped to its one database.
    Token { key: KeyId, grant: Arc<TokenGrant> },
}

impl Principal {
    /// The key the caller presented.
    pub fn key_id(&self) -> KeyId {
        match self {
            Self::Admin { key } | Self::Key { key, .. } | Self::Token { key, .. } => *key,
        }
    }

    /// Whose rate a request counts against: a credential's own, except that a token minted by
    /// a key counts against that key (minting tokens must not multiply a key's rate).
    pub fn rate_key(&self) -> KeyId {
        match self {
            Self::Token { grant, .. } => {
                grant.minted_by.as_ref().map_or(grant.key_id, |m| m.secret)
            }
            other => other.key_id(),
        }
    }

    /// Whether the caller may see (and so use) `database` (its catalog entry `entry`) at all.
    /// A database it may not see is answered exactly as one that does not exist. A token sees
    /// the database it was minted for, not another created later under its name.
    pub(crate) fn may_see(
        &self,
        database: &dbforge_api::DatabaseName,
        entry: &CatalogEntry,
    ) -> bool {
        match self {
            Self::Admin { .. } => true,
            Self::Key { grant, .. } => grant.matches(database),
            Self::Token { grant, .. } => {
                &grant.database == database && grant.generation == entry.created_at_ms
            }
        }
    }

    /// Whether the caller may create (and delete) `database`: admins, and read-write keys
    /// with `can_create` whose patterns match it.
    pub fn may_create(&self, database: &dbforge_api::DatabaseName) -> bool {
        match self {
            Self::Admin { .. } => true,
            Self::Key { grant, .. } => {
                grant.role == Role::Admin
                    || (grant.role == Role::ReadWrite
                        && grant.can_create
                        && grant.matches(database))
            }
            Self::Token { .. } => false,
        }
    }

    /// What the caller may do to the data of a database it may see: read-only keys only
    /// read (enforced by SQLite in the engine, see `dbforge_engine::Access`).
    pub fn access(&self) -> Access {
        match self {
            Self::Key { grant, .. } if grant.role == Role::ReadOnly => Access::ReadOnly,
            Self::Admin { .. } | Self::Key { .. } => Access::ReadWrite,
            Self::Token { grant, .. } => grant.access,
        }
    }

    /// Whether the caller may manage the gateway: keys, statistics, activity, configuration.
    pub fn is_admin(&self) -> bool {
        match self {
            Self::Admin { .. } => true,
            Self::Key { grant, .. } => grant.role == Role::Admin,
            Self::Token { .. } => false,
        }
    }

    /// Refuses (`forbidden`) a caller that is not an admin.
    pub fn require_admin(&self) -> Result<(), crate::CoreError> {
        if self.is_admin() {
            return Ok(());
        }
        Err(crate::CoreError::new(
            dbforge_api::ErrorCode::Forbidden,
            "this needs an admin key",
        ))
    }
}

/// Writes `content` to `path` with mode 0600, atomically: a crash leaves the old file or the
/// new one, never a partial one.
pub(crate) fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    let temporary = path.with_extension("key.tmp");
    let _ = fs::remove_file(&temporary);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()?;
    fs::rename(&temporary, path)?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// A new secret: `dbf_` and 256 random bits in base64url (47 characters): short enough that
/// its SHA-256 digest, taken on every request, is one block.
pub(crate) fn generate_secret() -> std::io::Result<String> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(format!(
        "dbf_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_is_stored_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (auth, source) = Auth::resolve(None, false, dir.path()).expect("resolve");
        let KeySource::Generated { path, key } = source else {
            panic!("expected a new key")
        };
        assert!(key.len() == 47 && auth.accepts(&key) && !auth.accepts(DEV_KEY));
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&path).expect("key file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, source) = Auth::resolve(None, false, dir.path()).expect("resolve");
        assert!(matches!(source, KeySource::Stored { .. }) && again.accepts(&key));
    }

    #[test]
    fn empty_keys_never_authenticate() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(Auth::resolve(Some(""), false, dir.path()).is_err());
        assert!(Auth::resolve(Some("  "), true, dir.path()).is_err());
        fs::write(dir.path().join("admin.key"), "").expect("write");
        let (auth, source) = Auth::resolve(None, false, dir.path()).expect("resolve");
        assert!(
            matches!(source, KeySource::Generated { .. }),
            "an empty stored key is replaced"
        );
        assert!(!auth.accepts(""));
    }

    #[test]
    fn key_ids_name_accepted_keys_without_revealing_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (auth, _) =
            Auth::resolve(Some("s3cret-key-0123456"), false, dir.path()).expect("resolve");
        let keys = KeyStore::open(dir.path()).expect("keys");
        let tokens = Tokens::open(dir.path()).expect("tokens");
        let auth = |key| auth.authenticate(key, &keys, &tokens, || 0);
        let principal = auth(Some("s3cret-key-0123456")).expect("an accepted key");
        let id = principal.key_id().to_string();
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            auth(Some("s3cret-key-0123456")).map(|p| p.key_id().to_string()),
            Ok(id.clone()),
            "stable"
        );
        assert!(!id.contains("s3cret"));
        assert_eq!(auth(Some("wrong")), Err(AuthFailure::Rejected));
        assert_eq!(auth(None), Err(AuthFailure::Missing));
    }

    #[test]
    fn short_keys_are_refused_outside_dev_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let error = Auth::resolve(Some("a"), false, dir.path())
            .err()
            .expect("a one-character key is refused");
        assert!(error.to_string().contains("at least 16"), "{error}");
        assert!(Auth::resolve(Some("fifteen-chars-x"), false, dir.path()).is_err());
        assert!(Auth::resolve(Some("sixteen-chars-xx"), false, dir.path()).is_ok());
        let (auth, _) = Auth::resolve(Some("a"), true, dir.path()).expect("--dev takes it");
        assert!(auth.accepts("a"));
    }

    #[test]
    fn dev_mode_accepts_the_well_known_key_only_when_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (auth, _) = Auth::resolve(Some("s3cret"), true, dir.path()).expect("resolve");
        assert!(auth.accepts(DEV_KEY) && auth.accepts("s3cret") && !auth.accepts("nope"));
        let (auth, _) =
            Auth::resolve(Some("s3cret-0123456789"), false, dir.path()).expect("resolve");
        assert!(!auth.accepts(DEV_KEY));
    }
}
