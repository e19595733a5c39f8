// A field device's logger, run by Node, Deno and Bun (test/interop/runtimes.test.ts kills it at
// random points). Deterministic: what it logs depends only on STEPS; a restart reads what the
// store already holds and logs the rest, so the server must end with each point exactly once.
//   env: EDGE_DIST (dist/ as a file URL), STORE, TRACKING_URI, STEPS, RUN_NAME, FINISH=1 (sync and exit)
const env = (name) => (globalThis.Deno ? globalThis.Deno.env.get(name) : process.env[name]);
const { openTracker } = await import(`${env('EDGE_DIST')}/node.js`);

const STEPS = Number(env('STEPS'));
const RUN_NAME = env('RUN_NAME') ?? 'device';
const EXPERIMENT = env('EXPERIMENT') ?? 'runtimes';
const BASE = 1_700_000_000_000;
const KEYS = ['loss', 'acc'];
const value = (key, step) => (key === 'loss' ? 1 / (step + 1) : step / STEPS);

function checkpoint(step) {
  const bytes = new Uint8Array(4096 + (step % 7));
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + step) & 0xff;
  return bytes;
}

const tracker = await openTracker({ store: { path: env('STORE') }, remote: { trackingUri: env('TRACKING_URI') } });
const found = (await tracker.searchRuns({ experimentName: EXPERIMENT })).find((r) => r.info.runName === RUN_NAME);
const run = found
  ? await tracker.startRun({ runId: found.info.runId })
  : await tracker.startRun({ experimentName: EXPERIMENT, runName: RUN_NAME });
run.logParams({ steps: STEPS, runtime: globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node', lr: 0.25 });
run.setTag('device', RUN_NAME);

console.log('logging');
const have = {};
for (const key of KEYS) have[key] = (await tracker.getMetricHistory(run.runId, key)).length;
for (let step = Math.min(...Object.values(have)); step < STEPS; step++) {
  for (const key of KEYS) if (step >= have[key]) run.logMetric(key, value(key, step), { step, timestamp: BASE + step });
  if (step % 1000 === 999) await new Promise((r) => setTimeout(r, 10)); // a training step between logs
}
const files = new Set((await tracker.listArtifacts(run.runId, 'ckpt')).map((f) => f.path));
for (let step = 0; step < STEPS; step += Math.max(1, Math.floor(STEPS / 4))) {
  if (!files.has(`ckpt/${step}.bin`)) await run.logArtifact(`ckpt/${step}.bin`, checkpoint(step));
}
await run.end();
console.log('logged'); // what follows is upload only (the test counts kills in each phase)
if (env('FINISH') === '1') {
  await tracker.sync();
  console.log(JSON.stringify({ runId: run.runId, status: await tracker.syncStatus() }));
  await tracker.close();
} else {
  // Stays up uploading in the background until killed (or done: then exits).
  for (;;) {
    const status = await tracker.syncStatus();
    if (status.pending.runs === 0 && status.pending.metrics === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await tracker.close();
}
