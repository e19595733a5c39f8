import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/open.js';
import { BLOCK_POINTS, TAIL_POINTS, seriesRange } from '../../../src/store/schema.js';
import { TrackerService } from '../../../src/worker/service.js';
import { storeLocation, openRequest } from '../store-location.js';

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
      const { rejected } = await service.logBatch({ runs: [{ runId, metrics: { keys, values, steps, timestamps } }] });
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
    const sealed = Math.floor(next / BLOCK_POINTS);
    const tails = Math.ceil((next % BLOCK_POINTS) / TAIL_POINTS);
    expect(chunks.map((c) => c.values.length)).toEqual([
      ...Array<number>(sealed).fill(BLOCK_POINTS),
      ...Array.from({ length: tails }, (_, i) => Math.min(TAIL_POINTS, (next % BLOCK_POINTS) - i * TAIL_POINTS)),
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
});
