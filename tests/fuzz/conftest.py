"""One server for the whole run (forge.py): started, populated, stopped."""

import pytest
import requests

from forge import ADMIN_KEY, Forge, Server


@pytest.fixture(scope="session")
def forge():
    server = Server()
    try:
        url = server.start()
        forge = Forge(url=url, admin_key=ADMIN_KEY, server=server)
        forge.populate()
        yield forge
    finally:
        server.stop()


@pytest.fixture(scope="session")
def session():
    """One HTTP session (kept-alive connections) for every fuzzed request."""
    with requests.Session() as s:
        yield s
