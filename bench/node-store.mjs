// `npm run bench`, Node rows: mlflow-edge in Node (dist/node.js: a worker
// thread over the SQLite store) measured in one run, printed side by side:
// - the caller's cost of run.logMetric (N synchronous calls / N, flush excluded);
// - points/s from the first logMetric call to durable (run.flush() resolved:
//   committed with synchronous=FULL), several series in one run, against raw
//   better-sqlite3 writing the same number of chunk rows of the same byte sizes
//   (Float64Array columns as BLOBs, one transaction, WAL, synchronous=FULL);
// - the same points logged durably to the local store vs MLflow's Python
//   client sending them with log_batch to a local SQLite-backed MLflow server
//   (bench/python_log_batch.py; skipped without .venv).
// Sizes: BENCH_NODE_CALLS, BENCH_NODE_POINTS, BENCH_NODE_SERIES, BENCH_NODE_PY_RUNS,
// BENCH_NODE_PY_POINTS (BENCH_NODE_PYTHON=0 skips the server); BENCH_REPEAT repeats of each row (medians).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { openTracker } from '../dist/node.js';

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const REPEAT = env('BENCH_REPEAT', 3);
const CALLS = env('BENCH_NODE_CALLS', 100_000);
const POINTS = env('BENCH_NODE_POINTS', 1_000_000);
const SERIES = env('BENCH_NODE_SERIES', 4);
const PY_RUNS = env('BENCH_NODE_PY_RUNS', 3);
const PY_POINTS = env('BENCH_NODE_PY_POINTS', 10_000);
const STORE_FILE = 'mlflow-edge.sqlite';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const k = (x) =>
  `${(x / 1000).toLocaleString('en', { maximumFractionDigits: x < 10_000 ? 1 : 0, minimumFractionDigits: x < 10_000 ? 1 : 0 })}k points/s`;
const dirs = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlflow-edge-node-bench-'));
  dirs.push(dir);
  return dir;
};

/** µs per logMetric call: CALLS synchronous calls after a warm-up, the flush after the clock stops. */
async function callerCost() {
  const tracker = await openTracker({ store: { path: freshDir() } });
  const run = await tracker.startRun();
  for (let i = 0; i < 20_000; i++) run.logMetric('warmup', i, { step: i });
  await run.flush();
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) run.logMetric('loss', i, { step: i });
  const ms = performance.now() - t0;
  await run.flush();
  await tracker.close();
  return (ms * 1000) / CALLS;
}

/** POINTS points over SERIES keys in one run, first call to durable; then the chunk rows the store holds. */
async function sustained() {
  const dir = freshDir();
  const tracker = await openTracker({ store: { path: dir } });
  const run = await tracker.startRun();
  const keys = Array.from({ length: SERIES }, (_, i) => `series_${i}`);
  const steps = Math.ceil(POINTS / SERIES);
  const t0 = performance.now();
  let n = 0;
  for (let step = 0; step < steps; step++) {
    for (const key of keys) {
      if (n++ === POINTS) break;
      run.logMetric(key, Math.random(), { step });
    }
    // Yield now and then, as a training loop does, so batches go out while logging goes on.
    if (step % 20_000 === 19_999) await new Promise((r) => setImmediate(r));
  }
  n = Math.min(n, POINTS);
  const loopMs = performance.now() - t0;
  await run.flush();
  const ms = performance.now() - t0;
  let stored = 0;
  for (const key of keys) stored += (await tracker.getMetricHistoryColumns(run.runId, key)).values.length;
  await tracker.close();
  if (stored !== n) throw new Error(`sustained: stored ${stored} of ${n} points`);
  const db = new Database(join(dir, STORE_FILE), { readonly: true });
  const rows = db.prepare('SELECT k, length(v) AS size FROM metricChunks ORDER BY k').all();
  db.close();
  return { pointsPerSecond: n / (ms / 1000), loopMs, rows, bytes: rows.reduce((s, r) => s + r.size, 0) };
}

/** The same loop with no library: the points go into typed columns. What the caller's own loop costs. */
async function loopAlone() {
  const keys = Array.from({ length: SERIES }, (_, i) => `series_${i}`);
  const columns = keys.map(() => ({ steps: [], values: [], timestamps: [] }));
  const steps = Math.ceil(POINTS / SERIES);
  const t0 = performance.now();
  let n = 0;
  for (let step = 0; step < steps; step++) {
    for (let k = 0; k < keys.length; k++) {
      if (n++ === POINTS) break;
      const c = columns[k];
      c.steps.push(step);
      c.values.push(Math.random());
      c.timestamps.push(Date.now());
    }
    if (step % 20_000 === 19_999) await new Promise((r) => setImmediate(r));
  }
  return performance.now() - t0;
}

/**
 * Raw better-sqlite3: the same chunk rows (keys and value sizes as the store
 * left them), each value three Float64Array columns made from fresh points
 * and copied into a BLOB of that size, in one transaction, WAL, synchronous=FULL.
 */
