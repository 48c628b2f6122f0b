#!/usr/bin/env bash
# Runs the libSQL driver tests (@libsql/client, Drizzle ORM) with Node's test runner against
# the real DB-Forge binary. Env: DBFORGE_BIN (server binary; default: the cargo debug build).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
# Install exactly the locked versions, again only when the lock file changed.
stamp=node_modules/.installed-from-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
exec node --test --test-reporter=spec "$@"
