// Sync figures, side by side in one run against one real MLflow server:
// - upload of 100k metric points across 10 runs: mlflow-edge vs MLflow's
//   Python client (log_batch in 1000-metric chunks), each on a fresh
//   experiment, alternating, two rounds;
// - the page's logging rate (page API → disk) while an upload runs, beside
//   the rate with no upload.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { test, type Page } from '@playwright/test';
import { openLibrary } from '../test/browser/fixtures.js';
import { startMlflowServer } from '../test/interop/mlflow-server.js';

const RUNS = 10;
const POINTS = 10_000;
const run = promisify(execFile);
const python = fileURLToPath(new URL('../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./python_log_batch.py', import.meta.url));

async function pythonUpload(url: string, experiment: string): Promise<number> {
  const { stdout } = await run(python, [script, url, experiment, String(RUNS), String(POINTS)], { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } });
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

    const total = RUNS * POINTS;
    const rows: [string, string, string][] = [
      [`MLflow Python client, log_batch (${RUNS} runs × ${POINTS / 1000}k points)`, `${mean(py).toFixed(2)} s = ${Math.round(total / mean(py) / 1000)}k points/s`, `rounds: ${py.map((x) => x.toFixed(2)).join(', ')} s`],
      ['mlflow-edge sync() from the browser, same data', `${mean(ours).toFixed(2)} s = ${Math.round(total / mean(ours) / 1000)}k points/s`, `${(mean(py) / mean(ours)).toFixed(2)}× the Python client's throughput (target ≥ 1.0×)`],
      ['page logging rate, no upload', `${Math.round(idle.rate / 1000)}k points/s`, ''],
      ['page logging rate while uploading 200k points', `${Math.round(busy.rate / 1000)}k points/s`, `${(busy.rate / idle.rate).toFixed(2)}× (upload under way: ${busy.uploading ? 'yes' : 'NO'})`],
      ['  control: while the Python client loads the server', `${Math.round(control.rate / 1000)}k points/s`, `${(control.rate / idle.rate).toFixed(2)}× (server and browser share 2 cores)`],
    ];
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 8));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
    console.log(`\nmlflow-edge sync bench: one mlflow ${'server'} (SQLite, loopback), headless Chromium\n`);
    console.log(line(['what', 'measured', 'ratio']));
    console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
  } finally {
    await server.stop();
  }
});
