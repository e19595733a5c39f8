import type { Page } from '@playwright/test';
import { serverOrder, type RunSnapshot } from './server-state.js';

/** What the browser holds for an experiment's runs, in the server snapshot's shape (runId = local id). */
export async function localRuns(page: Page, dbName: string, experimentName: string): Promise<RunSnapshot[]> {
  const runs = await page.evaluate(
    async ({ dbName, experimentName }) => {
      const t = await edge.openTracker({ dbName });
      const out = [];
      const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
      for (const run of await t.searchRuns({ experimentName })) {
        const metrics: Record<string, { step: number; value: number; timestamp: number }[]> = {};
        for (const key of Object.keys(run.data.metrics)) {
          // NaN/Infinity do not survive page.evaluate's JSON: send them as text.
          metrics[key] = (await t.getMetricHistory(run.info.runId, key)).map((p) => ({
            ...p,
            value: String(p.value) as unknown as number,
          }));
        }
        const artifacts: Record<string, string> = {};
        const walk = async (dir: string) => {
          for (const f of await t.listArtifacts(run.info.runId, dir)) {
            if (f.isDir) await walk(f.path);
            else artifacts[f.path] = hex(await (await t.readArtifact(run.info.runId, f.path)).arrayBuffer());
          }
        };
        await walk('');
        out.push({ info: run.info, params: run.data.params, tags: run.data.tags, metrics, artifacts });
      }
      await t.close();
      return out;
    },
    { dbName, experimentName },
  );
  return runs.map((r) => {
    const snap: RunSnapshot = {
      clientId: r.info.runId,
      runId: r.info.runId,
      name: r.info.runName,
      status: r.info.status,
      startTime: r.info.startTime,
      params: r.params,
      tags: r.tags,
      metrics: Object.fromEntries(
        Object.entries(r.metrics).map(([k, pts]) => [
          k,
          serverOrder(pts.map((p) => ({ ...p, value: Number(p.value) }))),
        ]),
      ),
      artifacts: r.artifacts,
    };
    if (r.info.endTime !== undefined) snap.endTime = r.info.endTime;
    return snap;
  });
}

/**
 * Exactly once: every local run is on the server once (by client id), with
 * equal name, status, times, params, tags (the parent tag mapped to the
 * server's id), full metric histories and artifact bytes; nothing else is there.
 */
export function assertSameRuns(
  local: RunSnapshot[],
  server: RunSnapshot[],
  expectFn: (v: unknown, m?: string) => { toEqual(x: unknown): void; toBe(x: unknown): void },
): void {
  const remoteIdOf = new Map(server.map((r) => [r.clientId, r.runId]));
  expectFn(server.map((r) => r.clientId).sort(), 'one server run per local run').toEqual(
    local.map((r) => r.runId).sort(),
  );
  for (const l of local) {
    const s = server.find((r) => r.clientId === l.runId)!;
    const where = `run ${l.name} (${l.runId})`;
    expectFn({ name: s.name, status: s.status, startTime: s.startTime, endTime: s.endTime }, where).toEqual({
      name: l.name,
      status: l.status,
      startTime: l.startTime,
      endTime: l.endTime,
    });
    expectFn(s.params, `${where} params`).toEqual(l.params);
    const wantTags: Record<string, string> = { ...l.tags, 'mlflow-edge.clientRunId': l.runId };
    // A tag naming a local run (a parent, a best_run_id) names that run's server id there (sync/run-ids.ts).
    for (const [key, value] of Object.entries(wantTags))
      if (key !== 'mlflow-edge.clientRunId' && remoteIdOf.has(value)) wantTags[key] = remoteIdOf.get(value)!;
    const serverTags = Object.fromEntries(Object.entries(s.tags).filter(([k]) => k in wantTags));
    expectFn(serverTags, `${where} tags`).toEqual(wantTags);
    expectFn(Object.keys(s.metrics).sort(), `${where} metric keys`).toEqual(Object.keys(l.metrics).sort());
    for (const key of Object.keys(l.metrics)) {
      const a = JSON.stringify(s.metrics[key]!.map((p) => [p.step, String(p.value), p.timestamp]));
      const b = JSON.stringify(l.metrics[key]!.map((p) => [p.step, String(p.value), p.timestamp]));
      expectFn(
        a === b,
        `${where} metric '${key}': server has ${s.metrics[key]!.length} points, browser ${l.metrics[key]!.length}`,
      ).toBe(true);
    }
    expectFn(s.artifacts, `${where} artifacts`).toEqual(l.artifacts);
  }
}

/** `status.pending` when the server has everything. */
export { NOTHING as NOTHING_PENDING } from '../../src/sync/progress.js';
