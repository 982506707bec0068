#!/usr/bin/env bash
# `npm test`: every check, as CI runs it. Installs missing Debian packages first (scripts/ensure-system-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh
[ -d node_modules ] || npm ci
echo "== lint"; npx eslint .
echo "== format"; npx prettier --check . >/dev/null && echo "prettier: ok"
echo "== typecheck"; npx tsc -p tsconfig.json --noEmit && echo "tsc: ok"
echo "== tests"; npx vitest run "$@"
