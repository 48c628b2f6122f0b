//! API-key authentication. Keys are compared by their SHA-256 digests in constant time; the
//! admin key is configured, or generated on first start and kept in `_forge/admin.key` (0600).
//! `Caller` is the extractor every protected handler takes, so none can forget auth.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use dbforge_api::ErrorCode;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

/// The well-known key `--dev` accepts.
pub const DEV_KEY: &str = "development-api-key-12345";

/// The shortest admin key accepted outside `--dev`: a short key is guessed by anyone who can
/// reach the port (a generated key has 68 characters, 256 random bits).
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
    digests: Vec<[u8; 32]>,
}

fn digest(key: &str) -> [u8; 32] {
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
                        let key = generate_key()?;
                        write_private(&path, &key)?;
                        digests.push(digest(&key));
                        KeySource::Generated { path, key }
                    }
                }
            }
        };
        Ok((Self { digests }, source))
    }

    pub fn accepts(&self, key: &str) -> bool {
        self.accepts_digest(&digest(key))
    }

    fn accepts_digest(&self, given: &[u8; 32]) -> bool {
        // Check every digest so the time taken does not say which one matched.
        self.digests
            .iter()
            .fold(false, |ok, d| ok | bool::from(d.ct_eq(given)))
    }
}

impl Auth {
    /// A non-secret identifier of `key` when it is accepted: the first 12 hex digits of its
    /// SHA-256 digest (the key itself is 256 random bits, so this reveals nothing usable),
    /// so logs can tell keys apart without holding them. Hashes `key`: on the request path
    /// use [`request_key_id`], which reuses the request's [`KeyCheck`].
    pub fn key_id(&self, key: &str) -> Option<String> {
        self.check_key(key).key_id()
    }

    /// Checks the key `headers` present: one SHA-256 digest.
    pub fn check(&self, headers: &axum::http::HeaderMap) -> KeyCheck {
        presented_key(headers).map_or(KeyCheck::Missing, |key| self.check_key(key))
    }

    fn check_key(&self, key: &str) -> KeyCheck {
        let given = digest(key);
        if !self.accepts_digest(&given) {
            return KeyCheck::Rejected;
        }
        let mut id = [0u8; 6];
        id.copy_from_slice(&given[..6]);
        KeyCheck::Accepted { id }
    }
}

/// What the key a request presented proved. Hashing the key is the costly part of auth, so
/// it is done once per request: the request middleware stores the check in the request's
/// extensions, and `Caller` (and the activity log, through [`request_key_id`]) read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    Missing,
    Rejected,
    /// `id`: the first 6 bytes of the key's digest.
    Accepted {
        id: [u8; 6],
    },
}

impl KeyCheck {
    /// The key's non-secret identifier (see [`Auth::key_id`]) when it was accepted.
    pub fn key_id(&self) -> Option<String> {
        match self {
            Self::Accepted { id } => Some(id.iter().map(|b| format!("{b:02x}")).collect()),
            Self::Missing | Self::Rejected => None,
        }
    }
}

/// The request's key check: the one the middleware stored, or, for a request that did not
/// pass through it, worked out now and stored for the next reader.
pub fn key_check(auth: &Auth, parts: &mut Parts) -> KeyCheck {
    if let Some(check) = parts.extensions.get::<KeyCheck>() {
        return *check;
    }
    let check = auth.check(&parts.headers);
    parts.extensions.insert(check);
    check
}

/// The id of the request's key when it is accepted, from the stored [`KeyCheck`] (no second
/// digest), else worked out from the headers.
pub fn request_key_id(auth: &Auth, parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<KeyCheck>()
        .copied()
        .unwrap_or_else(|| auth.check(&parts.headers))
        .key_id()
}

/// Writes `content` to `path` with mode 0600, atomically: a crash leaves the old file or the
/// new one, never a partial one.
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
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

fn generate_key() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("dbf_{hex}"))
}

/// The key presented by a request: `X-API-Key`, or `Authorization: Bearer`.
pub fn presented_key(headers: &axum::http::HeaderMap) -> Option<&str> {
    let key = match headers.get("x-api-key") {
        Some(value) => value.to_str().ok()?.trim(),
        None => {
            let auth = headers
                .get(axum::http::header::AUTHORIZATION)?
                .to_str()
                .ok()?;
            let (scheme, token) = auth.trim().split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return None;
            }
            token.trim()
        }
    };
    // An empty key is no key at all.
    (!key.is_empty()).then_some(key)
}

/// An authenticated caller. Today every valid key is the admin; scoped keys will narrow
/// what a caller may touch here, in one place.
#[derive(Debug, Clone)]
pub struct Caller;

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match key_check(&state.auth, parts) {
            KeyCheck::Accepted { .. } => Ok(Caller),
            refused => Err(refusal(refused)),
        }
    }
}

/// The 401 for a request whose key was not accepted.
pub fn refusal(check: KeyCheck) -> ApiError {
    match check {
        KeyCheck::Missing => ApiError::new(
            ErrorCode::Unauthorized,
            "an API key is required: send it as `X-API-Key: <key>` or `Authorization: Bearer <key>`",
        ),
        _ => ApiError::new(ErrorCode::Unauthorized, "the API key is not valid"),
    }
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
        assert!(key.len() > 60 && auth.accepts(&key) && !auth.accepts(DEV_KEY));
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
        let id = auth
            .key_id("s3cret-key-0123456")
            .expect("an accepted key has an id");
        assert_eq!(id.len(), 12);
        assert_eq!(
            auth.key_id("s3cret-key-0123456"),
            Some(id.clone()),
            "stable"
        );
        assert!(!id.contains("s3cret"));
        assert_eq!(auth.key_id("wrong"), None);
    }

    fn parts(key: Option<&str>) -> Parts {
        let mut request = axum::http::Request::builder().uri("/admin/databases");
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        request.body(()).expect("request").into_parts().0
    }

    #[test]
    fn a_request_key_is_checked_once_and_the_check_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (auth, _) =
            Auth::resolve(Some("s3cret-key-0123456"), false, dir.path()).expect("resolve");
        assert_eq!(auth.check(&parts(None).headers), KeyCheck::Missing);
        assert_eq!(auth.check(&parts(Some("nope")).headers), KeyCheck::Rejected);
        let mut request = parts(Some("s3cret-key-0123456"));
        let check = key_check(&auth, &mut request);
        assert!(matches!(check, KeyCheck::Accepted { .. }));
        assert_eq!(request.extensions.get::<KeyCheck>(), Some(&check), "stored");
        assert_eq!(
            check.key_id(),
            auth.key_id("s3cret-key-0123456"),
            "the same id"
        );
        assert_eq!(
            request_key_id(&auth, &request),
            auth.key_id("s3cret-key-0123456")
        );
        // A stored check is what counts: the headers are not hashed again.
        let mut request = parts(Some("nope"));
        request.extensions.insert(check);
        assert_eq!(key_check(&auth, &mut request), check);
        assert_eq!(request_key_id(&auth, &request), check.key_id());
        let mut request = parts(Some("s3cret-key-0123456"));
        request.extensions.insert(KeyCheck::Rejected);
        assert_eq!(key_check(&auth, &mut request), KeyCheck::Rejected);
        assert_eq!(request_key_id(&auth, &request), None);
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
