/**
 * A logged model's params and metrics against a real MLflow 3.17.2 server:
 * MLflow Python logs a control run (run params, pyfunc log_model with
 * params, metrics with model_id and at step 0 after log_model), the browser
 * logs the same content through the public API, and MLflow Python reads both
 * models with mlflow.get_logged_model: params, metric points, source run and
 * the runs' metric histories compare equal apart from ids. Then MLflow's own
 * UI shows each model page with its metric and param counts and "Logged
 * from"; screenshots are kept as test artifacts.
 */
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
const script = fileURLToPath(new URL('./model_data.py', import.meta.url));
/** The script's JSON answer: its last line (MLflow prints "View run …" lines before it). */
const answer = (stdout: string): unknown => JSON.parse(stdout.trim().split('\n').at(-1)!);

// The same content for the Python control run and the browser's run.
const CONTENT = {
  runParams: { lr: 1e-5, shared: 'from-run' },
  // 1e21, not 1e16: JSON carries 1e16 as 10000000000000000, an int to Python's json, and str() of an int has no exponent.
  modelParams: { alpha: 0.5, big: 1e21, shared: 'mine', flag: true },
  metrics: [
    { key: 'acc', value: 0.9, timestamp: 1000, model: true },
    { key: 'loss', value: 0.2, timestamp: 1001 }, // step 0 after log_model: linked to the run's model output
    { key: 'loss', value: 0.1, step: 1, timestamp: 1002 }, // another step: the run's only
    { key: 'other', value: 3, step: 7, timestamp: 1004, model: true },
  ],
  batch: { metrics: { f1: 0.8, auc: 0.7 }, timestamp: 1003 },
};

const CODE = "import { setModel } from 'mlflow-edge/model';\nsetModel({ predict: (c, rows) => rows.map(() => 1) });";

interface ModelRead {
  params: Record<string, string>;
  metrics: [key: string, value: number, step: number, timestamp: number, fromSourceRun: boolean, ofModel: boolean][];
  sourceRunId: string;
  status: string;
  runHistory: Record<string, [number, number, number][]>;
}

let server: MlflowServer;
let dir: string;
test.beforeAll(async () => {
  server = await startMlflowServer();
  dir = mkdtempSync(join(tmpdir(), 'model-data-'));
  writeFileSync(join(dir, 'content.json'), JSON.stringify(CONTENT));
});
test.afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const read = async (modelId: string) =>
  answer((await run(python, [script, 'read', server.url, modelId], { timeout: 120_000 })).stdout) as ModelRead;

