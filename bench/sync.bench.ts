// Sync figures, side by side in one run against one real MLflow server:
// - upload of 100k metric points across 10 runs: mlflow-edge vs MLflow's
//   Python client (log_batch in 1000-metric chunks), each on a fresh
//   experiment, alternating, two rounds;
// - the page's logging rate (page API → disk) while an upload runs, beside
//   the rate with no upload;
// - loadModel of an ONNX MLP registered on the server: fetched from the
//   server, again from the local cache, and logged in this browser.
// And against one MLflow server on PostgreSQL with four workers (second test):
// - eight browsers (contexts) uploading at once vs one, same data per browser;
// - one browser vs MLflow's Python client, 10 runs × 10k points, as above.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { test, type Browser, type Page } from '@playwright/test';
import { openLibrary } from '../test/browser/fixtures.js';
import { startMlflowServer } from '../test/interop/mlflow-server.js';
import { startPostgres } from '../test/interop/postgres.js';

const RUNS = 10;
const POINTS = 10_000;
const run = promisify(execFile);
const python = fileURLToPath(new URL('../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./python_log_batch.py', import.meta.url));

async function pythonUpload(url: string, experiment: string): Promise<number> {
  const { stdout } = await run(python, [script, url, experiment, String(RUNS), String(POINTS)], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!).seconds;
}

async function edgeUpload(page: Page, url: string, experiment: string): Promise<number> {
  return page.evaluate(
    async ({ url, experiment, RUNS, POINTS }) => {
      const dbName = `bench-${experiment}`;
      const offline = await edge.openTracker({ dbName });
      const now = Date.now();
      for (let r = 0; r < RUNS; r++) {
        const run = await offline.startRun({ experimentName: experiment, runName: `edge-${r}` });
        for (let i = 0; i < POINTS; i++) run.logMetric('loss', 1 / (i + 1), { step: i, timestamp: now + i });
        await run.end();
      }
      await offline.close();
      const t = await edge.openTracker({ dbName, remote: { trackingUri: url, autoSync: false } });
      const t0 = performance.now();
      await t.sync();
      const seconds = (performance.now() - t0) / 1000;
      if ((await t.syncStatus()).pending.metrics !== 0) throw new Error('upload incomplete');
      await t.close();
      return seconds;
    },
    { url, experiment, RUNS, POINTS },
  );
}

/** Points/s from the page API to disk, logging n points in bursts with a flush at the end. */
async function loggingRate(page: Page, dbName: string, remote?: string): Promise<{ rate: number; uploading: boolean }> {
  return page.evaluate(
    async ({ dbName, remote }) => {
      const t = await edge.openTracker(remote ? { dbName, remote: { trackingUri: remote } } : { dbName });
      const run = await t.startRun({ experimentName: 'rate' });
      const n = 300_000;
      let uploading = false;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        run.logMetric('x', i, { step: i });
        if (i % 30_000 === 29_999) {
          await new Promise((r) => setTimeout(r, 0));
          if (remote) uploading ||= (await t.syncStatus()).inFlight > 0;
        }
      }
      await run.flush();
      const rate = n / ((performance.now() - t0) / 1000);
      await t.close();
      return { rate, uploading };
    },
    { dbName, remote },
  );
}

/**
 * Seconds for `browsers` browser contexts, each holding `runs` runs × POINTS points logged
 * offline, to sync() at once to `url` (wall clock from the first sync() call to the last
 * one's end; data is logged and trackers opened before the clock starts).
 */
