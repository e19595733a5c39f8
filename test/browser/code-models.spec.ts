import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, openLibrary, test } from './fixtures.js';
import { PAGE } from '../../playwright.config.js';

const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs' };
const iris = [...readFileSync(new URL('../fixtures/models/iris-onnx/model.onnx', import.meta.url))];

// Seed 001's example: a model defined in code, logged, then loaded again.
const CIRCLE = `
import { setModel } from 'mlflow-edge/model';
setModel({
  predict(context, input) {
    return input.map((row) => Math.PI * row.radius ** 2);
  },
});
`;

test('a JavaScript code model is logged, survives a reload, and loads offline by runs:/', async ({ page }) => {
  const runId = await page.evaluate(async (code) => {
    const t = await edge.openTracker({ dbName: 'code-models' });
    const run = await t.startRun({ runName: 'circle' });
    const info = await run.logModel('circle', { code }, { inputExample: [{ radius: 1 }, { radius: 2.5 }] });
    await run.end();
    return info.runId;
  }, CIRCLE);
  await page.reload();
  await openLibrary(page);
  const result = await page.evaluate(async (runId) => {
    const t = await edge.openTracker({ dbName: 'code-models' });
    const [logged] = await t.listLoggedModels();
    const files = (await t.listLoggedModelArtifacts(logged!.modelId)).map((f) => f.path);
    const model = await t.loadModel(`runs:/${runId}/circle`, { allowCode: true });
    const areas = await model.predict<number[]>([{ radius: 2 }, { radius: 0.5 }]);
    const mlmodel = await (await t.readLoggedModelArtifact(logged!.modelId, 'MLmodel')).text();
    return {
      files,
      areas: areas.outputs,
      signature: model.metadata.signature,
      flavor: model.metadata.flavor,
      mlmodel,
      logged,
      modelId: model.metadata.modelId,
      loadedFrom: model.metadata.loadedFrom,
    };
  }, runId);
  expect(result.files).toEqual(['MLmodel', 'input_example.json', 'model.js', 'serving_input_example.json']);
  expect(result.logged).toMatchObject({
    runId,
    name: 'circle',
    flavors: ['mlflow_edge_js'],
    synced: false,
    modelUri: `models:/${result.modelId}`,
  });
  expect(result.loadedFrom).toBe('local');
  expect(result.flavor).toBe('mlflow_edge_js');
  expect(result.areas).toEqual([Math.PI * 4, Math.PI * 0.25]);
  expect(result.signature?.inputs).toEqual({
    kind: 'columns',
    columns: [{ name: 'radius', type: 'double', required: true }],
  });
  expect(result.mlmodel).toMatch(
    /^artifact_path: circle\nflavors:\n {2}mlflow_edge_js:\n {4}code: model.js\n {4}sha256: [0-9a-f]{64}\n/,
  );
  expect(result.mlmodel).toContain(`model_id: ${result.modelId}\n`);
});

test('an ONNX model logged in the browser loads back, and a code model can combine it', async ({ page }) => {
  const out = await page.evaluate(
    async ({ iris, ORT }) => {
      const t = await edge.openTracker({ dbName: 'logged-onnx' });
      const run = await t.startRun();
      const row = [5.1, 3.5, 1.4, 0.2];
      const logged = await run.logModel('iris', { onnx: new Uint8Array(iris) }, { inputExample: [row] });
      const combined = `
        import { setModel } from 'mlflow-edge/model';
        setModel({
          async predict(context, input) {
            const r = await context.models.iris.predict(input.map((x) => [x.a, x.b, x.c, x.d]));
            return Array.from(r.label.data, (v) => ['setosa', 'versicolor', 'virginica'][Number(v)] + ' ' + context.artifacts.suffix.size);
          },
        });`;
      await run.logModel('named', {
        code: combined,
        models: { iris: `runs:/${run.runId}/iris` },
        artifacts: { suffix: 'abc' },
      });
      const onnx = await t.loadModel(`runs:/${run.runId}/iris`, { onnxruntime: ORT });
      const label = Array.from((await onnx.predict([row])).outputs.label!.data as BigInt64Array, Number);
      const files = (await t.listLoggedModelArtifacts(logged.modelId)).map((f) => f.path);
      const named = await t.loadModel(`runs:/${run.runId}/named`, { allowCode: true, onnxruntime: ORT });
      const names = await named.predict<string[]>([{ a: 5.1, b: 3.5, c: 1.4, d: 0.2 }]);
      return { label, files, names: names.outputs, meta: onnx.metadata.flavors };
    },
    { iris, ORT },
  );
  expect(out.label).toEqual([0]);
  expect(out.names).toEqual(['setosa 3']);
  expect(out.files).toEqual([
    'MLmodel',
    'conda.yaml',
    'input_example.json',
    'model.onnx',
    'python_env.yaml',
    'requirements.txt',
    'serving_input_example.json',
  ]);
  expect(Object.keys(out.meta).sort()).toEqual(['onnx', 'python_function']);
});

