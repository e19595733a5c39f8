/**
 * Packs a run's pending params, tags and metric points into runs/log-batch
 * requests within MLflow's limits. Each batch is a prefix of what is left:
 * params and tags in seq order, and each series' points in logged order, so
 * acknowledging a batch moves every watermark forward without gaps.
 */
import type { Dataset } from '../schema/datasets/dataset.js';
import { MAX_ENTITIES_PER_BATCH, MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH } from '../schema/limits.js';

export interface TextItem {
  kind: 'param' | 'tag';
  key: string;
  value: string;
  seq: number;
  /** A deleted tag: sent by runs/delete-tag, never in a log-batch. */
  deleted?: true;
}

export interface MetricItem {
  kind: 'metric';
  key: string;
  value: number;
  step: number;
  timestamp: number;
  /** Position of the point in its series. */
  index: number;
}

export type BatchItem = TextItem | MetricItem;

/** Below MLflow's documented 1 MB, with room for JSON framing and proxies' limits. */
export const MAX_BATCH_BYTES = 900_000;

/** Bytes of `s` as a JSON string in UTF-8: exact, escapes included. */
function jsonBytes(s: string): number {
  const json = JSON.stringify(s);
  let n = json.length;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c >= 0x80) n += c < 0x800 ? 1 : c >= 0xd800 && c < 0xdc00 ? 1 : c >= 0xdc00 && c < 0xe000 ? 1 : 2;
  }
  return n;
}

const textBytes = (t: TextItem) => jsonBytes(t.key) + jsonBytes(t.value) + 20;
// key, a double (up to 24 characters), step and timestamp, framing.
const metricBytes = (m: MetricItem) => jsonBytes(m.key) + 90;

export function packBatches(text: readonly TextItem[], series: readonly (readonly MetricItem[])[]): BatchItem[][] {
  const batches: BatchItem[][] = [];
  let t = 0;
  let s = 0;
  let p = 0;
  while (t < text.length || s < series.length) {
    const batch: BatchItem[] = [];
    let params = 0;
    let tags = 0;
    let metrics = 0;
    let bytes = 0;
    while (t < text.length) {
      const item = text[t]!;
      const isParam = item.kind === 'param';
      if ((isParam ? params : tags) >= MAX_PARAMS_TAGS_PER_BATCH) break;
      if (batch.length > 0 && bytes + textBytes(item) > MAX_BATCH_BYTES) break;
      batch.push(item);
      if (isParam) params++;
      else tags++;
      bytes += textBytes(item);
      t++;
    }
    while (s < series.length && batch.length < MAX_ENTITIES_PER_BATCH && metrics < MAX_METRICS_PER_BATCH) {
      const points = series[s]!;
      if (p >= points.length) {
        s++;
        p = 0;
        continue;
      }
      const item = points[p]!;
      if (batch.length > 0 && bytes + metricBytes(item) > MAX_BATCH_BYTES) break;
      batch.push(item);
      metrics++;
      bytes += metricBytes(item);
      p++;
    }
    if (s < series.length && p >= series[s]!.length) {
      s++;
      p = 0;
    }
    if (batch.length > 0) batches.push(batch);
  }
  return batches;
}

/** MLflow reads NaN and ±Infinity only as the strings protobuf JSON uses (JSON.stringify would send null). */
export function encodeDouble(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/**
 * The run's name tag. It never goes in a log-batch: MLflow's SQL store sets
 * it there with a read-modify-write of the whole run row (`set_tag` reads the
 * status, then writes it back with the name), so a copy of a batch still
 * running on another server worker (a resent POST) puts a run that was ended
 * meanwhile back to RUNNING. runs/create and runs/update set the name
 * without touching the status (see SyncEngine.uploadData).
 */
export const RUN_NAME_TAG = 'mlflow.runName';

export function logBatchBody(runId: string, items: readonly BatchItem[]) {
  const params: { key: string; value: string }[] = [];
  const tags: { key: string; value: string }[] = [];
  const metrics: { key: string; value: number | string; timestamp: number; step: number }[] = [];
  for (const item of items) {
    if (item.kind === 'param') params.push({ key: item.key, value: item.value });
    else if (item.kind === 'tag') {
      if (item.key !== RUN_NAME_TAG) tags.push({ key: item.key, value: item.value });
    } else if (item.kind === 'metric')
      metrics.push({ key: item.key, value: encodeDouble(item.value), timestamp: item.timestamp, step: item.step });
  }
  return { run_id: runId, params, tags, metrics };
}

/** What the server holds once these items are acknowledged (or dead-lettered). */
export function ackOf(items: readonly BatchItem[]): {
  syncedSeq?: number;
  counts: Map<string, number>;
  text: TextItem[];
} {
  let syncedSeq: number | undefined;
  const counts = new Map<string, number>();
  const text: TextItem[] = [];
  for (const item of items) {
    if (item.kind === 'metric') counts.set(item.key, Math.max(counts.get(item.key) ?? 0, item.index + 1));
    else {
      syncedSeq = Math.max(syncedSeq ?? 0, item.seq);
      text.push(item);
    }
  }
  return syncedSeq === undefined ? { counts, text } : { syncedSeq, counts, text };
}

/** A runs/log-inputs body: MLflow's DatasetInput messages (tags as InputTag lists). */
export function logInputsBody(
  runId: string,
  inputs: readonly (Dataset & { tags: Record<string, string> })[],
): { run_id: string; datasets: unknown[] } {
  return {
    run_id: runId,
    datasets: inputs.map((i) => {
      const dataset: Record<string, string> = {
        name: i.name,
        digest: i.digest,
        source_type: i.sourceType,
        source: i.source,
      };
      if (i.schema !== undefined) dataset.schema = i.schema;
      if (i.profile !== undefined) dataset.profile = i.profile;
      return { tags: Object.entries(i.tags).map(([key, value]) => ({ key, value })), dataset };
    }),
  };
}
