/**
 * MLflow's input rules (mlflow/utils/validation.py and utils/uri.py), applied
 * on the page at the call so a bad value never enters the buffer, and again in
 * the worker, which trusts nothing that crossed postMessage.
 */
import type { EndStatus } from './entities.js';
import { invalidParameter, MlflowEdgeError } from './errors.js';
import {
  MAX_ENTITY_KEY_LENGTH,
  MAX_EXPERIMENT_NAME_LENGTH,
  MAX_PARAM_VAL_LENGTH,
  MAX_RUN_NAME_LENGTH,
  MAX_TAG_VAL_LENGTH,
} from './limits.js';

export type EntityKind = 'metric' | 'param' | 'tag';

/** Python's `\w` in Unicode mode is letters, digits (any script) and `_`. */
const VALID_KEY = /^[\p{L}\p{N}_/.\- :]*$/u;

/** `posixpath.normpath`: collapses `//`, drops `.`, resolves `..`, strips a trailing `/`. */
export function normpath(path: string): string {
  if (path === '') return '.';
  const absolute = path.startsWith('/');
  // POSIX keeps exactly two leading slashes; MLflow rejects any leading slash anyway.
  const leading = absolute ? (path.startsWith('//') && !path.startsWith('///') ? '//' : '/') : '';
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !absolute) out.push(part);
  }
  const joined = leading + out.join('/');
  return joined === '' ? '.' : joined;
}

/** Throws unless `key` is a valid metric, param or tag key, with MLflow's message. */
export function validateKey(key: unknown, kind: EntityKind): asserts key is string {
  if (typeof key !== 'string') {
    throw invalidParameter(
      `Invalid ${kind} key ${describe(key)}: a ${kind} key must be a string. Pass the name as text, e.g. ${kind === 'metric' ? "'loss'" : "'learning_rate'"}.`,
      { kind, key: describe(key) },
    );
  }
  if (!VALID_KEY.test(key)) {
    throw invalidParameter(
      `Invalid value "${key}" for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/). Rename the ${kind} using only those characters.`,
      { kind, key },
    );
  }
  const norm = normpath(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw invalidParameter(
      `Invalid value "${key}" for parameter 'key' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'. ${key === '' ? 'Give the ' + kind + ' a non-empty name.' : 'Remove empty, "." and ".." path segments and leading or trailing slashes.'}`,
      { kind, key },
    );
  }
  if (key.length > MAX_ENTITY_KEY_LENGTH) {
    throw invalidParameter(
      `'${key.slice(0, 40)}…' exceeds the maximum length of ${MAX_ENTITY_KEY_LENGTH} characters (${kind} key of ${key.length} characters). Use a shorter ${kind} key.`,
      { kind, key, length: key.length, limit: MAX_ENTITY_KEY_LENGTH },
    );
  }
}

const validKeys: Record<EntityKind, Set<string>> = { metric: new Set(), param: new Set(), tag: new Set() };

/** validateKey, remembering keys once seen valid: the logging hot path checks each key once. */
export function validateKeyCached(key: unknown, kind: EntityKind): asserts key is string {
  if (typeof key === 'string' && validKeys[kind].has(key)) return;
  validateKey(key, kind);
  validKeys[kind].add(key);
}

/** A value MLflow stores as text: strings as they are, other primitives as Python's `str()` would print them. */
export type TextValue = string | number | boolean | bigint | null;

export function stringifyValue(value: unknown, kind: 'param' | 'tag', key: string): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isNaN(value) ? 'nan' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : String(value);
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 'True' : 'False';
    case 'object':
      if (value === null) return 'None';
  }
  throw invalidParameter(
    `Invalid ${kind} value for key '${key}': got ${describe(value)}. MLflow stores ${kind} values as text: pass a string, number or boolean (JSON.stringify objects first).`,
    { kind, key },
  );
}

export function validateParamValue(key: string, value: string): void {
  if (value.length > MAX_PARAM_VAL_LENGTH) {
    throw invalidParameter(
      `Param value for key '${key}' exceeds the maximum length of ${MAX_PARAM_VAL_LENGTH} characters (got ${value.length}). Log long text as an artifact instead (run.logArtifact).`,
      { kind: 'param', key, length: value.length, limit: MAX_PARAM_VAL_LENGTH },
    );
  }
}

export function validateTagValue(key: string, value: string): void {
  if (value.length > MAX_TAG_VAL_LENGTH) {
    throw invalidParameter(
      `Tag value for key '${key}' exceeds the maximum length of ${MAX_TAG_VAL_LENGTH} characters (got ${value.length}). Log long text as an artifact instead (run.logArtifact).`,
      { kind: 'tag', key, length: value.length, limit: MAX_TAG_VAL_LENGTH },
    );
  }
}