test('code models: consent, integrity and failures are typed errors', async ({ page }) => {
  const outcomes = await page.evaluate(async (circle) => {
    const t = await edge.openTracker({ dbName: 'code-bad' });
    const run = await t.startRun();
    const log = (name: string, code: string, example?: unknown) =>
      run.logModel(name, { code }, example ? { inputExample: example } : {});
    await log('circle', circle, [{ radius: 1 }]);
    // A model directory copied into the run's artifacts, its code changed after logging.
    const original = await log('original', circle);
    await run.logArtifact('tampered/MLmodel', await t.readLoggedModelArtifact(original.modelId, 'MLmodel'));
    await run.logArtifact('tampered/model.js', circle.replace('Math.PI', '3'));
    await log('no-setmodel', 'export const x = 1;');
    await log(
      'throws',
      "import { setModel } from 'mlflow-edge/model'; setModel({ predict() { throw new Error('boom'); } });",
    );
    await log('syntax', 'this is not javascript(');
    await log(
      'load-throws',
      "import { setModel } from 'mlflow-edge/model'; setModel({ load() { throw new Error('no'); }, predict() { return 1; } });",
    );
    // An integer column and a params schema, to check values MLflow refuses.
    await run.logModel(
      'counts',
      {
        code: "import { setModel } from 'mlflow-edge/model'; setModel({ predict(c, input, params) { return input.map((r) => r.n * params.k); } });",
      },
      {
        signature: {
          inputs: '[{"type": "long", "name": "n", "required": true}]',
          outputs: null,
          params: '[{"name": "k", "type": "long", "default": 2, "shape": null}]',
        },
      },
    );
    const counts = await t.loadModel(`runs:/${run.runId}/counts`, { allowCode: true });
    const uri = (name: string) => `runs:/${run.runId}/${name}`;
    const cases: Record<string, () => Promise<unknown>> = {
      'NaN in an integer column': () => counts.predict([{ n: NaN }]),
      'fraction in an integer column': () => counts.predict([{ n: 1.5 }]),
      'param of a wrong type': () => counts.predict([{ n: 1 }], { k: 'three' }),
      'param with a list for a scalar': () => counts.predict([{ n: 1 }], { k: [1, 2] }),
      'unknown registered model alias': () => t.loadModel('models:/never-registered@champion'),
      'bad alias name': () => t.setModelAlias('x', 'latest', 1),
      'alias for a version that does not exist': async () => {
        await t.registerModel(uri('circle'), 'circle-reg');
        return t.setModelAlias('circle-reg', 'champion', 9);
      },
      'register a model that is not here': () => t.registerModel(`models:/m-${'0'.repeat(32)}`, 'x'),
      'loaded without allowCode': () => t.loadModel(uri('circle')),
      'code whose hash does not match': () => t.loadModel(uri('tampered'), { allowCode: true }),
      'code without setModel': () => t.loadModel(uri('no-setmodel'), { allowCode: true }),
      'code that does not parse': () => t.loadModel(uri('syntax'), { allowCode: true }),
      'load() that throws': () => t.loadModel(uri('load-throws'), { allowCode: true }),
      'predict() that throws': async () => (await t.loadModel(uri('throws'), { allowCode: true })).predict([1]),
      'missing column': async () => (await t.loadModel(uri('circle'), { allowCode: true })).predict([{ diameter: 2 }]),
      'wrong column type': async () =>
        (await t.loadModel(uri('circle'), { allowCode: true })).predict([{ radius: 'two' }]),
      'unknown model path': () => t.loadModel(uri('nope'), { allowCode: true }),
      'model name with ..': () => run.logModel('../x', { code: circle }),
      'no model given': () => run.logModel('empty', {} as never),
      'empty registered model name': () => run.logModel('r', { code: circle }, { registeredModelName: '' }),
      'model name with a dot': () => run.logModel('model.v2', { code: circle }),
    };
    const out = await errorsOf(cases);
    const ok = await (await t.loadModel(uri('circle'), { allowCode: true })).predict<number[]>([{ radius: 1 }]);
    // MLflow drops params the schema does not name, with a warning; so does this.
    const unknownParam = await counts.predict<number[]>([{ n: 3 }], { nope: 1 });
    return { out, ok: ok.outputs, unknownParam };
  }, CIRCLE);
  const codes: Record<string, string> = {
    'loaded without allowCode': 'PERMISSION_DENIED',
    'predict() that throws': 'BAD_REQUEST',
    'load() that throws': 'BAD_REQUEST',
    'unknown model path': 'RESOURCE_DOES_NOT_EXIST',
    'unknown registered model alias': 'RESOURCE_DOES_NOT_EXIST',
    'alias for a version that does not exist': 'RESOURCE_DOES_NOT_EXIST',
    'register a model that is not here': 'RESOURCE_DOES_NOT_EXIST',
  };
  for (const [name, o] of Object.entries(outcomes.out)) {
    expect(o.typed, `${name}: ${o.message}`).toBe(true);
    expect(o.code, `${name}: ${o.message}`).toBe(codes[name] ?? 'INVALID_PARAMETER_VALUE');
  }
  expect(outcomes.out['code whose hash does not match']!.message).toMatch(/sha256/);
  expect(outcomes.ok).toEqual([Math.PI]);
  expect(outcomes.unknownParam.outputs).toEqual([6]);
  expect(outcomes.unknownParam.warnings.join(' ')).toContain('nope');
});

