/**
 * The model registry's entities and name rules, as MLflow has them
 * (model_registry.proto, utils/validation.py). Names are well-formed Unicode
 * and their lengths are counted in code points, as the server counts them.
 */
import { invalidParameter } from './errors.js';
import { MAX_REGISTERED_MODEL_NAME_LENGTH } from './limits.js';
import { exceedsCodePoints } from './text.js';
import { describe, stringifyValue, validateKeyCached, validateParamValue, validateWellFormed } from './validation.js';

/** A model version as MLflow's `ModelVersion` names its fields (version as a string). */
export interface ModelVersion {
  name: string;
  version: string;
  /** `models:/<modelId>` of the logged model. */
  source: string;
  runId: string;
  modelId: string;
  status: 'READY';
  creationTimestamp: number;
  aliases: string[];
  /** The version's number on the MLflow server, once synced. */
  remoteVersion?: string;
}

export interface RegisteredModel {
  name: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  aliases: { alias: string; version: string }[];
  latestVersions: ModelVersion[];
}

/** Logged model names: MLflow's rule (`/ : . % " '` are not allowed). */
export function validateLoggedModelName(name: unknown): asserts name is string {
  if (typeof name === 'string') validateWellFormed(name, `The model name ${describe(name)}`, { field: 'name' });
  if (typeof name !== 'string' || name === '' || /[/:.%"']/.test(name)) {
    throw invalidParameter(
      `Invalid model name (${JSON.stringify(name)}) provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '"', "'").`,
      { field: 'name', received: name },
    );
  }
}

/** MLflow 3's logged model id: `m-` and 32 lowercase hex characters. */
/** A logged model's id as this store makes them: 'm-' and 32 hex digits. */
export const MODEL_ID = /^m-[0-9a-f]{32}$/;

/**
 * The id of the logged model a metric is linked to (MetricOptions.model):
 * an id, or what run.logModel returned.
 */
export function modelIdOf(model: unknown): string {
  const id = typeof model === 'object' && model !== null ? (model as { modelId?: unknown }).modelId : model;
  if (typeof id !== 'string' || !MODEL_ID.test(id)) {
    throw invalidParameter(
      `Invalid logged model id ${describe(id)}: pass the LoggedModelInfo run.logModel returned, or its modelId ('m-' and 32 hex characters).`,
      { field: 'model', received: typeof id === 'string' ? id : String(id) },
    );
  }
  return id;
}

/**
 * A logged model's params (LogModelOptions.params) as MLflow 3 stores them:
 * values as Python's str(), keys and values under the run params' rules.
 */
export function modelParams(params: unknown): Record<string, string> {
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    throw invalidParameter('Pass the model params as an object of names to values: { params: { alpha: 0.5 } }.', {
      field: 'params',
    });
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(params)) {
    validateKeyCached(key, 'param');
    const value = stringifyValue(raw, 'param', key);
    validateParamValue(key, value);
    out[key] = value;
  }
  return out;
}

/** Alias names: MLflow's rule. */
export function validateAlias(alias: unknown): asserts alias is string {
  if (typeof alias === 'string') validateWellFormed(alias, `The alias ${describe(alias)}`, { field: 'alias' });
  if (typeof alias !== 'string' || alias === '' || alias.length > 255 || !/^[\w-]+$/.test(alias)) {
    throw invalidParameter(
      `Invalid alias name: ${JSON.stringify(alias)}. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
      { field: 'alias', received: alias },
    );
  }
  if (alias.toLowerCase() === 'latest')
    throw invalidParameter("'latest' alias name (case insensitive) is reserved.", { field: 'alias', received: alias });
  if (/^[vV]\d+$/.test(alias))
    throw invalidParameter(`Version alias name '${alias}' is reserved.`, { field: 'alias', received: alias });
}

export function validateRegisteredModelName(name: unknown): asserts name is string {
  if (typeof name === 'string')
    validateWellFormed(name, `The registered model name ${describe(name)}`, { field: 'name' });
  if (typeof name !== 'string' || name.trim() === '' || exceedsCodePoints(name, MAX_REGISTERED_MODEL_NAME_LENGTH)) {
    throw invalidParameter(
      `Invalid registered model name ${describe(name)}: pass a non-empty string of at most ${MAX_REGISTERED_MODEL_NAME_LENGTH} characters.`,
      { field: 'name', received: name },
    );
  }
}
