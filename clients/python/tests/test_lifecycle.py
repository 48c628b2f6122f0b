"""Data lifecycle through the real binary: backups, restore, branches, time to live, and
backups kept in a real S3 API (moto's server)."""

import contextlib
import hashlib
import io
import json
import math
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

import dbforge
from dbforge.errors import error_from_response
from conftest import ADMIN_KEY, run_server, unique_name

# ---- helpers ------------------------------------------------------------------------------

ROWS = [
    (1, 2**53 + 1, b"\x00\x01\xfe\xff", "plain", 1.5),
    (2, -(2**63), None, "ünïcødé 漢字 🎉", None),
    (3, 2**63 - 1, b"", None, -math.inf),
    (4, None, bytes(range(256)), "", 0.0),
]


def fill(client, db, rows=ROWS):
    client.query(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, big INTEGER, data BLOB, note TEXT, r REAL)")
    client.batch(db, [("INSERT INTO t VALUES (?, ?, ?, ?, ?)", list(r)) for r in rows])


def content(client, db):
    """Every row of t, in order, exact (lossless)."""
    return client.query(db, "SELECT id, big, data, note, r FROM t ORDER BY id", lossless=True).tuples


def table_names(client, db):
    return [t.name for t in client.list_tables(db)]


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def decompress(path):
    import zstandard  # a test dependency only: the client never decompresses

    with open(path, "rb") as f:
        return zstandard.ZstdDecompressor().stream_reader(f).read()


def sqlite_rows(raw, tmp_path):
    """The rows of t in a downloaded (decompressed) snapshot, read with Python's sqlite3."""
    path = tmp_path / f"snap-{uuid.uuid4().hex[:8]}.sqlite"
    path.write_bytes(raw)
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT id, big, data, note, r FROM t ORDER BY id").fetchall()
    finally:
        con.close()


def until(deadline_s, probe, what):
    """Poll ``probe`` until it returns something truthy; fail after ``deadline_s`` seconds."""
    deadline = time.monotonic() + deadline_s
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {deadline_s} s")
        time.sleep(0.05)


# ---- backups on the local destination -----------------------------------------------------


def test_backup_list_download_delete(client, db, tmp_path):
    fill(client, db)
    b1 = client.create_backup(db)
    assert isinstance(b1, dbforge.BackupInfo)
    assert (b1.database, b1.kind, b1.destination, b1.verified) == (db, "manual", "local", True)
    assert b1.row_counts == {"t": len(ROWS)} and len(b1.sha256) == 64
    assert b1.size_bytes == b1.page_count * b1.page_size and 0 < b1.stored_bytes

    client.query(db, "INSERT INTO t(id, note) VALUES (5, 'later')")
    b2 = client.create_backup(db)
    assert b2.id > b1.id and b2.row_counts == {"t": len(ROWS) + 1}
    assert [b.id for b in client.list_backups(db)] == [b2.id, b1.id]  # newest first
    status = client.get_database(db).backups
    assert status is not None and status.last_success_at == b2.created_at and not status.overdue

    # to a path: streamed, the header's checksum is of the decompressed file
    path = tmp_path / "b1.sqlite.zst"
    got = client.download_backup(db, b1, path)
    assert got == dbforge.DownloadedBackup(b1.stored_bytes, b1.sha256)
    assert path.stat().st_size == b1.stored_bytes
    raw = decompress(path)
    assert len(raw) == b1.size_bytes and hashlib.sha256(raw).hexdigest() == b1.sha256
    assert sqlite_rows(raw, tmp_path) == ROWS
    # to a file object, by id
    buf = io.BytesIO()
    assert client.download_backup(db, b2.id, buf).bytes_written == b2.stored_bytes == len(buf.getvalue())

    deleted = client.delete_backup(db, b1)
    assert deleted.id == b1.id and deleted.sha256 == b1.sha256
    assert [b.id for b in client.list_backups(db)] == [b2.id]
    missing = tmp_path / "gone.sqlite.zst"
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.download_backup(db, b1.id, missing)
    assert ei.value.code == "backup_not_found" and ei.value.status == 404
    assert not missing.exists()  # an error answer leaves the destination alone
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.delete_backup(db, b1.id)
    assert ei.value.code == "backup_not_found"


