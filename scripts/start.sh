#!/usr/bin/env bash
# `npm start`: install, build the library, serve the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # onnxruntime-node's CUDA download skipped by its install script's own switch (its CPU build ships in the package).
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
npm run --silent build >/dev/null
PORT="${PORT:-4310}"
echo "mlflow-edge demo: http://127.0.0.1:${PORT}/demo/"
exec node scripts/serve.mjs --port "$PORT"
