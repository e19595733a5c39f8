// Issue 12: the tracker in Node, Deno and Bun against a real MLflow server. A device logger
// (runtimes/logger.mjs, 100k points and checkpoints) is killed with SIGKILL at random points,
// during logging and during upload, at least ten times, then run to the end; the server must
// hold exactly what was logged, field by field: no point lost, none twice, one run.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { ServerReader } from './server-state.js';
import { mulberry32 } from '../seeded.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = pathToFileURL(join(ROOT, 'dist')).href;
const LOGGER = join(ROOT, 'test/interop/runtimes/logger.mjs');
const BIN = (name: string) => join(ROOT, 'node_modules/.bin', name);

const RUNTIMES: Record<string, string[]> = {
  node: [process.execPath, LOGGER],
  deno: [BIN('deno'), 'run', '--allow-all', LOGGER],
  bun: [BIN('bun'), LOGGER],
};

const STEPS = 50_000; // two series: 100k points
const KILLS = 10;
const BASE = 1_700_000_000_000;

let server: MlflowServer;
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/node.js'))) throw new Error('build first: npm run build');
  server = await startMlflowServer();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

function checkpoint(step: number): string {
  const bytes = Buffer.alloc(4096 + (step % 7));
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + step) & 0xff;
  return bytes.toString('hex');
}

interface Child {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  kill(): void;
}

function start(runtime: string, env: Record<string, string>): Child {
  const [bin, ...args] = RUNTIMES[runtime]!;
  const child = spawn(bin!, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return {
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, output }))),
    kill: () => child.kill('SIGKILL'),
  };
}

