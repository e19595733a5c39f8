// An MLflow 2 server (2.22, from .venv-mlflow2): no logged models, so a model logged in
// the browser goes under its run's artifacts, `<name>/`, as MLflow 2 stored models, and
// registry versions point at that copy. MLflow 2 sends no CORS headers, so the page is
// served from the server's origin through a reverse proxy, as such a deployment needs.
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { expect, test } from '@playwright/test';
import { PAGE } from '../../playwright.config.js';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { MLFLOW2_BIN, startMlflowServer, type MlflowServer } from './mlflow-server.js';

const iris = [...readFileSync(new URL('../fixtures/models/iris-onnx/model.onnx', import.meta.url))];
const expected = JSON.parse(
  readFileSync(new URL('../fixtures/models/iris-expected.json', import.meta.url), 'utf8'),
) as { inputs: number[][]; label: number[] };
const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs' };

/** One origin: /api/… goes to MLflow, everything else to the test page server. */
function sameOrigin(mlflow: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const target = new URL(req.url!, req.url!.startsWith('/api/') ? mlflow : PAGE);
    const upstream = request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server }),
    ),
  );
}

let mlflow: MlflowServer;
let proxy: { url: string; server: Server };
test.beforeAll(async () => {
  mlflow = await startMlflowServer({ bin: MLFLOW2_BIN });
  proxy = await sameOrigin(mlflow.url);
});
test.afterAll(async () => {
  proxy?.server.close();
  await mlflow?.stop();
});

async function api<T>(path: string, query: Record<string, string>): Promise<T> {
  const response = await fetch(`${mlflow.url}/api/2.0/mlflow/${path}?${new URLSearchParams(query)}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

test('on an MLflow 2 server, a browser model goes under its run and registry versions point there; it loads back', async ({
  page,
}) => {
  const errors = watchErrors(page);
  const version = await (await fetch(`${mlflow.url}/version`)).text();
  expect(version).toMatch(/^2\./);
  await openLibrary(page, '/dist/index.js', `${proxy.url}/test/browser/blank.html`);
  const out = await page.evaluate(
    async ({ trackingUri, iris, inputs, ORT }) => {
      const t = await edge.openTracker({ dbName: 'mlflow2', remote: { trackingUri, autoSync: false } });
      const run = await t.startRun({ experimentName: 'mlflow2-exp' });
      const info = await run.logModel(
        'iris',
        { onnx: new Uint8Array(iris) },
        { inputExample: inputs.slice(0, 2), registeredModelName: 'iris-two' },
      );
      await t.setModelAlias('iris-two', 'champion', info.registeredModelVersion!);
      await run.end();
      await syncRetrying(t, 3);
      const status = await t.syncStatus();
      const remoteRunId = (await t.getRun(run.runId)).info.remoteRunId!;
      await t.close();
      // Another database loads it from the server, by alias and by run.
      const reader = await edge.openTracker({ dbName: 'mlflow2-reader', remote: { trackingUri, autoSync: false } });
      const loaded: Record<string, { from: string; label: number[] }> = {};
      for (const uri of ['models:/iris-two@champion', `runs:/${remoteRunId}/iris`]) {
        const model = await reader.loadModel(uri, { onnxruntime: ORT });
        loaded[uri] = {
          from: model.metadata.loadedFrom,
          label: Array.from((await model.predict(inputs)).outputs.label!.data as BigInt64Array, Number),
        };
      }
      return { pending: status.pending, deadLetters: status.deadLetters, remoteRunId, loaded };
    },
    { trackingUri: proxy.url, iris, inputs: expected.inputs, ORT },
  );
  expect(out.pending).toMatchObject({ runs: 0, models: 0, registry: 0, bytes: 0 });
  expect(out.deadLetters).toEqual([]);
  const { run } = await api<{ run: { info: { artifact_uri: string } } }>('runs/get', { run_id: out.remoteRunId });
  const files = await api<{ files: { path: string }[] }>('artifacts/list', { run_id: out.remoteRunId, path: 'iris' });
  expect(files.files.map((f) => f.path)).toContain('iris/MLmodel');
  const mlmodel = await (
    await fetch(`${mlflow.url}/get-artifact?${new URLSearchParams({ run_id: out.remoteRunId, path: 'iris/MLmodel' })}`)
  ).text();
  expect(mlmodel).toContain(`run_id: ${out.remoteRunId}\n`);
  expect(mlmodel).toMatch(/^artifact_path: iris\n/);
  const alias = await api<{ model_version: { version: string; source: string; run_id: string } }>(
    'registered-models/alias',
    { name: 'iris-two', alias: 'champion' },
  );
  expect(alias.model_version).toMatchObject({
    version: '1',
    source: `${run.info.artifact_uri}/iris`,
    run_id: out.remoteRunId,
  });
  expect(out.loaded['models:/iris-two@champion']).toEqual({ from: 'server', label: expected.label });
  expect(out.loaded[`runs:/${out.remoteRunId}/iris`]).toEqual({ from: 'cache', label: expected.label });
  expect(errors).toEqual([]);
});
