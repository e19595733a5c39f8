/**
 * One transaction writes everything a group commit collected: params,
 * tags and metric points of many runs, and the journal marks of the page
 * sessions they came from. Either all of it is on disk or, when the
 * transaction aborts (a full disk), none of it.
 */
import { doesNotExist, MlflowEdgeError } from '../schema/errors.js';
import { paramConflict } from '../schema/validation.js';
import { appendPoints, type AppendedBlock, type OpenBlocks, type PointColumns } from './metrics.js';
import { committedBatches, recordCommitted } from './journal.js';
import { PENDING_STORES, readEarly, recordRunWrites, type RunChange } from './pending.js';
import { assertActive, firstSeq, putTags } from './runs.js';
import type { Db, RunRecord, StoreName, TagRecord, WriteTx } from './schema.js';

/** Items of one run from one or more batches; `origin` says which batch an item came from. */
export interface RunWrites {
  runId: string;
  /** Batches that carry anything for this run. */
  origins: number[];
  params: { key: string; value: string; origin: number }[];
  /** Last value per key wins, as in MLflow's log-batch; null deletes the tag. */
  tags: Map<string, string | null>;
  metrics: Map<string, PointColumns>;
  /** Points of `metrics` also linked to a logged model (MLflow 3's metric model_id), in logged order. */
  modelMetrics: { modelId: string; key: string; value: number; step: number; timestamp: number; origin: number }[];
}

export interface Rejection {
  origin: number;
  error: MlflowEdgeError;
}

/** What one transaction writes, decided once it knows which batches of each session are already on disk. */
export interface WritePlan {
  writes: RunWrites[];
  /** Session → the highest batchNo this transaction writes (see store/journal.ts). */
  commits: ReadonlyMap<string, number>;
}

const STORES = [...PENDING_STORES, 'runs', 'params', 'tags', 'series', 'metricChunks'] as const;
const NONE: ReadonlyMap<string, number> = new Map();

/** What a group's transaction reads before its plan: the sessions of its batches and every run they name. */
export interface GroupKeys {
  sessions: readonly string[];
  runIds: readonly string[];
  /** Some batch of the group links metric points to logged models. */
  modelLinks?: boolean;
}

/**
 * Writes what `plan` returns in one transaction (with `open`, the writer's
 * open blocks, kept once it commits). `plan` is called in that
 * transaction with the highest batch on disk of each session, so a batch
 * another tab's replay wrote a moment ago is seen and skipped. Everything
 * the writes extend is read in one parallel round with those marks, so the
 * check adds no round trip.
 */
