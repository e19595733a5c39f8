import type { EndStatus, LifecycleStage, Run, ViewType } from '../schema/entities.js';
import { inView } from '../schema/experiments.js';
import { doesNotExist, invalidParameter } from '../schema/errors.js';
import { DEFAULT_EXPERIMENT_NAME } from '../schema/limits.js';
import { newRunId } from '../schema/ids.js';
import { generateRunName } from '../schema/run-names.js';
import { compileFilter, compileOrderBy } from '../schema/search.js';
import { getOrCreateExperiment } from './experiments.js';
import { takeSeq } from './seq.js';
import { sortedInputs, sortedModelInputs } from './input-records.js';
import { PENDING_STORES, recordRunWrites } from './pending.js';
import { currentState, key, remoteMap } from './remote-state.js';
import type { StartRunRequest } from '../protocol.js';
import { runRange, type Db, type RunRecord, type RunSyncRecord, type TagRecord, type WriteTx } from './schema.js';

export { firstSeq, takeSeq } from './seq.js';

/**
 * Puts tags in the caller's transaction, each with the next seq; a null
 * value puts the tag's deletion (see TagRecord). Returns the tags they
 * replace (each get is answered before the put after it).
 */
export function putTags(
  tx: WriteTx,
  runId: string,
  entries: Iterable<[string, string | null]>,
  nextSeq: () => number,
): Promise<TagRecord | undefined>[] {
  const store = tx.objectStore('tags');
  return [...entries].map(([key, value]) => {
    const old = store.get([runId, key]);
    const seq = nextSeq();
    void store.put(value === null ? { runId, key, value: '', seq, deleted: true } : { runId, key, value, seq });
    return old;
  });
}

export async function startRun(db: Db, request: StartRunRequest): Promise<Run> {
  const tx = db.transaction([...PENDING_STORES, 'experiments', 'runs', 'tags'], 'readwrite');
  const runs = tx.objectStore('runs');
  const tags = { ...request.tags };
  let record: RunRecord;
  if (request.runId !== undefined) {
    const existing = await runs.get(request.runId);
    if (existing === undefined) {
      throw doesNotExist(
        `Run with id=${request.runId} not found in the local store. Check the id, or call startRun() without runId to create a new run.`,
      );
    }
    assertActive(existing);
    record = { ...existing, status: 'RUNNING' };
    delete record.endTime;
    if (tags['mlflow.runName'] !== undefined) record.runName = tags['mlflow.runName'];
  } else {
    const runName = request.runName ?? tags['mlflow.runName'] ?? generateRunName();
    if (tags['mlflow.runName'] !== undefined && tags['mlflow.runName'] !== runName) {
      throw invalidParameter(
        `Both 'runName' and the 'mlflow.runName' tag are specified, but with different values (runName='${runName}', mlflow.runName='${tags['mlflow.runName']}'). Pass only one of them.`,
      );
    }
    tags['mlflow.runName'] = runName;
    if (request.parentRunId !== undefined) {
      const parent = await runs.get(request.parentRunId);
      if (parent === undefined) {
        throw doesNotExist(
          `Parent run with id=${request.parentRunId} not found. Start the parent run first and pass its runId.`,
        );
      }
      tags['mlflow.parentRunId'] = request.parentRunId;
    }
    const experiment = await getOrCreateExperiment(
      tx,
      request.experimentName ?? DEFAULT_EXPERIMENT_NAME,
      request.startTime,
    );
    if (experiment.lifecycleStage !== 'active') {
      // MLflow's create_run (_check_experiment_is_active).
      throw invalidParameter(
        `The experiment ${experiment.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}. Restore '${experiment.name}' first (tracker.restoreExperiment), or use another experiment name.`,
        { experimentId: experiment.experimentId, lifecycleStage: experiment.lifecycleStage },
      );
    }
    record = {
      runId: newRunId(),
      experimentId: experiment.experimentId,
      runName,
      status: 'RUNNING',
      startTime: request.startTime,
      lifecycleStage: 'active',
      userId: tags['mlflow.user'] ?? 'unknown',
      seq: 0,
    };
  }
  const entries = Object.entries(tags);
  const seq = await takeSeq(tx, entries.length + 1);
  record.seq = seq;
  void runs.put(record);
  let next = seq + 1;
  const replaced = putTags(tx, record.runId, entries, () => next++);
  const old = (await Promise.all(replaced)).filter((t) => t !== undefined);
  await recordRunWrites(tx, [{ runId: record.runId, replacedTags: old.map((t) => t.seq) }], {
    tags: entries.length - old.length,
  });
  await tx.done;
  return getRun(db, record.runId);
}

/** MLflow's `_check_run_is_active`: nothing is logged to, ended or resumed on a deleted run. */
export function assertActive(run: RunRecord): void {
  if (run.lifecycleStage !== 'active') {
    throw invalidParameter(
      `The run ${run.runId} must be in the 'active' state. Current state is ${run.lifecycleStage}. Restore it first (tracker.restoreRun), or start a new run.`,
      { runId: run.runId, lifecycleStage: run.lifecycleStage },
    );
  }
}

/**
 * MLflow's delete_run / restore_run: the run's lifecycle stage (and
 * `deletedTime`), as one change of the run, so sync sends it in order with
 * the run's other changes. Setting the stage a run has is a no-op, as in MLflow.
 */
