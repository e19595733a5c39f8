// The README's ```js node blocks, run as they are in Node, Deno and Bun against a real MLflow
// server (in place of http://127.0.0.1:5000), from a fresh directory, importing the built package.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeBlocks } from '../readme-examples.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { ServerReader } from './server-state.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = (name: string) => join(ROOT, 'node_modules/.bin', name);
const RUNTIMES: Record<string, string[]> = {
  node: [process.execPath],
  deno: [BIN('deno'), 'run', '--allow-all'],
  bun: [BIN('bun')],
};
const blocks = readmeBlocks('js node');

let server: MlflowServer;
beforeAll(async () => {
  server = await startMlflowServer();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

it('the README has a Node example', () => expect(blocks.length).toBeGreaterThanOrEqual(1));

describe.each(Object.keys(RUNTIMES))('%s', (runtime) => {
  blocks.forEach((source, i) => {
    it(`README Node example ${i + 1} runs as written`, () => {
      const expected = [...source.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
      const dir = mkdtempSync(join(tmpdir(), `readme-${runtime}-`));
      const body = source
        .replaceAll("'mlflow-edge/node'", `'${pathToFileURL(join(ROOT, 'dist/node.js')).href}'`)
        .replaceAll('http://127.0.0.1:5000', server.url)
        .replaceAll("experimentName: 'field-station'", `experimentName: 'field-station-${runtime}'`);
      writeFileSync(join(dir, 'example.mjs'), body);
      const [bin, ...args] = RUNTIMES[runtime]!;
      const result = spawnSync(bin!, [...args, 'example.mjs'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual(expected);
    }, 180_000);

    it('the server holds the example run', async () => {
      const [run] = await new ServerReader(server.url).runs(`field-station-${runtime}`);
      expect(run).toMatchObject({ name: 'pi-01', status: 'FINISHED', params: { sensor: 'bme280', interval_s: '60' } });
      expect(run!.metrics.temperature).toHaveLength(100);
      expect(Buffer.from(run!.artifacts['readings/summary.txt']!, 'hex').toString()).toBe('100 readings');
    });
  });
});
