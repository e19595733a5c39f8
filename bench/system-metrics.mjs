// System metrics (startRun({ logSystemMetrics: true })), Node rows, on the built library:
// - the caller's cost of run.logMetric with system metrics off and on (µs per call: CALLS
//   synchronous calls in BURSTS, with a yield between bursts so the worker samples meanwhile
//   at a 0.1 s interval; the clock runs only during the calls), medians of BENCH_REPEAT rounds,
//   off and on interleaved. Issue 13's budget: unchanged, ≤ 2 µs.
// - the sampler's cost per sample: in direct mode (dist/edge.js: the service in this thread,
//   a sample when a run starts and one when it ends), RUNS runs with logSystemMetrics minus the
//   same runs without, over the 2 samples each: reading every probe and logging its ~12 points
//   through the store. Reported, not budgeted.
// Sizes: BENCH_SM_CALLS (per burst), BENCH_SM_BURSTS, BENCH_SM_RUNS, BENCH_REPEAT.
// Prints the rows, then one JSON line (for bench/run.mjs to collect).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTracker as openEdgeTracker } from '../dist/edge.js';
import { openTracker } from '../dist/node.js';

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const REPEAT = env('BENCH_REPEAT', 3);
const CALLS = env('BENCH_SM_CALLS', 100_000);
const BURSTS = env('BENCH_SM_BURSTS', 8);
const RUNS = env('BENCH_SM_RUNS', 200);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dirs = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlflow-edge-sm-bench-'));
  dirs.push(dir);
  return dir;
};
const tick = () => new Promise((r) => setTimeout(r, 50));

/** µs per logMetric call, with the run's system metrics sampled every 0.1 s (on) or not (off). */
async function callerCost(on) {
  const tracker = await openTracker({ store: { path: freshDir() } });
  const run = await tracker.startRun(on ? { logSystemMetrics: true, systemMetricsSamplingInterval: 0.1 } : {});
  for (let i = 0; i < 20_000; i++) run.logMetric('warmup', i, { step: i });
  await run.flush();
  let ms = 0;
  let step = 0;
  for (let b = 0; b < BURSTS; b++) {
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) run.logMetric('loss', i, { step: step++ });
    ms += performance.now() - t0;
    await tick(); // the page's batch goes out; the worker samples meanwhile
  }
  await run.end();
  const samples = on ? (await tracker.getMetricHistory(run.runId, 'system/hardware_concurrency')).length : 0;
  await tracker.close();
  return { us: (ms * 1000) / (CALLS * BURSTS), samples };
}

/** ms per sample in direct mode: RUNS runs started and ended, with and without system metrics. */
async function samplerCost() {
  const time = async (on) => {
    const tracker = await openEdgeTracker();
    const t0 = performance.now();
    for (let i = 0; i < RUNS; i++) {
      const run = await tracker.startRun(on ? { logSystemMetrics: true } : {});
      await run.end();
    }
    const ms = performance.now() - t0;
    await tracker.close();
    return ms;
  };
  await time(true); // warm-up: the runtime's modules loaded, the code compiled
  const [off, on] = [await time(false), await time(true)];
  return (on - off) / (2 * RUNS);
}

await callerCost(false); // warm-up round: the worker started, the code compiled
const off = [];
const on = [];
let samples = 0;
for (let r = 0; r < REPEAT; r++) {
  off.push((await callerCost(false)).us);
  const result = await callerCost(true);
  on.push(result.us);
  samples += result.samples;
}
const perSample = [];
for (let r = 0; r < REPEAT; r++) perSample.push(await samplerCost());
for (const dir of dirs) rmSync(dir, { recursive: true, force: true });

const rows = {
  logMetricOffUs: median(off),
  logMetricOnUs: median(on),
  samplesDuringOnRounds: samples,
  samplerMsPerSample: median(perSample),
};
console.log(`run.logMetric, system metrics off: ${rows.logMetricOffUs.toFixed(3)} µs/call`);
console.log(
  `run.logMetric, system metrics on (0.1 s interval, ${samples} samples logged meanwhile): ${rows.logMetricOnUs.toFixed(3)} µs/call`,
);
console.log(`system metrics sampler (probes + logging, direct mode): ${rows.samplerMsPerSample.toFixed(3)} ms/sample`);
console.log(JSON.stringify({ systemMetrics: rows }));
