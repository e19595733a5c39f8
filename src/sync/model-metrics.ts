/**
 * A logged model's metric points on sync, as MLflow 3 records them: a
 * runs/log-batch to the run that logged them, each metric carrying the
 * server's `model_id`. MLflow's SQL store writes such a batch to the run's
 * metrics and to the model's (logged_model_metrics) in one request, and
 * absorbs a resent one in both (the run's points are the same points its
 * series sent, so they are not doubled).
 *
 * Invariants:
 * - Batches are prefixes of what is left, in logged order, so one count
 *   (`metricsSynced`) says what the server has; a point waits while its run
 *   is not on the server, and so do the points after it.
 * - The model's metrics table keys a point by (model, key, timestamp, step,
 *   run) without its value: a second point under that key (same key, step
 *   and millisecond, another value) makes MLflow 3.17.2 refuse the whole
 *   request (BAD_REQUEST, its IntegrityError), which would dead-letter the
 *   points sent with it. Only the first is sent with the model id; the run
 *   has every point anyway.
 */
import { MAX_METRICS_PER_BATCH } from '../schema/limits.js';
import type { LoggedModelMetricRecord } from '../store/schema.js';
import { encodeDouble } from './packing.js';

export interface ModelMetricBatch {
  /** The server's id of the run that logged the points. */
  runId: string;
  metrics: { key: string; value: number | string; timestamp: number; step: number; model_id: string }[];
  /** Points of the model's list this batch accounts for (sent, or left out as a second point under one key). */
  count: number;
}

const pointKey = (p: LoggedModelMetricRecord) => `${p.runId}\u0000${p.key}\u0000${p.timestamp}\u0000${p.step}`;

/**
 * The log-batches that send points [from, …) of a model's list, each within
 * MLflow's 1000 metrics and to one run; `remoteRun` gives the server's id of
 * a local run, undefined while the run is not there.
 */
export function modelMetricBatches(
  points: readonly LoggedModelMetricRecord[],
  from: number,
  remoteModelId: string,
  remoteRun: (localRunId: string) => string | undefined,
): ModelMetricBatch[] {
  const seen = new Set<string>();
  for (let i = 0; i < from && i < points.length; i++) seen.add(pointKey(points[i]!));
  const batches: ModelMetricBatch[] = [];
  let current: ModelMetricBatch | undefined;
  for (let i = from; i < points.length; i++) {
    const p = points[i]!;
    const runId = remoteRun(p.runId);
    if (runId === undefined) break;
    if (current === undefined || current.runId !== runId || current.metrics.length >= MAX_METRICS_PER_BATCH) {
      current = { runId, metrics: [], count: 0 };
      batches.push(current);
    }
    current.count++;
    const k = pointKey(p);
    if (seen.has(k)) continue;
    seen.add(k);
    current.metrics.push({
      key: p.key,
      value: encodeDouble(p.value),
      timestamp: p.timestamp,
      step: p.step,
      model_id: remoteModelId,
    });
  }
  return batches;
}

/** Points of the model's list the server's copy lacks, among the first `upTo` (MLflow's logged-model metrics, keyed without the value). */
export function missingModelMetrics(
  points: readonly LoggedModelMetricRecord[],
  upTo: number,
  remoteRun: (localRunId: string) => string | undefined,
  found: readonly { key?: string; timestamp?: number | string; step?: number | string; run_id?: string }[],
): number {
  const have = new Set(
    found.map(
      (m) => `${m.run_id ?? ''}\u0000${m.key ?? ''}\u0000${Number(m.timestamp ?? 0)}\u0000${Number(m.step ?? 0)}`,
    ),
  );
  let missing = 0;
  for (let i = 0; i < upTo && i < points.length; i++) {
    const p = points[i]!;
    const runId = remoteRun(p.runId);
    if (runId === undefined || !have.has(pointKey({ ...p, runId }))) missing++;
  }
  return missing;
}
