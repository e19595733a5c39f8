/**
 * What the sync tests share: scripted servers and trackers over an
 * in-process worker service, all closed after each test, and fast retries.
 */
import type { Remote } from 'comlink';
import { afterEach } from 'vitest';
import { Tracker } from '../../../src/client/tracker.js';
import type { TrackerWorkerApi } from '../../../src/protocol.js';
import { TrackerService } from '../../../src/worker/service.js';
import { ScriptedMlflow } from '../scripted-mlflow.js';
import { openRequest } from '../store-location.js';

export const FAST = { attempts: 3, baseMs: 1, capMs: 5 };
export { NOTHING as nothingPending } from '../../../src/sync/progress.js';

let servers: ScriptedMlflow[] = [];
let trackers: Tracker[] = [];
let counter = 0;

afterEach(async () => {
  for (const t of trackers) await t.close().catch(() => undefined);
  for (const s of servers.reverse()) s.stop();
  trackers = [];
  servers = [];
});

/** A scripted server, stopped after the test. */
export function server(host?: string): ScriptedMlflow {
  const s = new ScriptedMlflow(host);
  servers.push(s);
  return s;
}

/** Two scripted servers at a.test and b.test, each answering its own host. */
export function twoServers(): [ScriptedMlflow, ScriptedMlflow] {
  const a = server('a.test');
  const b = server('b.test');
  // Each stub replaced the global fetch; route by host to the right one.
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) =>
    ((new URL(String(input)).host === 'a.test' ? a : b) as unknown as { handle: typeof fetch }).handle(
      input,
      init,
    )) as typeof fetch;
  return [a, b];
}

/** A tracker on a fresh (or the named) database, uploading to `trackingUri` when given; closed after the test. */
export async function open(
  trackingUri: string | undefined,
  dbName = `sync-${process.pid}-${++counter}`,
  autoSync = false,
  retry = FAST,
): Promise<{ t: Tracker; dbName: string }> {
  const service = new TrackerService(retry);
  await service.open(openRequest(dbName, trackingUri === undefined ? {} : { remote: { trackingUri, autoSync } }));
  const t = new Tracker({ terminate() {} } as unknown as Worker, service as unknown as Remote<TrackerWorkerApi>, {
    dbName,
  });
  trackers.push(t);
  return { t, dbName };
}

/** Closes `t` and opens its database again. */
export async function reopen(t: Tracker, dbName: string, trackingUri: string | undefined): Promise<Tracker> {
  await t.close();
  return (await open(trackingUri, dbName)).t;
}
