import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { expect, openLibrary, Profile, test, watchErrors } from './fixtures.js';

test('data survives a page reload', async ({ page }) => {
  const runId = await page.evaluate(async () => {
    const tracker = await edge.openTracker({ dbName: 'reload' });
    const run = await tracker.startRun({ runName: 'before-reload' });
    run.logParam('p', 1);
    for (let i = 0; i < 5000; i++) run.logMetric('m', i, { step: i });
    await run.logArtifact('a.txt', 'kept');
    await run.flush();
    return run.runId;
  });
  await page.reload();
  await openLibrary(page);
  const after = await page.evaluate(async (runId) => {
    const tracker = await edge.openTracker({ dbName: 'reload' });
    const run = await tracker.getRun(runId);
    const history = await tracker.getMetricHistory(runId, 'm');
    const text = await (await tracker.readArtifact(runId, 'a.txt')).text();
    return { name: run.info.runName, params: run.data.params, n: history.length, last: history.at(-1), text };
  }, runId);
  expect(after).toMatchObject({ name: 'before-reload', params: { p: '1' }, n: 5000, text: 'kept' });
  expect(after.last).toMatchObject({ step: 4999, value: 4999 });
});

test('data survives a browser restart (persistent profile), including OPFS artifacts', async () => {
  const profile = new Profile();
  try {
    let context = await profile.launch();
    let page = context.pages()[0] ?? (await context.newPage());
    const errors = watchErrors(page);
    await openLibrary(page);
    const runId = await page.evaluate(async () => {
      const tracker = await edge.openTracker({ dbName: 'restart' });
      const run = await tracker.startRun({ experimentName: 'field-study' });
      run.logParams({ site: 'north', n: 3 });
      run.setTag('device', 'tablet');
      for (let i = 0; i < 10_000; i++)
        run.logMetric('temperature', 20 + Math.sin(i), { step: i, timestamp: 1_700_000_000_000 + i });
      await run.logArtifact(
        'raw/readings.bin',
        new Uint8Array(300_000).map((_, i) => i % 251),
      );
      await run.end();
      await tracker.close();
      return run.runId;
    });
    expect(errors).toEqual([]);
    await context.close();

    context = await profile.launch();
    page = context.pages()[0] ?? (await context.newPage());
    await openLibrary(page);
    const after = await page.evaluate(async (runId) => {
      const tracker = await edge.openTracker({ dbName: 'restart' });
      const run = await tracker.getRun(runId);
      const history = await tracker.getMetricHistory(runId, 'temperature');
      const bytes = new Uint8Array(await (await tracker.readArtifact(runId, 'raw/readings.bin')).arrayBuffer());
      const ok = history.every(
        (p, i) => p.step === i && p.value === 20 + Math.sin(i) && p.timestamp === 1_700_000_000_000 + i,
      );
      return {
        info: run.info,
        data: run.data,
        n: history.length,
        ok,
        size: bytes.length,
        byteOk: bytes.every((b, i) => b === i % 251),
      };
    }, runId);
    expect(after.info).toMatchObject({ status: 'FINISHED', experimentName: 'field-study' });
    expect(after.data.params).toEqual({ site: 'north', n: '3' });
    expect(after.data.tags.device).toBe('tablet');
    expect(after).toMatchObject({ n: 10_000, ok: true, size: 300_000, byteOk: true });
    await context.close();
  } finally {
    profile.remove();
  }
});

test('items still buffered when the page is hidden are sent at once', async ({ page }) => {
  const stored = await page.evaluate(async () => {
    const tracker = await edge.openTracker({ dbName: 'hide', flushIntervalMs: 60_000 });
    const reader = await edge.openTracker({ dbName: 'hide' });
    const run = await tracker.startRun();
    run.logMetric('m', 7);
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    const deadline = Date.now() + 5000;
    let metrics = (await reader.getRun(run.runId)).data.metrics;
    while (metrics.m === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      metrics = (await reader.getRun(run.runId)).data.metrics;
    }
    return metrics;
  });
  expect(stored).toEqual({ m: 7 });
});

