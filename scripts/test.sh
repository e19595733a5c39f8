#!/usr/bin/env bash
# `npm test`: everything a fresh machine needs, then every test tier.
#   1. npm packages (npm ci), Debian's chromium when /usr/bin/chromium is missing,
#      Debian's postgresql when no /usr/lib/postgresql/*/bin/initdb (the load test
#      runs a temporary cluster of its own; nothing uses a system one), and Python
#      virtual environments with the pinned MLflow servers: .venv (MLflow 3,
#      psycopg2, scikit-learn, skl2onnx) and .venv-mlflow2 (MLflow 2)
#   2. format and lint check (Biome), typecheck, and build the library (the browser tests load dist/)
#   3. tier 1: Node + fake-indexeddb (Vitest)
#   4. tiers 2 and 3: real Chromium, and real MLflow servers (Playwright)
# Ends with one line "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# onnxruntime-node (the bench's reference) would download CUDA binaries on install; its CPU
# build ships in the package. ONNXRUNTIME_NODE_INSTALL=skip is its install script's own switch.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi

SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
APT_UPDATED=""
apt_install() { # Debian's package $1, with one apt-get update per run
  [ -n "$APT_UPDATED" ] || { $SUDO apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$1" >/dev/null
}

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "Installing Debian's chromium (browser tests need it)…"
  apt_install chromium
fi

if [ -z "${PG_BIN:-}" ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  echo "Installing Debian's postgresql (the load test starts a temporary cluster)…"
  apt_install postgresql
fi

REQS=test/interop/requirements.txt
if [ ! -x .venv/bin/mlflow ] || [ "$REQS" -nt .venv/.installed ]; then
  echo "Creating .venv with $(tr '\n' ' ' < "$REQS")…"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r "$REQS"
  touch .venv/.installed
fi

# An MLflow 2 server (no logged models, no CORS middleware) for the tests of what changes there.
REQS2=test/interop/requirements-mlflow2.txt
if [ ! -x .venv-mlflow2/bin/mlflow ] || [ "$REQS2" -nt .venv-mlflow2/.installed ]; then
  echo "Creating .venv-mlflow2 with $(tr '\n' ' ' < "$REQS2")…"
  python3 -m venv .venv-mlflow2
  .venv-mlflow2/bin/pip install -q --disable-pip-version-check -r "$REQS2"
  touch .venv-mlflow2/.installed
fi

mkdir -p reports
# Formatting and lint (Biome): a format difference or a lint error fails the run; `npm run format` fixes what it can.
npm run --silent lint
npm run --silent typecheck
npm run --silent build >/dev/null

status=0
npx vitest run --reporter=default --reporter=json --outputFile=reports/vitest.json || status=1
npx playwright test || status=1
# The interop harness's own checks (MLflow server, basic auth, CORS, fault proxy).
npx vitest run --config test/interop/vitest.config.ts --reporter=default --reporter=json --outputFile=reports/harness.json || status=1

node scripts/test-summary.mjs reports/vitest.json reports/playwright.json reports/harness.json
exit $status
