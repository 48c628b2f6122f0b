"""Fuzzes every operation of docs/openapi.json against the real server (forge.py) with schemathesis.

Each operation is fuzzed three times, with the same checks on every response:
  - the bootstrap admin key: everything the API does, successes included;
  - a scoped `read_only` key over `fuzz-*`: reads succeed, writes and admin routes are 403,
    databases outside its scope 404;
  - no credential: 401 everywhere but the public routes.
Checks: no 5xx (`not_a_server_error`), the body valid against the schema of its status
(`response_schema_conformance`), the content type the documented one
(`content_type_conformance`), and the status one the document lists for the operation
(`status_code_conformance`). Phases: schemathesis's coverage phase (boundary and invalid values
of each parameter and body, a fixed set per operation) and its fuzzing phase (FUZZ_MAX_EXAMPLES
cases per operation and credential, valid and invalid), with a fixed seed (FUZZ_SEED): the same binary
gets the same requests on every run.

Random names almost never name an existing database, table or key, so `steer()` points two
cases in three (a deterministic choice, from a hash of the generated values) at the fixtures
in forge.py: path parameters always, and in cases meant to be valid also the `where.{column}`
filter and `order_by`, rows to insert, tables to create, and SQL that fits the generated
`params`. The rest go as schemathesis generated them.

No operation is excluded. The two that delete a database, and those that import into one or
change its settings (a time to live deletes it), are steered, with the admin key, only at
databases made for them (the other credentials at the fixtures, which they must not be able to
change); rotate and revoke only at keys made for them; deleting a backup only at a backup made
for it; restores only into new databases. So the fixtures the other operations need survive
the run (test_server_survived checks that they did).

Known findings (tests/fuzz/README.md) the server has not fixed yet are excused exactly, below,
in KNOWN_UNDOCUMENTED (none is open now). test_known_findings_still_open fails once the
document changes so that one no longer applies: then delete its entry.

FUZZ_SURVEY=<file> records every failed check (one JSON line each) instead of failing, excusing
nothing: for writing findings down, and checking they are fixed.
"""

from __future__ import annotations

import json
import os
import re
import zlib

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from forge import DATABASES, DOOMED, MAIN_DB, SPEC_PATH, TABLE_COLUMNS

SEED = int(os.environ.get("FUZZ_SEED", "20261201"))
# Fuzzed cases per operation for each credential (the coverage phase adds its own fixed set).
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "50"))
SURVEY = os.environ.get("FUZZ_SURVEY")

# Statuses the server answers that the document does not list for the operation, by finding.
# Only the status check is skipped for these exact (operation, status) pairs; every other
# check still runs on those responses.
KNOWN_UNDOCUMENTED: dict[tuple[str, int], str] = {
    # None open: F2-F5 (statuses the document did not list) were fixed in the document.
}


