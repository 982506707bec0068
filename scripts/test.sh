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
# The static checks do not depend on each other: run them at once (two cores), each into its own
# log, then print the logs in a fixed order and fail if any failed. The wallet's build (which the
# test suites serve) runs beside them: they leave a core idle while eslint finishes alone.
checks="$(mktemp -d)"
trap 'rm -rf "$checks"' EXIT
run_check() { # name, command…
  local name="$1"
  shift
  ("$@" >"$checks/$name.log" 2>&1 && echo ok >"$checks/$name.rc" || echo failed >"$checks/$name.rc") &
}
run_check lint npx eslint .
run_check cycles node --import tsx scripts/check-import-cycles.ts
run_check citations node --import tsx scripts/check-citations.ts
run_check format npx prettier --check .
run_check typecheck npx tsc -p tsconfig.json --noEmit
run_check wallet-build node --import tsx packages/wallet/build.ts
wait
failed=0
for name in lint cycles citations format typecheck wallet-build; do
  echo "== $name: $(cat "$checks/$name.rc")"
  if [ "$(cat "$checks/$name.rc")" != ok ]; then
    cat "$checks/$name.log"
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1
echo "== tests"; npx vitest run "$@"
