// Many small runs (10 params, 5 tags, 5 metrics × 20 steps each), figures
// side by side in one run (`npm run bench`, after sync.bench.ts):
//
// 'status': what a page pays on every load, setRemote() to the URI already
//   set and then syncStatus(), at 100 and 1,000 runs (10,000 with
//   BENCH_SMALL_SIZES=100,1000,10000: about 15 minutes more here), (a) all
//   synced and (b) nothing synced yet (the URI is set with autoSync off, so
//   nothing goes up). (a) at 100 runs uses the real `mlflow server`; at
//   1,000 and 10,000 a minimal MLflow in this process (bench/fake-mlflow.ts),
//   since uploading that many runs to the real one takes too long here. Each
//   load is a fresh tracker (a new worker); figures are medians over up to
//   LOADS loads, syncStatus() after the first call the median of up to CALLS
//   calls (fewer when one call takes over a second).
//
// 'upload': BENCH_UPLOAD_ROUNDS × BENCH_UPLOAD_RUNS (default 3 × 100) such runs to the real
//   server, MLflow's Python client (create_run, log_batch, set_terminated per
//   run) vs mlflow-edge sync() with and without an onSyncStatus listener, in
//   rounds whose order rotates (this shared VM's load changes by the minute),
//   each upload on a fresh experiment.
//
// `npx playwright test -c bench/playwright.config.ts small-runs -g status` runs one part.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { test, type Page } from '@playwright/test';
import { openLibrary, PAGE_ORIGIN } from '../test/browser/fixtures.js';
import { startMlflowServer } from '../test/interop/mlflow-server.js';
import { startFakeMlflow } from './fake-mlflow.js';

const SIZES = (process.env.BENCH_SMALL_SIZES ?? '100,1000').split(',').map(Number);
const UPLOAD_RUNS = Number(process.env.BENCH_UPLOAD_RUNS ?? 100);
const ROUNDS = Number(process.env.BENCH_UPLOAD_ROUNDS ?? 3);
const LOADS = 3;
const CALLS = 5;
const TARGET_MS = 20;
const exec = promisify(execFile);
const python = fileURLToPath(new URL('../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./python_small_runs.py', import.meta.url));

test.describe.configure({ mode: 'serial' });

type Loads = {
  setRemote: number;
  first: number;
  again: number | undefined;
  loads: number;
  calls: number;
  pending: number;
};
type Upload = { seconds: number; firstStatusMs: number; calls: number; pending: number };
declare const small: {
  make(dbName: string, n: number, experimentName: string): Promise<number>;
  upload(dbName: string, uri: string, listen: boolean): Promise<Upload>;
  loads(
    dbName: string,
    remote: { trackingUri: string; autoSync?: boolean },
    loads: number,
    calls: number,
  ): Promise<Loads>;
};

/** Installs window.small: the page side of this bench. */
async function install(page: Page): Promise<void> {
  await openLibrary(page);
  await page.evaluate(() => {
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const m = Math.floor(s.length / 2);
      return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    };
    /** Logs n small runs into dbName (no remote), 16 runs at a time; returns seconds. */
    async function make(dbName: string, n: number, experimentName: string): Promise<number> {
      const t0 = performance.now();
      const t = await edge.openTracker({ dbName });
      const now = Date.now();
      const tags = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`t${i}`, `tag-${i}`]));
      let next = 0;
      const one = async (r: number) => {
        const run = await t.startRun({ experimentName, runName: `small-${r}` });
        run.logParams(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, `${r}-value-${i}`])));
        run.setTags(tags);
        for (let s = 0; s < 20; s++)
          run.logMetrics(Object.fromEntries(Array.from({ length: 5 }, (_, k) => [`m${k}`, (r + k + 1) / (s + 1)])), {
            step: s,
            timestamp: now + s,
          });
        await run.end();
      };
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < n) await one(next++);
        }),
      );
      await t.close();
      return (performance.now() - t0) / 1000;
    }
    /** sync() of everything in dbName to uri (a fresh tracker, autoSync off); with `listen`, an onSyncStatus listener is subscribed meanwhile. */
    async function upload(dbName: string, uri: string, listen: boolean) {
      const t = await edge.openTracker({ dbName, remote: { trackingUri: uri, autoSync: false } });
      let calls = 0;
      const off = listen ? t.onSyncStatus(() => void calls++) : () => undefined;
      const t0 = performance.now();
      await t.sync();
      const seconds = (performance.now() - t0) / 1000;
      off();
      const t1 = performance.now();
      const status = await t.syncStatus();
      const firstStatusMs = performance.now() - t1;
      await t.close();
      return { seconds, firstStatusMs, calls, pending: status.pending.runs };
    }
    /** Page loads: a fresh tracker, setRemote() to the URI set before, syncStatus() once and then up to `calls` times more. */
    async function loads(
      dbName: string,
      remote: { trackingUri: string; autoSync?: boolean },
      count: number,
      calls: number,
    ) {
      const setRemote: number[] = [];
      const first: number[] = [];
      const again: number[] = [];
      let pending = -1;
      let repeats = 0;
      for (let l = 0; l < count; l++) {
        const t = await edge.openTracker({ dbName });
        let t0 = performance.now();
        await t.setRemote(remote);
        setRemote.push(performance.now() - t0);
        t0 = performance.now();
        pending = (await t.syncStatus()).pending.runs;
        first.push(performance.now() - t0);
        const times: number[] = [];
        for (let c = 0; c < calls; c++) {
          t0 = performance.now();
          await t.syncStatus();
          times.push(performance.now() - t0);
          if (times.at(-1)! > 1000) break; // one slow call says enough
        }
        if (times.length > 0) again.push(median(times));
        repeats += times.length;
        // Let the pass setRemote started (autoSync) finish before the worker goes.
        if (remote.autoSync !== false) await t.sync();
        await t.close();
        if (first.at(-1)! > 1000) break;
      }
      return {
        setRemote: median(setRemote),
        first: median(first),
        again: again.length > 0 ? median(again) : undefined,
        loads: first.length,
        calls: repeats,
        pending,
      };
    }
    Object.assign(window, { small: { make, upload, loads } });
  });
}