export async function writeRuns(
  db: Db,
  { sessions, runIds, modelLinks }: GroupKeys,
  plan: (committed: ReadonlyMap<string, number>) => WritePlan,
  open?: OpenBlocks,
): Promise<Rejection[]> {
  // Only a group that links points to models touches the models' records.
  const stores: StoreName[] = [...STORES];
  if (sessions.length > 0) stores.push('journalSessions');
  if (modelLinks === true) stores.push('loggedModels');
  const tx: WriteTx = db.transaction(stores, 'readwrite');
  const runStore = tx.objectStore('runs');
  const early = readEarly(tx);
  const [committed, runRecords, lastSeq] = await Promise.all([
    sessions.length > 0 ? committedBatches(tx, sessions) : NONE,
    Promise.all(runIds.map((id) => runStore.get(id))),
    tx.objectStore('meta').get('seq'),
  ]);
  const { writes, commits } = plan(committed);
  if (commits.size > 0) recordCommitted(tx, commits, Date.now());
  const rejected: Rejection[] = [];
  if (writes.length === 0) {
    await tx.done;
    return rejected;
  }
  const records = new Map(runIds.map((id, i) => [id, runRecords[i]]));
  let seqCount = 0;
  for (const w of writes) {
    if (!records.has(w.runId)) throw new Error(`writeRuns: run ${w.runId} was not in the group's keys`);
    seqCount += w.params.length + w.tags.size + 1;
  }
  // As takeSeq, with its read done in the first round.
  let seq = firstSeq(lastSeq);
  void tx.objectStore('meta').put(seq + seqCount - 1, 'seq');
  const work: Promise<unknown>[] = [];
  const appended: Promise<AppendedBlock | undefined>[] = [];
  const written: { runId: string; params: Promise<number>; tags: Promise<TagRecord | undefined>[] }[] = [];
  let points = 0;
  writes.forEach((w) => {
    const run = records.get(w.runId);
    const refusal = refuse(w.runId, run);
    if (refusal !== undefined) {
      for (const origin of w.origins) rejected.push({ origin, error: refusal });
      return;
    }
    const params = writeParams(tx, w, () => seq++, rejected);
    const tags = putTags(tx, w.runId, w.tags, () => seq++);
    written.push({ runId: w.runId, params, tags });
    // The run's seq moves with every write to it: sync finds changed runs by it.
    const runName = w.tags.get('mlflow.runName') ?? run!.runName;
    void tx.objectStore('runs').put({ ...run!, runName, seq: seq++ });
    for (const [key, columns] of w.metrics) {
      points += columns.length;
      appended.push(appendPoints(tx, w.runId, key, columns, open));
    }
    if (w.modelMetrics.length > 0) work.push(linkModelMetrics(tx, w, rejected));
  });
  let params = 0;
  let tags = 0;
  const changes: RunChange[] = [];
  for (const w of written) {
    params += await w.params;
    const replaced = (await Promise.all(w.tags)).filter((t) => t !== undefined);
    tags += w.tags.length - replaced.length;
    changes.push({ runId: w.runId, replacedTags: replaced.map((t) => t.seq) });
  }
  work.push(recordRunWrites(tx, changes, { params, tags, metrics: points }, early));
  const [blocks] = await Promise.all([Promise.all(appended), ...work]);
  await tx.done;
  for (const b of blocks) if (b !== undefined) open?.put(b.runId, b.key, b.count, b.points);
  return rejected;
}

/**
 * Adds a run's model-linked points to their models' records (the points
 * themselves are in the run's series already). A model unknown here is
 * refused; the run's points are kept.
 */
async function linkModelMetrics(tx: WriteTx, w: RunWrites, rejected: Rejection[]): Promise<void> {
  const store = tx.objectStore('loggedModels');
  const byModel = new Map<string, RunWrites['modelMetrics']>();
  for (const p of w.modelMetrics) {
    const points = byModel.get(p.modelId);
    if (points === undefined) byModel.set(p.modelId, [p]);
    else points.push(p);
  }
  await Promise.all(
    [...byModel].map(async ([modelId, points]) => {
      const model = await store.get(modelId);
      if (model === undefined) {
        for (const origin of new Set(points.map((p) => p.origin)))
          rejected.push({
            origin,
            error: doesNotExist(
              `Logged model with ID '${modelId}' not found in the local store: the metric points were logged to run ${w.runId} without the model link. Pass the LoggedModelInfo run.logModel returned (tracker.listLoggedModels() lists the models logged here).`,
              { field: 'model', modelId },
            ),
          });
        return;
      }
      const metrics = [...(model.metrics ?? [])];
      for (const { key, value, step, timestamp } of points)
        metrics.push({ runId: w.runId, key, value, step, timestamp });
      await store.put({ ...model, metrics });
    }),
  );
}

/** Why nothing may be logged to this run now, or undefined when it may. */
export function refuse(runId: string, run: RunRecord | undefined): MlflowEdgeError | undefined {
  if (run === undefined) {
    return doesNotExist(
      `Run with id=${runId} not found in the local store; nothing logged to it was stored. Start the run with tracker.startRun() first.`,
    );
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

/** Params are write-once: the same value again is a no-op, a different one is refused and never stored. Returns how many were new. */
async function writeParams(tx: WriteTx, w: RunWrites, nextSeq: () => number, rejected: Rejection[]): Promise<number> {
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
  return known.size;
}
