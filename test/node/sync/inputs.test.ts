/**
 * Dataset inputs go to the server with runs/log-inputs exactly once, as
 * MLflow's DatasetInput messages; a server that lost them gets them again;
 * a dataset the server refuses is a dead letter and the rest goes on.
 */
import { describe, expect, it } from 'vitest';
import { fromColumns, fromRecords } from '../../../src/schema/datasets/dataset.js';
import type { MlflowEdgeError } from '../../../src/schema/errors.js';
import { nothingPending, open, server } from './harness.js';

const CODE = "import { setModel } from 'mlflow-edge/model';\nsetModel({ predict: (c, rows) => rows.map(() => 1) });";

const iris = fromRecords(
  [
    { sepal: 5.1, species: 'setosa' },
    { sepal: 7, species: 'versicolor' },
  ],
  { name: 'iris', source: 'https://example.com/iris.csv' },
);
const wine = fromColumns({ acidity: [0.5, 0.25] }, { name: 'wine' });

describe('dataset inputs sync', () => {
  it('are sent once with runs/log-inputs, as MLflow DatasetInputs, and verified', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'ds' });
    run.logParam('a', 1);
    await run.logInput(iris, { context: 'training' });
    await run.logInput(wine, { context: 'eval', tags: { split: 'b' } });
    await run.end();
    await t.sync();
    await t.sync();
    const sent = s.requests.filter((r) => r.endpoint === 'runs/log-inputs');
    expect(sent).toHaveLength(1);
    const remote = s.runsOf('ds')[0]!;
    expect(remote.inputs).toEqual([
      {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: {
          name: 'iris',
          digest: iris.digest,
          source_type: 'http',
          source: '{"url": "https://example.com/iris.csv"}',
          schema: iris.schema,
          profile: iris.profile,
        },
      },
      {
        tags: [
          { key: 'split', value: 'b' },
          { key: 'mlflow.data.context', value: 'eval' },
        ],
        dataset: expect.objectContaining({ name: 'wine', digest: wine.digest, source_type: 'code' }),
      },
    ]);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    // An input logged to the run later goes alone.
    const again = await t.startRun({ runId: run.runId });
    await again.logInput(fromColumns({ x: [1] }, { name: 'late' }));
    await again.end();
    await t.sync();
    expect(s.requests.filter((r) => r.endpoint === 'runs/log-inputs')).toHaveLength(2);
    expect(remote.inputs!.map((i) => i.dataset.name)).toEqual(['iris', 'wine', 'late']);
  });

  it('a server that lost them gets them again', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'ds' });
    await run.logInput(iris, { context: 'training' });
    await run.end();
    await t.sync();
    const remote = s.runsOf('ds')[0]!;
    remote.inputs = [];
    // The next look compares the server's copy and uploads what it lacks.
    await t.startRun({ runId: run.runId }).then((r) => r.end());
    await t.sync();
    await t.sync();
    expect(remote.inputs.map((i) => i.dataset.name)).toEqual(['iris']);
  });

  it('a run deleted here is deleted on the server after its model input is linked (MLflow refuses inputs to deleted runs)', async () => {
    const s = server();
    const { t } = await open(s.url);
    const train = await t.startRun({ experimentName: 'ds', runName: 'train' });
    const model = await train.logModel('m', { code: CODE }, { inputExample: [{ r: 1 }] });
    await train.end();
    const evaluate = await t.startRun({ experimentName: 'ds', runName: 'eval' });
    await evaluate.logInput(wine, { context: 'eval', model: model.modelId });
    await evaluate.end();
    await t.deleteRun(evaluate.runId);
    await t.sync();
    const remoteModel = [...s.db.models.values()].find((m) => m.info.name === 'm')!;
    const remote = s.runsOf('ds', 'deleted').find((r) => r.info.run_name === 'eval')!;
    expect(remote.modelInputs).toEqual([remoteModel.info.model_id]);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    // The model on the server already: linked in the run's upload, deleted after, and checked in the same pass.
    const again = await t.startRun({ experimentName: 'ds', runName: 'again' });
    await again.logInput(wine, { context: 'eval', model: model.modelId });
    await again.end();
    await t.deleteRun(again.runId);
    await t.sync();
    expect(s.runsOf('ds', 'deleted').find((r) => r.info.run_name === 'again')!.modelInputs).toEqual([
      remoteModel.info.model_id,
    ]);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
  });

  it('a logged model the run used is linked as a model input, with its id on the server, once', async () => {
    const s = server();
    const { t } = await open(s.url);
    const train = await t.startRun({ experimentName: 'ds', runName: 'train' });
    const model = await train.logModel('m', { code: CODE }, { inputExample: [{ r: 1 }] });
    await train.end();
    // A second run (an evaluation) uses the model, before either is on the server.
    const evaluate = await t.startRun({ experimentName: 'ds', runName: 'eval' });
    await evaluate.logInput(wine, { context: 'eval', model: model.modelId });
    await evaluate.end();
    expect((await t.getRun(evaluate.runId)).inputs.modelInputs).toEqual([{ modelId: model.modelId }]);
    await t.sync();
    const remoteModel = [...s.db.models.values()].find((m) => m.info.name === 'm')!;
    const remote = s.runsOf('ds').find((r) => r.info.run_name === 'eval')!;
    expect(remote.modelInputs).toEqual([remoteModel.info.model_id]);
    expect(remote.inputs!.map((i) => i.dataset.name)).toEqual(['wine']);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await t.sync();
    const linked = s.requests.filter(
      (r) => r.endpoint === 'runs/log-inputs' && ((r.body as { models?: unknown[] }).models ?? []).length > 0,
    );
    expect(linked).toHaveLength(1);
    // An unknown model is refused at the call, and nothing is stored.
    const run = await t.startRun({ experimentName: 'ds' });
    const error = await run.logInput(null, { model: `m-${'0'.repeat(32)}` }).catch((e: unknown) => e);
    expect((error as MlflowEdgeError).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await t.getRun(run.runId)).inputs).toEqual({ datasetInputs: [], modelInputs: [] });
  });

  it('a dataset the server refuses is a dead letter; the others and the run go on', async () => {
    const s = server();
    s.refuseDatasets.add('wine');
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'ds' });
    await run.logInput(iris);
    await run.logInput(wine);
    await run.end();
    await t.sync();
    await t.sync();
    const status = await t.syncStatus();
    expect(status.deadLetters).toEqual([
      expect.objectContaining({ runId: run.runId, kind: 'input', key: `wine (${wine.digest})` }),
    ]);
    expect(s.runsOf('ds')[0]!.inputs!.map((i) => i.dataset.name)).toEqual(['iris']);
    expect(status.pending).toEqual(nothingPending);
    // Still stored here.
    expect((await t.getRun(run.runId)).inputs.datasetInputs).toHaveLength(2);
  });
});
