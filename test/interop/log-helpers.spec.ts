import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { experimentIdByName, startMlflowServer, type MlflowServer } from './mlflow-server.js';

const run = promisify(execFile);
const python = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./log_helpers.py', import.meta.url));
/** The script's JSON answer: its last line (MLflow prints "View run …" lines before it). */
const answer = (stdout: string): unknown => JSON.parse(stdout.trim().split('\n').at(-1)!);

// The same content for MLflow Python's control run and the browser's run.
const CONTENT = {
  dicts: [
    { file: 'config/params.json', value: { lr: 1e-5, layers: [64, 32], name: 'mlp ✓', dropout: 0.25, extra: null } },
    {
      file: 'config/params.yaml',
      value: { lr: 1e-5, layers: [64, 32], name: 'mlp ✓', nested: { b: true, a: 'x: y' } },
    },
  ],
  texts: [{ file: 'notes/readme.txt', value: 'Trained in the browser.\nünïcode ✓\n' }],
  tables: [
    {
      file: 'eval/predictions.json',
      calls: [
        { question: ['what?', 'why?'], score: [0.5, 0.75], correct: [true, false] },
        { question: ['how?'], score: [1], latency_ms: [12] },
      ],
    },
    {
      file: 'eval/records.json',
      calls: [
        [
          { input: 'a', output: 1 },
          { input: 'b', output: 2, note: 'n/a' },
        ],
      ],
    },
  ],
  images: [
    { key: 'samples/train', step: 0, timestamp: 1_700_000_000_000, shape: [4, 6, 3], data: [] as number[] },
    { key: 'samples/train', step: 1, timestamp: 1_700_000_001_000, shape: [4, 6, 3], data: [] as number[] },
    { key: 'grey', step: 3, timestamp: 1_700_000_002_000, shape: [5, 7], data: [] as number[] },
  ],
};
for (const [n, image] of CONTENT.images.entries()) {
  const size = image.shape.reduce((a, b) => a * b, 1);
  image.data = Array.from({ length: size }, (_, i) => (i * (11 + n * 6) + n * 40) % 256);
}

let server: MlflowServer;
let dir: string;
test.beforeAll(async () => {
  server = await startMlflowServer();
  dir = mkdtempSync(join(tmpdir(), 'log-helpers-'));
  writeFileSync(join(dir, 'content.json'), JSON.stringify(CONTENT));
});
test.afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('files from logDict, logText, logTable and logImage read back in MLflow Python as its own log_* wrote them', async ({
  page,
}) => {
  const experiment = 'log-helpers';
  const content = join(dir, 'content.json');
  const control = answer(
    (await run(python, [script, 'control', server.url, experiment, content], { timeout: 120_000 })).stdout,
  ) as { runId: string };

  const errors = watchErrors(page);
  await openLibrary(page);
  const edgeRun = await page.evaluate(
    async ({ trackingUri, experiment, content }) => {
      const t = await edge.openTracker({ dbName: 'log-helpers', remote: { trackingUri, autoSync: false } });
      const r = await t.startRun({ experimentName: experiment, runName: 'edge' });
      for (const d of content.dicts) await r.logDict(d.value, d.file);
      for (const x of content.texts) await r.logText(x.value, x.file);
      for (const table of content.tables) for (const data of table.calls) await r.logTable(data, table.file);
      for (const i of content.images) {
        await r.logImage(
          { data: new Uint8Array(i.data), shape: i.shape },
          { key: i.key, step: i.step, timestamp: i.timestamp },
        );
      }
      const first = content.images[0]!;
      await r.logImage({ data: new Uint8Array(first.data), shape: first.shape }, 'plain/image.png');
      await r.end();
      await t.sync();
      const status = await t.syncStatus();
      const remoteRunId = (await t.getRun(r.runId)).info.remoteRunId;
      await t.close();
      return { remoteRunId, deadLetters: status.deadLetters };
    },
    { trackingUri: server.url, experiment, content: CONTENT },
  );
  expect(edgeRun.deadLetters).toEqual([]);
  expect(edgeRun.remoteRunId).toMatch(/^[0-9a-f]{32}$/);

  const report = answer(
    (
      await run(python, [script, 'compare', server.url, experiment, content, control.runId, edgeRun.remoteRunId!], {
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout,
  ) as { checked: string[]; diffs: unknown[] };
  expect(report.diffs).toEqual([]);
  // Every kind of check ran (a report with nothing compared would pass too).
  for (const what of [
    'load_dict',
    'bytes',
    'load_text',
    'load_table',
    'dtypes',
    'tag',
    'image files',
    'image ',
    'thumbnail',
    'plain/image.png',
  ]) {
    expect(
      report.checked.some((c) => c.startsWith(what)),
      what,
    ).toBe(true);
  }
  expect(report.checked.filter((c) => c.startsWith('image ') && c !== 'image files')).toHaveLength(3);
  expect(errors).toEqual([]);

  // MLflow's own UI: the run's Model metrics tab shows an Image chart per key, its thumbnails decoded.
  const experimentId = await experimentIdByName(server, experiment);
  for (const [who, runId] of [
    ['python', control.runId],
    ['edge', edgeRun.remoteRunId!],
  ] as const) {
    const ui = await page.context().newPage();
    await ui.goto(`${server.url}/#/experiments/${experimentId}/runs/${runId}/model-metrics`);
    const thumbnails = () =>
      ui.evaluate(() =>
        [...document.querySelectorAll('img')]
          .filter((img) => img.src.includes('compressed.webp') && img.complete && img.naturalWidth > 0)
          .map((img) => {
            const path = new URL(img.src).searchParams.get('path') ?? '';
            return `${path.replace(/\+step\+.*$/, '')} ${img.naturalWidth}x${img.naturalHeight}`;
          })
          .sort(),
      );
    // One thumbnail per key (the chart shows one step at a time, picked with its slider).
    await expect.poll(thumbnails, { timeout: 60_000 }).toEqual(['images/grey 256x182', 'images/samples~train 256x170']);
    await expect(ui.getByText('samples/train', { exact: true }).first()).toBeVisible();
    await ui.screenshot({ path: test.info().outputPath(`image-chart-${who}.png`), fullPage: true });
    await ui.close();
  }
});
