import { expect, test } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { assertSameRuns, localRuns } from './local-state.js';
import { ADMIN, startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { ServerReader } from './server-state.js';

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer({ basicAuth: true });
});
test.afterAll(async () => {
  await server?.stop();
});

test('wrong credentials pause sync with an auth error and lose nothing; right ones complete it', async ({ page }) => {
  // The browser logs the 401 responses themselves as console errors; nothing else may appear.
  const errors = watchErrors(page, [/401 \(UNAUTHORIZED\)|status of 401/i]);
  await openLibrary(page);
  const refused = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({
      dbName: 'auth',
      remote: { trackingUri, auth: { username: 'admin', password: 'wrong-password!' }, autoSync: false },
    });
    const run = await t.startRun({ experimentName: 'auth-exp' });
    run.logParam('lr', 0.1);
    for (let step = 0; step < 100; step++) run.logMetric('loss', 1 / (step + 1), { step });
    await run.logArtifact('a.txt', 'secret');
    await run.end();
    const { sync: error } = await errorsOf({ sync: () => t.sync() });
    const status = await t.syncStatus();
    await t.close();
    return { error, status };
  }, server.url);
  expect(refused.error?.code).toBe('UNAUTHENTICATED');
  expect(refused.error?.message).toMatch(/setRemote/);
  expect(refused.status).toMatchObject({ state: 'paused', lastError: { code: 'UNAUTHENTICATED' } });
  expect(refused.status.pending).toMatchObject({ runs: 1, params: 1, metrics: 100, artifacts: 1 });

  const token = Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64');
  const reader = new ServerReader(server.url, { Authorization: `Basic ${token}` });
  expect(await reader.runs('auth-exp')).toEqual([]);

  const done = await page.evaluate(
    async ({ trackingUri, admin }) => {
      const t = await edge.openTracker({
        dbName: 'auth',
        remote: { trackingUri, auth: { username: 'admin', password: 'wrong-password!' }, autoSync: false },
      });
      await t.setRemote({ trackingUri, auth: admin, autoSync: false });
      await t.sync();
      const status = await t.syncStatus();
      await t.close();
      return status;
    },
    { trackingUri: server.url, admin: ADMIN },
  );
  expect(done.state).toBe('idle');
  expect(done.pending.runs).toBe(0);
  assertSameRuns(await localRuns(page, 'auth', 'auth-exp'), await reader.runs('auth-exp'), expect);
  expect(errors).toEqual([]);
});
