"""Request building and answer parsing shared by the sync and async clients."""

from __future__ import annotations

import io
import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import (
    IO, Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union,
)
from urllib.parse import quote

from ._values import Params, decode_row, encode_params, query_string_value
from .errors import DBForgeError, TransportError, error_from_response
from .models import (
    AuditPage, BackupInfo, CreatedKey, DatabaseInfo, DatabaseList, GatewayStats, Health, ImportResult, InsertResult,
    Jwks, KeyInfo, MintedToken, QueryResult, RowsPage, TableInfo, TokensRevoked,
)

Statement = Union[str, Tuple[str], Tuple[str, Params], Mapping[str, Any]]
Duration = Union[str, timedelta]  # "90s", "30m", "1h", "7d", or a timedelta of whole seconds
BackupRef = Union[str, BackupInfo]  # a backup's id, or the backup itself
Destination = Union[str, "os.PathLike[str]", IO[bytes]]  # a path, or a binary file object
Source = Union[str, "os.PathLike[str]", IO[bytes]]  # a path, or a binary file object open for reading


class _Unset:
    """The default of an optional field that is left out of a request (``None`` is sent as
    JSON ``null``, which clears the field)."""

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = _Unset()

USER_AGENT = "dbforge-python/0.1.0"


@dataclass
class Call:
    method: str
    path: str
    parse: Callable[[Any], Any]
    query: List[Tuple[str, str]] = field(default_factory=list)
    body: Any = None
    text: bool = False  # the answer is text, not JSON
    ok_statuses: Tuple[int, ...] = (200, 201)
    no_content: bool = False  # success has no body (204): ``parse`` gets None


def seg(name: str) -> str:
    """One path segment (table names may hold any character)."""
    return quote(str(name), safe="")


def headers(api_key: Optional[str]) -> Dict[str, str]:
    h = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if api_key is not None:
        h["X-API-Key"] = api_key
    return h


def handle(call: Call, status: int, content: bytes, resp_headers: Mapping[str, str]) -> Any:
    request_id = resp_headers.get("x-request-id")
    if status not in call.ok_statuses:
        try:
            body = json.loads(content)
        except ValueError:
            body = None
        raise error_from_response(status, body, request_id)
    if call.no_content:
        return call.parse(None)
    if call.text:
        return call.parse(content.decode("utf-8"))
    try:
        body = json.loads(content)
    except ValueError as e:
        raise DBForgeError(None, f"the server answered with invalid JSON: {e}", status, request_id) from None
    return call.parse(body)


def statement_json(stmt: Statement) -> Dict[str, Any]:
    if isinstance(stmt, str):
        return {"sql": stmt}
    if isinstance(stmt, Mapping):
        out: Dict[str, Any] = {"sql": stmt["sql"]}
        if stmt.get("params") is not None:
            out["params"] = encode_params(stmt["params"])
        return out
    stmt = tuple(stmt)
    if len(stmt) == 1:
        return {"sql": stmt[0]}
    if len(stmt) == 2:
        out = {"sql": stmt[0]}
        if stmt[1] is not None:
            out["params"] = encode_params(stmt[1])
        return out
    raise TypeError("a statement is a str, (sql,), (sql, params) or {'sql': ..., 'params': ...}")


def _single(body: Dict[str, Any]) -> QueryResult:
    if "results" in body:  # an sql text holding several statements runs as a batch
        results = body["results"]
        return QueryResult.from_json(results[-1]) if results else QueryResult([], [], [], 0, None, False)
    return QueryResult.from_json(body)


def _batch(body: Dict[str, Any]) -> List[QueryResult]:
    if "results" in body:
        return [QueryResult.from_json(r) for r in body["results"]]
    return [QueryResult.from_json(body)]


# ---- the calls -------------------------------------------------------------------------


def list_databases(limit: Optional[int], after: Optional[str], prefix: Optional[str]) -> Call:
    q = [(k, str(v)) for k, v in (("limit", limit), ("after", after), ("prefix", prefix)) if v is not None]
    return Call("GET", "/admin/databases", DatabaseList.from_json, query=q)


