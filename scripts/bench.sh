#!/usr/bin/env bash
# `npm run bench`: build, then measure in headless Chromium (see bench/run.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build >/dev/null
node bench/run.mjs
