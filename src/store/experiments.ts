import type { Experiment } from '../schema/entities.js';
import { DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME } from '../schema/limits.js';
import type { Db, ExperimentRecord, WriteTx } from './schema.js';

/**
 * The experiment of that name, created when missing. Runs inside the caller's
 * readwrite transaction, so two tabs creating the same name serialize and the
 * second finds the first's experiment (the name index is unique besides).
 */
export async function getOrCreateExperiment(tx: WriteTx, name: string, now: number): Promise<ExperimentRecord> {
  const existing = await tx.objectStore('experiments').index('byName').get(name);
  if (existing !== undefined) return existing;
  let experimentId: string;
  if (
    name === DEFAULT_EXPERIMENT_NAME &&
    (await tx.objectStore('experiments').get(DEFAULT_EXPERIMENT_ID)) === undefined
  ) {
    experimentId = DEFAULT_EXPERIMENT_ID;
  } else {
    const next = Number((await tx.objectStore('meta').get('nextExperimentId')) ?? 1);
    await tx.objectStore('meta').put(next + 1, 'nextExperimentId');
    experimentId = String(next);
  }
  const record: ExperimentRecord = {
    experimentId,
    name,
    lifecycleStage: 'active',
    creationTime: now,
    lastUpdateTime: now,
    tags: {},
  };
  await tx.objectStore('experiments').add(record);
  return record;
}

export async function listExperiments(db: Db): Promise<Experiment[]> {
  const records = await db.getAll('experiments');
  return records.map((r) => ({ ...r, tags: { ...r.tags } }));
}