test("a browser-logged model's params and metrics read back in MLflow Python and show in MLflow's UI as a Python-logged one's", async ({
  page,
}) => {
  const experiment = 'model-data';
  const control = answer(
    (
      await run(python, [script, 'control', server.url, experiment, join(dir, 'content.json')], {
        timeout: 240_000,
      })
    ).stdout,
  ) as { runId: string; modelId: string };

  const errors = watchErrors(page);
  await openLibrary(page);
  const edgeRun = await page.evaluate(
    async ({ trackingUri, experiment, content, code }) => {
      const t = await edge.openTracker({ dbName: 'model-data', remote: { trackingUri, autoSync: false } });
      const r = await t.startRun({ experimentName: experiment, runName: 'edge' });
      r.logParams(content.runParams);
      const info = await r.logModel('model', { code }, { params: content.modelParams });
      for (const m of content.metrics)
        r.logMetric(m.key, m.value, {
          step: m.step ?? 0,
          timestamp: m.timestamp,
          ...(m.model ? { model: info } : {}),
        });
      r.logMetrics(content.batch.metrics, { timestamp: content.batch.timestamp });
      await r.end();
      // A second value under one key, step and millisecond: MLflow's model metrics key has no value (see clash below).
      const r2 = await t.startRun({ experimentName: experiment, runName: 'edge-clash' });
      const info2 = await r2.logModel('clash', { code });
      r2.logMetric('clash', 1, { model: info2, step: 5, timestamp: 0 });
      r2.logMetric('clash', 2, { model: info2, step: 5, timestamp: 0 });
      await r2.end();
      await t.sync();
      const status = await t.syncStatus();
      const models = await t.listLoggedModels();
      const remote = (id: string) => models.find((m) => m.modelId === id)!;
      const out = {
        remoteRunId: (await t.getRun(r.runId)).info.remoteRunId,
        remoteModelId: remote(info.modelId).remoteModelId,
        clashModelId: remote(info2.modelId).remoteModelId,
        deadLetters: status.deadLetters,
        pending: status.pending,
      };
      await t.close();
      return out;
    },
    { trackingUri: server.url, experiment, content: CONTENT, code: CODE },
  );
  expect(edgeRun.deadLetters).toEqual([]);
  expect(edgeRun.remoteRunId).toMatch(/^[0-9a-f]{32}$/);
  expect(edgeRun.remoteModelId).toMatch(/^m-[0-9a-f]{32}$/);

  const python3 = await read(control.modelId);
  const browser = await read(edgeRun.remoteModelId!);
  expect(python3.sourceRunId).toBe(control.runId);
  expect(browser.sourceRunId).toBe(edgeRun.remoteRunId);
  // Apart from ids, the same model: params (the run's winning, values as Python's str()), points, histories, status.
  const { sourceRunId: _a, ...expected } = python3;
  const { sourceRunId: _b, ...actual } = browser;
  expect(actual).toEqual(expected);
  expect(python3.metrics.map((m) => m[0])).toEqual(['acc', 'auc', 'f1', 'loss', 'other']);
  expect(Object.keys(python3.params)).toHaveLength(5);

  // What the browser works around: MLflow refuses two values of one model metric under one key, step and millisecond.
  const clash = answer(
    (await run(python, [script, 'clash', server.url, control.runId, control.modelId], { timeout: 120_000 })).stdout,
  ) as { ok: boolean; message?: string };
  expect(clash.ok).toBe(false);
  expect(clash.message).toMatch(/BAD_REQUEST.*logged_model_metrics/s);
  const clashed = await read(edgeRun.clashModelId!);
  expect(clashed.metrics.map((m) => [m[0], m[1]])).toEqual([['clash', 1]]);
  expect(clashed.runHistory.clash!.map((p) => p[2]).sort()).toEqual([1, 2]);
  expect(errors).toEqual([]);

  // MLflow's own UI: the logged model page shows the metric and param counts and where it was logged from, for both.
  const experimentId = await experimentIdByName(server, experiment);
  for (const [who, modelId] of [
    ['python', control.modelId],
    ['edge', edgeRun.remoteModelId!],
  ] as const) {
    const ui = await page.context().newPage();
    await ui.setViewportSize({ width: 1400, height: 1000 });
    await ui.goto(`${server.url}/#/experiments/${experimentId}/models/${modelId}`);
    await expect(ui.getByText('Metrics (5)')).toBeVisible({ timeout: 60_000 });
    await expect(ui.getByText('Parameters (5)')).toBeVisible();
    await expect(ui.getByText('1e+21', { exact: true })).toBeVisible();
    const lines = (await ui.evaluate(() => document.body.innerText)).split('\n').map((l) => l.trim());
    const loggedFrom = lines[lines.indexOf('Logged from') + 1];
    expect(loggedFrom, `${who}: Logged from`).toBeTruthy();
    expect(loggedFrom).not.toMatch(/^(-|—|Datasets used)$/);
    const sourceRun = lines[lines.indexOf('Source run ID') + 1];
    expect(sourceRun).toBe(who === 'python' ? control.runId : edgeRun.remoteRunId);
    await ui.screenshot({ path: test.info().outputPath(`logged-model-${who}.png`), fullPage: true });
    await ui.close();
  }
});
