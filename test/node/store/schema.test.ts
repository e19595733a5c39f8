import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/open.js';
import { bound } from '../../../src/store/port.js';
import { SCHEMA_VERSION } from '../../../src/store/schema.js';
import { TrackerService } from '../../../src/worker/service.js';
import { openRequest, storedBytes, storeLocation, writeNewerSchema } from '../store-location.js';
import { metricColumns } from '../../metric-columns.js';

const runId = '0123456789abcdef0123456789abcdef';

/** Writes a database exactly as schema version 1 of mlflow-edge left it. */
async function writeVersion1(name: string): Promise<void> {
  const db = await openDatabase(storeLocation(name), { version: 1 });
  expect(db.version).toBe(1);
  expect([...db.objectStoreNames].sort()).toEqual([
    'artifacts',
    'experiments',
    'meta',
    'metricChunks',
    'params',
    'runs',
    'series',
    'tags',
  ]);
  const tx = db.transaction(
    ['meta', 'experiments', 'runs', 'params', 'tags', 'series', 'metricChunks', 'artifacts'],
    'readwrite',
  );
  await tx.objectStore('meta').put(7, 'seq');
  await tx.objectStore('experiments').put({
    experimentId: '0',
    name: 'Default',
    lifecycleStage: 'active',
    creationTime: 1,
    lastUpdateTime: 1,
    tags: {},
  });
  await tx.objectStore('runs').put({
    runId,
    experimentId: '0',
    runName: 'old-run',
    status: 'FINISHED',
    startTime: 10,
    endTime: 20,
    lifecycleStage: 'active',
    userId: 'ada',
    seq: 1,
  });
  await tx.objectStore('params').put({ runId, key: 'lr', value: '0.1', seq: 2 });
  await tx.objectStore('tags').put({ runId, key: 'mlflow.runName', value: 'old-run', seq: 3 });
  // v1 series records had no syncedCount.
  await tx
    .objectStore('series')
    .put({ runId, key: 'loss', count: 3, latest: { step: 2, value: 0.5, timestamp: 12 } } as never);
  await tx.objectStore('metricChunks').put({
    runId,
    key: 'loss',
    chunkNo: 0,
    steps: Float64Array.from([0, 1, 2]),
    values: Float64Array.from([2, 1, 0.5]),
    timestamps: Float64Array.from([10, 11, 12]),
  });
  await tx.objectStore('artifacts').put({
    runId,
    path: 'a.txt',
    size: 2,
    sha256: 'x',
    createdAt: 1,
    location: await storedBytes(name, 'hi'),
    seq: 4,
  });
  await tx.done;
  db.close();
}

describe('schema upgrade', () => {
  it('opens a version-1 database in the current version without losing anything', async () => {
    expect(SCHEMA_VERSION).toBeGreaterThan(1);
    const name = 'upgrade-from-v1';
    await writeVersion1(name);

    const service = new TrackerService();
    expect(await service.open(openRequest(name))).toEqual({ schemaVersion: SCHEMA_VERSION });
    const run = await service.getRun(runId);
    expect(run.info).toMatchObject({
      runName: 'old-run',
      status: 'FINISHED',
      startTime: 10,
      endTime: 20,
      userId: 'ada',
      experimentName: 'Default',
    });
    expect(run.data).toEqual({ params: { lr: '0.1' }, tags: { 'mlflow.runName': 'old-run' }, metrics: { loss: 0.5 } });
    const h = await service.getMetricHistory(runId, 'loss');
    expect([...h.values]).toEqual([2, 1, 0.5]);
    expect(await (await service.readArtifact(runId, 'a.txt')).text()).toBe('hi');
    expect((await service.searchRuns({ orderBy: ['metrics.loss'] })).map((r) => r.info.runId)).toEqual([runId]);
    await service.close();

    const db = await openDatabase(storeLocation(name));
    expect(db.version).toBe(SCHEMA_VERSION);
    expect(await db.get('series', [runId, 'loss'])).toMatchObject({ count: 3 });
    expect(await db.getAllFromIndex('runs', 'byExperimentStart', bound(['0', 0], ['0', 100]))).toHaveLength(1);
    // New writes continue the old sequence and chunk layout.
    db.close();
    const again = new TrackerService();
    await again.open(openRequest(name));
    await again.startRun({ runId, startTime: 30 });
    await again.logBatch({
      runs: [{ runId, metrics: metricColumns({ keys: ['loss'], values: [0.25], steps: [3], timestamps: [13] }) }],
    });
    expect([...(await again.getMetricHistory(runId, 'loss')).values]).toEqual([2, 1, 0.5, 0.25]);
    // v6: the old run has no dataset inputs, and takes one.
    expect((await again.getRun(runId)).inputs).toEqual({ datasetInputs: [], modelInputs: [] });
    const dataset = { name: 'd', digest: 'abcd1234', sourceType: 'http', source: '{"url": "https://x"}' };
    await again.logInputs(runId, [{ tags: { 'mlflow.data.context': 'training' }, dataset }]);
    expect((await again.getRun(runId)).inputs.datasetInputs).toEqual([
      { tags: { 'mlflow.data.context': 'training' }, dataset },
    ]);
    await again.close();
  });

  it('refuses a database from a newer schema with a typed error', async () => {
    const name = 'from-the-future';
    await writeNewerSchema(name);
    const service = new TrackerService();
    await expect(service.open(openRequest(name))).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});
