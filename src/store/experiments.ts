/**
 * Experiments in the local store, with MLflow's semantics
 * (SqlAlchemyStore): names are unique across lifecycle stages (a deleted
 * experiment's name stays taken); deleting an experiment deletes its runs and
 * restoring it restores them all; tags are set on active experiments only.
 *
 * Every experiment call moves the experiment's `seq` (the store's change
 * counter), in the transaction that writes it: sync uploads an experiment
 * whose `seq` is above what its server acknowledged. A cascade to runs
 * moves each run's `seq` too, so their lifecycle reaches the server in
 * order with their other changes (store/sync-state.ts).
 */
import type { Experiment, LifecycleStage, ViewType } from '../schema/entities.js';
import { doesNotExist, invalidParameter, MlflowEdgeError } from '../schema/errors.js';
import { inView, type ExperimentRef } from '../schema/experiments.js';
import { DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME } from '../schema/limits.js';
import { compileExperimentFilter, compileExperimentOrderBy } from '../schema/search/experiments.js';
import { PENDING_STORES, recordRunWrites } from './pending.js';
import { takeSeq } from './seq.js';
import type { Db, ExperimentRecord, WriteTx } from './schema.js';

/** The id the next experiment gets: '0' for a first Default, then 1, 2, … as MLflow's SQL store numbers them. */
async function newExperimentId(tx: WriteTx, name: string): Promise<string> {
  if (
    name === DEFAULT_EXPERIMENT_NAME &&
    (await tx.objectStore('experiments').get(DEFAULT_EXPERIMENT_ID)) === undefined
  )
    return DEFAULT_EXPERIMENT_ID;
  const next = Number((await tx.objectStore('meta').get('nextExperimentId')) ?? 1);
  await tx.objectStore('meta').put(next + 1, 'nextExperimentId');
  return String(next);
}

/**
 * The experiment of that name, created when missing. Runs inside the caller's
 * readwrite transaction, so two tabs creating the same name serialize and the
 * second finds the first's experiment (the name index is unique besides).
 */
export async function getOrCreateExperiment(tx: WriteTx, name: string, now: number): Promise<ExperimentRecord> {
  const existing = await tx.objectStore('experiments').index('byName').get(name);
  if (existing !== undefined) return existing;
  const record: ExperimentRecord = {
    experimentId: await newExperimentId(tx, name),
    name,
    lifecycleStage: 'active',
    creationTime: now,
    lastUpdateTime: now,
    tags: {},
  };
  await tx.objectStore('experiments').add(record);
  return record;
}

/** The experiment as the API returns it (without the store's bookkeeping). */
export function toExperiment(r: ExperimentRecord): Experiment {
  const e: Experiment = {
    experimentId: r.experimentId,
    name: r.name,
    lifecycleStage: r.lifecycleStage,
    creationTime: r.creationTime,
    lastUpdateTime: r.lastUpdateTime,
    tags: { ...r.tags },
  };
  if (r.artifactLocation !== undefined) e.artifactLocation = r.artifactLocation;
  return e;
}

export async function listExperiments(db: Db): Promise<Experiment[]> {
  return (await db.getAll('experiments')).map(toExperiment);
}

/** Finds an experiment by name (a bare string) or id, or says which one is missing, in MLflow's words. */
async function find(tx: WriteTx, ref: ExperimentRef): Promise<ExperimentRecord> {
  const store = tx.objectStore('experiments');
  if (typeof ref === 'object' && 'experimentId' in ref) {
    const found = await store.get(ref.experimentId);
    if (found === undefined)
      throw doesNotExist(
        `No Experiment with id=${ref.experimentId} exists in the local store. Check the id (tracker.searchExperiments({ viewType: 'ALL' }) lists them), or name the experiment by its name.`,
        { experimentId: ref.experimentId },
      );
    return found;
  }
  const name = typeof ref === 'string' ? ref : ref.experimentName;
  const found = await store.index('byName').get(name);
  if (found === undefined)
    throw doesNotExist(
      `Could not find experiment with name '${name}' in the local store. Create it with tracker.createExperiment() or by starting a run in it.`,
      { experimentName: name },
    );
  return found;
}

export async function getExperiment(db: Db, ref: ExperimentRef): Promise<Experiment> {
  const tx = db.transaction(['experiments'], 'readonly');
  const found = await find(tx as unknown as WriteTx, ref);
  await tx.done;
  return toExperiment(found);
}

export interface CreateExperiment {
  name: string;
  tags?: Record<string, string>;
  artifactLocation?: string;
  now: number;
}

