"""Scoped API keys and per-database tokens against the real server: create, list, rotate and
revoke keys; mint tokens, use them as ``api_key`` (read-only ones are refused writes) and
revoke them; the public JWKS."""

import pytest

import dbforge
from conftest import unique_name


def test_keys_are_created_listed_rotated_and_revoked(client, url, db):
    created = client.create_key("py ci", "read_write", [db, "ci-*"], can_create=True,
                                expires_at="2999-01-31T00:00:00Z")
    assert isinstance(created, dbforge.CreatedKey) and isinstance(created.key, dbforge.KeyInfo)
    key = created.key
    assert (key.name, key.role, key.databases, key.can_create) == ("py ci", "read_write", [db, "ci-*"], True)
    assert key.expires_at.startswith("2999-01-31T00:00:00") and key.last_used_at is None
    assert created.secret.startswith(key.prefix)
    assert created.secret not in repr(created), "the secret stays out of logs"

    with dbforge.Client(url, created.secret) as scoped:
        assert scoped.get_database(db).name == db
        with pytest.raises(dbforge.ForbiddenError) as ei:
            scoped.list_keys()
        assert ei.value.code == "forbidden" and ei.value.status == 403

    listed = [k for k in client.list_keys() if k.id == key.id]
    assert len(listed) == 1 and listed[0].last_used_at is not None, "used just above"
    assert listed[0].databases == [db, "ci-*"]

    rotated = client.rotate_key(key.id)
    assert rotated.key.id == key.id and rotated.secret != created.secret
    with dbforge.Client(url, created.secret) as old, dbforge.Client(url, rotated.secret) as new:
        with pytest.raises(dbforge.AuthError):
            old.get_database(db)
        assert new.get_database(db).name == db
        assert client.revoke_key(key.id) is None
        with pytest.raises(dbforge.AuthError):
            new.get_database(db)
    assert key.id not in [k.id for k in client.list_keys()]
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.revoke_key(key.id)
    assert ei.value.code == "key_not_found" and ei.value.status == 404
    with pytest.raises(dbforge.NotFoundError):
        client.rotate_key(key.id)


def test_a_single_database_pattern_is_not_split_into_characters(client):
    created = client.create_key("one pattern", "read_only", "ci-*")
    try:
        assert created.key.databases == ["ci-*"]
    finally:
        client.revoke_key(created.key.id)


def test_a_read_only_token_reads_and_is_forbidden_to_write(client, url, db):
    client.query(db, "CREATE TABLE items(name TEXT)")
    client.query(db, "INSERT INTO items VALUES ('tea')")
    minted = client.mint_token(db, "read_only", expires_in="15m")
    assert isinstance(minted, dbforge.MintedToken)
    assert (minted.database, minted.access) == (db, "read_only") and minted.id.startswith("tok_")
    assert minted.token not in repr(minted), "the token stays out of logs"

    with dbforge.Client(url, api_key=minted.token) as reader:
        assert reader.query(db, "SELECT name FROM items").rows == [{"name": "tea"}]
        with pytest.raises(dbforge.ForbiddenError) as ei:
            reader.query(db, "INSERT INTO items VALUES ('milk')")
        assert ei.value.code == "forbidden" and ei.value.status == 403
        assert isinstance(ei.value, dbforge.OperationalError)
        with pytest.raises(dbforge.ForbiddenError):
            reader.insert_rows(db, "items", {"name": "milk"})
        with pytest.raises(dbforge.ForbiddenError, match="token cannot mint"):
            reader.mint_token(db)

        conn = dbforge.connect(url, db, api_key=minted.token)
        try:
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM items")
            assert cur.fetchone() == (1,)
            with pytest.raises(dbforge.OperationalError):
                cur.execute("DELETE FROM items")
        finally:
            conn.close()

        revoked = client.revoke_database_tokens(db)
        assert isinstance(revoked, dbforge.TokensRevoked) and revoked.database == db
        with pytest.raises(dbforge.AuthError) as ei:
            reader.query(db, "SELECT 1")
        assert "revoked" in ei.value.message
    assert client.query(db, "SELECT count(*) FROM items").scalar() == 1, "nothing was written"


def test_a_read_write_token_writes_until_every_token_is_revoked(client, url, db):
    client.query(db, "CREATE TABLE t(x)")
    token = client.mint_token(db, "read_write").token
    with dbforge.Client(url, token) as writer:
        assert writer.query(db, "INSERT INTO t VALUES (1)").rows_affected == 1
        everything = client.revoke_all_tokens()
        assert everything.database is None and everything.epoch >= 1
        with pytest.raises(dbforge.AuthError):
            writer.query(db, "SELECT 1")
    with dbforge.Client(url, client.mint_token(db, "read_write").token) as fresh:
        assert fresh.query(db, "SELECT count(*) FROM t").scalar() == 1, "tokens minted afterwards work"


def test_minting_errors_carry_the_servers_code(client, db):
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.mint_token(db, "read_only", expires_in="soon")
    assert ei.value.code == "invalid_request" and "expires_in" in ei.value.message
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.mint_token(db, "owner")
    assert ei.value.code == "invalid_json"
    with pytest.raises(dbforge.NotFoundError) as ei:
        client.mint_token(unique_name("missing"))
    assert ei.value.code == "database_not_found"
    with pytest.raises(dbforge.BadRequestError) as ei:
        client.create_key("nothing", "read_only", [])
    assert ei.value.code == "invalid_request"


def test_the_signing_key_is_public(url):
    with dbforge.Client(url) as anonymous:
        jwks = anonymous.jwks()
    assert isinstance(jwks, dbforge.Jwks) and len(jwks.keys) == 1
    key = jwks.keys[0]
    assert (key.kty, key.crv, key.alg, key.use) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert jwks.to_dict() == {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": key.x, "kid": key.kid,
                                        "alg": "EdDSA", "use": "sig"}]}


async def test_async_keys_and_tokens(aclient, url):
    name = unique_name("akeys")
    await aclient.create_database(name)
    try:
        await aclient.query(name, "CREATE TABLE t(x)")
        created = await aclient.create_key("async reader", "read_only", [name])
        assert created.key.id in [k.id for k in await aclient.list_keys()]
        async with dbforge.AsyncClient(url, created.secret) as reader:
            minted = await reader.mint_token(name, "read_only")
            with pytest.raises(dbforge.ForbiddenError):
                await reader.mint_token(name, "read_write")
        async with dbforge.AsyncClient(url, minted.token) as token_client:
            assert (await token_client.query(name, "SELECT count(*) FROM t")).scalar() == 0
            with pytest.raises(dbforge.ForbiddenError):
                await token_client.query(name, "INSERT INTO t VALUES (1)")
            assert (await aclient.revoke_database_tokens(name)).database == name
            with pytest.raises(dbforge.AuthError):
                await token_client.query(name, "SELECT 1")
        rotated = await aclient.rotate_key(created.key.id)
        assert rotated.secret != created.secret
        assert await aclient.revoke_key(created.key.id) is None
        with pytest.raises(dbforge.NotFoundError):
            await aclient.revoke_key(created.key.id)
        assert (await aclient.revoke_all_tokens()).database is None
        assert (await aclient.jwks()).keys[0].crv == "Ed25519"
    finally:
        await aclient.delete_database(name)
