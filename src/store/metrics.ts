/**
 * Metric series stored as columnar chunks: one IndexedDB record per block of
 * points instead of one per point (about 100× the write rate measured here).
 * Appends fill the open tail chunk, then add tail chunks; a block that fills
 * up is sealed into one record in the same transaction.
 */
import {
  BLOCK_POINTS,
  TAIL_POINTS,
  seriesRange,
  type ChunkRecord,
  type Db,
  type SeriesRecord,
  type WriteTx,
} from './schema.js';
import { bound } from './port.js';

/**
 * Points of one series in log order: the first `length` entries of each
 * column (the rest is room to grow). Columns of doubles, not arrays of
 * numbers: appending is a store, and a chunk is a copy of a range.
 */
export interface PointColumns {
  length: number;
  steps: Float64Array;
  values: Float64Array;
  timestamps: Float64Array;
}

export function newPointColumns(capacity = 16): PointColumns {
  return {
    length: 0,
    steps: new Float64Array(capacity),
    values: new Float64Array(capacity),
    timestamps: new Float64Array(capacity),
  };
}

/** Appends one point, doubling the columns when they are full. */
export function pushPoint(c: PointColumns, step: number, value: number, timestamp: number): void {
  const i = c.length;
  if (i === c.values.length) {
    const grow = (a: Float64Array) => {
      const out = new Float64Array(Math.max(16, a.length * 2));
      out.set(a);
      return out;
    };
    c.steps = grow(c.steps);
    c.values = grow(c.values);
    c.timestamps = grow(c.timestamps);
  }
  c.steps[i] = step;
  c.values[i] = value;
  c.timestamps[i] = timestamp;
  c.length = i + 1;
}

/**
 * Appends points to a series inside the caller's transaction. The series
 * record and the last chunk are read in that transaction, so concurrent
 * writers (other tabs) serialize instead of overwriting each other.
 */
export async function appendPoints(tx: WriteTx, runId: string, key: string, points: PointColumns): Promise<void> {
  const n = points.length;
  if (n === 0) return;
  const seriesStore = tx.objectStore('series');
  const chunkStore = tx.objectStore('metricChunks');
  const series = (await seriesStore.get([runId, key])) ?? newSeries(runId, key, points);
  let count = series.count;
  let taken = 0;
  const toSeal: number[] = [];
  const write = (size: number, merge?: ChunkRecord) => {
    const chunk =
      merge === undefined
        ? sliceChunk(runId, key, count / TAIL_POINTS, points, taken, taken + size)
        : concatChunk(merge, points, taken, taken + size);
    void chunkStore.put(chunk);
    taken += size;
    count += size;
    if (size < BLOCK_POINTS && count % BLOCK_POINTS === 0) toSeal.push(count / BLOCK_POINTS - 1);
  };
  if (count % TAIL_POINTS !== 0) {
    const tailNo = Math.floor(count / TAIL_POINTS);
    const tail = await chunkStore.get([runId, key, tailNo]);
    if (tail === undefined)
      throw new Error(`mlflow-edge: metric chunk ${tailNo} of '${key}' in run ${runId} is missing`);
    write(Math.min(n, TAIL_POINTS - (count % TAIL_POINTS)), tail);
  }
  while (taken < n) {
    // At a block boundary with a whole block to write, write it sealed at once.
    if (count % BLOCK_POINTS === 0 && n - taken >= BLOCK_POINTS) write(BLOCK_POINTS);
    else write(Math.min(n - taken, TAIL_POINTS));
  }
  for (const block of toSeal) {
    const first = (block * BLOCK_POINTS) / TAIL_POINTS;
    const range = bound([runId, key, first], [runId, key, first + BLOCK_POINTS / TAIL_POINTS - 1]);
    const parts = await chunkStore.getAll(range);
    void chunkStore.delete(range);
    void chunkStore.put(mergeChunks(parts));
  }
  // MLflow's SQL store reports the point with the max (step, timestamp, value), NaN counting as 0 there.
  // Compared on the fields: no object per point (a million points made a million of them).
  let latest = series.latest;
  let { step: lStep, timestamp: lTime, value: lValue } = latest;
  let moved = false;
  for (let i = 0; i < n; i++) {
    const step = points.steps[i]!;
    if (step < lStep) continue;
    const timestamp = points.timestamps[i]!;
    const value = points.values[i]!;
    if (
      step > lStep ||
      timestamp > lTime ||
      (timestamp === lTime && (Number.isNaN(value) ? 0 : value) > (Number.isNaN(lValue) ? 0 : lValue))
    ) {
      lStep = step;
      lTime = timestamp;
      lValue = value;
      moved = true;
    }
  }
  if (moved) latest = { step: lStep, value: lValue, timestamp: lTime };
  void seriesStore.put({ ...series, count, latest });
}

function newSeries(runId: string, key: string, points: PointColumns): SeriesRecord {
  return {
    runId,
    key,
    count: 0,
    latest: { step: points.steps[0]!, value: points.values[0]!, timestamp: points.timestamps[0]! },
  };
}

function sliceChunk(
  runId: string,
  key: string,
  chunkNo: number,
  p: PointColumns,
  from: number,
  to: number,
): ChunkRecord {
  return {
    runId,
    key,
    chunkNo,
    steps: p.steps.slice(from, to),
    values: p.values.slice(from, to),
    timestamps: p.timestamps.slice(from, to),
  };
}

function mergeChunks(parts: ChunkRecord[]): ChunkRecord {
  return { ...parts[0]!, ...concatColumns(parts) };
}

function concatChunk(last: ChunkRecord, p: PointColumns, from: number, to: number): ChunkRecord {
  const join = (a: Float64Array, b: Float64Array) => {
    const out = new Float64Array(a.length + (to - from));
    out.set(a);
    out.set(b.subarray(from, to), a.length);
    return out;
  };
  return {
    ...last,
    steps: join(last.steps, p.steps),
    values: join(last.values, p.values),
    timestamps: join(last.timestamps, p.timestamps),
  };
}

export interface HistoryColumns {
  steps: Float64Array;
  values: Float64Array;
  timestamps: Float64Array;
}

/** The whole series in log order, as three columns (empty when the key was never logged). */
export async function readHistory(db: Db, runId: string, key: string): Promise<HistoryColumns> {
  return concatColumns(await db.getAll('metricChunks', seriesRange(runId, key)));
}

/** The columns of consecutive chunks, joined in order. */
function concatColumns(chunks: readonly ChunkRecord[]): HistoryColumns {
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
