"""Export and import through the real binary: SQL dumps, CSV, JSON, NDJSON and SQLite files,
streamed both ways; rows read lazily beyond the server's result limit; exports the server cuts
short raise instead of passing for complete ones."""

import contextlib
import io
import itertools
import json
import math
import os
import sqlite3
import stat
import tempfile
import tracemalloc

import httpx
import pytest

import dbforge
from dbforge import _core
from conftest import ADMIN_KEY, run_server, unique_name

# exact values that JSON numbers and text formats get wrong when done carelessly
ROWS = [
    (1, 2**53 + 1, b"\x00\x01\xfe\xff", "plain", 1.5),
    (2, -(2**63), None, "ünïcødé 漢字 🎉 \u2028 line\nbreak", None),
    (3, 2**63 - 1, b"", None, -math.inf),
    (4, None, bytes(range(256)), "", 0.1),
]
COLUMNS = ["id", "big", "data", "note", "r"]
ODD = '"odd ""name"""'  # a table name that needs quoting
INFINITE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
INFINITE_WIDE = INFINITE.replace("SELECT x FROM c", "SELECT x, printf('%.2000c', 'w') AS pad FROM c")


def fill(client, db, rows=ROWS):
    client.query(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, big INTEGER, data BLOB, note TEXT, r REAL)")
    client.batch(db, [("INSERT INTO t VALUES (?, ?, ?, ?, ?)", list(r)) for r in rows])


def content(client, db, table="t"):
    return client.query(db, f"SELECT {', '.join(COLUMNS)} FROM {table} ORDER BY id", lossless=True).tuples


@contextlib.contextmanager
def dropping(client, *names):
    """Delete these databases afterwards, whether or not they were created."""
    try:
        yield
    finally:
        for n in names:
            with contextlib.suppress(dbforge.NotFoundError):
                client.delete_database(n)


def leftovers(directory):
    """Temporary files an export left beside its destination."""
    return [p.name for p in directory.iterdir() if p.name.endswith(".part")]


# ---- round trips ----------------------------------------------------------------------------


def test_sql_dump_round_trip(client, db, tmp_path):
    fill(client, db)
    client.batch(db, [
        f"CREATE TABLE {ODD}(k INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT UNIQUE)",
        f"INSERT INTO {ODD}(v) VALUES ('a'), ('it''s'), (NULL)",
        "CREATE INDEX t_note ON t(note)",
        "CREATE VIEW v AS SELECT id, note FROM t WHERE note IS NOT NULL",
        "CREATE TRIGGER t_stamp AFTER INSERT ON t BEGIN UPDATE t SET r = 42.0 WHERE id = new.id; END",
    ])
    first = tmp_path / "dump.sql"
    written = client.export(db, first)  # format="sql" is the default
    assert written == first.stat().st_size > 0 and leftovers(tmp_path) == []
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(first.stat().st_mode) == 0o666 & ~umask  # as open() makes it, not 0600
    text = first.read_text("utf-8")
    assert text.startswith("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n") and text.endswith("COMMIT;\n")

    new = unique_name("dump")
    with dropping(client, new):
        result = client.import_data(new, first)  # the format from the extension
        assert isinstance(result, dbforge.ImportResult)
        assert (result.database, result.format, result.table) == (new, "sql", None)
        assert result.created_database and result.bytes == written and result.count > 0
        second = tmp_path / "again.sql"
        assert client.export(new, second) == written
        assert second.read_bytes() == first.read_bytes()  # byte for byte
        assert content(client, new) == ROWS
        # the trigger came after the rows (it did not fire on them) and works
        client.query(new, "INSERT INTO t(id) VALUES (9)")
        assert client.query(new, "SELECT r FROM t WHERE id = 9").scalar() == 42.0
        # AUTOINCREMENT's sqlite_sequence came along
        assert client.query(new, f"INSERT INTO {ODD}(v) VALUES ('b') RETURNING k").scalar() == 4

        # one table, with its index and trigger but nothing else
        only = io.BytesIO()
        client.export(db, only, table="t")
        dump = only.getvalue().decode()
        assert "CREATE INDEX t_note" in dump and "CREATE TRIGGER t_stamp" in dump
        assert "odd" not in dump and "CREATE VIEW" not in dump


