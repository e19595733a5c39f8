/**
 * Dataset inputs (MLflow's run inputs) in the store, on every adapter: kept
 * with the run, shown by getRun as `inputs.datasetInputs`, found by
 * `datasets.*` filters; a refused input stores nothing and loses nothing.
 */
import type { Remote } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { Tracker } from '../../../src/client/tracker.js';
import type { TrackerWorkerApi } from '../../../src/protocol.js';
import { fromColumns, fromNumpy, fromRecords } from '../../../src/schema/datasets/dataset.js';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import { TrackerService } from '../../../src/worker/service.js';
import { openRequest } from '../store-location.js';

let counter = 0;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup.length = 0;
});

async function open(): Promise<{ tracker: Tracker; service: TrackerService }> {
  const dbName = `inputs-${Date.now()}-${counter++}`;
  const service = new TrackerService();
  await service.open(openRequest(dbName));
  const tracker = new Tracker({ terminate() {} } as unknown as Worker, service as unknown as Remote<TrackerWorkerApi>, {
    dbName,
  });
  cleanup.push(() => tracker.close());
  return { tracker, service };
}

const iris = fromRecords(
  [
    { sepal: 5.1, species: 'setosa' },
    { sepal: 7, species: 'versicolor' },
  ],
  { name: 'iris', source: 'https://example.com/iris.csv' },
);

describe('dataset inputs', () => {
  it('are stored with the run and returned by getRun, in the order logged', async () => {
    const { tracker } = await open();
    const run = await tracker.startRun({ runName: 'r' });
    await run.logInput(iris, { context: 'training', tags: { split: 'a' } });
    const arrays = fromNumpy({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] }, { name: 'x' });
    await run.logInput(arrays, { context: 'eval' });
    const got = await tracker.getRun(run.runId);
    expect(got.inputs.datasetInputs).toEqual([
      { tags: { split: 'a', 'mlflow.data.context': 'training' }, dataset: { ...iris } },
      {
        tags: { 'mlflow.data.context': 'eval' },
        dataset: {
          ...arrays,
          // The code source names the run's code by its source tags, as MLflow's CodeDatasetSource.
          source: expect.stringMatching(/^\{"tags": \{.*"mlflow\.source\.type": "LOCAL"\}\}$/),
        },
      },
    ]);
    const code = JSON.parse(got.inputs.datasetInputs[1]!.dataset.source) as { tags: Record<string, string> };
    for (const [k, v] of Object.entries(code.tags)) expect(got.data.tags[k]).toBe(v);
    await run.end();
  });

  it("name the code by the run's source tags as they are when logged: a deleted tag is not named", async () => {
    const { tracker } = await open();
    const run = await tracker.startRun({});
    run.deleteTag('mlflow.source.type');
    await run.flush();
    await run.logInput(fromColumns({ x: [1] }, { name: 'code-made' }));
    const [input] = (await tracker.getRun(run.runId)).inputs.datasetInputs;
    const { tags } = JSON.parse(input!.dataset.source) as { tags: Record<string, string> };
    expect(tags['mlflow.source.type']).toBeUndefined();
    expect(tags['mlflow.source.name']).toBe((await tracker.getRun(run.runId)).data.tags['mlflow.source.name']);
  });

  it('keep the first input of a dataset (name and digest) to a run, as MLflow does', async () => {
    const { tracker } = await open();
    const run = await tracker.startRun({});
    await run.logInput(iris, { context: 'training' });
    await run.logInput(iris, { context: 'eval' });
    const got = await tracker.getRun(run.runId);
    expect(got.inputs.datasetInputs.map((i) => i.tags)).toEqual([{ 'mlflow.data.context': 'training' }]);
  });

  it('are found by datasets.name, datasets.digest and datasets.context', async () => {
    const { tracker } = await open();
    const a = await tracker.startRun({ runName: 'a' });
    await a.logInput(iris, { context: 'training' });
    const b = await tracker.startRun({ runName: 'b' });
    const wine = fromColumns({ acidity: [0.5, 0.25] }, { name: 'wine' });
    await b.logInput(wine, { context: 'eval' });
    await tracker.startRun({ runName: 'c' });
    const names = async (filter: string) => (await tracker.searchRuns({ filter })).map((r) => r.info.runName).sort();
    expect(await names("datasets.name = 'iris'")).toEqual(['a']);
    expect(await names(`dataset.digest = '${wine.digest}'`)).toEqual(['b']);
    expect(await names("datasets.context IN ('training', 'eval')")).toEqual(['a', 'b']);
    expect(await names("datasets.name LIKE '%i%'")).toEqual(['a', 'b']);
  });

  it('a refused input stores nothing and keeps what was logged', async () => {
    const { tracker, service } = await open();
    const run = await tracker.startRun({});
    await run.logInput(iris, { context: 'training' });
    const refusals: [unknown, RegExp][] = [
      [{ ...iris, name: 'n'.repeat(501) }, /'name' exceeds the maximum length of 500/],
      [{ ...iris, digest: '' }, /required parameter 'digest'/],
    ];
    for (const [bad, message] of refusals) {
      const error = await run.logInput(bad as typeof iris).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MlflowEdgeError);
      expect((error as MlflowEdgeError).code).toBe('INVALID_PARAMETER_VALUE');
      expect((error as Error).message).toMatch(message);
    }
    const long = await run.logInput(iris, { context: 'c'.repeat(501) }).catch((e: unknown) => e);
    expect((long as Error).message).toMatch(/'value' exceeds the maximum length of 500/);
    // The worker checks what a page sends, too.
    const direct = await service
      .logInputs(run.runId, [{ tags: {}, dataset: { ...iris, sourceType: 7 } } as never])
      .catch((e: unknown) => e);
    expect((direct as MlflowEdgeError).code).toBe('INVALID_PARAMETER_VALUE');
    const got = await tracker.getRun(run.runId);
    expect(got.inputs.datasetInputs).toHaveLength(1);
    await run.end();
    const ended = await run.logInput(iris).catch((e: unknown) => e);
    expect((ended as MlflowEdgeError).code).toBe('INVALID_STATE');
  });
});