def test_restore_as_new_and_in_place(client, db):
    fill(client, db)
    before = content(client, db)
    assert before == ROWS
    backup = client.create_backup(db)
    client.batch(db, ["DELETE FROM t WHERE id > 1", "INSERT INTO t(id, note) VALUES (9, 'after')",
                      "CREATE TABLE extra(x)"])
    changed = content(client, db)

    new = unique_name("restored")
    info = client.restore(db, backup, as_name=new)
    try:
        assert isinstance(info, dbforge.DatabaseInfo) and info.name == new
        assert content(client, new) == before and table_names(client, new) == ["t"]
        assert content(client, db) == changed  # the source is untouched

        info = client.restore(db, backup.id, confirm=db)
        assert info.name == db
        assert content(client, db) == before and table_names(client, db) == ["t"]
        client.query(db, "INSERT INTO t(id) VALUES (10)")  # writable after the restore
        assert client.query(db, "SELECT count(*) FROM t").scalar() == len(ROWS) + 1
        assert [b.id for b in client.list_backups(db)] == [backup.id]  # restoring takes no backup
    finally:
        client.delete_database(new)


def test_branch_is_independent(client):
    parent = unique_name("parent")
    client.create_database(parent, max_size_bytes=3_000_000)
    child = unique_name("branch")
    try:
        fill(client, parent)
        info = client.branch(parent, child)
        assert info.name == child and info.max_size_bytes == 3_000_000  # inherits the quota
        assert info.branched_from is not None and info.branched_from.parent == parent
        assert parse_time(info.branched_from.branched_at) <= parse_time(info.created_at)
        assert client.get_database(child).branched_from == info.branched_from
        assert client.get_database(parent).branched_from is None
        assert content(client, child) == ROWS

        client.query(parent, "INSERT INTO t(id, note) VALUES (100, 'parent only')")
        client.query(child, "DELETE FROM t WHERE id < 3")
        client.query(child, "CREATE TABLE child_only(x)")
        assert content(client, parent) == ROWS + [(100, None, None, "parent only", None)]
        assert content(client, child) == ROWS[2:]
        assert table_names(client, parent) == ["t"]

        with pytest.raises(dbforge.DatabaseExistsError):
            client.branch(parent, child)
        with pytest.raises(dbforge.NotFoundError) as ei:
            client.branch(unique_name("nobody"), unique_name("x"))
        assert ei.value.code == "database_not_found"
    finally:
        for name in (parent, child):
            with contextlib.suppress(dbforge.NotFoundError):
                client.delete_database(name)


# ---- time to live and PATCH ---------------------------------------------------------------


def test_ttl_expiry(client):
    name = unique_name("ttl")
    info = client.create_database(name, ttl="2s")
    expires = parse_time(info.expires_at)
    assert timedelta(seconds=1.5) <= expires - parse_time(info.created_at) <= timedelta(seconds=2.5)

    def gone():
        try:
            client.get_database(name)
            return None
        except dbforge.NotFoundError as e:
            assert e.code == "database_not_found"
            return datetime.now(timezone.utc)

    gone_at = until(8, gone, f"{name} deleted at its expires_at {info.expires_at}")
    # not before its time (a little slack for clock rounding), and promptly after it
    assert expires - timedelta(milliseconds=50) <= gone_at <= expires + timedelta(seconds=3)
    # It leaves the list (and its count) at once, and its name is free at once: a spawn of
    # the name removes the expired database first.
    at_once = client.list_databases(prefix=name)
    assert (at_once.databases, at_once.total) == ([], 0)
    client.create_database(name)
    try:
        assert client.get_database(name).expires_at is None
    finally:
        client.delete_database(name)