def test_csv_round_trip_keeps_null_apart_from_empty(client, db, tmp_path):
    rows = [
        (1, "plain", 7, 1.0),
        (2, "", None, None),  # empty text and NULLs
        (3, None, -(2**63), 1e300),
        (4, 'quote " comma , newline\r\nend', 2**63 - 1, -0.5),
        (5, "ünïcødé 漢字 🎉", 0, 2.5),
    ]
    client.query(db, "CREATE TABLE c(id INTEGER PRIMARY KEY, note TEXT, n INTEGER, x REAL)")
    client.batch(db, [("INSERT INTO c VALUES (?, ?, ?, ?)", list(r)) for r in rows])

    path = tmp_path / "c.csv"
    n = client.export(db, path, format="csv", table="c", null="\\N")
    raw = path.read_bytes()
    assert n == len(raw)
    lines = raw.decode().split("\r\n")
    assert lines[0] == "id,note,n,x" and lines[2] == '2,"",\\N,\\N' and lines[3].startswith("3,\\N,")

    new = unique_name("csv")
    with dropping(client, new):
        result = client.import_data(new, path, table="c", null="\\N")
        assert (result.format, result.table, result.count) == ("csv", "c", len(rows))
        assert result.created_database and result.created_table
        got = client.query(new, "SELECT id, note, n, x FROM c ORDER BY id").tuples
        assert got == rows
        assert client.query(new, "SELECT count(*) FROM c WHERE note = ''").scalar() == 1
        assert client.query(new, "SELECT count(*) FROM c WHERE note IS NULL").scalar() == 1
        # into the existing table (created by the import: no primary key), from a file object
        again = client.import_data(new, io.BytesIO(raw), table="c", null="\\N", format="csv")
        assert not again.created_database and not again.created_table and again.count == len(rows)
        assert client.query(new, "SELECT count(*) FROM c WHERE note IS NULL").scalar() == 2


def test_csv_text_equal_to_the_null_marker(client, db):
    """A text that reads like the NULL marker must come back as that text, not as NULL."""
    client.query(db, "CREATE TABLE m(id INTEGER PRIMARY KEY, note TEXT)")
    client.query(db, "INSERT INTO m VALUES (1, ?), (2, NULL)", ["\\N"])
    buf = io.BytesIO()
    client.export(db, buf, format="csv", table="m", null="\\N")
    new = unique_name("marker")
    with dropping(client, new):
        client.import_data(new, io.BytesIO(buf.getvalue()), format="csv", table="m", null="\\N")
        got = client.query(new, "SELECT id, note FROM m ORDER BY id").tuples
        # The text is written quoted, and a quoted field is always text.
        assert got == [(1, "\\N"), (2, None)]


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_json_round_trip_exact_values(client, db, tmp_path, fmt):
    fill(client, db)
    path = tmp_path / f"t.{fmt}"
    n = client.export(db, path, format=fmt, table="t")
    assert n == path.stat().st_size
    if fmt == "ndjson":
        first = json.loads(path.read_bytes().split(b"\n")[0])
        assert first["big"] == {"integer": str(2**53 + 1)} and first["data"] == {"base64": "AAH+/w=="}

    new = unique_name(fmt)
    with dropping(client, new):
        result = client.import_data(new, path, table="t")  # the format from the extension
        assert (result.format, result.count, result.created_database) == (fmt, len(ROWS), True)
        assert content(client, new) == ROWS
        # and out again, equal bytes
        again = io.BytesIO()
        client.export(new, again, format=fmt, table="t")
        assert again.getvalue() == path.read_bytes()


def test_export_rows_decodes_values(client, db):
    fill(client, db)
    rows = list(client.export_rows(db, table="t"))
    assert rows == [dict(zip(COLUMNS, r)) for r in ROWS]
    assert [list(r) for r in rows] == [COLUMNS] * len(ROWS)  # keys in column order
    got = list(client.export_rows(db, sql="SELECT id, id AS id, big FROM t WHERE big > 9007199254740992 ORDER BY id"))
    assert got == [{"id": 1, "id_2": 1, "big": 2**53 + 1}, {"id": 3, "id_2": 3, "big": 2**63 - 1}]
    assert list(client.export_rows(db, sql="SELECT 1 AS one WHERE 0")) == []


def test_export_rows_beyond_the_result_limit(client, db):
    n = 25_000
    client.query(db, "CREATE TABLE big(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT)")
    client.query(db, "INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
                     "SELECT x, x * 4294967296 * 1024, printf('%.80c', 'x') FROM c", [n])
    assert client.query(db, "SELECT id FROM big").truncated  # the query API stops at 10,000 rows

    tracemalloc.start()
    try:
        count, expected = 0, 1
        for row in client.export_rows(db, table="big"):
            assert row["id"] == expected and row["v"] == expected * 2**42  # beyond 2^53 from id 2049
            expected += 1
            count += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == n
    # lazily: all 25,000 rows as dicts would take several MB; a chunk's worth stays well under
    assert peak < 3_000_000, f"peak {peak} bytes while iterating"


