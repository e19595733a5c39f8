import { expect, test, type Page } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { assertSameRuns, localRuns } from './local-state.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { ServerReader } from './server-state.js';

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer();
});
test.afterAll(async () => {
  await server?.stop();
});

for (const tabs of [2, 3]) {
  test(`${tabs} tabs log at once: one uploader, exactly once, and another takes over when it closes`, async ({
    context,
  }) => {
    const dbName = `tabs-${tabs}`;
    const experiment = `tabs-${tabs}-exp`;
    const pages: Page[] = [];
    const errors: string[][] = [];
    for (let i = 0; i < tabs; i++) {
      const page = await context.newPage();
      errors.push(watchErrors(page));
      await openLibrary(page);
      await page.evaluate(
        async ({ dbName, trackingUri }) => {
          const t = await edge.openTracker({ dbName, remote: { trackingUri } });
          Object.assign(window, { t });
        },
        { dbName, trackingUri: server.url },
      );
      pages.push(page);
    }
    // Everybody logs at once while the uploader uploads.
    await Promise.all(
      pages.map((page, i) =>
        page.evaluate(
          async ({ experiment, i }) => {
            const t = (window as unknown as { t: Awaited<ReturnType<typeof edge.openTracker>> }).t;
            for (let r = 0; r < 3; r++) {
              const run = await t.startRun({ experimentName: experiment, runName: `tab${i}-run${r}` });
              run.logParams({ tab: i, run: r });
              for (let step = 0; step < 2000; step++) {
                run.logMetric('loss', 1 / (step + 1), { step });
                if (step % 400 === 0) await new Promise((res) => setTimeout(res, 10));
              }
              await run.end();
            }
          },
          { experiment, i },
        ),
      ),
    );
    const leaders = async () =>
      (
        await Promise.all(
          pages.map((p) =>
            p.evaluate(
              async () =>
                (
                  await (window as unknown as { t: { syncStatus(): Promise<{ leader: boolean }> } }).t.syncStatus()
                ).leader,
            ),
          ),
        )
      ).filter(Boolean).length;
    expect(await leaders()).toBe(1);

    // sync() from the last tab, which may be a follower: it asks the uploader.
    await pages.at(-1)!.evaluate(() => (window as unknown as { t: { sync(): Promise<void> } }).t.sync());
    const reader = new ServerReader(server.url);
    assertSameRuns(await localRuns(pages[0]!, dbName, experiment), await reader.runs(experiment), expect);

    // Close the uploader's tab; another takes over, and its sync works.
    const leaderIndex = (
      await Promise.all(
        pages.map((p) =>
          p.evaluate(
            async () =>
              (
                await (window as unknown as { t: { syncStatus(): Promise<{ leader: boolean }> } }).t.syncStatus()
              ).leader,
          ),
        ),
      )
    ).indexOf(true);
    await pages[leaderIndex]!.close();
    pages.splice(leaderIndex, 1);
    errors.splice(leaderIndex, 1);
    const survivor = pages[0]!;
    await survivor.evaluate(async (experiment) => {
      const t = (window as unknown as { t: Awaited<ReturnType<typeof edge.openTracker>> }).t;
      const run = await t.startRun({ experimentName: experiment, runName: 'after-takeover' });
      run.logMetric('m', 42);
      await run.end();
      await t.sync();
    }, experiment);
    expect(await leaders()).toBe(1);
    assertSameRuns(await localRuns(survivor, dbName, experiment), await reader.runs(experiment), expect);
    for (const e of errors) expect(e).toEqual([]);
    for (const p of pages) await p.close();
  });
}
