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
# A certificate for the HTTPS tests, trusted by Node for this run only (Node reads
# NODE_EXTRA_CA_CERTS at start).
tls_dir="$(mktemp -d)"
trap 'rm -rf "$tls_dir"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$tls_dir/key.pem" -out "$tls_dir/cert.pem" 2>/dev/null
export DBFORGE_TEST_TLS_DIR="$tls_dir" NODE_EXTRA_CA_CERTS="$tls_dir/cert.pem"
node --test --test-reporter=spec "$@"