function raw(rows, points) {
  const db = new Database(join(freshDir(), 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE chunks (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID');
  const insert = db.prepare('INSERT OR REPLACE INTO chunks (k, v) VALUES (?, ?)');
  const now = Date.now();
  const t0 = performance.now();
  db.exec('BEGIN IMMEDIATE');
  let step = 0;
  for (const { k, size } of rows) {
    const m = Math.max(0, Math.floor((size - 24) / 24));
    const steps = new Float64Array(m);
    const values = new Float64Array(m);
    const timestamps = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      steps[i] = step++;
      values[i] = Math.random();
      timestamps[i] = now + i;
    }
    const v = Buffer.alloc(size);
    v.set(new Uint8Array(steps.buffer), 24);
    v.set(new Uint8Array(values.buffer), 24 + 8 * m);
    v.set(new Uint8Array(timestamps.buffer), 24 + 16 * m);
    insert.run(k, v);
  }
  db.exec('COMMIT');
  const ms = performance.now() - t0;
  db.close();
  return points / (ms / 1000);
}

/** mlflow-edge: PY_RUNS runs × PY_POINTS points of 'loss' (as the Python script), each run started, logged, ended; to durable. */
async function edgeRuns() {
  const tracker = await openTracker({ store: { path: freshDir() } });
  const now = Date.now();
  const t0 = performance.now();
  for (let r = 0; r < PY_RUNS; r++) {
    const run = await tracker.startRun({ experimentName: 'bench', runName: `edge-${r}` });
    for (let i = 0; i < PY_POINTS; i++) run.logMetric('loss', 1 / (i + 1), { step: i, timestamp: now + i });
    await run.end();
  }
  const seconds = (performance.now() - t0) / 1000;
  await tracker.close();
  return (PY_RUNS * PY_POINTS) / seconds;
}

const python = fileURLToPath(new URL('../.venv/bin/python', import.meta.url));
const mlflowBin = fileURLToPath(new URL('../.venv/bin/mlflow', import.meta.url));

/** MLflow's Python client against a fresh SQLite-backed server: points/s of each round, or why it was skipped. */
async function pythonRates() {
  if (process.env.BENCH_NODE_PYTHON === '0') return { skipped: 'BENCH_NODE_PYTHON=0' };
  if (!existsSync(python) || !existsSync(mlflowBin)) return { skipped: 'no .venv with MLflow (run npm test once)' };
  // test/interop/mlflow-server.ts starts and stops the server; vite's runner loads the TypeScript.
  const { runnerImport } = await import('vite');
  const { module } = await runnerImport(fileURLToPath(new URL('../test/interop/mlflow-server.ts', import.meta.url)), {
    configFile: false,
    logLevel: 'error',
  });
  const server = await module.startMlflowServer();
  try {
    const script = fileURLToPath(new URL('./python_log_batch.py', import.meta.url));
    const rates = [];
    for (let i = 0; i < REPEAT; i++) {
      const { stdout } = await promisify(execFile)(
        python,
        [script, server.url, `node-bench-${i}`, String(PY_RUNS), String(PY_POINTS)],
        { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } },
      );
      rates.push((PY_RUNS * PY_POINTS) / JSON.parse(stdout.trim().split('\n').at(-1)).seconds);
    }
    return { rates, version: (await promisify(execFile)(mlflowBin, ['--version'])).stdout.trim().split(' ').at(-1) };
  } finally {
    await server.stop();
  }
}

const rows = [];
try {
  const costs = [];
  for (let i = 0; i < REPEAT; i++) costs.push(await callerCost());
  const cost = median(costs);
  rows.push([
    `Node: caller cost of run.logMetric (${CALLS / 1000}k calls)`,
    `${cost.toFixed(2)} µs/call`,
    '≤ 2 µs',
    cost <= 2 ? 'yes' : 'NO',
  ]);

  // Alternating, so both see the same machine load.
  const ours = [];
  const loops = [];
  const alone = [];
  const raws = [];
  let last;
  for (let i = 0; i < REPEAT; i++) {
    last = await sustained();
    ours.push(last.pointsPerSecond);
    loops.push(last.loopMs);
    alone.push(await loopAlone());
    raws.push(raw(last.rows, POINTS));
  }
  const rate = median(ours);
  const rawRate = median(raws);
  const ratio = rate / rawRate;
  const mb = (last.bytes / 1e6).toFixed(1);
  rows.push(
    [
      `Node: API → SQLite, first call to durable (${POINTS / 1e6}M points, ${SERIES} series)`,
      k(rate),
      `${ratio.toFixed(2)}× raw; ≥ 0.50×`,
      ratio >= 0.5 ? 'yes' : 'NO',
    ],
    [`  of which the caller's logMetric loop`, `${median(loops).toFixed(0)} ms`, '(reported)', ''],
    [`  the same loop alone, no library`, `${median(alone).toFixed(0)} ms`, '(reported)', ''],
    [
      `  raw better-sqlite3, same ${last.rows.length} chunk rows (${mb} MB), 1 tx`,
      k(rawRate),
      `mlflow-edge = ${ratio.toFixed(2)}×`,
      '',
    ],
  );

  const py = await pythonRates();
  const label = `${PY_RUNS} runs × ${PY_POINTS / 1000}k points`;
  if (py.skipped) {
    rows.push(['Node: logging durably vs MLflow Python client log_batch', 'skipped', py.skipped, '']);
  } else {
    const edges = [];
    for (let i = 0; i < REPEAT; i++) edges.push(await edgeRuns());
    const pyRate = median(py.rates);
    const edgeRate = median(edges);
    const ratio = edgeRate / pyRate;
    rows.push(
      [
        `Node: logging durably to the local store, ${label} (run start and end included)`,
        k(edgeRate),
        `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}× the Python client below`,
        '',
      ],
      [
        `  MLflow ${py.version} Python client: log_batch (1000 a request) over HTTP to a local server on SQLite`,
        k(pyRate),
        `rounds ${py.rates.map((r) => `${(r / 1000).toFixed(1)}k`).join(', ')} points/s`,
        '',
      ],
    );
  }
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

const widths = [0, 1, 2, 3].map((i) =>
  Math.max(...rows.map((r) => r[i].length), ['what', 'measured', 'target / ratio', 'met'][i].length),
);
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\nmlflow-edge bench: Node ${process.versions.node}, SQLite store (better-sqlite3), median of ${REPEAT}\n`);
console.log(line(['what', 'measured', 'target / ratio', 'met']));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
