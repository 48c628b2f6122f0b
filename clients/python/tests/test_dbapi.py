import pytest

import dbforge
from conftest import ADMIN_KEY


@pytest.fixture
def conn(url, db):
    c = dbforge.connect(url, db, ADMIN_KEY)
    yield c
    c.close()


def test_module_globals():
    assert dbforge.apilevel == "2.0" and dbforge.paramstyle == "qmark" and dbforge.threadsafety in (0, 1, 2, 3)
    for name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
                 "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError"):
        assert hasattr(dbforge, name)
    assert issubclass(dbforge.IntegrityError, dbforge.DatabaseError)
    assert issubclass(dbforge.DatabaseError, dbforge.Error)
    assert dbforge.Binary(b"x") == b"x" and "TEXT" == dbforge.STRING and "integer" == dbforge.NUMBER


def test_execute_fetch_description(conn):
    cur = conn.cursor()
    cur.execute("CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT, photo BLOB)")
    assert cur.description is None and cur.rowcount == 0
    cur.execute("INSERT INTO people(name, photo) VALUES (?, ?)", ("Ada", b"\x89PNG"))
    assert cur.rowcount == 1 and cur.lastrowid == 1
    cur.execute("INSERT INTO people(name) VALUES (:name)", {"name": "Grace"})
    assert cur.lastrowid == 2
    cur.execute("SELECT id, name, photo FROM people ORDER BY id")
    assert [d[0] for d in cur.description] == ["id", "name", "photo"]
    assert [d[1] for d in cur.description] == ["INTEGER", "TEXT", "BLOB"]
    assert all(len(d) == 7 for d in cur.description)
    assert cur.rowcount == 2
    assert cur.fetchone() == (1, "Ada", b"\x89PNG")
    assert cur.fetchone() == (2, "Grace", None)
    assert cur.fetchone() is None
    assert cur.fetchall() == []


def test_fetchmany_arraysize_iteration(conn):
    cur = conn.cursor()
    cur.execute("CREATE TABLE n(x INTEGER)")
    cur.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(7)])
    cur.execute("SELECT x FROM n ORDER BY x")
    assert cur.fetchmany() == [(0,)]  # arraysize defaults to 1
    cur.arraysize = 3
    assert cur.fetchmany() == [(1,), (2,), (3,)]
    assert cur.fetchmany(2) == [(4,), (5,)]
    assert cur.fetchall() == [(6,)]
    assert [r[0] for r in conn.execute("SELECT x FROM n WHERE x < 3 ORDER BY x")] == [0, 1, 2]


def test_executemany_atomic(conn):
    cur = conn.cursor()
    cur.execute("CREATE TABLE u(id INTEGER PRIMARY KEY, e TEXT UNIQUE)")
    cur.executemany("INSERT INTO u(e) VALUES (?)", [("a",), ("b",), ("c",)])
    assert cur.rowcount == 3 and cur.lastrowid == 3
    with pytest.raises(dbforge.IntegrityError):
        cur.executemany("INSERT INTO u(e) VALUES (:e)", [{"e": "d"}, {"e": "a"}])
    cur.execute("SELECT e FROM u ORDER BY id")
    assert cur.fetchall() == [("a",), ("b",), ("c",)]  # "d" was rolled back with the batch
    cur.executemany("INSERT INTO u(e) VALUES (?)", [])
    assert cur.rowcount == 0


def test_integrity_error_on_constraint(conn):
    cur = conn.cursor()
    cur.execute("CREATE TABLE u(e TEXT NOT NULL UNIQUE)")
    cur.execute("INSERT INTO u VALUES ('x')")
    with pytest.raises(dbforge.IntegrityError) as ei:
        cur.execute("INSERT INTO u VALUES ('x')")
    assert ei.value.code == "constraint_violation"


def test_error_classes(conn):
    cur = conn.cursor()
    with pytest.raises(dbforge.ProgrammingError):
        cur.execute("SELECT * FROM missing")
    with pytest.raises(dbforge.NotSupportedError):
        cur.execute("BEGIN")
    with pytest.raises(dbforge.ProgrammingError):  # no result set to fetch
        cur.execute("CREATE TABLE z(a)")
        cur.fetchone()


def test_update_rowcount_and_returning(conn):
    cur = conn.cursor()
    cur.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)")
    cur.executemany("INSERT INTO t(v) VALUES (?)", [[1], [2], [3]])
    cur.execute("UPDATE t SET v = v * 10 WHERE v >= ?", [2])
    assert cur.rowcount == 2 and cur.description is None
    cur.execute("DELETE FROM t WHERE v = 30 RETURNING id")
    assert cur.rowcount == 1 and cur.fetchall() == [(3,)]


def test_transaction_semantics(conn):
    cur = conn.cursor()
    cur.execute("CREATE TABLE t(x INTEGER)")
    cur.execute("INSERT INTO t VALUES (1)")
    conn.commit()  # no-op: already committed
    with pytest.raises(dbforge.NotSupportedError):
        conn.rollback()
    # autocommit: visible through a separate connection immediately
    other = dbforge.connect(conn.client.url, conn.database, ADMIN_KEY)
    try:
        assert other.cursor().execute("SELECT x FROM t").fetchall() == [(1,)]
    finally:
        other.close()
    results = conn.execute_atomic([("INSERT INTO t VALUES (?)", [2]), "SELECT count(*) FROM t"])
    assert results[1].scalar() == 2


def test_closed_connection_and_cursor(url, db):
    c = dbforge.connect(url, db, ADMIN_KEY)
    cur = c.cursor()
    cur.close()
    with pytest.raises(dbforge.InterfaceError):
        cur.execute("SELECT 1")
    c.close()
    with pytest.raises(dbforge.InterfaceError):
        c.cursor()
    with dbforge.connect(url, db, ADMIN_KEY) as c2:
        with c2.cursor() as cur2:
            assert cur2.execute("SELECT 1 + 1").fetchone() == (2,)
    assert c2.closed


def test_wrong_key_is_operational_error(url, db):
    with dbforge.connect(url, db, "nope") as c:
        with pytest.raises(dbforge.OperationalError) as ei:
            c.cursor().execute("SELECT 1")
        assert ei.value.status == 401
