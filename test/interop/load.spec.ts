// Load: eight browsers (each its own context, page, worker and database) log and upload at
// the same time to one MLflow server on PostgreSQL with four worker processes, so their
// requests really run in parallel on the server: all eight ask for the same experiment at
// once (a create that loses the race gets RESOURCE_ALREADY_EXISTS), and runs are created
// and batches land concurrently. Exactly once must still hold for every browser.
import { expect, test } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { assertSameRuns, localRuns, NOTHING_PENDING } from './local-state.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { startPostgres, type Postgres } from './postgres.js';
import { ServerReader, type RunSnapshot } from './server-state.js';

const BROWSERS = 8;
const RUNS = 3;
const STEPS = 2000;
const EXPERIMENT = 'load-exp';

let pg: Postgres;
let server: MlflowServer;
test.beforeAll(async () => {
  // A throwaway cluster: nothing here needs to survive a crash of PostgreSQL itself.
  pg = await startPostgres({ settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } });
  server = await startMlflowServer({ backendStoreUri: pg.uri, workers: 4 });
});
test.afterAll(async () => {
  await server?.stop();
  await pg?.stop();
});

test(`${BROWSERS} browsers log and sync at once to PostgreSQL with 4 workers: every run exactly once`, async ({
  browser,
}) => {
  const contexts = await Promise.all(Array.from({ length: BROWSERS }, () => browser.newContext()));
  try {
    const pages = await Promise.all(contexts.map((c) => c.newPage()));
    const errors = pages.map((p) => watchErrors(p));
    await Promise.all(pages.map((p) => openLibrary(p)));

    // Everybody logs at once, with the server configured: uploads start while runs grow.
    await Promise.all(
      pages.map((page, i) =>
        page.evaluate(
          async ({ i, trackingUri, EXPERIMENT, RUNS, STEPS }) => {
            const t = await edge.openTracker({ dbName: `load-${i}`, remote: { trackingUri } });
            Object.assign(window, { t });
            for (let r = 0; r < RUNS; r++) {
              const run = await t.startRun({
                experimentName: EXPERIMENT,
                runName: `browser${i}-run${r}`,
                tags: { browser: i, run: r, kind: 'load' },
              });
              run.logParams({ browser: i, run: r, lr: 0.1 / (r + 1), batch_size: 32 * (i + 1), optimizer: 'adam' });
              for (let step = 0; step < STEPS; step++) {
                run.logMetrics({ loss: 1 / (step + 1) + i, acc: step / STEPS }, { step });
                if (step % 500 === 499) await new Promise((res) => setTimeout(res, 0));
              }
              await run.logArtifact('summary.json', JSON.stringify({ browser: i, run: r, steps: STEPS }));
              await run.end({ status: r === 1 ? 'FAILED' : 'FINISHED' });
            }
          },
          { i, trackingUri: server.url, EXPERIMENT, RUNS, STEPS },
        ),
      ),
    );

    // Then all sync at once, each to the end.
    const statuses = await Promise.all(
      pages.map((page) =>
        page.evaluate(async () => {
          const t = (window as unknown as { t: Awaited<ReturnType<typeof edge.openTracker>> }).t;
          await t.sync();
          const status = await t.syncStatus();
          await t.close();
          return status;
        }),
      ),
    );
    for (const status of statuses) {
      expect(status).toMatchObject({ configured: true, leader: true, state: 'idle', inFlight: 0, deadLetters: [] });
      expect(status.pending).toEqual(NOTHING_PENDING);
    }

    // Every browser's runs, each once, equal to what it logged; nothing else on the server.
    const perBrowser = await Promise.all(pages.map((page, i) => localRuns(page, `load-${i}`, EXPERIMENT)));
    for (const [i, runs] of perBrowser.entries()) {
      expect(runs.map((r) => r.name).sort(), `browser ${i}`).toEqual(
        Array.from({ length: RUNS }, (_, r) => `browser${i}-run${r}`),
      );
      expect(runs.every((r) => r.metrics.loss?.length === STEPS && r.metrics.acc?.length === STEPS)).toBe(true);
    }
    const local: RunSnapshot[] = perBrowser.flat();
    const reader = new ServerReader(server.url);
    assertSameRuns(local, await reader.runs(EXPERIMENT), expect);
    expect(await reader.runs(EXPERIMENT, 'DELETED_ONLY'), 'no run created twice and deleted').toEqual([]);

    for (const e of errors) expect(e).toEqual([]);
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
});