async function concurrentUpload(
  browser: Browser,
  browsers: number,
  runs: number,
  url: string,
  experiment: string,
): Promise<number> {
  const contexts = await Promise.all(Array.from({ length: browsers }, () => browser.newContext()));
  try {
    const pages = await Promise.all(contexts.map((c) => c.newPage()));
    await Promise.all(pages.map((p) => openLibrary(p)));
    await Promise.all(
      pages.map((page, i) =>
        page.evaluate(
          async ({ url, experiment, i, runs, POINTS }) => {
            const dbName = `bench-${experiment}-${i}`;
            const offline = await edge.openTracker({ dbName });
            const now = Date.now();
            for (let r = 0; r < runs; r++) {
              const run = await offline.startRun({ experimentName: experiment, runName: `edge-${i}-${r}` });
              for (let k = 0; k < POINTS; k++) run.logMetric('loss', 1 / (k + 1), { step: k, timestamp: now + k });
              await run.end();
            }
            await offline.close();
            Object.assign(window, {
              t: await edge.openTracker({ dbName, remote: { trackingUri: url, autoSync: false } }),
            });
          },
          { url, experiment, i, runs, POINTS },
        ),
      ),
    );
    type T = { t: Awaited<ReturnType<typeof edge.openTracker>> };
    const t0 = performance.now();
    await Promise.all(pages.map((page) => page.evaluate(() => (window as unknown as T).t.sync())));
    const seconds = (performance.now() - t0) / 1000;
    for (const page of pages) {
      const pending = await page.evaluate(async () => (await (window as unknown as T).t.syncStatus()).pending.metrics);
      if (pending !== 0) throw new Error('upload incomplete');
    }
    return seconds;
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
}

/** Each uvicorn worker opens its store on its first request: pay that before any clock starts. */
async function warmUp(url: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        const r = await fetch(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default`);
        await r.arrayBuffer();
      }),
    );
  }
}

const MLP = new URL('./results/mlp-onnx/model.onnx', import.meta.url);
const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs', numThreads: 1 };

/**
 * Median ms of loadModel over 3 fresh databases: the MLP registered on the
 * server fetched from it, then loaded again from the cache (the URI is still
 * resolved by the server), and the same model logged in this browser.
 */
async function modelLoads(
  page: Page,
  url: string,
): Promise<{ server: number; cache: number; local: number; bytes: number }> {
  const bytes = [...readFileSync(MLP)];
  return page.evaluate(
    async ({ url, bytes, ORT }) => {
      const writer = await edge.openTracker({
        dbName: 'bench-model-writer',
        remote: { trackingUri: url, autoSync: false },
      });
      const run = await writer.startRun({ experimentName: 'bench-models' });
      const info = await run.logModel('mlp', { onnx: new Uint8Array(bytes) }, { registeredModelName: 'bench-mlp' });
      await run.end();
      await writer.sync();
      const time = async (t: Awaited<ReturnType<typeof edge.openTracker>>, uri: string, from: string) => {
        const t0 = performance.now();
        const model = await t.loadModel(uri, { onnxruntime: ORT });
        const ms = performance.now() - t0;
        if (model.metadata.loadedFrom !== from)
          throw new Error(`${uri} loaded from ${model.metadata.loadedFrom}, not ${from}`);
        await model.close();
        return ms;
      };
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
      const server: number[] = [];
      const cache: number[] = [];
      const local: number[] = [];
      for (let i = 0; i < 3; i++) {
        const reader = await edge.openTracker({
          dbName: `bench-model-reader-${i}-${Date.now()}`,
          remote: { trackingUri: url, autoSync: false },
        });
        // onnxruntime-web's own start (module and wasm) is paid once per worker: not part of these figures.
        await (
          await reader.loadModel(`${location.origin}/test/fixtures/models/iris-onnx`, { onnxruntime: ORT })
        ).close();
        server.push(await time(reader, 'models:/bench-mlp/1', 'server'));
        cache.push(await time(reader, 'models:/bench-mlp/1', 'cache'));
        await reader.close();
        local.push(await time(writer, info.modelUri, 'local'));
      }
      await writer.close();
      return { server: median(server), cache: median(cache), local: median(local), bytes: bytes.length };
    },
    { url, bytes, ORT },
  );
}

test('sync bench', async ({ page }) => {
  const server = await startMlflowServer();
  try {
    await openLibrary(page);
    const py: number[] = [];
    const ours: number[] = [];
    for (const round of [1, 2]) {
      if (round === 1) {
        py.push(await pythonUpload(server.url, `py-${round}`));
        ours.push(await edgeUpload(page, server.url, `edge-${round}`));
      } else {
        ours.push(await edgeUpload(page, server.url, `edge-${round}`));
        py.push(await pythonUpload(server.url, `py-${round}`));
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

    // Logging while an upload runs: 200k points are pending in 'busy' when the tracker opens with a remote.
    const idle = await loggingRate(page, 'rate-idle');
    await page.evaluate(async () => {
      const t = await edge.openTracker({ dbName: 'rate-busy' });
      for (let r = 0; r < 10; r++) {
        const run = await t.startRun({ experimentName: 'backlog' });
        for (let i = 0; i < 20_000; i++) run.logMetric('y', i, { step: i });
        await run.end();
      }
      await t.close();
    });
    const busy = await loggingRate(page, 'rate-busy', server.url);
    // Control: the same logging while the Python client keeps the server busy (our worker uploads nothing).
    const pyBusy = pythonUpload(server.url, 'py-control');
    await new Promise((r) => setTimeout(r, 2000));
    const control = await loggingRate(page, 'rate-control');
    await pyBusy;

    const loads = existsSync(MLP) ? await modelLoads(page, server.url) : undefined;

    const total = RUNS * POINTS;
    const rows: [string, string, string][] = [
      [
        `MLflow Python client, log_batch (${RUNS} runs × ${POINTS / 1000}k points)`,
        `${mean(py).toFixed(2)} s = ${Math.round(total / mean(py) / 1000)}k points/s`,
        `rounds: ${py.map((x) => x.toFixed(2)).join(', ')} s`,
      ],
      [
        'mlflow-edge sync() from the browser, same data',
        `${mean(ours).toFixed(2)} s = ${Math.round(total / mean(ours) / 1000)}k points/s`,
        `${(mean(py) / mean(ours)).toFixed(2)}× the Python client's throughput (target ≥ 1.0×)`,
      ],
      ['page logging rate, no upload', `${Math.round(idle.rate / 1000)}k points/s`, ''],
      [
        'page logging rate while uploading 200k points',
        `${Math.round(busy.rate / 1000)}k points/s`,
        `${(busy.rate / idle.rate).toFixed(2)}× (upload under way: ${busy.uploading ? 'yes' : 'NO'})`,
      ],
      [
        '  control: while the Python client loads the server',
        `${Math.round(control.rate / 1000)}k points/s`,
        `${(control.rate / idle.rate).toFixed(2)}× (server and browser share 2 cores)`,
      ],
    ];
    if (loads !== undefined) {
      const kb = `${Math.round(loads.bytes / 1024)} kB`;
      rows.push(
        [
          `loadModel from the server (MLP 784-256-10 ONNX, ${kb}), models:/name/1`,
          `${loads.server.toFixed(1)} ms`,
          'fetch through the artifact proxy, hash, cache, session',
        ],
        [
          '  again, files from the local cache (URI re-resolved on the server)',
          `${loads.cache.toFixed(1)} ms`,
          `${(loads.server / loads.cache).toFixed(1)}× faster than from the server`,
        ],
        [
          '  the same model logged in this browser (local store)',
          `${loads.local.toFixed(1)} ms`,
          `${(loads.server / loads.local).toFixed(1)}× faster than from the server`,
        ],
      );
    }
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length), 8));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
    console.log(`\nmlflow-edge sync bench: one mlflow ${'server'} (SQLite, loopback), headless Chromium\n`);
    console.log(line(['what', 'measured', 'ratio']));
    console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
  } finally {
    await server.stop();
  }
});

