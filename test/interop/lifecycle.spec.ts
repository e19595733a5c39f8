// Issue 13: run and experiment calls made offline in the browser reach a real MLflow 3 server
// once, and MLflow Python reads them there as its own calls would have left them: run lifecycle
// stages (delete, delete then restore), experiment tags and description, an artifact location,
// a deleted experiment (its runs deleted with it) and search_experiments / search_runs view types.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { NOTHING_PENDING } from './local-state.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';

const run = promisify(execFile);
const python = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./lifecycle_check.py', import.meta.url));

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test('run and experiment calls read back through MLflow Python', async ({ page }) => {
  const errors = watchErrors(page);
  await openLibrary(page);
  const browser = await page.evaluate(async (trackingUri) => {
    const t = await edge.openTracker({ dbName: 'lifecycle', remote: { trackingUri, autoSync: false } });
    // Offline first: everything below is in the local store before the first sync.
    await t.createExperiment('life-main', {
      tags: { team: 'vision' },
      artifactLocation: 'mlflow-artifacts:/life-main',
    });
    await t.setExperimentDescription('life-main', '# Main\nnotes');
    const kept = await t.startRun({ experimentName: 'life-main', runName: 'kept' });
    await kept.end();
    const gone = await t.startRun({ experimentName: 'life-main', runName: 'gone' });
    gone.setTag('before', 'deletion');
    await gone.end();
    await t.deleteRun(gone.runId);
    const back = await t.startRun({ experimentName: 'life-main', runName: 'back' });
    await back.end();
    await t.deleteRun(back.runId);
    await t.sync();
    await t.restoreRun(back.runId); // deleted on the server by the first sync, restored by the second
    const old = await t.startRun({ experimentName: 'life-old', runName: 'old' });
    await old.end();
    await t.deleteExperiment('life-old');
    await t.sync();
    const ids = async (r: { runId: string }) => (await t.getRun(r.runId)).info.remoteRunId!;
    const out = {
      runs: { kept: await ids(kept), gone: await ids(gone), back: await ids(back), old: await ids(old) },
      experiments: ['life-main', 'life-old'],
      pending: (await t.syncStatus()).pending,
      localDeleted: (await t.searchExperiments({ viewType: 'DELETED_ONLY' })).map((e) => e.name),
    };
    await t.close();
    return out;
  }, server.url);
  expect(browser.pending).toEqual(NOTHING_PENDING);
  expect(browser.localDeleted).toEqual(['life-old']);

  const { stdout } = await run(python, [script, server.url, JSON.stringify(browser)], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
  });
  const py = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    runs: Record<string, string>;
    experiments: Record<
      string,
      { id: string; lifecycle_stage: string; tags: Record<string, string>; artifact_location: string }
    >;
    search_active: string[];
    search_deleted: string[];
    search_tag: string[];
    runs_active: string[];
    runs_all: string[];
  };
  expect(py.runs).toEqual({ kept: 'active', gone: 'deleted', back: 'active', old: 'deleted' });
  const main = py.experiments['life-main']!;
  expect(main.lifecycle_stage).toBe('active');
  expect(main.tags).toMatchObject({ team: 'vision', 'mlflow.note.content': '# Main\nnotes' });
  expect(main.artifact_location).toBe('mlflow-artifacts:/life-main');
  expect(py.experiments['life-old']!.lifecycle_stage).toBe('deleted');
  expect(py.search_active).toEqual(['life-main']);
  expect(py.search_deleted).toEqual(['life-old']);
  expect(py.search_tag).toEqual(['life-main']);
  expect(py.runs_active).toEqual(['back', 'kept']);
  expect(py.runs_all).toEqual(['back', 'gone', 'kept']);
  expect(errors).toEqual([]);
});
