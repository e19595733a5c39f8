// Runs in the page; bench/run.mjs reads window.__bench. One suite per page
// load (?suite=…), so each starts from a fresh page.
import { openTracker } from '../dist/index.js';

const suite = new URLSearchParams(location.search).get('suite');
const tag = Math.random().toString(36).slice(2);

const raw = (layout, n) =>
  new Promise((resolve) => {
    const worker = new Worker(new URL('./raw-worker.js', import.meta.url));
    worker.onmessage = ({ data }) => {
      worker.terminate();
      resolve(data.ms);
    };
    worker.postMessage({ layout, n, dbName: `raw-${layout}-${tag}` });
  });

const suites = {
  // Worker start plus database open, on a database name never used before.
  async open() {
    const t0 = performance.now();
    const tracker = await openTracker({ dbName: `open-${tag}` });
    const ms = performance.now() - t0;
    await tracker.close();
    return { ms };
  },

  // Page cost of logMetric: the synchronous call alone, 100k calls (flushes to the worker included).
  async pageCost() {
    const tracker = await openTracker({ dbName: `cost-${tag}` });
    const run = await tracker.startRun();
    for (let i = 0; i < 10_000; i++) run.logMetric('warmup', i, { step: i });
    await run.flush();
    const n = 100_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) run.logMetric('loss', i, { step: i });
    const ms = performance.now() - t0;
    await run.flush();
    await tracker.close();
    return { usPerCall: (ms * 1000) / n };
  },

  // Page API to disk: log n points as fast as the page can, until flush() says they are on disk.
  async sustained() {
    const tracker = await openTracker({ dbName: `sustained-${tag}` });
    const run = await tracker.startRun();
    const n = 1_000_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      run.logMetric('loss', Math.random(), { step: i });
      // Yield now and then, as a real training loop does, so flush messages go out.
      if (i % 50_000 === 49_999) await new Promise((r) => setTimeout(r, 0));
    }
    await run.flush();
    const ms = performance.now() - t0;
    const stored = (await tracker.getMetricHistory(run.runId, 'loss')).length;
    await tracker.close();
    return { pointsPerSecond: n / (ms / 1000), stored, n };
  },

  async rawPerPoint() {
    const n = 100_000;
    const ms = await raw('per-point', n);
    return { pointsPerSecond: n / (ms / 1000) };
  },

  async rawChunked() {
    const n = 1_000_000;
    const ms = await raw('chunked', n);
    return { pointsPerSecond: n / (ms / 1000) };
  },

  // Reading back a 100k-point history through the worker.
  async readHistory() {
    const tracker = await openTracker({ dbName: `read-${tag}` });
    const run = await tracker.startRun();
    for (let i = 0; i < 100_000; i++) run.logMetric('loss', Math.random(), { step: i });
    await run.flush();
    const median = async (read) => {
      const times = [];
      for (let r = 0; r < 5; r++) {
        const t0 = performance.now();
        const n = await read();
        times.push(performance.now() - t0);
        if (n !== 100_000) throw new Error(`read ${n} points`);
      }
      return times.sort((a, b) => a - b)[2];
    };
    const ms = await median(async () => (await tracker.getMetricHistory(run.runId, 'loss')).length);
    const columnsMs = await median(async () => (await tracker.getMetricHistoryColumns(run.runId, 'loss')).values.length);
    await tracker.close();
    return { ms, columnsMs };
  },
};

try {
  window.__bench = { ok: true, result: await suites[suite]() };
} catch (error) {
  window.__bench = { ok: false, error: String(error?.stack ?? error) };
}
