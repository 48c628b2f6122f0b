#!/usr/bin/env bash
# Fuzzes the REST API described by docs/openapi.json with schemathesis (pytest) against the real
# DB-Forge binary: no 5xx, every response valid against the schema, every status documented.
# Usage (from anywhere): tests/fuzz/run-tests.sh [pytest args...]
# Env: DBFORGE_BIN (server binary; default: the cargo debug build), DBFORGE_FUZZ_VENV (venv
# location), PYTHON (interpreter for the venv), DBFORGE_OPENAPI (the document to fuzz; default
# docs/openapi.json, which must be the one the binary serves), FUZZ_MAX_EXAMPLES (fuzzed cases
# per operation and credential), FUZZ_SEED, FUZZ_SURVEY: see test_openapi.py.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${DBFORGE_FUZZ_VENV:-$HOME/.cache/dbforge-fuzz-venv}"
# The venv holds exactly the pinned requirements: it is made anew only when they change.
stamp="$venv/.installed-from-requirements"
if ! cmp -s "$here/requirements.txt" "$stamp" 2>/dev/null; then
  if [ -f "$venv/pyvenv.cfg" ]; then rm -rf "$venv"; fi
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$stamp"
fi
# Hypothesis keeps its caches there, not in the tree.
export HYPOTHESIS_STORAGE_DIRECTORY="$venv/hypothesis"
export DBFORGE_BIN="${DBFORGE_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/dbforge-target}/debug/dbforge}"
cd "$here"
exec "$venv/bin/python" -m pytest "$@"