@pytest.fixture(scope="session")
def api_schema(forge):
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": forge.url,
            "request-timeout": 30,
            # Timing-dependent health checks would make a slow machine fail where a fast one passes.
            "suppress-health-check": ["too_slow"],
            "generation": {
                "max-examples": MAX_EXAMPLES,
                # No example database: a run replays nothing from an earlier one.
                "database": "none",
                # The credential is the test's choice (the header below), never generated.
                "with-security-parameters": False,
            },
            "phases": {
                # Values seen in earlier responses (ids, times) and error messages would make
                # the generated cases differ from run to run; the seed alone decides them.
                "coverage": {"extra-data-sources": {"responses": False}},
                "fuzzing": {"extra-data-sources": {"responses": False}, "error-feedback": {"enabled": False}},
                # Stateful runs chain operations by the document's links (it has none; schemathesis
                # would guess them) and could delete the fixtures: steer() gives real targets.
                "stateful": {"enabled": False},
            },
        }
    )
    return schemathesis.openapi.from_path(SPEC_PATH, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


def test_document_is_the_servers(forge):
    """The document fuzzed is the one this binary serves (else rebuild, or regenerate it)."""
    live = forge.request("GET", "/openapi.json")
    assert live == json.loads(SPEC_PATH.read_text()), f"{SPEC_PATH} differs from {forge.url}/openapi.json"


def test_known_findings_still_open():
    """Each excuse above still matches the document: once a finding is fixed, drop its entry."""
    document = json.loads(SPEC_PATH.read_text())
    responses = {
        op["operationId"]: op["responses"]
        for methods in document["paths"].values() for op in methods.values() if isinstance(op, dict)
    }
    for (op, status), finding in KNOWN_UNDOCUMENTED.items():
        assert str(status) not in responses[op], f"{finding}: {op} documents {status} now"


@schema.parametrize()
@settings(deadline=None)
def test_admin_key(case, forge, session):
    exercise(case, forge, session, forge.admin_key)


@schema.parametrize()
@settings(deadline=None)
def test_read_only_key(case, forge, session):
    exercise(case, forge, session, forge.read_only_key)


@schema.parametrize()
@settings(deadline=None)
def test_no_credential(case, forge, session):
    exercise(case, forge, session, None)


def test_server_survived(forge):
    """Runs last (pytest keeps file order): the server is still up and logged no panic, and
    what only the admin may delete or revoke is still there."""
    assert forge.server.proc.poll() is None, f"the server exited: {forge.server.log()}"
    log = forge.server.log()
    assert "panicked" not in log, log
    for name in DATABASES:
        info = forge.request("GET", f"/admin/databases/{name}")
        assert info["name"] == name
        assert "expires_at" not in info, f"{name} was given a time to live: {info}"
    assert forge.request("GET", "/api/me", key=forge.read_only_key)["role"] == "read_only"


def operation_id(case) -> str:
    return case.operation.definition.raw["operationId"]


def exercise(case, forge, session, key: str | None) -> None:
    steer(case, forge, admin=key == forge.admin_key)
    headers = {"X-API-Key": key} if key else {}
    response = case.call(session=session, headers=headers)
    op, status = operation_id(case), response.status_code
    checks = [not_a_server_error, content_type_conformance]
    if SURVEY or (op, status) not in KNOWN_UNDOCUMENTED:
        checks.append(status_code_conformance)
    checks.append(response_schema_conformance)
    try:
        case.validate_response(response, checks=checks, headers=headers)
    except FailureGroup as group:
        if not SURVEY:
            raise
        body = response.request.body
        with open(SURVEY, "a") as out:
            for failure in group.exceptions:
                out.write(json.dumps({
                    "credential": "admin" if key == forge.admin_key else "read_only" if key else "none",
                    "operation": op, "status": status, "failure": type(failure).__name__,
                    "title": failure.title, "message": failure.message,
                    "request": {
                        "method": case.method, "url": response.request.url,
                        "body": body.decode("utf-8", "replace") if isinstance(body, bytes) else body,
                    },
                    "response": response.text[:2000],
                }) + "\n")


# Steering: deterministic choices from the generated values themselves.

def _hash(*values) -> int:
    return zlib.crc32(repr(values).encode("utf-8", "surrogatepass"))


def _pick(options, *values):
    return options[_hash(*values) % len(options)]


def _steered(*values) -> bool:
    """Two cases in three are steered at the fixtures; the rest go as generated."""
    return _hash("steer", *values) % 3 != 0


# SQL for a `sql` sent without params; with params, `SELECT` of exactly those placeholders, so
# the generated values travel through SQLite and back.
CANNED_SQL = [
    "SELECT * FROM items",
    "SELECT id, name, price, stock, data, typeof(price), typeof(data) FROM items ORDER BY id",
    "SELECT * FROM tags",
    "SELECT * FROM orders",
    "SELECT * FROM cheap",
    "SELECT * FROM broken",
    "INSERT INTO items(name, price) VALUES ('fz', 1.5) RETURNING *",
    "UPDATE items SET stock = stock WHERE id = 1",
    "INSERT INTO orders(item_id, qty) VALUES (999999, 1)",
    "SELECT 1 AS one; SELECT 'two' AS two",
    "PRAGMA table_info(orders)",
    "PRAGMA integrity_check",
    "EXPLAIN QUERY PLAN SELECT * FROM items WHERE name = 'tea'",
    "SELECT zeroblob(3), x'00ff', 9223372036854775807, -9223372036854775808, 1e999, -1e999, 0.0",
    "CREATE TABLE IF NOT EXISTS scratch(a, b)",
]


def _sql_for(params, *seed_values) -> str:
    if isinstance(params, list) and params:
        return "SELECT " + ", ".join("?" for _ in params)
    if isinstance(params, dict) and params:
        names = [k.lstrip(":@$") for k in params]
        if all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in names):
            return "SELECT " + ", ".join(":" + n for n in names)
    return _pick(CANNED_SQL, *seed_values)


