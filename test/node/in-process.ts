/**
 * A Tracker whose "worker" is the real TrackerService in this process: the
 * whole API over fake-indexeddb, without postMessage.
 */
import type { Remote } from 'comlink';
import { afterEach } from 'vitest';
import { Tracker, type TrackerOptions } from '../../src/client/tracker.js';
import type { TrackerWorkerApi } from '../../src/protocol.js';
import { TrackerService } from '../../src/worker/service.js';
import { openRequest } from './store-location.js';

let counter = 0;

export async function openInProcess(
  options: TrackerOptions = {},
): Promise<{ tracker: Tracker; service: TrackerService; dbName: string }> {
  const dbName = options.dbName ?? `test-${process.pid}-${++counter}`;
  const service = new TrackerService();
  await service.open(openRequest(dbName));
  const fakeWorker = { terminate() {} } as unknown as Worker;
  const tracker = new Tracker(fakeWorker, service as unknown as Remote<TrackerWorkerApi>, { ...options, dbName });
  await tracker.recover(); // as openTracker does
  return { tracker, service, dbName };
}

/** For a test file: opens in-process trackers, and closes every one opened after each test. */
export function openedPerTest(): (options?: TrackerOptions) => ReturnType<typeof openInProcess> {
  let open: Tracker[] = [];
  afterEach(async () => {
    for (const t of open) await t.close().catch(() => undefined);
    open = [];
  });
  return async (options = {}) => {
    const t = await openInProcess(options);
    open.push(t.tracker);
    return t;
  };
}
