#!/usr/bin/env python3
"""Instructions per point read, by credential: the admin key, a scoped read-only key, a
read-only token. Each run starts the server under valgrind's callgrind (instruction counts do
not depend on the machine's load, unlike wall-clock rates), does the same setup, sends N point
reads with one credential on one keep-alive connection, and stops; a run with no reads gives
the setup's own count. Instructions per read = (run - setup run) / N. The totals include the
server's background threads, whose work follows wall time (a few percent of noise between
runs); the second set of runs counts only the credential check (`Auth::authenticate`) and the
rate limits (`Throttle`), which is exact.

Usage: bench/auth-instructions.py [--server PATH] [--reads N]
"""

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

KEY = "auth-instructions-admin-key-0123456789"


def request(conn, method, path, key, body=None):
    headers = {"x-api-key": key}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["content-type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
    return json.loads(payload) if payload else None


def run(server, credential, reads, only_auth, admin_only=False):
    data = tempfile.mkdtemp(prefix="dbforge-auth-")
    out = os.path.join(data, "callgrind.out")
    child = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        + (["--collect-atstart=no", "--toggle-collect=*Auth*authenticate*",
            "--toggle-collect=*Throttle*"] if only_auth else [])
        + [server, "serve",
         "--listen", "127.0.0.1:0", "--data-dir", os.path.join(data, "d"), "--admin-key", KEY,
         "--log", "warn"]
        # A build from before the rate limits knows no such flags.
        + ([] if admin_only else ["--rate-limit", "1000000/s", "--rate-limit-burst", "1000000"]),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    deadline = time.time() + 300
    while port is None and time.time() < deadline:
        line = child.stdout.readline()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if match:
            port = int(match.group(1))
    if port is None:
        child.kill()
        raise RuntimeError("the server did not start")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    request(conn, "POST", "/admin/databases/spawn/auth", KEY)
    request(conn, "POST", "/api/db/auth/query", KEY,
            {"sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, value INTEGER)"})
    request(conn, "POST", "/api/db/auth/query", KEY,
            {"sql": "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000) "
                    "INSERT INTO t SELECT i, 'name-' || i, i * 7 FROM c"})
    scoped = token = None
    if not admin_only:
        scoped = request(conn, "POST", "/admin/keys", KEY,
                         {"name": "bench", "role": "read_only", "databases": ["auth"]})["secret"]
        token = request(conn, "POST", "/admin/databases/auth/tokens", KEY,
                        {"access": "read_only", "expires_in": "1h"})["token"]
    key = {"admin": KEY, "scoped": scoped, "token": token, "setup": KEY}[credential]
    # One read first (every run): the statement's first preparation is not what is measured.
    request(conn, "POST", "/api/db/auth/query", key, {"sql": "SELECT * FROM t WHERE id = ?", "params": [1]})
    for i in range(reads if credential != "setup" else 0):
        request(conn, "POST", "/api/db/auth/query", key,
                {"sql": "SELECT * FROM t WHERE id = ?", "params": [i % 1000 + 1]})
    conn.close()
    child.terminate()
    child.wait(timeout=120)
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError("no totals in the callgrind output")


def main():
    parser = argparse.ArgumentParser()
    default = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "dbforge")
    parser.add_argument("--server", default=default)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--admin-only", action="store_true",
                        help="only the admin key's point reads (a build without keys and tokens)")
    args = parser.parse_args()
    if args.admin_only:
        setup = run(args.server, "setup", args.reads, False, True)
        admin = run(args.server, "admin", args.reads, False, True)
        print(f"{args.reads} point reads; instructions per read with the admin key: "
              f"{(admin - setup) / args.reads:,.0f}")
        return
    credentials = ["admin", "scoped", "token"]
    runs = ["setup"] + credentials
    totals = {c: run(args.server, c, args.reads, False) for c in runs}
    auth = {c: run(args.server, c, args.reads, True) for c in runs}
    per_read = {c: (totals[c] - totals["setup"]) / args.reads for c in credentials}
    auth_per_read = {c: (auth[c] - auth["setup"]) / args.reads for c in credentials}
    print(f"{args.reads} point reads per run; instructions per read (callgrind, all threads), and")
    print("those spent checking the credential and its rate (Auth::authenticate, Throttle):")
    base = per_read["admin"]
    for c in credentials:
        print(f"  {c:7} {per_read[c]:>10,.0f} ({per_read[c] / base:.1%} of admin)   "
              f"auth {auth_per_read[c]:>7,.0f} ({auth_per_read[c] / base:.2%} of an admin read)")


if __name__ == "__main__":
    sys.exit(main())
