// Logs images, a table and a YAML dict with the built library in this runtime (no canvas here)
// and prints what was stored as JSON (base64 for binary files). Usage: log-helpers.mjs <dist URL> <store dir>
import { Buffer } from 'node:buffer';

const [dist, dir] = (globalThis.Deno?.args ?? process.argv.slice(2)).slice(-2);
const { openTracker } = await import(`${dist}/node.js`);
const tracker = await openTracker({ store: { path: dir } });
const run = await tracker.startRun({ experimentName: 'runtimes' });
const rgb = { data: new Uint8Array(4 * 6 * 3).map((_, i) => (i * 37) % 256), shape: [4, 6, 3] };
await run.logImage(rgb, { key: 'samples/rgb', step: 2, timestamp: 1_700_000_000_000 });
await run.logImage({ data: new Float32Array(5 * 3).map((_, i) => i / 14), shape: [5, 3] }, 'grey.png');
await run.logTable({ a: [1, 2], s: ['x', 'y'] }, 't.json');
await run.logTable([{ a: 3.5 }], 't.json');
await run.logDict({ lr: 1e-5, layers: [64, 32] }, 'd.yaml');
let refused;
try {
  await run.logImage(new Blob([new Uint8Array([0x47, 0x49, 0x46])], { type: 'image/gif' }), 'a.png');
} catch (e) {
  refused = e.code;
}
await run.end();
const files = {};
const walk = async (d) => {
  for (const f of await tracker.listArtifacts(run.runId, d)) {
    if (f.isDir) await walk(f.path);
    else {
      const bytes = new Uint8Array(await (await tracker.readArtifact(run.runId, f.path)).arrayBuffer());
      files[f.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, 'UUID')] = Buffer.from(bytes).toString('base64');
    }
  }
};
await walk('');
console.log(JSON.stringify({ files, refused, tags: (await tracker.getRun(run.runId)).data.tags }));
await tracker.close();
