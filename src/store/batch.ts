/**
 * One transaction writes everything a group commit collected: params,
 * tags and metric points of many runs. Either all of it is on disk or, when
 * the transaction aborts (a full disk), none of it.
 */
import { doesNotExist, MlflowEdgeError } from '../schema/errors.js';
import { paramConflict } from '../schema/validation.js';
import { appendPoints, type PointColumns } from './metrics.js';
import { assertActive, takeSeq } from './runs.js';
import type { Db, RunRecord, WriteTx } from './schema.js';

/** Items of one run from one or more batches; `origin` says which batch an item came from. */
export interface RunWrites {
  runId: string;
  /** Batches that carry anything for this run. */
  origins: number[];
  params: { key: string; value: string; origin: number }[];
  /** Last value per key wins, as in MLflow's log-batch. */
  tags: Map<string, string>;
  metrics: Map<string, PointColumns>;
}

export interface Rejection {
  origin: number;
  error: MlflowEdgeError;
}

const STORES = ['meta', 'runs', 'params', 'tags', 'series', 'metricChunks'] as const;

export async function writeRuns(db: Db, writes: readonly RunWrites[]): Promise<Rejection[]> {
  const tx: WriteTx = db.transaction([...STORES], 'readwrite');
  const rejected: Rejection[] = [];
  const records = await Promise.all(writes.map((w) => tx.objectStore('runs').get(w.runId)));
  let seqCount = 0;
  for (const w of writes) seqCount += w.params.length + w.tags.size + 1;
  let seq = await takeSeq(tx, seqCount);
  const work: Promise<unknown>[] = [];
  writes.forEach((w, i) => {
    const run = records[i];
    const refusal = refuse(w.runId, run);
    if (refusal !== undefined) {
      for (const origin of w.origins) rejected.push({ origin, error: refusal });
      return;
    }
    work.push(writeParams(tx, w, () => seq++, rejected));
    for (const [key, value] of w.tags) void tx.objectStore('tags').put({ runId: w.runId, key, value, seq: seq++ });
    // The run's seq moves with every write to it: sync finds changed runs by it.
    const runName = w.tags.get('mlflow.runName') ?? run!.runName;
    void tx.objectStore('runs').put({ ...run!, runName, seq: seq++ });
    for (const [key, points] of w.metrics) work.push(appendPoints(tx, w.runId, key, points));
  });
  await Promise.all(work);
  await tx.done;
  return rejected;
}

/** Why nothing may be logged to this run now, or undefined when it may. */
export function refuse(runId: string, run: RunRecord | undefined): MlflowEdgeError | undefined {
  if (run === undefined) {
    return doesNotExist(`Run with id=${runId} not found in the local store; nothing logged to it was stored. Start the run with tracker.startRun() first.`);
  }
  try {
    assertActive(run);
  } catch (error) {
    return error as MlflowEdgeError;
  }
  if (run.status !== 'RUNNING') {
    return new MlflowEdgeError(
      'INVALID_STATE',
      `Run ${runId} has ended (status ${run.status}); nothing logged to it after the end was stored. Resume it with tracker.startRun({ runId }) or start a new run.`,
      { runId, status: run.status },
    );
  }
  return undefined;
}

/** Params are write-once: the same value again is a no-op, a different one is refused and never stored. */
async function writeParams(tx: WriteTx, w: RunWrites, nextSeq: () => number, rejected: Rejection[]): Promise<void> {
  const store = tx.objectStore('params');
  const existing = await Promise.all(w.params.map((p) => store.get([w.runId, p.key])));
  const known = new Map<string, string>();
  w.params.forEach((p, i) => {
    const old = known.get(p.key) ?? existing[i]?.value;
    if (old === undefined) {
      known.set(p.key, p.value);
      void store.put({ runId: w.runId, key: p.key, value: p.value, seq: nextSeq() });
    } else if (old !== p.value) {
      rejected.push({ origin: p.origin, error: paramConflict(w.runId, p.key, old, p.value) });
    }
  });
}
