"""The server the fuzz tests run against, and what it holds before they start.

The real `dbforge` binary (DBFORGE_BIN) on a temporary data directory and port 0, with a known
admin key, like tests/libsql/support.mjs and the Python client's conftest. Its fixtures give the
database routes something real to reach: a database with tables of every kind (rowid, WITHOUT
ROWID, STRICT with a foreign key and a generated column, a view, a view over a dropped table),
rows holding every kind of value, an empty database, databases that exist only to be deleted,
a read-only key, and keys that exist only to be rotated or revoked.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import queue
import re
import subprocess
import tempfile
import threading

import requests

HERE = pathlib.Path(__file__).resolve().parent
SPEC_PATH = pathlib.Path(os.environ.get("DBFORGE_OPENAPI") or HERE.parent.parent / "docs" / "openapi.json")
ADMIN_KEY = "fuzz-admin-key-0123456789abcdef"

# Databases the fuzzer's `name` is steered to (test_openapi.py), and their tables.
MAIN_DB = "fuzz-main"
EMPTY_DB = "fuzz-empty"
DATABASES = [MAIN_DB, EMPTY_DB]
TABLE_COLUMNS = {
    "items": ["id", "name", "price", "stock", "data"],
    "tags": ["tag", "n"],
    "orders": ["id", "item_id", "qty", "note", "total"],
    "cheap": ["id", "name", "price"],  # a view
    "broken": ["x"],  # a view over a table that was dropped: listed with `error`
}
# The admin key's deletes, imports and settings changes (a time to live would delete a
# database) are steered only at these, so the databases above survive the run.
DOOMED = {
    "delete_database": [f"fuzz-doomed-prune-{i}" for i in range(3)],
    "remove_database": [f"fuzz-doomed-delete-{i}" for i in range(3)],
    "update_database": [f"fuzz-doomed-update-{i}" for i in range(3)],
    "import": [f"fuzz-doomed-import-{i}" for i in range(3)],
}

MAIN_SCHEMA = [
    "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, stock INTEGER, data BLOB)",
    "CREATE INDEX items_name ON items(name)",
    "CREATE TABLE tags(tag TEXT PRIMARY KEY, n INTEGER DEFAULT 0) WITHOUT ROWID",
    "CREATE TABLE orders(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    " qty INTEGER NOT NULL CHECK (qty > 0), note TEXT,"
    " total REAL GENERATED ALWAYS AS (qty * 1.5) VIRTUAL) STRICT",
    "CREATE VIEW cheap AS SELECT id, name, price FROM items WHERE price < 5",
    "CREATE TABLE gone(x)",
    "CREATE VIEW broken AS SELECT x FROM gone",
    "DROP TABLE gone",
]
ITEM_ROWS = [
    ["tea", 3.5, 7, {"base64": "AAEC/w=="}],
    ["coffee", 4, None, None],
    ["ünïcødé ✓ \"quoted\" 'x'", 1e300, {"integer": "9007199254740993"}, {"base64": ""}],
    ["extremes", {"real": "-Infinity"}, {"integer": "-9223372036854775808"}, None],
    ["", -0.0, 9223372036854775807, {"base64": "AA"}],
]


@dataclasses.dataclass
class Forge:
    url: str
    admin_key: str
    read_only_key: str = ""
    # operationId -> the id of the key that operation is steered at (rotate_key, revoke_key)
    victim_key_ids: dict[str, str] = dataclasses.field(default_factory=dict)
    # operationId -> the id of the backup of MAIN_DB it is steered at (download_backup, and
    # delete_backup, which has one of its own)
    backup_ids: dict[str, str] = dataclasses.field(default_factory=dict)
    server: Server | None = None

    def request(self, method: str, path: str, body=None, key: str | None = None) -> dict:
        response = requests.request(
            method,
            self.url + path,
            json=body,
            headers={"X-API-Key": key or self.admin_key},
            timeout=30,
        )
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else {}

    def sql(self, database: str, sql: str, params=None) -> dict:
        body = {"sql": sql} if params is None else {"sql": sql, "params": params}
        return self.request("POST", f"/api/db/{database}/query", body)

    def populate(self) -> None:
        for name in DATABASES + [doomed for names in DOOMED.values() for doomed in names]:
            self.request("POST", f"/admin/databases/spawn/{name}")
        self.request("POST", f"/api/db/{MAIN_DB}/query", {"statements": [{"sql": s} for s in MAIN_SCHEMA]})
        for row in ITEM_ROWS:
            self.sql(MAIN_DB, "INSERT INTO items(name, price, stock, data) VALUES (?, ?, ?, ?)", row)
        self.sql(MAIN_DB, "INSERT INTO tags VALUES ('a', 1), ('b', NULL), ('ç', -1)")
        self.sql(MAIN_DB, "INSERT INTO orders(item_id, qty, note) VALUES (1, 2, 'two'), (2, 1, NULL)")
        for op in ("download_backup", "delete_backup"):
            self.backup_ids[op] = self.request("POST", f"/admin/databases/{MAIN_DB}/backups")["id"]
        read_only = self.request(
            "POST", "/admin/keys", {"name": "fuzz-read-only", "role": "read_only", "databases": ["fuzz-*"]}
        )
        self.read_only_key = read_only["secret"]
        for op in ("rotate_key", "revoke_key"):
            victim = self.request(
                "POST", "/admin/keys", {"name": f"fuzz-{op}", "role": "read_write", "databases": [MAIN_DB]}
            )
            self.victim_key_ids[op] = victim["key"]["id"]


def binary() -> str:
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/dbforge-target"))
    return os.environ.get("DBFORGE_BIN") or os.path.join(target, "debug", "dbforge")


class Server:
    """`dbforge serve` as a child process; `start()` waits for its banner."""

    def __init__(self, extra_args: list[str] | None = None) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="dbforge-fuzz-")
        self.data_dir = pathlib.Path(self.tmp.name) / "data"
        self.log_path = pathlib.Path(self.tmp.name) / "server.log"
        self.extra_args = extra_args or []
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        path = binary()
        if not os.path.exists(path):
            raise RuntimeError(f"DB-Forge binary not found at {path} (set DBFORGE_BIN)")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [path, "serve", "--data-dir", str(self.data_dir), "--listen", "127.0.0.1:0",
             "--admin-key", ADMIN_KEY, "--log", "warn", *self.extra_args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True,
        )
        log.close()
        lines: queue.Queue[str | None] = queue.Queue()

        def drain() -> None:  # read stdout to its end, so the server never blocks on a full pipe
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        seen = []
        while True:
            try:
                line = lines.get(timeout=20)
            except queue.Empty:
                line = None
            if line is None:
                self.stop()
                raise RuntimeError(f"no 'listening on' banner in 20 s: {''.join(seen)}{self.log()}")
            seen.append(line)
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                return match.group(1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int | None:
        code = None
        if self.proc is not None:
            code = self.proc.poll()
            if code is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self.tmp.cleanup()
        return code