// A code model that says when its module runs: it posts its name on a BroadcastChannel the page listens on.
const announcing = (who: string) => `
import { setModel } from 'mlflow-edge/model';
new BroadcastChannel('model-ran').postMessage(${JSON.stringify(who)});
setModel({ predict: () => ${JSON.stringify(who)} });
`;

/**
 * Listens on the channel; `ranUntil(name)` resolves with every name posted up to and including
 * `name`. Messages from the worker arrive in order, so once the last (legitimate) load's name
 * arrives, any code an earlier refused load had run would be in the list before it.
 */
async function listenForRuns(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    const waiters: Array<() => void> = [];
    new BroadcastChannel('model-ran').onmessage = (e) => {
      seen.push(e.data as string);
      for (const w of waiters.splice(0)) w();
    };
    Object.assign(window, {
      ranUntil: async (name: string) => {
        while (!seen.includes(name)) await new Promise<void>((ok) => waiters.push(ok));
        return [...seen];
      },
    });
  });
}

test('model URIs and MLmodel paths that lead out of their run or model are refused, locally and on a server, and no code runs', async ({
  page,
}) => {
  await listenForRuns(page);
  // Two runs, each with a code model; b's code would announce itself if it ran.
  const logged = await page.evaluate(
    async ({ a, b }) => {
      const t = await edge.openTracker({ dbName: 'escape' });
      const runA = await t.startRun();
      const infoA = await runA.logModel('a', { code: a });
      await runA.end();
      const runB = await t.startRun();
      const infoB = await runB.logModel('b', { code: b });
      await runB.end();
      const text = async (path: string) => (await t.readLoggedModelArtifact(infoB.modelId, path)).text();
      const files = { mlmodelB: await text('MLmodel'), codeB: await text('model.js') };
      await t.close();
      return { runA: runA.runId, runB: runB.runId, modelA: infoA.modelId, modelB: infoB.modelId, ...files };
    },
    { a: announcing('a'), b: announcing('b') },
  );
  // A fake MLflow server (same origin) that knows one run, X, and serves run B's model files
  // where a URL normalized from X's artifact root with '..' would land.
  const tracking = `${PAGE}/fake-mlflow`;
  const runX = 'c'.repeat(32);
  const artifacts: Record<string, string> = {
    [`1/${logged.runB}/artifacts/b/MLmodel`]: logged.mlmodelB,
    [`1/${logged.runB}/artifacts/b/model.js`]: logged.codeB,
    [`1/${runX}/artifacts/m/MLmodel`]: logged.mlmodelB.replace(
      'code: model.js',
      `code: ../../../${logged.runB}/artifacts/b/model.js`,
    ),
  };
  const served: string[] = [];
  await page.route(`${tracking}/**`, async (route) => {
    const url = new URL(route.request().url());
    const json = (body: unknown) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    if (url.pathname.endsWith('/api/2.0/mlflow/runs/get')) {
      return json({
        run: { info: { run_id: runX, experiment_id: '1', artifact_uri: `mlflow-artifacts:/1/${runX}/artifacts` } },
      });
    }
    if (url.pathname.endsWith('/api/2.0/mlflow/logged-models/search')) return json({ models: [] });
    if (url.pathname.endsWith('/version'))
      return route.fulfill({ status: 200, contentType: 'text/plain', body: '3.17.2' });
    const file = decodeURIComponent(url.pathname.split('/mlflow-artifacts/artifacts/')[1] ?? '');
    served.push(file);
    return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: artifacts[file] ?? '' });
  });
  const outcomes = await page.evaluate(
    async ({ runA, runB, modelA, modelB, runX, tracking }) => {
      const t = await edge.openTracker({ dbName: 'escape' });
      const load = (uri: string) => () => t.loadModel(uri, { allowCode: true });
      const cases: Record<string, () => Promise<unknown>> = {
        '..': load(`runs:/${runA}/../${runB}/b`),
        '../..': load(`runs:/${runA}/../../${runB}/b`),
        'a/../..': load(`runs:/${runA}/a/../../${runB}/b`),
        '%2e%2e': load(`runs:/${runA}/%2e%2e/%2e%2e/${runB}/b`),
        '%2E%2e': load(`runs:/${runA}/%2E%2e/${runB}/b`),
        '..%2f': load(`runs:/${runA}/..%2f..%2f${runB}/b`),
        '%5c': load(`runs:/${runA}/..%5c..%5c${runB}/b`),
        backslashes: load(`runs:/${runA}\\..\\..\\${runB}\\b`),
        'double encoding': load(`runs:/${runA}/%252e%252e/${runB}/b`),
        'empty segment': load(`runs:/${runA}//b`),
        'models:/ of a logged model': load(`models:/${modelA}/../${modelB}`),
        'models:/ with a path': load(`models:/${modelA}/../${modelB}/model.js`),
        'read a logged model file': () => t.readLoggedModelArtifact(modelA, `../${modelB}/model.js`),
        'list a logged model directory': () => t.listLoggedModelArtifacts(modelA, '%2e%2e'),
      };
      const local = await errorsOf(cases);
      await t.setRemote({ trackingUri: tracking, autoSync: false });
      const remote = await errorsOf({
        'server: runs:/ with ..': load(`runs:/${runX}/../../${runB}/artifacts/b`),
        'server: runs:/ with %2e%2e': load(`runs:/${runX}/%2e%2e/%2e%2e/${runB}/artifacts/b`),
        'server: MLmodel code path with ..': load(`runs:/${runX}/m`),
      });
      // The legitimate load of b runs its code, once: the last message.
      const b = await t.loadModel(`runs:/${runB}/b`, { allowCode: true });
      const ran = await (window as unknown as { ranUntil(name: string): Promise<string[]> }).ranUntil('b');
      const a = await (await t.loadModel(`models:/${modelA}`, { allowCode: true })).predict([1]);
      return { local, remote, ran, b: (await b.predict([1])).outputs, a: a.outputs };
    },
    { ...logged, runX, tracking },
  );
  for (const [name, o] of Object.entries({ ...outcomes.local, ...outcomes.remote })) {
    expect(o.typed, `${name}: ${o.message}`).toBe(true);
    expect(o.code, `${name}: ${o.message}`).toBe('INVALID_PARAMETER_VALUE');
  }
  for (const [name, o] of Object.entries({ ...outcomes.local, ...outcomes.remote })) {
    const field = name.startsWith('read') ? 'path' : name.startsWith('list') ? 'dir' : 'uri';
    expect(o.field, `${name}: ${o.message}`).toBe(field);
  }
  expect(outcomes.local['../..']!.message).toMatch(/'\.\.' segment.*runs:\/<its run_id>\/<name>/);
  expect(outcomes.local['%2e%2e']!.message).toContain("'%2e'");
  expect(outcomes.remote['server: MLmodel code path with ..']!.message).toContain('flavors.mlflow_edge_js.code');
  expect(outcomes.ran).toEqual(['b']);
  expect([outcomes.a, outcomes.b]).toEqual(['a', 'b']);
  // Only the MLmodel whose code path was refused was fetched: nothing of run B.
  expect(served).toEqual([`1/${runX}/artifacts/m/MLmodel`]);
});

