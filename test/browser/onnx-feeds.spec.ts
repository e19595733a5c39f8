// Inputs fed as the ONNX graph declares them (element type and rank), and the
// typed errors when they cannot be: through the real worker and onnxruntime-web.
// The graphs are built at test time by make_feed_models.py (onnx.helper, in
// .venv) and logged in the browser with MLflow's signatures inferred from
// pandas DataFrames.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.js';

const python = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./make_feed_models.py', import.meta.url));
const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs' };

type Models = Record<
  'columns' | 'fixed' | 'small',
  { onnx: string; signature: { inputs: string; outputs: null } | null }
>;
let models: Models;
test.beforeAll(() => {
  const out = execFileSync(python, [script], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', PYTHONWARNINGS: 'ignore' },
  });
  models = JSON.parse(out.toString().trim().split('\n').at(-1)!) as Models;
});

test('each input gets the element type and rank its graph declares', async ({ page }) => {
  const out = await page.evaluate(
    async ({ models, ORT }) => {
      const t = await edge.openTracker({ dbName: 'feeds-ok' });
      const run = await t.startRun();
      const load = async (name: keyof typeof models, signature = models[name].signature) => {
        const bytes = Uint8Array.from(atob(models[name].onnx), (c) => c.charCodeAt(0));
        const info = await run.logModel(name, { onnx: bytes }, signature ? { signature } : {});
        return t.loadModel(info.modelUri, { onnxruntime: ORT });
      };
      const plain = (r: { outputs: Record<string, { data: ArrayLike<unknown>; shape: number[]; dtype: string }> }) =>
        Object.fromEntries(
          Object.entries(r.outputs).map(([k, v]) => [
            k,
            {
              data: Array.from(v.data, (x) => (typeof x === 'bigint' ? Number(x) : x)),
              shape: v.shape,
              dtype: v.dtype,
            },
          ]),
        );
      const columns = await load('columns');
      const records = plain(
        await columns.predict([
          { s: 'x', d: 1.25, i: 7, b: true },
          { s: 'y', d: -2, i: -1, b: false },
        ]),
      );
      const serving = plain(
        await columns.predict({ dataframe_split: { columns: ['b', 'i', 'd', 's'], data: [[false, 3, 0.5, 'z']] } }),
      );
      const fixed = await load('fixed');
      const one = plain(await fixed.predict([{ a: 1, b: 2, c: 3.5 }]));
      const small = await load('small');
      const nested = plain(
        await small.predict([
          [1, -2],
          [3, 127],
        ]),
      );
      const typed = plain(await small.predict({ data: new Int8Array([5, 6]), shape: [1, 2], dtype: 'int8' }));
      return { records, serving, one, nested, typed };
    },
    { models, ORT },
  );
  // Columns in, columns out: outputs of shape [N, 1] come back as [N], as pyfunc's DataFrame has them.
  expect(out.records).toEqual({
    s_out: { data: ['x', 'y'], shape: [2], dtype: 'str' },
    d_out: { data: [2.5, -4], shape: [2], dtype: 'float64' },
    i_out: { data: [8, 0], shape: [2], dtype: 'int64' },
    b_out: { data: [0, 1], shape: [2], dtype: 'bool' },
  });
  expect(out.serving.s_out!.data).toEqual(['z']);
  expect(out.serving.i_out!.data).toEqual([4]);
  expect(out.one.total).toEqual({ data: [6.5], shape: [1], dtype: 'float32' });
  // No signature: JS whole numbers are fed to an int8 input; a tensor keeps its shape.
  expect(out.nested.y).toEqual({ data: [1, -2, 3, 127], shape: [2, 2], dtype: 'float32' });
  expect(out.typed.y).toEqual({ data: [5, 6], shape: [1, 2], dtype: 'float32' });
});

