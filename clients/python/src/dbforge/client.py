"""The HTTP clients: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio)."""

from __future__ import annotations

import json
from typing import (
    Any, AsyncIterator, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union,
)

import httpx

from . import _core
from ._core import UNSET, BackupRef, Call, Destination, Duration, Source, Statement, When, _Unset
from ._values import Params
from .errors import TransportError
from .models import (
    AuditEntry, AuditPage, BackupInfo, CreatedKey, DatabaseInfo, DatabaseList, DownloadedBackup, GatewayStats,
    Health, ImportResult, InsertResult, Jwks, KeyInfo, MintedToken, QueryResult, RowsPage, TableInfo, TokensRevoked,
)

Rows = Union[Mapping[str, Any], Sequence[Mapping[str, Any]]]
DEFAULT_TIMEOUT = 30.0
Timeout = Union[Optional[float], httpx.Timeout, _Unset]


def _timeout(timeout: Timeout) -> Any:
    return httpx.USE_CLIENT_DEFAULT if isinstance(timeout, _Unset) else timeout


async def _aread_chunks(f: Any) -> AsyncIterator[bytes]:
    for chunk in _core.read_chunks(f):  # blocking reads of a local file, like download_backup's writes
        yield chunk


def _request_kwargs(call: Call) -> Dict[str, Any]:
    kw: Dict[str, Any] = {"params": call.query}
    if call.body is not None:
        kw["content"] = json.dumps(call.body, allow_nan=False).encode("utf-8")
        kw["headers"] = {"Content-Type": "application/json"}
    return kw


