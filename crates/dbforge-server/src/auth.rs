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
    /// so logs can tell keys apart without holding them.
    pub fn key_id(&self, key: &str) -> Option<String> {
        let given = digest(key);
        if !self.accepts_digest(&given) {
            return None;
        }
        Some(given[..6].iter().map(|b| format!("{b:02x}")).collect())
    }
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
        match presented_key(&parts.headers) {
            Some(key) if state.auth.accepts(key) => Ok(Caller),
            Some(_) => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "the API key is not valid",
            )),
            None => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "an API key is required: send it as `X-API-Key: <key>` or `Authorization: Bearer <key>`",
            )),
        }
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
        let (auth, _) = Auth::resolve(Some("s3cret-key"), false, dir.path()).expect("resolve");
        let id = auth
            .key_id("s3cret-key")
            .expect("an accepted key has an id");
        assert_eq!(id.len(), 12);
        assert_eq!(auth.key_id("s3cret-key"), Some(id.clone()), "stable");
        assert!(!id.contains("s3cret"));
        assert_eq!(auth.key_id("wrong"), None);
    }

    #[test]
    fn dev_mode_accepts_the_well_known_key_only_when_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (auth, _) = Auth::resolve(Some("s3cret"), true, dir.path()).expect("resolve");
        assert!(auth.accepts(DEV_KEY) && auth.accepts("s3cret") && !auth.accepts("nope"));
        let (auth, _) = Auth::resolve(Some("s3cret"), false, dir.path()).expect("resolve");
        assert!(!auth.accepts(DEV_KEY));
    }
}
