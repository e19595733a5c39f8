import { expect, test } from '@playwright/test';
import { openLibrary } from '../browser/fixtures.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { ServerReader } from './server-state.js';

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer();
});
test.afterAll(async () => {
  await server?.stop();
});

const rest = async (path: string, body: unknown) => {
  const response = await fetch(`${server.url}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.ok, `${path}: ${response.status}`).toBe(true);
  return response.json();
};

test('a param the server refuses goes to the dead letters with its message; the rest is uploaded', async ({ page }) => {
  await openLibrary(page);
  const runId = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'dead', remote: { trackingUri, autoSync: false } });
    const run = await t.startRun({ experimentName: 'dead-exp' });
    run.logParam('first', 1);
    await t.sync();
    Object.assign(window, { t, run });
    return (await t.getRun(run.runId)).info.remoteRunId!;
  }, server.url);
  // Another client logs lr=0.5 to the same server run first.
  await rest('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.5' });
  const status = await page.evaluate(async () => {
    const { t, run } = window as unknown as {
      t: Awaited<ReturnType<typeof edge.openTracker>>;
      run: { logParams(p: object): void; logMetric(k: string, v: number, o?: object): void; end(): Promise<void> };
    };
    run.logParams({ lr: '0.1', batch: 64 });
    for (let step = 0; step < 50; step++) run.logMetric('loss', step, { step });
    await run.end();
    await t.sync();
    return t.syncStatus();
  });
  expect(status.pending.runs).toBe(0);
  expect(status.deadLetters).toEqual([
    expect.objectContaining({
      kind: 'param',
      key: 'lr',
      message: expect.stringContaining('Changing param values is not allowed'),
    }),
  ]);
  const [remote] = await new ServerReader(server.url).runs('dead-exp');
  expect(remote!.params).toEqual({ first: '1', lr: '0.5', batch: '64' });
  expect(remote!.metrics.loss).toHaveLength(50);
  expect(remote!.status).toBe('FINISHED');
});

test('an experiment deleted on the server: a clear error in the status, the data kept', async ({ page }) => {
  await openLibrary(page);
  await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'deleted', remote: { trackingUri, autoSync: false } });
    const run = await t.startRun({ experimentName: 'doomed' });
    await run.end();
    await t.sync();
    await t.close();
  }, server.url);
  const { experiment } = await (
    await fetch(`${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=doomed`)
  ).json();
  await rest('experiments/delete', { experiment_id: experiment.experiment_id });
  const outcome = await page.evaluate(async (trackingUri) => {
    // Another browser (a fresh database) logs to the same experiment name.
    const t = await edge.openTracker({ dbName: 'deleted-2', remote: { trackingUri, autoSync: false } });
    const run = await t.startRun({ experimentName: 'doomed' });
    run.logMetric('kept', 1);
    await run.end();
    const { sync: error } = await errorsOf({ sync: () => t.sync() });
    const status = await t.syncStatus();
    const local = await t.getRun(run.runId);
    await t.close();
    return { error, status, metrics: local.data.metrics };
  }, server.url);
  expect(outcome.error?.message).toMatch(/deleted on the server.*restore/i);
  expect(outcome.status.lastError?.message).toMatch(/deleted on the server/);
  expect(outcome.status.pending.runs).toBe(1);
  expect(outcome.metrics).toEqual({ kept: 1 });
});

test('status updates reach onSyncStatus, and coming back online starts an upload', async ({ page, context }) => {
  await openLibrary(page);
  await page.evaluate(async (trackingUri) => {
    Object.assign(window, { t: await edge.openTracker({ dbName: 'online', remote: { trackingUri } }) });
  }, server.url);
  // (Offline emulation blocks loopback too, so the worker is started first.)
  await context.setOffline(true);
  const seen = await page.evaluate(async () => {
    const t = (window as unknown as { t: Awaited<ReturnType<typeof edge.openTracker>> }).t;
    const states: { state: string; pending: number; online: boolean }[] = [];
    t.onSyncStatus((s) => states.push({ state: s.state, pending: s.pending.runs, online: s.online }));
    const run = await t.startRun({ experimentName: 'online-exp' });
    run.logMetric('m', 1);
    await run.end();
    await new Promise((r) => setTimeout(r, 1500));
    Object.assign(window, { states });
    return states.slice();
  });
  expect(seen.some((s) => s.pending === 1)).toBe(true);
  expect(await new ServerReader(server.url).runs('online-exp')).toEqual([]);
  await context.setOffline(false);
  const after = await page.evaluate(async () => {
    const { t, states } = window as unknown as {
      t: { syncStatus(): Promise<{ pending: { runs: number } }> };
      states: { pending: number }[];
    };
    const deadline = Date.now() + 20_000;
    while ((await t.syncStatus()).pending.runs > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 600));
    return states.at(-1);
  });
  expect(after).toMatchObject({ pending: 0, state: 'idle' });
  expect(await new ServerReader(server.url).runs('online-exp')).toHaveLength(1);
});
