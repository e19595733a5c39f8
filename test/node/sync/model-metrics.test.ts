/**
 * A logged model's params and metrics, as MLflow 3 records them: params go
 * with logged-models create (logModel's params plus the run's, the run's
 * winning), metric points linked to the model go in runs/log-batch with the
 * server's model_id. Stored offline first, uploaded exactly once (a lost
 * answer, a server restored from an older backup), against the scripted
 * server (scripted-mlflow.ts), which keeps them as MLflow's SQL store does.
 */
import { describe, expect, it } from 'vitest';
import type { Tracker } from '../../../src/client/tracker.js';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import type { ScriptedMlflow } from '../scripted-mlflow.js';
import { nothingPending, open, server } from './harness.js';

const CODE = "import { setModel } from 'mlflow-edge/model';\nsetModel({ predict: (c, rows) => rows.map(() => 1) });";

const linkedBatches = (s: ScriptedMlflow) =>
  s.requests.filter(
    (r) =>
      r.endpoint === 'runs/log-batch' &&
      ((r.body as { metrics?: { model_id?: string }[] }).metrics ?? []).some((m) => m.model_id !== undefined),
  );

/** The server's copy of each local model has the local params and exactly the local linked points, under the server's ids. */
async function expectModelDataEqual(t: Tracker, s: ScriptedMlflow) {
  const runIds = new Map<string, string>();
  for (const run of s.db.runs.values()) {
    const local = run.tags.get('mlflow-edge.clientRunId');
    if (local !== undefined) runIds.set(local, run.info.run_id);
  }
  for (const m of await t.listLoggedModels()) {
    const [remote] = s.modelsTagged(m.modelId);
    expect(remote, m.modelId).toBeDefined();
    expect(remote!.info.source_run_id).toBe(runIds.get(m.runId));
    // "Logged from" in MLflow's UI: the run's context tags, on the model as MLflow 3 puts them.
    const run = [...s.db.runs.values()].find((r) => r.info.run_id === remote!.info.source_run_id)!;
    const context = ['mlflow.user', 'mlflow.source.name', 'mlflow.source.type'];
    expect(context.map((k) => remote!.info.tags.find((t) => t.key === k)?.value)).toEqual(
      context.map((k) => run.tags.get(k)),
    );
    expect(run.tags.get('mlflow.source.name')).toBeTruthy();
    expect(Object.fromEntries(remote!.data.params.map((p) => [p.key, p.value]))).toEqual(m.params);
    const key = (p: { key: string; step: number; timestamp: number }) => `${p.key}@${p.step}@${p.timestamp}`;
    const local = [...new Map(m.metrics.map((p) => [`${runIds.get(p.runId)} ${key(p)}`, p])).keys()].sort();
    expect(remote!.data.metrics.map((p) => `${p.run_id} ${key(p)}`).sort()).toEqual(local);
    for (const p of remote!.data.metrics) expect(p.model_id).toBe(m.remoteModelId);
  }
}

