"""The audit log against the real server: writes and admin actions with who made them,
filters, paging by cursor (``audit``) and across pages (``iter_audit``), admins only. The
server is shared by the session, so every check is narrowed to this test's database or keys."""

from datetime import datetime, timedelta, timezone

import pytest

import dbforge

QUERY = "POST /api/db/{name}/query"


@pytest.fixture
def keys(client, db):
    """A read-write and a read-only key on ``db``, revoked afterwards."""
    writer = client.create_key("audit writer", "read_write", [db])
    reader = client.create_key("audit reader", "read_only", [db])
    yield writer, reader
    for created in (writer, reader):
        client.revoke_key(created.key.id)


def test_writes_and_refusals_are_audited_filtered_and_paged(client, url, db, keys):
    writer, reader = keys
    client.query(db, "CREATE TABLE t(x)")
    with dbforge.Client(url, writer.secret) as w, dbforge.Client(url, reader.secret) as r:
        for i in range(3):
            w.query(db, "INSERT INTO t VALUES (?)", [i])
        assert r.query(db, "SELECT count(*) FROM t").scalar() == 3
        with pytest.raises(dbforge.ForbiddenError):
            r.query(db, "DELETE FROM t")
        with pytest.raises(dbforge.ForbiddenError) as ei:
            w.audit()
        assert ei.value.code == "forbidden" and ei.value.status == 403, "admins only"

    page = client.audit(database=db)
    assert isinstance(page, dbforge.AuditPage) and page.next_cursor is None
    assert [(e.action, e.credential_name, e.status) for e in page.entries] == [
        (QUERY, "audit reader", 403),
        (QUERY, "audit writer", 200),
        (QUERY, "audit writer", 200),
        (QUERY, "audit writer", 200),
        (QUERY, None, 200),
        ("POST /admin/databases/spawn/{name}", None, 201),
    ], "newest first; the read is not audited"
    write = page.entries[1]
    assert isinstance(write, dbforge.AuditEntry)
    assert write == dbforge.AuditEntry(
        id=write.id, at=write.at, credential="key", credential_id=writer.key.id,
        credential_name="audit writer", client="127.0.0.1", action=QUERY, database=db,
        statements=["INSERT"], status=200, error=None,
    )
    assert write.at.endswith("Z")
    created = page.entries[4]
    assert (created.credential, created.credential_id, created.statements) == ("bootstrap_admin", None, ["CREATE"])

    refused = client.audit(database=db, outcome="error").entries
    assert [(e.credential_id, e.status, e.error) for e in refused] == [(reader.key.id, 403, "forbidden")]
    assert len(client.audit(database=db, outcome="ok").entries) == 5
    assert [e.id for e in client.audit(key=writer.key.id).entries] == [e.id for e in page.entries[1:4]]
    assert [e.action for e in client.audit(database=db, action="POST /admin/databases/spawn/{name}").entries] == [
        "POST /admin/databases/spawn/{name}"
    ]
    hour = timedelta(hours=1)
    now = datetime.now(timezone.utc)
    assert len(client.audit(database=db, since=now - hour, until=now + hour).entries) == 6, "aware datetimes"
    assert client.audit(database=db, since="2999-01-01T00:00:00Z").entries == []
    with pytest.raises(ValueError, match="timezone"):
        client.audit(since=datetime(2026, 1, 1))

    first = client.audit(database=db, limit=4)
    assert len(first.entries) == 4 and first.next_cursor == first.entries[-1].id
    rest = client.audit(database=db, limit=4, before=first.next_cursor)
    assert rest.next_cursor is None
    assert first.entries + rest.entries == page.entries, "the pages add up to the whole log"
    assert list(client.iter_audit(database=db, page_size=1)) == page.entries

    with pytest.raises(dbforge.BadRequestError) as ei:
        client.audit(outcome="maybe")
    assert ei.value.code == "invalid_request" and "outcome" in ei.value.message
    with pytest.raises(dbforge.BadRequestError):
        client.audit(limit=0)
    with pytest.raises(dbforge.BadRequestError):
        client.audit(since="yesterday")


async def test_async_audit(aclient, client, db, keys):
    writer, _ = keys
    async with dbforge.AsyncClient(aclient.url, writer.secret) as w:
        await w.query(db, "CREATE TABLE t(x)")
        await w.query(db, "INSERT INTO t VALUES (1)")
        with pytest.raises(dbforge.ForbiddenError):
            await w.audit()
    page = await aclient.audit(key=writer.key.id)
    assert [(e.statements, e.database) for e in page.entries] == [(["INSERT"], db), (["CREATE"], db)]
    assert page == client.audit(key=writer.key.id)
    first = await aclient.audit(key=writer.key.id, limit=1)
    assert first.entries == page.entries[:1] and first.next_cursor == page.entries[0].id
    assert [e async for e in aclient.iter_audit(key=writer.key.id, page_size=1)] == page.entries


def test_key_actions_name_their_key_and_filter_by_kind_and_target(client):
    created = client.create_key("audit target", "read_only", ["nowhere"])
    client.rotate_key(created.key.id)
    client.revoke_key(created.key.id)
    about = client.audit(target=created.key.id)
    assert [e.action for e in about.entries] == [
        "DELETE /admin/keys/{id}", "POST /admin/keys/{id}/rotate", "POST /admin/keys",
    ]
    assert all(e.target == created.key.id for e in about.entries)
    bootstrap = client.audit(credential="bootstrap_admin", target=created.key.id)
    assert len(bootstrap.entries) == 3 and all(e.credential == "bootstrap_admin" for e in bootstrap.entries)
    assert client.audit(credential="token", target=created.key.id).entries == []
