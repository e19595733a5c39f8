import { expect, test } from '@playwright/test';
import { openLibrary } from '../browser/fixtures.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { assertSameRuns, localRuns, NOTHING_PENDING } from './local-state.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { ServerReader } from './server-state.js';

let server: MlflowServer;
let proxy: FaultProxy;
test.beforeAll(async () => {
  server = await startMlflowServer();
  proxy = await startFaultProxy({
    target: server.url,
    seed: 20261122,
    rates: {
      dropResponse: 0.12,
      reset: 0.05,
      status500: 0.04,
      status503: 0.04,
      status429: 0.04,
      delay: 0.1,
      delayMs: [10, 300],
    },
  });
});
test.afterAll(async () => {
  await proxy?.stop();
  await server?.stop();
});

test('lost responses, resets, delays, 500/503/429: the server ends with exactly the logged data', async ({ page }) => {
  await openLibrary(page);
  await page.evaluate(async () => {
    const t = await edge.openTracker({ dbName: 'faults' });
    for (let r = 0; r < 6; r++) {
      const run = await t.startRun({ experimentName: 'faults-exp', runName: `run-${r}` });
      const params: Record<string, number> = {};
      for (let p = 0; p < 130; p++) params[`p${p}`] = p * r;
      run.logParams(params);
      for (let g = 0; g < 30; g++) run.setTag(`tag${g}`, `${r}-${g}`);
      for (let step = 0; step < 3000; step++)
        run.logMetrics({ loss: Math.exp(-step / 500) * (r + 1), acc: step / 3000 }, { step });
      // The same step and value logged twice at the same time is two points locally, and on the server.
      run.logMetric('dup', 1, { step: 0, timestamp: 1000 });
      run.logMetric('dup', 1, { step: 0, timestamp: 1001 });
      await run.logArtifact(
        `data/part-${r}.bin`,
        new Uint8Array(300_000).map((_, i) => (i + r) % 251),
      );
      await run.end();
    }
    await t.close();
  });

  const attempts = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'faults', remote: { trackingUri, autoSync: false } });
    const tries = await syncRetrying(t, 10);
    const status = await t.syncStatus();
    await t.close();
    return { tries, status };
  }, proxy.url);
  expect(attempts.status.pending).toEqual(NOTHING_PENDING);
  expect(attempts.status.deadLetters).toEqual([]);
  // The faults really happened, lost responses included.
  expect(proxy.stats.dropResponse ?? 0).toBeGreaterThan(5);
  expect(proxy.stats.reset ?? 0).toBeGreaterThan(0);
  expect((proxy.stats.status429 ?? 0) + (proxy.stats.status503 ?? 0) + (proxy.stats.status500 ?? 0)).toBeGreaterThan(0);

  const local = await localRuns(page, 'faults', 'faults-exp');
  expect(local).toHaveLength(6);
  const reader = new ServerReader(server.url);
  assertSameRuns(local, await reader.runs('faults-exp'), expect);
  // Twins of a run created twice (a browser resent a create whose answer was lost) are deleted and hold nothing.
  for (const twin of await reader.runs('faults-exp', 'DELETED_ONLY')) {
    expect({ params: twin.params, metrics: twin.metrics, artifacts: twin.artifacts }).toEqual({
      params: {},
      metrics: {},
      artifacts: {},
    });
  }
});
