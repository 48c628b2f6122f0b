//! Per-database tokens for drivers: EdDSA (Ed25519) JWTs, signed with a key pair generated at
//! first start (`_forge/token-signing.pem`, PKCS#8, mode 0600) and published as JWKS. A token
//! is verified without touching the catalog's file: its signature once (then remembered by
//! the token's text), its expiry and revocation epochs on every request, from memory. Tokens are revoked
//! per database or all at once by bumping an epoch (stored in `_forge/catalog.db`, table
//! `token_epochs`), and with the key that minted them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use dbforge_api::{DatabaseName, Jwk, Jwks, TokenAccess};
use dbforge_engine::Access;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::auth::{KeyId, write_private};
use crate::catalog::open_forge_db;
use crate::error::{CoreError, CoreResult};

/// The `iss` of every token this server mints.
const ISSUER: &str = "dbforge";

/// The signing key's file in `_forge/`.
const KEY_FILE: &str = "token-signing.pem";

/// The scope of the global revocation epoch in `token_epochs` (no database has this name).
const EVERY_DATABASE: &str = "*";

/// Verified tokens remembered by their text (a map with a keyed hash: hashing a token of a few
/// hundred bytes costs a fraction of a SHA-256 digest of it), so a token's signature is
/// checked once, not on each request (an Ed25519 verification costs more than the rest of a
/// point read). Past this many
/// the memo starts afresh: a bound on memory, and only tokens this server signed get in.
pub const MAX_REMEMBERED_TOKENS: usize = 10_000;

/// What a token says (its JWT claims).
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    /// The database.
    sub: String,
    /// Seconds since the Unix epoch.
    iat: u64,
    exp: u64,
    /// The token's id (`tok_` and 64 random bits in hex).
    jti: String,
    access: TokenAccess,
    /// The database's creation time (ms): binds the token to this database, not to its name
    /// (a database deleted and created again under the name is out of the token's reach).
    generation: i64,
    /// The global and the database's revocation epochs when the token was minted.
    epoch: u64,
    db_epoch: u64,
    /// The key that minted the token (`key_...`); absent for the bootstrap admin key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    minted_by: Option<String>,
    /// Which secret of that key minted it (the key id of the secret, 12 hex digits): a
    /// rotation ends the tokens the old secret minted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    minter_secret: Option<String>,
}

/// The stored key, and which of its secrets, that minted a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Minter {
    pub(crate) id: String,
    pub(crate) secret: KeyId,
}

/// What a verified token grants: exactly a read-only or read-write key scoped to one database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The token's id (`jti`).
    pub id: String,
    pub database: DatabaseName,
    pub access: Access,
    /// Names the token in logs and binds its streams: from its id, not a secret.
    pub(crate) key_id: KeyId,
    pub(crate) generation: i64,
    epoch: u64,
    db_epoch: u64,
    pub(crate) minted_by: Option<Minter>,
    pub(crate) expires_at_s: u64,
}

/// Why a presented token was refused (told to its bearer: the token is theirs to read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Not a token this server signed (malformed, tampered with, another signer or algorithm).
    Invalid,
    Expired,
    /// Revoked: per database, globally, or with the key that minted it.
    Revoked,
}

/// A freshly minted token and what it grants.
pub(crate) struct Minted {
    pub(crate) token: String,
    pub(crate) grant: TokenGrant,
}

pub(crate) struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    kid: String,
    /// The public key, base64url.
    public_x: String,
    global_epoch: AtomicU64,
    db_epochs: RwLock<HashMap<String, u64>>,
    conn: Mutex<Connection>,
    verified: RwLock<HashMap<Box<str>, Arc<TokenGrant>>>,
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::internal(format!("tokens: {e}"))
}

/// Whether a presented credential has the shape of a JWT (three base64url parts, the first a
/// JSON object), so that only those are verified as tokens.
pub(crate) fn looks_like_token(credential: &str) -> bool {
    credential.starts_with("eyJ") && credential.bytes().filter(|b| *b == b'.').count() == 2
}

