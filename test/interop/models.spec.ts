import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';

const run = promisify(execFile);
const python = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./pyfunc_predict.py', import.meta.url));
const iris = [...readFileSync(new URL('../fixtures/models/iris-onnx/model.onnx', import.meta.url))];
const { inputs } = JSON.parse(
  readFileSync(new URL('../fixtures/models/iris-expected.json', import.meta.url), 'utf8'),
) as { inputs: number[][] };
const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs' };

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test('an ONNX model logged in the browser and synced loads in MLflow Python and predicts the same', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await openLibrary(page);
  const browser = await page.evaluate(
    async ({ trackingUri, iris, inputs, ORT }) => {
      const t = await edge.openTracker({ dbName: 'models-interop', remote: { trackingUri, autoSync: false } });
      const run = await t.startRun({ experimentName: 'models-interop' });
      const info = await run.logModel('iris', { onnx: new Uint8Array(iris) }, { inputExample: inputs.slice(0, 2) });
      await run.end();
      await t.sync();
      const model = await t.loadModel(info.modelUri, { onnxruntime: ORT });
      const r = await model.predict(inputs);
      return {
        remoteRunId: (await t.getRun(run.runId)).info.remoteRunId!,
        label: Array.from(r.outputs.label!.data as BigInt64Array, Number),
        probabilities: Array.from(r.outputs.probabilities!.data as Float32Array),
      };
    },
    { trackingUri: server.url, iris, inputs, ORT },
  );
  const { stdout } = await run(
    python,
    [script, server.url, `runs:/${browser.remoteRunId}/iris`, JSON.stringify(inputs)],
    {
      env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
    },
  );
  const py = JSON.parse(stdout.trim().split('\n').at(-1)!) as { label: number[]; probabilities: number[][] };
  expect(py.label).toEqual(browser.label);
  py.probabilities.flat().forEach((p, i) => expect(Math.abs(p - browser.probabilities[i]!)).toBeLessThan(1e-5));
  expect(errors).toEqual([]);
});
