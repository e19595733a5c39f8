/**
 * The worker's check of a batch that crossed postMessage. The page already
 * validated every item at its call, so this is the trust boundary, not the
 * user's error path: an item that fails is dropped and reported, the rest
 * of the batch is kept. Keys seen valid once are remembered (the hot path).
 */
import type { LogBatch, MetricColumns, RunBatch } from '../protocol.js';
import { MlflowEdgeError } from '../schema/errors.js';
import { modelIdOf } from '../schema/registry.js';
import {
  validateKeyCached,
  validateParamValue,
  validateRunId,
  validateStep,
  validateTagDeletion,
  validateTagValue,
  validateTimestamp,
} from '../schema/validation.js';
import type { RunWrites } from '../store/batch.js';
import { appendRange, newPointColumns, pushPoint, reserve, type PointColumns } from '../store/metrics.js';

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
        w = { runId: run.runId, origins: [], params: [], tags: new Map(), metrics: new Map(), modelMetrics: [] };
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
  if (!wellFormed(m)) {
    invalid.push({
      origin,
      error: new MlflowEdgeError(
        'BAD_REQUEST',
        'Malformed metric columns: keys must be strings; keyIndexes a Uint32Array of indexes into them; values, steps and timestamps Float64Arrays; all columns of one length.',
      ),
    });
    return;
  }
  mergeMetrics(w, m, origin, invalid);
  if (run.modelLinks !== undefined) mergeModelLinks(w, m, run.modelLinks, origin, invalid);
}

/** Points linked to logged models: each one whose point was kept (a refused point was reported already). */
function mergeModelLinks(
  w: RunWrites,
  m: MetricColumns,
  links: RunBatch['modelLinks'] & {},
  origin: number,
  invalid: Merged['invalid'],
): void {
  if (!Array.isArray(links)) {
    invalid.push({
      origin,
      error: new MlflowEdgeError('BAD_REQUEST', 'Malformed model links: expected [pointIndex, modelId] pairs.'),
    });
    return;
  }
  for (const link of links) {
    const [i, modelId] = Array.isArray(link) ? link : [];
    if (!Number.isSafeInteger(i) || i! < 0 || i! >= m.values.length) {
      invalid.push({
        origin,
        error: new MlflowEdgeError('BAD_REQUEST', `Malformed model link: point ${String(i)} is not in the batch.`),
      });
      continue;
    }
    try {
      modelIdOf(modelId);
    } catch (error) {
      if (!(error instanceof MlflowEdgeError)) throw error;
      invalid.push({ origin, error });
      continue;
    }
    const key = m.keys[m.keyIndexes[i!]!]!;
    const step = m.steps[i!]!;
    const timestamp = m.timestamps[i!]!;
    try {
      validateKeyCached(key, 'metric');
    } catch {
      continue;
    }
    if (!Number.isSafeInteger(step) || !Number.isSafeInteger(timestamp) || timestamp < 0) continue;
    w.modelMetrics.push({ modelId: modelId!, key, value: m.values[i!]!, step, timestamp, origin });
  }
}

function wellFormed(m: MetricColumns): boolean {
  if (
    !Array.isArray(m.keys) ||
    !(m.keyIndexes instanceof Uint32Array) ||
    !(m.values instanceof Float64Array) ||
    !(m.steps instanceof Float64Array) ||
    !(m.timestamps instanceof Float64Array)
  )
    return false;
  const n = m.values.length;
  if (m.keyIndexes.length !== n || m.steps.length !== n || m.timestamps.length !== n) return false;
  const keyCount = m.keys.length;
  for (let i = 0; i < n; i++) if (m.keyIndexes[i]! >= keyCount) return false;
  return true;
}

/**
 * The hot path: each key checked once, steps and timestamps in one pass over
 * the columns, and a batch of one key with no bad point appended with one copy
 * per column. A bad key or point is refused and reported; the rest is kept.
 */
function mergeMetrics(w: RunWrites, m: MetricColumns, origin: number, invalid: Merged['invalid']): void {
  const series = m.keys.map((key): PointColumns | undefined => {
    try {
      validateKeyCached(key, 'metric');
    } catch (error) {
      if (!(error instanceof MlflowEdgeError)) throw error;
      invalid.push({ origin, error });
      return undefined;
    }
    let columns = w.metrics.get(key);
    if (columns === undefined) w.metrics.set(key, (columns = newPointColumns()));
    return columns;
  });
  const { keyIndexes, values, steps, timestamps } = m;
  const n = values.length;
  let bad = false;
  for (let i = 0; i < n; i++) {
    const step = steps[i]!;
    const timestamp = timestamps[i]!;
    if (!Number.isSafeInteger(step) || !Number.isSafeInteger(timestamp) || timestamp < 0) bad = true;
  }
  if (!bad && series.length === 1 && series[0] !== undefined) {
    appendRange(series[0], m, 0, n);
    return;
  }
  if (!bad) {
    scatter(series, m);
    return;
  }
  for (let i = 0; i < n; i++) {
    const columns = series[keyIndexes[i]!];
    if (columns === undefined) continue; // its key was refused (reported once)
    const key = m.keys[keyIndexes[i]!]!;
    try {
      validateStep(key, steps[i]);
      validateTimestamp(key, timestamps[i]);
    } catch (error) {
      if (!(error instanceof MlflowEdgeError)) throw error;
      invalid.push({ origin, error });
      continue;
    }
    pushPoint(columns, steps[i]!, values[i]!, timestamps[i]!);
  }
}

/** Points of several keys, all checked: each key's points appended in order, each series grown once. */
function scatter(series: readonly (PointColumns | undefined)[], m: MetricColumns): void {
  const { keyIndexes, values, steps, timestamps } = m;
  const counts = new Uint32Array(series.length);
  for (let i = 0; i < keyIndexes.length; i++) counts[keyIndexes[i]!]!++;
  series.forEach((columns, k) => {
    if (columns !== undefined) reserve(columns, columns.length + counts[k]!);
  });
  for (let i = 0; i < keyIndexes.length; i++) {
    const c = series[keyIndexes[i]!];
    if (c === undefined) continue; // its key was refused (reported once)
    const at = c.length++;
    c.steps[at] = steps[i]!;
    c.values[at] = values[i]!;
    c.timestamps[at] = timestamps[i]!;
  }
}