describe.each(Object.keys(RUNTIMES))('%s', (runtime) => {
  it(`logs 100k points and checkpoints through ${KILLS}+ SIGKILLs; the server ends with exactly what was logged`, async () => {
    const store = mkdtempSync(join(tmpdir(), `edge-${runtime}-`));
    const experiment = `runtimes-${runtime}`;
    const env = {
      EDGE_DIST: DIST,
      STORE: store,
      TRACKING_URI: server.url,
      STEPS: String(STEPS),
      RUN_NAME: 'device',
      EXPERIMENT: experiment,
    };
    const rng = mulberry32(runtime.length * 7919);
    let kills = 0;
    const killedWhile = { starting: 0, logging: 0, uploading: 0 };
    for (let attempt = 0; kills < KILLS && attempt < 4 * KILLS; attempt++) {
      const child = start(runtime, env);
      // Early kills land while it starts and logs; later ones (everything logged) while it uploads.
      const delay = kills < KILLS / 2 ? 50 + Math.floor(rng() * 600) : 300 + Math.floor(rng() * 2500);
      const outcome = await Promise.race([
        child.exited,
        new Promise<'kill'>((resolve) => setTimeout(() => resolve('kill'), delay)),
      ]);
      if (outcome === 'kill') {
        child.kill();
        const { output } = await child.exited;
        kills++;
        killedWhile[output.includes('logged') ? 'uploading' : output.includes('logging') ? 'logging' : 'starting']++;
      } else {
        expect(outcome.code, outcome.output).toBe(0); // done before the kill: nothing to kill this time
      }
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(killedWhile.logging, JSON.stringify(killedWhile)).toBeGreaterThan(0);
    expect(killedWhile.uploading, JSON.stringify(killedWhile)).toBeGreaterThan(0);
    const last = await start(runtime, { ...env, FINISH: '1' }).exited;
    expect(last.code, last.output).toBe(0);
    const { status } = JSON.parse(last.output.trim().split('\n').pop()!) as { status: { pending: object } };
    expect(status.pending).toMatchObject({ runs: 0, params: 0, tags: 0, metrics: 0, artifacts: 0 });

    await expectExactly(experiment, ['device'], runtime);
  }, 600_000);
});

/** The server holds exactly these runs, each with every point once and every checkpoint. */
async function expectExactly(experiment: string, names: string[], runtime: string | ((name: string) => string)) {
  const runs = await new ServerReader(server.url).runs(experiment);
  expect(runs.map((r) => r.name).sort()).toEqual([...names].sort());
  for (const run of runs) {
    const rt = typeof runtime === 'string' ? runtime : runtime(run.name);
    expect(run.status).toBe('FINISHED');
    expect(run.params).toEqual({ steps: String(STEPS), runtime: rt, lr: '0.25' });
    expect(run.tags).toMatchObject({ device: run.name });
    for (const key of ['loss', 'acc']) {
      const points = run.metrics[key]!;
      expect(points, key).toHaveLength(STEPS);
      const sorted = [...points].sort((a, b) => a.step - b.step);
      sorted.forEach((p, step) => {
        if (
          p.step !== step ||
          p.timestamp !== BASE + step ||
          p.value !== (key === 'loss' ? 1 / (step + 1) : step / STEPS)
        )
          throw new Error(`${key} point ${step} on the server is ${JSON.stringify(p)}`);
      });
    }
    const expected = Object.fromEntries(
      [0, 12_500, 25_000, 37_500].map((step) => [`ckpt/${step}.bin`, checkpoint(step)]),
    );
    expect(run.artifacts).toEqual(expected);
  }
}

describe('two processes on one store', () => {
  it('log at once, one uploads at a time (the store lease), and the server gets both runs exactly once', async () => {
    const store = mkdtempSync(join(tmpdir(), 'edge-two-'));
    const experiment = 'two-processes';
    const env = {
      EDGE_DIST: DIST,
      STORE: store,
      TRACKING_URI: server.url,
      STEPS: String(STEPS),
      EXPERIMENT: experiment,
    };
    const [a, b] = [start('node', { ...env, RUN_NAME: 'a' }), start('bun', { ...env, RUN_NAME: 'b' })];
    const [ra, rb] = await Promise.all([a!.exited, b!.exited]);
    expect(ra.code, ra.output).toBe(0);
    expect(rb.code, rb.output).toBe(0);
    const last = await start('node', { ...env, RUN_NAME: 'a', FINISH: '1' }).exited;
    expect(last.code, last.output).toBe(0);
    await expectExactly(experiment, ['a', 'b'], (name) => (name === 'a' ? 'node' : 'bun'));
  }, 300_000);
});

describe.each(Object.keys(RUNTIMES))('models in %s', (runtime) => {
  it('an ONNX model from a URL predicts as onnxruntime does elsewhere, with the signature checked; a code model runs only with allowCode', async () => {
    const dir = join(ROOT, 'test/fixtures/models/iris-onnx');
    const files = createServer((request, response) => {
      try {
        response.end(readFileSync(join(dir, String(request.url).replace(/^\/iris\//, ''))));
      } catch {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    try {
      const expected = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/models/iris-expected.json'), 'utf8')) as {
        inputs: number[][];
        label: number[];
        probabilities: number[][];
      };
      const address = files.address() as { port: number };
      const env: Record<string, string> = {
        EDGE_DIST: DIST,
        STORE: mkdtempSync(join(tmpdir(), `edge-models-${runtime}-`)),
        MODEL_URL: `http://127.0.0.1:${address.port}/iris`,
        INPUTS: JSON.stringify(expected.inputs),
      };
      const [bin, ...args] = RUNTIMES[runtime]!;
      const child = spawn(bin!, [...args.slice(0, -1), join(ROOT, 'test/interop/runtimes/models.mjs')], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect(code, output).toBe(0);
      const got = JSON.parse(output.trim().split('\n').pop()!) as Record<string, unknown> & {
        label: number[];
        probabilities: number[];
      };
      // onnxruntime-node in all three (Deno through its npm: scheme).
      expect(got.provider).toBe('cpu');
      expect(got.label).toEqual(expected.label);
      expected.probabilities.flat().forEach((p, i) => expect(Math.abs(p - got.probabilities[i]!)).toBeLessThan(1e-5));
      expect(got).toMatchObject({
        badInput: 'INVALID_PARAMETER_VALUE',
        withoutAllowCode: 'PERMISSION_DENIED',
        area: Math.PI * 4,
        wrongColumn: 'INVALID_PARAMETER_VALUE',
      });
    } finally {
      files.close();
    }
  }, 180_000);
});

describe.each(Object.keys(RUNTIMES))('a script in %s', (runtime) => {
  it('exits on its own without close(), with everything it logged on disk', async () => {
    const [bin, ...args] = RUNTIMES[runtime]!;
    const script = join(ROOT, 'test/interop/runtimes/exits.mjs');
    const env = { ...process.env, EDGE_DIST: DIST, STORE: mkdtempSync(join(tmpdir(), `edge-exits-${runtime}-`)) };
    const run = (extra: Record<string, string>) =>
      spawnSync(bin!, [...args.slice(0, -1), script], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 });
    const logged = run({});
    expect(logged.signal, 'still running after 60 s: the worker kept the process alive').toBeNull();
    expect(logged.status, logged.stderr).toBe(0);
    const read = run({ READ: '1' });
    expect(read.status, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout.trim())).toEqual([
      { name: 'ended', status: 'FINISHED', points: 1 },
      { name: 'open', status: 'RUNNING', points: 1000 },
    ]);
  }, 150_000);
});