export async function setRunLifecycle(db: Db, runId: string, stage: LifecycleStage, now: number): Promise<void> {
  const tx = db.transaction([...PENDING_STORES, 'runs'], 'readwrite');
  const run = await tx.objectStore('runs').get(runId);
  if (run === undefined)
    throw doesNotExist(
      `Run with id=${runId} not found in the local store. Check the id (tracker.searchRuns({ runViewType: 'ALL' }) lists every run).`,
      { runId },
    );
  if (run.lifecycleStage !== stage) {
    const next: RunRecord = { ...run, lifecycleStage: stage, seq: await takeSeq(tx, 1) };
    if (stage === 'deleted') next.deletedTime = now;
    else delete next.deletedTime;
    void tx.objectStore('runs').put(next);
    await recordRunWrites(tx, [{ runId, unverify: true }], {});
  }
  await tx.done;
}

export async function endRun(db: Db, runId: string, status: EndStatus, endTime: number): Promise<void> {
  const tx = db.transaction([...PENDING_STORES, 'runs'], 'readwrite');
  const run = await tx.objectStore('runs').get(runId);
  if (run === undefined) throw doesNotExist(`Run with id=${runId} not found in the local store.`);
  assertActive(run);
  const seq = await takeSeq(tx, 1);
  void tx.objectStore('runs').put({ ...run, status, endTime, seq });
  await recordRunWrites(tx, [{ runId }], {});
  await tx.done;
}

export async function getRun(db: Db, runId: string): Promise<Run> {
  const [run] = await readRuns(db, [runId]);
  if (run === undefined) {
    throw doesNotExist(
      `Run with id=${runId} not found in the local store. Check the id (runs are listed by tracker.searchRuns()).`,
    );
  }
  return run;
}

/** Runs assembled from their records; ids with no run are skipped. One read transaction. */
async function readRuns(db: Db, runIds: readonly string[]): Promise<Run[]> {
  const state = await currentState(db);
  const tx = db.transaction(
    ['runs', 'experiments', 'params', 'tags', 'series', 'datasetInputs', 'modelInputs', 'remote'],
    'readonly',
  );
  const experimentNames = new Map<string, string>();
  for (const e of await tx.objectStore('experiments').getAll()) experimentNames.set(e.experimentId, e.name);
  const runs = await Promise.all(
    runIds.map(async (runId): Promise<Run | undefined> => {
      const range = runRange(runId);
      const [record, params, tags, series, inputs, models, sync] = await Promise.all([
        tx.objectStore('runs').get(runId),
        tx.objectStore('params').getAll(range),
        tx.objectStore('tags').getAll(range),
        tx.objectStore('series').getAll(range),
        tx.objectStore('datasetInputs').getAll(range),
        tx.objectStore('modelInputs').getAll(range),
        state === undefined
          ? undefined
          : (tx.objectStore('remote').get(key(state, 'run', runId)) as Promise<RunSyncRecord | undefined>),
      ]);
      if (record === undefined) return undefined;
      const info: Run['info'] = {
        runId: record.runId,
        runName: record.runName,
        experimentId: record.experimentId,
        experimentName: experimentNames.get(record.experimentId) ?? '',
        status: record.status,
        startTime: record.startTime,
        lifecycleStage: record.lifecycleStage,
        userId: record.userId,
      };
      if (record.endTime !== undefined) info.endTime = record.endTime;
      if (sync?.remoteRunId !== undefined) info.remoteRunId = sync.remoteRunId;
      return {
        info,
        data: {
          params: Object.fromEntries(params.map((p) => [p.key, p.value])),
          tags: Object.fromEntries(tags.filter((t) => t.deleted !== true).map((t) => [t.key, t.value])),
          metrics: Object.fromEntries(series.map((s) => [s.key, s.latest.value])),
        },
        inputs: { datasetInputs: sortedInputs(inputs), modelInputs: sortedModelInputs(models) },
      };
    }),
  );
  await tx.done;
  return runs.filter((r): r is Run => r !== undefined);
}

export interface SearchRuns {
  experimentNames?: readonly string[];
  filter?: string;
  orderBy?: readonly string[];
  maxResults: number;
  /** MLflow's run_view_type; default ACTIVE_ONLY. */
  runViewType?: ViewType;
}

export async function searchRuns(db: Db, request: SearchRuns): Promise<Run[]> {
  // Compile first: a bad filter fails before any read.
  const matches = compileFilter(request.filter);
  const compare = compileOrderBy(request.orderBy);
  const experiments = await db.getAll('experiments');
  const wanted =
    request.experimentNames === undefined
      ? experiments
      : experiments.filter((e) => request.experimentNames!.includes(e.name));
  const runIds: string[] = [];
  for (const experiment of wanted) {
    runIds.push(...(await db.getAllKeysFromIndex('runs', 'byExperiment', experiment.experimentId)));
  }
  const runs = await readRuns(db, runIds);
  return runs
    .filter((run) => inView(run.info.lifecycleStage, request.runViewType ?? 'ACTIVE_ONLY') && matches(run))
    .sort(compare)
    .slice(0, request.maxResults);
}

/** The local id of a run named by its local id or by the id the current server gave it on sync. */
export async function localRunId(db: Db, runId: string): Promise<string | undefined> {
  if ((await db.getKey('runs', runId)) !== undefined) return runId;
  const state = await currentState(db);
  if (state === undefined) return undefined;
  for (const [id, sync] of await remoteMap(db, state, 'run')) if (sync.remoteRunId === runId) return id;
  return undefined;
}
