#!/usr/bin/env bash
# `npm start`: installs what is missing (the project's Node 24 included: scripts/runtime.sh), then
# runs the main job on embedded defaults (scripts/start.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/runtime.sh
watashi_runtime
exec node --import tsx scripts/start.ts "$@"
