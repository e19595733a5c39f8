// Issue 13: a browser run and a MLflow Python control run on one real server read back alike
// through MLflow Python: numbers in params and tags as Python's str() prints them, the
// DefaultRunContext tags, a best_run_id tag that names the server's run, not a local id, and
// a run renamed, described and with a tag deleted after its first sync.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { BLANK, openLibrary, watchErrors } from '../browser/fixtures.js';
import { NOTHING_PENDING } from './local-state.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';

const run = promisify(execFile);
const python = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./native_control.py', import.meta.url));

interface Snapshot {
  params: Record<string, string>;
  tags: Record<string, string>;
  user_id: string;
  run_name: string;
}

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test("a browser run reads back like MLflow Python's: params, system tags, run references", async ({ page }) => {
  const errors = watchErrors(page);
  await openLibrary(page);
  const browser = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'native', remote: { trackingUri, autoSync: false } });
    const best = await t.startRun({ experimentName: 'native', runName: 'best-trial' });
    best.logMetric('acc', 0.97);
    await best.end();
    const run = await t.startRun({ experimentName: 'native' });
    run.logParams({ lr: 1e-5, big: 1e16, tiny: 1e-7, epochs: 10, zero: -0, flag: true, none: null });
    run.setTags({ eps: 1e-8, best_run_id: best.runId });
    await run.end();
    const renamed = await t.startRun({ experimentName: 'native', runName: 'draft', description: 'first notes' });
    renamed.setTags({ temp: 'x', kept: 'y' });
    await renamed.flush();
    await t.sync(); // on the server as 'draft'
    renamed.setRunName('final');
    renamed.setDescription('final notes');
    renamed.deleteTag('temp');
    renamed.deleteTag('never-set');
    await renamed.end();
    await t.sync();
    const local = await t.getRun(run.runId);
    const status = await t.syncStatus();
    const renamedId = (await t.getRun(renamed.runId)).info.remoteRunId!;
    await t.close();
    return {
      localBestId: best.runId,
      remoteId: local.info.remoteRunId!,
      renamedId,
      runName: local.info.runName,
      localTag: local.data.tags.best_run_id,
      pending: status.pending,
    };
  }, server.url);
  expect(browser.localTag).toBe(browser.localBestId);
  expect(browser.pending).toEqual(NOTHING_PENDING);

  const { stdout } = await run(python, [script, server.url, 'native', browser.remoteId, browser.renamedId], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
  });
  const py = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    control: Snapshot;
    browser: Snapshot;
    best_run_name: string | null;
    found: string[];
    control_id: string;
    control_renamed: Snapshot;
    browser_renamed: Snapshot;
  };
  // The same values, as the same text, so one filter finds both runs.
  expect(py.browser.params).toEqual(py.control.params);
  expect(py.browser.tags.eps).toBe(py.control.tags.eps);
  expect(py.found).toEqual([browser.remoteId, py.control_id].sort());
  // best_run_id names the server's run: MLflow Python opens it.
  expect(py.best_run_name).toBe('best-trial');
  expect(py.browser.tags.best_run_id).not.toBe(browser.localBestId);
  // The system tags MLflow Python's DefaultRunContext sets, filled in as MLflow's UI shows them.
  for (const key of ['mlflow.user', 'mlflow.source.name', 'mlflow.source.type', 'mlflow.runName'])
    expect(py.browser.tags[key], key).toBeTruthy();
  expect(py.browser.tags['mlflow.source.type']).toBe(py.control.tags['mlflow.source.type']);
  expect(py.browser.tags['mlflow.source.name']).toBe(BLANK);
  expect(py.browser.tags['mlflow.source.name']!.split('/').at(-1)).toBe('blank.html');
  expect(py.browser.tags['mlflow.user']).toBe('unknown');
  expect(py.browser.user_id).toBe('unknown');
  // A generated name in MLflow's style, the same on both sides.
  expect(py.browser.run_name).toBe(browser.runName);
  expect(py.browser.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,4}$/);
  // Renamed and described after a first sync: the same name and description as MLflow Python's.
  for (const r of [py.browser_renamed, py.control_renamed]) {
    expect(r.run_name).toBe('final');
    expect(r.tags['mlflow.runName']).toBe('final');
    expect(r.tags['mlflow.note.content']).toBe('final notes');
  }
  // A tag deleted after it reached the server is gone there, the others stay (runs/delete-tag).
  expect(py.browser_renamed.tags.temp).toBeUndefined();
  expect(py.browser_renamed.tags.kept).toBe('y');
  expect(errors).toEqual([]);
});