def test_ndjson_decoder_joins_lines_split_anywhere():
    body = b"".join(json.dumps({"i": i, "s": "x\n" * i, "b": {"base64": "AAE="}}).encode() + b"\n" for i in range(4))
    for size in (1, 2, 3, 7, len(body)):
        d = _core.NdjsonRows()
        rows = [r for k in range(0, len(body), size) for r in d.feed(body[k:k + size])] + list(d.end())
        assert rows == [{"i": i, "s": "x\n" * i, "b": b"\x00\x01"} for i in range(4)], size
    d = _core.NdjsonRows()
    assert list(d.feed(b'{"a": 1}\n{"a": 2}')) == [{"a": 1}] and list(d.end()) == [{"a": 2}]


# ---- imports that fail, and SQLite files ---------------------------------------------------


def test_bad_csv_raises_with_its_line_and_creates_nothing(client, db, tmp_path):
    bad = b"a,b\n1,2\n3\n4,5\n"
    new = unique_name("badcsv")
    path = tmp_path / "bad.csv"
    path.write_bytes(bad)
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.import_data(new, path, table="x")
    assert (ei.value.code, ei.value.status) == ("invalid_request", 400)
    assert ei.value.message.startswith("line 3:"), ei.value.message
    assert client.list_databases(prefix=new).total == 0
    with pytest.raises(dbforge.NotFoundError):
        client.get_database(new)

    # into an existing database: nothing lands, not even the table
    client.query(db, "CREATE TABLE keep(x)")
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.import_data(db, io.BytesIO(bad), format="csv", table="x")
    assert "line 3" in ei.value.message
    assert [t.name for t in client.list_tables(db)] == ["keep"]


def test_bad_crlf_csv_names_its_line(client):
    """The server's own CSV ends lines with CRLF (RFC 4180): errors must name the same line."""
    new = unique_name("crlf")
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.import_data(new, io.BytesIO(b"a,b\r\n1,2\r\n3\r\n4,5\r\n"), format="csv", table="x")
    assert client.list_databases(prefix=new).total == 0
    assert ei.value.message.startswith("line 3:"), ei.value.message


def test_import_errors(client, db, tmp_path):
    new = unique_name("imperr")
    with pytest.raises(dbforge.StatementNotAllowedError) as ei:
        client.import_data(new, io.BytesIO(b"CREATE TABLE a(x);\nATTACH 'x' AS y;\n"), format="sql")
    assert ei.value.status == 403 and ei.value.message.startswith("line 2:")
    client.query(db, "CREATE TABLE u(id INTEGER PRIMARY KEY)")
    with pytest.raises(dbforge.ConstraintError) as ei:
        client.import_data(db, io.BytesIO(b'{"id": 1}\n{"id": 1}\n'), format="ndjson", table="u")
    assert ei.value.status == 409 and ei.value.message.startswith("line 2:"), ei.value.message
    assert client.query(db, "SELECT count(*) FROM u").scalar() == 0  # all or nothing
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.import_data(new, io.BytesIO(b""), format="csv", table="x")
    assert ei.value.code == "invalid_request"
    with pytest.raises(dbforge.BadRequestError) as ei:  # no table for rows
        client.import_data(new, io.BytesIO(b"[]"), format="json")
    assert ei.value.code == "invalid_request"
    assert client.list_databases(prefix=new).total == 0

    # the format must be known before anything is sent
    (tmp_path / "data.txt").write_bytes(b"a\n1\n")
    with pytest.raises(ValueError, match="format="):
        client.import_data(new, tmp_path / "data.txt")
    with pytest.raises(ValueError, match="format="):
        client.import_data(new, io.BytesIO(b"a\n1\n"))
    with open(tmp_path / "data.txt", encoding="utf-8") as text_file:
        with pytest.raises(TypeError, match="binary"):
            client.import_data(new, text_file, format="csv", table="x")


