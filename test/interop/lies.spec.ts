import { expect, test } from '@playwright/test';
import { openLibrary } from '../browser/fixtures.js';
import { startFaultProxy, type FaultProxy, type LieFate } from './fault-proxy.js';
import { assertSameRuns, localRuns, NOTHING_PENDING } from './local-state.js';
import {
  deleteExperiment,
  experimentIdByName,
  freePort,
  restoreExperiment,
  startMlflowServer,
  type MlflowServer,
} from './mlflow-server.js';
import { ServerReader } from './server-state.js';

// What networks and servers do to sync, end to end against a real MLflow
// server: each case ends with the server compared field by field with the
// local store (equal, no duplicates) and no deleted runs.

let server: MlflowServer;
let proxy: FaultProxy;
test.beforeAll(async () => {
  server = await startMlflowServer();
  proxy = await startFaultProxy({ target: server.url, seed: 20261129, rates: {} });
});
test.afterAll(async () => {
  await proxy?.stop();
  await server?.stop();
});

/** Logs one finished run with params, tags, two series and a file into `experiment` (in the page). */
async function logRun(
  page: import('@playwright/test').Page,
  dbName: string,
  experiment: string,
  name: string,
  trackingUri?: string,
) {
  await page.evaluate(
    async ({ dbName, experiment, name, trackingUri }) => {
      const t = await edge.openTracker(
        trackingUri === undefined ? { dbName } : { dbName, remote: { trackingUri, autoSync: false } },
      );
      const run = await t.startRun({ experimentName: experiment, runName: name });
      run.logParams({ lr: 0.01, batch: 32 });
      run.setTags({ case: name, note: 'ünïcödé' });
      for (let step = 0; step < 300; step++) run.logMetrics({ loss: 1 / (step + 1), acc: step / 300 }, { step });
      await run.logArtifact('out/summary.txt', `summary of ${name}`);
      await run.end();
      await t.close();
    },
    { dbName, experiment, name, trackingUri },
  );
}

/** Opens the tracker on `trackingUri`, syncs `passes` times, returns the status. */
async function syncIn(page: import('@playwright/test').Page, dbName: string, trackingUri: string, passes = 1) {
  return page.evaluate(
    async ({ dbName, trackingUri, passes }) => {
      const t = await edge.openTracker({ dbName, remote: { trackingUri, autoSync: false } });
      for (let i = 0; i < passes; i++) await t.sync();
      const status = await t.syncStatus();
      await t.close();
      return status;
    },
    { dbName, trackingUri, passes },
  );
}

async function expectSame(page: import('@playwright/test').Page, dbName: string, experiment: string) {
  const reader = new ServerReader(server.url);
  assertSameRuns(await localRuns(page, dbName, experiment), await reader.runs(experiment), expect);
  expect(await reader.runs(experiment, 'DELETED_ONLY')).toEqual([]);
}

test('captive portals, empty 200s, redirects and proxy 404/405/413 are never taken as uploaded; once healed, the server equals the local store', async ({
  page,
}) => {
  // Each lying sync() retries as a user's would (8 attempts, backoff up to 30 s, jittered): 16–42 s each here, 7 of them.
  test.setTimeout(600_000);
  await openLibrary(page);
  const fates: LieFate[] = ['htmlOk', 'emptyOk', 'redirect', 'proxy404', 'proxy405', 'proxy413', 'htmlOkAfterForward'];
  for (const fate of fates) {
    const dbName = `lie-${fate}`;
    await logRun(page, dbName, dbName, `run-${fate}`);
    await proxy.setMode({
      fate,
      match: (_method, pathname) => pathname.startsWith('/api/') || pathname === '/version',
    });
    const lied = await page.evaluate(
      async ({ dbName, trackingUri }) => {
        const t = await edge.openTracker({ dbName, remote: { trackingUri, autoSync: false } });
        const { sync } = await errorsOf({ sync: () => t.sync() });
        const status = await t.syncStatus();
        await t.close();
        return { sync, status };
      },
      { dbName, trackingUri: proxy.url },
    );
    expect(lied.sync, fate).toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE', typed: true });
    expect(lied.status.deadLetters, fate).toEqual([]);
    expect(lied.status.lastError?.code, fate).toBe('TEMPORARILY_UNAVAILABLE');
    expect(lied.status.pending.runs, fate).toBe(1);
    expect(lied.status.pending.metrics, fate).toBe(600);
    await proxy.setMode(null);
    const healed = await syncIn(page, dbName, proxy.url);
    expect(healed.pending, fate).toEqual(NOTHING_PENDING);
    expect(healed.lastError, fate).toBeUndefined();
    await expectSame(page, dbName, dbName);
  }
  expect(proxy.stats.htmlOkAfterForward).toBeGreaterThan(0);
});