/** MLflow's create_experiment: a new name only (deleted experiments keep theirs). */
export async function createExperiment(db: Db, request: CreateExperiment): Promise<Experiment> {
  const tx = db.transaction(['meta', 'experiments'], 'readwrite');
  const existing = await tx.objectStore('experiments').index('byName').get(request.name);
  if (existing !== undefined) {
    throw new MlflowEdgeError(
      'RESOURCE_ALREADY_EXISTS',
      `Experiment(name=${request.name}) already exists (id ${existing.experimentId}, ${existing.lifecycleStage}). ` +
        (existing.lifecycleStage === 'deleted'
          ? 'A deleted experiment keeps its name: restore it with tracker.restoreExperiment(), or choose another name.'
          : 'Choose another name, or use the existing experiment.'),
      { experimentName: request.name, experimentId: existing.experimentId },
    );
  }
  const record: ExperimentRecord = {
    experimentId: await newExperimentId(tx as unknown as WriteTx, request.name),
    name: request.name,
    lifecycleStage: 'active',
    creationTime: request.now,
    lastUpdateTime: request.now,
    tags: { ...request.tags },
    seq: await takeSeq(tx as unknown as WriteTx, 1),
  };
  if (request.artifactLocation !== undefined) record.artifactLocation = request.artifactLocation;
  await tx.objectStore('experiments').add(record);
  await tx.done;
  return toExperiment(record);
}

function assertActive(e: ExperimentRecord): void {
  if (e.lifecycleStage !== 'active') {
    throw invalidParameter(
      `The experiment ${e.experimentId} must be in the 'active' state. Current state is ${e.lifecycleStage}. Restore it first (tracker.restoreExperiment('${e.name}')).`,
      { experimentId: e.experimentId, lifecycleStage: e.lifecycleStage },
    );
  }
}

/** MLflow's set_experiment_tag, for each entry: upserts on an active experiment. */
export async function setExperimentTags(db: Db, ref: ExperimentRef, tags: Record<string, string>): Promise<void> {
  const tx = db.transaction(['meta', 'experiments'], 'readwrite');
  const found = await find(tx as unknown as WriteTx, ref);
  assertActive(found);
  const seq = await takeSeq(tx as unknown as WriteTx, 1);
  void tx.objectStore('experiments').put({ ...found, tags: { ...found.tags, ...tags }, seq });
  await tx.done;
}

/**
 * MLflow's delete_experiment / restore_experiment: the experiment must be in
 * the other stage (else RESOURCE_DOES_NOT_EXIST, as MLflow's lookup by stage
 * answers), and every run of it follows.
 */
export async function setExperimentLifecycle(
  db: Db,
  ref: ExperimentRef,
  stage: LifecycleStage,
  now: number,
): Promise<Experiment> {
  const tx = db.transaction([...PENDING_STORES, 'experiments', 'runs'], 'readwrite');
  const found = await find(tx as unknown as WriteTx, ref);
  if (found.lifecycleStage === stage) {
    throw doesNotExist(
      `No Experiment with id=${found.experimentId} exists in the ${stage === 'deleted' ? 'active' : 'deleted'} stage ('${found.name}' is ${found.lifecycleStage} already).`,
      { experimentId: found.experimentId, lifecycleStage: found.lifecycleStage },
    );
  }
  const runs = await tx.objectStore('runs').index('byExperiment').getAll(found.experimentId);
  const seq = await takeSeq(tx as unknown as WriteTx, runs.length + 1);
  const record: ExperimentRecord = { ...found, lifecycleStage: stage, lastUpdateTime: now, seq };
  void tx.objectStore('experiments').put(record);
  runs.forEach((run, i) => {
    const next = { ...run, lifecycleStage: stage, seq: seq + 1 + i };
    if (stage === 'deleted') next.deletedTime = now;
    else delete next.deletedTime;
    void tx.objectStore('runs').put(next);
  });
  await recordRunWrites(
    tx as unknown as WriteTx,
    runs.map((r) => ({ runId: r.runId, unverify: true as const })),
    {},
  );
  await tx.done;
  return toExperiment(record);
}

export interface SearchExperiments {
  filter?: string;
  orderBy?: readonly string[];
  maxResults: number;
  viewType: ViewType;
}

/** MLflow's search_experiments over the local store. */
export async function searchExperiments(db: Db, request: SearchExperiments): Promise<Experiment[]> {
  // Compile first: a bad filter or order fails before any read.
  const matches = compileExperimentFilter(request.filter);
  const compare = compileExperimentOrderBy(request.orderBy);
  return (await listExperiments(db))
    .filter((e) => inView(e.lifecycleStage, request.viewType) && matches(e))
    .sort(compare)
    .slice(0, request.maxResults);
}
