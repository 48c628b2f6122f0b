import pytest

import dbforge
from dbforge.errors import error_from_response
from conftest import unique_name


def test_not_found(client, db):
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.query("no-such-db", "SELECT 1")
    assert ei.value.code == "database_not_found" and ei.value.status == 404 and "no-such-db" in ei.value.message
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.get_table(db, "missing")
    assert ei.value.code == "table_not_found"
    with pytest.raises(dbforge.NotFoundError):
        client.read_rows(db, "missing")
    with pytest.raises(dbforge.NotFoundError):
        client.delete_database("no-such-db")


def test_database_exists_409(client, db):
    with pytest.raises(dbforge.DatabaseExistsError) as ei:
        client.create_database(db)
    e = ei.value
    assert isinstance(e, dbforge.ConflictError) and isinstance(e, dbforge.DBForgeError)
    assert e.code == "database_exists" and e.status == 409
    assert e.request_id  # every answer carries x-request-id


def test_constraint_409(client, db):
    client.query(db, "CREATE TABLE u(e TEXT UNIQUE NOT NULL)")
    client.query(db, "INSERT INTO u VALUES ('a')")
    with pytest.raises(dbforge.ConstraintError) as ei:
        client.query(db, "INSERT INTO u VALUES ('a')")
    assert ei.value.code == "constraint_violation" and ei.value.status == 409
    assert isinstance(ei.value, dbforge.IntegrityError) and isinstance(ei.value, dbforge.ConflictError)
    with pytest.raises(dbforge.ConstraintError):
        client.query(db, "INSERT INTO u VALUES (NULL)")


def test_sql_error_400(client, db):
    with pytest.raises(dbforge.SQLError) as ei:
        client.query(db, "SELEC 1")
    assert ei.value.code == "sql_error" and ei.value.status == 400 and "syntax error" in ei.value.message
    with pytest.raises(dbforge.SQLError):
        client.query(db, "SELECT * FROM nowhere")


def test_invalid_params_400(client, db):
    with pytest.raises(dbforge.InvalidParamsError) as ei:
        client.query(db, "SELECT ?", [1, 2])
    assert ei.value.code == "invalid_params" and isinstance(ei.value, dbforge.SQLError)


def test_unauthorized_401(url):
    with dbforge.Client(url, "wrong-key") as bad:
        with pytest.raises(dbforge.AuthError) as ei:
            bad.list_databases()
        assert ei.value.code == "unauthorized" and ei.value.status == 401
        # 401 comes first: a caller without the key cannot learn whether a database exists
        with pytest.raises(dbforge.AuthError):
            bad.query("no-such-db", "SELECT 1")
    with dbforge.Client(url) as anon:
        with pytest.raises(dbforge.AuthError):
            anon.stats()


@pytest.mark.parametrize("sql", ["BEGIN", "ATTACH DATABASE 'x.db' AS x", "PRAGMA writable_schema = 1",
                                 "CREATE TEMP TABLE t(x)"])
def test_statement_not_allowed_403(client, db, sql):
    with pytest.raises(dbforge.StatementNotAllowedError) as ei:
        client.query(db, sql)
    assert ei.value.code == "statement_not_allowed" and ei.value.status == 403
    assert isinstance(ei.value, dbforge.NotSupportedError)


def test_allowed_pragma(client, db):
    client.query(db, "CREATE TABLE t(a INTEGER, b TEXT)")
    r = client.query(db, "PRAGMA table_info(t)")
    assert [row["name"] for row in r.rows] == ["a", "b"]


def test_bad_request_codes(client, db):
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.create_database("Bad Name")
    assert ei.value.code == "invalid_database_name"
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.list_databases(limit=0)
    assert ei.value.code == "invalid_request"
    client.query(db, "CREATE TABLE t(a)")
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.read_rows(db, "t", where={"nope": 1})
    assert ei.value.code == "column_not_found"
    with pytest.raises(dbforge.BadRequestError):
        client.read_rows(db, "t", after=1, offset=1)


def test_database_full_507(client):
    name = unique_name("full")
    client.create_database(name, max_size_bytes=64 * 1024)
    try:
        client.query(name, "CREATE TABLE t(x BLOB)")
        with pytest.raises(dbforge.DatabaseFullError) as ei:
            for _ in range(50):
                client.query(name, "INSERT INTO t VALUES (?)", [b"\x00" * 16384])
        assert ei.value.code == "database_full" and ei.value.status == 507
    finally:
        client.delete_database(name)


def test_unknown_code_falls_back_to_base():
    e = error_from_response(418, {"error": {"code": "brand_new_code", "message": "teapot"}}, "rid")
    assert type(e) is dbforge.DBForgeError
    assert (e.code, e.message, e.status, e.request_id) == ("brand_new_code", "teapot", 418, "rid")
    e = error_from_response(502, b"<html>bad gateway</html>")
    assert isinstance(e, dbforge.ServerError) and e.code is None and e.status == 502
    e = error_from_response(404, {"error": {"code": "table_not_found", "message": "m"}})
    assert type(e) is dbforge.NotFoundError


def test_transport_error(tmp_path):
    with dbforge.Client("http://127.0.0.1:9", "k", timeout=2) as c:  # discard port: refused
        with pytest.raises(dbforge.TransportError) as ei:
            c.health()
    assert isinstance(ei.value, dbforge.OperationalError)


def test_forbidden_and_key_not_found_have_their_classes():
    e = error_from_response(403, {"error": {"code": "forbidden", "message": "read-only"}})
    assert type(e) is dbforge.ForbiddenError and isinstance(e, dbforge.OperationalError)
    e = error_from_response(404, {"error": {"code": "key_not_found", "message": "no key"}})
    assert type(e) is dbforge.NotFoundError


def test_rate_limited_is_an_unavailable_error_to_retry():
    error = error_from_response(429, {"error": {"code": "rate_limited", "message": "retry in 1 s"}})
    assert isinstance(error, dbforge.RateLimitedError)
    assert isinstance(error, dbforge.UnavailableError)
    assert error.code == "rate_limited" and error.status == 429