test('sync bench, PostgreSQL with 4 workers', async ({ browser, page }) => {
  // PostgreSQL 15's own settings (fsync on): a server as a team would run it.
  const pg = await startPostgres();
  const server = await startMlflowServer({ backendStoreUri: pg.uri, workers: 4 });
  try {
    await openLibrary(page);
    await warmUp(server.url);
    const py: number[] = [];
    const ours: number[] = [];
    for (const round of [1, 2]) {
      if (round === 1) {
        py.push(await pythonUpload(server.url, `pg-py-${round}`));
        ours.push(await edgeUpload(page, server.url, `pg-edge-${round}`));
      } else {
        ours.push(await edgeUpload(page, server.url, `pg-edge-${round}`));
        py.push(await pythonUpload(server.url, `pg-py-${round}`));
      }
    }
    // Eight browsers at once between two rounds of one browser alone.
    const PER_BROWSER = 3;
    const ones = [await concurrentUpload(browser, 1, PER_BROWSER, server.url, 'pg-one-1')];
    const eight = await concurrentUpload(browser, 8, PER_BROWSER, server.url, 'pg-eight');
    ones.push(await concurrentUpload(browser, 1, PER_BROWSER, server.url, 'pg-one-2'));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const kps = (points: number, seconds: number) => `${(points / seconds / 1000).toFixed(1)}k points/s`;
    const perBrowser = PER_BROWSER * POINTS;
    const one = mean(ones);
    const total = RUNS * POINTS;
    const rows: [string, string, string][] = [
      [
        `one browser sync() (${PER_BROWSER} runs × ${POINTS / 1000}k points)`,
        `${one.toFixed(2)} s = ${kps(perBrowser, one)}`,
        `rounds: ${ones.map((x) => x.toFixed(2)).join(', ')} s`,
      ],
      [
        `eight browsers sync() at once (each the same, ${(8 * perBrowser) / 1000}k points in all)`,
        `${eight.toFixed(2)} s = ${kps(8 * perBrowser, eight)}`,
        `${((8 * perBrowser) / eight / (perBrowser / one)).toFixed(2)}× one browser's throughput`,
      ],
      [
        `MLflow Python client, log_batch (${RUNS} runs × ${POINTS / 1000}k points)`,
        `${mean(py).toFixed(2)} s = ${kps(total, mean(py))}`,
        `rounds: ${py.map((x) => x.toFixed(2)).join(', ')} s`,
      ],
      [
        'mlflow-edge sync() from one browser, same data',
        `${mean(ours).toFixed(2)} s = ${kps(total, mean(ours))}`,
        `${(mean(py) / mean(ours)).toFixed(2)}× the Python client's throughput (target ≥ 2×); rounds: ${ours.map((x) => x.toFixed(2)).join(', ')} s`,
      ],
    ];
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 8));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
    console.log(
      `\nmlflow-edge sync bench: one mlflow ${'server'} on PostgreSQL 15 with --workers 4 (loopback), headless Chromium\n`,
    );
    console.log(line(['what', 'measured', 'ratio']));
    console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
  } finally {
    await server.stop();
    await pg.stop();
  }
});
