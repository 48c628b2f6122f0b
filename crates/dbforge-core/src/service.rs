//! [`Core`]: the gateway's operations. Each takes the caller's [`Principal`], does its work
//! through the catalog and the engine, and runs the bookkeeping after it (query stats and
//! observers, the catalog's table count after a schema change), so no front can forget it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use dbforge_api::{
    AuditPage, CreateKeyRequest, CreateTableRequest, CreatedKey, CredentialKind, DatabaseInfo,
    DatabaseList, DatabaseName, ErrorCode, GatewayStats, InsertRowsResponse, Jwks, KeyInfo,
    KeyList, Me, MintTokenRequest, MintedToken, Role, SpawnRequest, TableInfo, TokenAccess,
    TokensRevoked,
};
use dbforge_engine::{
    Access, Admitted, Database, Deadline, DiskGuard, Encoding, Engine, EngineConfig, Limits,
    NewRow, RowsQuery, RowsRead, Statement, StatementOutput,
};

use crate::audit::{AuditConfig, AuditLog, AuditQuery, AuditRecord};
use crate::auth::{Auth, AuthFailure, KeySource, Principal};
use crate::backups::{BackupConfig, Backups};
use crate::catalog::{Catalog, CatalogEntry, NewEntry, Reconciled};
use crate::clock::{now_ms, parse_rfc3339_ms, rfc3339};
use crate::error::{CoreError, CoreResult};
use crate::export::{ExportLimits, Exports};
use crate::keys::{Grant, KeyStore, StoredKey, check_patterns};
use crate::listing::{ListQuery, list};
use crate::state::{Inner, blocking, settings};
use crate::stats::{QueryObserver, Stats};
use crate::streams::{BatonError, Lease, OpenRefusal, StreamLimits, StreamState, Streams};
use crate::tokens::{Minter, Tokens};

/// A minted token's lifetime when the request names none.
const DEFAULT_TOKEN_LIFETIME: &str = "1h";

/// What the core needs to open a data directory.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    pub engine: EngineConfig,
    /// The gateway's own files: the catalog, the generated admin key.
    pub forge_dir: PathBuf,
    /// The configured admin key, if any (else one is stored or generated).
    pub admin_key: Option<String>,
    /// Development mode: the well-known key is accepted, a short key too.
    pub dev: bool,
    pub streams: StreamLimits,
    /// The longest lifetime a minted token may have.
    pub token_max_lifetime: Duration,
    /// Requests in flight on one database at most (`rate_limited` past it).
    pub max_requests_per_database: usize,
    pub audit: AuditConfig,
    pub backups: BackupConfig,
    pub exports: ExportLimits,
}

/// What opening found, to tell the operator once.
#[derive(Debug)]
pub struct Opened {
    pub key_source: KeySource,
    pub reconciled: Reconciled,
}

/// The gateway as a service. Cheap to clone (one reference count).
#[derive(Clone)]
pub struct Core(pub(crate) Arc<Inner>);

/// A database the caller may use, open. Handed to the operations that work on one database.
pub struct DatabaseHandle {
    db: Arc<Database>,
    /// Tells this database apart from any other that had or will have its name.
    incarnation: u64,
    /// What the caller who opened the handle may do to the data.
    access: Access,
    /// The request's place among the database's requests in flight.
    admitted: Admitted,
}

impl DatabaseHandle {
    pub fn name(&self) -> &DatabaseName {
        self.db.name()
    }

    pub(crate) fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// Refuses (`forbidden`) an operation that writes, for a read-only caller.
    fn require_write(&self, what: &str) -> CoreResult<()> {
        if self.access.may_write() {
            return Ok(());
        }
        Err(CoreError::new(
            ErrorCode::Forbidden,
            format!("{what} writes, and this credential is read-only: it may only read"),
        ))
    }
}

/// Reconciles the catalog with the data directory: adopts database files nobody registered
/// (learning their table counts by opening each once) and drops entries whose file is gone.
/// Blocking.
fn reconcile(engine: &Engine, catalog: &Catalog) -> Result<Reconciled, String> {
    let found = engine.scan_data_dir().map_err(|e| e.message)?;
    let reconciled = catalog.reconcile(&found).map_err(|e| e.message)?;
    for name in &reconciled.adopted {
        let Some(entry) = catalog.get(name) else {
            continue;
        };
        match engine.open(name, settings(engine, &entry)) {
            Ok(db) => catalog
                .set_table_count(name, db.table_count())
                .map_err(|e| e.message)?,
            Err(e) => {
                tracing::warn!(database = %name, error = %e, "adopted database could not be opened")
            }
        }
    }
    Ok(reconciled)
}

