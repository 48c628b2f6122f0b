"""Python client for DB-Forge: SQLite databases over HTTP.

- :class:`Client` / :class:`AsyncClient`: every endpoint of the gateway.
- :func:`connect`: a DB-API 2.0 (PEP 249) connection to one database (autocommit).
"""

from .client import AsyncClient, Client
from .dbapi import (
    BINARY, DATETIME, NUMBER, ROWID, STRING, Binary, Connection, Cursor, Date, DateFromTicks, Time,
    TimeFromTicks, Timestamp, TimestampFromTicks, apilevel, connect, paramstyle, threadsafety,
)
from .errors import (
    AuthError, BadRequestError, ConflictError, ConstraintError, DatabaseError, DatabaseExistsError,
    DatabaseFullError, DataError, DBForgeError, Error, IntegrityError, InterfaceError, InternalError,
    InvalidParamsError, NotFoundError, NotSupportedError, OperationalError, ProgrammingError,
    QueryTimeoutError, ServerError, SQLError, StatementNotAllowedError, TooLargeError,
    TransactionOpenError, TransportError, UnavailableError, UnsupportedValueError, Warning,
)
from .models import (
    ColumnInfo, DatabaseInfo, DatabaseList, ForeignKeyInfo, GatewayStats, Health, IndexInfo,
    InsertResult, LatencyPercentiles, QueryResult, RowsPage, TableInfo,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncClient", "Client", "connect", "Connection", "Cursor", "apilevel", "paramstyle", "threadsafety",
    "BINARY", "DATETIME", "NUMBER", "ROWID", "STRING", "Binary", "Date", "DateFromTicks", "Time",
    "TimeFromTicks", "Timestamp", "TimestampFromTicks",
    "AuthError", "BadRequestError", "ConflictError", "ConstraintError", "DatabaseError",
    "DatabaseExistsError", "DatabaseFullError", "DataError", "DBForgeError", "Error", "IntegrityError",
    "InterfaceError", "InternalError", "InvalidParamsError", "NotFoundError", "NotSupportedError",
    "OperationalError", "ProgrammingError", "QueryTimeoutError", "ServerError", "SQLError",
    "StatementNotAllowedError", "TooLargeError", "TransactionOpenError", "TransportError",
    "UnavailableError", "UnsupportedValueError", "Warning",
    "ColumnInfo", "DatabaseInfo", "DatabaseList", "ForeignKeyInfo", "GatewayStats", "Health", "IndexInfo",
    "InsertResult", "LatencyPercentiles", "QueryResult", "RowsPage", "TableInfo",
]
