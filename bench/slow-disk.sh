#!/usr/bin/env bash
# Group commit on a slow disk: runs the `writes` benchmark with every fsync made slower by
# FSYNC_DELAY_US (an LD_PRELOAD shim), for each delay given (default: 0 2000 6000 µs).
# Usage: bench/slow-disk.sh [delay_us ...]   (after cargo build --release -p dbforge-cli -p dbforge-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
shim="$(mktemp -d)/slow-fsync.so"
cc -shared -fPIC -O2 -o "$shim" bench/slow-fsync.c -ldl
for delay in "${@:-0 2000 6000}"; do
  for d in $delay; do
    echo "## fsync delayed by ${d} µs"
    FSYNC_DELAY_US="$d" LD_PRELOAD="$shim" "$target/release/dbforge-bench" writes --seconds 3 --rounds 3 2>/dev/null \
      | grep -E '^\| (64|1),|full. / .normal'
  done
done
