// `npm run bench`: the figures of the core budgets, measured in headless
// Chromium with an on-disk profile, printed side by side in one table.
// Each suite runs REPEAT times on a fresh page; the table shows medians.
import { chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ortNodeReference } from './ort-node.mjs';
import { serve } from '../scripts/serve.mjs';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const PORT = 4390;
// Cross-origin isolated: fine-grained timers (100 µs otherwise) for the predict figures.
const server = await serve({ port: PORT, isolate: true });
const profile = mkdtempSync(join(tmpdir(), 'mlflow-edge-bench-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

async function run(suite, lib) {
  const results = [];
  for (let i = 0; i < REPEAT; i++) {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${PORT}/bench/bench.html?suite=${suite}${lib ? `&lib=${lib}` : ''}`);
    const out = await page.waitForFunction(() => window.__bench, null, { timeout: 300_000 }).then((h) => h.jsonValue());
    await page.close();
    if (!out.ok) throw new Error(`${suite}: ${out.error}`);
    results.push(out.result);
  }
  return results;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pick = (results, key) => median(results.map((r) => r[key]));

// `node bench/run.mjs predict` runs only the predict rows.
const only = process.argv[2];
const want = (name) => only === undefined || only === name;
const rows = [];
const k = (x) => `${Math.round(x / 1000).toLocaleString('en')}k points/s`;

if (want('tracking')) {
  const open = pick(await run('open'), 'ms');
  const cost = pick(await run('pageCost'), 'usPerCall');
  const sustainedRuns = await run('sustained');
  for (const r of sustainedRuns)
    if (r.stored !== r.n) throw new Error(`sustained: stored ${r.stored} of ${r.n} points`);
  const sustained = pick(sustainedRuns, 'pointsPerSecond');
  const loopMs = pick(sustainedRuns, 'loopMs');
  const loopAlone = pick(await run('loopAlone'), 'ms');
  const fed = pick(await run('rawFed'), 'pointsPerSecond');
  const perPoint = pick(await run('rawPerPoint'), 'pointsPerSecond');
  const chunked = pick(await run('rawChunked'), 'pointsPerSecond');
  const reads = await run('readHistory');
  const read = pick(reads, 'ms');
  const readColumns = pick(reads, 'columnsMs');
  rows.push(
    ['page cost of logMetric (100k calls)', `${cost.toFixed(2)} µs/call`, '≤ 2 µs', cost <= 2 ? 'yes' : 'NO'],
    ['page API → disk, sustained (1M points)', k(sustained), '≥ 300k points/s', sustained >= 300_000 ? 'yes' : 'NO'],
    ['  of which the page’s logMetric loop', `${loopMs.toFixed(0)} ms`, '(reported)', ''],
    ['  the same loop alone, no library', `${loopAlone.toFixed(0)} ms`, '(reported)', ''],
    [
      '  raw IndexedDB fed by the same loop (2048-point chunks, a transaction each)',
      k(fed),
      `mlflow-edge = ${(sustained / fed).toFixed(2)}×`,
      '',
    ],
    [
      '  raw IndexedDB, one record per point (100k)',
      k(perPoint),
      `mlflow-edge = ${(sustained / perPoint).toFixed(1)}×`,
      '',
    ],
    [
      '  raw IndexedDB, 2048-point chunks written by a worker alone (1M)',
      k(chunked),
      `mlflow-edge = ${(sustained / chunked).toFixed(2)}×`,
      '',
    ],
    ['read a 100k-point metric history', `${read.toFixed(1)} ms`, '≤ 50 ms', read <= 50 ? 'yes' : 'NO'],
    [
      '  the same as columns (getMetricHistoryColumns)',
      `${readColumns.toFixed(1)} ms`,
      `${(read / readColumns).toFixed(1)}× faster`,
      '',
    ],
    ['worker start + database open, cold', `${open.toFixed(1)} ms`, '(reported)', ''],
  );
  // BENCH_BEFORE=<git revision>: the same rows with that build, pages interleaved in one run.
  const before = process.env.BENCH_BEFORE;
  if (before !== undefined) {
    const lib = buildRevision(before);
    const was = {
      cost: pick(await run('pageCost', lib), 'usPerCall'),
      sustained: pick(await run('sustained', lib), 'pointsPerSecond'),
      open: pick(await run('open', lib), 'ms'),
      read: pick(await run('readHistory', lib), 'ms'),
    };
    rows.push(
      [
        `  before (${before}): page cost`,
        `${was.cost.toFixed(2)} µs/call`,
        `now ${(cost / was.cost).toFixed(2)}× of it`,
        '',
      ],
      [`  before (${before}): sustained`, k(was.sustained), `now ${(sustained / was.sustained).toFixed(2)}× of it`, ''],
      [
        `  before (${before}): read 100k`,
        `${was.read.toFixed(1)} ms`,
        `now ${(read / was.read).toFixed(2)}× of it`,
        '',
      ],
      [`  before (${before}): open`, `${was.open.toFixed(1)} ms`, `now ${(open / was.open).toFixed(2)}× of it`, ''],
    );
  }
}

/** Builds the library as it was at `revision` into bench/results/before-<revision>/ (once), for ?lib=. */
function buildRevision(revision) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const out = join(root, 'bench/results', `before-${revision}`);
  if (!existsSync(join(out, 'index.js'))) {
    const tree = mkdtempSync(join(tmpdir(), 'mlflow-edge-before-'));
    execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', tree, revision], { stdio: 'ignore' });
    try {
      symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
      execFileSync('npx', ['vite', 'build', '--outDir', out], { cwd: tree, stdio: 'ignore' });
    } finally {
      execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', tree], { stdio: 'ignore' });
    }
  }
  return `/bench/results/before-${revision}`;
}

// Predict overhead: only when the bench model could be built (needs the test venv).
const MODEL = new URL('./results/mlp-onnx/model.onnx', import.meta.url);
if (want('predict')) {
  if (!existsSync(new URL('./results/mlp-onnx/MLmodel', import.meta.url))) {
    rows.push(['model.predict', 'skipped', 'no bench/results/mlp-onnx: run scripts/bench.sh with .venv', '']);
  } else {
    const predict = await run('predict');
    const node = await ortNodeReference(fileURLToPath(MODEL));
    const m = (key) => pick(predict, key);
    const ratio = (b) => m(`ours${b}`) / m(`raw${b}`);
    const ms = (x) => `${x.toFixed(x < 1 ? 3 : 2)} ms`;
    for (const [batch, target] of [
      [1, 1.25],
      [1000, 1.1],
    ]) {
      rows.push([
        `model.predict, MLP 784-256-10, batch ${batch}`,
        ms(m(`ours${batch}`)),
        `${ratio(batch).toFixed(2)}× raw session.run in a worker (${ms(m(`raw${batch}`))}); ≤ ${target.toFixed(2)}×`,
        ratio(batch) <= target ? 'yes' : 'NO',
      ]);
    }
    for (const batch of [1, 1000]) {
      rows.push(
        node.ok
          ? [
              `  onnxruntime-node ${node.version}, 1 thread, batch ${batch}`,
              ms(node[`node${batch}`]),
              `model.predict = ${(m(`ours${batch}`) / node[`node${batch}`]).toFixed(2)}×, raw web = ${(m(`raw${batch}`) / node[`node${batch}`]).toFixed(2)}× node`,
              '',
            ]
          : [`  onnxruntime-node, batch ${batch}`, 'unavailable', node.why, ''],
      );
    }
  }
}

// ZipMap rewrite: a forest with skl2onnx's default ZipMap vs the same forest with zipmap: False.
if (want('zipmap')) {
  if (!existsSync(new URL('./results/onnx-cases/forest-zipmap/MLmodel', import.meta.url))) {
    rows.push(['ZipMap forest', 'skipped', 'no bench/results/onnx-cases: run scripts/bench.sh with .venv', '']);
  } else {
    const z = await run('zipmap');
    const m = (key) => pick(z, key);
    const ms = (x) => `${x.toFixed(x < 1 ? 3 : 2)} ms`;
    for (const batch of [1, 1000]) {
      const ratio = m(`zipmap${batch}`) / m(`plain${batch}`);
      rows.push([
        `predict, 100-tree forest with ZipMap (rewritten), batch ${batch}`,
        ms(m(`zipmap${batch}`)),
        `${ratio.toFixed(2)}× the forest with zipmap: False (${ms(m(`plain${batch}`))}); ≤ 1.05×`,
        ratio <= 1.05 ? 'yes' : 'NO',
      ]);
    }
    rows.push([
      '  loadModel, forest with ZipMap (rewrite included)',
      ms(m('loadZipmap')),
      `zipmap: False: ${ms(m('loadPlain'))}; rewrite ≈ ${ms(m('loadZipmap') - m('loadPlain'))}`,
      '',
    ]);
  }
}

await context.close();
server.close();
rmSync(profile, { recursive: true, force: true });

const widths = [0, 1, 2, 3].map((i) =>
  Math.max(...rows.map((r) => r[i].length), ['what', 'measured', 'target / ratio', 'met'][i].length),
);
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\nmlflow-edge bench: headless Chromium, on-disk profile, median of ${REPEAT}\n`);
console.log(line(['what', 'measured', 'target / ratio', 'met']));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
