// logInput's dataset of 100k rows: the time to make it (digest, schema and profile, as
// fromColumns computes them) against MLflow Python's from_pandas(df).to_dict() on the same
// values (bench/datasets_python.py), medians, and the ratio. Needs dist/ (npx vite build)
// and the project's .venv.   node bench/datasets.mjs [rows]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromColumns, fromRecords } from '../dist/data.js';

const ROWS = Number(process.argv[2] ?? 100_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 7);
const URL_SOURCE = 'https://example.com/data/bench.csv';

/** The same formulas as bench/datasets_python.py. */
function columns(n) {
  const id = new Array(n);
  const x = new Array(n);
  const y = new Array(n);
  const label = new Array(n);
  const flag = new Array(n);
  for (let i = 0; i < n; i++) {
    id[i] = i;
    x[i] = (i % 1000) / 8;
    y[i] = (i % 7) - 0.5;
    label[i] = `class-${i % 13}`;
    flag[i] = i % 3 === 0;
  }
  return { id, x, y, label, flag };
}

function median(fn) {
  const times = [];
  let result;
  for (let i = 0; i < REPEAT; i++) {
    const start = performance.now();
    result = fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], result };
}

const cols = columns(ROWS);
const records = Array.from({ length: ROWS }, (_, i) =>
  Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v[i]])),
);
median(() => fromColumns(cols, { name: 'bench', source: URL_SOURCE })); // warm-up
const edge = median(() => fromColumns(cols, { name: 'bench', source: URL_SOURCE }));
const edgeRecords = median(() => fromRecords(records, { name: 'bench', source: URL_SOURCE }));

const python = fileURLToPath(new URL('../.venv/bin/python', import.meta.url));
let py;
if (existsSync(python)) {
  const out = execFileSync(
    python,
    [fileURLToPath(new URL('./datasets_python.py', import.meta.url)), String(ROWS), String(REPEAT)],
    { encoding: 'utf8' },
  );
  py = JSON.parse(out.trim().split('\n').at(-1));
}

const f = (ms) => `${ms.toFixed(1)} ms`;
console.log(`logInput dataset of ${ROWS} rows × 5 columns (digest + schema + profile), median of ${REPEAT}`);
console.log(`  mlflow-edge fromColumns          ${f(edge.ms)}   digest ${edge.result.digest}`);
console.log(`  mlflow-edge fromRecords          ${f(edgeRecords.ms)}   digest ${edgeRecords.result.digest}`);
if (py) {
  console.log(`  MLflow Python from_pandas        ${f(py.ms)}   digest ${py.digest}`);
  console.log(
    `  ratio (Python / fromColumns)     ${(py.ms / edge.ms).toFixed(2)}× ${py.ms >= edge.ms ? '(faster here)' : '(slower here)'}`,
  );
  if (py.digest !== edge.result.digest) console.log('  DIGESTS DIFFER: the comparison is void');
} else {
  console.log('  (no .venv/bin/python: MLflow Python not measured)');
}
