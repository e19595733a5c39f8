import { expect, test, type BrowserContext } from '@playwright/test';
import { openLibrary, Profile } from '../browser/fixtures.js';
import { mulberry32 } from './fault-proxy.js';
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

test('closing the page (and the browser) at random moments during sync, 20 times: exactly once', async () => {
  const profile = new Profile();
  const random = mulberry32(7);
  let context: BrowserContext = await profile.launch();
  const newPage = async () => {
    const page = await context.newPage();
    await openLibrary(page);
    return page;
  };
  try {
    const page = await newPage();
    await page.evaluate(async () => {
      const t = await edge.openTracker({ dbName: 'crash' });
      for (let r = 0; r < 10; r++) {
        const run = await t.startRun({ experimentName: 'crash-exp', runName: `run-${r}` });
        const params: Record<string, number> = {};
        for (let p = 0; p < 120; p++) params[`p${p}`] = p + r;
        run.logParams(params);
        for (let step = 0; step < 12_000; step++) run.logMetrics({ a: Math.sin(step + r), b: step * r }, { step });
        await run.logArtifact(
          'blob.bin',
          new Uint8Array(1_000_000).map((_, i) => (i * (r + 3)) % 256),
        );
        await run.end();
      }
      await t.close();
    });
    await page.close();

    const kills: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p = await newPage();
      await p.evaluate(
        (trackingUri) => edge.openTracker({ dbName: 'crash', remote: { trackingUri } }).then(() => undefined),
        server.url,
      );
      const wait = Math.floor(200 + random() * 2300);
      kills.push(wait);
      await p.waitForTimeout(wait);
      if (i % 5 === 4) {
        await context.close(); // the whole browser goes, mid-request
        context = await profile.launch();
      } else {
        await p.close();
      }
    }
    const reader = new ServerReader(server.url);
    const before = await reader.runs('crash-exp');
    const partial = `${before.length}/10 runs, ${before.reduce((n, r) => n + Object.values(r.metrics).reduce((m, pts) => m + pts.length, 0), 0)}/240000 points`;

    const p = await newPage();
    const status = await p.evaluate(async (trackingUri) => {
      const t = await edge.openTracker({ dbName: 'crash', remote: { trackingUri, autoSync: false } });
      await t.sync();
      const s = await t.syncStatus();
      await t.close();
      return s;
    }, server.url);
    expect(status.pending).toEqual(NOTHING_PENDING);
    const note = `on the server before the last sync: ${partial}; waits ${kills.join(', ')} ms`;
    test.info().annotations.push({ type: 'crashes', description: note });
    console.log(note);

    const local = await localRuns(p, 'crash', 'crash-exp');
    expect(local).toHaveLength(10);
    assertSameRuns(local, await reader.runs('crash-exp'), expect);
    for (const twin of await reader.runs('crash-exp', 'DELETED_ONLY')) {
      expect({ params: twin.params, metrics: twin.metrics, artifacts: twin.artifacts }).toEqual({
        params: {},
        metrics: {},
        artifacts: {},
      });
    }
  } finally {
    await context.close();
    profile.remove();
  }
});