class Client:
    """Blocking client for every DB-Forge endpoint.

    ``api_key`` is the admin key, a scoped key's secret or a per-database token from
    :meth:`mint_token` (a token works wherever a key does).

    >>> with Client("http://127.0.0.1:8080", api_key="secret") as db:
    ...     db.query("shop", "SELECT 1 AS one").rows
    [{'one': 1}]
    """

    def __init__(
        self,
        url: str,
        api_key: Optional[str] = None,
        timeout: Optional[float] = DEFAULT_TIMEOUT,
        *,
        transport: Optional[httpx.BaseTransport] = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url, headers=_core.headers(api_key), timeout=timeout, transport=transport
        )

    # -- plumbing
    def _run(self, call: Call) -> Any:
        try:
            resp = self._http.request(call.method, call.path, **_request_kwargs(call))
        except httpx.HTTPError as e:
            raise TransportError(None, f"{type(e).__name__}: {e}") from e
        return _core.handle(call, resp.status_code, resp.content, resp.headers)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- admin
    def list_databases(
        self, limit: Optional[int] = None, after: Optional[str] = None, prefix: Optional[str] = None
    ) -> DatabaseList:
        """One page of databases, ordered by name; pass ``next_cursor`` as ``after``."""
        return self._run(_core.list_databases(limit, after, prefix))

    def iter_databases(self, prefix: Optional[str] = None, page_size: Optional[int] = None) -> Iterator[DatabaseInfo]:
        """Every database (matching ``prefix``), following ``next_cursor`` across pages."""
        after: Optional[str] = None
        while True:
            page = self.list_databases(limit=page_size, after=after, prefix=prefix)
            yield from page.databases
            if not page.next_cursor:
                return
            after = page.next_cursor

    def create_database(
        self, name: str, max_size_bytes: Optional[int] = None, *, ttl: Optional[Duration] = None
    ) -> DatabaseInfo:
        """Create an empty database. ``max_size_bytes``: its size quota (the server's default
        if None); ``ttl``: its time to live (``"30m"``, ``"7d"`` or a ``timedelta``; 1 s to 100
        years): it is deleted once ``expires_at`` has passed."""
        return self._run(_core.create_database(name, max_size_bytes, ttl))

    def get_database(self, name: str) -> DatabaseInfo:
        return self._run(_core.get_database(name))

    def update_database(
        self, name: str, *, ttl: Union[Duration, None, _Unset] = UNSET,
        backup_every: Union[Duration, None, _Unset] = UNSET, backup_keep: Union[int, None, _Unset] = UNSET,
    ) -> DatabaseInfo:
        """Change a database's settings (``PATCH``); an argument left out stays as it is, ``None``
        clears it. ``ttl``: a new time to live counted from now (None: it no longer expires);
        ``backup_every``: its backup interval (``"1h"``, ``"off"``; None: the server's
        default); ``backup_keep``: how many backups to keep (1 or more; None: the server's
        default)."""
        return self._run(_core.update_database(name, ttl, backup_every, backup_keep))

    def delete_database(self, name: str) -> str:
        """Delete a database and its files; returns the deleted name. Its backups stay."""
        return self._run(_core.delete_database(name))

    # -- backups, restore, branches
    def create_backup(self, name: str) -> BackupInfo:
        """Back ``name`` up now: a consistent snapshot (the database goes on taking reads and
        writes), answered once it is stored, read back and checked."""
        return self._run(_core.create_backup(name))

    def list_backups(self, name: str) -> List[BackupInfo]:
        """The backups of ``name``, newest first (also those of a deleted database)."""
        return self._run(_core.list_backups(name))

    def download_backup(self, name: str, backup: BackupRef, dest: Destination) -> DownloadedBackup:
        """Stream a backup as stored (a SQLite file compressed with zstd; ``zstd -d`` gives the
        database) into ``dest``: a path (created or truncated; removed again if the download
        fails) or a binary file object (written to, left open). Never held in memory whole.

        Returns the bytes written and the server's SHA-256 of the *decompressed* file, to check
        after decompressing. An error answer (``backup_not_found``...) raises before ``dest``
        is touched."""
        call = _core.download_backup(name, backup)
        try:
            with self._http.stream(call.method, call.path, headers=_core.DOWNLOAD_HEADERS) as resp:
                if resp.status_code not in call.ok_statuses:
                    _core.handle(call, resp.status_code, resp.read(), resp.headers)  # raises
                written = 0
                with _core.sink(dest) as write:
                    for chunk in resp.iter_bytes():
                        write(chunk)
                        written += len(chunk)
                return DownloadedBackup(written, resp.headers.get(_core.SHA256_HEADER))
        except httpx.HTTPError as e:
            raise TransportError(None, f"{type(e).__name__}: {e}") from e

    def delete_backup(self, name: str, backup: BackupRef) -> BackupInfo:
        """Delete a backup from its destination; returns it."""
        return self._run(_core.delete_backup(name, backup))

    def restore(
        self, name: str, backup: BackupRef, *, as_name: Optional[str] = None, confirm: Optional[str] = None
    ) -> DatabaseInfo:
        """Restore a backup of ``name`` (its id or :class:`BackupInfo`). Give one of
        ``as_name``: into a new database of that name (``name`` may be gone), or ``confirm=name``:
        replace the content of ``name`` in place (atomically, behind the writes before it).
        The backup is checked again first: a damaged one raises :class:`BackupCorruptError`
        and nothing changes."""
        return self._run(_core.restore(name, backup, as_name, confirm))

    def branch(self, name: str, new: str) -> DatabaseInfo:
        """Copy one consistent point in time of ``name`` into the new database ``new``
        (independent from then on; ``branched_from`` tells where it came from)."""
        return self._run(_core.branch(name, new))

    # -- export and import
    def export(
        self, name: str, dest: Destination, *, format: str = "sql", table: Optional[str] = None,
        sql: Optional[str] = None, null: Optional[str] = None,
    ) -> int:
        """Stream an export of ``name`` into ``dest``; returns the bytes written. Never held
        in memory whole, and no row limit.

        ``format``: ``"sql"`` (a dump of the database, or of ``table`` with its indexes and
        triggers), ``"csv"``, ``"json"`` (one array), ``"ndjson"`` (the rows of ``table`` or of
        the read-only query ``sql``) or ``"sqlite"`` (the database file, a consistent snapshot).
        ``null``: how CSV writes NULL (default an empty field; ``"\\N"`` keeps NULL and empty
        text apart).

        ``dest``: a path, written through a temporary file beside it and renamed over it once
        the export is whole (a failure removes the temporary file and leaves ``dest`` as it
        was); or a binary file object (written to, left open: after a failure it holds a
        partial export). An error answer (``table_not_found``, a query that writes...) raises
        before ``dest`` is touched; an export the server cuts short raises
        :class:`TransportError`: it is never returned as complete."""
        call = _core.export(name, format, table, sql, null)
        try:
            with self._http.stream(call.method, call.path, params=call.query,
                                   headers=_core.export_headers(format)) as resp:
                if resp.status_code not in call.ok_statuses:
                    _core.handle(call, resp.status_code, resp.read(), resp.headers)  # raises
                written = 0
                with _core.atomic_sink(dest) as write:
                    try:
                        for chunk in resp.iter_bytes():
                            write(chunk)
                            written += len(chunk)
                    except httpx.HTTPError as e:
                        raise _core.cut_short("the export", f"{written} bytes", e) from e
                return written
        except httpx.HTTPError as e:
            raise TransportError(None, f"{type(e).__name__}: {e}") from e

    def export_rows(
        self, name: str, *, table: Optional[str] = None, sql: Optional[str] = None
    ) -> Iterator[Dict[str, Any]]:
        """The rows of ``table`` or of the read-only query ``sql``, one dict each (values
        decoded like :meth:`query`'s: blobs as bytes, integers exact), read lazily from an
        NDJSON export: no row limit, and only the rows of one chunk in memory at a time.

        A generator: the request is sent at the first ``next()`` (an error answer raises
        there); an export cut short raises :class:`TransportError` after the rows that came.
        Leaving the loop early closes the connection."""
        call = _core.export(name, "ndjson", table, sql, None)
        decoder = _core.NdjsonRows()
        try:
            with self._http.stream(call.method, call.path, params=call.query,
                                   headers=_core.export_headers("ndjson")) as resp:
                if resp.status_code not in call.ok_statuses:
                    _core.handle(call, resp.status_code, resp.read(), resp.headers)  # raises
                try:
                    for chunk in resp.iter_bytes():
                        yield from decoder.feed(chunk)
                except httpx.HTTPError as e:
                    raise _core.cut_short("the export", f"{decoder.rows} rows", e) from e
                yield from decoder.end()
        except httpx.HTTPError as e:
            raise TransportError(None, f"{type(e).__name__}: {e}") from e

    def import_data(
        self, name: str, source: Source, *, format: Optional[str] = None, table: Optional[str] = None,
        null: Optional[str] = None, timeout: Timeout = UNSET,
    ) -> ImportResult:
        """Load a file into ``name``, all or nothing, streamed from ``source`` (a path, or a
        binary file object read from its position and left open).

        ``format``: ``"sqlite"`` (the file becomes the new database ``name``), ``"sql"`` (a
        dump), ``"csv"``, ``"json"`` or ``"ndjson"`` (rows into ``table``, created when
        missing); when left out, from the extension (``.sqlite``/``.sqlite3``/``.db``,
        ``.sql``, ``.csv``, ``.json``, ``.ndjson``/``.jsonl``). ``null``: CSV's NULL marker.
        The database is created when it does not exist (``created_database``), and removed
        again if the import fails. ``timeout``: for this request instead of the client's (a
        large import may take longer than the client's read timeout to answer).

        Errors name where: ``BadRequestError`` ``line 4: ...``, ``InvalidDatabaseFileError``,
        ``ConstraintError``, ``StatementNotAllowedError``, ``TooLargeError``..."""
        fmt = _core.import_format(source, format)
        call = _core.import_data(name, fmt, table, null)
        with _core.upload(source) as (f, length):
            try:
                resp = self._http.request(
                    call.method, call.path, params=call.query, content=_core.read_chunks(f),
                    headers=_core.import_headers(fmt, length), timeout=_timeout(timeout),
                )
            except httpx.HTTPError as e:
                raise TransportError(None, f"{type(e).__name__}: {e}") from e
        return _core.handle(call, resp.status_code, resp.content, resp.headers)

    def stats(self) -> GatewayStats:
        return self._run(_core.stats())

    # -- SQL
    def query(self, db: str, sql: str, params: Params = None, *, lossless: bool = False) -> QueryResult:
        """Run one statement (its own transaction). ``params``: a sequence for ``?``, a mapping for
        ``:name``. A text of several statements runs atomically; the last one's result is returned."""
        return self._run(_core.query(db, sql, params, lossless))

    def batch(self, db: str, statements: Iterable[Statement], *, lossless: bool = False) -> List[QueryResult]:
        """Run several statements atomically: all commit or none does. Each is a str,
        ``(sql, params)`` or ``{"sql": ..., "params": ...}``."""
        return self._run(_core.batch(db, statements, lossless))

    # -- tables
    def list_tables(self, db: str) -> List[TableInfo]:
        return self._run(_core.list_tables(db))

    def get_table(self, db: str, table: str) -> TableInfo:
        return self._run(_core.get_table(db, table))

    def create_table(
        self, db: str, name: str, columns: Sequence[Mapping[str, Any]], *,
        if_not_exists: bool = False, strict: bool = False,
    ) -> TableInfo:
        """``columns``: dicts like ``{"name": "id", "type": "INTEGER", "primary_key": True}``
        (keys: name, type, primary_key, autoincrement, not_null, unique, default)."""
        return self._run(_core.create_table(db, name, columns, if_not_exists, strict))

    def insert_rows(self, db: str, table: str, rows: Rows) -> InsertResult:
        """Insert one row (a dict) or many (a list of dicts) in one transaction."""
        return self._run(_core.insert_rows(db, table, rows))

    def read_rows(
        self, db: str, table: str, *, limit: Optional[int] = None, offset: Optional[int] = None,
        after: Optional[int] = None, order_by: Optional[str] = None, order: Optional[str] = None,
        where: Optional[Mapping[str, Any]] = None, rowid: bool = False,
    ) -> RowsPage:
        return self._run(_core.read_rows(
            db, table, limit=limit, offset=offset, after=after, order_by=order_by, order=order,
            where=where, rowid=rowid,
        ))

    def iter_rows(
        self, db: str, table: str, *, page_size: Optional[int] = None, where: Optional[Mapping[str, Any]] = None
    ) -> Iterator[Dict[str, Any]]:
        """Every row of a rowid table in rowid order, by keyset paging (``after``)."""
        after: Optional[int] = None
        while True:
            page = self.read_rows(db, table, limit=page_size, after=after, where=where)
            yield from page.rows
            if page.next_after is None:
                return
            after = page.next_after

    # -- keys and tokens
    def create_key(
        self, name: str, role: str, databases: Sequence[str] = (), *, can_create: bool = False,
        expires_at: Optional[str] = None,
    ) -> CreatedKey:
        """Create a scoped API key (admins only). ``role``: ``"admin"``, ``"read_write"`` or
        ``"read_only"``; ``databases``: names and prefixes ending in ``*`` (``"ci-*"``);
        ``expires_at``: RFC 3339 in UTC. The answer's ``secret`` is shown only this once."""
        return self._run(_core.create_key(name, role, databases, can_create, expires_at))

    def list_keys(self) -> List[KeyInfo]:
        """Every scoped key, by name (admins only; never a secret)."""
        return self._run(_core.list_keys())

    def revoke_key(self, key_id: str) -> None:
        """Revoke a key at once; an unknown id raises :class:`NotFoundError` (``key_not_found``)."""
        return self._run(_core.revoke_key(key_id))

    def rotate_key(self, key_id: str) -> CreatedKey:
        """A new secret with the same grants; the old secret stops working at once."""
        return self._run(_core.rotate_key(key_id))

    def audit(
        self, *, key: Optional[str] = None, database: Optional[str] = None, action: Optional[str] = None,
        outcome: Optional[str] = None, since: Optional[When] = None, until: Optional[When] = None,
        credential: Optional[str] = None, target: Optional[str] = None,
        before: Optional[int] = None, limit: Optional[int] = None,
    ) -> AuditPage:
        """One page of the audit log, newest first (admins only): every admin action and every
        request that wrote or was refused as a write. Filters: ``key`` (a key's or token's id),
        ``credential`` (``"bootstrap_admin"``, ``"key"``, ``"token"``), ``target`` (the key a key
        action was about), ``database``, ``action`` (``"POST /admin/keys"``), ``outcome`` (``"ok"``: under 400, or
        ``"error"``), ``since`` and ``until`` (RFC 3339 in UTC, or aware datetimes); ``limit``
        1-1000 (default 100). Pass the page's ``next_cursor`` as ``before`` for the next one."""
        return self._run(_core.audit(
            key=key, database=database, action=action, outcome=outcome, since=since, until=until,
                credential=credential, target=target,
            before=before, limit=limit,
        ))

    def iter_audit(
        self, *, key: Optional[str] = None, database: Optional[str] = None, action: Optional[str] = None,
        outcome: Optional[str] = None, since: Optional[When] = None, until: Optional[When] = None,
        credential: Optional[str] = None, target: Optional[str] = None,
        before: Optional[int] = None, page_size: Optional[int] = None,
    ) -> Iterator[AuditEntry]:
        """Every matching audit entry, newest first, following ``next_cursor`` across pages."""
        while True:
            page = self.audit(
                key=key, database=database, action=action, outcome=outcome, since=since, until=until,
                credential=credential, target=target,
                before=before, limit=page_size,
            )
            yield from page.entries
            if page.next_cursor is None:
                return
            before = page.next_cursor

    def mint_token(self, db: str, access: str = "read_only", expires_in: Optional[str] = None) -> MintedToken:
        """A token (JWT) for one database: ``access`` ``"read_only"`` or ``"read_write"``,
        working for ``expires_in`` (``"90s"``, ``"15m"``, ``"1h"``, ``"7d"``; the server's
        default is one hour). Pass ``.token`` as ``api_key`` to any client."""
        return self._run(_core.mint_token(db, access, expires_in))

    def revoke_database_tokens(self, db: str) -> TokensRevoked:
        """Every token of ``db`` minted so far is refused from now on."""
        return self._run(_core.revoke_database_tokens(db))

    def revoke_all_tokens(self) -> TokensRevoked:
        """Every token of the server minted so far is refused from now on (admins only)."""
        return self._run(_core.revoke_all_tokens())

    def jwks(self) -> Jwks:
        """The public keys that verify the server's tokens (no key needed)."""
        return self._run(_core.jwks())

    # -- operations
    def health(self) -> Health:
        return self._run(_core.health())

    def ready(self) -> bool:
        """True when ready; a ``503 not_ready`` raises :class:`UnavailableError`."""
        return self._run(_core.ready())

    def metrics(self) -> str:
        """The Prometheus text exposition."""
        return self._run(_core.metrics())


