import contextlib
import os
import re
import subprocess
import tempfile
import threading
import uuid

import pytest

import dbforge

DEFAULT_BIN = "/root/.cache/dbforge-target/debug/dbforge"
ADMIN_KEY = "test-admin-key-0123456789"


def dbforge_binary():
    binary = os.environ.get("DBFORGE_BIN", DEFAULT_BIN)
    if not os.path.exists(binary):
        pytest.exit(f"DB-Forge binary not found at {binary} (set DBFORGE_BIN)", returncode=2)
    return binary


@contextlib.contextmanager
def run_server(data_dir, *extra_args, env=None):
    """Run the real gateway on a free port with ``data_dir``; yields its URL, stops it after.
    ``env``: its whole environment (default: this process's). Raises RuntimeError (with the
    server's log) if it does not start."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [dbforge_binary(), "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir,
         "--admin-key", ADMIN_KEY, "--log", "warn", *extra_args],
        stdout=subprocess.PIPE, stderr=log, text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        if not m:
            proc.kill()
            proc.wait()
            log.seek(0)
            raise RuntimeError(f"server did not start: {line!r}\n{log.read().decode(errors='replace')[-2000:]}")
        # drain the rest of stdout so the server never blocks on a full pipe
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield m.group(1)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


@pytest.fixture(scope="session")
def server():
    """Start the real gateway on a free port with a temporary data directory."""
    with tempfile.TemporaryDirectory(prefix="dbforge-pytest-") as data_dir:
        with contextlib.ExitStack() as stack:
            try:
                url = stack.enter_context(run_server(data_dir))
            except RuntimeError as e:
                pytest.exit(str(e), returncode=2)
            yield url


@pytest.fixture(scope="session")
def url(server):
    return server


@pytest.fixture
def client(url):
    with dbforge.Client(url, ADMIN_KEY, timeout=30) as c:
        yield c


@pytest.fixture
async def aclient(url):
    async with dbforge.AsyncClient(url, ADMIN_KEY, timeout=30) as c:
        yield c


def unique_name(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def db(client):
    """A fresh, empty database, deleted afterwards."""
    name = unique_name()
    client.create_database(name)
    yield name
    try:
        client.delete_database(name)
    except dbforge.NotFoundError:
        pass
