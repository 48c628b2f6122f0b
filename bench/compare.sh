#!/usr/bin/env bash
# Side-by-side comparison of two `dbforge` builds on the scenarios a change must not slow down:
# point reads (and /health beside them) and durable single-row inserts. Each round runs both
# builds one after the other, in alternating order, with the same dbforge-bench client; the
# report gives each build's median and the median of the per-round ratios (new / base), which
# is steadier than either figure on a noisy machine.
# Usage: bench/compare.sh BASE_DBFORGE NEW_DBFORGE [rounds] [seconds]
#        (after cargo build --release -p dbforge-bench; BENCH=path overrides the client)
set -euo pipefail
cd "$(dirname "$0")/.."
base="$1"
new="$2"
rounds="${3:-5}"
seconds="${4:-5}"
bench="${BENCH:-${CARGO_TARGET_DIR:-target}/release/dbforge-bench}"

# The req/s (second column) of the report line starting with `$2`.
figure() { grep -F -- "$2" <<<"$1" | head -1 | awk -F'|' '{gsub(/[ ,]/, "", $3); print $3}'; }

measure() { # binary -> "point health write64 write1"
  local reads writes
  reads=$("$bench" reads --server "$1" --rounds 1 --seconds "$seconds" 2>/dev/null)
  writes=$("$bench" writes --server "$1" --rounds 1 --seconds "$seconds" 2>/dev/null)
  echo "$(figure "$reads" '| point read') $(figure "$reads" '| `GET /health`') \
$(figure "$writes" '| 64, `full`') $(figure "$writes" '| 1, `full`')"
}

results=$(mktemp)
for round in $(seq 1 "$rounds"); do
  if (( round % 2 )); then order="base new"; else order="new base"; fi
  for which in $order; do
    bin=$base; [[ $which == new ]] && bin=$new
    echo "$round $which $(measure "$bin")" | tee -a "$results" >&2
  done
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
names = ["point reads/s", "GET /health/s", "inserts/s, 64 clients, full", "inserts/s, 1 client, full"]
by = {}
for round_, which, *values in rows:
    by.setdefault(which, {}).setdefault(int(round_), [float(v) for v in values])
print("| measure | base (median) | new (median) | new / base (median of per-round ratios) |")
print("| --- | ---: | ---: | ---: |")
for i, name in enumerate(names):
    base = [r[i] for r in by["base"].values()]
    new = [r[i] for r in by["new"].values()]
    ratios = [by["new"][k][i] / by["base"][k][i] for k in by["base"] if k in by["new"] and by["base"][k][i]]
    print(f"| {name} | {statistics.median(base):,.0f} | {statistics.median(new):,.0f} | {statistics.median(ratios):.1%} |")
PY