impl Tokens {
    /// Loads the signing key (generating it at first start) and the revocation epochs.
    /// Blocking.
    pub(crate) fn open(forge_dir: &Path) -> CoreResult<Self> {
        let pkcs8 = load_or_generate_key(&forge_dir.join(KEY_FILE))?;
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|e| internal(format!("{KEY_FILE} holds no Ed25519 key: {e}")))?;
        let public = pair.public_key().as_ref().to_vec();
        let kid: String = Sha256::digest(&public)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut validation = Validation::new(Algorithm::EdDSA);
        // Expiry is checked by `verify` on every request (a remembered token expires too),
        // to the second and without leeway: `exp` is the token's last valid second.
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.validate_aud = false;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);

        let conn = open_forge_db(forge_dir, "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS token_epochs (
                 scope TEXT PRIMARY KEY,
                 epoch INTEGER NOT NULL
             ) WITHOUT ROWID;",
        )
        .map_err(internal)?;
        let mut db_epochs = HashMap::new();
        let mut global = 0;
        {
            let mut stmt = conn
                .prepare("SELECT scope, epoch FROM token_epochs")
                .map_err(internal)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(internal)?;
            for row in rows {
                let (scope, epoch) = row.map_err(internal)?;
                let epoch = u64::try_from(epoch).unwrap_or(0);
                if scope == EVERY_DATABASE {
                    global = epoch;
                } else {
                    db_epochs.insert(scope, epoch);
                }
            }
        }
        Ok(Self {
            encoding: EncodingKey::from_ed_der(&pkcs8),
            decoding: DecodingKey::from_ed_der(&public),
            validation,
            kid,
            public_x: URL_SAFE_NO_PAD.encode(&public),
            global_epoch: AtomicU64::new(global),
            db_epochs: RwLock::new(db_epochs),
            conn: Mutex::new(conn),
            verified: RwLock::default(),
        })
    }

    fn db_epoch(&self, database: &str) -> u64 {
        self.db_epochs
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(database)
            .copied()
            .unwrap_or(0)
    }

    /// Signs a token for `database` (created at `generation`), working for `lifetime`.
    pub(crate) fn mint(
        &self,
        database: &DatabaseName,
        generation: i64,
        access: TokenAccess,
        lifetime: Duration,
        minted_by: Option<Minter>,
        now_s: u64,
    ) -> CoreResult<Minted> {
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|e| internal(format!("randomness: {e}")))?;
        let claims = Claims {
            iss: ISSUER.to_owned(),
            sub: database.as_str().to_owned(),
            iat: now_s,
            exp: now_s.saturating_add(lifetime.as_secs()),
            jti: format!(
                "tok_{}",
                id.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ),
            access,
            generation,
            epoch: self.global_epoch.load(Ordering::Acquire),
            db_epoch: self.db_epoch(database.as_str()),
            minter_secret: minted_by.as_ref().map(|m| m.secret.to_string()),
            minted_by: minted_by.map(|m| m.id),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(internal)?;
        let grant = grant_of(claims, database.clone()).map_err(|_| internal("minted claims"))?;
        Ok(Minted { token, grant })
    }

    /// Checks a presented token: its signature (once per token, then remembered by its text),
    /// then on every request its expiry and the revocation epochs.
    pub(crate) fn verify(&self, token: &str, now_s: u64) -> Result<Arc<TokenGrant>, TokenRefusal> {
        let remembered = self
            .verified
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(token)
            .cloned();
        let grant = match remembered {
            Some(grant) => grant,
            None => {
                let grant = Arc::new(self.check_signature(token)?);
                let mut verified = self
                    .verified
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if verified.len() >= MAX_REMEMBERED_TOKENS {
                    verified.clear();
                }
                verified.insert(token.into(), Arc::clone(&grant));
                grant
            }
        };
        if now_s > grant.expires_at_s {
            return Err(TokenRefusal::Expired);
        }
        if grant.epoch != self.global_epoch.load(Ordering::Acquire)
            || grant.db_epoch != self.db_epoch(grant.database.as_str())
        {
            return Err(TokenRefusal::Revoked);
        }
        Ok(grant)
    }

    fn check_signature(&self, token: &str) -> Result<TokenGrant, TokenRefusal> {
        use jsonwebtoken::errors::ErrorKind;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenRefusal::Expired,
                _ => TokenRefusal::Invalid,
            })?
            .claims;
        let database = DatabaseName::parse(&claims.sub).map_err(|_| TokenRefusal::Invalid)?;
        grant_of(claims, database)
    }

    /// Revokes every token of `database` minted so far. Blocking.
    pub(crate) fn revoke_database(&self, database: &DatabaseName) -> CoreResult<u64> {
        self.bump(database.as_str())
    }

    /// Revokes every token of the server minted so far. Blocking.
    pub(crate) fn revoke_all(&self) -> CoreResult<u64> {
        self.bump(EVERY_DATABASE)
    }

    fn bump(&self, scope: &str) -> CoreResult<u64> {
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let epoch: i64 = conn
            .query_row(
                "INSERT INTO token_epochs (scope, epoch) VALUES (?1, 1) \
                 ON CONFLICT (scope) DO UPDATE SET epoch = epoch + 1 RETURNING epoch",
                params![scope],
                |r| r.get(0),
            )
            .map_err(internal)?;
        let epoch = u64::try_from(epoch).unwrap_or(0);
        // In memory only once it is stored: a revocation must survive a restart.
        if scope == EVERY_DATABASE {
            self.global_epoch.store(epoch, Ordering::Release);
        } else {
            self.db_epochs
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(scope.to_owned(), epoch);
        }
        Ok(epoch)
    }

    /// The public key as JWKS.
    pub(crate) fn jwks(&self) -> Jwks {
        Jwks {
            keys: vec![Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: self.public_x.clone(),
                kid: self.kid.clone(),
                alg: "EdDSA".into(),
                use_: "sig".into(),
            }],
        }
    }
}