def test_sqlite_file_by_extension(client, tmp_path):
    src = tmp_path / "made-here.sqlite"
    con = sqlite3.connect(src)
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, big INTEGER, data BLOB, note TEXT, r REAL)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", ROWS)
    con.commit()
    con.close()

    name, other = unique_name("file"), unique_name("file-bad")
    with dropping(client, name, other):
        result = client.import_data(name, src)
        assert (result.format, result.created_database, result.bytes) == ("sqlite", True, src.stat().st_size)
        assert content(client, name) == ROWS
        client.query(name, "INSERT INTO t(id) VALUES (10)")  # a live database

        # and out again as a file any SQLite opens, taken at one point in time
        out = tmp_path / "out.sqlite"
        n = client.export(name, out, format="sqlite")
        assert n == out.stat().st_size and leftovers(tmp_path) == []
        con = sqlite3.connect(out)
        try:
            assert con.execute("SELECT count(*) FROM t").fetchone() == (len(ROWS) + 1,)
        finally:
            con.close()

        with pytest.raises(dbforge.DatabaseExistsError):
            client.import_data(name, src)
        not_sqlite = tmp_path / "not.db"
        not_sqlite.write_bytes(b"SQLite format 2\x00" + bytes(4096))
        with pytest.raises(dbforge.InvalidDatabaseFileError) as ei:
            client.import_data(other, not_sqlite)
        assert (ei.value.code, ei.value.status) == ("invalid_database_file", 422)
        assert isinstance(ei.value, dbforge.DataError)
        assert client.list_databases(prefix=other).total == 0
        # a file object is read from where it stands, and left open
        with open(src, "rb") as f:
            assert client.import_data(other, f).format == "sqlite"  # by its name's extension
            assert not f.closed
        assert content(client, other) == ROWS


# ---- exports that fail ---------------------------------------------------------------------


def test_export_errors_leave_the_destination_alone(client, db, tmp_path):
    fill(client, db)
    dest = tmp_path / "keep.csv"
    dest.write_bytes(b"before")
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.export(db, dest, format="csv", table="nope")
    assert ei.value.code == "table_not_found"
    with pytest.raises(dbforge.ForbiddenError):
        client.export(db, dest, format="csv", sql="DELETE FROM t")
    with pytest.raises(dbforge.BadRequestError):
        client.export(db, dest, format="csv", table="t", sql="SELECT 1")
    with pytest.raises(dbforge.BadRequestError):
        client.export(db, dest, format="xml", table="t")
    with pytest.raises(dbforge.SQLError):
        client.export(db, dest, format="csv", sql="SELEC")
    with pytest.raises(dbforge.NotFoundError):
        client.export(unique_name("nobody"), dest)
    assert dest.read_bytes() == b"before" and leftovers(tmp_path) == []
    rows = client.export_rows(db, table="nope")
    with pytest.raises(dbforge.NotFoundError):  # at the first next()
        next(rows)
    # a successful export replaces the file whole
    assert client.export(db, dest, format="csv", table="t") == dest.stat().st_size
    assert dest.read_bytes().startswith(b"id,big,data,note,r\r\n")


@pytest.fixture(scope="module")
def short_url():
    """A gateway whose exports may take 500 ms and whose uploads at most 64 KiB."""
    with tempfile.TemporaryDirectory(prefix="dbforge-pytest-short-") as data_dir:
        with run_server(data_dir, "--export-timeout", "500ms", "--max-import-bytes", "64KiB") as url:
            yield url


def test_export_cut_short_raises(short_url, tmp_path):
    with dbforge.Client(short_url, ADMIN_KEY) as c:
        db = unique_name("cut")
        c.create_database(db)
        # lazily: the first rows of an endless query come at once
        first = list(itertools.islice(c.export_rows(db, sql=INFINITE), 5_000))
        assert [r["x"] for r in first[:3]] == [1, 2, 3] and len(first) == 5_000

        # the server stops it at --export-timeout and cuts the chunked body: never complete
        dest = tmp_path / "endless.ndjson"
        dest.write_bytes(b"before")
        with pytest.raises(dbforge.TransportError) as ei:
            c.export(db, dest, format="ndjson", sql=INFINITE)
        assert "cut short" in ei.value.message and "incomplete" in ei.value.message, ei.value.message
        assert dest.read_bytes() == b"before" and leftovers(tmp_path) == []
        seen = 0
        with pytest.raises(dbforge.TransportError) as ei:
            for row in c.export_rows(db, sql=INFINITE_WIDE):  # wide rows: quick to read what came
                seen += 1
                assert row["x"] == seen and len(row["pad"]) == 2000
        assert seen > 0 and f"after {seen} rows" in ei.value.message

        with pytest.raises(dbforge.TooLargeError) as ei:
            c.import_data(unique_name("big"), io.BytesIO(b"x" * 100_000), format="csv", table="x")
        assert (ei.value.code, ei.value.status) == ("payload_too_large", 413)