test('inputs that cannot be fed are typed errors naming the column, the ONNX type and shape, and the worker stays usable', async ({
  page,
}) => {
  const out = await page.evaluate(
    async ({ models, ORT }) => {
      const t = await edge.openTracker({ dbName: 'feeds-bad' });
      const run = await t.startRun();
      const load = async (name: keyof typeof models, signature = models[name].signature) => {
        const bytes = Uint8Array.from(atob(models[name].onnx), (c) => c.charCodeAt(0));
        const info = await run.logModel(
          `${name}${signature ? '' : '-nosig'}`,
          { onnx: bytes },
          signature ? { signature } : {},
        );
        return t.loadModel(info.modelUri, { onnxruntime: ORT });
      };
      const columns = await load('columns');
      const loose = await load('columns', null); // no signature: only the graph's declarations apply
      const fixed = await load('fixed');
      const fixedLoose = await load('fixed', null);
      const small = await load('small');
      const good = { s: ['a'], d: [1], i: [1], b: [true] };
      const cases: Record<string, () => Promise<unknown>> = {
        'string for a double column': () => columns.predict({ ...good, d: ['1.5'] }),
        'number for a string column': () => columns.predict({ ...good, s: [1] }),
        'number for a boolean column': () => columns.predict({ ...good, b: [1] }),
        'fraction in a long column': () => columns.predict({ ...good, i: [1.5] }),
        'missing column': () => columns.predict({ s: ['a'], d: [1], i: [1] }),
        'empty batch': () => columns.predict([]),
        'batch of three, fixed batch of one': () =>
          fixed.predict([
            { a: 1, b: 2, c: 3 },
            { a: 1, b: 2, c: 3 },
            { a: 1, b: 2, c: 3 },
          ]),
        'empty batch, fixed batch of one': () => fixedLoose.predict({ a: [], b: [], c: [] }),
        'two values where the graph fixes three': () => fixedLoose.predict([[1, 2]]),
        'unsigned: missing per-column input': () => loose.predict({ s: ['a'], d: [1], i: [1] }),
        'unsigned: string for a double input': () => loose.predict({ ...good, d: ['x'] }),
        'unsigned: number for a string input': () => loose.predict({ ...good, s: [3] }),
        'unsigned: null for a string input': () => loose.predict({ ...good, s: [null] }),
        'unsigned: string for a bool input': () => loose.predict({ ...good, b: ['yes'] }),
        'unsigned: fraction for an int64 input': () => loose.predict({ ...good, i: [2.5] }),
        'unsigned: wrong rank (rows of two for [N, 1])': () => loose.predict({ ...good, d: [[1, 2]] }),
        'unsigned: int64 tensor for a float input': () =>
          fixedLoose.predict({ data: new BigInt64Array([1n, 2n, 3n]), shape: [1, 3], dtype: 'int64' }),
        'unsigned: rank-3 tensor for a rank-2 input': () =>
          fixedLoose.predict({ data: new Float32Array(3), shape: [1, 1, 3], dtype: 'float32' }),
        'unsigned: one unnamed tensor for four inputs': () =>
          loose.predict({ data: new Float64Array(4), shape: [1, 4], dtype: 'float64' }),
        'out of int8 range': () => small.predict([[1, 300]]),
      };
      const results: Record<
        string,
        { typed: boolean; code?: string; message: string; field?: unknown; usable: boolean }
      > = {};
      for (const [name, fn] of Object.entries(cases)) {
        const [outcome] = Object.values(await errorsOf({ [name]: fn }));
        // The worker answers the next call as if nothing happened.
        const after = await columns.predict(good);
        results[name] = { ...outcome!, usable: Number(after.outputs.i_out!.data[0]) === 2 };
      }
      const batchOfOne = await fixed.predict([{ a: 1, b: 1, c: 1 }]);
      return { results, batchOfOne: Array.from(batchOfOne.outputs.total!.data as Float32Array) };
    },
    { models, ORT },
  );
  expect(Object.keys(out.results).length).toBeGreaterThanOrEqual(15);
  for (const [name, r] of Object.entries(out.results)) {
    expect(r.typed, `${name}: ${r.message}`).toBe(true);
    expect(r.code, `${name}: ${r.message}`).toBe('INVALID_PARAMETER_VALUE');
    expect(r.usable, name).toBe(true);
    expect(r.message, name).not.toMatch(/refused the input/); // caught before onnxruntime, not by it
  }
  const r = out.results;
  // Errors from the graph's declarations name the column, the ONNX type and shape, and what came.
  expect(r['unsigned: string for a double input']!.message).toMatch(/'d'.*tensor\(double\).*\[N, 1\].*'x'/);
  expect(r['unsigned: string for a double input']!.field).toBe('d');
  expect(r['unsigned: number for a string input']!.message).toMatch(/tensor\(string\).*3 at element 0/);
  expect(r['unsigned: missing per-column input']!.message).toMatch(
    /column named 'b' \(tensor\(bool\), shape \[N, 1\]\)/,
  );
  expect(r['unsigned: missing per-column input']!.field).toBe('b');
  expect(r['unsigned: wrong rank (rows of two for [N, 1])']!.message).toMatch(/shape \[1, 2\]/);
  expect(r['unsigned: int64 tensor for a float input']!.message).toMatch(/tensor\(float\).*int64 values/);
  expect(r['batch of three, fixed batch of one']!.message).toMatch(/\[1, 3\].*batch dimension is fixed at 1/);
  expect(r['empty batch, fixed batch of one']!.message).toMatch(/batch dimension is fixed at 1/);
  expect(r['two values where the graph fixes three']!.message).toMatch(/Dimension 1 must be 3/);
  expect(r['out of int8 range']!.message).toMatch(/tensor\(int8\).*300.*range/);
  // Errors from the signature are MLflow's.
  expect(r['missing column']!.message).toContain("Model is missing inputs ['b']");
  expect(r['fraction in a long column']!.field).toBe('i');
  expect(out.batchOfOne).toEqual([3]);
});
