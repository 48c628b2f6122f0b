import asyncio
import math

import pytest

import dbforge
from conftest import ADMIN_KEY, unique_name


async def test_async_full_flow(aclient):
    name = unique_name("async")
    info = await aclient.create_database(name, max_size_bytes=500_000)
    assert info.name == name and info.max_size_bytes == 500_000
    try:
        assert (await aclient.get_database(name)).name == name
        t = await aclient.create_table(name, "items", [
            {"name": "id", "type": "INTEGER", "primary_key": True},
            {"name": "label", "type": "TEXT", "not_null": True},
            {"name": "data", "type": "BLOB"},
        ])
        assert t.column_names == ["id", "label", "data"]
        assert [x.name for x in await aclient.list_tables(name)] == ["items"]
        assert (await aclient.get_table(name, "items")).name == "items"
        ins = await aclient.insert_rows(name, "items", [{"label": "a", "data": b"\x00"}, {"label": "ü"}])
        assert ins.inserted == 2 and ins.rowids == [1, 2]
        page = await aclient.read_rows(name, "items", limit=1, where={"label": "ü"})
        assert page.rows == [{"id": 2, "label": "ü", "data": None}]
        assert [r["id"] async for r in aclient.iter_rows(name, "items", page_size=1)] == [1, 2]
        r = await aclient.query(name, "SELECT ? AS big, ? AS inf, data FROM items WHERE id = 1",
                                [2**62, -math.inf])
        assert r.rows == [{"big": 2**62, "inf": -math.inf, "data": b"\x00"}]
        r = await aclient.query(name, "SELECT 9007199254740993 AS n", lossless=True)
        assert r.scalar() == 9007199254740993
        res = await aclient.batch(name, [("INSERT INTO items(label) VALUES (?)", ["c"]), "SELECT count(*) AS n FROM items"])
        assert res[0].last_insert_rowid == 3 and res[1].rows == [{"n": 3}]
        with pytest.raises(dbforge.ConstraintError):
            await aclient.query(name, "INSERT INTO items(label) VALUES (NULL)")
        with pytest.raises(dbforge.SQLError):
            await aclient.query(name, "SELEC")
        with pytest.raises(dbforge.DatabaseExistsError):
            await aclient.create_database(name)
    finally:
        assert await aclient.delete_database(name) == name
    with pytest.raises(dbforge.NotFoundError):
        await aclient.get_database(name)


async def test_async_pagination(aclient):
    prefix = unique_name("apg") + "-"
    names = [f"{prefix}{i}" for i in range(3)]
    for n in names:
        await aclient.create_database(n)
    try:
        page = await aclient.list_databases(limit=2, prefix=prefix)
        assert [d.name for d in page.databases] == names[:2] and page.total == 3 and page.next_cursor
        assert [d.name async for d in aclient.iter_databases(prefix=prefix, page_size=1)] == names
    finally:
        for n in names:
            await aclient.delete_database(n)


async def test_async_ops_and_stats(url, aclient):
    async with dbforge.AsyncClient(url) as anon:
        assert (await anon.health()).status == "ok"
        assert await anon.ready() is True
        with pytest.raises(dbforge.AuthError):
            await anon.metrics()
        with pytest.raises(dbforge.AuthError):
            await anon.list_databases()
    assert "dbforge_commits_total" in await aclient.metrics()
    s = await aclient.stats()
    assert s.requests_total >= 1 and s.version


async def test_async_concurrent_writes(aclient):
    name = unique_name("conc")
    await aclient.create_database(name)
    try:
        await aclient.query(name, "CREATE TABLE c(n INTEGER)")
        await asyncio.gather(*(aclient.query(name, "INSERT INTO c VALUES (?)", [i]) for i in range(20)))
        r = await aclient.query(name, "SELECT count(*), sum(n) FROM c")
        assert r.tuples == [(20, sum(range(20)))]
    finally:
        await aclient.delete_database(name)