def test_update_database_patch_semantics(client):
    name = unique_name("patch")
    e1 = client.create_database(name, ttl="1h").expires_at
    try:
        # a field left out stays
        info = client.update_database(name, backup_keep=3)
        assert info.expires_at == e1 and info.backups is not None
        assert (info.backups.every, info.backups.keep) == (None, 3)
        info = client.update_database(name, backup_every="1h")
        assert info.expires_at == e1 and (info.backups.every, info.backups.keep) == ("1h", 3)
        info = client.update_database(name)  # nothing given: nothing changes
        assert info.expires_at == e1 and (info.backups.every, info.backups.keep) == ("1h", 3)

        # None clears (sent as JSON null), the others stay
        info = client.update_database(name, ttl=None)
        assert info.expires_at is None and (info.backups.every, info.backups.keep) == ("1h", 3)
        assert client.get_database(name).expires_at is None
        # a new time to live counts from now; a timedelta is sent as seconds
        t0 = datetime.now(timezone.utc)
        info = client.update_database(name, ttl=timedelta(hours=2))
        assert timedelta(minutes=119) < parse_time(info.expires_at) - t0 < timedelta(minutes=121)
        info = client.update_database(name, backup_every="off")
        assert info.backups.every is None and info.backups.keep == 3
        info = client.update_database(name, backup_every=None, backup_keep=None)  # the server's defaults
        assert info.backups is None or (info.backups.every, info.backups.keep) == (None, 24)

        for bad in ({"ttl": "0s"}, {"ttl": "soon"}, {"backup_keep": 0}, {"backup_every": "often"}):
            with pytest.raises(dbforge.BadRequestError) as ei:
                client.update_database(name, **bad)
            assert ei.value.code == "invalid_request" and ei.value.status == 400, bad
        with pytest.raises(dbforge.NotFoundError):
            client.update_database(unique_name("nobody"), ttl="1h")
    finally:
        client.delete_database(name)
    bad_name = unique_name("badttl")
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.create_database(bad_name, ttl="forever")
    assert ei.value.code == "invalid_request"
    assert client.list_databases(prefix=bad_name).total == 0


def test_lifecycle_errors(client, db):
    fill(client, db, ROWS[:1])
    backup = client.create_backup(db)
    new = unique_name("never")

    with pytest.raises(dbforge.BadRequestError) as ei:
        client.restore(db, backup, as_name=new, confirm=db)
    assert ei.value.code == "invalid_request" and ei.value.status == 400
    for kwargs in ({}, {"confirm": "some-other-name"}):
        with pytest.raises(dbforge.BadRequestError) as ei:
            client.restore(db, backup, **kwargs)
        assert ei.value.code == "invalid_request"

    unknown = "20000101T000000000Z-000000"
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.restore(db, unknown, as_name=new)
    assert (ei.value.code, ei.value.status) == ("backup_not_found", 404)
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.restore(db, unknown, confirm=db)
    assert ei.value.code == "backup_not_found"
    assert client.list_databases(prefix=new).total == 0

    with pytest.raises(dbforge.DatabaseExistsError):
        client.restore(db, backup, as_name=db)
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.create_backup(unique_name("nobody"))
    assert ei.value.code == "database_not_found"


