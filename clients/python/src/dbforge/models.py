"""Typed results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ._values import decode_row, decode_value


@dataclass(frozen=True)
class Lineage:
    """Where a branch came from: the database it copies (which may be gone since) and when."""

    parent: str
    branched_at: str  # RFC 3339, UTC

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "Lineage":
        return cls(d["parent"], d["branched_at"])


@dataclass(frozen=True)
class BackupStatus:
    """A database's backup schedule and how it is doing."""

    every: Optional[str]  # "1h", or None when it has no schedule
    keep: int  # backups kept; older ones are deleted after each new one
    last_success_at: Optional[str]  # the newest stored backup
    last_failure_at: Optional[str]  # the last failed attempt since the last success
    last_error: Optional[str]
    overdue: bool  # the schedule's time passed without a backup, or the last attempt failed

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "BackupStatus":
        return cls(
            d.get("every"), d["keep"], d.get("last_success_at"), d.get("last_failure_at"), d.get("last_error"),
            d["overdue"],
        )


@dataclass(frozen=True)
class DatabaseInfo:
    name: str
    size_bytes: int
    created_at: str
    table_count: int
    max_size_bytes: int
    open: bool
    expires_at: Optional[str] = None  # RFC 3339: its time to live ends then, and it is deleted
    branched_from: Optional[Lineage] = None
    backups: Optional[BackupStatus] = None  # when it has a backup schedule or a backup

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "DatabaseInfo":
        lineage, backups = d.get("branched_from"), d.get("backups")
        return cls(
            d["name"], d["size_bytes"], d["created_at"], d["table_count"], d["max_size_bytes"], d["open"],
            d.get("expires_at"), Lineage.from_json(lineage) if lineage else None,
            BackupStatus.from_json(backups) if backups else None,
        )


@dataclass(frozen=True)
class BackupInfo:
    """One stored backup (its manifest): a consistent snapshot of a database, compressed
    with zstd, read back and checked before it was answered."""

    id: str  # sorts in time order: "20261201T100203123Z-9f3a1c"
    database: str
    created_at: str  # RFC 3339 time of the snapshot
    kind: str  # "manual", "scheduled" or "final" (taken before its time to live deleted it)
    size_bytes: int  # the snapshot (a plain SQLite file)
    stored_bytes: int  # the stored, zstd-compressed object
    page_count: int
    page_size: int
    sqlite_version: str
    sha256: str  # hex SHA-256 of the snapshot, checked on every restore
    destination: str  # "local" or "s3"
    verified: bool
    row_counts: Dict[str, int]  # rows of each table in the snapshot

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "BackupInfo":
        return cls(
            d["id"], d["database"], d["created_at"], d["kind"], d["size_bytes"], d["stored_bytes"],
            d["page_count"], d["page_size"], d["sqlite_version"], d["sha256"], d["destination"], d["verified"],
            dict(d["row_counts"]),
        )


@dataclass(frozen=True)
class DownloadedBackup:
    """What :meth:`Client.download_backup` wrote: the zstd-compressed snapshot as stored."""

    bytes_written: int
    sha256: Optional[str]  # the server's X-Dbforge-Sha256: SHA-256 (hex) of the *decompressed* file


@dataclass(frozen=True)
class ImportResult:
    """What :meth:`Client.import_data` loaded: all of the file, in one transaction."""

    database: str
    format: str  # "sqlite", "sql", "csv", "json" or "ndjson"
    table: Optional[str]  # the table rows went to (csv, json, ndjson); None for sql and sqlite
    created_database: bool  # the import created the database (the server answered 201)
    created_table: bool
    count: int  # rows loaded (csv, json, ndjson) or statements run (sql); 0 for sqlite
    bytes: int  # the size of the upload

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "ImportResult":
        return cls(
            d["database"], d["format"], d.get("table"), d["created_database"], d["created_table"], d["count"],
            d["bytes"],
        )


@dataclass(frozen=True)
class DatabaseList:
    databases: List[DatabaseInfo]
    total: int
    next_cursor: Optional[str]

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "DatabaseList":
        return cls([DatabaseInfo.from_json(x) for x in d["databases"]], d["total"], d.get("next_cursor"))


