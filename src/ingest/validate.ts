/**
 * The worker's check of a batch that crossed postMessage. The page already
 * validated every item at its call, so this is the trust boundary, not the
 * user's error path: an item that fails is dropped and reported, the rest
 * of the batch is kept. Keys seen valid once are remembered (the hot path).
 */
import type { LogBatch, RunBatch } from '../protocol.js';
import { MlflowEdgeError } from '../schema/errors.js';
import {
  validateKeyCached,
  validateMetricValue,
  validateParamValue,
  validateRunId,
  validateStep,
  validateTagDeletion,
  validateTagValue,
  validateTimestamp,
} from '../schema/validation.js';
import type { RunWrites } from '../store/batch.js';
import { newPointColumns, pushPoint, type PointColumns } from '../store/metrics.js';

export interface Merged {
  writes: RunWrites[];
  /** Items refused before any write, by the batch they came from. */
  invalid: { origin: number; error: MlflowEdgeError }[];
}

/** Validates and merges batches (in arrival order) into one write per run. */
export function mergeBatches(batches: readonly LogBatch[]): Merged {
  const byRun = new Map<string, RunWrites>();
  const invalid: Merged['invalid'] = [];
  batches.forEach((batch, origin) => {
    for (const run of batch.runs) {
      try {
        validateRunId(run.runId);
      } catch (error) {
        invalid.push({ origin, error: error as MlflowEdgeError });
        continue;
      }
      let w = byRun.get(run.runId);
      if (w === undefined) {
        w = { runId: run.runId, origins: [], params: [], tags: new Map(), metrics: new Map() };
        byRun.set(run.runId, w);
      }
      w.origins.push(origin);
      mergeRun(w, run, origin, invalid);
    }
  });
  return { writes: [...byRun.values()], invalid };
}

function mergeRun(w: RunWrites, run: RunBatch, origin: number, invalid: Merged['invalid']): void {
  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      if (!(error instanceof MlflowEdgeError)) throw error;
      invalid.push({ origin, error });
    }
  };
  for (const [key, value] of run.params ?? []) {
    guard(() => {
      validateKeyCached(key, 'param');
      if (typeof value !== 'string')
        throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', `Param '${key}' must be sent as text.`);
      validateParamValue(key, value);
      w.params.push({ key, value, origin });
    });
  }
  for (const [key, value] of run.tags ?? []) {
    guard(() => {
      validateKeyCached(key, 'tag');
      if (value === null) {
        validateTagDeletion(key);
        w.tags.set(key, null);
        return;
      }
      if (typeof value !== 'string')
        throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', `Tag '${key}' must be sent as text.`);
      validateTagValue(key, value);
      w.tags.set(key, value);
    });
  }
  const m = run.metrics;
  if (m === undefined) return;
  const n = m.keys.length;
  if (m.values.length !== n || m.steps.length !== n || m.timestamps.length !== n) {
    invalid.push({
      origin,
      error: new MlflowEdgeError(
        'BAD_REQUEST',
        'Malformed metric columns: keys, values, steps and timestamps differ in length.',
      ),
    });
    return;
  }
  // The hot path: no closure per point, and the key's check and series lookup once per run of equal keys.
  let lastKey: unknown;
  let series: PointColumns | undefined;
  for (let i = 0; i < n; i++) {
    // A string once checked: validateKeyCached runs whenever it differs from the last key it passed.
    const key = m.keys[i] as string;
    const value = m.values[i];
    const step = m.steps[i];
    const timestamp = m.timestamps[i];
    try {
      if (key !== lastKey || series === undefined) {
        validateKeyCached(key, 'metric');
        series = w.metrics.get(key);
        if (series === undefined) {
          series = newPointColumns();
          w.metrics.set(key, series);
        }
        lastKey = key;
      }
      validateMetricValue(key, value);
      validateStep(key, step);
      validateTimestamp(key, timestamp);
    } catch (error) {
      if (!(error instanceof MlflowEdgeError)) throw error;
      invalid.push({ origin, error });
      continue;
    }
    pushPoint(series, step, value, timestamp);
  }
}
