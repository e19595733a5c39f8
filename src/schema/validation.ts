/**
 * MLflow's input rules (mlflow/utils/validation.py and utils/uri.py), applied
 * on the page at the call so a bad value never enters the buffer, and again in
 * the worker, which trusts nothing that crossed postMessage. Text must be
 * well-formed Unicode and limits count code points, as the Python server
 * does (see text.ts): whatever passes here, the server stores unchanged.
 */
import type { EndStatus } from './entities.js';
import { invalidParameter, MlflowEdgeError } from './errors.js';
import {
  MAX_ARTIFACT_SEGMENT_BYTES,
  MAX_ENTITY_KEY_LENGTH,
  MAX_EXPERIMENT_NAME_LENGTH,
  MAX_PARAM_VAL_LENGTH,
  MAX_RUN_NAME_LENGTH,
  MAX_TAG_VAL_LENGTH,
} from './limits.js';
import { pyNumberStr } from './python/repr.js';
import { codePointLength, exceedsCodePoints, loneSurrogateIndex, preview, utf8Length } from './text.js';

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

/**
 * Throws unless `text` is well-formed Unicode. `what` names it in the message
 * ("Param value for key 'lr'"), quoting `text` only through describe().
 */
export function validateWellFormed(text: string, what: string, details: Record<string, unknown> = {}): void {
  const at = loneSurrogateIndex(text);
  if (at === -1) return;
  const unit = `U+${text.charCodeAt(at).toString(16).toUpperCase()}`;
  throw invalidParameter(
    `${what} is not well-formed Unicode: it has a lone surrogate (${unit}) at index ${at}, which an MLflow server cannot store (it keeps an empty value or refuses the request). Remove it; it usually comes from cutting text inside an emoji (slice() counts UTF-16 units), and text.toWellFormed() replaces such halves with U+FFFD.`,
    { ...details, index: at, codePoint: unit },
  );
}