def duration(name: str, d: Duration) -> str:
    """A duration for the server: text as given (``"90s"``, ``"1h"``, ``"7d"``); a timedelta
    as whole seconds."""
    if isinstance(d, timedelta):
        if d.microseconds:
            raise ValueError(f"{name}: the server takes whole seconds, not {d!r}")
        return f"{d.days * 86400 + d.seconds}s"
    return d


def create_database(name: str, max_size_bytes: Optional[int], ttl: Optional[Duration] = None) -> Call:
    body: Optional[Dict[str, Any]] = None
    if max_size_bytes is not None or ttl is not None:
        body = {}
        if max_size_bytes is not None:
            body["limits"] = {"max_size_bytes": max_size_bytes}
        if ttl is not None:
            body["ttl"] = duration("ttl", ttl)
    return Call("POST", f"/admin/databases/spawn/{seg(name)}", DatabaseInfo.from_json, body=body)


def update_database(
    name: str, ttl: Union[Duration, None, _Unset], backup_every: Union[Duration, None, _Unset],
    backup_keep: Union[int, None, _Unset],
) -> Call:
    body: Dict[str, Any] = {}
    if not isinstance(ttl, _Unset):
        body["ttl"] = None if ttl is None else duration("ttl", ttl)
    if not isinstance(backup_every, _Unset):
        body["backup_every"] = None if backup_every is None else duration("backup_every", backup_every)
    if not isinstance(backup_keep, _Unset):
        body["backup_keep"] = backup_keep
    return Call("PATCH", f"/admin/databases/{seg(name)}", DatabaseInfo.from_json, body=body)


def get_database(name: str) -> Call:
    return Call("GET", f"/admin/databases/{seg(name)}", DatabaseInfo.from_json)


def delete_database(name: str) -> Call:
    return Call("DELETE", f"/admin/databases/{seg(name)}", lambda b: b["deleted"])


def backup_id(backup: BackupRef) -> str:
    return backup.id if isinstance(backup, BackupInfo) else backup


def create_backup(name: str) -> Call:
    return Call("POST", f"/admin/databases/{seg(name)}/backups", BackupInfo.from_json)


def list_backups(name: str) -> Call:
    return Call(
        "GET", f"/admin/databases/{seg(name)}/backups",
        lambda b: [BackupInfo.from_json(x) for x in b["backups"]],
    )


def download_backup(name: str, backup: BackupRef) -> Call:
    # the client streams the answer itself; ``handle`` only turns an error answer into its exception
    return Call("GET", f"/admin/databases/{seg(name)}/backups/{seg(backup_id(backup))}", lambda b: b,
                ok_statuses=(200,))


DOWNLOAD_HEADERS = {"Accept": "application/zstd, application/json"}
SHA256_HEADER = "x-dbforge-sha256"


@contextmanager
def sink(dest: Destination) -> Iterator[Callable[[bytes], Any]]:
    """The ``write`` of ``dest``: a path is opened (truncated) here and removed again if the
    download fails half-way; a file object is written to as it is and left open."""
    if isinstance(dest, (str, os.PathLike)):
        f = open(dest, "wb")
        try:
            yield f.write
        except BaseException:
            f.close()
            try:
                os.unlink(dest)
            except OSError:
                pass
            raise
        f.close()
    else:
        yield dest.write


# ---- export and import ---------------------------------------------------------------

# the media type of each format (the server's Content-Type of an export, ours of an import)
MEDIA_TYPES = {
    "sql": "application/sql",
    "csv": "text/csv",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "sqlite": "application/vnd.sqlite3",
}
# file extensions an import's format is inferred from (lower case)
FORMAT_OF_EXTENSION = {
    ".sql": "sql", ".csv": "csv", ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson",
    ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite", ".db3": "sqlite",
}
UPLOAD_CHUNK = 256 * 1024


def export(name: str, format: str, table: Optional[str], sql: Optional[str], null: Optional[str]) -> Call:
    # streamed by the client; ``handle`` only turns an error answer into its exception
    q = [(k, v) for k, v in (("format", format), ("table", table), ("sql", sql), ("null", null)) if v is not None]
    return Call("GET", f"/api/db/{seg(name)}/export", lambda b: b, query=q, ok_statuses=(200,))