const make = (page: Page, dbName: string, n: number, experiment: string) =>
  page.evaluate(({ dbName, n, experiment }) => small.make(dbName, n, experiment), { dbName, n, experiment });
const upload = (page: Page, dbName: string, uri: string, listen: boolean) =>
  page.evaluate(({ dbName, uri, listen }) => small.upload(dbName, uri, listen), { dbName, uri, listen });
const loads = (
  page: Page,
  dbName: string,
  remote: { trackingUri: string; autoSync?: boolean },
  count = LOADS,
  calls = CALLS,
) =>
  page.evaluate(({ dbName, remote, count, calls }) => small.loads(dbName, remote, count, calls), {
    dbName,
    remote,
    count,
    calls,
  });

async function pythonUpload(url: string, experiment: string, runs: number): Promise<number> {
  const { stdout } = await exec(python, [script, url, experiment, String(runs)], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
    timeout: 1_800_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!).seconds;
}

const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en')} ms`;
const met = (x: number) => (x <= TARGET_MS ? 'yes' : 'NO');
const seconds = (started: number) => `${Math.round((Date.now() - started) / 1000)} s`;

function print(title: string, rows: string[][]): void {
  const w = [0, 1, 2, 3].map((i) =>
    Math.max(...rows.map((r) => r[i]!.length), ['what', 'measured', 'target / ratio', 'met'][i]!.length),
  );
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(['what', 'measured', 'target / ratio', 'met']));
  console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

