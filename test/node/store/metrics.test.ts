import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/open.js';
import { appendPoints, newPointColumns, OpenBlocks, pushPoint, readHistory } from '../../../src/store/metrics.js';
import { BLOCK_POINTS, TAIL_POINTS, seriesRange, type Db } from '../../../src/store/schema.js';
import { mulberry32 } from '../../seeded.js';
import { TrackerService } from '../../../src/worker/service.js';
import { STORE_ADAPTER, storeLocation, openRequest } from '../store-location.js';
import { metricColumns } from '../../metric-columns.js';

const runOf = async (service: TrackerService) => (await service.startRun({ startTime: 1 })).run.info.runId;

describe('metric chunks', () => {
  it('keeps every point in order through tails and sealed blocks, whatever the batch sizes', async () => {
    const dbName = 'chunks-mixed';
    const service = new TrackerService();
    await service.open(openRequest(dbName));
    const runId = await runOf(service);
    // Batch sizes that cross tail and block boundaries in every way, plus one multi-block batch.
    const sizes = [1, 3, 1020, 1, 5000, 2047, 8192, 3 * BLOCK_POINTS + 5, 700, 1, 1, 9000];
    let next = 0;
    for (const size of sizes) {
      const keys: string[] = [],
        values: number[] = [],
        steps: number[] = [],
        timestamps: number[] = [];
      for (let i = 0; i < size; i++, next++) {
        keys.push('m');
        values.push(next * 0.25);
        steps.push(next);
        timestamps.push(1000 + next);
      }
      const { rejected } = await service.logBatch({
        runs: [{ runId, metrics: metricColumns({ keys, values, steps, timestamps }) }],
      });
      expect(rejected).toEqual([]);
    }
    const h = await service.getMetricHistory(runId, 'm');
    expect(h.values.length).toBe(next);
    let inOrder = true;
    for (let i = 0; i < next; i++)
      if (h.steps[i] !== i || h.values[i] !== i * 0.25 || h.timestamps[i] !== 1000 + i) inOrder = false;
    expect(inOrder).toBe(true);
    await service.close();

    const db = await openDatabase(storeLocation(dbName));
    const chunks = await db.getAll('metricChunks', seriesRange(runId, 'm'));
    // IndexedDB seals each full block into one record; the other adapters keep its tails (each point written once).
    const sealed = STORE_ADAPTER === 'indexeddb' ? Math.floor(next / BLOCK_POINTS) : 0;
    const open = next - sealed * BLOCK_POINTS;
    const tails = Math.ceil(open / TAIL_POINTS);
    expect(chunks.map((c) => c.values.length)).toEqual([
      ...Array<number>(sealed).fill(BLOCK_POINTS),
      ...Array.from({ length: tails }, (_, i) => Math.min(TAIL_POINTS, open - i * TAIL_POINTS)),
    ]);
    // A chunk's number is the index of its first point / TAIL_POINTS.
    let first = 0;
    for (const c of chunks) {
      expect(c.chunkNo).toBe(first / TAIL_POINTS);
      first += c.values.length;
    }
    expect((await db.get('series', [runId, 'm']))?.count).toBe(next);
    db.close();
  });

  it('two writers appending to one series in turns store every point once, in order (neither trusts its open block after the other wrote)', async () => {
    const dbName = 'chunks-two-writers';
    const a = new TrackerService();
    const b = new TrackerService();
    await a.open(openRequest(dbName));
    await b.open(openRequest(dbName));
    const runId = await runOf(a);
    const random = mulberry32(7);
    let next = 0;
    for (let turn = 0; turn < 24; turn++) {
      const size = 1 + Math.floor(random() * 3000);
      const steps = Array.from({ length: size }, (_, i) => next + i);
      next += size;
      const { rejected } = await (turn % 3 === 2 ? b : a).logBatch({
        runs: [
          {
            runId,
            metrics: metricColumns({
              keys: steps.map(() => 'm'),
              values: steps,
              steps,
              timestamps: steps.map(() => 5),
            }),
          },
        ],
      });
      expect(rejected).toEqual([]);
    }
    const h = await b.getMetricHistory(runId, 'm');
    expect(h.steps.length).toBe(next);
    expect(h.steps.every((step, i) => step === i && h.values[i] === i)).toBe(true);
    await a.close();
    await b.close();
  });

  /** The transaction, with the requests appendPoints leaves unawaited caught: an abort rejects them all. */
  const quiet = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, name) {
        const value = Reflect.get(t, name) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(t, args);
          if (result instanceof Promise) result.catch(() => undefined);
          return name === 'objectStore' ? quiet(result as object) : result;
        };
      },
    });

  it('an open block taken by a transaction that aborted is not used again: the next append reads what committed', async () => {
    const db: Db = await openDatabase(storeLocation('chunks-abort'));
    const open = new OpenBlocks();
    const points = (from: number, n: number) => {
      const c = newPointColumns();
      for (let i = from; i < from + n; i++) pushPoint(c, i, i, 7);
      return c;
    };
    // As writeRuns does: the open block goes back to `open` once its transaction committed.
    const append = async (from: number, n: number, abort = false) => {
      const tx = db.transaction(['series', 'metricChunks'], 'readwrite');
      const block = await appendPoints(abort ? quiet(tx) : tx, 'r', 'm', points(from, n), open);
      if (abort) {
        tx.abort();
        await tx.done.catch(() => undefined);
        return;
      }
      await tx.done;
      open.put(block!.runId, block!.key, block!.count, block!.points);
    };
    await append(0, 100);
    await append(100, 1000, true);
    await append(100, BLOCK_POINTS);
    const h = await readHistory(db, 'r', 'm');
    expect(h.steps.length).toBe(100 + BLOCK_POINTS);
    expect(h.steps.every((step, i) => step === i)).toBe(true);
    db.close();
  });
});
