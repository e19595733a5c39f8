// System metrics against a real MLflow 3 server: a run logged in Node with logSystemMetrics and
// synced, and a Python control run with mlflow.start_run(log_system_metrics=True), both read back
// by MLflow Python. Every system metric MLflow's own monitor logs on this machine is logged by
// mlflow-edge too, under the same name (the shared set is Python's whole set), with MLflow's steps.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MLFLOW_SYSTEM_METRICS } from '../../src/schema/system-metrics.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const python = join(ROOT, '.venv/bin/python');

let server: MlflowServer;
beforeAll(async () => {
  server = await startMlflowServer();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

it('synced system metrics carry the names and steps MLflow Python’s monitor logs', async () => {
  const { openTracker } = (await import(
    pathToFileURL(join(ROOT, 'dist/node.js')).href
  )) as typeof import('../../src/node.js');
  const tracker = await openTracker({
    store: { path: mkdtempSync(join(tmpdir(), 'system-metrics-')) },
    remote: { trackingUri: server.url },
  });
  const edgeRun = await tracker.startRun({
    experimentName: 'system-metrics',
    runName: 'edge',
    logSystemMetrics: true,
    systemMetricsSamplingInterval: 1,
  });
  await new Promise((r) => setTimeout(r, 4500));
  await edgeRun.end();
  await tracker.sync();
  const local = await tracker.getRun(edgeRun.runId);
  const remoteId = (await tracker.searchRuns({ experimentName: 'system-metrics' }))[0]?.info.remoteRunId;
  await tracker.close();
  expect(remoteId).toBeDefined();

  const { stdout } = await run(
    python,
    [join(ROOT, 'test/interop/system_metrics_control.py'), server.url, 'system-metrics', remoteId!],
    {
      timeout: 120_000,
    },
  );
  // The last line: MLflow prints its "View run" links before it.
  const read = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    python: Record<string, number[]>;
    edge: Record<string, number[]>;
  };
  const pythonNames = Object.keys(read.python);
  const edgeNames = Object.keys(read.edge);
  // What the server holds is what was logged locally.
  expect(edgeNames).toEqual(
    Object.keys(local.data.metrics)
      .filter((k) => k.startsWith('system/'))
      .sort(),
  );
  // MLflow's monitor logged its CPU, memory, disk and network metrics here (no GPU on this machine).
  expect(pythonNames.length).toBeGreaterThanOrEqual(6);
  // The names both log are all of Python's: none of MLflow's is missing or spelled otherwise.
  const shared = edgeNames.filter((name) => pythonNames.includes(name));
  expect(shared).toEqual(pythonNames);
  // And every MLflow name mlflow-edge logs, Python logs too (the rest are browser-and-runtime names of our own).
  const mlflowNames = new Set(Object.values(MLFLOW_SYSTEM_METRICS).map((n) => `system/${n}`));
  expect(edgeNames.filter((n) => mlflowNames.has(n))).toEqual(shared);
  // MLflow's steps: 0, 1, 2… one per interval, in both.
  for (const name of shared) {
    expect(read.python[name]!.slice(0, 3)).toEqual([0, 1, 2]);
    expect(read.edge[name]!.slice(0, 3)).toEqual([0, 1, 2]);
  }
}, 180_000);
