#!/usr/bin/env python3
"""Backup throughput against a plain file copy on the same disk, and the time of a branch, a
restore and exports, on one database of about SIZE MiB (random blobs: zstd cannot shrink them,
so the figures are the disk's and the copy's, not the compressor's).

Each round: a copy (and sync) of a file holding the database (the baseline: bytes / seconds), then one
backup (POST .../backups: snapshot, compress, store, read back, check), one branch, one restore
as new, one SQLite export and one CSV export, each timed from the client. Prints medians over the
rounds and the ratio of each to the copy's throughput in the same round. A backup also runs with
16 writers inserting meanwhile: their p99 latency with and without it shows what it costs them.

Usage: bench/lifecycle.py [--server PATH] [--size-mib 100] [--rounds 3]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

KEY = "lifecycle-bench-admin-key-0123456789"


def request(port, method, path, body=None, timeout=600):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"x-api-key": KEY}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["content-type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
    return payload


def timed(work):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def writers_p99(port, seconds, during=None):
    """16 writers inserting for `seconds`; the p99 of their latencies (ms), with `during` run
    meanwhile."""
    latencies = []
    stop = time.time() + seconds
    lock = threading.Lock()

    def writer(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = json.dumps({"sql": "INSERT INTO w (writer, at) VALUES (?, ?)", "params": [n, 0]})
        while time.time() < stop:
            started = time.perf_counter()
            conn.request("POST", "/api/db/bench/query", body=body,
                         headers={"x-api-key": KEY, "content-type": "application/json"})
            conn.getresponse().read()
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
        conn.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    if during:
        time.sleep(0.3)
        during()
    for t in threads:
        t.join()
    latencies.sort()
    return latencies[int(len(latencies) * 0.99)] if latencies else 0.0


def main():
    parser = argparse.ArgumentParser()
    default = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "dbforge")
    parser.add_argument("--server", default=default)
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dbforge-lifecycle-")
    data = os.path.join(work, "d")
    child = subprocess.Popen(
        [args.server, "serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--admin-key", KEY,
         "--log", "warn", "--request-timeout", "600s", "--max-database-size", "4GiB"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    while port is None:
        line = child.stdout.readline()
        if not line:
            raise RuntimeError("the server did not start")
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        port = int(match.group(1)) if match else None
    try:
        request(port, "POST", "/admin/databases/spawn/bench")
        request(port, "POST", "/api/db/bench/query",
                {"sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)"})
        request(port, "POST", "/api/db/bench/query",
                {"sql": "CREATE TABLE w (id INTEGER PRIMARY KEY, writer INTEGER, at INTEGER)"})
        rows = args.size_mib * 256  # 4 KiB each
        for start in range(0, rows, 4096):
            request(port, "POST", "/api/db/bench/query", {
                "sql": "WITH RECURSIVE c(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
                       "INSERT INTO t SELECT i, randomblob(4000) FROM c",
                "params": [start, min(start + 4095, rows - 1)]})
        # The copy's baseline: a file of the database's size, the database as one file.
        path = os.path.join(work, "plain.db")
        with open(path, "wb") as f:
            f.write(request(port, "GET", "/api/db/bench/export?format=sqlite"))
        size = os.path.getsize(path)
        figures = {k: [] for k in ["copy", "backup", "branch", "restore", "export sqlite", "export csv"]}
        for round_no in range(args.rounds):
            copy = os.path.join(work, f"copy-{round_no}.db")
            seconds, _ = timed(lambda: (shutil.copyfile(path, copy), os.sync()))
            figures["copy"].append(seconds)
            os.remove(copy)
            seconds, backup = timed(lambda: json.loads(request(port, "POST", "/admin/databases/bench/backups")))
            figures["backup"].append(seconds)
            seconds, _ = timed(lambda: request(port, "POST", f"/admin/databases/bench/branch/b{round_no}"))
            figures["branch"].append(seconds)
            seconds, _ = timed(lambda: request(port, "POST", "/admin/databases/bench/restore",
                                               {"backup": backup["id"], "as": f"r{round_no}"}))
            figures["restore"].append(seconds)
            seconds, _ = timed(lambda: request(port, "GET", "/api/db/bench/export?format=sqlite"))
            figures["export sqlite"].append(seconds)
            seconds, _ = timed(lambda: request(port, "GET", "/api/db/bench/export?format=csv&table=t"))
            figures["export csv"].append(seconds)
            for db in (f"b{round_no}", f"r{round_no}"):
                request(port, "POST", f"/admin/databases/prune/{db}")
        mib = size / (1 << 20)
        print(f"database: {mib:.0f} MiB (random blobs), {args.rounds} rounds, medians:")
        copy = statistics.median(figures["copy"])
        for name, values in figures.items():
            median = statistics.median(values)
            print(f"  {name:14} {median * 1000:8.0f} ms  {mib / median:7.0f} MiB/s  "
                  f"{copy / median:5.2f}x the copy's throughput")
        quiet = writers_p99(port, 3)
        busy = writers_p99(port, 3, lambda: request(port, "POST", "/admin/databases/bench/backups"))
        print(f"16 writers' p99: {quiet:.1f} ms alone, {busy:.1f} ms with a backup running")
    finally:
        child.terminate()
        child.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