export function validateMetricValue(key: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') {
    throw invalidParameter(
      `Got invalid value ${describe(value)} for metric '${key}' (timestamp, step). Please specify value as a valid double (64-bit floating point): a JavaScript number (NaN and ±Infinity are allowed).`,
      { kind: 'metric', key },
    );
  }
}

export function validateTimestamp(key: string, timestamp: unknown): asserts timestamp is number {
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw invalidParameter(
      `Got invalid timestamp ${describe(timestamp)} for metric '${key}'. Timestamp must be a nonnegative long (64-bit integer): milliseconds since the Unix epoch, e.g. Date.now().`,
      { kind: 'metric', key },
    );
  }
}

export function validateStep(key: string, step: unknown): asserts step is number {
  if (typeof step !== 'number' || !Number.isSafeInteger(step)) {
    throw invalidParameter(
      `Got invalid step ${describe(step)} for metric '${key}'. Step must be a valid long (64-bit integer): a whole number such as the epoch or batch index.`,
      { kind: 'metric', key },
    );
  }
}

export function validateExperimentName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw invalidParameter(`Invalid experiment name: ${describe(name)}. Pass a non-empty experiment name, or omit it to use 'Default'.`);
  }
  if (name.length > MAX_EXPERIMENT_NAME_LENGTH) {
    throw invalidParameter(
      `'name' exceeds the maximum length of ${MAX_EXPERIMENT_NAME_LENGTH} characters. Use a shorter experiment name.`,
    );
  }
}

export function validateRunName(name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw invalidParameter(`Invalid run name ${describe(name)}: pass a string, or omit it for a generated name.`);
  }
  if (name.length > MAX_RUN_NAME_LENGTH) {
    throw invalidParameter(`Run name exceeds the maximum length of ${MAX_RUN_NAME_LENGTH} characters. Use a shorter run name.`);
  }
}

const END_STATUSES: readonly unknown[] = ['FINISHED', 'FAILED', 'KILLED'] satisfies EndStatus[];

/** A run ends FINISHED, FAILED or KILLED (MLflow's terminal statuses). */
export function validateEndStatus(status: unknown): asserts status is EndStatus {
  if (!END_STATUSES.includes(status)) {
    throw invalidParameter(`Invalid run status ${describe(status)}. End a run with 'FINISHED', 'FAILED' or 'KILLED'.`, { field: 'status' });
  }
}

const RUN_ID = /^[0-9a-f]{32}$/;

export function validateRunId(runId: unknown): asserts runId is string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) {
    throw invalidParameter(
      `Invalid value ${describe(runId)} for parameter 'run_id' supplied. A run id is 32 lowercase hexadecimal characters, as returned in run.runId.`,
    );
  }
}

/**
 * Artifact paths are run-relative and `/`-separated, with MLflow's
 * `validate_path_is_safe` rules plus the ones that keep a path a plain file
 * name on every artifact store: no `..`, no absolute path, no `#`, no `\`,
 * no control characters, no empty segments.
 */
export function validateArtifactPath(path: unknown, what = 'artifact path'): asserts path is string {
  const fail = (why: string) =>
    invalidParameter(`Invalid ${what} ${describe(path)}: ${why}`, { path: typeof path === 'string' ? path : describe(path) });
  if (typeof path !== 'string' || path === '') throw fail('pass a non-empty, run-relative path such as "plots/loss.png".');
  // Control characters are exactly what this rule is for.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw fail('it contains a control character. Remove it.');
  if (path.includes('#')) throw fail("it contains '#', which MLflow refuses in artifact paths. Remove it.");
  if (path.includes('\\')) throw fail("it contains '\\'. Use '/' to separate directories.");
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw fail('it is absolute. Use a path relative to the run, such as "plots/loss.png".');
  const segments = path.split('/');
  if (segments.includes('..')) throw fail("it contains a '..' segment. Artifact paths must stay inside the run.");
  if (segments.some((s) => s === '' || s === '.')) {
    throw fail("it has an empty or '.' segment (a doubled, leading or trailing '/'). Write it as 'dir/file'.");
  }
}

/** A directory argument for listing: '' (the root) or a valid path. */
export function validateArtifactDir(dir: unknown): asserts dir is string {
  if (dir === '') return;
  validateArtifactPath(dir, 'artifact directory');
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : `an object (${Object.prototype.toString.call(value)})`;
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/** MLflow's message for a param logged again with another value (params are write-once). */
export function paramConflict(runId: string, key: string, oldValue: string, newValue: string): MlflowEdgeError {
  return new MlflowEdgeError(
    'INVALID_PARAMETER_VALUE',
    `Changing param values is not allowed. Param with key='${key}' was already logged with value='${oldValue}' for run ID='${runId}'. Attempted logging new value '${newValue}'. Params are write-once: log the new value under another key, or start a new run.`,
    { runId, key, oldValue, newValue },
  );
}
