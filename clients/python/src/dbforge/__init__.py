"""Python client for DB-Forge: SQLite databases over HTTP.

- :class:`Client` / :class:`AsyncClient`: every endpoint of the gateway, scoped API keys,
  per-database tokens (a token works as ``api_key``), the audit log, backups, restores,
  branches, databases with a time to live, and streamed exports and imports included.
- :func:`connect`: a DB-API 2.0 (PEP 249) connection to one database (autocommit).
"""

from .client import AsyncClient, Client
from .dbapi import (
    BINARY, DATETIME, NUMBER, ROWID, STRING, Binary, Connection, Cursor, Date, DateFromTicks, Time,
    TimeFromTicks, Timestamp, TimestampFromTicks, apilevel, connect, paramstyle, threadsafety,
)
from .errors import (
    AuthError, BackupCorruptError, BadRequestError, ConflictError, ConstraintError, DatabaseError, DatabaseExistsError,
    DatabaseFullError, DataError, DBForgeError, Error, ForbiddenError, IntegrityError, InterfaceError,
    InternalError, InvalidDatabaseFileError, InvalidParamsError, NotFoundError, NotSupportedError, OperationalError, ProgrammingError,
    QueryTimeoutError, RateLimitedError, ServerError, SQLError, StatementNotAllowedError, TooLargeError,
    TransactionOpenError, TransportError, UnavailableError, UnsupportedValueError, Warning,
)
from .models import (
    AuditEntry, AuditPage, BackupInfo, BackupStatus, ColumnInfo, CreatedKey, DatabaseInfo, DatabaseList,
    DownloadedBackup, ForeignKeyInfo, GatewayStats, Health, ImportResult, IndexInfo, InsertResult, Jwk, Jwks, KeyInfo,
    LatencyPercentiles, Lineage, MintedToken, QueryResult, RowsPage, TableInfo, TokensRevoked,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncClient", "Client", "connect", "Connection", "Cursor", "apilevel", "paramstyle", "threadsafety",
    "BINARY", "DATETIME", "NUMBER", "ROWID", "STRING", "Binary", "Date", "DateFromTicks", "Time",
    "TimeFromTicks", "Timestamp", "TimestampFromTicks",
    "AuthError", "BackupCorruptError", "BadRequestError", "ConflictError", "ConstraintError", "DatabaseError",
    "DatabaseExistsError", "DatabaseFullError", "DataError", "DBForgeError", "Error", "ForbiddenError",
    "IntegrityError",
    "InterfaceError", "InternalError", "InvalidDatabaseFileError", "InvalidParamsError", "NotFoundError", "NotSupportedError",
    "OperationalError", "ProgrammingError", "QueryTimeoutError", "RateLimitedError", "ServerError", "SQLError",
    "StatementNotAllowedError", "TooLargeError", "TransactionOpenError", "TransportError",
    "UnavailableError", "UnsupportedValueError", "Warning",
    "AuditEntry", "AuditPage", "BackupInfo", "BackupStatus", "ColumnInfo", "CreatedKey", "DatabaseInfo", "DatabaseList", "ForeignKeyInfo",
    "DownloadedBackup", "GatewayStats", "Health", "ImportResult", "IndexInfo", "InsertResult", "Jwk", "Jwks", "KeyInfo",
    "LatencyPercentiles", "Lineage", "MintedToken", "QueryResult", "RowsPage", "TableInfo", "TokensRevoked",
]