async def test_async_lifecycle(aclient, tmp_path):
    name = unique_name("alc")
    info = await aclient.create_database(name, ttl=timedelta(hours=1))
    assert info.expires_at is not None
    restored, child = unique_name("alc-r"), unique_name("alc-b")
    try:
        await aclient.query(name, "CREATE TABLE t(x)")
        await aclient.query(name, "INSERT INTO t VALUES (?), (?)", [2**62, "ü"])
        info = await aclient.update_database(name, ttl=None, backup_keep=5)
        assert info.expires_at is None and info.backups.keep == 5
        backup = await aclient.create_backup(name)
        assert [b.id for b in await aclient.list_backups(name)] == [backup.id]
        got = await aclient.download_backup(name, backup, tmp_path / "a.zst")
        assert got == dbforge.DownloadedBackup(backup.stored_bytes, backup.sha256)
        assert hashlib.sha256(decompress(tmp_path / "a.zst")).hexdigest() == backup.sha256
        assert (await aclient.restore(name, backup, as_name=restored)).name == restored
        assert (await aclient.query(restored, "SELECT x FROM t ORDER BY rowid")).tuples == [(2**62,), ("ü",)]
        await aclient.query(name, "DELETE FROM t")
        await aclient.restore(name, backup.id, confirm=name)
        assert (await aclient.query(name, "SELECT count(*) FROM t")).scalar() == 2
        assert (await aclient.branch(name, child)).branched_from.parent == name
        assert (await aclient.delete_backup(name, backup)).id == backup.id
        with pytest.raises(dbforge.NotFoundError) as ei:
            await aclient.download_backup(name, backup, io.BytesIO())
        assert ei.value.code == "backup_not_found"
    finally:
        for n in (name, restored, child):
            with contextlib.suppress(dbforge.NotFoundError):
                await aclient.delete_database(n)


def test_request_bodies_and_error_classes():
    """What goes on the wire: a PATCH field left out is absent, None is null; and the
    lifecycle error codes pick their classes."""
    sent = []
    info = {"name": "x", "size_bytes": 0, "created_at": "t", "table_count": 0, "max_size_bytes": 1, "open": False}

    def handler(request):
        sent.append((request.method, request.url.path, json.loads(request.content) if request.content else None))
        return httpx.Response(200, json=info)

    with dbforge.Client("http://gateway", ADMIN_KEY, transport=httpx.MockTransport(handler)) as c:
        c.update_database("x")
        c.update_database("x", ttl=None)
        c.update_database("x", ttl=timedelta(minutes=90), backup_every="off", backup_keep=None)
        c.create_database("x")
        c.create_database("x", 1000, ttl="7d")
        c.restore("x", "b1", as_name="y")
        with pytest.raises(ValueError):
            c.update_database("x", ttl=timedelta(seconds=1.5))
    assert sent == [
        ("PATCH", "/admin/databases/x", {}),
        ("PATCH", "/admin/databases/x", {"ttl": None}),
        ("PATCH", "/admin/databases/x", {"ttl": "5400s", "backup_every": "off", "backup_keep": None}),
        ("POST", "/admin/databases/spawn/x", None),
        ("POST", "/admin/databases/spawn/x", {"limits": {"max_size_bytes": 1000}, "ttl": "7d"}),
        ("POST", "/admin/databases/x/restore", {"backup": "b1", "as": "y"}),
    ]
    for code, status, cls in (("backup_not_found", 404, dbforge.NotFoundError),
                              ("backup_corrupt", 422, dbforge.BackupCorruptError),
                              ("storage_unavailable", 503, dbforge.UnavailableError)):
        e = error_from_response(status, {"error": {"code": code, "message": "m"}})
        assert type(e) is cls and (e.code, e.status) == (code, status)


# ---- backups in S3 (moto's server: a real S3 API over HTTP) -------------------------------

