import { expect, test } from '@playwright/test';
import { FOREIGN_PAGE } from '../../playwright.config.js';
import { startMlflowServer } from './mlflow-server.js';
import { ServerReader } from './server-state.js';

// The page's origin (127.0.0.2) is not localhost to the server: MLflow ≥ 3.5
// refuses its writes unless started with --cors-allowed-origins.
test('a page on another origin syncs only when the server allows that origin', async ({ page }) => {
  const blocked = await startMlflowServer();
  await page.goto(`${FOREIGN_PAGE}/test/browser/blank.html`);
  await page.evaluate(async () => {
    const library = '/dist/index.js'; // served by the page's origin, not resolved by TypeScript
    (window as unknown as { edge: unknown }).edge = await import(library);
  });
  const refused = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'cors', remote: { trackingUri } });
    const run = await t.startRun({ experimentName: 'cors-exp' });
    run.logMetric('m', 1);
    await run.end();
    const deadline = Date.now() + 20_000;
    let status = await t.syncStatus();
    while (status.lastError === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = await t.syncStatus();
    }
    await t.close();
    return status;
  }, blocked.url);
  expect(refused.lastError?.message).toContain(`--cors-allowed-origins ${FOREIGN_PAGE}`);
  expect(refused.pending.runs).toBe(1);
  await blocked.stop();

  const allowed = await startMlflowServer({ corsAllowedOrigins: [FOREIGN_PAGE] });
  try {
    const status = await page.evaluate(async (trackingUri) => {
      const t = await edge.openTracker({ dbName: 'cors', remote: { trackingUri, autoSync: false } });
      await t.sync();
      const s = await t.syncStatus();
      await t.close();
      return s;
    }, allowed.url);
    expect(status.pending.runs).toBe(0);
    const runs = await new ServerReader(allowed.url).runs('cors-exp');
    expect(runs.map((r) => r.metrics)).toEqual([{ m: [expect.objectContaining({ value: 1, step: 0 })] }]);
  } finally {
    await allowed.stop();
  }
});
