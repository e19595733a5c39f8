import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { watchErrors } from '../browser/fixtures.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { ServerReader } from './server-state.js';

// The demo workbench end to end against a real MLflow server: train in the
// browser, log both models, predict, then connect through the sync panel,
// upload, and read the run, its metrics and its models back over REST.

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer();
});
test.afterAll(async () => {
  await server?.stop();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function rest(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${server.url}/api/2.0/mlflow/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Json>;
}

async function artifactText(artifactUri: string, path: string): Promise<string | undefined> {
  const base = artifactUri.replace(/^mlflow-artifacts:\/*/, '');
  const response = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${base}/${path}`);
  return response.ok ? response.text() : undefined;
}

/** The MLmodel of each MLflow 3 logged model (READY) the run logged, by name. */
async function serverModels(experimentId: string, remoteRunId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const search = await rest('POST', 'logged-models/search', { experiment_ids: [experimentId] });
  for (const model of search.models ?? []) {
    const info = model.info;
    if (info.source_run_id !== remoteRunId || info.status !== 'LOGGED_MODEL_READY') continue;
    const text = await artifactText(info.artifact_uri, 'MLmodel');
    if (text !== undefined) out[info.name] = text;
  }
  return out;
}

test('the workbench trains, predicts, then syncs its run, metrics and models to a real MLflow server', async ({
  browser,
}) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto('/demo/');
  await expect(page.locator('body[data-ready=true]')).toBeAttached({ timeout: 20_000 });

  // Train (models logged) while no server is configured.
  await page.getByLabel('Experiment').fill('demo-interop');
  await page.getByLabel('Epochs').fill('30');
  await page.getByLabel('Slow motion').fill('0');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.locator('body')).toHaveAttribute('data-trained', '1', { timeout: 30_000 });
  const rows = page.locator('#runs-table tbody tr[data-run-id]');
  await expect(rows).toHaveCount(1);
  await expect(page.locator('#chart')).toHaveAttribute('data-points', '30');
  const localRunId = (await rows.first().getAttribute('data-run-id'))!;
  const runName = (await rows.first().locator('td.name').innerText()).trim();

  await page.getByLabel('Logged model').selectOption({ label: `${runName} / iris_onnx` });
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.locator('#loaded-model-flavor')).toHaveText('onnx');
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await expect(page.locator('#predicted-species')).toHaveText(/setosa|versicolor|virginica/);

  // Sync through the panel.
  await expect(page.locator('#sync-badge')).toHaveText('local only');
  await page.getByLabel('Tracking URI').fill(server.url);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.locator('#sync-badge')).toContainText('sync:');
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(page.locator('#sync-result')).toContainText('Everything logged so far is on the server', {
    timeout: 120_000,
  });
  await expect(page.locator('#sync-status')).toHaveAttribute('data-pending', '0');
  await expect(page.locator('#sync-progress')).toHaveJSProperty('value', 1);
  await expect(page.locator('#sync-last-error')).toHaveText('none');
  await rows.first().click();
  const remoteRunId = (await page.locator('#run-detail [data-remote-run-id]').getAttribute('data-remote-run-id'))!;
  expect(remoteRunId).toMatch(/^[0-9a-f]{32}$/);
  await page.screenshot({ path: test.info().outputPath('synced.png'), fullPage: true });

  // What the server holds, over its REST API.
  const [run] = await new ServerReader(server.url).runs('demo-interop');
  expect(run).toBeDefined();
  expect(run!.runId).toBe(remoteRunId);
  expect(run!.clientId).toBe(localRunId);
  expect(run!.name).toBe(runName);
  expect(run!.status).toBe('FINISHED');
  expect(run!.params).toMatchObject({ hidden: '8', epochs: '30', optimizer: 'adam', n_samples: '150' });
  expect(run!.tags).toMatchObject({ model_type: 'mlp', dataset: 'iris' });
  for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
    expect(run!.metrics[key]!.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  }
  expect(Object.keys(run!.artifacts)).toEqual(
    expect.arrayContaining(['weights.json', 'confusion_matrix.json', 'confusion_matrix.png']),
  );

  const experimentId = (await rest('GET', `experiments/get-by-name?experiment_name=demo-interop`)).experiment
    .experiment_id as string;
  const models = await serverModels(experimentId, remoteRunId);
  expect(Object.keys(models).sort()).toEqual(['iris_js', 'iris_onnx']);
  expect(models.iris_onnx).toContain('onnx:');
  expect(models.iris_onnx).toContain('sepal_length');
  expect(models.iris_js).toContain('mlflow_edge_js:');

  // A model registered on the server from Python loads in the predict panel by its alias.
  const python = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
  const script = fileURLToPath(new URL('./log_sklearn_onnx.py', import.meta.url));
  await promisify(execFile)(python, [script, server.url, 'python-exp', 'iris-sklearn', 'champion'], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
  });
  await page.getByLabel('or a model URI').fill('models:/iris-sklearn@champion');
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.locator('#loaded-model-from')).toHaveText('the server');
  await expect(page.locator('#predict-fields textarea')).toHaveValue('[[5.1, 3.5, 1.4, 0.2]]');
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await expect(page.locator('#predict-output')).toContainText('label');
  await expect(page.locator('#predict-output tr', { hasText: 'label' })).toContainText('[0]');
  await page.screenshot({ path: test.info().outputPath('server-model.png'), fullPage: true });

  expect(errors).toEqual([]);
  await context.close();
});