fn grant_of(claims: Claims, database: DatabaseName) -> Result<TokenGrant, TokenRefusal> {
    let minted_by = match (claims.minted_by, claims.minter_secret) {
        (None, None) => None,
        (Some(id), Some(secret)) => Some(Minter {
            id,
            secret: KeyId::from_hex(&secret).ok_or(TokenRefusal::Invalid)?,
        }),
        _ => return Err(TokenRefusal::Invalid),
    };
    // `tok_` and 16 hex digits: the first 12 are the token's key id.
    let key_id = claims
        .jti
        .strip_prefix("tok_")
        .and_then(|hex| hex.get(..12))
        .and_then(KeyId::from_hex)
        .ok_or(TokenRefusal::Invalid)?;
    Ok(TokenGrant {
        key_id,
        id: claims.jti,
        database,
        access: match claims.access {
            TokenAccess::ReadOnly => Access::ReadOnly,
            TokenAccess::ReadWrite => Access::ReadWrite,
        },
        generation: claims.generation,
        epoch: claims.epoch,
        db_epoch: claims.db_epoch,
        minted_by,
        expires_at_s: claims.exp,
    })
}

/// The PKCS#8 signing key stored in `path` (PEM), or a new one generated and stored (0600).
fn load_or_generate_key(path: &Path) -> CoreResult<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    match std::fs::read_to_string(path) {
        Ok(pem) => {
            let body: String = pem
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && *l != BEGIN && *l != END)
                .collect();
            STANDARD
                .decode(body)
                .map_err(|e| internal(format!("{}: not a PEM private key: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(internal)?;
            let der = pkcs8.as_ref().to_vec();
            let encoded = STANDARD.encode(&der);
            let mut pem = format!("{BEGIN}\n");
            for line in encoded.as_bytes().chunks(64) {
                pem.push_str(&String::from_utf8_lossy(line));
                pem.push('\n');
            }
            pem.push_str(END);
            pem.push('\n');
            write_private(path, &pem).map_err(internal)?;
            tracing::info!(path = %path.display(), "generated the token signing key");
            Ok(der)
        }
        Err(e) => Err(internal(format!("{}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> DatabaseName {
        DatabaseName::parse(raw).expect("valid")
    }

    fn mint(tokens: &Tokens, db: &str, lifetime: u64, now_s: u64) -> String {
        tokens
            .mint(
                &name(db),
                7,
                TokenAccess::ReadOnly,
                Duration::from_secs(lifetime),
                None,
                now_s,
            )
            .expect("minted")
            .token
    }

    fn verify(tokens: &Tokens, token: &str, now_s: u64) -> Result<Arc<TokenGrant>, TokenRefusal> {
        tokens.verify(token, now_s)
    }

    #[test]
    fn the_key_is_generated_private_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Tokens::open(dir.path()).expect("open");
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let token = mint(&first, "a", 60, 1_000);
        let again = Tokens::open(dir.path()).expect("reopen");
        assert_eq!(again.jwks(), first.jwks());
        assert!(
            verify(&again, &token, 1_000).is_ok(),
            "still valid after a restart"
        );
    }

    #[test]
    fn a_token_grants_its_database_and_access_until_it_expires() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tokens = Tokens::open(dir.path()).expect("open");
        let token = mint(&tokens, "shop", 60, 1_000);
        let grant = verify(&tokens, &token, 1_000).expect("valid");
        assert_eq!(
            (grant.database.as_str(), grant.access, grant.generation),
            ("shop", Access::ReadOnly, 7)
        );
        assert!(
            verify(&tokens, &token, 1_060).is_ok(),
            "valid through its last second"
        );
        assert_eq!(verify(&tokens, &token, 1_061), Err(TokenRefusal::Expired));
    }

    #[test]
    fn tampered_and_foreign_tokens_are_invalid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tokens = Tokens::open(dir.path()).expect("open");
        let other_dir = tempfile::tempdir().expect("tempdir");
        let other = Tokens::open(other_dir.path()).expect("another server");
        let now = jsonwebtoken::get_current_timestamp();
        let token = mint(&tokens, "shop", 600, now);
        let [header, payload, signature] = token.split('.').collect::<Vec<_>>()[..] else {
            panic!("three parts")
        };
        // The payload rewritten for another database, signature kept.
        let claims =
            String::from_utf8(URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("utf8");
        let forged_payload = URL_SAFE_NO_PAD.encode(claims.replace("\"shop\"", "\"bank\""));
        let forged = format!("{header}.{forged_payload}.{signature}");
        // `alg: none` with no signature.
        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{none_header}.{payload}.");
        for bad in [
            forged.as_str(),
            unsigned.as_str(),
            &mint(&other, "shop", 600, now),
            "eyJ.x.y",
            &format!("{header}.{payload}.{}", "A".repeat(86)),
        ] {
            assert_eq!(
                verify(&tokens, bad, now),
                Err(TokenRefusal::Invalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn revocation_by_database_and_by_epoch_sticks_across_restarts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tokens = Tokens::open(dir.path()).expect("open");
        let shop = mint(&tokens, "shop", 600, 1_000);
        let bank = mint(&tokens, "bank", 600, 1_000);
        tokens.revoke_database(&name("shop")).expect("revoked");
        assert_eq!(verify(&tokens, &shop, 1_000), Err(TokenRefusal::Revoked));
        assert!(
            verify(&tokens, &bank, 1_000).is_ok(),
            "other databases keep theirs"
        );
        let fresh = mint(&tokens, "shop", 600, 1_000);
        assert!(verify(&tokens, &fresh, 1_000).is_ok(), "new tokens work");
        tokens.revoke_all().expect("revoked");
        let reopened = Tokens::open(dir.path()).expect("reopen");
        for token in [&shop, &bank, &fresh] {
            assert_eq!(verify(&reopened, token, 1_000), Err(TokenRefusal::Revoked));
        }
        assert!(verify(&reopened, &mint(&reopened, "shop", 600, 1_000), 1_000).is_ok());
    }

    #[test]
    fn only_credentials_shaped_like_a_jwt_are_tried_as_tokens() {
        assert!(looks_like_token("eyJhbGciOi.eyJzdWIi.c2ln"));
        assert!(!looks_like_token("dbf_0123"));
        assert!(!looks_like_token("eyJ.only-two"));
        assert!(!looks_like_token("a.b.c"));
    }
}
