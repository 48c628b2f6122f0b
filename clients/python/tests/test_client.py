import math

import pytest

import dbforge
from conftest import ADMIN_KEY, unique_name


# ---- admin --------------------------------------------------------------------------------


def test_create_get_delete_database(client):
    name = unique_name("adm")
    info = client.create_database(name, max_size_bytes=200_000)
    assert isinstance(info, dbforge.DatabaseInfo)
    assert info.name == name and info.max_size_bytes == 200_000 and info.table_count == 0
    assert info.size_bytes > 0 and info.created_at.endswith("Z")
    got = client.get_database(name)
    assert got.name == name and got.max_size_bytes == 200_000
    assert client.delete_database(name) == name
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.get_database(name)
    assert ei.value.code == "database_not_found" and ei.value.status == 404


def test_table_count_reflects_tables(client, db):
    client.query(db, "CREATE TABLE a(x)")
    client.query(db, "CREATE TABLE b(x)")
    assert client.get_database(db).table_count == 2


def test_list_databases_pagination_and_iterator(client):
    prefix = unique_name("pg") + "-"
    names = [f"{prefix}{i:02d}" for i in range(5)]
    for n in reversed(names):
        client.create_database(n)
    try:
        page1 = client.list_databases(limit=2, prefix=prefix)
        assert [d.name for d in page1.databases] == names[:2]
        assert page1.total == 5 and page1.next_cursor == names[1]
        page2 = client.list_databases(limit=2, after=page1.next_cursor, prefix=prefix)
        assert [d.name for d in page2.databases] == names[2:4]
        page3 = client.list_databases(limit=2, after=page2.next_cursor, prefix=prefix)
        assert [d.name for d in page3.databases] == names[4:] and page3.next_cursor is None
        assert [d.name for d in client.iter_databases(prefix=prefix, page_size=2)] == names
        # default page size holds them all
        assert [d.name for d in client.list_databases(prefix=prefix).databases] == names
    finally:
        for n in names:
            client.delete_database(n)
    assert client.list_databases(prefix=prefix).total == 0


def test_stats(client, db):
    client.query(db, "SELECT 1")
    s = client.stats()
    assert isinstance(s, dbforge.GatewayStats)
    assert s.database_count >= 1 and s.queries_total >= 1 and s.requests_total >= 1
    assert s.query_latency.count >= 1 and s.query_latency.max_ms >= s.query_latency.p50_ms >= 0
    assert s.version == client.health().version


def test_health_ready_metrics(url, client):
    # health and readiness need no key; metrics need an admin key (unless --metrics-public)
    with dbforge.Client(url) as anon:
        h = anon.health()
        assert h.status == "ok" and h.version
        assert anon.ready() is True
        with pytest.raises(dbforge.AuthError):
            anon.metrics()
    text = client.metrics()
    assert isinstance(text, str) and "# TYPE" in text and "dbforge_commits_total" in text


# ---- query / batch ------------------------------------------------------------------------


