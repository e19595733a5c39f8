import { expect, test } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { assertSameRuns, localRuns, NOTHING_PENDING } from './local-state.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { ServerReader } from './server-state.js';

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test('runs logged offline are uploaded exactly as logged', async ({ page }) => {
  const errors = watchErrors(page);
  await openLibrary(page);
  await page.evaluate(async () => {
    const t = await edge.openTracker({ dbName: 'offline', user: 'ada' });
    const parent = await t.startRun({ experimentName: 'offline-exp', runName: 'sweep' });
    for (const [i, lr] of [0.1, 0.01, 0.001].entries()) {
      const run = await t.startRun({
        experimentName: 'offline-exp',
        runName: `lr-${lr}`,
        parentRunId: parent.runId,
        tags: { trial: i },
      });
      run.logParams({ lr, batch_size: 32, optimizer: 'adam', note: 'ünïcødé ✓' });
      for (let step = 0; step < 3000; step++)
        run.logMetrics({ loss: 1 / (step + 1) + lr, acc: step / 3000 }, { step, timestamp: 1_700_000_000_000 + step });
      run.logMetric('odd', NaN, { step: 0 });
      run.logMetric('odd', Infinity, { step: 1 });
      run.logMetric('odd', -Infinity, { step: 2 });
      run.logMetric('odd', 0.5, { step: 3 });
      await run.logArtifact(
        'model/weights.bin',
        new Uint8Array(200_000).map((_, k) => (k * (i + 7)) % 256),
      );
      await run.logArtifact('notes/with space & ü.txt', `trial ${i}`);
      await run.end({ status: i === 2 ? 'FAILED' : 'FINISHED' });
    }
    await parent.end({ status: 'KILLED' });
    const running = await t.startRun({ experimentName: 'offline-exp', runName: 'still-running' });
    running.logMetric('m', 1);
    await running.flush();
    await t.close();
  });

  const result = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'offline', remote: { trackingUri, autoSync: false } });
    const before = await t.syncStatus();
    await t.sync();
    const after = await t.syncStatus();
    const runs = await t.searchRuns({ experimentName: 'offline-exp' });
    await t.close();
    return { before, after, remoteIds: runs.map((r) => r.info.remoteRunId) };
  }, server.url);
  expect(result.before.pending).toMatchObject({ runs: 5, artifacts: 6, metrics: 3 * 6004 + 1 });
  expect(result.before.pending.params).toBe(12);
  expect(result.after).toMatchObject({ configured: true, leader: true, state: 'idle', inFlight: 0, deadLetters: [] });
  expect(result.after.pending).toEqual(NOTHING_PENDING);
  expect(result.remoteIds.every((id) => typeof id === 'string' && /^[0-9a-f]{32}$/.test(id))).toBe(true);

  const server1 = await new ServerReader(server.url).runs('offline-exp');
  const local = await localRuns(page, 'offline', 'offline-exp');
  assertSameRuns(local, server1, expect);

  // Syncing again changes nothing on the server.
  await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'offline', remote: { trackingUri, autoSync: false } });
    await t.sync();
    await t.close();
  }, server.url);
  assertSameRuns(local, await new ServerReader(server.url).runs('offline-exp'), expect);
  expect(errors).toEqual([]);
});

test('autoSync uploads in the background as runs are logged', async ({ page }) => {
  await openLibrary(page);
  const runId = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'auto', remote: { trackingUri } });
    const run = await t.startRun({ experimentName: 'auto-exp' });
    for (let step = 0; step < 500; step++) run.logMetric('loss', 1 / (step + 1), { step });
    await run.end();
    const deadline = Date.now() + 30_000;
    let status = await t.syncStatus();
    while ((status.pending.runs > 0 || status.state === 'syncing') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = await t.syncStatus();
    }
    return run.runId;
  }, server.url);
  const local = await localRuns(page, 'auto', 'auto-exp');
  assertSameRuns(local, await new ServerReader(server.url).runs('auto-exp'), expect);
  expect(local[0]!.runId).toBe(runId);
});