BUCKET = "dbforge-backups"
PREFIX = "some/prefix"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s3_env(endpoint):
    """The gateway's environment for the moto server: no other AWS_* setting leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    })
    return env


@pytest.fixture(scope="module")
def moto_endpoint():
    """``moto_server`` on a free port, until the module's tests are done; yields its URL."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        pytest.fail("moto[server] is missing: install the test extras (pip install -e 'clients/python[test]')")
    script = os.path.join(os.path.dirname(sys.executable), "moto_server")
    cmd = [script] if os.path.exists(script) else [sys.executable, "-m", "moto.server"]
    port = free_port()
    proc = subprocess.Popen([*cmd, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        def answers():
            assert proc.poll() is None, f"moto_server exited with {proc.returncode}"
            try:
                with urllib.request.urlopen(endpoint + "/", timeout=1):
                    return True
            except OSError:
                return False

        until(30, answers, f"moto_server answering at {endpoint}")
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def s3(moto_endpoint):
    """A boto3 client of the moto server (moto brings boto3), with the bucket created."""
    import boto3

    c = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing")
    c.create_bucket(Bucket=BUCKET)
    return c


@pytest.fixture(scope="module")
def s3_url(moto_endpoint, s3):
    """A second gateway whose backups go to s3://BUCKET/some/prefix."""
    with tempfile.TemporaryDirectory(prefix="dbforge-pytest-s3-") as data_dir:
        with run_server(data_dir, "--backup-url", f"s3://{BUCKET}/{PREFIX}", env=s3_env(moto_endpoint)) as url:
            yield url


@pytest.fixture
def s3_client(s3_url):
    with dbforge.Client(s3_url, ADMIN_KEY, timeout=30) as c:
        yield c


def bucket_keys(s3, prefix):
    page = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {o["Key"]: o["Size"] for o in page.get("Contents", [])}


def test_s3_backup_and_restore_as_new(s3_client, s3, tmp_path):
    db, new = unique_name("s3"), unique_name("s3-new")
    s3_client.create_database(db)
    try:
        fill(s3_client, db)
        backup = s3_client.create_backup(db)
        assert (backup.destination, backup.verified, backup.row_counts) == ("s3", True, {"t": len(ROWS)})
        stem = f"{PREFIX}/{db}/{backup.id}"
        keys = bucket_keys(s3, f"{PREFIX}/{db}/")
        assert sorted(keys) == [f"{stem}.json", f"{stem}.sqlite.zst"]
        assert keys[f"{stem}.sqlite.zst"] == backup.stored_bytes
        manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{stem}.json")["Body"].read())
        assert (manifest["id"], manifest["sha256"], manifest["database"]) == (backup.id, backup.sha256, db)
        assert [b.id for b in s3_client.list_backups(db)] == [backup.id]

        info = s3_client.restore(db, backup, as_name=new)
        assert info.name == new and content(s3_client, new) == ROWS == content(s3_client, db)
        got = s3_client.download_backup(db, backup, tmp_path / "s3.zst")
        assert got == dbforge.DownloadedBackup(backup.stored_bytes, backup.sha256)
        assert sqlite_rows(decompress(tmp_path / "s3.zst"), tmp_path) == ROWS
    finally:
        for n in (db, new):
            with contextlib.suppress(dbforge.NotFoundError):
                s3_client.delete_database(n)


def test_s3_backup_while_16_writers_insert_holds_every_acknowledged_row(s3_url, s3_client):
    """The acceptance test, through S3: rows acknowledged before the backup began are all in it,
    none from after it ended, and the restored copy passes integrity_check."""
    import threading

    db, new = unique_name("s3w"), unique_name("s3w-new")
    s3_client.create_database(db)
    try:
        s3_client.query(db, "CREATE TABLE w (writer INTEGER, n INTEGER)")
        acknowledged = [0] * 16
        stop = threading.Event()
        failures = []

        def writer(k):
            try:
                with dbforge.Client(s3_url, ADMIN_KEY, timeout=30) as c:
                    n = 0
                    while not stop.is_set():
                        c.query(db, "INSERT INTO w VALUES (?, ?)", [k, n])
                        n += 1
                        acknowledged[k] = n
            except Exception as e:  # reported below: a writer must never fail
                failures.append(e)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        until(10, lambda: all(acknowledged) or None, "every writer inserting")
        before = list(acknowledged)
        backup = s3_client.create_backup(db)
        after = list(acknowledged)
        stop.set()
        for t in threads:
            t.join()
        assert failures == []
        assert backup.destination == "s3" and backup.verified
        s3_client.restore(db, backup, as_name=new)
        grouped = s3_client.query(new, "SELECT writer, count(*), max(n) FROM w GROUP BY writer").tuples
        counts = {writer: (rows, top) for writer, rows, top in grouped}
        for k in range(16):
            rows, top = counts.get(k, (0, -1))
            assert rows == top + 1, f"writer {k}: rows 0..{top} without a gap"
            assert before[k] <= rows <= after[k], f"writer {k}: {before[k]} <= {rows} <= {after[k]}"
        assert s3_client.query(new, "PRAGMA integrity_check").scalar() == "ok"
        assert sum(r for r, _ in counts.values()) == backup.row_counts["w"]
    finally:
        for n in (db, new):
            with contextlib.suppress(dbforge.NotFoundError):
                s3_client.delete_database(n)


def test_s3_corrupt_object_is_refused(s3_client, s3):
    db, new = unique_name("s3c"), unique_name("s3c-new")
    s3_client.create_database(db)
    try:
        fill(s3_client, db)
        backup = s3_client.create_backup(db)
        key = f"{PREFIX}/{db}/{backup.id}.sqlite.zst"
        data = bytearray(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
        assert len(data) == backup.stored_bytes
        data[len(data) // 2] ^= 0x01  # one flipped bit
        s3.put_object(Bucket=BUCKET, Key=key, Body=bytes(data))

        with pytest.raises(dbforge.BackupCorruptError) as ei:
            s3_client.restore(db, backup, as_name=new)
        assert (ei.value.code, ei.value.status) == ("backup_corrupt", 422)
        assert isinstance(ei.value, dbforge.DataError)
        with pytest.raises(dbforge.NotFoundError):
            s3_client.get_database(new)
        assert s3_client.list_databases(prefix=new).total == 0
        # in place neither: the live content stays
        s3_client.query(db, "INSERT INTO t(id) VALUES (50)")
        with pytest.raises(dbforge.BackupCorruptError):
            s3_client.restore(db, backup, confirm=db)
        assert content(s3_client, db) == ROWS + [(50, None, None, None, None)]
    finally:
        for n in (db, new):
            with contextlib.suppress(dbforge.NotFoundError):
                s3_client.delete_database(n)


def test_s3_backups_survive_losing_the_server(moto_endpoint, s3):
    """A new server with an empty data directory, pointed at the same prefix, adopts the
    manifests it finds there: the lost server's backups are listed and restorable."""
    prefix = f"survive-{uuid.uuid4().hex[:8]}/backups"
    args = ("--backup-url", f"s3://{BUCKET}/{prefix}")
    env = s3_env(moto_endpoint)
    db = unique_name("lost")
    first_dir = tempfile.mkdtemp(prefix="dbforge-pytest-lost-")
    try:
        with run_server(first_dir, *args, env=env) as url, dbforge.Client(url, ADMIN_KEY) as c:
            c.create_database(db)
            fill(c, db)
            backup = c.create_backup(db)
    finally:
        shutil.rmtree(first_dir)  # the server and its disk are gone

    with tempfile.TemporaryDirectory(prefix="dbforge-pytest-new-") as fresh, \
            run_server(fresh, *args, env=env) as url, dbforge.Client(url, ADMIN_KEY) as c:
        with pytest.raises(dbforge.NotFoundError):
            c.get_database(db)
        listed = until(10, lambda: c.list_backups(db), f"the backups of {db} adopted from s3://{BUCKET}/{prefix}")
        assert [b.id for b in listed] == [backup.id] and listed[0].sha256 == backup.sha256
        info = c.restore(db, backup.id, as_name=db)  # back under its own name
        assert info.name == db and content(c, db) == ROWS
