"""Exceptions.

One hierarchy serves both the HTTP clients and the DB-API layer: the PEP 249 classes
(``Error``, ``DatabaseError``, ``IntegrityError``, ...) are the roots, and every error the
server reports is a :class:`DBForgeError` whose subclass is chosen by the envelope's ``code``
and which also derives from the matching PEP 249 class. So ``except dbforge.IntegrityError``
and ``except dbforge.ConstraintError`` both catch a ``constraint_violation``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type


class Warning(Exception):  # noqa: A001 - name required by PEP 249
    """PEP 249 ``Warning`` (never raised by this package)."""


class Error(Exception):
    """PEP 249 base class of every error raised by this package."""


class InterfaceError(Error):
    """Misuse of the client itself (closed connection, unsupported parameter type...)."""


class DatabaseError(Error):
    """An error reported by (or while talking to) the server."""


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


class UnsupportedValueError(InterfaceError, TypeError):
    """A Python value that cannot be sent as an SQLite value."""


class DBForgeError(DatabaseError):
    """An error answer of the server: ``{"error": {"code", "message"}}`` plus the HTTP status.

    Unknown codes (the server may add new ones) are raised as this base class.
    """

    def __init__(
        self,
        code: Optional[str],
        message: str,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, status={self.status!r})"


class TransportError(DBForgeError, OperationalError):
    """The server could not be reached or did not answer (network error, timeout)."""


class AuthError(DBForgeError, OperationalError):
    """``unauthorized`` (401): the API key is missing or wrong."""


class ForbiddenError(DBForgeError, OperationalError):
    """``forbidden`` (403): the key or token may not do this (a write with a read-only
    credential, a key outside its role or scope, a token minting tokens...)."""


class NotFoundError(DBForgeError, ProgrammingError):
    """``database_not_found``, ``table_not_found``, ``key_not_found``, ``backup_not_found`` or
    ``route_not_found`` (404)."""


class ConflictError(DBForgeError):
    """Any 409 answer."""


class DatabaseExistsError(ConflictError, ProgrammingError):
    """``database_exists``: a database of that name exists already."""


class ConstraintError(ConflictError, IntegrityError):
    """``constraint_violation``: UNIQUE, NOT NULL, CHECK, PRIMARY KEY or FOREIGN KEY failed."""


class BadRequestError(DBForgeError, ProgrammingError):
    """A request the server refused as malformed (``invalid_request``, ``invalid_json``,
    ``invalid_database_name``, ``column_not_found``, ``method_not_allowed``, ...)."""


class SQLError(DBForgeError, ProgrammingError):
    """``sql_error``: SQLite rejected the statement (syntax, unknown table, ...)."""


class InvalidParamsError(SQLError):
    """``invalid_params``: the parameters do not match the statement's placeholders."""


class StatementNotAllowedError(DBForgeError, NotSupportedError):
    """``statement_not_allowed`` (403): refused by the sandbox (ATTACH, BEGIN, PRAGMA...)."""


class TransactionOpenError(DBForgeError, ProgrammingError):
    """``transaction_open``: the request left a transaction open; it was rolled back."""


class TooLargeError(DBForgeError, DataError):
    """``payload_too_large``, ``sql_too_long``, ``too_many_statements``, ``value_too_large``."""


class QueryTimeoutError(DBForgeError, OperationalError):
    """``query_timeout``: the statement was interrupted and its work rolled back."""


class DatabaseFullError(DBForgeError, OperationalError):
    """``database_full`` (507): the write would exceed the database's size quota."""


class UnavailableError(DBForgeError, OperationalError):
    """``database_busy``, ``server_busy``, ``not_ready`` or ``storage_unavailable`` (503): retry after a short
    wait (``storage_unavailable``: the backup destination could not be reached or refused the
    request; check its configuration if it persists)."""


class BackupCorruptError(DBForgeError, DataError):
    """``backup_corrupt`` (422): the stored backup does not match its checksum or is not a sound
    database; it was not used and nothing changed."""


class InvalidDatabaseFileError(DBForgeError, DataError):
    """``invalid_database_file`` (422): an imported file is not a sound SQLite database (not
    SQLite, or damaged); nothing was created."""


class RateLimitedError(UnavailableError):
    """``rate_limited`` (429): a rate limit of the key, token, address or database; retry after
    the ``Retry-After`` seconds."""


class ServerError(DBForgeError, InternalError):
    """``internal_error`` (500); the server log has the detail under ``request_id``."""


ERROR_CLASSES: Dict[str, Type[DBForgeError]] = {
    "unauthorized": AuthError,
    "forbidden": ForbiddenError,
    "database_not_found": NotFoundError,
    "key_not_found": NotFoundError,
    "backup_not_found": NotFoundError,
    "table_not_found": NotFoundError,
    "route_not_found": NotFoundError,
    "database_exists": DatabaseExistsError,
    "constraint_violation": ConstraintError,
    "invalid_database_name": BadRequestError,
    "column_not_found": BadRequestError,
    "invalid_request": BadRequestError,
    "invalid_json": BadRequestError,
    "unsupported_media_type": BadRequestError,
    "method_not_allowed": BadRequestError,
    "sql_error": SQLError,
    "invalid_params": InvalidParamsError,
    "statement_not_allowed": StatementNotAllowedError,
    "transaction_open": TransactionOpenError,
    "payload_too_large": TooLargeError,
    "sql_too_long": TooLargeError,
    "too_many_statements": TooLargeError,
    "value_too_large": TooLargeError,
    "query_timeout": QueryTimeoutError,
    "database_full": DatabaseFullError,
    "database_busy": UnavailableError,
    "server_busy": UnavailableError,
    "not_ready": UnavailableError,
    "storage_unavailable": UnavailableError,
    "backup_corrupt": BackupCorruptError,
    "invalid_database_file": InvalidDatabaseFileError,
    "rate_limited": RateLimitedError,
    "internal_error": ServerError,
}


def error_from_response(status: int, body: Any, request_id: Optional[str] = None) -> DBForgeError:
    """Build the exception for an error answer (``body`` is the decoded JSON, or anything)."""
    code: Optional[str] = None
    message = f"HTTP {status}"
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        code = err.get("code") if isinstance(err.get("code"), str) else None
        message = str(err.get("message", message))
    cls = ERROR_CLASSES.get(code or "", DBForgeError)
    if code is None and status >= 500:
        cls = ServerError
    return cls(code, message, status, request_id)