class _BrokenBody(httpx.SyncByteStream):
    def __iter__(self):
        yield b'{"x": 1}\n{"x": 2}\n{"x"'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def test_cut_short_and_requests_with_a_mock_transport(tmp_path):
    sent = []

    def handler(request):
        sent.append(request)
        if request.url.path.endswith("/export"):
            return httpx.Response(200, stream=_BrokenBody(), headers={"Content-Type": "application/x-ndjson"})
        body = request.read()
        return httpx.Response(201, json={"database": "x", "format": request.url.params["format"], "table": "t",
                                         "created_database": True, "created_table": True, "count": 1,
                                         "bytes": len(body)})

    with dbforge.Client("http://gateway", ADMIN_KEY, transport=httpx.MockTransport(handler)) as c:
        dest = tmp_path / "x.ndjson"
        dest.write_bytes(b"before")
        with pytest.raises(dbforge.TransportError, match="cut short after 22 bytes"):
            c.export("x", dest, format="ndjson", table="t", null="\\N")
        assert dest.read_bytes() == b"before" and leftovers(tmp_path) == []
        rows = []
        with pytest.raises(dbforge.TransportError, match="after 2 rows"):
            rows.extend(c.export_rows("x", sql="SELECT x FROM t"))
        assert rows == [{"x": 1}, {"x": 2}]

        src = tmp_path / "rows.JSONL"
        src.write_bytes(b'{"a": 1}\n')
        assert c.import_data("x", src, table="t").format == "ndjson"
        assert c.import_data("x", io.BytesIO(b"a\n1\n"), format="csv", table="t", null="").bytes == 4

    export, export_rows, from_path, from_object = sent
    assert export.url.path == "/api/db/x/export"
    assert list(export.url.params.multi_items()) == [("format", "ndjson"), ("table", "t"), ("null", "\\N")]
    assert list(export_rows.url.params.multi_items()) == [("format", "ndjson"), ("sql", "SELECT x FROM t")]
    assert from_path.url.path == "/admin/databases/x/import" and from_path.method == "POST"
    assert from_path.headers["content-type"] == "application/x-ndjson"
    assert from_path.headers["content-length"] == "9" and "transfer-encoding" not in from_path.headers
    assert list(from_object.url.params.multi_items()) == [("format", "csv"), ("table", "t"), ("null", "")]
    assert from_object.headers["content-type"] == "text/csv"


async def test_async_export_import(aclient, tmp_path):
    name, new = unique_name("aexp"), unique_name("aimp")
    await aclient.create_database(name)
    try:
        await aclient.query(name, "CREATE TABLE t(id INTEGER PRIMARY KEY, big INTEGER, data BLOB, note TEXT, r REAL)")
        await aclient.batch(name, [("INSERT INTO t VALUES (?, ?, ?, ?, ?)", list(r)) for r in ROWS])
        path = tmp_path / "a.sql"
        n = await aclient.export(name, path)
        assert n == path.stat().st_size and leftovers(tmp_path) == []
        result = await aclient.import_data(new, path)
        assert result.created_database and result.format == "sql"
        again = io.BytesIO()
        assert await aclient.export(new, again) == n and again.getvalue() == path.read_bytes()
        rows = [r async for r in aclient.export_rows(new, table="t")]
        assert rows == [dict(zip(COLUMNS, r)) for r in ROWS]
        renamed = path.read_bytes().replace(b'"t"', b'"t2"').replace(b"CREATE TABLE t(", b"CREATE TABLE t2(")
        more = await aclient.import_data(new, io.BytesIO(renamed), format="sql")  # into the existing database
        assert not more.created_database
        assert (await aclient.query(new, "SELECT count(*) FROM t2")).scalar() == len(ROWS)
        with pytest.raises(dbforge.NotFoundError):
            await aclient.export(name, tmp_path / "no.csv", format="csv", table="nope")
        assert not (tmp_path / "no.csv").exists()
        with pytest.raises(dbforge.BadRequestError, match="line 3"):
            await aclient.import_data(unique_name("abad"), io.BytesIO(b"a,b\n1,2\n3\n"), format="csv", table="x")
    finally:
        for n_ in (name, new):
            with contextlib.suppress(dbforge.NotFoundError):
                await aclient.delete_database(n_)
