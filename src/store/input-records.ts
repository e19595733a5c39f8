/** Stored dataset inputs as MLflow's DatasetInput entities (read by runs.ts; written by inputs.ts). */
import type { DatasetInput } from '../schema/entities.js';
import type { DatasetInputRecord, ModelInputRecord } from './schema.js';

/** A stored input as MLflow's DatasetInput entity. */
export function toDatasetInput(r: DatasetInputRecord): DatasetInput {
  const dataset: DatasetInput['dataset'] = {
    name: r.name,
    digest: r.digest,
    sourceType: r.sourceType,
    source: r.source,
  };
  if (r.schema !== undefined) dataset.schema = r.schema;
  if (r.profile !== undefined) dataset.profile = r.profile;
  return { tags: { ...r.tags }, dataset };
}

/** A run's inputs in the order they were logged. */
export function sortedInputs(records: readonly DatasetInputRecord[]): DatasetInput[] {
  return [...records].sort((a, b) => a.seq - b.seq).map(toDatasetInput);
}

/** A run's model inputs in the order they were logged. */
export function sortedModelInputs(records: readonly ModelInputRecord[]): { modelId: string }[] {
  return [...records].sort((a, b) => a.seq - b.seq).map((r) => ({ modelId: r.modelId }));
}