@dataclass(frozen=True)
class LatencyPercentiles:
    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class GatewayStats:
    version: str
    uptime_seconds: int
    database_count: int
    total_bytes: int
    open_databases: int
    requests_total: int
    queries_total: int
    query_errors_total: int
    query_latency: LatencyPercentiles
    commits_total: int
    committed_requests_total: int

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "GatewayStats":
        lat = d["query_latency"]
        return cls(
            d["version"], d["uptime_seconds"], d["database_count"], d["total_bytes"], d["open_databases"],
            d["requests_total"], d["queries_total"], d["query_errors_total"],
            LatencyPercentiles(lat["count"], lat["p50_ms"], lat["p90_ms"], lat["p99_ms"], lat["max_ms"]),
            d["commits_total"], d["committed_requests_total"],
        )


@dataclass(frozen=True)
class QueryResult:
    """The result of one statement.

    ``rows`` are dicts keyed by column name (a later column wins if two share a name);
    ``tuples`` holds the same rows as tuples in column order, duplicates kept.
    """

    columns: List[str]
    column_types: List[Optional[str]]
    tuples: List[Tuple[Any, ...]]
    rows_affected: int
    last_insert_rowid: Optional[int]
    truncated: bool

    @property
    def rows(self) -> List[Dict[str, Any]]:
        return [dict(zip(self.columns, t)) for t in self.tuples]

    def scalar(self) -> Any:
        """The first column of the first row, or None when there is no row."""
        return self.tuples[0][0] if self.tuples and self.tuples[0] else None

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "QueryResult":
        columns = list(d["columns"])
        tuples = []
        for row in d["rows"]:
            if isinstance(row, dict):  # row_format objects (not what this client asks for)
                tuples.append(tuple(decode_value(row.get(c)) for c in columns))
            else:
                tuples.append(tuple(decode_value(v) for v in row))
        return cls(
            columns, list(d.get("column_types", [None] * len(columns))), tuples,
            d["rows_affected"], d.get("last_insert_rowid"), bool(d.get("truncated", False)),
        )


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    not_null: bool
    default: Optional[str]
    primary_key: int
    hidden: bool


@dataclass(frozen=True)
class IndexInfo:
    name: str
    unique: bool
    columns: List[str]
    origin: str
    partial: bool


@dataclass(frozen=True)
class ForeignKeyInfo:
    columns: List[str]
    table: str
    to_columns: List[Optional[str]]
    on_update: str
    on_delete: str


@dataclass(frozen=True)
class TableInfo:
    name: str
    type: str
    sql: Optional[str]
    without_rowid: bool
    strict: bool
    columns: List[ColumnInfo]
    indexes: List[IndexInfo] = field(default_factory=list)
    foreign_keys: List[ForeignKeyInfo] = field(default_factory=list)

    @property
    def column_names(self) -> List[str]:
        return [c.name for c in self.columns]

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "TableInfo":
        return cls(
            d["name"], d["type"], d.get("sql"), d["without_rowid"], d["strict"],
            [ColumnInfo(c["name"], c["type"], c["not_null"], c.get("default"), c["primary_key"], c["hidden"])
             for c in d["columns"]],
            [IndexInfo(i["name"], i["unique"], list(i["columns"]), i["origin"], i["partial"])
             for i in d.get("indexes", [])],
            [ForeignKeyInfo(list(f["columns"]), f["table"], list(f["to_columns"]), f["on_update"], f["on_delete"])
             for f in d.get("foreign_keys", [])],
        )


@dataclass(frozen=True)
class InsertResult:
    inserted: int
    rowids: List[Optional[int]]


@dataclass(frozen=True)
class RowsPage:
    columns: List[str]
    rows: List[Dict[str, Any]]
    limit: int
    offset: int
    next_after: Optional[int]
    next_offset: Optional[int]

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "RowsPage":
        return cls(
            list(d["columns"]), [decode_row(r) for r in d["rows"]], d["limit"], d["offset"],
            d.get("next_after"), d.get("next_offset"),
        )


@dataclass(frozen=True)
class Health:
    status: str
    version: str


