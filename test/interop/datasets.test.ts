// Dataset inputs against a real MLflow 3 server and MLflow Python: a run logged here with
// run.logInput and synced, read back with mlflow.get_run(...).inputs.dataset_inputs, equals a
// control run that MLflow Python's own mlflow.log_input wrote for the same data (datasets.py).
//   npx vitest run --config test/interop/vitest.config.ts test/interop/datasets.test.ts
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Remote } from 'comlink';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Tracker } from '../../src/client/tracker.js';
import type { TrackerWorkerApi } from '../../src/protocol.js';
import { fromColumns, fromNumpy } from '../../src/schema/datasets/dataset.js';
import { TrackerService } from '../../src/worker/service.js';
import { MLFLOW2_BIN, startMlflowServer, type MlflowServer } from './mlflow-server.js';

const PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./datasets.py', import.meta.url));
const URL_SOURCE = 'https://example.com/data/iris.csv';

const python = (...args: string[]) =>
  execFileSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000 })
    .trim()
    .split('\n')
    .at(-1)!;

let server: MlflowServer;
beforeAll(async () => {
  server = await startMlflowServer();
});
afterAll(async () => {
  await server?.stop();
});

it('a synced run reads back in MLflow Python as the same dataset inputs as a Python control run', async () => {
  const controlId = python('log', server.url, 'datasets-control');

  const service = new TrackerService();
  await service.open({
    dbName: 'datasets-interop',
    store: { memory: 'datasets-interop' },
    remote: { trackingUri: server.url, autoSync: false },
  });
  const tracker = new Tracker({ terminate() {} } as unknown as Worker, service as unknown as Remote<TrackerWorkerApi>, {
    dbName: 'datasets-interop',
  });
  const run = await tracker.startRun({ experimentName: 'datasets-edge' });
  const iris = fromColumns(
    {
      sepal_length: [5.1, 4.9, 6.3, Number.NaN],
      species: ['setosa', 'setosa', 'virginica', 'virginica'],
      petal: [1, 2, 3, 4],
      ok: [true, false, true, true],
    },
    { name: 'iris', source: URL_SOURCE },
  );
  await run.logInput(iris, { context: 'training', tags: { split: 'a' } });
  const features = Float32Array.from({ length: 12 }, (_, i) => i / 2);
  const f32 = fromNumpy(
    { data: features, shape: [3, 4] },
    { name: 'f32', source: URL_SOURCE, targets: BigInt64Array.from([0n, 1n, 2n]) },
  );
  await run.logInput(f32, { context: 'eval' });
  // MLflow 3's model inputs: the run names a logged model it used.
  const model = await run.logModel('m', {
    code: "import { setModel } from 'mlflow-edge/model';\nsetModel({ predict: (c, rows) => rows.map(() => 1) });",
  });
  await run.logInput(null, { model: model.modelId });
  await run.end();
  await tracker.sync();
  const status = await tracker.syncStatus();
  expect(status.deadLetters).toEqual([]);
  const remoteId = (await tracker.getRun(run.runId)).info.remoteRunId!;
  const [logged] = await tracker.listLoggedModels();
  await tracker.close();

  type Inputs = { datasets: unknown[]; models: string[] };
  const controlInputs = JSON.parse(python('read', server.url, controlId)) as Inputs;
  const edgeInputs = JSON.parse(python('read', server.url, remoteId)) as Inputs;
  expect(controlInputs.models).toHaveLength(1);
  expect(edgeInputs.models).toEqual([logged!.remoteModelId]);
  const control = controlInputs.datasets;
  const edge = edgeInputs.datasets;
  expect(control).toHaveLength(2);
  expect(control).toContainEqual(
    expect.objectContaining({
      name: 'iris',
      source_type: 'http',
      tags: { split: 'a', 'mlflow.data.context': 'training' },
    }),
  );
  expect(edge).toEqual(control);
});

it('an MLflow 2 server takes the dataset inputs too; a model input has nothing to link there', async () => {
  const mlflow2 = await startMlflowServer({ bin: MLFLOW2_BIN });
  try {
    const service = new TrackerService();
    await service.open({
      dbName: 'datasets-mlflow2',
      store: { memory: 'datasets-mlflow2' },
      remote: { trackingUri: mlflow2.url, autoSync: false },
    });
    const tracker = new Tracker(
      { terminate() {} } as unknown as Worker,
      service as unknown as Remote<TrackerWorkerApi>,
      { dbName: 'datasets-mlflow2' },
    );
    const run = await tracker.startRun({ experimentName: 'datasets-mlflow2' });
    const dataset = fromColumns({ x: [1, 2, 3], label: ['a', 'b', 'c'] }, { name: 'small', source: URL_SOURCE });
    await run.logInput(dataset, { context: 'training' });
    const model = await run.logModel('m', {
      code: "import { setModel } from 'mlflow-edge/model';\nsetModel({ predict: (c, rows) => rows.map(() => 1) });",
    });
    await run.logInput(null, { model: model.modelId });
    await run.end();
    await tracker.sync();
    const status = await tracker.syncStatus();
    expect(status.deadLetters).toEqual([]);
    expect(status.pending.runs).toBe(0);
    const remoteId = (await tracker.getRun(run.runId)).info.remoteRunId!;
    await tracker.close();
    const got = (await (await fetch(`${mlflow2.url}/api/2.0/mlflow/runs/get?run_id=${remoteId}`)).json()) as {
      run: { inputs: { dataset_inputs: { tags: unknown[]; dataset: Record<string, string> }[] } };
    };
    expect(got.run.inputs.dataset_inputs).toEqual([
      {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: {
          name: 'small',
          digest: dataset.digest,
          source_type: 'http',
          source: dataset.source,
          schema: dataset.schema,
          profile: dataset.profile,
        },
      },
    ]);
  } finally {
    await mlflow2.stop();
  }
});
