#!/usr/bin/env bash
# `npm run bench`: build, then measure in headless Chromium (see bench/run.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
# onnxruntime-node's postinstall fetches optional CUDA binaries from a feed that may be unreachable; its CPU build ships in the package.
[ -d node_modules ] || ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
npm run --silent build >/dev/null
# The predict bench's model is built with the test venv's onnx and mlflow, when there is one.
if [ -x .venv/bin/python ] && [ ! -f bench/results/mlp-onnx/MLmodel ]; then
  .venv/bin/python bench/make_mlp_onnx.py >/dev/null
fi
# The ZipMap rows' forests (skl2onnx with and without ZipMap, saved by MLflow).
if [ -x .venv/bin/python ] && [ ! -f bench/results/onnx-cases/forest-zipmap/MLmodel ]; then
  .venv/bin/python test/fixtures/models/make_onnx_cases.py bench/results/onnx-cases --mlflow >/dev/null 2>&1
fi
# Browser rows, and the same model in onnxruntime-node for reference.
node bench/run.mjs
# Node rows: the SQLite store through dist/node.js against raw better-sqlite3 and MLflow's Python client.
node bench/node-store.mjs
# System metrics: logMetric's caller cost with them off and on, and the sampler's cost per sample.
node bench/system-metrics.mjs
# Datasets: logInput's digest and profile of a 100k-row table against MLflow Python's on the same data.
node bench/datasets.mjs
# Sync figures (bench/*.bench.ts: big runs, many small runs) need the MLflow venv that `npm test` creates.
if [ -x .venv/bin/mlflow ]; then
  npx playwright test -c bench/playwright.config.ts
else
  echo "(sync bench skipped: run npm test once to create .venv with the MLflow server)"
fi
