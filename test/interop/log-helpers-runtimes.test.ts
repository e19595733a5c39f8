// The log_* helpers without a canvas, in Node, Deno and Bun (the built library): every runtime
// stores the same text files and images that MLflow's own PIL reads with the pixels that were
// logged. (PNG bytes differ between runtimes: each has its own zlib behind CompressionStream.)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = pathToFileURL(join(ROOT, 'dist')).href;
const SCRIPT = join(ROOT, 'test/interop/runtimes/log-helpers.mjs');
const BIN = (name: string) => join(ROOT, 'node_modules/.bin', name);
const PYTHON = join(ROOT, '.venv/bin/python');
const RUNTIMES: Record<string, string[]> = {
  node: [process.execPath, SCRIPT],
  deno: [BIN('deno'), 'run', '--allow-all', SCRIPT],
  bun: [BIN('bun'), SCRIPT],
};

const tmp = mkdtempSync(join(tmpdir(), 'log-helpers-runtimes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Stored {
  files: Record<string, string>;
  refused?: string;
  tags: Record<string, string>;
}

function logIn(runtime: string): Stored {
  const [command, ...args] = RUNTIMES[runtime]!;
  const out = execFileSync(command!, [...args, DIST, join(tmp, runtime)], { encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Stored;
}

describe('log helpers without a canvas', () => {
  it('store the same files in Node, Deno and Bun, and PIL reads the logged pixels', () => {
    if (!existsSync(join(ROOT, 'dist/node.js'))) throw new Error('build first: npm run build');
    const stored = Object.fromEntries(Object.keys(RUNTIMES).map((r) => [r, logIn(r)]));
    const node = stored.node!;
    expect(Object.keys(node.files).sort()).toEqual([
      'd.yaml',
      'grey.png',
      'images/samples~rgb+step+2+timestamp+1700000000000+UUID+compressed.webp',
      'images/samples~rgb+step+2+timestamp+1700000000000+UUID.png',
      't.json',
    ]);
    expect(node.refused).toBe('INVALID_PARAMETER_VALUE');
    expect(node.tags).toMatchObject({
      'mlflow.loggedImages': 'True',
      'mlflow.loggedArtifacts': '[{"path": "t.json", "type": "table"}]',
    });
    expect(atob(node.files['t.json']!)).toBe('{"columns":["a","s"],"data":[[1.0,"x"],[2.0,"y"],[3.5,null]]}');
    expect(atob(node.files['d.yaml']!)).toBe('layers:\n- 64\n- 32\nlr: 1.0e-05\n');
    const text = (files: Record<string, string>) =>
      Object.fromEntries(Object.entries(files).filter(([name]) => !name.endsWith('.png')));
    for (const runtime of ['deno', 'bun']) {
      expect(Object.keys(stored[runtime]!.files).sort(), runtime).toEqual(Object.keys(node.files).sort());
      expect(text(stored[runtime]!.files), runtime).toEqual(text(node.files));
    }

    const decoded = JSON.parse(
      execFileSync(
        PYTHON,
        [
          '-c',
          `
import base64, io, json, sys
import numpy as np
from PIL import Image
out = {}
for runtime, files in json.load(sys.stdin).items():
    out[runtime] = {}
    for name, data in files.items():
        if name.endswith((".png", ".webp")):
            image = Image.open(io.BytesIO(base64.b64decode(data)))
            image.load()
            out[runtime][name] = [image.format, image.mode, list(image.size), np.asarray(image).ravel().tolist()]
print(json.dumps(out))
`,
        ],
        {
          input: JSON.stringify(Object.fromEntries(Object.entries(stored).map(([r, s]) => [r, s.files]))),
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        },
      ),
    ) as Record<string, Record<string, [string, string, number[], number[]]>>;
    expect(decoded.deno).toEqual(decoded.node);
    expect(decoded.bun).toEqual(decoded.node);
    const rgb = Array.from({ length: 4 * 6 * 3 }, (_, i) => (i * 37) % 256);
    const png = decoded.node!['images/samples~rgb+step+2+timestamp+1700000000000+UUID.png']!;
    expect(png).toEqual(['PNG', 'RGB', [6, 4], rgb]);
    // Floats in [0, 1] × 255, truncated, as MLflow's numpy conversion does.
    expect(decoded.node!['grey.png']).toEqual([
      'PNG',
      'L',
      [3, 5],
      Array.from({ length: 15 }, (_, i) => Math.trunc(Math.fround(i / 14) * 255)),
    ]);
    const webp = decoded.node!['images/samples~rgb+step+2+timestamp+1700000000000+UUID+compressed.webp']!;
    expect(webp.slice(0, 3)).toEqual(['WEBP', 'RGB', [256, 170]]);
  });
});