class AsyncClient:
    """asyncio client with the same methods as :class:`Client` (each a coroutine)."""

    def __init__(
        self,
        url: str,
        api_key: Optional[str] = None,
        timeout: Optional[float] = DEFAULT_TIMEOUT,
        *,
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.url, headers=_core.headers(api_key), timeout=timeout, transport=transport
        )

    async def _run(self, call: Call) -> Any:
        try:
            resp = await self._http.request(call.method, call.path, **_request_kwargs(call))
        except httpx.HTTPError as e:
            raise TransportError(None, f"{type(e).__name__}: {e}") from e
        return _core.handle(call, resp.status_code, resp.content, resp.headers)

    async def aclose(self) -> None:
        await self._http.aclose()

    close = aclose

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def list_databases(
        self, limit: Optional[int] = None, after: Optional[str] = None, prefix: Optional[str] = None
    ) -> DatabaseList:
        return await self._run(_core.list_databases(limit, after, prefix))

    async def iter_databases(
        self, prefix: Optional[str] = None, page_size: Optional[int] = None
    ) -> AsyncIterator[DatabaseInfo]:
        after: Optional[str] = None
        while True:
            page = await self.list_databases(limit=page_size, after=after, prefix=prefix)
            for d in page.databases:
                yield d
            if not page.next_cursor:
                return
            after = page.next_cursor

    async def create_database(
        self, name: str, max_size_bytes: Optional[int] = None, *, ttl: Optional[Duration] = None
    ) -> DatabaseInfo:
        return await self._run(_core.create_database(name, max_size_bytes, ttl))

    async def get_database(self, name: str) -> DatabaseInfo:
        return await self._run(_core.get_database(name))

    async def update_database(
        self, name: str, *, ttl: Union[Duration, None, _Unset] = UNSET,
        backup_every: Union[Duration, None, _Unset] = UNSET, backup_keep: Union[int, None, _Unset] = UNSET,
    ) -> DatabaseInfo:
        """See :meth:`Client.update_database`: left out stays, ``None`` clears."""
        return await self._run(_core.update_database(name, ttl, backup_every, backup_keep))

    async def delete_database(self, name: str) -> str:
        return await self._run(_core.delete_database(name))

    async def create_backup(self, name: str) -> BackupInfo:
        return await self._run(_core.create_backup(name))

    async def list_backups(self, name: str) -> List[BackupInfo]:
        return await self._run(_core.list_backups(name))

    async def download_backup(self, name: str, backup: BackupRef, dest: Destination) -> DownloadedBackup:
        """See :meth:`Client.download_backup`. The chunks are written to ``dest`` as they arrive
        (plain blocking writes of a file: a path or a binary file object)."""
        call = _core.download_backup(name, backup)
        try:
            async with self._http.stream(call.method, call.path, headers=_core.DOWNLOAD_HEADERS) as resp:
                if resp.status_code not in call.ok_statuses:
                    _core.handle(call, resp.status_code, await resp.aread(), resp.headers)  # raises
                written = 0
                with _core.sink(dest) as write:
                    async for chunk in resp.aiter_bytes():
                        write(chunk)
                        written += len(chunk)
                return DownloadedBackup(written, resp.headers.get(_core.SHA256_HEADER))
        except httpx.HTTPError as e:
            raise TransportError(None, f"{type(e).__name__}: {e}") from e

    async def delete_backup(self, name: str, backup: BackupRef) -> BackupInfo:
        return await self._run(_core.delete_backup(name, backup))

    async def restore(
        self, name: str, backup: BackupRef, *, as_name: Optional[str] = None, confirm: Optional[str] = None
    ) -> DatabaseInfo:
        """See :meth:`Client.restore`: ``as_name`` (a new database) or ``confirm=name`` (in place)."""
        return await self._run(_core.restore(name, backup, as_name, confirm))

    async def branch(self, name: str, new: str) -> DatabaseInfo:
        return await self._run(_core.branch(name, new))

    async def export(
        self, name: str, dest: Destination, *, format: str = "sql", table: Optional[str] = None,
        sql: Optional[str] = None, null: Optional[str] = None,
    ) -> int:
        """See :meth:`Client.export`. The chunks are written to ``dest`` as they arrive (plain
        blocking writes of a file: a path or a binary file object)."""
        call = _core.export(name, format, table, sql, null)
        try:
            async with self._http.stream(call.method, call.path, params=call.query,
                                         headers=_core.export_headers(format)) as resp:
                if resp.status_code not in call.ok_statuses:
                    _core.handle(call, resp.status_code, await resp.aread(), resp.headers)  # raises
                written = 0
                with _core.atomic_sink(dest) as write:
                    try:
                        async for chunk in resp.aiter_bytes():
                            write(chunk)
                            written += len(chunk)
                    except httpx.HTTPError as e:
                        raise _core.cut_short("the export", f"{written} bytes", e) from e
                return written
        except httpx.HTTPError as e:
            raise TransportError(None, f"{type(e).__name__}: {e}") from e

    async def export_rows(
        self, name: str, *, table: Optional[str] = None, sql: Optional[str] = None
    ) -> AsyncIterator[Dict[str, Any]]:
        """See :meth:`Client.export_rows`; an async generator (to leave it early and close the
        connection at once, wrap it in ``contextlib.aclosing``)."""
        call = _core.export(name, "ndjson", table, sql, None)
        decoder = _core.NdjsonRows()
        try:
            async with self._http.stream(call.method, call.path, params=call.query,
                                         headers=_core.export_headers("ndjson")) as resp:
                if resp.status_code not in call.ok_statuses:
                    _core.handle(call, resp.status_code, await resp.aread(), resp.headers)  # raises
                try:
                    async for chunk in resp.aiter_bytes():
                        for row in decoder.feed(chunk):
                            yield row
                except httpx.HTTPError as e:
                    raise _core.cut_short("the export", f"{decoder.rows} rows", e) from e
                for row in decoder.end():
                    yield row
        except httpx.HTTPError as e:
            raise TransportError(None, f"{type(e).__name__}: {e}") from e

    async def import_data(
        self, name: str, source: Source, *, format: Optional[str] = None, table: Optional[str] = None,
        null: Optional[str] = None, timeout: Timeout = UNSET,
    ) -> ImportResult:
        """See :meth:`Client.import_data`. The file is read as it is sent (plain blocking reads)."""
        fmt = _core.import_format(source, format)
        call = _core.import_data(name, fmt, table, null)
        with _core.upload(source) as (f, length):
            try:
                resp = await self._http.request(
                    call.method, call.path, params=call.query, content=_aread_chunks(f),
                    headers=_core.import_headers(fmt, length), timeout=_timeout(timeout),
                )
            except httpx.HTTPError as e:
                raise TransportError(None, f"{type(e).__name__}: {e}") from e
        return _core.handle(call, resp.status_code, resp.content, resp.headers)

    async def stats(self) -> GatewayStats:
        return await self._run(_core.stats())

    async def query(self, db: str, sql: str, params: Params = None, *, lossless: bool = False) -> QueryResult:
        return await self._run(_core.query(db, sql, params, lossless))

    async def batch(self, db: str, statements: Iterable[Statement], *, lossless: bool = False) -> List[QueryResult]:
        return await self._run(_core.batch(db, statements, lossless))

    async def list_tables(self, db: str) -> List[TableInfo]:
        return await self._run(_core.list_tables(db))

    async def get_table(self, db: str, table: str) -> TableInfo:
        return await self._run(_core.get_table(db, table))

    async def create_table(
        self, db: str, name: str, columns: Sequence[Mapping[str, Any]], *,
        if_not_exists: bool = False, strict: bool = False,
    ) -> TableInfo:
        return await self._run(_core.create_table(db, name, columns, if_not_exists, strict))

    async def insert_rows(self, db: str, table: str, rows: Rows) -> InsertResult:
        return await self._run(_core.insert_rows(db, table, rows))

    async def read_rows(
        self, db: str, table: str, *, limit: Optional[int] = None, offset: Optional[int] = None,
        after: Optional[int] = None, order_by: Optional[str] = None, order: Optional[str] = None,
        where: Optional[Mapping[str, Any]] = None, rowid: bool = False,
    ) -> RowsPage:
        return await self._run(_core.read_rows(
            db, table, limit=limit, offset=offset, after=after, order_by=order_by, order=order,
            where=where, rowid=rowid,
        ))

    async def iter_rows(
        self, db: str, table: str, *, page_size: Optional[int] = None, where: Optional[Mapping[str, Any]] = None
    ) -> AsyncIterator[Dict[str, Any]]:
        after: Optional[int] = None
        while True:
            page = await self.read_rows(db, table, limit=page_size, after=after, where=where)
            for r in page.rows:
                yield r
            if page.next_after is None:
                return
            after = page.next_after

    async def create_key(
        self, name: str, role: str, databases: Sequence[str] = (), *, can_create: bool = False,
        expires_at: Optional[str] = None,
    ) -> CreatedKey:
        return await self._run(_core.create_key(name, role, databases, can_create, expires_at))

    async def list_keys(self) -> List[KeyInfo]:
        return await self._run(_core.list_keys())

    async def revoke_key(self, key_id: str) -> None:
        return await self._run(_core.revoke_key(key_id))

    async def rotate_key(self, key_id: str) -> CreatedKey:
        return await self._run(_core.rotate_key(key_id))

    async def audit(
        self, *, key: Optional[str] = None, database: Optional[str] = None, action: Optional[str] = None,
        outcome: Optional[str] = None, since: Optional[When] = None, until: Optional[When] = None,
        credential: Optional[str] = None, target: Optional[str] = None,
        before: Optional[int] = None, limit: Optional[int] = None,
    ) -> AuditPage:
        return await self._run(_core.audit(
            key=key, database=database, action=action, outcome=outcome, since=since, until=until,
                credential=credential, target=target,
            before=before, limit=limit,
        ))

    async def iter_audit(
        self, *, key: Optional[str] = None, database: Optional[str] = None, action: Optional[str] = None,
        outcome: Optional[str] = None, since: Optional[When] = None, until: Optional[When] = None,
        credential: Optional[str] = None, target: Optional[str] = None,
        before: Optional[int] = None, page_size: Optional[int] = None,
    ) -> AsyncIterator[AuditEntry]:
        while True:
            page = await self.audit(
                key=key, database=database, action=action, outcome=outcome, since=since, until=until,
                credential=credential, target=target,
                before=before, limit=page_size,
            )
            for e in page.entries:
                yield e
            if page.next_cursor is None:
                return
            before = page.next_cursor

    async def mint_token(
        self, db: str, access: str = "read_only", expires_in: Optional[str] = None
    ) -> MintedToken:
        return await self._run(_core.mint_token(db, access, expires_in))

    async def revoke_database_tokens(self, db: str) -> TokensRevoked:
        return await self._run(_core.revoke_database_tokens(db))

    async def revoke_all_tokens(self) -> TokensRevoked:
        return await self._run(_core.revoke_all_tokens())

    async def jwks(self) -> Jwks:
        return await self._run(_core.jwks())

    async def health(self) -> Health:
        return await self._run(_core.health())

    async def ready(self) -> bool:
        return await self._run(_core.ready())

    async def metrics(self) -> str:
        return await self._run(_core.metrics())
