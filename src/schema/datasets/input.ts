/** A dataset input as logged (`mlflow.log_input(dataset, context, tags)`), checked as MLflow's server checks it. */
import type { DatasetInput } from '../entities.js';
import { invalidParameter } from '../errors.js';
import { MODEL_ID } from '../registry.js';
import { validateWellFormed } from '../validation.js';
import { DATASET_CONTEXT_TAG } from '../search/vocabulary.js';
import type { Dataset } from './dataset.js';
import {
  checkLength,
  MAX_DATASET_DIGEST_SIZE,
  MAX_DATASET_NAME_SIZE,
  MAX_DATASET_PROFILE_SIZE,
  MAX_DATASET_SCHEMA_SIZE,
  MAX_DATASET_SOURCE_SIZE,
  MAX_INPUT_TAG_KEY_SIZE,
  MAX_INPUT_TAG_VALUE_SIZE,
} from './limits.js';

export interface LogInputOptions {
  /** Where the dataset was used, e.g. `training` or `eval` (the input tag `mlflow.data.context`). */
  context?: string;
  /** More input tags. */
  tags?: Record<string, string>;
  /** A logged model the run used (MLflow 3's `model=LoggedModelInput(model_id)`): its local `modelId`. */
  model?: string;
}

/** A model input names a local logged model: `m-` and 32 hex digits. */
export function checkModelInputId(modelId: unknown): string {
  if (typeof modelId !== 'string' || !MODEL_ID.test(modelId))
    throw invalidParameter(
      `Invalid logged model id ${JSON.stringify(modelId) ?? String(modelId)}: pass the modelId of a model logged here ('m-' and 32 hex digits, from run.logModel or tracker.listLoggedModels()).`,
    );
  return modelId;
}

const isText = (v: unknown): v is string => typeof v === 'string';

/** Checks a dataset (made here or by hand) and the input's tags; returns the input to store. */
export function datasetInput(dataset: Dataset, options: LogInputOptions = {}): DatasetInput {
  if (typeof dataset !== 'object' || dataset === null)
    throw invalidParameter('logInput takes a dataset made by fromRecords, fromColumns or fromNumpy.');
  const { name, digest, sourceType, source, schema, profile } = dataset;
  for (const [field, value] of [
    ['name', name],
    ['digest', digest],
    ['source_type', sourceType],
    ['source', source],
  ] as const) {
    if (!isText(value) || value === '')
      throw invalidParameter(
        `Missing value for required parameter '${field}' of the dataset. Make datasets with fromRecords, fromColumns or fromNumpy.`,
      );
  }
  if ((schema !== undefined && !isText(schema)) || (profile !== undefined && !isText(profile)))
    throw invalidParameter("A dataset's schema and profile are JSON strings.");
  checkLength('name', name, MAX_DATASET_NAME_SIZE, 'Give the dataset a shorter name.');
  checkLength('digest', digest, MAX_DATASET_DIGEST_SIZE, 'Use a shorter digest.');
  checkLength('source', source, MAX_DATASET_SOURCE_SIZE, 'Use a shorter source.');
  if (schema !== undefined) checkLength('schema', schema, MAX_DATASET_SCHEMA_SIZE, 'Log fewer columns.');
  if (profile !== undefined) checkLength('profile', profile, MAX_DATASET_PROFILE_SIZE, 'Use a smaller profile.');
  const tags: Record<string, string> = {};
  const given = options.tags ?? {};
  if (typeof given !== 'object' || given === null) throw invalidParameter('Input tags are an object of key → string.');
  for (const [key, value] of Object.entries(given)) {
    if (!isText(value)) throw invalidParameter(`Input tag '${key}' must be a string; got ${typeof value}.`, { key });
    tags[key] = value;
  }
  if (options.context !== undefined) {
    if (!isText(options.context))
      throw invalidParameter('The context of a dataset input is a string, e.g. "training".');
    tags[DATASET_CONTEXT_TAG] = options.context;
  }
  for (const [key, value] of Object.entries(tags)) {
    if (key === '') throw invalidParameter('An input tag key is a non-empty string.');
    checkLength('key', key, MAX_INPUT_TAG_KEY_SIZE, 'Use a shorter input tag key.');
    checkLength('value', value, MAX_INPUT_TAG_VALUE_SIZE, `Use a shorter value for input tag '${key}'.`);
  }
  for (const [what, text] of [
    ['The dataset name', name],
    ['The dataset digest', digest],
    ['The dataset source', source],
    ...Object.entries(tags).flatMap(([k, v]) => [
      [`Input tag key '${k}'`, k],
      [`Input tag '${k}'`, v],
    ]),
  ])
    validateWellFormed(text!, what!);
  const out: Dataset = { name, digest, sourceType, source };
  if (schema !== undefined) out.schema = schema;
  if (profile !== undefined) out.profile = profile;
  return { tags, dataset: out };
}