@dataclass(frozen=True)
class KeyInfo:
    """A scoped API key as the server tells it (never its secret)."""

    id: str
    name: str
    prefix: str  # the secret's first characters, to tell keys apart
    role: str  # "admin", "read_write" or "read_only"
    databases: List[str]
    can_create: bool
    created_at: str
    expires_at: Optional[str]
    last_used_at: Optional[str]  # since the server started

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "KeyInfo":
        return cls(
            d["id"], d["name"], d["prefix"], d["role"], list(d["databases"]), d["can_create"], d["created_at"],
            d.get("expires_at"), d.get("last_used_at"),
        )


@dataclass(frozen=True)
class CreatedKey:
    """A created or rotated key with its secret, which the server shows only this once.

    The secret is left out of ``repr()`` so that logging the object does not leak it.
    """

    key: KeyInfo
    secret: str = field(repr=False)

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "CreatedKey":
        return cls(KeyInfo.from_json(d["key"]), d["secret"])


@dataclass(frozen=True)
class MintedToken:
    """A per-database token (a JWT) and what it grants; use ``token`` as an ``api_key``.

    The token is left out of ``repr()`` so that logging the object does not leak it.
    """

    token: str = field(repr=False)
    id: str
    database: str
    access: str  # "read_only" or "read_write"
    expires_at: str

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "MintedToken":
        return cls(d["token"], d["id"], d["database"], d["access"], d["expires_at"])


@dataclass(frozen=True)
class TokensRevoked:
    """Every token minted before is refused from now on: of ``database``, or of the whole
    server when ``database`` is None."""

    database: Optional[str]
    epoch: int

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "TokensRevoked":
        return cls(d.get("database"), d["epoch"])


@dataclass(frozen=True)
class Jwk:
    """One Ed25519 public key (``kty`` OKP, ``crv`` Ed25519)."""

    kty: str
    crv: str
    x: str
    kid: str
    alg: str
    use: str


@dataclass(frozen=True)
class Jwks:
    """The public keys that verify the server's tokens; ``to_dict()`` is the JWKS document
    (e.g. for ``jwt.PyJWKSet.from_dict``)."""

    keys: List[Jwk]

    def to_dict(self) -> Dict[str, Any]:
        return {"keys": [dict(kty=k.kty, crv=k.crv, x=k.x, kid=k.kid, alg=k.alg, use=k.use) for k in self.keys]}

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "Jwks":
        return cls([Jwk(k["kty"], k["crv"], k["x"], k["kid"], k["alg"], k["use"]) for k in d["keys"]])


@dataclass(frozen=True)
class AuditEntry:
    """One audited request: an admin action, a write, or a write refused. Never SQL, its
    parameters or a secret."""

    id: int  # increasing with time; the last entry's id is the next page's cursor
    at: str  # RFC 3339, UTC, to the millisecond
    credential: str  # "bootstrap_admin", "key" or "token"
    credential_id: Optional[str]  # "key_..." or "tok_..."; None for the bootstrap key
    credential_name: Optional[str]  # the key's name
    client: Optional[str]  # the client's IP address
    action: str  # method and route, e.g. "POST /admin/keys", "POST /api/db/{name}/query"
    database: Optional[str]
    statements: List[str]  # the kinds of the statements that wrote: "INSERT", "CREATE", ...
    status: int  # the HTTP status of the answer
    error: Optional[str]  # the error code of the answer, if it was an error
    target: Optional[str] = None  # the key a key action was about ("key_...")

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "AuditEntry":
        return cls(
            d["id"], d["at"], d["credential"], d.get("credential_id"), d.get("credential_name"), d.get("client"),
            d["action"], d.get("database"), list(d["statements"]), d["status"], d.get("error"), d.get("target"),
        )


@dataclass(frozen=True)
class AuditPage:
    """A page of the audit log, newest first; pass ``next_cursor`` as ``before`` for the next
    (older) page. It is None on the last page."""

    entries: List[AuditEntry]
    next_cursor: Optional[int]

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "AuditPage":
        return cls([AuditEntry.from_json(e) for e in d["entries"]], d.get("next_cursor"))