test('status', async ({ page }) => {
  test.setTimeout(Math.max(900_000, SIZES.reduce((a, b) => a + b, 0) * 300));
  const started = Date.now();
  const server = await startMlflowServer();
  const fake = await startFakeMlflow(PAGE_ORIGIN);
  const rows: string[][] = [];
  const add = (...r: string[][]) => {
    rows.push(...r);
    for (const x of r) console.log(x.join(' | '));
  };
  const statusRows = (n: number, what: string, l: Loads, expectPending: number) => {
    if (l.pending !== expectPending)
      throw new Error(`${n} runs, ${what}: ${l.pending} runs pending, expected ${expectPending}`);
    const samples = `${l.loads} load${l.loads === 1 ? '' : 's'}`;
    add(
      [
        `${n.toLocaleString('en')} runs, ${what}: setRemote(same URI)`,
        ms(l.setRemote),
        `≤ ${TARGET_MS} ms (${samples})`,
        met(l.setRemote),
      ],
      ['  then syncStatus(), first call', ms(l.first), `≤ ${TARGET_MS} ms`, met(l.first)],
      l.again === undefined
        ? ['  then syncStatus() again', 'not repeated', 'the first took over 1 s', '']
        : [`  then syncStatus() again (${l.calls} calls)`, ms(l.again), `≤ ${TARGET_MS} ms`, met(l.again)],
    );
  };
  try {
    await install(page);
    const tag = Date.now().toString(36);
    for (const n of SIZES) {
      const db = `small-${n}-${tag}`;
      const uri = n <= 100 ? server.url : fake.url;
      const where = n <= 100 ? 'mlflow server' : 'fake MLflow';
      const made = await make(page, db, n, `small-${n}-${tag}`);
      console.log(`${n} runs logged in ${made.toFixed(1)} s`);
      // The first setRemote() to a URI makes its state, and the first syncStatus() then looks at every run once: not what a load pays.
      await loads(page, db, { trackingUri: uri, autoSync: false }, 1, 0);
      statusRows(n, 'nothing synced', await loads(page, db, { trackingUri: uri, autoSync: false }), n);
      const before = new Map(fake.counts);
      const up = await upload(page, db, uri, false);
      if (up.pending !== 0) throw new Error(`${n} runs: ${up.pending} still pending after sync()`);
      const requests =
        where === 'fake MLflow'
          ? ` (requests: ${[...fake.counts]
              .filter(([k]) => k !== '/version')
              .map(([k, v]) => `${k.replace(/^runs\//, '')} ${v - (before.get(k) ?? 0)}`)
              .filter((s) => !s.endsWith(' 0'))
              .join(', ')})`
          : '';
      add(
        [
          `${n.toLocaleString('en')} runs: sync() to ${where}, for (a)`,
          `${up.seconds.toFixed(1)} s = ${(n / up.seconds).toFixed(1)} runs/s`,
          `setup${requests}`,
          '',
        ],
        ['  first syncStatus() after that sync()', ms(up.firstStatusMs), `≤ ${TARGET_MS} ms`, met(up.firstStatusMs)],
      );
      statusRows(n, `all synced (${where})`, await loads(page, db, { trackingUri: uri }), 0);
    }
    print(
      `mlflow-edge small runs, page load: mlflow server 3.17.2 (SQLite, loopback) or the in-process fake MLflow as named, headless Chromium, medians (${seconds(started)})`,
      rows,
    );
  } finally {
    await fake.stop();
    await server.stop();
  }
});

test('upload', async ({ page }) => {
  test.skip(UPLOAD_RUNS === 0, 'BENCH_UPLOAD_RUNS=0');
  const started = Date.now();
  const server = await startMlflowServer();
  try {
    await install(page);
    const tag = Date.now().toString(36);
    const n = UPLOAD_RUNS;
    const db = (client: string, round: number) => `up-${client}-${round}-${tag}`;
    for (let r = 0; r < ROUNDS; r++)
      for (const client of ['edge', 'listen']) await make(page, db(client, r), n, db(client, r));
    const times: Record<'py' | 'edge' | 'listen', number[]> = { py: [], edge: [], listen: [] };
    let statusCalls = 0;
    const clients = ['py', 'edge', 'listen'] as const;
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < clients.length; i++) {
        const client = clients[(i + r) % clients.length]!;
        if (client === 'py') {
          times.py.push(await pythonUpload(server.url, `up-py-${r}-${tag}`, n));
        } else {
          const u = await upload(page, db(client, r), server.url, client === 'listen');
          if (u.pending !== 0) throw new Error(`upload: ${u.pending} runs still pending`);
          times[client].push(u.seconds);
          statusCalls += u.calls;
        }
        console.log(`round ${r + 1}: ${client} ${times[client].at(-1)!.toFixed(1)} s`);
      }
    }
    const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const all = n * ROUNDS;
    const rate = (xs: number[]) => `${total(xs).toFixed(1)} s = ${(all / total(xs)).toFixed(1)} runs/s`;
    const rounds = (xs: number[]) => `rounds ${xs.map((x) => x.toFixed(1)).join(', ')} s`;
    const ratio = (xs: number[]) => total(times.py) / total(xs);
    print(
      `mlflow-edge small runs, upload: ${ROUNDS} rounds × ${n} runs to one mlflow server 3.17.2 (SQLite, loopback), order rotated per round, headless Chromium (${seconds(started)})`,
      [
        [`upload ${all} small runs, MLflow Python client`, rate(times.py), rounds(times.py), ''],
        [
          '  mlflow-edge sync(), no listener',
          rate(times.edge),
          `${ratio(times.edge).toFixed(2)}× the Python client's throughput; ${rounds(times.edge)}`,
          ratio(times.edge) >= 1 ? 'yes' : 'NO',
        ],
        [
          '  mlflow-edge sync(), onSyncStatus listener',
          rate(times.listen),
          `${ratio(times.listen).toFixed(2)}× Python, ${(total(times.edge) / total(times.listen)).toFixed(2)}× no listener (${statusCalls} status events); ${rounds(times.listen)}`,
          ratio(times.listen) >= 1 ? 'yes' : 'NO',
        ],
      ],
    );
  } finally {
    await server.stop();
  }
});