impl Core {
    /// Opens the engine and the catalog, adopts database files found in the data directory
    /// that the catalog does not know (and drops entries whose file is gone), and resolves
    /// the admin key. `observers` hear of every finished query. Blocking.
    pub fn open(
        config: CoreConfig,
        observers: Vec<Arc<dyn QueryObserver>>,
    ) -> Result<(Self, Opened), String> {
        let engine = Engine::new(config.engine).map_err(|e| e.message)?;
        let catalog = Catalog::open(&config.forge_dir).map_err(|e| e.message)?;
        let engine = Arc::new(engine);
        let catalog = Arc::new(catalog);
        // The data directory first: a start that fails here must not generate (and never
        // show) an admin key.
        let reconciled = reconcile(&engine, &catalog)?;
        let (auth, key_source) =
            Auth::resolve(config.admin_key.as_deref(), config.dev, &config.forge_dir)
                .map_err(|e| format!("admin key in {}: {e}", config.forge_dir.display()))?;
        let keys = KeyStore::open(&config.forge_dir).map_err(|e| e.message)?;
        let tokens = Tokens::open(&config.forge_dir).map_err(|e| e.message)?;
        let audit = AuditLog::open(&config.forge_dir, config.audit).map_err(|e| e.message)?;
        let backups = Backups::open(&config.forge_dir, config.backups).map_err(|e| e.message)?;
        let inner = Inner {
            engine,
            catalog,
            auth,
            keys,
            tokens,
            audit,
            backups,
            exports: Exports::new(config.exports),
            token_max_lifetime: config.token_max_lifetime,
            max_requests_per_database: config.max_requests_per_database.max(1),
            stats: Stats::new(observers),
            streams: Arc::new(Streams::new(config.streams)),
        };
        Ok((
            Self(Arc::new(inner)),
            Opened {
                key_source,
                reconciled,
            },
        ))
    }

    /// Checks a presented key or token (`None`: none presented); the one place a credential
    /// is checked.
    pub fn authenticate(&self, key: Option<&str>) -> Result<Principal, AuthFailure> {
        self.0
            .auth
            .authenticate(key, &self.0.keys, &self.0.tokens, now_ms)
    }

