//! Wire types shared by the DB-Forge server and its clients: names, values, requests,
//! responses and the error-code table. Serde only: no HTTP, no async runtime.

mod admin;
mod audit;
mod error;
mod keys;
mod lifecycle;
mod name;
mod observe;
mod query;
mod tables;
mod tokens;
mod value;

pub use admin::{
    DatabaseInfo, DatabaseLimits, DatabaseList, Deleted, GatewayStats, HealthStatus,
    LatencyPercentiles, SortKey, SortOrder, SpawnRequest,
};
pub use audit::{AuditEntry, AuditPage};
pub use error::{ErrorBody, ErrorCode, ErrorEnvelope};
pub use keys::{CreateKeyRequest, CreatedKey, CredentialKind, KeyInfo, KeyList, Me, Role};
pub use lifecycle::{
    BackupInfo, BackupKind, BackupList, BackupStatus, ImportResult, Lineage, RestoreRequest,
    UpdateDatabaseRequest,
};
pub use name::{DatabaseName, InvalidDatabaseName};
pub use observe::{
    ActivityEntry, ActivityList, BusyDatabase, ServerConfig, ServerLimits, Timeseries, TrafficPoint,
};
pub use query::{
    BatchResult, Params, QueryOptions, QueryRequest, QueryResponse, RowFormat, StatementRequest,
    StatementResult,
};
pub use tables::{
    ColumnDefault, ColumnDefinition, ColumnInfo, CreateTableRequest, ForeignKeyInfo, IndexInfo,
    InsertRowsResponse, RowsPage, TableInfo, TableKind, TableList,
};
pub use tokens::{Jwk, Jwks, MintTokenRequest, MintedToken, TokenAccess, TokensRevoked};
pub use value::{Lossless, MAX_SAFE_INTEGER, Value};