describe('logged model params and metrics', () => {
  it('are recorded offline and uploaded with the model: params at create, linked points in log-batch with model_id', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'model-data' });
    run.logParams({ lr: 1e-5, shared: 'from-run' });
    const info = await run.logModel(
      'm',
      { code: CODE },
      { params: { alpha: 0.5, big: 1e16, shared: 'mine', flag: true } },
    );
    run.logMetric('acc', 0.9, { model: info, timestamp: 1000 });
    run.logMetric('loss', 0.2, { timestamp: 1001 }); // step 0 after logModel: linked, as mlflow.log_metric links it
    run.logMetric('loss', 0.1, { step: 1, timestamp: 1002 }); // another step: the run's only
    run.logMetrics({ f1: 0.8, auc: Number.NaN }, { timestamp: 1003 });
    run.logMetric('other', 3, { model: info.modelId, step: 7, timestamp: 1004 });
    await run.end();

    const [local] = await t.listLoggedModels();
    // The run's params win over the ones given, as MLflow 3's log_model merges them; numbers as Python's str().
    expect(local!.params).toEqual({ alpha: '0.5', big: '1e+16', flag: 'True', shared: 'from-run', lr: '1e-05' });
    expect(local!.metrics.map((p) => [p.key, p.value, p.step, p.runId])).toEqual([
      ['acc', 0.9, 0, run.runId],
      ['loss', 0.2, 0, run.runId],
      ['f1', 0.8, 0, run.runId],
      ['auc', Number.NaN, 0, run.runId],
      ['other', 3, 7, run.runId],
    ]);
    // Each linked point is a point of its run too, once.
    expect((await t.getMetricHistory(run.runId, 'loss')).map((p) => p.value)).toEqual([0.2, 0.1]);

    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectModelDataEqual(t, s);
    const remoteRun = [...s.db.runs.values()][0]!;
    expect(remoteRun.metrics.filter((m) => m.key === 'loss')).toHaveLength(2);
    // NaN travels as protobuf JSON's "NaN".
    expect(s.modelsTagged(info.modelId)[0]!.data.metrics.find((m) => m.key === 'auc')!.value).toBe('NaN');
    const create = s.requests.find((r) => r.method === 'POST' && r.endpoint === 'logged-models')!;
    expect((create.body as { params: unknown }).params).toEqual([
      { key: 'alpha', value: '0.5' },
      { key: 'big', value: '1e+16' },
      { key: 'shared', value: 'from-run' },
      { key: 'flag', value: 'True' },
      { key: 'lr', value: '1e-05' },
    ]);
    // Verified: nothing more is sent on the next pass.
    const before = s.requests.length;
    await t.sync();
    expect(linkedBatches(s).length).toBe(1);
    expect(s.requests.slice(before).filter((r) => r.method !== 'GET' && r.endpoint !== 'runs/search')).toEqual([]);
  });

  it('points linked after the model was synced are sent on the next pass, only those', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'model-data' });
    const info = await run.logModel('m', { code: CODE });
    run.logMetric('acc', 0.5, { model: info, timestamp: 10 });
    await run.flush();
    await t.sync();
    expect(s.modelsTagged(info.modelId)[0]!.data.metrics).toHaveLength(1);
    run.logMetric('acc', 0.7, { model: info, step: 1, timestamp: 20 });
    await run.end();
    expect((await t.syncStatus()).pending.models).toBe(1);
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    const sent = linkedBatches(s).map((r) => (r.body as { metrics: { value: number }[] }).metrics.map((m) => m.value));
    expect(sent).toEqual([[0.5], [0.7]]);
    await expectModelDataEqual(t, s);
  });

  it('a lost answer to the linked log-batch: sent again, absorbed, on the server once', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'model-data' });
    const info = await run.logModel('m', { code: CODE });
    run.logMetrics({ a: 1, b: 2 }, { model: info, timestamp: 5 });
    await run.end();
    s.lie({
      match: (r) => linkedBatches({ requests: [r] } as ScriptedMlflow).length === 1,
      when: 'after',
      answer: () => new Response('<html>Bad gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }),
      times: 1,
    });
    await t.sync();
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    expect(linkedBatches(s).length).toBeGreaterThanOrEqual(2);
    expect(s.modelsTagged(info.modelId)[0]!.data.metrics).toHaveLength(2);
    await expectModelDataEqual(t, s);
  });

  it('a server restored from a backup without the linked points and params (the model kept): found missing when everything is checked again, and sent again', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'model-data' });
    const info = await run.logModel('m', { code: CODE }, { params: { alpha: 1 } });
    run.logMetric('acc', 0.5, { model: info, timestamp: 10 });
    await run.end();
    await t.sync();
    expect(s.modelsTagged(info.modelId)[0]!.data.metrics).toHaveLength(1);
    // A backup of the model without its data, and a later run the restore loses: its loss sets off the checks.
    const backup = s.backup();
    const model = [...backup.models.values()][0]!;
    model.data = { params: [], metrics: [] };
    const later = await t.startRun({ experimentName: 'model-data' });
    await later.end();
    await t.sync();
    s.restoreBackup(backup);
    await t.sync();
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectModelDataEqual(t, s);
    expect(s.requests.filter((r) => r.endpoint.endsWith('/params'))).toHaveLength(1);
  });

  it('params the server lacks and refuses to take are dead-lettered: sync goes on, nothing stays pending', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'model-data' });
    const info = await run.logModel('m', { code: CODE }, { params: { alpha: 1 } });
    await run.end();
    await t.sync();
    const backup = s.backup();
    [...backup.models.values()][0]!.data.params = [];
    await (await t.startRun({ experimentName: 'model-data' })).end();
    await t.sync();
    s.restoreBackup(backup);
    s.lie({
      match: (r) => r.endpoint.endsWith('/params'),
      when: 'instead',
      answer: () =>
        new Response(JSON.stringify({ error_code: 'BAD_REQUEST', message: 'no' }), {
          status: 400,
          headers: { 'Content-Type': 'application/json' },
        }),
    });
    await t.sync();
    await t.sync();
    const status = await t.syncStatus();
    expect(status.pending).toEqual(nothingPending);
    expect(status.deadLetters.map((d) => [d.kind, d.key])).toEqual([['model', 'm (logged model params)']]);
    expect(s.modelsTagged(info.modelId)).toHaveLength(1);
  });

  it('a second value under one key, step and millisecond goes to the run but only the first to the model (MLflow refuses the whole request otherwise)', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'model-data' });
    const info = await run.logModel('m', { code: CODE });
    run.logMetric('acc', 0.5, { model: info, timestamp: 10 });
    run.logMetric('acc', 0.6, { model: info, timestamp: 10 });
    await run.end();
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    expect(s.modelsTagged(info.modelId)[0]!.data.metrics.map((m) => m.value)).toEqual([0.5]);
    expect([...s.db.runs.values()][0]!.metrics.map((m) => m.value)).toEqual([0.5, 0.6]);
  });

  it('bad input: a malformed model is refused at the call (nothing logged); an unknown one at flush, the run keeping its point', async () => {
    const { t } = await open(undefined);
    const run = await t.startRun({ experimentName: 'model-data' });
    expect(() => run.logMetric('acc', 1, { model: 'nope' })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
    );
    expect(() => run.logMetrics({ acc: 1 }, { model: { modelId: 7 } as never })).toThrow(MlflowEdgeError);
    await run.flush();
    expect((await t.getRun(run.runId)).data.metrics).toEqual({});
    await expect(run.logModel('m', { code: CODE }, { params: { 'bad key!': 1 } })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    const unknown = `m-${'0'.repeat(32)}`;
    run.logMetric('acc', 1, { model: unknown });
    await expect(run.flush()).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((await t.getRun(run.runId)).data.metrics).toEqual({ acc: 1 });
    expect(await t.listLoggedModels()).toEqual([]);
  });
});
