import { describe, expect, it } from 'vitest';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import type { Tracker } from '../../../src/client/tracker.js';
import { openedPerTest } from '../in-process.js';
import { rejection, thrown } from '../typed-errors.js';
import { storeLocation } from '../store-location.js';
import { metricColumns } from '../../metric-columns.js';

const tracker = openedPerTest();

describe('runs', () => {
  it('starts a run in the Default experiment with MLflow system tags', async () => {
    const { tracker: t } = await tracker({ user: 'ada' });
    const run = await t.startRun({ runName: 'first' });
    expect(run.runId).toMatch(/^[0-9a-f]{32}$/);
    const stored = await t.getRun(run.runId);
    expect(stored.info).toMatchObject({
      runId: run.runId,
      runName: 'first',
      experimentId: '0',
      experimentName: 'Default',
      status: 'RUNNING',
      lifecycleStage: 'active',
      userId: 'ada',
    });
    expect(stored.info.endTime).toBeUndefined();
    expect(stored.data.tags).toMatchObject({
      'mlflow.runName': 'first',
      'mlflow.user': 'ada',
      'mlflow.source.type': 'LOCAL',
    });
    expect(await t.listExperiments()).toEqual([expect.objectContaining({ experimentId: '0', name: 'Default' })]);
  });

  it('creates named experiments once and generates run names', async () => {
    const { tracker: t } = await tracker();
    const a = await t.startRun({ experimentName: 'iris' });
    const b = await t.startRun({ experimentName: 'iris' });
    expect(a.experimentId).toBe(b.experimentId);
    expect(a.experimentId).not.toBe('0');
    expect(a.runName).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect((await t.listExperiments()).map((e) => e.name)).toEqual(['iris']);
  });

  it('nests runs with mlflow.parentRunId', async () => {
    const { tracker: t } = await tracker();
    const parent = await t.startRun();
    const child = await t.startRun({ parentRunId: parent.runId });
    expect((await t.getRun(child.runId)).data.tags['mlflow.parentRunId']).toBe(parent.runId);
    const e = await rejection(t.startRun({ parentRunId: 'f'.repeat(32) }));
    expect(e.code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('ends runs with a status and end time; logging afterwards throws', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun();
    run.logMetric('m', 1);
    await run.end({ status: 'FAILED' });
    const stored = await t.getRun(run.runId);
    expect(stored.info.status).toBe('FAILED');
    expect(stored.info.endTime).toBeGreaterThanOrEqual(stored.info.startTime);
    expect(stored.data.metrics).toEqual({ m: 1 });
    expect(thrown(() => run.logMetric('m', 2)).code).toBe('INVALID_STATE');
    expect(thrown(() => run.logParam('p', 1)).code).toBe('INVALID_STATE');
    expect(thrown(() => run.setTag('t', 1)).code).toBe('INVALID_STATE');
    expect((await rejection(run.logArtifact('a.txt', 'x'))).code).toBe('INVALID_STATE');
  });

  it('resumes a run by id, knowing its params', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun();
    run.logParam('lr', 0.1);
    await run.end();
    const again = await t.startRun({ runId: run.runId });
    expect((await t.getRun(run.runId)).info.status).toBe('RUNNING');
    again.logParam('lr', 0.1); // same value: no-op
    const e = thrown(() => again.logParam('lr', 0.2));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toContain("key='lr'");
    expect(e.message).toContain("value='0.1'");
    expect(e.message).toContain("'0.2'");
    const missing = await rejection(t.startRun({ runId: 'a'.repeat(32) }));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('refuses bad start options with typed errors', async () => {
    const { tracker: t } = await tracker();
    expect((await rejection(t.startRun({ experimentName: '' }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.startRun({ runId: 'not-an-id' }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.startRun({ tags: { 'a#': 'x' } }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.startRun({ runName: 'a', tags: { 'mlflow.runName': 'b' } }))).code).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    expect(await t.searchRuns()).toEqual([]);
  });
});

describe('logging', () => {
  it('stores params, tags and metrics, and latest values the way MLflow picks them', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun();
    run.logParams({ lr: 0.01, layers: 3, name: 'mlp', flag: true });
    run.setTags({ team: 'a' });
    run.setTag('team', 'b');
    run.logMetric('loss', 3, { step: 0, timestamp: 1000 });
    run.logMetric('loss', 1, { step: 2, timestamp: 1000 });
    run.logMetric('loss', 2, { step: 1, timestamp: 2000 });
    run.logMetrics({ acc: 0.5, f1: 0.25 }, { step: 4 });
    await run.flush();
    const { data } = await t.getRun(run.runId);
    expect(data.params).toEqual({ lr: '0.01', layers: '3', name: 'mlp', flag: 'True' });
    expect(data.tags.team).toBe('b');
    expect(data.metrics).toEqual({ loss: 1, acc: 0.5, f1: 0.25 });
    expect(await t.getMetricHistory(run.runId, 'loss')).toEqual([
      { step: 0, value: 3, timestamp: 1000 },
      { step: 2, value: 1, timestamp: 1000 },
      { step: 1, value: 2, timestamp: 2000 },
    ]);
  });

  it('picks the latest value by (step, timestamp, value), NaN as 0, within a batch and across batches', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun();
    const latest = async () => (await t.getRun(run.runId)).data.metrics;
    run.logMetric('a', 2, { step: 3, timestamp: 10 });
    run.logMetric('a', 1, { step: 3, timestamp: 11 }); // later timestamp at the same step wins over a larger value
    run.logMetric('a', 9, { step: 3, timestamp: 9 });
    run.logMetric('b', 0.5, { step: 1, timestamp: 5 });
    run.logMetric('b', NaN, { step: 1, timestamp: 5 }); // NaN counts as 0: not above 0.5
    run.logMetric('c', -1, { step: 1, timestamp: 5 });
    run.logMetric('c', NaN, { step: 1, timestamp: 5 }); // NaN counts as 0: above -1
    await run.flush();
    expect(await latest()).toEqual({ a: 1, b: 0.5, c: NaN });
    run.logMetric('a', 7, { step: 2, timestamp: 99 }); // an earlier step never wins
    run.logMetric('b', 0.75, { step: 1, timestamp: 5 });
    await run.flush();
    expect(await latest()).toEqual({ a: 1, b: 0.75, c: NaN });
    expect((await t.getMetricHistoryColumns(run.runId, 'a')).values).toEqual(new Float64Array([2, 1, 9, 7]));
  });

  it('keeps NaN and ±Infinity, fixes timestamps at log time, defaults step to 0', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun();
    const before = Date.now();
    run.logMetric('x', NaN);
    run.logMetric('x', Infinity);
    run.logMetric('x', -Infinity);
    const after = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    await run.flush();
    const history = await t.getMetricHistory(run.runId, 'x');
    expect(history.map((p) => p.value)).toEqual([NaN, Infinity, -Infinity]);
    expect(history.every((p) => p.step === 0 && p.timestamp >= before && p.timestamp <= after)).toBe(true);
  });

  it('stores long histories across chunks in order', async () => {
    const { tracker: t } = await tracker({ maxBatchItems: 777 });
    const run = await t.startRun();
    for (let i = 0; i < 10_000; i++) run.logMetric('s', i * 0.5, { step: i, timestamp: 1 + i });
    await run.flush();
    const h = await t.getMetricHistory(run.runId, 's');
    expect(h.length).toBe(10_000);
    expect(h.every((p, i) => p.step === i && p.value === i * 0.5 && p.timestamp === 1 + i)).toBe(true);
    expect((await t.getRun(run.runId)).data.metrics.s).toBe(9999 * 0.5);
    expect(await t.getMetricHistory(run.runId, 'never')).toEqual([]);
    const columns = await t.getMetricHistoryColumns(run.runId, 's');
    expect(columns.steps).toBeInstanceOf(Float64Array);
    expect([columns.steps[9999], columns.values[9999], columns.timestamps[9999]]).toEqual([9999, 9999 * 0.5, 10_000]);
  });

  it('throws at the call for bad input and stores nothing of that call', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun();
    const cases: [() => unknown, string][] = [
      [() => run.logMetric('a#b', 1), 'INVALID_PARAMETER_VALUE'],
      [() => run.logMetric('', 1), 'INVALID_PARAMETER_VALUE'],
      [() => run.logMetric('m', '1' as unknown as number), 'INVALID_PARAMETER_VALUE'],
      [() => run.logMetric('m', true as unknown as number), 'INVALID_PARAMETER_VALUE'],
      [() => run.logMetric('m', 1, { step: 1.5 }), 'INVALID_PARAMETER_VALUE'],
      [() => run.logMetric('m', 1, { timestamp: -1 }), 'INVALID_PARAMETER_VALUE'],
      // Python's positional step, and a misspelt option: both logged at step 0 without a word before.
      [() => run.logMetric('m', 1, 3 as never), 'INVALID_PARAMETER_VALUE'],
      [() => run.logMetric('m', 1, { steps: 4 } as never), 'INVALID_PARAMETER_VALUE'],
      [() => run.logMetrics({ m: 1 }, 3 as never), 'INVALID_PARAMETER_VALUE'],
      [() => run.logMetric('ok', 1, { step: undefined } as never), 'ok'],
      [() => run.logMetrics({ ok: 1, 'bad#': 2 }), 'INVALID_PARAMETER_VALUE'],
      [() => run.logParams({ ok: 1, '../x': 2 }), 'INVALID_PARAMETER_VALUE'],
      [() => run.logParam('p', { a: 1 } as never), 'INVALID_PARAMETER_VALUE'],
      [() => run.logParam('p', 'x'.repeat(6001)), 'INVALID_PARAMETER_VALUE'],
      [() => run.setTags({ ok: 1, 'a//b': 2 }), 'INVALID_PARAMETER_VALUE'],
      [() => run.setTag('t', 'x'.repeat(8001)), 'INVALID_PARAMETER_VALUE'],
      [() => run.logParams({ same: 1, ['same ']: 2, x: 1 }), 'ok'],
    ];
    for (const [fn, expected] of cases) {
      let got = 'ok';
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(MlflowEdgeError);
        expect((error as Error).message.length).toBeGreaterThan(20);
        got = (error as MlflowEdgeError).code;
      }
      expect(got, String(fn)).toBe(expected);
    }
    await run.flush();
    const { data } = await t.getRun(run.runId);
    expect(data.metrics).toEqual({ ok: 1 });
    expect(Object.keys(data.params).sort()).toEqual(['same', 'same ', 'x']);
    expect(Object.keys(data.tags).filter((k) => !k.startsWith('mlflow.'))).toEqual([]);
  });

  it('refuses artifact paths with .., absolute paths, # and control characters', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun();
    for (const path of ['../x', '/abs', 'a#b', 'a\u0001b', '', 'a/../../b']) {
      expect((await rejection(run.logArtifact(path, 'x'))).code).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(await t.listArtifacts(run.runId)).toEqual([]);
  });

  it('reports a param another writer changed through flush() and onError, storing nothing new', async () => {
    const { tracker: a, dbName } = await tracker();
    const { tracker: b } = await tracker({ dbName });
    const run = await a.startRun();
    run.logParam('lr', '0.1');
    await run.flush();
    const errors: Error[] = [];
    b.onError((e) => errors.push(e));
    const other = await b.startRun({ runId: run.runId });
    // b knows the value since it resumed the run: it throws at the call.
    expect(thrown(() => other.logParam('lr', '0.2')).code).toBe('INVALID_PARAMETER_VALUE');
    // a third writer that did not know it: the worker refuses, flush() reports.
    const { tracker: c } = await tracker({ dbName });
    const blind = await c.startRun();
    blind.logParam('x', 1);
    await blind.flush();
    const cErrors: Error[] = [];
    c.onError((e) => cErrors.push(e));
    // simulate another tab writing x=2 to the same run behind c's back
    const { service } = await tracker({ dbName });
    await service.logBatch({ runs: [{ runId: blind.runId, params: [['y', 'tab-b']] }] });
    blind.logParams({ y: 'tab-c', z: 'kept' });
    const e = await rejection(blind.flush());
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.details).toMatchObject({ key: 'y', oldValue: 'tab-b', newValue: 'tab-c' });
    expect(cErrors).toHaveLength(1);
    const stored = await c.getRun(blind.runId);
    expect(stored.data.params).toEqual({ x: '1', y: 'tab-b', z: 'kept' });
    await blind.flush(); // the error was reported once
    expect(errors).toEqual([]);
    // The page now knows the stored value: the same again is a no-op, the rejected one throws at the call.
    blind.logParam('y', 'tab-b');
    expect(thrown(() => blind.logParam('y', 'tab-c')).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses writes to unknown runs in the worker, typed', async () => {
    const { service } = await tracker();
    const result = await service.logBatch({
      runs: [
        { runId: 'b'.repeat(32), metrics: metricColumns({ keys: ['m'], values: [1], steps: [0], timestamps: [1] }) },
      ],
    });
    expect(result.rejected).toEqual([expect.objectContaining({ code: 'RESOURCE_DOES_NOT_EXIST' })]);
    const bad = await service.logBatch({ runs: [{ runId: 'nope' }] });
    expect(bad.rejected[0]?.code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('queries', () => {
  it('reads unknown runs as RESOURCE_DOES_NOT_EXIST and bad ids as INVALID_PARAMETER_VALUE', async () => {
    const { tracker: t } = await tracker();
    expect((await rejection(t.getRun('c'.repeat(32)))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.getRun('xyz'))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.getMetricHistory('c'.repeat(32), 'm'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.listArtifacts('c'.repeat(32)))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.readArtifact('c'.repeat(32), 'a.txt'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('searches runs with MLflow filters and ordering', async () => {
    const { tracker: t } = await tracker();
    const mk = async (experimentName: string, lr: string, acc: number, end: boolean) => {
      const run = await t.startRun({ experimentName, tags: { kind: lr === '0.1' ? 'fast' : 'slow' } });
      run.logParam('lr', lr);
      run.logMetric('acc', acc);
      if (end) await run.end();
      else await run.flush();
      return run.runId;
    };
    const r1 = await mk('e1', '0.1', 0.9, true);
    const r2 = await mk('e1', '0.01', 0.7, true);
    const r3 = await mk('e2', '0.1', 0.95, false);
    const ids = async (o: Parameters<Tracker['searchRuns']>[0]) => (await t.searchRuns(o)).map((r) => r.info.runId);
    expect(await ids({ filter: "params.lr = '0.1'", orderBy: ['metrics.acc DESC'] })).toEqual([r3, r1]);
    expect(await ids({ filter: 'metrics.acc > 0.8 AND attributes.status = "FINISHED"' })).toEqual([r1]);
    expect(await ids({ experimentName: 'e1', orderBy: ['metrics.acc ASC'] })).toEqual([r2, r1]);
    expect(await ids({ filter: "tags.kind = 'slow'" })).toEqual([r2]);
    expect(await ids({ maxResults: 1, orderBy: ['metrics.acc DESC'] })).toEqual([r3]);
    expect(await ids({ experimentName: 'nope' })).toEqual([]);
    expect((await rejection(t.searchRuns({ filter: 'metrics.acc >>> 1' }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.searchRuns({ maxResults: 0 }))).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('stores, lists and reads artifacts (IndexedDB Blob when OPFS is missing)', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun();
    await run.logArtifact('notes.txt', 'hello');
    await run.logArtifact('plots/a.bin', new Uint8Array([1, 2, 3]));
    await run.logArtifact('plots/deep/b.json', new Blob(['{"a":1}']));
    await run.logArtifact('plots/c.bin', new Uint8Array([9]).buffer);
    await run.logArtifact('notes.txt', 'hello again'); // overwrite, as MLflow does
    expect(await t.listArtifacts(run.runId)).toEqual([
      { path: 'notes.txt', isDir: false, fileSize: 11 },
      { path: 'plots', isDir: true },
    ]);
    expect(await t.listArtifacts(run.runId, 'plots')).toEqual([
      { path: 'plots/a.bin', isDir: false, fileSize: 3 },
      { path: 'plots/c.bin', isDir: false, fileSize: 1 },
      { path: 'plots/deep', isDir: true },
    ]);
    expect(await (await t.readArtifact(run.runId, 'notes.txt')).text()).toBe('hello again');
    expect([...new Uint8Array(await (await t.readArtifact(run.runId, 'plots/a.bin')).arrayBuffer())]).toEqual([
      1, 2, 3,
    ]);
    expect((await rejection(t.readArtifact(run.runId, 'missing.txt'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(run.logArtifact('x', 42 as never))).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('a closed tracker refuses calls with INVALID_STATE', async () => {
    const { tracker: t } = await tracker();
    await t.close();
    expect((await rejection(t.startRun())).code).toBe('INVALID_STATE');
  });
});

describe('the worker boundary', () => {
  it('refuses malformed requests with BAD_REQUEST, naming the field', async () => {
    const { service } = await tracker();
    await expect(service.startRun({ startTime: -1 } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.startRun({ startTime: 1, tags: { a: 1 } } as never)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('tags.a'),
    });
    await expect(service.searchRuns({ orderBy: 'metrics.a' } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.logBatch(null as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('artifact hashing', () => {
  it('records the sha256 of the bytes, computed while streaming', async () => {
    const { createHash } = await import('node:crypto');
    const { openDatabase } = await import('../../../src/store/open.js');
    const { tracker: t, dbName } = await tracker();
    const run = await t.startRun();
    const bytes = new Uint8Array(3_000_000).map((_, i) => (i * 7) % 256);
    await run.logArtifact('big.bin', new Blob([bytes.subarray(0, 1_000_000), bytes.subarray(1_000_000)]));
    await run.logArtifact('text.txt', 'héllo');
    const db = await openDatabase(storeLocation(dbName));
    const big = await db.get('artifacts', [run.runId, 'big.bin']);
    const text = await db.get('artifacts', [run.runId, 'text.txt']);
    db.close();
    expect(big?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(big?.size).toBe(3_000_000);
    expect(text?.sha256).toBe(createHash('sha256').update('héllo').digest('hex'));
    expect(text?.size).toBe(6);
  });
});
