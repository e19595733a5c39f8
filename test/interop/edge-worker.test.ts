// Direct mode (mlflow-edge/edge) in a real Cloudflare Worker: the built library (dist/edge.js and
// its chunks) runs in workerd through Miniflare, and uploads to a real MLflow server from .venv.
//   npx vitest run --config test/interop/vitest.config.ts test/interop/edge-worker.test.ts
// dist/ comes from `npm run build` (scripts/test.sh builds before this tier); it is built here
// only when dist/edge.js is missing.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { rolldown } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { ServerReader } from './server-state.js';
import { readmeBlocks } from '../readme-examples.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const T = 120_000;

/** The Worker: one tracker per request, in the request's isolate; the body says what to log where. */
const WORKER = /* js */ `
import { openTracker, MlflowEdgeError } from './edge.js';

// Timers the library starts and has not cleared or seen fire: none may be left once sync() settles,
// or the request could not end (workerd's own fetch timeouts are not counted).
const live = new Set();
const stacks = new Map();
const { setTimeout: realSet, clearTimeout: realClear, setInterval: realEvery, clearInterval: realStop } = globalThis;
globalThis.setTimeout = (fn, ms, ...args) => {
  const id = realSet(() => {
    live.delete(id);
    fn(...args);
  }, ms);
  live.add(id);
  stacks.set(id, new Error().stack);
  return id;
};
globalThis.clearTimeout = (id) => {
  live.delete(id);
  realClear(id);
};
globalThis.setInterval = (fn, ms, ...args) => {
  const id = realEvery(fn, ms, ...args);
  live.add(id);
  return id;
};
globalThis.clearInterval = (id) => {
  live.delete(id);
  realStop(id);
};

/** Live timers once this turn's zero-delay ones (the store's transaction bookkeeping) have run. */
async function timersLeft() {
  await new Promise((resolve) => realSet(resolve, 20));
  return [...live].map((id) => stacks.get(id));
}

export default {
  async fetch(request) {
    const { trackingUri, experimentName, runName, points, t0 } = await request.json();
    live.clear();
    const tracker = await openTracker({ remote: { trackingUri }, user: 'edge-worker' });
    let answer;
    let runId;
    try {
      const run = await tracker.startRun({ experimentName, runName, tags: { origin: 'workerd' } });
      runId = run.runId;
      run.logParams({ lr: 0.01, layers: 3, optimizer: 'adam' });
      run.setTag('stage', 'edge');
      run.setTags({ region: 'test', 'nested.key': 'x'.repeat(300) });
      for (let i = 0; i < points; i++) {
        run.logMetric('loss', 1 / (i + 1), { step: i, timestamp: t0 + i });
        run.logMetrics({ acc: i / points, lr_scale: Math.cos(i) }, { step: i, timestamp: t0 + i });
      }
      run.logMetric('final', 42.5, { step: 0, timestamp: t0 });
      await run.logArtifact('out/summary.json', JSON.stringify({ points, runName }));
      await run.logArtifact('weights.bin', new Uint8Array([0, 1, 2, 250, 251, 252, 253, 254, 255]));
      await run.end();
      await tracker.sync();
      answer = { ok: true, runId, afterSync: await timersLeft(), status: await tracker.syncStatus() };
    } catch (error) {
      answer = {
        ok: false,
        runId,
        typed: error instanceof MlflowEdgeError,
        name: error?.name,
        code: error?.code,
        message: String(error?.message ?? error),
        afterSync: await timersLeft(),
        status: await tracker.syncStatus().catch(() => undefined),
      };
    }
    await tracker.close();
    answer.afterClose = await timersLeft();
    return Response.json(answer, { status: answer.ok ? 200 : 503 });
  },
};
`;

/** A Worker of `source` (a module beside dist/edge.js), with the built library's files as its other modules. */
function worker(source: string, bindings: Record<string, string> = {}): Miniflare {
  const chunks = readdirSync(DIST).filter((f) => f.endsWith('.js'));
  return new Miniflare({
    modules: [
      { type: 'ESModule', path: join(DIST, '__edge-worker.js'), contents: source },
      ...chunks.map((f) => ({ type: 'ESModule' as const, path: join(DIST, f), contents: readFileSync(join(DIST, f)) })),
    ],
    modulesRoot: DIST,
    compatibilityDate: '2025-01-01',
    bindings,
  });
}

interface Answer {
  ok: boolean;
  runId: string;
  /** Stacks of the timers still set after sync() settled, and after close(). */
  afterSync: string[];
  afterClose: string[];
  typed?: boolean;
  name?: string;
  code?: string;
  message?: string;
  status?: { pending: Record<string, number>; lastError?: { code: string } };
}

