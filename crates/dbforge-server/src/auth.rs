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
    pub fn resolve(
        configured: Option<&str>,
        dev: bool,
        forge_dir: &Path,
    ) -> std::io::Result<(Self, KeySource)> {
        let mut digests = Vec::new();
        if dev {
            digests.push(digest(DEV_KEY));
        }
        let source = match configured {
            Some(key) => {
                digests.push(digest(key));
                KeySource::Configured
            }
            None if dev => KeySource::DevOnly,
            None => {
                let path = forge_dir.join("admin.key");
                match fs::read_to_string(&path) {
                    Ok(stored) => {
                        digests.push(digest(stored.trim()));
                        KeySource::Stored { path }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        let key = generate_key()?;
                        let mut file = fs::OpenOptions::new()
                            .write(true)
                            .create_new(true)
                            .mode(0o600)
                            .open(&path)?;
                        file.write_all(key.as_bytes())?;
                        file.sync_all()?;
                        digests.push(digest(&key));
                        KeySource::Generated { path, key }
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        Ok((Self { digests }, source))
    }

    pub fn accepts(&self, key: &str) -> bool {
        let given = digest(key);
        // Check every digest so the time taken does not say which one matched.
        self.digests
            .iter()
            .fold(false, |ok, d| ok | bool::from(d.ct_eq(&given)))
    }
}

fn generate_key() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("dbf_{hex}"))
}

/// The key presented by a request: `X-API-Key`, or `Authorization: Bearer`.
pub fn presented_key(parts: &Parts) -> Option<&str> {
    if let Some(key) = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key.trim());
    }
    let auth = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// An authenticated caller. Today every valid key is the admin; scoped keys will narrow
/// what a caller may touch here, in one place.
#[derive(Debug, Clone)]
pub struct Caller;

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match presented_key(parts) {
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
    fn dev_mode_accepts_the_well_known_key_only_when_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (auth, _) = Auth::resolve(Some("s3cret"), true, dir.path()).expect("resolve");
        assert!(auth.accepts(DEV_KEY) && auth.accepts("s3cret") && !auth.accepts("nope"));
        let (auth, _) = Auth::resolve(Some("s3cret"), false, dir.path()).expect("resolve");
        assert!(!auth.accepts(DEV_KEY));
    }
}
