#!/usr/bin/env bash
# Run the Python client's tests against the real DB-Forge binary.
# Usage (from anywhere): clients/python/run-tests.sh [pytest args...]
# Env: DBFORGE_PY_VENV (venv location), DBFORGE_BIN (server binary), PYTHON (interpreter).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${DBFORGE_PY_VENV:-$HOME/.cache/dbforge-pyvenv}"
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q -e "$here[test]"
export DBFORGE_BIN="${DBFORGE_BIN:-${CARGO_TARGET_DIR:-$here/../../target}/debug/dbforge}"
cd "$here"
exec "$venv/bin/python" -m pytest -q tests "$@"
