import { LIBRARY } from '../../playwright.config.js';
import { expect, openLibrary, test } from './fixtures.js';

test('works when the library is served from another origin than the page (a CDN)', async ({ page }) => {
  await openLibrary(page, `${LIBRARY}/dist/index.js`);
  const result = await page.evaluate(async () => {
    const t = await edge.openTracker({ dbName: 'cdn' });
    const run = await t.startRun({ runName: 'from-cdn' });
    run.logMetric('m', 1);
    await run.logArtifact('a.txt', 'cross-origin');
    await run.end();
    const text = await (await t.readArtifact(run.runId, 'a.txt')).text();
    await t.close();
    return { runId: run.runId, text };
  });
  expect(result.text).toBe('cross-origin');
  // The data is in the page's origin: the same-origin build of the library reads it.
  await openLibrary(page);
  const seen = await page.evaluate(async (runId) => {
    const t = await edge.openTracker({ dbName: 'cdn' });
    const run = await t.getRun(runId);
    await t.close();
    return { name: run.info.runName, metrics: run.data.metrics };
  }, result.runId);
  expect(seen).toEqual({ name: 'from-cdn', metrics: { m: 1 } });
});

test('a worker that cannot load fails openTracker with a typed error instead of hanging', async ({ page }) => {
  const outcome = await page.evaluate(async () => {
    try {
      await edge.openTracker({ workerUrl: '/does-not-exist/worker.js' });
      return 'opened';
    } catch (e) {
      return (e as { code?: string }).code;
    }
  });
  expect(outcome).toBe('INTERNAL_ERROR');
});