test("a proxy answers MLflow's own {} to the middle log-batch of a long series and drops it: verification counts the series' points and names the metric; the next pass sends the series again and the server equals the local store", async ({
  page,
}) => {
  await openLibrary(page);
  const dbName = 'lie-jsonOk';
  await page.evaluate(
    async ({ dbName }) => {
      const t = await edge.openTracker({ dbName });
      const run = await t.startRun({ experimentName: dbName, runName: 'long' });
      run.logParams({ lr: 0.01 });
      // Three log-batches (1000, 1000, 500 points); the latest point is in the last one.
      for (let step = 0; step < 2500; step++) run.logMetric('loss', step % 97 === 3 ? NaN : 1 / (step + 1), { step });
      await run.end();
      await t.close();
    },
    { dbName },
  );
  let batches = 0;
  await proxy.setMode({
    fate: 'jsonOk',
    match: (method, pathname) => method === 'POST' && pathname.endsWith('/runs/log-batch') && ++batches === 2,
  });
  const lied = await syncIn(page, dbName, proxy.url);
  await proxy.setMode(null);
  expect(proxy.stats.jsonOk).toBe(1);
  expect(lied.lastNotice?.message).toMatch(/lacks 1000 of the 2500 points of metric loss:/);
  expect(lied.pending.runs).toBe(1);
  expect(lied.deadLetters).toEqual([]);
  // The healing pass checks the series again with one point asked for at offset 2499: MLflow's own offset token, so no whole history.
  const histories: string[] = [];
  await proxy.setMode({
    fate: 'jsonOk',
    match: (_method, pathname, url) => (pathname.endsWith('/metrics/get-history') && histories.push(url), false),
  });
  const healed = await syncIn(page, dbName, proxy.url);
  await proxy.setMode(null);
  expect(histories.map((url) => new URL(url, proxy.url).searchParams.get('max_results'))).toEqual(['1']);
  expect(healed.pending).toEqual(NOTHING_PENDING);
  expect(healed.deadLetters).toEqual([]);
  expect(healed.lastNotice?.message ?? '').not.toMatch(/lacks/);
  await expectSame(page, dbName, dbName);
});

test('an experiment deleted on the server: new data waits (no dead letters) and arrives once it is restored', async ({
  page,
}) => {
  await openLibrary(page);
  const dbName = 'deleted-experiment';
  const runId = await page.evaluate(
    async ({ dbName, trackingUri }) => {
      const t = await edge.openTracker({ dbName, remote: { trackingUri, autoSync: false } });
      const run = await t.startRun({ experimentName: dbName, runName: 'kept' });
      run.logMetric('m', 1);
      await run.flush();
      await t.sync();
      await t.close();
      return run.runId;
    },
    { dbName, trackingUri: server.url },
  );
  const experimentId = (await experimentIdByName(server, dbName))!;
  await deleteExperiment(server, experimentId);
  const waiting = await page.evaluate(
    async ({ dbName, trackingUri, runId }) => {
      const t = await edge.openTracker({ dbName, remote: { trackingUri, autoSync: false } });
      const run = await t.startRun({ runId });
      run.logParam('late', 'yes');
      for (let step = 1; step < 50; step++) run.logMetric('m', step, { step });
      await run.end();
      const { sync } = await errorsOf({ sync: () => t.sync() });
      const status = await t.syncStatus();
      await t.close();
      return { sync, status };
    },
    { dbName, trackingUri: server.url, runId },
  );
  expect(waiting.sync).toMatchObject({ code: 'INVALID_STATE', typed: true });
  expect(waiting.sync?.message).toMatch(/restore/i);
  expect(waiting.status.deadLetters).toEqual([]);
  expect(waiting.status.pending).toMatchObject({ runs: 1, params: 1, metrics: 49 });
  await restoreExperiment(server, experimentId);
  await syncIn(page, dbName, server.url);
  await expectSame(page, dbName, dbName);
});

test('a mistyped URI, the right one through another address of the same server, then a reload: nothing uploaded twice, nothing deleted', async ({
  page,
}) => {
  await openLibrary(page);
  const dbName = 'switch-servers';
  await logRun(page, dbName, dbName, 'first', server.url);
  await syncIn(page, dbName, server.url);
  const dead = `http://127.0.0.1:${await freePort()}`;
  const viaProxy = proxy.url; // another URI of the same server
  const result = await page.evaluate(
    async ({ dbName, dead, viaProxy }) => {
      const t = await edge.openTracker({ dbName, remote: { trackingUri: dead, autoSync: false } });
      const { sync: deadError } = await errorsOf({ sync: () => t.sync() });
      await t.setRemote({ trackingUri: viaProxy, autoSync: false });
      await t.close();
      const again = await edge.openTracker({ dbName, remote: { trackingUri: viaProxy, autoSync: false } });
      const run = await again.startRun({ experimentName: dbName, runName: 'second' });
      run.logMetric('m', 1);
      await run.end();
      await again.sync();
      const status = await again.syncStatus();
      await again.close();
      return { deadError, status };
    },
    { dbName, dead, viaProxy },
  );
  expect(result.deadError).toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE', typed: true });
  expect(result.status.pending.runs).toBe(0);
  await expectSame(page, dbName, dbName);
});

test('a server restarted on an empty database gets everything again; the status says so', async ({ page }) => {
  test.setTimeout(240_000);
  await openLibrary(page);
  const dbName = 'wiped-server';
  await logRun(page, dbName, dbName, 'before', server.url);
  await syncIn(page, dbName, server.url);
  const backup = await server.backup();
  await logRun(page, dbName, dbName, 'after-backup', server.url);
  await syncIn(page, dbName, server.url);
  // Restored from the older backup: 'after-backup' is gone from the server.
  await server.restore(backup);
  const restored = await syncIn(page, dbName, server.url, 2);
  expect(restored.lastNotice?.message).toMatch(/no longer has|missing/);
  await expectSame(page, dbName, dbName);

  await server.restart({ wipe: true });
  await logRun(page, dbName, dbName, 'after-wipe', server.url);
  const wiped = await syncIn(page, dbName, server.url);
  expect(wiped.lastNotice?.message).toMatch(/another database/);
  expect(wiped.pending.runs).toBe(0);
  await expectSame(page, dbName, dbName);
});
