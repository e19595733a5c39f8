/**
 * A monitor's view of the service: the run's state and series in the
 * store, and the one log path every batch takes (group commit, then sync).
 */
import type { OpenRequest, RunBatch } from '../../protocol.js';
import { SYSTEM_METRIC_PREFIX } from '../../schema/system-metrics.js';
import type { GroupCommitWriter } from '../../ingest/group-commit.js';
import { refuse } from '../../store/batch.js';
import { SQLITE_FILE } from '../../store/open.js';
import { bound } from '../../store/port.js';
import type { Db } from '../../store/schema.js';
import type { MonitorHost } from './monitor.js';

export function monitorHost(
  db: Db,
  writer: GroupCommitWriter,
  changed: () => void,
  store: OpenRequest['store'],
  onnxExecutionProvider: () => string | undefined,
): MonitorHost {
  const probes: MonitorHost['probes'] = { onnxExecutionProvider };
  if (store !== undefined && 'path' in store) {
    const file = `${store.path}/${SQLITE_FILE}`;
    probes.storeFiles = [file, `${file}-wal`];
    if (store.maxBytes !== undefined) probes.storeQuota = store.maxBytes;
  }
  return {
    probes,
    async isRunning(runId) {
      return refuse(runId, await db.get('runs', runId)) === undefined;
    },
    async nextStep(runId) {
      const range = bound([runId, SYSTEM_METRIC_PREFIX], [runId, `${SYSTEM_METRIC_PREFIX}\uffff`]);
      let next = 0;
      for (const series of await db.getAll('series', range)) next = Math.max(next, series.latest.step + 1);
      return next;
    },
    async publish(batch: RunBatch) {
      const result = await writer.write({ runs: [batch] });
      if (result.duplicate !== true) changed();
      return result.rejected.length === 0;
    },
  };
}