def test_query_rows_and_metadata(client, db):
    client.query(db, "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    r = client.query(db, "INSERT INTO users(name) VALUES (?)", ["Ada"])
    assert r.rows_affected == 1 and r.last_insert_rowid == 1 and r.columns == [] and r.rows == []
    r = client.query(db, "INSERT INTO users(name) VALUES (:name) RETURNING id", {"name": "Bob"})
    assert r.rows == [{"id": 2}] and r.last_insert_rowid == 2
    r = client.query(db, "SELECT id, name FROM users ORDER BY id")
    assert r.columns == ["id", "name"] and r.column_types == ["INTEGER", "TEXT"]
    assert r.rows == [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bob"}]
    assert r.tuples == [(1, "Ada"), (2, "Bob")]
    assert r.rows_affected == 0 and r.last_insert_rowid is None and r.truncated is False
    assert client.query(db, "SELECT count(*) FROM users").scalar() == 2
    r = client.query(db, "UPDATE users SET name = upper(name)")
    assert r.rows_affected == 2


def test_duplicate_column_names_kept_in_tuples(client, db):
    r = client.query(db, "SELECT 1 AS a, 2 AS a")
    assert r.columns == ["a", "a"] and r.tuples == [(1, 2)]


def test_named_params_sigils(client, db):
    r = client.query(db, "SELECT :a AS a, @b AS b, $c AS c", {"a": 1, "@b": "two", "c": None})
    assert r.rows == [{"a": 1, "b": "two", "c": None}]


def test_multi_statement_text_returns_last_result(client, db):
    r = client.query(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT x FROM t")
    assert r.rows == [{"x": 1}]


def test_batch_results_and_forms(client, db):
    client.query(db, "CREATE TABLE acc(id INTEGER PRIMARY KEY, bal INTEGER CHECK (bal >= 0))")
    results = client.batch(db, [
        "INSERT INTO acc VALUES (1, 100)",
        ("INSERT INTO acc VALUES (?, ?)", [2, 50]),
        {"sql": "UPDATE acc SET bal = bal - :amt WHERE id = 1", "params": {"amt": 30}},
        ("SELECT id, bal FROM acc ORDER BY id",),
    ])
    assert len(results) == 4
    assert results[0].last_insert_rowid == 1 and results[1].last_insert_rowid == 2
    assert results[2].rows_affected == 1
    assert results[3].rows == [{"id": 1, "bal": 70}, {"id": 2, "bal": 50}]
    single = client.batch(db, ["SELECT 7 AS seven"])
    assert len(single) == 1 and single[0].rows == [{"seven": 7}]


def test_batch_is_atomic(client, db):
    client.query(db, "CREATE TABLE acc(id INTEGER PRIMARY KEY, bal INTEGER CHECK (bal >= 0))")
    client.query(db, "INSERT INTO acc VALUES (1, 10)")
    with pytest.raises(dbforge.ConstraintError):
        client.batch(db, [
            "INSERT INTO acc VALUES (2, 5)",
            "UPDATE acc SET bal = bal - 100 WHERE id = 1",  # CHECK fails
        ])
    r = client.query(db, "SELECT id, bal FROM acc ORDER BY id")
    assert r.rows == [{"id": 1, "bal": 10}]  # the first insert was rolled back


def test_batch_empty_rejected_locally(client, db):
    with pytest.raises(ValueError):
        client.batch(db, [])


# ---- values -------------------------------------------------------------------------------

BIG = 2**63 - 1
BEYOND_SAFE = 2**53 + 1


@pytest.mark.parametrize("lossless", [False, True])
def test_value_round_trips(client, db, lossless):
    client.query(db, "CREATE TABLE v(id INTEGER PRIMARY KEY, x)")
    values = [
        None, 0, -1, BEYOND_SAFE, -BEYOND_SAFE, BIG, -(2**63), 1.5, -0.25, 1e300, 0.1 + 0.2,
        math.inf, -math.inf, "", "héllo wörld ✓ 日本語 🎉", "a\x00b", b"", b"\x00\x01\xff" * 10, True, False,
    ]
    for v in values:
        client.query(db, "INSERT INTO v(x) VALUES (?)", [v])
    r = client.query(db, "SELECT x, typeof(x) AS t FROM v ORDER BY id", lossless=lossless)
    got = [row["x"] for row in r.rows]
    expected = [1 if v is True else 0 if v is False else v for v in values]
    assert got == expected
    for g, e in zip(got, expected):
        assert type(g) is type(e), (g, e)
    types = [row["t"] for row in r.rows]
    assert types[0] == "null" and types[3] == "integer" and types[7] == "real"
    assert types[14] == "text" and types[17] == "blob"


def test_params_back_unchanged(client, db):
    r = client.query(db, "SELECT ? AS a, ? AS b, ? AS c, ? AS d", [b"\xfe", BEYOND_SAFE, math.inf, "ü"])
    assert r.tuples == [(b"\xfe", BEYOND_SAFE, math.inf, "ü")]


def test_lossless_flag_is_decoded(client, db):
    r = client.query(db, "SELECT 9007199254740993 AS big, 5 AS small", lossless=True)
    assert r.rows == [{"big": 9007199254740993, "small": 5}]


def test_unsupported_values_rejected_locally(client, db):
    with pytest.raises(dbforge.UnsupportedValueError):
        client.query(db, "SELECT ?", [2**64])
    with pytest.raises(dbforge.UnsupportedValueError):
        client.query(db, "SELECT ?", [math.nan])
    with pytest.raises(TypeError):
        client.query(db, "SELECT ?", [object()])


# ---- tables and rows ----------------------------------------------------------------------

USER_COLUMNS = [
    {"name": "id", "type": "INTEGER", "primary_key": True, "autoincrement": True},
    {"name": "email", "type": "TEXT", "not_null": True, "unique": True},
    {"name": "plan", "type": "TEXT", "default": "free"},
    {"name": "avatar", "type": "BLOB"},
    {"name": "created", "default": {"expression": "CURRENT_TIMESTAMP"}},
]


def test_create_list_get_table(client, db):
    t = client.create_table(db, "users", USER_COLUMNS)
    assert isinstance(t, dbforge.TableInfo)
    assert t.name == "users" and t.type == "table" and not t.strict and not t.without_rowid
    assert t.column_names == ["id", "email", "plan", "avatar", "created"]
    cols = {c.name: c for c in t.columns}
    assert cols["id"].primary_key == 1 and cols["email"].not_null and cols["email"].primary_key == 0
    assert cols["plan"].default == "'free'"
    assert any(i.unique and i.columns == ["email"] for i in t.indexes)
    # if_not_exists makes the second create harmless
    again = client.create_table(db, "users", USER_COLUMNS, if_not_exists=True)
    assert again.column_names == t.column_names
    client.create_table(db, "s", [{"name": "n", "type": "INTEGER"}], strict=True)
    client.query(db, "CREATE VIEW vw AS SELECT email FROM users")
    tables = {x.name: x for x in client.list_tables(db)}
    assert set(tables) == {"users", "s", "vw"}
    assert tables["s"].strict and tables["vw"].type == "view"
    assert client.get_table(db, "users").column_names == t.column_names


def test_foreign_keys_reported(client, db):
    client.query(db, "CREATE TABLE p(id INTEGER PRIMARY KEY)")
    client.query(db, "CREATE TABLE c(id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE)")
    fk = client.get_table(db, "c").foreign_keys
    assert len(fk) == 1 and fk[0].table == "p" and fk[0].columns == ["p_id"] and fk[0].on_delete == "CASCADE"
    with pytest.raises(dbforge.ConstraintError):
        client.query(db, "INSERT INTO c(p_id) VALUES (99)")


def test_insert_and_read_rows(client, db):
    client.create_table(db, "users", USER_COLUMNS)
    one = client.insert_rows(db, "users", {"email": "a@x", "avatar": b"\x01\x02"})
    assert one.inserted == 1 and one.rowids == [1]
    many = client.insert_rows(db, "users", [{"email": f"u{i}@x", "plan": "pro"} for i in range(5)])
    assert many.inserted == 5 and many.rowids == [2, 3, 4, 5, 6]

    page = client.read_rows(db, "users", limit=2)
    assert page.columns == ["id", "email", "plan", "avatar", "created"]
    assert [r["id"] for r in page.rows] == [1, 2] and page.limit == 2 and page.offset == 0
    assert page.rows[0]["avatar"] == b"\x01\x02" and page.rows[0]["plan"] == "free"
    assert page.next_offset == 2

    nxt = client.read_rows(db, "users", limit=2, offset=page.next_offset)
    assert [r["id"] for r in nxt.rows] == [3, 4]

    keyset = client.read_rows(db, "users", limit=4, after=2)
    assert [r["id"] for r in keyset.rows] == [3, 4, 5, 6]

    desc = client.read_rows(db, "users", order_by="id", order="desc", limit=3)
    assert [r["id"] for r in desc.rows] == [6, 5, 4]

    filtered = client.read_rows(db, "users", where={"plan": "pro", "id": 3})
    assert [r["email"] for r in filtered.rows] == ["u1@x"]
    assert client.read_rows(db, "users", where={"plan": "none"}).rows == []

    with_rowid = client.read_rows(db, "users", limit=1, rowid=True)
    assert with_rowid.columns[0] == "_rowid_" and with_rowid.rows[0]["_rowid_"] == 1

    assert [r["id"] for r in client.iter_rows(db, "users", page_size=2)] == [1, 2, 3, 4, 5, 6]


def test_insert_rows_atomic_and_names_row(client, db):
    client.create_table(db, "users", USER_COLUMNS)
    with pytest.raises(dbforge.ConstraintError) as ei:
        client.insert_rows(db, "users", [{"email": "dup"}, {"email": "dup"}])
    assert ei.value.status == 409 and "row 2" in ei.value.message
    assert client.read_rows(db, "users").rows == []


def test_table_names_with_odd_characters(client, db):
    client.create_table(db, "my table/ü", [{"name": "a b", "type": "TEXT"}])
    client.insert_rows(db, "my table/ü", {"a b": "v"})
    assert client.read_rows(db, "my table/ü", where={"a b": "v"}).rows == [{"a b": "v"}]
    assert client.get_table(db, "my table/ü").column_names == ["a b"]
