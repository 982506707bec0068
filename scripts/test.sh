#!/usr/bin/env bash
# `npm test`: every check, as CI runs it. Installs missing Debian packages first (scripts/ensure-system-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh
source scripts/runtime.sh
watashi_runtime
echo "== runtime: Node $(node --version)"
# The optional PC/SC package is native: if node_modules was installed before libpcsclite-dev was
# (ensure-system-deps installs it), npm left it out; install again now that it can build.
node -e "require('smartcard')" 2>/dev/null || { echo "== reinstalling to build the optional PC/SC package"; npm ci --no-audit --no-fund; }
echo "== lint"; npx eslint .
echo "== import cycles"; node --import tsx scripts/check-import-cycles.ts
echo "== citations"; node --import tsx scripts/check-citations.ts
echo "== format"; npx prettier --check . >/dev/null && echo "prettier: ok"
echo "== typecheck"; npx tsc -p tsconfig.json --noEmit && echo "tsc: ok"
echo "== tests"; npx vitest run "$@"