def steer(case, forge, admin: bool) -> None:
    op = operation_id(case)
    path = case.path_parameters or {}
    body = None if case.body is NOT_SET else case.body  # NOT_SET's repr holds its address
    generated = (op, sorted(path.items()), sorted((case.query or {}).items()), repr(body))
    if not _steered(*generated):
        return
    # Path parameters name real things whatever the rest of the case holds, so invalid
    # queries and bodies meet the code behind a found database, table or key.
    if "name" in path:
        if op in DOOMED:
            # The admin deletes only databases made for it; the other credentials must be
            # refused on the fixtures themselves (test_fixtures_survived checks they were).
            path["name"] = _pick(DOOMED[op] if admin else DATABASES, *generated)
        elif op == "create_database":
            # A new, valid name (201), or one that exists (409).
            path["name"] = _pick([f"fz-{_hash(*generated):08x}", MAIN_DB], *generated)
        else:
            path["name"] = _pick(DATABASES + [MAIN_DB], *generated)
    if "table" in path:
        path["table"] = _pick(list(TABLE_COLUMNS) + ["sqlite_schema"], *generated)
    if "id" in path:
        if op in forge.backup_ids:
            path["name"] = MAIN_DB
            path["id"] = forge.backup_ids[op]
        else:
            path["id"] = forge.victim_key_ids[op]
    # Queries and bodies only of cases meant to be valid: the invalid ones stay as generated.
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    columns = TABLE_COLUMNS.get(path.get("table"), ["id"])
    query, body = case.query, case.body
    if op == "read_rows" and isinstance(query, dict):
        if "where.{column}" in query:
            query[f"where.{_pick(columns, *generated)}"] = query.pop("where.{column}")
        if "order_by" in query:
            query["order_by"] = _pick(columns, *generated)
    elif op == "insert_rows" and isinstance(body, dict) and "rows" not in body:
        # The generated values under real column names; objects and arrays (not values) as JSON text.
        case.body = {
            columns[i % len(columns)]: v if v is None or isinstance(v, (str, int, float)) else json.dumps(v)
            for i, v in enumerate(body.values())
        }
    elif op == "run_query" and isinstance(body, dict):
        if not body.get("statements"):
            body.pop("statements", None)
            body["sql"] = _sql_for(body.get("params"), *generated)
        for i, statement in enumerate(body.get("statements") or []):
            if isinstance(statement, dict):
                statement["sql"] = _sql_for(statement.get("params"), i, *generated)
    elif op == "create_table" and isinstance(body, dict):
        body["name"] = f"fz_{_hash(*generated):08x}"
        if not body.get("columns"):
            body["columns"] = [{"name": "c"}]
        for i, column in enumerate(body["columns"]):
            if isinstance(column, dict):
                column["name"] = f"{column.get('name', '')}_{i}"
    elif op == "mint_token" and isinstance(body, dict) and "expires_in" in body:
        body["expires_in"] = _pick(["90s", "15m", "1h", "7d", "0s", "91d", "1y"], *generated)
    elif op == "restore" and isinstance(body, dict):
        # Into a new database, never over a fixture: a real backup or a made-up one.
        body.pop("confirm", None)
        body["as"] = f"fz-{_hash(*generated):08x}"
        body["backup"] = _pick([forge.backup_ids["download_backup"], str(body.get("backup"))], *generated)
    elif op == "create_key" and isinstance(body, dict):
        body["name"] = (body.get("name") or "k")[:100]
        if "expires_at" in body:
            body["expires_at"] = _pick(["2099-01-31T00:00:00Z", "2000-01-01T00:00:00Z", None], *generated)