describe('direct mode in a Cloudflare Worker (workerd via Miniflare)', () => {
  let server: MlflowServer;
  let mf: Miniflare;
  const t0 = 1_700_000_000_000;

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'edge.js'))) execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'ignore' });
    server = await startMlflowServer();
    mf = worker(WORKER);
    await mf.ready;
  }, T);

  afterAll(async () => {
    await mf?.dispose();
    await server?.stop();
  });

  async function request(target: Miniflare, body: Record<string, unknown>): Promise<Answer> {
    const response = await target.dispatchFetch('http://edge.test/', { method: 'POST', body: JSON.stringify(body) });
    return (await response.json()) as Answer;
  }

  /** One request of the test Worker logs a run and syncs; the server must then hold exactly that run. */
  async function logsOneRun(target: Miniflare, runName: string): Promise<void> {
    const experimentName = `edge-worker-${runName}-${Date.now()}`;
    const points = 300;
    const answer = await request(target, { trackingUri: server.url, experimentName, runName, points, t0 });
    expect(answer, JSON.stringify(answer)).toMatchObject({ ok: true });
    expect(
      Object.values(answer.status!.pending).every((n) => n === 0),
      JSON.stringify(answer.status),
    ).toBe(true);
    expect(answer.afterSync).toEqual([]);
    expect(answer.afterClose).toEqual([]);

    const runs = await new ServerReader(server.url).runs(experimentName);
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run!.status).toBe('FINISHED');
    expect(run!.name).toBe(runName);
    expect(run!.endTime).toBeGreaterThanOrEqual(run!.startTime);
    expect(run!.params).toEqual({ lr: '0.01', layers: '3', optimizer: 'adam' });
    expect(run!.tags).toMatchObject({
      origin: 'workerd',
      stage: 'edge',
      region: 'test',
      'nested.key': 'x'.repeat(300),
      'mlflow.user': 'edge-worker',
      'mlflow.runName': runName,
      'mlflow.source.type': 'LOCAL',
      'mlflow-edge.clientRunId': answer.runId,
    });

    const byStep = (a: { step: number }, b: { step: number }) => a.step - b.step;
    const expected = (f: (i: number) => number) =>
      Array.from({ length: points }, (_, i) => ({ step: i, value: f(i), timestamp: t0 + i }));
    expect(Object.keys(run!.metrics).sort()).toEqual(['acc', 'final', 'loss', 'lr_scale']);
    expect(run!.metrics.loss!.sort(byStep)).toEqual(expected((i) => 1 / (i + 1)));
    expect(run!.metrics.acc!.sort(byStep)).toEqual(expected((i) => i / points));
    expect(run!.metrics.lr_scale!.sort(byStep)).toEqual(expected((i) => Math.cos(i)));
    expect(run!.metrics.final).toEqual([{ step: 0, value: 42.5, timestamp: t0 }]);

    expect(run!.artifacts).toEqual({
      'out/summary.json': Buffer.from(JSON.stringify({ points, runName })).toString('hex'),
      'weights.bin': '000102fafbfcfdfeff',
    });
  }

  it(
    'uploads the run a request logged before the request ends: params, tags, every point, artifact bytes, FINISHED',
    () => logsOneRun(mf, 'from-workerd'),
    T,
  );

  it(
    'does the same bundled into one file (rolldown, as a Worker bundler would)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'edge-bundle-'));
      try {
        const entry = join(dir, 'entry.js');
        writeFileSync(entry, WORKER.replace("from './edge.js'", `from ${JSON.stringify(join(DIST, 'edge.js'))}`));
        const bundle = await rolldown({ input: entry, platform: 'browser', logLevel: 'silent' });
        const [{ code }] = (await bundle.generate({ format: 'es', codeSplitting: false })).output;
        await bundle.close();
        const bundled = new Miniflare({
          modules: [{ type: 'ESModule', path: join(dir, 'bundle.js'), contents: code }],
          modulesRoot: dir,
          compatibilityDate: '2025-01-01',
        });
        try {
          await logsOneRun(bundled, 'bundled');
        } finally {
          await bundled.dispose();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    T,
  );

  it(
    'rejects the upload with a typed error when the server cannot be reached, leaving no timer set',
    async () => {
      const down = `http://127.0.0.1:${await freePort()}`; // nothing listens there
      const experimentName = `edge-worker-down-${Date.now()}`;
      const started = Date.now();
      const answer = await request(mf, { trackingUri: down, experimentName, runName: 'lost', points: 20, t0 });
      const elapsed = Date.now() - started;
      expect(answer, JSON.stringify(answer)).toMatchObject({
        ok: false,
        typed: true,
        name: 'MlflowEdgeError',
        code: 'TEMPORARILY_UNAVAILABLE',
      });
      expect(answer.afterSync).toEqual([]);
      expect(answer.afterClose).toEqual([]);
      expect(answer.message).toMatch(/unreachable|network error/);
      console.log(`[edge-worker] upload to a server that is down: ${elapsed} ms, ${answer.message}`);
      expect(answer.status?.lastError?.code).toBe('TEMPORARILY_UNAVAILABLE');
      expect(answer.status?.pending.runs).toBe(1); // recorded, not uploaded: lost with the isolate
      // Nothing of it reached the real server either (another URL), and the first run is still alone there.
      expect(await new ServerReader(server.url).runs(experimentName)).toEqual([]);
    },
    T,
  );

  it(
    "runs the README's Worker: the run reaches the server through ctx.waitUntil after the response",
    async () => {
      const [example] = readmeBlocks('js edge');
      expect(example).toBeDefined();
      const experimentName = `edge-readme-${Date.now()}`;
      const source = example!
        .replace("from 'mlflow-edge/edge'", "from './edge.js'")
        .replace("experimentName: 'edge'", `experimentName: '${experimentName}'`);
      const readme = worker(source, { MLFLOW_TRACKING_URI: server.url });
      try {
        const response = await readme.dispatchFetch('http://edge.test/predict');
        expect(await response.text()).toBe('logged');
        const reader = new ServerReader(server.url);
        let runs = await reader.runs(experimentName);
        for (let i = 0; i < 100 && runs[0]?.status !== 'FINISHED'; i++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          runs = await reader.runs(experimentName);
        }
        expect(runs).toHaveLength(1);
        expect(runs[0]).toMatchObject({
          name: 'inference',
          status: 'FINISHED',
          params: { model: 'tiny', region: expect.any(String) }, // Miniflare sends a request.cf of its own
          metrics: { latency_ms: [{ step: 0, value: 12.5, timestamp: expect.any(Number) }] },
          artifacts: {
            'request.json': Buffer.from(JSON.stringify({ url: 'http://edge.test/predict' })).toString('hex'),
          },
        });
      } finally {
        await readme.dispose();
      }
    },
    T,
  );
});
