"""DB-API 2.0 (PEP 249) over DB-Forge.

Transactions: the server runs every HTTP request as one transaction and offers no transaction
spanning several requests. So this module is **autocommit**: each ``execute()`` is committed
when it returns, and ``executemany()`` sends all its parameter sets as one atomic batch (all or
none). ``commit()`` is a no-op kept for compatibility; ``rollback()`` raises
:class:`NotSupportedError`, because nothing already executed can be undone. For several
different statements that must commit together use ``Connection.execute_atomic()`` (one batch
request). Transaction-control SQL (BEGIN/COMMIT/ROLLBACK/SAVEPOINT) is refused by the server.
"""

from __future__ import annotations

import datetime
import time
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple

from .client import Client
from ._core import Statement
from ._values import Params
from .errors import InterfaceError, NotSupportedError
from .models import QueryResult

apilevel = "2.0"
threadsafety = 1  # threads may share the module, not connections
paramstyle = "qmark"  # ``?``; the named style ``:name`` (with a mapping) works as well


# -- PEP 249 type objects and constructors
class _DBAPIType(frozenset):
    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other.upper() in self
        return frozenset.__eq__(self, other)

    __hash__ = frozenset.__hash__


STRING = _DBAPIType({"TEXT", "CHAR", "VARCHAR", "CLOB", "STRING"})
BINARY = _DBAPIType({"BLOB"})
NUMBER = _DBAPIType({"INTEGER", "INT", "REAL", "NUMERIC", "FLOAT", "DOUBLE", "BIGINT"})
DATETIME = _DBAPIType({"DATE", "DATETIME", "TIMESTAMP", "TIME"})
ROWID = _DBAPIType({"ROWID"})

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = bytes


def DateFromTicks(ticks: float) -> datetime.date:
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:
    return Timestamp(*time.localtime(ticks)[:6])


Description = Tuple[str, Optional[str], None, None, None, None, None]


def connect(url: str, database: str, api_key: Optional[str] = None, timeout: Optional[float] = 30.0) -> "Connection":
    """Open a DB-API connection to one database of a DB-Forge gateway (no request is made)."""
    return Connection(Client(url, api_key, timeout), database, owns_client=True)


class Connection:
    def __init__(self, client: Client, database: str, *, owns_client: bool = False) -> None:
        self._client: Optional[Client] = client
        self.database = database
        self._owns_client = owns_client

    @property
    def client(self) -> Client:
        if self._client is None:
            raise InterfaceError("the connection is closed")
        return self._client

    @property
    def closed(self) -> bool:
        return self._client is None

    def close(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
        self._client = None

    def commit(self) -> None:
        """No-op: every execute() is already committed (see the module docs)."""
        self.client  # raises on a closed connection

    def rollback(self) -> None:
        raise NotSupportedError(
            "DB-Forge commits each request on its own; there is no open transaction to roll back "
            "(use execute_atomic() or executemany() for all-or-nothing writes)"
        )

    def cursor(self) -> "Cursor":
        self.client
        return Cursor(self)

    def execute(self, sql: str, params: Params = None) -> "Cursor":
        """Shortcut (as in sqlite3): a new cursor that has executed ``sql``."""
        return self.cursor().execute(sql, params)

    def execute_atomic(self, statements: Sequence[Statement]) -> List[QueryResult]:
        """Run several statements in one transaction (all commit or none does)."""
        return self.client.batch(self.database, statements)

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Cursor:
    def __init__(self, connection: Connection) -> None:
        self.connection: Optional[Connection] = connection
        self.arraysize = 1
        self.description: Optional[List[Description]] = None
        self.rowcount = -1
        self.lastrowid: Optional[int] = None
        self._rows: List[Tuple[Any, ...]] = []
        self._pos = 0

    def _conn(self) -> Connection:
        if self.connection is None or self.connection.closed:
            raise InterfaceError("the cursor is closed")
        return self.connection

    def close(self) -> None:
        self.connection = None
        self._rows = []

    def _set_result(self, result: QueryResult) -> None:
        self.description = (
            [(c, t, None, None, None, None, None) for c, t in zip(result.columns, result.column_types)]
            if result.columns else None
        )
        self._rows = list(result.tuples)
        self._pos = 0
        if result.columns and not result.rows_affected:
            self.rowcount = len(result.tuples)
        else:
            self.rowcount = result.rows_affected
        self.lastrowid = result.last_insert_rowid

    def execute(self, sql: str, params: Params = None) -> "Cursor":
        conn = self._conn()
        result = conn.client.query(conn.database, sql, params if params is not None else None)
        self._set_result(result)
        return self

    def executemany(self, sql: str, seq_of_params: Sequence[Params]) -> "Cursor":
        """All parameter sets in one atomic batch request. ``rowcount`` is the total of rows
        affected; the rows of the last statement (e.g. with RETURNING) can be fetched."""
        conn = self._conn()
        seq = list(seq_of_params)
        if not seq:
            self.description, self._rows, self._pos, self.rowcount = None, [], 0, 0
            return self
        results = conn.client.batch(conn.database, [(sql, p) for p in seq])
        self._set_result(results[-1])
        self.rowcount = sum(r.rows_affected for r in results)
        last_ids = [r.last_insert_rowid for r in results if r.last_insert_rowid is not None]
        self.lastrowid = last_ids[-1] if last_ids else None
        return self

    def fetchone(self) -> Optional[Tuple[Any, ...]]:
        self._check_result()
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return row

    def fetchmany(self, size: Optional[int] = None) -> List[Tuple[Any, ...]]:
        self._check_result()
        n = self.arraysize if size is None else size
        rows = self._rows[self._pos:self._pos + n]
        self._pos += len(rows)
        return rows

    def fetchall(self) -> List[Tuple[Any, ...]]:
        self._check_result()
        rows = self._rows[self._pos:]
        self._pos = len(self._rows)
        return rows

    def _check_result(self) -> None:
        self._conn()
        if self.description is None:
            from .errors import ProgrammingError
            raise ProgrammingError("no result set: the last statement returned no rows/columns")

    def setinputsizes(self, sizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[Tuple[Any, ...]]:
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row

    def __enter__(self) -> "Cursor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
