/**
 * The datasets runs used (MLflow's run inputs). Logging one writes it with
 * the next seq and moves the run's seq in the same transaction (sync finds
 * changed runs by it); a dataset (name, digest) already logged to the run
 * is kept as it is, as MLflow's store keeps the first input.
 */
import type { DatasetInput } from '../schema/entities.js';
import { doesNotExist } from '../schema/errors.js';
import { UNRESOLVED_CODE_SOURCE } from '../schema/datasets/dataset.js';
import { codeSource } from '../schema/datasets/sources.js';
import { PENDING_STORES, recordRunWrites } from './pending.js';
import { assertActive, takeSeq } from './runs.js';
import { runRange, type DatasetInputRecord, type Db } from './schema.js';

/** The run tags MLflow's CodeDatasetSource names the code by, in its order. */
const CODE_SOURCE_TAGS = ['mlflow.user', 'mlflow.source.name', 'mlflow.source.type'];

/**
 * Stores a run's dataset inputs and model inputs (local logged model ids,
 * each checked to exist before anything is written).
 */
export async function logInputs(
  db: Db,
  runId: string,
  inputs: readonly DatasetInput[],
  models: readonly string[] = [],
): Promise<void> {
  const tx = db.transaction(
    [...PENDING_STORES, 'runs', 'tags', 'datasetInputs', 'modelInputs', 'loggedModels'],
    'readwrite',
  );
  const run = await tx.objectStore('runs').get(runId);
  if (run === undefined) throw doesNotExist(`Run with id=${runId} not found in the local store.`);
  assertActive(run);
  const freshModels: string[] = [];
  for (const modelId of new Set(models)) {
    if ((await tx.objectStore('loggedModels').getKey(modelId)) === undefined)
      throw doesNotExist(
        `Logged model ${modelId} not found in the local store. Pass the modelId of a model logged here (run.logModel's result, or tracker.listLoggedModels()).`,
        { modelId },
      );
    if ((await tx.objectStore('modelInputs').getKey([runId, modelId])) === undefined) freshModels.push(modelId);
  }
  const store = tx.objectStore('datasetInputs');
  const fresh: DatasetInput[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const id = `${input.dataset.name}\u0000${input.dataset.digest}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if ((await store.getKey([runId, input.dataset.name, input.dataset.digest])) === undefined) fresh.push(input);
  }
  if (fresh.length === 0 && freshModels.length === 0) {
    await tx.done;
    return;
  }
  let code: string | undefined;
  if (fresh.some((i) => i.dataset.sourceType === 'code' && i.dataset.source === UNRESOLVED_CODE_SOURCE.source)) {
    const tags: Record<string, string> = {};
    for (const key of CODE_SOURCE_TAGS) {
      const tag = await tx.objectStore('tags').get([runId, key]);
      if (tag !== undefined && !tag.deleted) tags[key] = tag.value;
    }
    code = codeSource(tags).source;
  }
  const first = await takeSeq(tx, fresh.length + freshModels.length);
  freshModels.forEach((modelId, i) => {
    void tx.objectStore('modelInputs').put({ runId, modelId, seq: first + fresh.length + i });
  });
  fresh.forEach((input, i) => {
    const d = input.dataset;
    const record: DatasetInputRecord = {
      runId,
      name: d.name,
      digest: d.digest,
      sourceType: d.sourceType,
      source: d.sourceType === 'code' && d.source === UNRESOLVED_CODE_SOURCE.source ? code! : d.source,
      tags: { ...input.tags },
      seq: first + i,
    };
    if (d.schema !== undefined) record.schema = d.schema;
    if (d.profile !== undefined) record.profile = d.profile;
    void store.put(record);
  });
  void tx.objectStore('runs').put({ ...run, seq: first + fresh.length + freshModels.length - 1 });
  await recordRunWrites(tx, [{ runId }], {});
  await tx.done;
}

export async function readInputs(db: Db, runId: string): Promise<DatasetInputRecord[]> {
  return db.getAll('datasetInputs', runRange(runId));
}
