// The zoo: 22 scikit-learn models as people export them (skl2onnx's default
// options, so classifiers keep their ZipMap), logged and registered by MLflow
// Python at test time (zoo.py), each loaded in Chromium by
// models:/zoo-<name>@champion and compared on fixed rows with what
// mlflow.pyfunc.load_model(...).predict(DataFrame) returns: labels equal,
// numbers within 1e-5 (relative to the value when it exceeds 1).
//
// Where pyfunc itself cannot run a model, zoo.py compares with onnxruntime in
// Python instead and records why; this test asserts which ones those are:
// the ColumnTransformer pipelines with one input per column (pyfunc feeds
// df[name].values, a 1-D array, to inputs declared [None, 1], and
// onnxruntime refuses: "Input must be a list of dictionaries or a single
// numpy array for input 'city'"). There the browser is compared with
// onnxruntime fed each column as a [N, 1] array of its declared type.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { readmeBlocks, runExample } from '../readme-examples.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';

const exec = promisify(execFile);
const python = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./zoo.py', import.meta.url));
const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs' };

type Value = number | string | Record<string, number>;
interface ZooCase {
  name: string;
  uri: string;
  rows: Record<string, number | string>[];
  one_row_per_call: boolean;
  compared_with: 'pyfunc' | 'onnxruntime';
  why: string | null;
  outputs: Record<string, Value[]>;
}

const PYFUNC_CANNOT = ['pipeline-columns-classifier-3', 'pipeline-columns-regressor', 'pipeline-columns-forest-2'];

let server: MlflowServer;
let zoo: ZooCase[];
const dir = mkdtempSync(join(tmpdir(), 'mlflow-edge-zoo-'));
test.beforeAll(async () => {
  test.setTimeout(150_000);
  server = await startMlflowServer();
  const out = join(dir, 'zoo.json');
  await exec(python, [script, server.url, out], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', PYTHONWARNINGS: 'ignore' },
    maxBuffer: 64 << 20,
  });
  zoo = JSON.parse(readFileSync(out, 'utf8')) as ZooCase[];
});
test.afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function close(actual: unknown, expected: number, where: string): void {
  expect(typeof actual, where).toBe('number');
  const tolerance = 1e-5 * Math.max(1, Math.abs(expected));
  expect(Math.abs((actual as number) - expected), `${where}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

test('22 scikit-learn models logged by MLflow Python predict in the browser as pyfunc does', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  expect(zoo.length).toBeGreaterThanOrEqual(22);
  // Pyfunc ran every model except the per-column pipelines, and says why for those.
  expect(zoo.filter((c) => c.compared_with === 'onnxruntime').map((c) => c.name)).toEqual(PYFUNC_CANNOT);
  for (const c of zoo.filter((z) => z.compared_with === 'onnxruntime'))
    expect(c.why, c.name).toMatch(/Input must be a list of dictionaries or a single numpy array/);

  await openLibrary(page);
  const browser = await page.evaluate(
    async ({ trackingUri, cases, ORT }) => {
      const t = await edge.openTracker({ dbName: 'zoo', remote: { trackingUri, autoSync: false } });
      const out: Record<string, Record<string, unknown[]>> = {};
      const plain = (v: unknown): unknown[] => {
        if (Array.isArray(v)) return v; // ZipMap rows: label → probability
        const t = v as { data: ArrayLike<unknown> };
        return Array.from(t.data, (x) => (typeof x === 'bigint' ? Number(x) : x));
      };
      for (const c of cases) {
        const model = await t.loadModel(c.uri, { onnxruntime: ORT });
        const calls = c.one_row_per_call ? c.rows.map((r) => [r]) : [c.rows];
        const merged: Record<string, unknown[]> = {};
        for (const rows of calls) {
          const { outputs } = await model.predict(rows);
          for (const [name, value] of Object.entries(outputs)) (merged[name] ??= []).push(...plain(value));
        }
        out[c.name] = merged;
        await model.close();
      }
      return out;
    },
    { trackingUri: server.url, cases: zoo, ORT },
  );

  for (const c of zoo) {
    const got = browser[c.name]!;
    expect(Object.keys(got).sort(), c.name).toEqual(Object.keys(c.outputs).sort());
    for (const [output, expected] of Object.entries(c.outputs)) {
      const actual = got[output]!;
      expect(actual.length, `${c.name}.${output}`).toBe(expected.length);
      expected.forEach((e, i) => {
        const where = `${c.name}.${output}[${i}] (compared with ${c.compared_with})`;
        if (typeof e === 'number' && Number.isInteger(e) && output.includes('label')) expect(actual[i], where).toBe(e);
        else if (typeof e === 'number') close(actual[i], e, where);
        else if (typeof e === 'string') expect(actual[i], where).toBe(e);
        else {
          const row = actual[i] as Record<string, number>;
          expect(Object.keys(row).sort(), where).toEqual(Object.keys(e).sort());
          for (const [label, p] of Object.entries(e)) close(row[label], p, `${where}[${label}]`);
        }
      });
    }
  }
  expect(errors).toEqual([]);
});

// The README's ```js zoo block (a classifier and a regressor of the zoo, as predict returns them),
// run against this server in place of http://127.0.0.1:5000.
test("the README's zoo example prints what it promises", async ({ page }) => {
  const errors = watchErrors(page);
  const [block] = readmeBlocks('js zoo');
  expect(block).toBeDefined();
  await openLibrary(page);
  const { printed, expected } = await runExample(page, block!.replace(/^ {2}/gm, ''), {
    'http://127.0.0.1:5000': server.url,
  });
  expect(expected.length).toBeGreaterThanOrEqual(4);
  expect(printed).toEqual(expected);
  expect(errors).toEqual([]);
});