/** Throws unless `key` is a valid metric, param or tag key, with MLflow's message. */
export function validateKey(key: unknown, kind: EntityKind): asserts key is string {
  if (typeof key !== 'string') {
    throw invalidParameter(
      `Invalid ${kind} key ${describe(key)}: a ${kind} key must be a string. Pass the name as text, e.g. ${kind === 'metric' ? "'loss'" : "'learning_rate'"}.`,
      { kind, key: describe(key) },
    );
  }
  validateWellFormed(key, `The ${kind} key ${describe(key)}`, { kind, key });
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
  if (exceedsCodePoints(key, MAX_ENTITY_KEY_LENGTH)) {
    const length = codePointLength(key);
    throw invalidParameter(
      `'${preview(key, 40)}' exceeds the maximum length of ${MAX_ENTITY_KEY_LENGTH} characters (${kind} key of ${length} characters). Use a shorter ${kind} key.`,
      { kind, key, length, limit: MAX_ENTITY_KEY_LENGTH },
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

/**
 * A value MLflow stores as text: strings as they are, other primitives as
 * Python's `str()` prints the value they stand for (pyNumberStr: a safe
 * integer is an int, any other number a float; bigint an int; true/false
 * True/False; null None), so `logParam('lr', 1e-5)` stores '1e-05' as
 * `mlflow.log_param('lr', 1e-5)` does.
 */
export type TextValue = string | number | boolean | bigint | null;

export function stringifyValue(value: unknown, kind: 'param' | 'tag', key: string): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return pyNumberStr(value);
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

/** A param value: well-formed, at most 6000 code points. `key` is already valid. */
export function validateParamValue(key: string, value: string): void {
  validateWellFormed(value, `Param value for key '${key}'`, { kind: 'param', key });
  if (exceedsCodePoints(value, MAX_PARAM_VAL_LENGTH)) {
    const length = codePointLength(value);
    throw invalidParameter(
      `Param value for key '${key}' exceeds the maximum length of ${MAX_PARAM_VAL_LENGTH} characters (got ${length}). Log long text as an artifact instead (run.logArtifact).`,
      { kind: 'param', key, length, limit: MAX_PARAM_VAL_LENGTH },
    );
  }
}

/** A tag value: well-formed, at most 8000 code points. `key` is already valid. */
export function validateTagValue(key: string, value: string): void {
  validateWellFormed(value, `Tag value for key '${key}'`, { kind: 'tag', key });
  if (exceedsCodePoints(value, MAX_TAG_VAL_LENGTH)) {
    const length = codePointLength(value);
    throw invalidParameter(
      `Tag value for key '${key}' exceeds the maximum length of ${MAX_TAG_VAL_LENGTH} characters (got ${length}). Log long text as an artifact instead (run.logArtifact).`,
      { kind: 'tag', key, length, limit: MAX_TAG_VAL_LENGTH },
    );
  }
}

/** A tag that may be deleted: any but the run's name, which a run always has (rename it with setRunName). */
export function validateTagDeletion(key: string): void {
  if (key === 'mlflow.runName') {
    throw invalidParameter(
      "The tag 'mlflow.runName' holds the run's name, which a run always has: it cannot be deleted. Rename the run with run.setRunName() instead.",
      { kind: 'tag', key },
    );
  }
}

export function validateMetricValue(key: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') {
    throw invalidParameter(
      `Got invalid value ${describe(value)} for metric '${key}'. Please specify value as a valid double (64-bit floating point): a JavaScript number (NaN and ±Infinity are allowed).`,
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
    throw invalidParameter(
      `Invalid experiment name: ${describe(name)}. Pass a non-empty experiment name, or omit it to use 'Default'.`,
    );
  }
  validateWellFormed(name, `Experiment name ${describe(name)}`, { field: 'experimentName' });
  if (exceedsCodePoints(name, MAX_EXPERIMENT_NAME_LENGTH)) {
    const length = codePointLength(name);
    throw invalidParameter(
      `'name' exceeds the maximum length of ${MAX_EXPERIMENT_NAME_LENGTH} characters (got ${length}). Use a shorter experiment name.`,
      { field: 'experimentName', length, limit: MAX_EXPERIMENT_NAME_LENGTH },
    );
  }
}

export function validateRunName(name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw invalidParameter(`Invalid run name ${describe(name)}: pass a string, or omit it for a generated name.`);
  }
  validateWellFormed(name, `Run name ${describe(name)}`, { field: 'runName' });
  if (exceedsCodePoints(name, MAX_RUN_NAME_LENGTH)) {
    const length = codePointLength(name);
    throw invalidParameter(
      `Run name exceeds the maximum length of ${MAX_RUN_NAME_LENGTH} characters (got ${length}). Use a shorter run name.`,
      { field: 'runName', length, limit: MAX_RUN_NAME_LENGTH },
    );
  }
}

const END_STATUSES: readonly unknown[] = ['FINISHED', 'FAILED', 'KILLED'] satisfies EndStatus[];

/** A run ends FINISHED, FAILED or KILLED (MLflow's terminal statuses). */
export function validateEndStatus(status: unknown): asserts status is EndStatus {
  if (!END_STATUSES.includes(status)) {
    throw invalidParameter(`Invalid run status ${describe(status)}. End a run with 'FINISHED', 'FAILED' or 'KILLED'.`, {
      field: 'status',
    });
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
 * no control characters, no empty segments, well-formed Unicode, and no
 * segment over 255 bytes of UTF-8 (the longest file name ext4, APFS and
 * most file systems take; the server's artifact store writes files).
 */
export function validateArtifactPath(path: unknown, what = 'artifact path', field?: string): asserts path is string {
  const fail = (why: string) =>
    invalidParameter(`Invalid ${what} ${describe(path)}: ${why}`, {
      ...(field !== undefined ? { field } : {}),
      path: typeof path === 'string' ? path : describe(path),
    });
  if (typeof path !== 'string' || path === '')
    throw fail('pass a non-empty, run-relative path such as "plots/loss.png".');
  validateWellFormed(path, `The ${what} ${describe(path)}`, { path });
  // Control characters are exactly what this rule is for.
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) throw fail('it contains a control character. Remove it.');
  if (path.includes('#')) throw fail("it contains '#', which MLflow refuses in artifact paths. Remove it.");
  if (path.includes('\\')) throw fail("it contains '\\'. Use '/' to separate directories.");
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path))
    throw fail('it is absolute. Use a path relative to the run, such as "plots/loss.png".');
  const segments = path.split('/');
  if (segments.includes('..')) throw fail("it contains a '..' segment. Artifact paths must stay inside the run.");
  if (segments.some((s) => s === '' || s === '.')) {
    throw fail("it has an empty or '.' segment (a doubled, leading or trailing '/'). Write it as 'dir/file'.");
  }
  for (const segment of segments) validateSegmentBytes(segment, fail);
}

/** A UTF-16 unit is at most 3 bytes of UTF-8, so short segments need no counting. */
function validateSegmentBytes(segment: string, fail: (why: string) => MlflowEdgeError): void {
  if (segment.length * 3 <= MAX_ARTIFACT_SEGMENT_BYTES) return;
  const bytes = utf8Length(segment);
  if (bytes <= MAX_ARTIFACT_SEGMENT_BYTES) return;
  throw fail(
    `its segment ${describe(segment)} is ${bytes} bytes in UTF-8, and file systems (so MLflow's artifact stores) refuse names over ${MAX_ARTIFACT_SEGMENT_BYTES} bytes. Shorten that file or directory name.`,
  );
}

/**
 * Why a path inside a model (a model URI's path, a file an MLmodel names, a
 * logged model's file) is refused, or undefined when it is safe. Such paths
 * are joined to a directory, locally and in URLs; a browser resolves '..'
 * (also written '%2e%2e') and '\' before a request leaves, and MLflow's
 * server decodes percent-escapes again (`validate_path_is_safe`), so any of
 * them could reach another run's or model's files. The sentence says what to
 * write instead.
 */
export function modelPathProblem(path: string): string | undefined {
  // Control characters are exactly what this rule is for.
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a control character. Remove it.';
  if (path.includes('\\'))
    return "contains '\\', which browsers and Windows servers read as '/'. Separate directories with '/'.";
  const encoded = /%(?:2e|2f|5c|25|[01][0-9a-f]|7f)/i.exec(path);
  if (encoded !== null) {
    return `contains '${encoded[0]}', a percent-encoded '.', '/', '\\', '%' or control character, which browsers and MLflow's server decode. Write the path's characters as they are, e.g. 'model/MLmodel'.`;
  }
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path))
    return "is absolute. Write it relative to its directory, e.g. 'model.onnx'.";
  const segments = path.split('/');
  if (segments.includes('..')) {
    return "has a '..' segment, which leads out of the directory it is joined to, e.g. into another run's or model's files. Name a file inside the directory; to use another run's or model's files, load that one by its own URI.";
  }
  if (segments.includes('.')) return "has a '.' segment. Remove it: write 'a/b', not 'a/./b' or './a'.";
  if (segments.includes(''))
    return "has an empty segment (a doubled, leading or trailing '/'), which MLflow's stores read differently. Write one '/' between names.";
  return undefined;
}

/** A directory argument for listing: '' (the root) or a valid path. */
export function validateArtifactDir(dir: unknown): asserts dir is string {
  if (dir === '') return;
  validateArtifactPath(dir, 'artifact directory');
}

/**
 * A file (`field` 'path') or directory (`field` 'dir', '' = the root) of a
 * logged model's directory: the artifact path rules, and the stricter ones of
 * paths inside a model (no percent-encoded '.', '/', '\' or '%').
 */
export function validateModelArtifactPath(path: unknown, field: 'path' | 'dir'): asserts path is string {
  if (field === 'dir' && path === '') return;
  const what = field === 'dir' ? 'logged model directory' : 'logged model file path';
  const problem = typeof path === 'string' ? modelPathProblem(path) : undefined;
  if (problem !== undefined)
    throw invalidParameter(`Invalid ${what} ${describe(path)}: it ${problem}`, { field, path });
  validateArtifactPath(path, what, field);
}

export function describe(value: unknown): string {
  // JSON.stringify escapes lone surrogates: a description is always well-formed.
  if (typeof value === 'string') return JSON.stringify(preview(value, 60));
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object')
    return Array.isArray(value) ? 'an array' : `an object (${Object.prototype.toString.call(value)})`;
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