def export_headers(format: str) -> Dict[str, str]:
    media = MEDIA_TYPES.get(format)
    return {"Accept": f"{media}, application/json" if media else "*/*"}


def import_format(source: Source, format: Optional[str]) -> str:
    """``format`` as given, else the one the extension of ``source`` (a path, or a file
    object's ``name``) names; ValueError when there is none to go by."""
    if format is not None:
        return format
    path = source if isinstance(source, (str, os.PathLike)) else getattr(source, "name", None)
    if isinstance(path, (str, os.PathLike)):
        ext = os.path.splitext(os.fspath(path))[1].lower()
        if ext in FORMAT_OF_EXTENSION:
            return FORMAT_OF_EXTENSION[ext]
        raise ValueError(
            f"cannot tell the format from the extension {ext or '(none)'!r} of {os.fspath(path)!r}: "
            f"pass format= ({', '.join(MEDIA_TYPES)})"
        )
    raise ValueError(f"pass format= ({', '.join(MEDIA_TYPES)}): a file object without a name has no extension")


def import_data(name: str, format: str, table: Optional[str], null: Optional[str]) -> Call:
    q = [(k, v) for k, v in (("format", format), ("table", table), ("null", null)) if v is not None]
    return Call("POST", f"/admin/databases/{seg(name)}/import", ImportResult.from_json, query=q)


def import_headers(format: str, length: Optional[int]) -> Dict[str, str]:
    h = {"Content-Type": MEDIA_TYPES.get(format, "application/octet-stream")}
    if length is not None:  # else the upload is sent chunked
        h["Content-Length"] = str(length)
    return h


def _readable(f: Any) -> None:
    if isinstance(f, io.TextIOBase):
        raise TypeError("open the file in binary mode ('rb'): an import is sent as bytes")
    if not callable(getattr(f, "read", None)):
        raise TypeError(f"an import's source is a path or a binary file object, not {type(f).__name__}")


def _remaining(f: Any) -> Optional[int]:
    """The bytes left in a regular file from its position; None when that cannot be known."""
    try:
        st = os.fstat(f.fileno())
        if not (st.st_mode & 0o170000 == 0o100000):  # not a regular file (a pipe, a socket)
            return None
        return max(st.st_size - f.tell(), 0)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def read_chunks(f: IO[bytes]) -> Iterator[bytes]:
    """``f`` read as it is sent (never whole in memory)."""
    while True:
        chunk = f.read(UPLOAD_CHUNK)
        if not chunk:
            return
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError("open the file in binary mode ('rb'): an import is sent as bytes")
        yield bytes(chunk)


