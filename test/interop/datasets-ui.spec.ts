// MLflow's own UI shows a run's synced dataset inputs in the Dataset column of its runs table,
// as it does for a run logged by MLflow Python (datasets.py logs the control run).
//   npx playwright test --project=interop test/interop/datasets-ui.spec.ts
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import type { Remote } from 'comlink';
import { Tracker } from '../../src/client/tracker.js';
import type { TrackerWorkerApi } from '../../src/protocol.js';
import { fromColumns } from '../../src/schema/datasets/dataset.js';
import { TrackerService } from '../../src/worker/service.js';
import { experimentIdByName, startMlflowServer, type MlflowServer } from './mlflow-server.js';

const PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./datasets.py', import.meta.url));

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test("the Dataset column of MLflow's runs table names the synced dataset, as for a Python run", async ({
  page,
}, testInfo) => {
  execFileSync(PYTHON, [SCRIPT, 'log', server.url, 'datasets-ui'], { encoding: 'utf8', timeout: 120_000 });
  const service = new TrackerService();
  await service.open({
    dbName: 'datasets-ui',
    store: { memory: 'datasets-ui' },
    remote: { trackingUri: server.url, autoSync: false },
  });
  const tracker = new Tracker({ terminate() {} } as unknown as Worker, service as unknown as Remote<TrackerWorkerApi>, {
    dbName: 'datasets-ui',
  });
  const run = await tracker.startRun({ experimentName: 'datasets-ui', runName: 'edge-run' });
  const dataset = fromColumns(
    { x: [1, 2, 3], label: ['a', 'b', 'c'] },
    { name: 'edge_train', source: 'https://example.com/e.csv' },
  );
  await run.logInput(dataset, { context: 'training' });
  await run.end();
  await tracker.sync();
  const remoteId = (await tracker.getRun(run.runId)).info.remoteRunId!;
  await tracker.close();

  const experimentId = await experimentIdByName(server, 'datasets-ui');
  await page.goto(`${server.url}/#/experiments/${experimentId}/runs`);
  // Each run's row (MLflow's grid splits it into its pinned and scrolled parts, both with the run id)
  // names its dataset as "name (digest)" with its context, ours as the Python run's.
  const cells = (runId: string) => page.locator(`[role="row"][row-id="${runId}"]`).filter({ hasText: /\(\w{8}\)/ });
  await expect(cells(remoteId)).toContainText(`edge_train (${dataset.digest})`, { timeout: 60_000 });
  await expect(cells(remoteId)).toContainText(/training/i);
  const python = page.locator('[role="row"]').filter({ hasText: /iris \([0-9a-f]{8}\)/ });
  await expect(python).toContainText(/training/i);
  await page.screenshot({ path: testInfo.outputPath('runs-table.png'), fullPage: true });
});
