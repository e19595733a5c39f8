/**
 * Metric series stored as columnar chunks: one IndexedDB record per
 * CHUNK_POINTS points instead of one per point (about 100× the write rate
 * measured here). Appends fill the last chunk, then open new ones.
 */
import type { MetricPoint } from '../schema/entities.js';
import { CHUNK_POINTS, seriesRange, type ChunkRecord, type Db, type SeriesRecord, type WriteTx } from './schema.js';

/** Points of one series in log order. */
export interface PointColumns {
  steps: number[];
  values: number[];
  timestamps: number[];
}

/** MLflow's SQL store reports the point with the max (step, timestamp, value); NaN counts as 0 there. */
export function isLater(a: MetricPoint, b: MetricPoint): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return (Number.isNaN(a.value) ? 0 : a.value) > (Number.isNaN(b.value) ? 0 : b.value);
}

/**
 * Appends points to a series inside the caller's transaction. The series
 * record and the last chunk are read in that transaction, so concurrent
 * writers (other tabs) serialize instead of overwriting each other.
 */
export async function appendPoints(tx: WriteTx, runId: string, key: string, points: PointColumns): Promise<void> {
  const n = points.values.length;
  if (n === 0) return;
  const seriesStore = tx.objectStore('series');
  const chunkStore = tx.objectStore('metricChunks');
  const series = (await seriesStore.get([runId, key])) ?? newSeries(runId, key, points);
  let count = series.count;
  let taken = 0;
  const fill = count % CHUNK_POINTS;
  if (fill !== 0) {
    const chunkNo = Math.floor(count / CHUNK_POINTS);
    const last = await chunkStore.get([runId, key, chunkNo]);
    if (last === undefined) throw new Error(`mlflow-edge: metric chunk ${chunkNo} of '${key}' in run ${runId} is missing`);
    taken = Math.min(n, CHUNK_POINTS - fill);
    void chunkStore.put(concatChunk(last, points, 0, taken));
    count += taken;
  }
  while (taken < n) {
    const size = Math.min(n - taken, CHUNK_POINTS);
    void chunkStore.put(sliceChunk(runId, key, count / CHUNK_POINTS, points, taken, taken + size));
    taken += size;
    count += size;
  }
  let latest = series.latest;
  for (let i = 0; i < n; i++) {
    const p: MetricPoint = { step: points.steps[i]!, value: points.values[i]!, timestamp: points.timestamps[i]! };
    if (isLater(p, latest)) latest = p;
  }
  void seriesStore.put({ ...series, count, latest });
}

function newSeries(runId: string, key: string, points: PointColumns): SeriesRecord {
  return {
    runId,
    key,
    count: 0,
    latest: { step: points.steps[0]!, value: points.values[0]!, timestamp: points.timestamps[0]! },
    syncedCount: 0,
  };
}

function sliceChunk(runId: string, key: string, chunkNo: number, p: PointColumns, from: number, to: number): ChunkRecord {
  return {
    runId,
    key,
    chunkNo,
    steps: Float64Array.from(p.steps.slice(from, to)),
    values: Float64Array.from(p.values.slice(from, to)),
    timestamps: Float64Array.from(p.timestamps.slice(from, to)),
  };
}

function concatChunk(last: ChunkRecord, p: PointColumns, from: number, to: number): ChunkRecord {
  const join = (a: Float64Array, b: number[]) => {
    const out = new Float64Array(a.length + (to - from));
    out.set(a);
    for (let i = from; i < to; i++) out[a.length + i - from] = b[i]!;
    return out;
  };
  return { ...last, steps: join(last.steps, p.steps), values: join(last.values, p.values), timestamps: join(last.timestamps, p.timestamps) };
}

export interface HistoryColumns {
  steps: Float64Array;
  values: Float64Array;
  timestamps: Float64Array;
}

/** The whole series in log order, as three columns (empty when the key was never logged). */
export async function readHistory(db: Db, runId: string, key: string): Promise<HistoryColumns> {
  const chunks = await db.getAll('metricChunks', seriesRange(runId, key));
  let total = 0;
  for (const c of chunks) total += c.values.length;
  const out: HistoryColumns = {
    steps: new Float64Array(total),
    values: new Float64Array(total),
    timestamps: new Float64Array(total),
  };
  let at = 0;
  for (const c of chunks) {
    out.steps.set(c.steps, at);
    out.values.set(c.values, at);
    out.timestamps.set(c.timestamps, at);
    at += c.values.length;
  }
  return out;
}
