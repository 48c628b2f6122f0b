//! Shared set-up: a `Core` on a temporary data directory with a configured admin key, and
//! helpers that keep the tests about behaviour rather than plumbing.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use dbforge_api::{DatabaseInfo, DatabaseLimits, DatabaseName, ErrorCode, GatewayStats};
use dbforge_core::{
    Core, CoreConfig, CoreResult, Opened, Principal, QueryObserver, StoredSqlLimits, StreamLimits,
};
use dbforge_engine::{Deadline, EngineConfig, Statement, StatementOutput};
use tempfile::TempDir;

pub const ADMIN_KEY: &str = "core-test-admin-key-0123456789";

/// The longest any awaited operation may take before the test fails instead of hanging.
pub const GUARD: Duration = Duration::from_secs(10);

/// Small stream limits, so that running out of streams takes a few calls.
pub fn stream_limits() -> StreamLimits {
    StreamLimits {
        idle_timeout: Duration::from_secs(60),
        write_hold_limit: Duration::from_secs(30),
        write_wait_limit: Duration::from_secs(1),
        max_streams: 8,
        max_streams_per_database: 2,
        read_transaction_timeout: Duration::from_secs(30),
        stored_sql: StoredSqlLimits {
            per_stream: 4 << 10,
            per_database: 8 << 10,
            total: 16 << 10,
        },
    }
}

/// The configuration of a core on `data_dir`, its own files in `_forge` as the server lays
/// them out.
pub fn config(data_dir: &Path) -> CoreConfig {
    CoreConfig {
        engine: EngineConfig::new(data_dir),
        forge_dir: data_dir.join("_forge"),
        admin_key: Some(ADMIN_KEY.to_owned()),
        dev: false,
        streams: stream_limits(),
        token_max_lifetime: std::time::Duration::from_secs(86_400),
        max_requests_per_database: 64,
        audit: dbforge_core::AuditConfig {
            retention: std::time::Duration::from_secs(86_400),
            max_entries: 10_000,
        },
        backups: dbforge_core::BackupConfig::in_forge_dir(&data_dir.join("_forge")),
        exports: dbforge_core::ExportLimits::default(),
    }
}

/// A core on its own temporary data directory, with the admin's principal.
pub struct TestCore {
    pub core: Core,
    pub opened: Opened,
    pub admin: Principal,
    /// Held so the data directory lives as long as the test.
    pub dir: TempDir,
}

impl TestCore {
    pub fn start() -> Self {
        Self::start_with(|_| {}, Vec::new())
    }

    /// A core whose configuration `adjust` changes, with `observers`.
    pub fn start_with(
        adjust: impl FnOnce(&mut CoreConfig),
        observers: Vec<Arc<dyn QueryObserver>>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = config(dir.path());
        adjust(&mut config);
        Self::open_in(dir, config, observers)
    }

    /// Opens a core on `dir` (which may hold databases already).
    pub fn open_in(
        dir: TempDir,
        config: CoreConfig,
        observers: Vec<Arc<dyn QueryObserver>>,
    ) -> Self {
        let (core, opened) = Core::open(config, observers).expect("core opens");
        let admin = core
            .authenticate(Some(ADMIN_KEY))
            .expect("the configured key is accepted");
        Self {
            core,
            opened,
            admin,
            dir,
        }
    }

    /// Closes this core (checkpointing its databases) and opens a new one on its directory,
    /// as a restart does.
    pub fn restart(self) -> Self {
        self.core.close_all();
        let config = config(self.dir.path());
        drop(self.core);
        Self::open_in(self.dir, config, Vec::new())
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub async fn create(&self, raw: &str) -> DatabaseInfo {
        self.create_with(raw, DatabaseLimits::default())
            .await
            .unwrap_or_else(|e| panic!("creating {raw}: {e}"))
    }

    pub async fn create_with(&self, raw: &str, limits: DatabaseLimits) -> CoreResult<DatabaseInfo> {
        guarded(self.core.create_database(
            &self.admin,
            name(raw),
            dbforge_api::SpawnRequest { limits, ttl: None },
        ))
        .await
    }

    /// Runs `sql` on `database` as one request (its statements commit together).
    pub async fn run(&self, database: &str, sql: &[&str]) -> CoreResult<Vec<StatementOutput>> {
        let db = guarded(self.core.database(&self.admin, &name(database))).await?;
        let statements = sql.iter().map(|s| Statement::new(*s)).collect();
        guarded(self.core.execute(&db, statements, &deadline())).await
    }

    /// The single value `sql` answers on `database`.
    pub async fn scalar(&self, database: &str, sql: &str) -> dbforge_api::Value {
        let mut outputs = self
            .run(database, &[sql])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let output = outputs.pop().expect("one result");
        output
            .rows
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next())
            .unwrap_or_else(|| panic!("{sql} answered no value"))
    }

    pub async fn stats(&self) -> GatewayStats {
        guarded(self.core.gateway_stats())
            .await
            .expect("gateway stats")
    }
}

pub fn name(raw: &str) -> DatabaseName {
    DatabaseName::parse(raw).expect("a valid database name")
}

/// A request deadline far enough away never to be the reason a test fails.
pub fn deadline() -> Deadline {
    Deadline::after(GUARD)
}

/// Awaits `work`, failing the test if it takes longer than [`GUARD`] (a hang becomes a
/// failure, not a stuck suite).
pub async fn guarded<F: Future>(work: F) -> F::Output {
    tokio::time::timeout(GUARD, work)
        .await
        .unwrap_or_else(|_| panic!("an operation did not finish within {GUARD:?}"))
}

/// The error code of a result that must have failed.
pub fn code_of<T>(result: CoreResult<T>) -> ErrorCode {
    match result {
        Ok(_) => panic!("expected an error, got a success"),
        Err(e) => e.code,
    }
}
