import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/client/run.js';
import { openedPerTest } from './in-process.js';
import { rejection, thrown } from './typed-errors.js';

const tracker = openedPerTest();

/** What the store holds of a run, read through a tracker opened afresh on the database. */
async function reread(dbName: string, runId: string) {
  const { tracker: t } = await tracker({ dbName });
  const run = await t.getRun(runId);
  const history = (await t.getMetricHistory(runId, 'm')).map((p) => p.value);
  const artifacts = (await t.listArtifacts(runId)).map((f) => f.path);
  await t.close();
  return { status: run.info.status, params: run.data.params, tags: run.data.tags, history, artifacts };
}

const CLOSED = /tracker is closed.*openTracker\(\)/;

describe('a closed tracker', () => {
  it('refuses every call of its runs and of itself with INVALID_STATE, and keeps what was stored before', async () => {
    const { tracker: t, dbName } = await tracker();
    const run = await t.startRun();
    const ended = await t.startRun();
    run.logParam('p', 1);
    run.setTag('t', 'x');
    run.logMetric('m', 1);
    await run.logArtifact('a.txt', 'kept');
    await ended.end();
    run.logMetric('m', 2); // buffered: close() flushes it
    await t.close();
    await t.close(); // again: nothing happens

    const sync: Record<string, () => unknown> = {
      logMetric: () => run.logMetric('m', 3),
      logMetrics: () => run.logMetrics({ m: 3 }),
      logParam: () => run.logParam('q', 1),
      logParams: () => run.logParams({ q: 1 }),
      setTag: () => run.setTag('u', 1),
      setTags: () => run.setTags({ u: 1 }),
      onError: () => t.onError(() => undefined),
      onSyncStatus: () => t.onSyncStatus(() => undefined),
    };
    for (const [name, call] of Object.entries(sync)) {
      const e = thrown(call);
      expect([name, e.code]).toEqual([name, 'INVALID_STATE']);
      expect(e.message).toMatch(CLOSED);
    }
    const async: Record<string, () => Promise<unknown>> = {
      logArtifact: () => run.logArtifact('b.txt', 'lost'),
      logModel: () => run.logModel('m', { code: 'x' }),
      'run.flush': () => run.flush(),
      end: () => run.end(),
      'end of an ended run': () => ended.end(),
      'end with a bad status': () => run.end({ status: 'DONE' as never }),
      flush: () => t.flush(),
      startRun: () => t.startRun(),
      getRun: () => t.getRun(run.runId),
      searchRuns: () => t.searchRuns(),
      getMetricHistory: () => t.getMetricHistory(run.runId, 'm'),
      getMetricHistoryColumns: () => t.getMetricHistoryColumns(run.runId, 'm'),
      listExperiments: () => t.listExperiments(),
      listArtifacts: () => t.listArtifacts(run.runId),
      readArtifact: () => t.readArtifact(run.runId, 'a.txt'),
      loadModel: () => t.loadModel('runs:/x/y'),
      registerModel: () => t.registerModel('models:/m-1', 'n'),
      setModelAlias: () => t.setModelAlias('n', 'a', 1),
      deleteModelAlias: () => t.deleteModelAlias('n', 'a'),
      getRegisteredModel: () => t.getRegisteredModel('n'),
      searchModelVersions: () => t.searchModelVersions('n'),
      listLoggedModels: () => t.listLoggedModels(),
      clearModelCache: () => t.clearModelCache(),
      listLoggedModelArtifacts: () => t.listLoggedModelArtifacts('m-1'),
      readLoggedModelArtifact: () => t.readLoggedModelArtifact('m-1', 'MLmodel'),
      setRemote: () => t.setRemote(null),
      sync: () => t.sync(),
      syncStatus: () => t.syncStatus(),
      storage: () => t.storage(),
      requestPersistence: () => t.requestPersistence(),
    };
    for (const [name, call] of Object.entries(async)) {
      const e = await rejection(call());
      expect([name, e.code]).toEqual([name, 'INVALID_STATE']);
      expect(e.message).toMatch(CLOSED);
    }
    expect(run.isEnded).toBe(false);

    expect(await reread(dbName, run.runId)).toEqual({
      status: 'RUNNING',
      params: { p: '1' },
      tags: expect.objectContaining({ t: 'x' }),
      history: [1, 2],
      artifacts: ['a.txt'],
    });
    expect((await reread(dbName, ended.runId)).status).toBe('FINISHED');
  });

  it('refuses calls made while close() is still flushing, and stores what was logged before it', async () => {
    const { tracker: t, dbName } = await tracker();
    const run = await t.startRun();
    for (let i = 0; i < 10; i++) run.logMetric('m', i);
    const closing = t.close();
    expect(thrown(() => run.logMetric('m', 99)).code).toBe('INVALID_STATE');
    expect((await rejection(run.flush())).code).toBe('INVALID_STATE');
    await closing;
    expect((await reread(dbName, run.runId)).history).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('run.end', () => {
  it('refuses a status other than FINISHED, FAILED or KILLED before changing anything', async () => {
    const { tracker: t, dbName } = await tracker();
    const run: Run = await t.startRun();
    run.logMetric('m', 1);
    for (const status of ['DONE', 'RUNNING', 'SCHEDULED', 'finished', '', 3, { status: 'FINISHED' }]) {
      const e = await rejection(run.end({ status: status as never }));
      expect([status, e.code]).toEqual([status, 'INVALID_PARAMETER_VALUE']);
      expect(e.message).toMatch(/'FINISHED', 'FAILED' or 'KILLED'/);
      expect(e.details).toMatchObject({ field: 'status' });
    }
    expect(run.isEnded).toBe(false);
    run.logMetric('m', 2); // still usable
    await run.flush();
    expect((await t.getRun(run.runId)).info.status).toBe('RUNNING');
    await run.end({ status: 'KILLED' });
    expect(run.isEnded).toBe(true);
    await t.close();
    expect(await reread(dbName, run.runId)).toMatchObject({ status: 'KILLED', history: [1, 2] });
  });

  it('the worker refuses a bad status too, typed, and the run stays RUNNING', async () => {
    const { tracker: t, service } = await tracker();
    const run = await t.startRun();
    await expect(service.endRun(run.runId, 'DONE' as never, Date.now())).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    expect((await t.getRun(run.runId)).info.status).toBe('RUNNING');
  });
});
