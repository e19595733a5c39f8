// A script that logs and returns without flush() or close() (runtimes.test.ts): the process must
// exit on its own, with what it logged on disk. READ=1 prints what the store holds instead.
const env = (name) => (globalThis.Deno ? globalThis.Deno.env.get(name) : process.env[name]);
const { openTracker } = await import(`${env('EDGE_DIST')}/node.js`);

const tracker = await openTracker({ store: { path: env('STORE') } });
if (env('READ') === '1') {
  const runs = await tracker.searchRuns({ experimentName: 'exits' });
  const out = [];
  for (const r of runs)
    out.push({
      name: r.info.runName,
      status: r.info.status,
      points: (await tracker.getMetricHistory(r.info.runId, 'm')).length,
    });
  console.log(JSON.stringify(out.sort((a, b) => (a.name < b.name ? -1 : 1))));
  await tracker.close();
} else {
  const ended = await tracker.startRun({ experimentName: 'exits', runName: 'ended' });
  ended.logMetric('m', 1);
  await ended.end();
  const open = await tracker.startRun({ experimentName: 'exits', runName: 'open' });
  for (let step = 0; step < 1000; step++) open.logMetric('m', step, { step });
  // No flush(), no end(), no close(): the process exits when the last batch is on disk.
}
