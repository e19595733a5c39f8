// Models and the registry between the browser, a real MLflow server and MLflow Python:
// - a scikit-learn model logged and registered in Python loads in the browser by
//   runs:/, models:/name@alias, models:/m-<id>, version and latest, then offline from the cache;
// - models logged and registered in the browser offline are synced the MLflow 3 way
//   (logged model, run output, files, READY; registry versions and aliases) and load
//   in MLflow Python and in another browser database from the server.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { NOTHING_PENDING } from './local-state.js';

const exec = promisify(execFile);
const python = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const script = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const iris = [...readFileSync(new URL('../fixtures/models/iris-onnx/model.onnx', import.meta.url))];
const expected = JSON.parse(
  readFileSync(new URL('../fixtures/models/iris-expected.json', import.meta.url), 'utf8'),
) as {
  inputs: number[][];
  label: number[];
  probabilities: number[][];
};
const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs' };
const CIRCLE = `
import { setModel } from 'mlflow-edge/model';
setModel({ predict(context, input) { return input.map((row) => Math.PI * row.radius ** 2); } });
`;

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer();
});
test.afterAll(async () => {
  await server?.stop();
});

async function py(name: string, args: string[]): Promise<unknown> {
  const { stdout } = await exec(python, [script(name), ...args], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

async function api<T = Record<string, unknown>>(
  method: 'GET' | 'POST',
  path: string,
  body?: Record<string, unknown>,
): Promise<T> {
  let url = `${server.url}/api/2.0/mlflow/${path}`;
  const init: RequestInit = { method };
  if (method === 'GET' && body) url += `?${new URLSearchParams(body as Record<string, string>)}`;
  else if (body) Object.assign(init, { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  const response = await fetch(url, init);
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function artifactText(artifactUri: string, path: string): Promise<string> {
  const rel = artifactUri.replace(/^mlflow-artifacts:\/*/, '');
  const response = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${rel}/${path}`);
  expect(response.status, `${artifactUri}/${path}`).toBe(200);
  return response.text();
}

test('a scikit-learn model logged in Python loads in the browser by runs:/, @alias, m-<id>, version and latest, then offline', async ({
  page,
  context,
}) => {
  const errors = watchErrors(page);
  const logged = (await py('log_sklearn_onnx.py', [server.url, 'sklearn-exp', 'iris-sklearn', 'champion'])) as {
    run_id: string;
    model_id: string;
    version: string;
    inputs: number[][];
    label: number[];
    probabilities: number[][];
  };
  expect(logged.version).toBe('1');
  await openLibrary(page);
  const uris = [
    `runs:/${logged.run_id}/model`,
    'models:/iris-sklearn@champion',
    `models:/${logged.model_id}`,
    'models:/iris-sklearn/1',
    'models:/iris-sklearn/latest',
  ];
  const online = await page.evaluate(
    async ({ trackingUri, uris, inputs, ORT }) => {
      const t = await edge.openTracker({ dbName: 'python-models', remote: { trackingUri, autoSync: false } });
      const out: Record<string, { from: string; modelId: unknown; label: number[]; probabilities: number[] }> = {};
      for (const uri of uris) {
        const model = await t.loadModel(uri, { onnxruntime: ORT });
        const r = await model.predict(inputs);
        out[uri] = {
          from: model.metadata.loadedFrom,
          modelId: model.metadata.modelId,
          label: Array.from(r.outputs.label!.data as BigInt64Array, Number),
          probabilities: Array.from(r.outputs.probabilities!.data as Float32Array),
        };
        await model.close();
      }
      Object.assign(window, { t });
      return out;
    },
    { trackingUri: server.url, uris, inputs: logged.inputs, ORT },
  );
  for (const uri of uris) {
    expect(online[uri]!.modelId, uri).toBe(logged.model_id);
    expect(online[uri]!.label, uri).toEqual(logged.label);
    online[uri]!.probabilities.forEach((p, i) =>
      expect(Math.abs(p - logged.probabilities.flat()[i]!), uri).toBeLessThan(1e-5),
    );
  }
  // All five name the same model directory: fetched once, then read from the cache.
  expect(uris.map((u) => online[u]!.from)).toEqual(['server', 'cache', 'cache', 'cache', 'cache']);

  const bad = await page.evaluate(async () => {
    const { t } = window as unknown as { t: Awaited<ReturnType<typeof edge.openTracker>> };
    return errorsOf({
      'unknown alias': () => t.loadModel('models:/iris-sklearn@nope'),
      'unknown version': () => t.loadModel('models:/iris-sklearn/7'),
      'unknown registered model': () => t.loadModel('models:/no-such-model/latest'),
      'unknown run on the server': () => t.loadModel(`runs:/${'b'.repeat(32)}/model`),
      'unknown logged model': () => t.loadModel(`models:/m-${'c'.repeat(32)}`),
      'path that is not a model': () => t.loadModel('models:/iris-sklearn@champion/nothing-here'),
    });
  });
  expect(bad['unknown alias']).toMatchObject({ typed: true, code: 'INVALID_PARAMETER_VALUE' });
  expect(bad['unknown alias']!.message).toContain('alias nope not found');
  for (const name of [
    'unknown version',
    'unknown registered model',
    'unknown run on the server',
    'unknown logged model',
    'path that is not a model',
  ]) {
    expect(bad[name], name).toMatchObject({ typed: true, code: 'RESOURCE_DOES_NOT_EXIST' });
  }

  // Offline: the same URIs resolve from their last resolution, the files from the cache (checked by hash).
  await context.setOffline(true);
  const offline = await page.evaluate(
    async ({ inputs, ORT }) => {
      const { t } = window as unknown as { t: Awaited<ReturnType<typeof edge.openTracker>> };
      const model = await t.loadModel('models:/iris-sklearn@champion', { onnxruntime: ORT });
      const r = await model.predict(inputs);
      const never = await errorsOf({ 'never loaded, offline': () => t.loadModel('models:/iris-sklearn@other') });
      return {
        from: model.metadata.loadedFrom,
        label: Array.from(r.outputs.label!.data as BigInt64Array, Number),
        never,
      };
    },
    { inputs: logged.inputs, ORT },
  );
  await context.setOffline(false);
  expect(offline.from).toBe('cache');
  expect(offline.label).toEqual(logged.label);
  expect(offline.never['never loaded, offline']).toMatchObject({ typed: true, code: 'TEMPORARILY_UNAVAILABLE' });

  // Clearing the cache frees its files; the next load fetches them again.
  const cleared = await page.evaluate(async (ORT) => {
    const { t } = window as unknown as { t: Awaited<ReturnType<typeof edge.openTracker>> };
    const freed = await t.clearModelCache();
    const model = await t.loadModel('models:/iris-sklearn@champion', { onnxruntime: ORT });
    return { freed, from: model.metadata.loadedFrom };
  }, ORT);
  expect(cleared.freed).toBeGreaterThan(1000);
  expect(cleared.from).toBe('server');
  expect(errors).toEqual([]);
});

test('models logged and registered offline in the browser sync the MLflow 3 way and load in Python and from the server', async ({
  page,
  context,
}) => {
  const errors = watchErrors(page);
  await openLibrary(page);
  const local = await page.evaluate(
    async ({ iris, inputs, CIRCLE }) => {
      const t = await edge.openTracker({ dbName: 'registry-writer' });
      const run = await t.startRun({ experimentName: 'registry-exp', runName: 'trained-here' });
      run.logMetric('accuracy', 0.97);
      const onnx = await run.logModel(
        'iris',
        { onnx: new Uint8Array(iris) },
        { inputExample: inputs.slice(0, 2), registeredModelName: 'iris-edge' },
      );
      const circle = await run.logModel('circle', { code: CIRCLE }, { inputExample: [{ radius: 1 }] });
      const v2 = await t.registerModel(`runs:/${run.runId}/circle`, 'iris-edge');
      await t.setModelAlias('iris-edge', 'champion', 1);
      await t.setModelAlias('iris-edge', 'challenger', v2.version);
      await t.setModelAlias('iris-edge', 'gone', 1);
      await t.deleteModelAlias('iris-edge', 'gone');
      await run.end();
      const before = await t.getRegisteredModel('iris-edge');
      const localLoad = await t.loadModel('models:/iris-edge@challenger', { allowCode: true });
      await t.close();
      return { runId: run.runId, onnx, circle, v2, before, localFrom: localLoad.metadata.loadedFrom };
    },
    { iris, inputs: expected.inputs, CIRCLE },
  );
  expect(local.onnx.registeredModelVersion).toBe('1');
  expect(local.v2.version).toBe('2');
  expect(local.before.aliases).toEqual([
    { alias: 'challenger', version: '2' },
    { alias: 'champion', version: '1' },
  ]);
  expect(local.localFrom).toBe('local');

  // Someone else registered a version of the same name on the server first: ours become 2 and 3 there.
  await api('POST', 'registered-models/create', { name: 'iris-edge' });
  const exp = await api<{ experiment_id: string }>('POST', 'experiments/create', { name: 'other-exp' });
  const other = await api<{ run: { info: { run_id: string; artifact_uri: string } } }>('POST', 'runs/create', {
    experiment_id: exp.experiment_id,
  });
  await api('POST', 'model-versions/create', {
    name: 'iris-edge',
    source: `${other.run.info.artifact_uri}/model`,
    run_id: other.run.info.run_id,
  });

  const synced = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'registry-writer', remote: { trackingUri, autoSync: false } });
    const before = (await t.syncStatus()).pending;
    await t.sync();
    await t.sync(); // a second pass sends nothing new
    const after = await t.syncStatus();
    const versions = await t.searchModelVersions('iris-edge');
    const models = await t.listLoggedModels();
    await t.close();
    return { before, after, versions, models };
  }, server.url);
  expect(synced.before).toMatchObject({ runs: 1, models: 2, registry: 4 });
  expect(synced.after.pending).toEqual(NOTHING_PENDING);
  expect(synced.after.deadLetters).toEqual([]);
  expect(synced.versions.map((v) => [v.version, v.remoteVersion])).toEqual([
    ['1', '2'],
    ['2', '3'],
  ]);
  expect(synced.models.every((m) => m.synced && /^m-[0-9a-f]{32}$/.test(m.remoteModelId ?? ''))).toBe(true);

  // On the server: logged models READY, linked to the run, files at the model's root with the server's ids.
  const remoteRun = (
    await api<{ runs: { info: { run_id: string; experiment_id: string; artifact_uri: string }; outputs?: unknown }[] }>(
      'POST',
      'runs/search',
      {
        experiment_ids: [
          (
            await api<{ experiment: { experiment_id: string } }>('GET', 'experiments/get-by-name', {
              experiment_name: 'registry-exp',
            })
          ).experiment.experiment_id,
        ],
      },
    )
  ).runs;
  expect(remoteRun).toHaveLength(1);
  const runInfo = remoteRun[0]!.info;
  const { models } = await api<{
    models: { info: { model_id: string; name: string; status: string; source_run_id: string; artifact_uri: string } }[];
  }>('POST', 'logged-models/search', { experiment_ids: [runInfo.experiment_id] });
  expect(models.map((m) => [m.info.name, m.info.status, m.info.source_run_id]).sort()).toEqual([
    ['circle', 'LOGGED_MODEL_READY', runInfo.run_id],
    ['iris', 'LOGGED_MODEL_READY', runInfo.run_id],
  ]);
  const { run } = await api<{ run: { outputs: { model_outputs: { model_id: string }[] } } }>('GET', 'runs/get', {
    run_id: runInfo.run_id,
  });
  expect(run.outputs.model_outputs.map((o) => o.model_id).sort()).toEqual(models.map((m) => m.info.model_id).sort());
  const irisModel = models.find((m) => m.info.name === 'iris')!.info;
  const mlmodel = await artifactText(irisModel.artifact_uri, 'MLmodel');
  expect(mlmodel).toContain(`model_id: ${irisModel.model_id}\n`);
  expect(mlmodel).toContain(`run_id: ${runInfo.run_id}\n`);
  expect(mlmodel).toContain(`artifact_path: ${irisModel.artifact_uri}\n`);
  // MLflow 3 keeps model files under the model, not the run.
  const runFiles = await api<{ files?: { path: string }[] }>('GET', 'artifacts/list', { run_id: runInfo.run_id });
  expect(runFiles.files ?? []).toEqual([]);
  // The registry: our versions after the one already there, aliases with the server's numbers.
  const champion = await api<{ model_version: { version: string; source: string; run_id: string } }>(
    'GET',
    'registered-models/alias',
    { name: 'iris-edge', alias: 'champion' },
  );
  expect(champion.model_version).toMatchObject({
    version: '2',
    source: `models:/${irisModel.model_id}`,
    run_id: runInfo.run_id,
  });
  const challenger = await api<{ model_version: { version: string } }>('GET', 'registered-models/alias', {
    name: 'iris-edge',
    alias: 'challenger',
  });
  expect(challenger.model_version.version).toBe('3');
  const gone = await fetch(`${server.url}/api/2.0/mlflow/registered-models/alias?name=iris-edge&alias=gone`);
  expect(gone.status).toBe(400);
  const all = await api<{ model_versions: unknown[] }>('GET', 'model-versions/search', {
    filter: "name = 'iris-edge'",
  });
  expect(all.model_versions).toHaveLength(3);

  // MLflow Python loads the browser's model by its registry alias and predicts the same.
  const pyOut = (await py('pyfunc_predict.py', [
    server.url,
    'models:/iris-edge@champion',
    JSON.stringify(expected.inputs),
  ])) as { label: number[]; probabilities: number[][] };
  expect(pyOut.label).toEqual(expected.label);
  pyOut.probabilities
    .flat()
    .forEach((p, i) => expect(Math.abs(p - expected.probabilities.flat()[i]!)).toBeLessThan(1e-5));

  // Another database (another device, say) loads the code model from the server; after a reload, offline too.
  const reader = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'registry-reader', remote: { trackingUri, autoSync: false } });
    const model = await t.loadModel('models:/iris-edge@challenger', { allowCode: true });
    const areas = await model.predict<number[]>([{ radius: 2 }]);
    await t.close();
    return { from: model.metadata.loadedFrom, areas: areas.outputs, flavor: model.metadata.flavor };
  }, server.url);
  expect(reader).toEqual({ from: 'server', areas: [Math.PI * 4], flavor: 'mlflow_edge_js' });
  await page.reload();
  await openLibrary(page);
  const warm = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'registry-reader', remote: { trackingUri, autoSync: false } });
    Object.assign(window, { t });
    // Online again: the alias is resolved by the server, the files come from the cache. (This also
    // loads the library's model code, which a page without a service worker could not fetch offline.)
    return (await t.loadModel('models:/iris-edge@challenger', { allowCode: true })).metadata.loadedFrom;
  }, server.url);
  expect(warm).toBe('cache');
  await context.setOffline(true);
  const offline = await page.evaluate(async () => {
    const { t } = window as unknown as { t: Awaited<ReturnType<typeof edge.openTracker>> };
    const model = await t.loadModel('models:/iris-edge@challenger', { allowCode: true });
    return { from: model.metadata.loadedFrom, areas: (await model.predict<number[]>([{ radius: 1 }])).outputs };
  });
  await context.setOffline(false);
  expect(offline).toEqual({ from: 'cache', areas: [Math.PI] });
  expect(errors).toEqual([]);
});

test('lost responses and server errors while models and the registry sync: each model and version exists once', async ({
  page,
}) => {
  const { startFaultProxy } = await import('./fault-proxy.js');
  const proxy = await startFaultProxy({
    target: server.url,
    seed: 4242,
    rates: { dropResponse: 0.25, reset: 0.05, status503: 0.05, status500: 0.03 },
  });
  try {
    await openLibrary(page);
    const result = await page.evaluate(
      async ({ trackingUri, CIRCLE }) => {
        const t = await edge.openTracker({ dbName: 'registry-faults', remote: { trackingUri, autoSync: false } });
        const run = await t.startRun({ experimentName: 'registry-faults' });
        for (let i = 0; i < 4; i++) {
          const info = await run.logModel(
            `model-${i}`,
            { code: CIRCLE },
            { inputExample: [{ radius: i }], registeredModelName: 'faulty' },
          );
          await t.setModelAlias('faulty', `a${i}`, info.registeredModelVersion!);
        }
        await run.end();
        const tries = await syncRetrying(t, 15);
        const status = await t.syncStatus();
        const versions = await t.searchModelVersions('faulty');
        await t.close();
        return {
          tries,
          pending: status.pending,
          deadLetters: status.deadLetters,
          versions: versions.map((v) => v.remoteVersion),
        };
      },
      { trackingUri: proxy.url, CIRCLE },
    );
    expect(result.pending).toMatchObject({ runs: 0, models: 0, registry: 0 });
    expect(result.deadLetters).toEqual([]);
    expect(proxy.stats.dropResponse ?? 0).toBeGreaterThan(3);
    const experiment = (
      await api<{ experiment: { experiment_id: string } }>('GET', 'experiments/get-by-name', {
        experiment_name: 'registry-faults',
      })
    ).experiment;
    const { models } = await api<{
      models: { info: { name: string; status: string; tags?: { key: string; value: string }[] } }[];
    }>('POST', 'logged-models/search', {
      experiment_ids: [experiment.experiment_id],
    });
    expect(models.map((m) => m.info.name).sort()).toEqual(['model-0', 'model-1', 'model-2', 'model-3']);
    expect(models.every((m) => m.info.status === 'LOGGED_MODEL_READY')).toBe(true);
    const { model_versions } = await api<{ model_versions: { version: string; source: string }[] }>(
      'GET',
      'model-versions/search',
      { filter: "name = 'faulty'" },
    );
    expect(model_versions).toHaveLength(4);
    expect(new Set(model_versions.map((v) => v.source)).size).toBe(4);
    for (let i = 0; i < 4; i++) {
      const alias = await api<{ model_version: { version: string } }>('GET', 'registered-models/alias', {
        name: 'faulty',
        alias: `a${i}`,
      });
      expect(alias.model_version.version).toBe(result.versions[i]);
    }
  } finally {
    await proxy.stop();
  }
});

test('a server restored from an older backup: the registry version and alias it lost come back, once, as MLflow itself answers', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const errors = watchErrors(page);
  await openLibrary(page);
  const dbName = 'registry-restore';
  const logged = await page.evaluate(
    async ({ trackingUri, dbName, CIRCLE }) => {
      const t = await edge.openTracker({ dbName, remote: { trackingUri, autoSync: false } });
      const run = await t.startRun({ experimentName: 'registry-restore' });
      const info = await run.logModel(
        'circle',
        { code: CIRCLE },
        { inputExample: [{ radius: 1 }], registeredModelName: 'restored' },
      );
      await t.setModelAlias('restored', 'champion', 1);
      await run.end();
      await t.sync();
      await t.close();
      return info;
    },
    { trackingUri: server.url, dbName, CIRCLE },
  );
  const backup = await server.backup();
  // Registered again after the backup, from the same model (no new run), and the alias moved to it.
  await page.evaluate(
    async ({ trackingUri, dbName, modelId }) => {
      const t = await edge.openTracker({ dbName, remote: { trackingUri, autoSync: false } });
      const v2 = await t.registerModel(`models:/${modelId}`, 'restored');
      await t.setModelAlias('restored', 'champion', v2.version);
      await t.sync();
      await t.close();
    },
    { trackingUri: server.url, dbName, modelId: logged.modelId },
  );
  expect(
    (
      await api<{ model_version: { version: string } }>('GET', 'registered-models/alias', {
        name: 'restored',
        alias: 'champion',
      })
    ).model_version.version,
  ).toBe('2');

  await server.restore(backup);
  // MLflow's own answers: version 2 is gone and champion names version 1 again.
  expect((await fetch(`${server.url}/api/2.0/mlflow/model-versions/get?name=restored&version=2`)).status).toBe(404);
  expect(
    (
      await api<{ model_version: { version: string } }>('GET', 'registered-models/alias', {
        name: 'restored',
        alias: 'champion',
      })
    ).model_version.version,
  ).toBe('1');

  const synced = await page.evaluate(
    async ({ trackingUri, dbName }) => {
      const t = await edge.openTracker({ dbName, remote: { trackingUri, autoSync: false } });
      await t.sync();
      const notice = (await t.syncStatus()).lastNotice?.message;
      await t.sync();
      const status = await t.syncStatus();
      const versions = await t.searchModelVersions('restored');
      const registered = await t.getRegisteredModel('restored');
      const [model] = await t.listLoggedModels();
      await t.close();
      return { notice, status, versions, registered, model };
    },
    { trackingUri: server.url, dbName },
  );
  expect(synced.notice).toMatch(/no longer has/);
  expect(synced.status.pending).toEqual(NOTHING_PENDING);
  expect(synced.status.deadLetters).toEqual([]);
  expect(synced.versions.map((v) => [v.version, v.remoteVersion])).toEqual([
    ['1', '1'],
    ['2', '2'],
  ]);
  // The server equals the local registry: each local version once, from the browser's logged model, and the aliases on the server's numbers.
  const { model_versions } = await api<{
    model_versions: { version: string; source: string; model_id?: string; tags?: { key: string; value: string }[] }[];
  }>('GET', 'model-versions/search', {
    filter: "name = 'restored'",
  });
  expect(model_versions.map((v) => v.version).sort()).toEqual(['1', '2']);
  for (const v of model_versions) {
    expect(v.source).toBe(`models:/${synced.model!.remoteModelId}`);
    expect(v.tags?.some((t) => t.key === 'mlflow-edge.clientVersionId')).toBe(true);
  }
  const { registered_model } = await api<{ registered_model: { aliases?: { alias: string; version: string }[] } }>(
    'GET',
    'registered-models/get',
    { name: 'restored' },
  );
  const remoteOf = new Map(synced.versions.map((v) => [v.version, v.remoteVersion]));
  expect(registered_model.aliases).toEqual(
    synced.registered.aliases.map((a) => ({ alias: a.alias, version: remoteOf.get(a.version) })),
  );
  expect(
    (
      await api<{ model_version: { version: string } }>('GET', 'registered-models/alias', {
        name: 'restored',
        alias: 'champion',
      })
    ).model_version.version,
  ).toBe('2');
  const { model } = await api<{ model: { info: { status: string } } }>(
    'GET',
    `logged-models/${synced.model!.remoteModelId}`,
  );
  expect(model.info.status).toBe('LOGGED_MODEL_READY');
  expect(errors).toEqual([]);
});
