import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures.js';
import { PAGE } from '../../playwright.config.js';

// An MLflow ONNX model written by MLflow 3.17.2 from a scikit-learn model
// (test/fixtures/models/make_iris_onnx.py), and onnxruntime's predictions in Python.
const expected = JSON.parse(
  readFileSync(new URL('../fixtures/models/iris-expected.json', import.meta.url), 'utf8'),
) as {
  inputs: number[][];
  label: number[];
  probabilities: number[][];
};
const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs' };
const MODEL = '/test/fixtures/models/iris-onnx';

test('an MLflow ONNX model loads from a URL and predicts like onnxruntime in Python', async ({ page }) => {
  const result = await page.evaluate(
    async ({ ORT, url, inputs }) => {
      const t = await edge.openTracker({ dbName: 'models' });
      const model = await t.loadModel(url, { onnxruntime: ORT });
      const flat = new Float32Array(inputs.flat());
      const asTensor = await model.predict({ data: flat, shape: [inputs.length, 4], dtype: 'float32' });
      const asNested = await model.predict(inputs);
      const asServing = await model.predict({ inputs });
      const pick = (r: typeof asTensor) => ({
        label: Array.from(r.outputs.label!.data as BigInt64Array, Number),
        probabilities: Array.from(r.outputs.probabilities!.data as Float32Array),
        shape: r.outputs.probabilities!.shape,
      });
      await model.close();
      return {
        metadata: model.metadata,
        tensor: pick(asTensor),
        nested: pick(asNested),
        serving: pick(asServing),
        detached: flat.byteLength === 0,
      };
    },
    { ORT, url: `${PAGE}${MODEL}`, inputs: expected.inputs },
  );
  expect(result.metadata).toMatchObject({
    flavor: 'onnx',
    mlflowVersion: '3.17.2',
    savedInputExampleInfo: { type: 'ndarray' },
  });
  expect(result.metadata.signature?.inputs).toEqual({
    kind: 'tensors',
    tensors: [{ type: 'float32', shape: [-1, 4] }],
  });
  expect(result.detached).toBe(true); // the input went to the worker by transfer
  for (const r of [result.tensor, result.nested, result.serving]) {
    expect(r.label).toEqual(expected.label);
    expect(r.shape).toEqual([20, 3]);
    r.probabilities.forEach((p, i) => expect(Math.abs(p - expected.probabilities.flat()[i]!)).toBeLessThan(1e-5));
  }
});

test('a model logged as a run artifact loads by runs:/ offline', async ({ page }) => {
  const files = ['MLmodel', 'model.onnx'].map(
    (name) => [name, [...readFileSync(new URL(`../fixtures/models/iris-onnx/${name}`, import.meta.url))]] as const,
  );
  const labels = await page.evaluate(
    async ({ ORT, files, row }) => {
      const t = await edge.openTracker({ dbName: 'models-run' });
      const run = await t.startRun();
      for (const [name, bytes] of files) await run.logArtifact(`model/${name}`, new Uint8Array(bytes));
      await run.end();
      const model = await t.loadModel(`runs:/${run.runId}/model`, { onnxruntime: ORT });
      const r = await model.predict([row]);
      return Array.from(r.outputs.label!.data as BigInt64Array, Number);
    },
    { ORT, files, row: expected.inputs[0]! },
  );
  expect(labels).toEqual([expected.label[0]]);
});

test('bad inputs and bad models are typed errors, and the worker stays usable', async ({ page }) => {
  const outcomes = await page.evaluate(
    async ({ ORT, base }) => {
      const t = await edge.openTracker({ dbName: 'models-bad' });
      const model = await t.loadModel(`${base}/iris-onnx`, { onnxruntime: ORT });
      const cases: Record<string, () => Promise<unknown>> = {
        'wrong shape (3 columns)': () => model.predict([[1, 2, 3]]),
        'extra dimension': () => model.predict({ data: new Float32Array(8), shape: [1, 2, 4], dtype: 'float32' }),
        'wrong dtype (float64 typed array)': () =>
          model.predict({ data: new Float64Array(4), shape: [1, 4], dtype: 'float64' }),
        'not numbers': () => model.predict([['a', 'b', 'c', 'd']]),
        'unknown model directory': () => t.loadModel(`${base}/nope`, { onnxruntime: ORT }),
        'truncated ONNX file': () => t.loadModel(`${base}/truncated-onnx`, { onnxruntime: ORT }),
        'malformed MLmodel YAML': () => t.loadModel(`${base}/bad-yaml`, { onnxruntime: ORT }),
        'only Python flavors': () =>
          t.loadModel(`${base}/../../node/fixtures/mlmodel/pythonmodel_columns`, { onnxruntime: ORT }),
        'not a model URI': () => t.loadModel('s3://bucket/model'),
        'unknown run': () => t.loadModel(`runs:/${'a'.repeat(32)}/model`),
      };
      const out = await errorsOf(cases);
      const after = await model.predict([[5.1, 3.5, 1.4, 0.2]]);
      return { out, stillWorks: after.outputs.label!.shape };
    },
    { ORT, base: `${PAGE}/test/fixtures/models` },
  );
  const expectedCodes: Record<string, string> = {
    'unknown model directory': 'RESOURCE_DOES_NOT_EXIST',
    'unknown run': 'RESOURCE_DOES_NOT_EXIST',
  };
  for (const [name, o] of Object.entries(outcomes.out)) {
    expect(o.typed, `${name}: ${o.message}`).toBe(true);
    expect(o.code, `${name}: ${o.message}`).toBe(expectedCodes[name] ?? 'INVALID_PARAMETER_VALUE');
  }
  expect(outcomes.out['only Python flavors']!.message).toMatch(/python_function/);
  expect(outcomes.out['only Python flavors']!.message).toMatch(/onnx/i);
  expect(outcomes.out['wrong shape (3 columns)']!.field).toBeDefined();
  expect(outcomes.stillWorks).toEqual([1]);
});

test('models loaded from the same ONNX bytes share a session: closing one leaves the others working', async ({
  page,
}) => {
  const out = await page.evaluate(
    async ({ ORT, url, row }) => {
      const t = await edge.openTracker({ dbName: 'shared-sessions' });
      const label = async (m: { predict(x: unknown): Promise<{ outputs: Record<string, { data: unknown }> }> }) =>
        Array.from((await m.predict([row])).outputs.label!.data as BigInt64Array, Number);
      const [a, b] = await Promise.all([
        t.loadModel(url, { onnxruntime: ORT }),
        t.loadModel(url, { onnxruntime: ORT }),
      ]);
      const both = await Promise.all([label(a), label(b)]);
      await a.close();
      const afterOne = await label(b);
      await b.close();
      const c = await t.loadModel(url, { onnxruntime: ORT }); // the session was released: a new one
      const again = await label(c);
      return { both, afterOne, again };
    },
    { ORT, url: `${PAGE}${MODEL}`, row: expected.inputs[0]! },
  );
  expect(out).toEqual({
    both: [[expected.label[0]], [expected.label[0]]],
    afterOne: [expected.label[0]],
    again: [expected.label[0]],
  });
});