@contextmanager
def upload(source: Source) -> Iterator[Tuple[IO[bytes], Optional[int]]]:
    """The file to send and its length (None: unknown, sent chunked). A path is opened here
    and closed after; a file object is read from its position and left open."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            yield f, _remaining(f)
    else:
        _readable(source)
        yield source, _remaining(source)


@contextmanager
def atomic_sink(dest: Destination) -> Iterator[Callable[[bytes], Any]]:
    """The ``write`` of ``dest``. A path is written through a temporary file beside it, renamed
    over it once everything arrived (so it is never seen partial; a file there before stays as
    it was if the export fails) and removed on failure. A file object is written to as it is
    and left open."""
    if not isinstance(dest, (str, os.PathLike)):
        yield dest.write
        return
    path = os.fspath(dest)
    directory, base = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.part")
    # the mode as open() would give it (0o666 less the umask), not mkstemp's 0o600
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f.write
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class NdjsonRows:
    """Rows of an NDJSON body fed in chunks of any size: each complete line is decoded as it
    arrives (values with the client's decoding: blobs to bytes, integers exact); a line split
    over chunks is joined once (linear, however long)."""

    def __init__(self) -> None:
        self._parts: List[bytes] = []
        self.rows = 0

    def _row(self, line: bytes) -> Optional[Dict[str, Any]]:
        if not line.strip():
            return None
        try:
            row = json.loads(line)
        except ValueError as e:
            raise DBForgeError(None, f"the export's row {self.rows + 1} is not valid JSON: {e}") from None
        if not isinstance(row, dict):
            raise DBForgeError(None, f"the export's row {self.rows + 1} is not a JSON object")
        self.rows += 1
        return decode_row(row)

    def feed(self, chunk: bytes) -> Iterator[Dict[str, Any]]:
        start = 0
        while True:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                if start < len(chunk):
                    self._parts.append(chunk[start:])
                return
            line = chunk[start:nl]
            if self._parts:
                self._parts.append(line)
                line = b"".join(self._parts)
                self._parts = []
            start = nl + 1
            row = self._row(line)
            if row is not None:
                yield row

    def end(self) -> Iterator[Dict[str, Any]]:
        """The last line, when the body did not end with a newline."""
        if self._parts:
            line = b"".join(self._parts)
            self._parts = []
            row = self._row(line)
            if row is not None:
                yield row


def cut_short(what: str, done: str, e: Exception) -> TransportError:
    """The error of a streamed answer that ended before it was whole (the server cuts an
    export short when it fails after its first byte)."""
    return TransportError(
        None, f"{what} was cut short after {done}: it is incomplete ({type(e).__name__}: {e})"
    )


def delete_backup(name: str, backup: BackupRef) -> Call:
    return Call("DELETE", f"/admin/databases/{seg(name)}/backups/{seg(backup_id(backup))}", BackupInfo.from_json)


def restore(name: str, backup: BackupRef, as_name: Optional[str], confirm: Optional[str]) -> Call:
    body: Dict[str, Any] = {"backup": backup_id(backup)}
    if as_name is not None:
        body["as"] = as_name
    if confirm is not None:
        body["confirm"] = confirm
    return Call("POST", f"/admin/databases/{seg(name)}/restore", DatabaseInfo.from_json, body=body)


def branch(name: str, new: str) -> Call:
    return Call("POST", f"/admin/databases/{seg(name)}/branch/{seg(new)}", DatabaseInfo.from_json)


def stats() -> Call:
    return Call("GET", "/admin/gateway/stats", GatewayStats.from_json)


def query(db: str, sql: str, params: Params, lossless: bool) -> Call:
    body: Dict[str, Any] = {"sql": sql, "row_format": "arrays"}
    if params is not None:
        body["params"] = encode_params(params)
    if lossless:
        body["lossless"] = True
    return Call("POST", f"/api/db/{seg(db)}/query", _single, body=body)


def batch(db: str, statements: Iterable[Statement], lossless: bool) -> Call:
    stmts = [statement_json(s) for s in statements]
    if not stmts:
        raise ValueError("batch() needs at least one statement")
    body: Dict[str, Any] = {"statements": stmts, "row_format": "arrays"}
    if lossless:
        body["lossless"] = True
    return Call("POST", f"/api/db/{seg(db)}/query", _batch, body=body)


def list_tables(db: str) -> Call:
    return Call("GET", f"/api/db/{seg(db)}/tables", lambda b: [TableInfo.from_json(t) for t in b["tables"]])


def get_table(db: str, table: str) -> Call:
    return Call("GET", f"/api/db/{seg(db)}/tables/{seg(table)}", TableInfo.from_json)


def create_table(
    db: str, name: str, columns: Sequence[Mapping[str, Any]], if_not_exists: bool, strict: bool
) -> Call:
    body: Dict[str, Any] = {"name": name, "columns": [dict(c) for c in columns]}
    if if_not_exists:
        body["if_not_exists"] = True
    if strict:
        body["strict"] = True
    return Call("POST", f"/api/db/{seg(db)}/tables", TableInfo.from_json, body=body)


def insert_rows(db: str, table: str, rows: Union[Mapping[str, Any], Sequence[Mapping[str, Any]]]) -> Call:
    if isinstance(rows, Mapping):
        rows = [rows]
    body = {"rows": [encode_params(r) for r in rows]}
    return Call(
        "POST", f"/api/db/{seg(db)}/tables/{seg(table)}/rows",
        lambda b: InsertResult(b["inserted"], list(b["rowids"])), body=body,
    )


def read_rows(
    db: str, table: str, *, limit: Optional[int], offset: Optional[int], after: Optional[int],
    order_by: Optional[str], order: Optional[str], where: Optional[Mapping[str, Any]], rowid: bool,
) -> Call:
    q: List[Tuple[str, str]] = []
    for k, v in (("limit", limit), ("offset", offset), ("after", after), ("order_by", order_by), ("order", order)):
        if v is not None:
            q.append((k, str(v)))
    if rowid:
        q.append(("rowid", "true"))
    for col, val in (where or {}).items():
        q.append((f"where.{col}", query_string_value(val)))
    return Call("GET", f"/api/db/{seg(db)}/tables/{seg(table)}/rows", RowsPage.from_json, query=q)


def create_key(
    name: str, role: str, databases: Sequence[str], can_create: bool, expires_at: Optional[str]
) -> Call:
    if isinstance(databases, str):  # one pattern, not its characters
        databases = [databases]
    body: Dict[str, Any] = {"name": name, "role": role, "databases": list(databases)}
    if can_create:
        body["can_create"] = True
    if expires_at is not None:
        body["expires_at"] = expires_at
    return Call("POST", "/admin/keys", CreatedKey.from_json, body=body)


def list_keys() -> Call:
    return Call("GET", "/admin/keys", lambda b: [KeyInfo.from_json(k) for k in b["keys"]])


def revoke_key(key_id: str) -> Call:
    return Call("DELETE", f"/admin/keys/{seg(key_id)}", lambda _: None, ok_statuses=(204,), no_content=True)


def rotate_key(key_id: str) -> Call:
    return Call("POST", f"/admin/keys/{seg(key_id)}/rotate", CreatedKey.from_json)


When = Union[str, datetime]


def _rfc3339(name: str, t: When) -> str:
    """A time for the server: text as given; an aware datetime in UTC (the server reads UTC)."""
    if isinstance(t, str):
        return t
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{name}: a datetime needs a timezone (e.g. datetime.now(timezone.utc))")
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def audit(
    *, key: Optional[str], database: Optional[str], action: Optional[str], outcome: Optional[str],
    since: Optional[When], until: Optional[When], before: Optional[int], limit: Optional[int],
    credential: Optional[str] = None, target: Optional[str] = None,
) -> Call:
    q: List[Tuple[str, str]] = []
    for k, v in (("key", key), ("credential", credential), ("target", target), ("database", database),
                 ("action", action), ("outcome", outcome)):
        if v is not None:
            q.append((k, v))
    for k, t in (("since", since), ("until", until)):
        if t is not None:
            q.append((k, _rfc3339(k, t)))
    for k, n in (("before", before), ("limit", limit)):
        if n is not None:
            q.append((k, str(n)))
    return Call("GET", "/admin/audit", AuditPage.from_json, query=q)


def mint_token(db: str, access: str, expires_in: Optional[str]) -> Call:
    body: Dict[str, Any] = {"access": access}
    if expires_in is not None:
        body["expires_in"] = expires_in
    return Call("POST", f"/admin/databases/{seg(db)}/tokens", MintedToken.from_json, body=body)


def revoke_database_tokens(db: str) -> Call:
    return Call("POST", f"/admin/databases/{seg(db)}/tokens/revoke", TokensRevoked.from_json)


def revoke_all_tokens() -> Call:
    return Call("POST", "/admin/tokens/revoke", TokensRevoked.from_json)


def jwks() -> Call:
    return Call("GET", "/.well-known/jwks.json", Jwks.from_json)


def health() -> Call:
    return Call("GET", "/health", lambda b: Health(b["status"], b["version"]))


def ready() -> Call:
    # 503 not_ready raises UnavailableError; a 200 means ready
    return Call("GET", "/ready", lambda b: True)


def metrics() -> Call:
    return Call("GET", "/metrics", lambda t: t, text=True)