test('a stored model file changed on disk is refused (DATA_LOSS) and its code does not run; other models still load', async ({
  page,
}) => {
  await listenForRuns(page);
  const outcomes = await page.evaluate(
    async ({ victim, evil, other }) => {
      const dbName = 'tampered-store';
      const t = await edge.openTracker({ dbName });
      const run = await t.startRun();
      const onlyCode = await run.logModel('only-code', { code: victim });
      const both = await run.logModel('both', { code: victim });
      const otherModel = await run.logModel('other', { code: other });
      await run.end();
      // What a damaged disk or another script with this origin's storage could do: rewrite the
      // model's files in OPFS, leaving the records (and their sha256) in IndexedDB as they were.
      const idb = await new Promise<IDBDatabase>((ok, fail) => {
        const request = indexedDB.open(dbName);
        request.onsuccess = () => ok(request.result);
        request.onerror = () => fail(request.error);
      });
      const fileOf = (owner: string, path: string) =>
        new Promise<string>((ok, fail) => {
          const request = idb.transaction('artifacts').objectStore('artifacts').get([owner, path]);
          request.onsuccess = () => ok((request.result as { location: { kind: string; file: string } }).location.file);
          request.onerror = () => fail(request.error);
        });
      const dir = await (
        await (await navigator.storage.getDirectory()).getDirectoryHandle('mlflow-edge-artifacts')
      ).getDirectoryHandle(encodeURIComponent(dbName));
      const overwrite = async (owner: string, path: string, text: string) => {
        const writable = await (await dir.getFileHandle(await fileOf(owner, path))).createWritable();
        await writable.write(text);
        await writable.close();
      };
      const sha256 = async (text: string) =>
        Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))), (b) =>
          b.toString(16).padStart(2, '0'),
        ).join('');
      // 1. Only the code changed: its sha256 no longer matches anything recorded.
      await overwrite(onlyCode.modelId, 'model.js', evil);
      // 2. The code and MLmodel's sha256 changed together, so the flavor's own check passes.
      const mlmodel = await (await t.readLoggedModelArtifact(both.modelId, 'MLmodel')).text();
      await overwrite(
        both.modelId,
        'MLmodel',
        mlmodel.replace(/sha256: [0-9a-f]{64}/, `sha256: ${await sha256(evil)}`),
      );
      await overwrite(both.modelId, 'model.js', evil);
      idb.close();
      const out = await errorsOf({
        'code changed': () => t.loadModel(onlyCode.modelUri, { allowCode: true }),
        'code and MLmodel changed': () => t.loadModel(both.modelUri, { allowCode: true }),
        'by runs:/': () => t.loadModel(`runs:/${run.runId}/both`, { allowCode: true }),
      });
      const loaded = await t.loadModel(otherModel.modelUri, { allowCode: true });
      const ran = await (window as unknown as { ranUntil(name: string): Promise<string[]> }).ranUntil('other');
      return { out, ran, other: (await loaded.predict([1])).outputs };
    },
    { victim: announcing('victim'), evil: announcing('tampered'), other: announcing('other') },
  );
  for (const [name, o] of Object.entries(outcomes.out)) {
    expect(o.typed, `${name}: ${o.message}`).toBe(true);
    expect(o.code, `${name}: ${o.message}`).toBe('DATA_LOSS');
    expect(o.field, `${name}: ${o.message}`).toBe('uri');
    expect(o.message).toMatch(/changed or damaged.*Log the model again/);
  }
  expect(outcomes.out['code changed']!.message).toContain("'model.js'");
  expect(outcomes.out['code and MLmodel changed']!.message).toContain("'MLmodel'");
  expect(outcomes.ran).toEqual(['other']);
  expect(outcomes.other).toBe('other');
});