test.describe('the schema upgrade in Chromium', () => {
  test('a database written by schema version 1 opens and upgrades without loss', async ({ page }) => {
    // The version-1 layout, written with the raw IndexedDB API exactly as the
    // first release created it: a frozen fixture, independent of the migrations.
    const result = await page.evaluate(async () => {
      const runId = '0123456789abcdef0123456789abcdef';
      await new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('legacy-v1', 1);
        open.onupgradeneeded = () => {
          const db = open.result;
          db.createObjectStore('meta');
          db.createObjectStore('experiments', { keyPath: 'experimentId' }).createIndex('byName', 'name', {
            unique: true,
          });
          db.createObjectStore('runs', { keyPath: 'runId' }).createIndex('byExperiment', 'experimentId');
          db.createObjectStore('params', { keyPath: ['runId', 'key'] });
          db.createObjectStore('tags', { keyPath: ['runId', 'key'] });
          db.createObjectStore('series', { keyPath: ['runId', 'key'] });
          db.createObjectStore('metricChunks', { keyPath: ['runId', 'key', 'chunkNo'] });
          db.createObjectStore('artifacts', { keyPath: ['runId', 'path'] });
        };
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['meta', 'experiments', 'runs', 'params', 'series', 'metricChunks'], 'readwrite');
          tx.objectStore('meta').put(3, 'seq');
          tx.objectStore('experiments').put({
            experimentId: '0',
            name: 'Default',
            lifecycleStage: 'active',
            creationTime: 1,
            lastUpdateTime: 1,
            tags: {},
          });
          tx.objectStore('runs').put({
            runId,
            experimentId: '0',
            runName: 'v1-run',
            status: 'FINISHED',
            startTime: 5,
            endTime: 6,
            lifecycleStage: 'active',
            userId: 'unknown',
            seq: 1,
          });
          tx.objectStore('params').put({ runId, key: 'alpha', value: '0.5', seq: 2 });
          tx.objectStore('series').put({ runId, key: 'loss', count: 2, latest: { step: 1, value: 0.1, timestamp: 9 } });
          tx.objectStore('metricChunks').put({
            runId,
            key: 'loss',
            chunkNo: 0,
            steps: Float64Array.from([0, 1]),
            values: Float64Array.from([0.9, 0.1]),
            timestamps: Float64Array.from([8, 9]),
          });
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
        open.onerror = () => reject(open.error);
      });
      const tracker = await edge.openTracker({ dbName: 'legacy-v1' });
      const run = await tracker.getRun(runId);
      const history = await tracker.getMetricHistory(runId, 'loss');
      const resumed = await tracker.startRun({ runId });
      resumed.logMetric('loss', 0.05, { step: 2 });
      await resumed.end();
      const longer = await tracker.getMetricHistory(runId, 'loss');
      await tracker.close();
      const version = await new Promise<number>((resolve) => {
        const open = indexedDB.open('legacy-v1');
        open.onsuccess = () => {
          resolve(open.result.version);
          open.result.close();
        };
      });
      return { run, history, longer: longer.map((p) => p.value), version };
    });
    expect(result.version).toBe(SCHEMA_VERSION);
    expect(result.run.info).toMatchObject({ runName: 'v1-run', status: 'FINISHED', startTime: 5, endTime: 6 });
    expect(result.run.data).toEqual({ params: { alpha: '0.5' }, tags: {}, metrics: { loss: 0.1 } });
    expect(result.history).toEqual([
      { step: 0, value: 0.9, timestamp: 8 },
      { step: 1, value: 0.1, timestamp: 9 },
    ]);
    expect(result.longer).toEqual([0.9, 0.1, 0.05]);
  });
});

test.describe('several tabs', () => {
  test('two tabs log into the same database at once without losing or mixing writes', async ({ page, context }) => {
    const second = await context.newPage();
    const errors = watchErrors(second);
    await openLibrary(second);
    // Both tabs create the same experiment and a shared run at once, then log concurrently.
    const shared = await page.evaluate(async () => {
      const t = await edge.openTracker({ dbName: 'tabs' });
      const run = await t.startRun({ experimentName: 'shared', runName: 'shared-run' });
      await t.close();
      return run.runId;
    });
    const tab = async (p: typeof page, name: string) =>
      p.evaluate(
        async ({ name, shared }) => {
          const t = await edge.openTracker({ dbName: 'tabs', flushIntervalMs: 5 });
          const own = await t.startRun({ experimentName: 'shared', runName: name });
          const both = await t.startRun({ runId: shared });
          for (let i = 0; i < 20_000; i++) {
            own.logMetric('x', i, { step: i });
            both.logMetric(`from-${name}`, i, { step: i });
            both.logMetric('mixed', i, { step: i });
            if (i % 2000 === 0) {
              own.logParam(`p${i}`, name);
              both.setTag(`tag-${name}-${i}`, i);
              await new Promise((r) => setTimeout(r, 1));
            }
          }
          await t.flush();
          await t.close();
          return own.runId;
        },
        { name, shared },
      );
    const [a, b] = await Promise.all([tab(page, 'a'), tab(second, 'b')]);
    const check = await page.evaluate(
      async ({ a, b, shared }) => {
        const t = await edge.openTracker({ dbName: 'tabs' });
        const count = async (id: string, key: string) => {
          const h = await t.getMetricHistory(id, key);
          const values = h.map((p) => p.value);
          return { n: h.length, ordered: values.every((v, i) => i === 0 || v >= values[i - 1]!) };
        };
        const mixed = await t.getMetricHistory(shared, 'mixed');
        const histogram = new Map<number, number>();
        for (const p of mixed) histogram.set(p.value, (histogram.get(p.value) ?? 0) + 1);
        return {
          a: await count(a, 'x'),
          b: await count(b, 'x'),
          fromA: await count(shared, 'from-a'),
          fromB: await count(shared, 'from-b'),
          mixed: mixed.length,
          everyValueTwice: [...histogram.values()].every((n) => n === 2) && histogram.size === 20_000,
          paramsA: Object.keys((await t.getRun(a)).data.params).length,
          tags: Object.keys((await t.getRun(shared)).data.tags).filter((k) => k.startsWith('tag-')).length,
          experiments: (await t.listExperiments()).map((e) => e.name),
        };
      },
      { a, b, shared },
    );
    expect(check).toEqual({
      a: { n: 20_000, ordered: true },
      b: { n: 20_000, ordered: true },
      fromA: { n: 20_000, ordered: true },
      fromB: { n: 20_000, ordered: true },
      mixed: 40_000,
      everyValueTwice: true,
      paramsA: 10,
      tags: 20,
      experiments: ['shared'],
    });
    expect(errors).toEqual([]);
  });

  test('two tabs creating the same new experiment at once get one experiment', async ({ page, context }) => {
    const pages = [page, await context.newPage(), await context.newPage()];
    for (const p of pages.slice(1)) await openLibrary(p);
    const ids = await Promise.all(
      pages.map((p) =>
        p.evaluate(async () => {
          const t = await edge.openTracker({ dbName: 'race' });
          const runs = await Promise.all([1, 2, 3].map(() => t.startRun({ experimentName: 'raced' })));
          await t.close();
          return runs.map((r) => r.experimentId);
        }),
      ),
    );
    expect(new Set(ids.flat()).size).toBe(1);
  });
});
