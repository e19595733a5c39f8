/**
 * Direct mode (src/edge.ts) without a server: the tracker works over its own
 * memory store, refuses what it cannot do, and closes. The upload itself is
 * tested in workerd against a real MLflow server (test/interop/edge-worker.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { EDGE_RETRY, MlflowEdgeError, openTracker } from '../../src/edge.js';
import { DEFAULT_RETRY } from '../../src/remote/retry.js';

describe('direct mode (mlflow-edge/edge)', () => {
  it('logs and reads back through the same Tracker API, with no worker', async () => {
    const tracker = await openTracker({ user: 'edge' });
    const run = await tracker.startRun({ experimentName: 'edge', runName: 'r' });
    run.logParams({ lr: 0.1 });
    run.setTag('t', 'v');
    for (let i = 0; i < 5; i++) run.logMetric('m', i * 2, { step: i, timestamp: 1000 + i });
    await run.logArtifact('a/b.txt', 'hello');
    await run.end();
    const stored = await tracker.getRun(run.runId);
    expect(stored.info.status).toBe('FINISHED');
    expect(stored.data.params).toEqual({ lr: '0.1' });
    expect(stored.data.tags).toMatchObject({ t: 'v', 'mlflow.user': 'edge', 'mlflow.source.type': 'LOCAL' });
    expect((await tracker.getMetricHistory(run.runId, 'm')).map((p) => p.value)).toEqual([0, 2, 4, 6, 8]);
    expect(await (await tracker.readArtifact(run.runId, 'a/b.txt')).text()).toBe('hello');
    await tracker.close();
  });

  it('gives each tracker a store of its own', async () => {
    const a = await openTracker();
    const b = await openTracker();
    await (await a.startRun({ experimentName: 'only-a' })).end();
    expect(await a.searchRuns()).toHaveLength(1);
    expect(await b.searchRuns()).toEqual([]);
    await a.close();
    await b.close();
  });

  it('refuses sync() without a server, and every call once closed, with typed errors', async () => {
    const tracker = await openTracker();
    await expect(tracker.sync()).rejects.toMatchObject({ name: 'MlflowEdgeError', code: 'INVALID_STATE' });
    expect((await tracker.syncStatus()).state).toBe('disabled');
    await tracker.close();
    await expect(tracker.startRun()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await tracker.close(); // again: nothing
  });

  it('retries as the browser does with a shorter budget, and checks a retry option', async () => {
    expect(EDGE_RETRY).toEqual({ ...DEFAULT_RETRY, attempts: 6, capMs: 8_000 });
    for (const retry of [{ attempts: 0 }, { baseMs: -1 }, { capMs: 1.5 }, { attempts: Number.NaN }]) {
      const error = await openTracker({ retry }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MlflowEdgeError);
      expect(error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    }
  });

  it('takes a tracking server (credentials moved out of the URI) and is its only uploader', async () => {
    const tracker = await openTracker({ remote: { trackingUri: 'http://user:secret@127.0.0.1:9', autoSync: true } });
    const status = await tracker.syncStatus();
    expect(status).toMatchObject({ configured: true, leader: true, state: 'idle', trackingUri: 'http://127.0.0.1:9' });
    await tracker.close();
  });
});