    /// Mints a token for `name` (`POST /admin/databases/{name}/tokens`): admins, and keys
    /// that see the database, for at most their own access and expiry.
    pub fn mint_token(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        request: &MintTokenRequest,
    ) -> CoreResult<MintedToken> {
        let entry = self.visible_entry(principal, name)?;
        let minted_by = match principal {
            Principal::Token { .. } => {
                return Err(CoreError::new(
                    ErrorCode::Forbidden,
                    "a token cannot mint tokens; use an API key",
                ));
            }
            Principal::Admin { .. } => None,
            Principal::Key { key, grant } => Some(Minter {
                id: grant.id.clone(),
                secret: *key,
            }),
        };
        if request.access == TokenAccess::ReadWrite && !principal.access().may_write() {
            return Err(CoreError::new(
                ErrorCode::Forbidden,
                "this key is read-only: it may mint read_only tokens only",
            ));
        }
        let text = request
            .expires_in
            .as_deref()
            .unwrap_or(DEFAULT_TOKEN_LIFETIME);
        let lifetime = humantime::parse_duration(text.trim()).map_err(|e| {
            CoreError::invalid_request(format!(
                "expires_in: {e}; use a duration such as \"90s\", \"15m\", \"1h\" or \"7d\""
            ))
        })?;
        let max = self.0.token_max_lifetime;
        if lifetime < Duration::from_secs(1) || lifetime > max {
            return Err(CoreError::invalid_request(format!(
                "expires_in: {text} is outside 1s to {} (--token-max-lifetime)",
                whole_units(max)
            )));
        }
        let now = now_ms();
        let expires_ms =
            now.saturating_add(i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX));
        if let Principal::Key { .. } = principal
            && let Some(key_expires) = minted_by
                .as_ref()
                .and_then(|m| self.0.keys.find_by_id(&m.id))
                .and_then(|k| k.expires_at_ms)
            && expires_ms > key_expires
        {
            return Err(CoreError::invalid_request(format!(
                "expires_in: the token would outlive the key minting it (the key expires at {}); \
                 ask for a shorter lifetime",
                rfc3339(key_expires)
            )));
        }
        let now_s = u64::try_from(now / 1000).unwrap_or(0);
        let minted = self.0.tokens.mint(
            name,
            entry.created_at_ms,
            request.access,
            lifetime,
            minted_by,
            now_s,
        )?;
        tracing::info!(database = %name, token = %minted.grant.id, access = ?request.access, "token minted");
        Ok(MintedToken {
            token: minted.token,
            id: minted.grant.id.clone(),
            database: name.to_string(),
            access: request.access,
            expires_at: rfc3339(
                i64::try_from(minted.grant.expires_at_s.saturating_mul(1000)).unwrap_or(i64::MAX),
            ),
        })
    }

    /// Revokes every token of `name` minted so far: admins, and keys that may delete it.
    pub async fn revoke_database_tokens(
        &self,
        principal: &Principal,
        name: &DatabaseName,
    ) -> CoreResult<TokensRevoked> {
        self.visible_entry(principal, name)?;
        if !principal.may_create(name) {
            return Err(CoreError::new(
                ErrorCode::Forbidden,
                format!("this key may not revoke the tokens of {name}"),
            ));
        }
        let inner = Arc::clone(&self.0);
        let revoked = name.clone();
        let epoch = blocking(move || inner.tokens.revoke_database(&revoked)).await?;
        tracing::info!(database = %name, epoch, "tokens of a database revoked");
        Ok(TokensRevoked {
            database: Some(name.to_string()),
            epoch,
        })
    }

    /// Revokes every token of the server minted so far (admins only).
    pub async fn revoke_all_tokens(&self, principal: &Principal) -> CoreResult<TokensRevoked> {
        principal.require_admin()?;
        let inner = Arc::clone(&self.0);
        let epoch = blocking(move || inner.tokens.revoke_all()).await?;
        tracing::info!(epoch, "every token revoked");
        Ok(TokensRevoked {
            database: None,
            epoch,
        })
    }

    /// The public keys that verify tokens (public: `/.well-known/jwks.json`).
    pub fn jwks(&self) -> Jwks {
        self.0.tokens.jwks()
    }

    /// Admits a request on `db` unless its limit of requests in flight is reached.
    fn admit(&self, db: &Arc<Database>) -> CoreResult<Admitted> {
        let max = self.0.max_requests_per_database;
        db.admit(max).ok_or_else(|| {
            metrics::counter!("dbforge_rate_limited_total", "limit" => "database").increment(1);
            CoreError::new(
                ErrorCode::RateLimited,
                format!(
                    "{} has {max} requests in flight, its limit (--max-requests-per-database); \
                     retry shortly",
                    db.name()
                ),
            )
        })
    }

    /// The catalog entry of `name` if the caller may see it and it has not expired (its
    /// time to live passed: gone for every caller before the reaper deletes it), else
    /// `database_not_found`.
    pub(crate) fn visible_entry(
        &self,
        principal: &Principal,
        name: &DatabaseName,
    ) -> CoreResult<CatalogEntry> {
        self.0
            .catalog
            .get(name)
            .filter(|entry| {
                principal.may_see(name, entry) && entry.expires_at_ms.is_none_or(|at| at > now_ms())
            })
            .ok_or_else(|| CoreError::database_not_found(name.as_str()))
    }

    /// Creates a scoped API key (admins only); answers it with its secret, shown this once.
    pub async fn create_key(
        &self,
        principal: &Principal,
        request: CreateKeyRequest,
    ) -> CoreResult<CreatedKey> {
        principal.require_admin()?;
        let name = request.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(CoreError::invalid_request(
                "name must have 1 to 100 characters",
            ));
        }
        check_patterns(&request.databases)?;
        if request.role != Role::Admin && request.databases.is_empty() {
            return Err(CoreError::invalid_request(
                "databases: name at least one database or prefix (`ci-*`) the key reaches",
            ));
        }
        let created_at_ms = now_ms();
        let expires_at_ms = request
            .expires_at
            .as_deref()
            .map(|text| {
                let ms = parse_rfc3339_ms(text)
                    .map_err(|e| CoreError::invalid_request(format!("expires_at: {e}")))?;
                if ms <= created_at_ms {
                    return Err(CoreError::invalid_request("expires_at is in the past"));
                }
                Ok(ms)
            })
            .transpose()?;
        if request.role == Role::ReadOnly && request.can_create {
            return Err(CoreError::invalid_request(
                "can_create: a read_only key cannot create or delete databases; use read_write",
            ));
        }
        // An admin key reaches and creates every database whatever it was given: say so.
        let (databases, can_create) = if request.role == Role::Admin {
            (vec!["*".to_owned()], true)
        } else {
            (request.databases, request.can_create)
        };
        let grant = Grant {
            id: new_key_id()?,
            name,
            role: request.role,
            databases,
            can_create,
        };
        let inner = Arc::clone(&self.0);
        blocking(move || {
            let (stored, secret) = inner.keys.create(grant, created_at_ms, expires_at_ms)?;
            tracing::info!(key = %stored.grant.id, role = ?stored.grant.role, "API key created");
            Ok(CreatedKey {
                key: key_info(&stored),
                secret,
            })
        })
        .await
    }

    /// Who the caller is and what it may do (any caller, about itself).
    pub fn me(&self, principal: &Principal) -> Me {
        match principal {
            Principal::Admin { .. } => Me {
                kind: CredentialKind::BootstrapAdmin,
                id: None,
                name: None,
                role: Role::Admin,
                databases: vec!["*".to_owned()],
                can_create: true,
                is_admin: true,
            },
            Principal::Key { grant, .. } => Me {
                kind: CredentialKind::Key,
                id: Some(grant.id.clone()),
                name: Some(grant.name.clone()),
                role: grant.role,
                databases: grant.databases.clone(),
                can_create: grant.role == Role::Admin || grant.can_create,
                is_admin: grant.role == Role::Admin,
            },
            Principal::Token { grant, .. } => Me {
                kind: CredentialKind::Token,
                id: Some(grant.id.clone()),
                name: None,
                role: if grant.access.may_write() {
                    Role::ReadWrite
                } else {
                    Role::ReadOnly
                },
                databases: vec![grant.database.to_string()],
                can_create: false,
                is_admin: false,
            },
        }
    }

    /// Appends an entry to the audit log (queued: never waits on the disk).
    pub fn record_audit(&self, record: AuditRecord) {
        self.0.audit.record(record);
    }

    /// A page of the audit log, newest first (admins only).
    pub async fn audit_log(
        &self,
        principal: &Principal,
        query: AuditQuery,
    ) -> CoreResult<AuditPage> {
        principal.require_admin()?;
        let inner = Arc::clone(&self.0);
        blocking(move || inner.audit.query(&query)).await
    }

    /// Every stored key (admins only), never their secrets.
    pub fn list_keys(&self, principal: &Principal) -> CoreResult<KeyList> {
        principal.require_admin()?;
        Ok(KeyList {
            keys: self.0.keys.all().iter().map(|k| key_info(k)).collect(),
        })
    }

    /// Revokes a key (admins only): its next request is refused.
    pub async fn revoke_key(&self, principal: &Principal, id: String) -> CoreResult<()> {
        principal.require_admin()?;
        let inner = Arc::clone(&self.0);
        blocking(move || {
            inner.keys.revoke(&id)?;
            tracing::info!(key = %id, "API key revoked");
            Ok(())
        })
        .await
    }

    /// Gives a key a new secret with the same grants (admins only); the old one stops working.
    pub async fn rotate_key(&self, principal: &Principal, id: String) -> CoreResult<CreatedKey> {
        principal.require_admin()?;
        let inner = Arc::clone(&self.0);
        blocking(move || {
            let (stored, secret) = inner.keys.rotate(&id)?;
            tracing::info!(key = %id, "API key rotated");
            Ok(CreatedKey {
                key: key_info(&stored),
                secret,
            })
        })
        .await
    }

    /// The limits every statement runs under.
    pub fn limits(&self) -> &Limits {
        &self.0.engine.config().limits
    }

    /// The engine's settings (data directory, cache, durability), for `GET /admin/config`.
    pub fn engine_config(&self) -> &EngineConfig {
        self.0.engine.config()
    }

    /// The data directory's free-space guard.
    pub fn disk(&self) -> &DiskGuard {
        self.0.engine.disk()
    }

    pub fn stream_limits(&self) -> StreamLimits {
        self.0.streams.limits()
    }

    /// Counts one request a front answered (for `requests_total`).
    pub fn count_request(&self) {
        self.0.stats.requests.fetch_add(1, Relaxed);
    }

    /// The open database `name`, if the caller may see it: a map lookup when it is in the
    /// catalog and open, an open on a blocking thread otherwise. A database the caller may
    /// not see is `database_not_found`, exactly as one that does not exist.
    pub async fn database(
        &self,
        principal: &Principal,
        name: &DatabaseName,
    ) -> CoreResult<DatabaseHandle> {
        let inner = &self.0;
        let entry = self.visible_entry(principal, name)?;
        let access = principal.access();
        if let Some(db) = inner.engine.cached(name) {
            return Ok(DatabaseHandle {
                admitted: self.admit(&db)?,
                db,
                incarnation: entry.incarnation,
                access,
            });
        }
        let engine = Arc::clone(&inner.engine);
        let settings = inner.settings(&entry);
        let opened = name.clone();
        let db = blocking(move || Ok(engine.open(&opened, settings)?)).await?;
        Ok(DatabaseHandle {
            admitted: self.admit(&db)?,
            db,
            incarnation: entry.incarnation,
            access,
        })
    }

    /// Creates a database (its file first, then its catalog entry): admins, and keys allowed
    /// to create under their patterns.
    pub async fn create_database(
        &self,
        principal: &Principal,
        name: DatabaseName,
        request: SpawnRequest,
    ) -> CoreResult<DatabaseInfo> {
        let limits = request.limits;
        let expires_at_ms = crate::lifecycle::expiry_of(request.ttl.as_deref())?;
        if !principal.may_create(&name) {
            return Err(CoreError::new(
                ErrorCode::Forbidden,
                format!("this key may not create a database named {name}"),
            ));
        }
        // An expired database of the name is gone for its users already: it goes now (or
        // the name waits for its final backup).
        if self
            .0
            .catalog
            .get(&name)
            .is_some_and(|entry| entry.expired_at(now_ms()))
            && !self.reap(&name).await
        {
            return Err(CoreError::new(
                ErrorCode::DatabaseExists,
                format!(
                    "an expired database named {name} is still being removed (its final backup \
                     is pending); retry shortly"
                ),
            ));
        }
        if limits.max_size_bytes == Some(0) {
            return Err(CoreError::invalid_request(
                "limits.max_size_bytes must be positive",
            ));
        }
        let inner = Arc::clone(&self.0);
        blocking(move || {
            let engine = &inner.engine;
            let entry = inner.catalog.create(
                &name,
                NewEntry {
                    max_size_bytes: limits.max_size_bytes,
                    expires_at_ms,
                    parent: None,
                },
                || Ok(engine.create_database(&name)?),
                || {
                    if let Err(e) = engine.delete_database(&name) {
                        tracing::error!(database = %name, error = %e, "could not remove the files of a database that was not registered");
                    }
                },
            )?;
            tracing::info!(database = %name, "database created");
            Ok(inner.info(name, &entry))
        })
        .await
    }

    /// Deletes a database: it leaves the catalog's index first (new requests get "not found"
    /// at once), then its files go, then its streams (rolling back what they held).
    pub async fn delete_database(
        &self,
        principal: &Principal,
        name: &DatabaseName,
    ) -> CoreResult<()> {
        self.visible_entry(principal, name)?;
        if !principal.may_create(name) {
            return Err(CoreError::new(
                ErrorCode::Forbidden,
                format!("this key may not delete the database {name}"),
            ));
        }
        self.delete_unchecked(name).await
    }

    /// Deletes a database for the gateway itself (its time to live passed).
    pub(crate) async fn delete_unchecked(&self, name: &DatabaseName) -> CoreResult<()> {
        let inner = Arc::clone(&self.0);
        let deleted = name.clone();
        blocking(move || {
            let engine = &inner.engine;
            inner
                .catalog
                .delete(&deleted, || Ok(engine.delete_database(&deleted)?))
        })
        .await?;
        // Batons were bound to this database, not to its name, and would not reach a new
        // database of the name anyway.
        self.0.streams.close_database(name);
        tracing::info!(database = %name, "database deleted");
        Ok(())
    }

    /// One database's details.
    pub fn describe_database(
        &self,
        principal: &Principal,
        name: &DatabaseName,
    ) -> CoreResult<DatabaseInfo> {
        let entry = self.visible_entry(principal, name)?;
        Ok(self.0.info(name.clone(), &entry))
    }

    /// A page of the databases the caller may see.
    pub async fn list_databases(
        &self,
        principal: &Principal,
        query: ListQuery,
    ) -> CoreResult<DatabaseList> {
        let inner = Arc::clone(&self.0);
        let principal = principal.clone();
        blocking(move || list(&inner, &query, &principal)).await
    }

    /// Runs a request's statements: they commit together or not at all. A read-only
    /// caller's statements that SQLite reports as writes are refused (`forbidden`).
    pub async fn execute(
        &self,
        db: &DatabaseHandle,
        statements: Vec<Statement>,
        deadline: &Deadline,
    ) -> CoreResult<Vec<StatementOutput>> {
        self.counted(db, db.db.execute_as(db.access, statements, deadline))
            .await
    }

    /// Tables and views with their columns, indexes and foreign keys (all, or just `only`).
    pub async fn describe_tables(
        &self,
        db: &DatabaseHandle,
        only: Option<String>,
        deadline: &Deadline,
    ) -> CoreResult<Vec<TableInfo>> {
        self.counted(db, db.db.describe_tables(only, deadline))
            .await
    }

    /// One table's or view's schema.
    pub async fn describe_table(
        &self,
        db: &DatabaseHandle,
        table: &str,
        deadline: &Deadline,
    ) -> CoreResult<TableInfo> {
        self.counted(db, db.db.describe_table(table, deadline))
            .await
    }

    /// Creates a table from a column list; answers its schema.
    pub async fn create_table(
        &self,
        db: &DatabaseHandle,
        request: &CreateTableRequest,
        deadline: &Deadline,
    ) -> CoreResult<TableInfo> {
        db.require_write("creating a table")?;
        self.counted(db, db.db.create_table(request, deadline))
            .await
    }

    /// Inserts rows in one transaction.
    pub async fn insert_rows(
        &self,
        db: &DatabaseHandle,
        table: &str,
        rows: Vec<NewRow>,
        deadline: &Deadline,
    ) -> CoreResult<InsertRowsResponse> {
        db.require_write("inserting rows")?;
        self.counted(db, db.db.insert_rows(table, rows, deadline))
            .await
    }

    /// Reads a page of a table's rows.
    pub async fn read_rows(
        &self,
        db: &DatabaseHandle,
        table: &str,
        query: &RowsQuery,
        encoding: Encoding,
        deadline: &Deadline,
    ) -> CoreResult<RowsRead> {
        self.counted(db, db.db.read_rows(table, query, encoding, deadline))
            .await
    }

    /// Runs one operation on `db` as one query: timed and counted, and a schema change it
    /// made followed into the catalog.
    async fn counted<T>(
        &self,
        db: &DatabaseHandle,
        operation: impl Future<Output = Result<T, dbforge_engine::EngineError>>,
    ) -> CoreResult<T> {
        let result = self.timed(operation).await;
        self.0.follow_schema_change(&db.db).await;
        result
    }

    /// Runs one operation as one query: timed and counted (stats and observers).
    async fn timed<T>(
        &self,
        operation: impl Future<Output = Result<T, dbforge_engine::EngineError>>,
    ) -> CoreResult<T> {
        let started = Instant::now();
        let result = operation.await;
        self.0.stats.record_query(started.elapsed(), result.is_ok());
        Ok(result?)
    }

    /// Opens a protocol stream on `name` (`baton: None`), or takes the stream a baton names
    /// for this request. Give it back with [`Core::finish_stream`].
    pub async fn open_stream(
        &self,
        principal: &Principal,
        name: &DatabaseName,
        baton: Option<&str>,
    ) -> CoreResult<(Lease, StreamState)> {
        let handle = self.database(principal, name).await?;
        let streams = &self.0.streams;
        let limits = streams.limits();
        let Some(baton) = baton else {
            let lease = streams
                .open(name.clone(), handle.incarnation, principal.key_id())
                .map_err(|refusal| {
                    let message = match refusal {
                        OpenRefusal::ServerFull => format!(
                            "the server has {} streams open, its limit (--max-streams); close \
                             streams you no longer use and retry",
                            limits.max_streams
                        ),
                        OpenRefusal::DatabaseFull => format!(
                            "this database has {} streams open, its limit \
                             (--max-streams-per-database); close streams you no longer use and \
                             retry",
                            limits.max_streams_per_database
                        ),
                    };
                    CoreError::new(ErrorCode::StreamsExhausted, message)
                })?;
            let stream = handle.db.stream(
                handle.access,
                limits.write_hold_limit,
                limits.write_wait_limit,
            );
            return Ok((
                lease,
                StreamState {
                    stream,
                    stored_sql: streams.stored_sql(name.clone()),
                    admitted: Some(handle.admitted),
                },
            ));
        };
        let (lease, mut state) = streams
            .take(baton, name, handle.incarnation, principal.key_id())
            .map_err(|e| match e {
                BatonError::Invalid | BatonError::WrongDatabase => CoreError::new(
                    ErrorCode::BatonInvalid,
                    "the baton is not one this server issued for this database",
                ),
                BatonError::WrongCaller => CoreError::new(
                    ErrorCode::BatonInvalid,
                    "the baton belongs to a stream another credential opened: a stream is \
                         used only with the key or token that opened it",
                ),
                BatonError::Unknown => CoreError::new(
                    ErrorCode::StreamExpired,
                    format!(
                        "the stream is closed or expired (streams close after {} idle, or {} \
                         holding a write transaction); open a new one",
                        humantime::format_duration(limits.idle_timeout),
                        humantime::format_duration(limits.write_hold_limit)
                    ),
                ),
                BatonError::Stale => CoreError::new(
                    ErrorCode::BatonReused,
                    "the baton was already used: send each request with the baton of the \
                     previous response, one request at a time",
                ),
            })?;
        state.stream.resume(handle.db);
        state.admitted = Some(handle.admitted);
        Ok((lease, state))
    }

    /// Runs one statement on a stream, as one query (timed, counted). `result_bytes` is what
    /// the response may still spend on results.
    pub async fn run_in_stream(
        &self,
        state: &mut StreamState,
        statement: Statement,
        result_bytes: usize,
        deadline: &Deadline,
    ) -> CoreResult<StatementOutput> {
        // Its schema changes are followed when the request lets go of the stream.
        self.timed(state.stream.execute(statement, result_bytes, deadline))
            .await
    }

    /// Ends a request's hold on its stream: a schema change it made is followed into the
    /// catalog, and the stream is parked (it holds no database handle between requests).
    /// Answers the baton for the next request, if the stream lives on.
    pub async fn finish_stream(
        &self,
        lease: Lease,
        mut state: StreamState,
        close: bool,
    ) -> Option<String> {
        if let Some(db) = state.stream.database() {
            self.0.follow_schema_change(db).await;
        }
        state.stream.park();
        state.admitted = None;
        if close {
            lease.close();
            None
        } else {
            lease.give_back(state)
        }
    }

    /// The gateway's statistics (statting files on a blocking thread): for admins, and for
    /// ops, which publishes them as metrics.
    pub async fn gateway_stats(&self) -> CoreResult<GatewayStats> {
        let inner = Arc::clone(&self.0);
        blocking(move || Ok(inner.gateway_stats())).await
    }

    /// Checkpoints and closes every open database, and stores what the audit log still has
    /// queued (at shutdown). Blocking.
    pub fn close_all(&self) {
        self.0.audit.flush(Duration::from_secs(5));
        self.0.engine.close_all();
    }
}

/// A duration in the largest whole unit that states it exactly (`90d`, `36h`, `90s`), as
/// durations are written in requests and flags.
pub(crate) fn whole_units(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0 => format!("{}ms", duration.as_millis()),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A new key id: `key_` and 64 random bits in hex.
fn new_key_id() -> CoreResult<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| CoreError::internal(format!("randomness: {e}")))?;
    Ok(format!(
        "key_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// What the server tells about a key.
fn key_info(key: &StoredKey) -> KeyInfo {
    let last_used = key.last_used_ms.load(std::sync::atomic::Ordering::Relaxed);
    KeyInfo {
        id: key.grant.id.clone(),
        name: key.grant.name.clone(),
        prefix: key.prefix.clone(),
        role: key.grant.role,
        databases: key.grant.databases.clone(),
        can_create: key.grant.can_create,
        created_at: rfc3339(key.created_at_ms),
        expires_at: key.expires_at_ms.map(rfc3339),
        last_used_at: (last_used > 0).then(|| rfc3339(last_used)),
    }
}
