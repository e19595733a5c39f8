/**
 * The model URIs MLflow understands (store/artifact/utils/models.py,
 * runs_artifact_repo.py), parsed into what a loader needs to fetch.
 *
 * A URI's path, and every file path an MLmodel names, stays inside the
 * directory it is joined to: '..', '.', empty segments, '\', absolute paths
 * and percent-encoded '.', '/', '\' or '%' are refused before anything is
 * read or fetched (a browser resolves '..' before a request leaves, so
 * `runs:/<a>/../../<b>/…` would otherwise load run b's code). A trailing '/'
 * names the same directory, as in MLflow, and is dropped.
 */
import { invalidParameter } from '../schema/errors.js';
import { modelPathProblem } from '../schema/validation.js';

export type ModelUri =
  | { kind: 'run'; runId: string; path: string }
  | { kind: 'version'; name: string; version: string; path: string }
  | { kind: 'alias'; name: string; alias: string; path: string }
  | { kind: 'latest'; name: string; path: string }
  | { kind: 'logged-model'; modelId: string; path: string }
  | { kind: 'http'; url: string };

const FORMS =
  "Model URIs look like 'runs:/<run_id>/<path>', 'models:/<name>/<version>', 'models:/<name>@<alias>', 'models:/<name>/latest', 'models:/m-<id>' or an http(s) URL of a model directory.";

export function parseModelUri(uri: unknown): ModelUri {
  const fail = (why: string) =>
    invalidParameter(`Not a proper model URI: ${JSON.stringify(uri)}. ${why} ${FORMS}`, {
      field: 'uri',
      received: uri,
    });
  if (typeof uri !== 'string' || uri === '') throw fail('Pass the URI as a string.');
  if (/^https?:\/\//i.test(uri)) {
    try {
      return { kind: 'http', url: new URL(uri).href.replace(/\/+$/, '') };
    } catch {
      throw fail('The URL does not parse.');
    }
  }
  const scheme = /^(runs|models):(\/*)(.*)$/s.exec(uri);
  if (scheme === null) throw fail('The scheme is not runs:, models:, http: or https:.');
  const [, kind, slashes, rest] = scheme as unknown as [string, 'runs' | 'models', string, string];
  const example = kind === 'runs' ? "'runs:/<run_id>/model'" : "'models:/<name>/<version>'";
  // urlparse, as MLflow does: 'runs://x/…' has the netloc x (a Databricks profile), not a run id.
  if (slashes.length === 2)
    throw fail(
      `MLflow reads what follows '${kind}://' as a Databricks profile, not a ${kind === 'runs' ? 'run id' : 'model name'}. Write ${example}.`,
    );
  if (slashes.length !== 1 && slashes.length !== 3) throw fail(`Write one '/' after '${kind}:', e.g. ${example}.`);
  const body = rest.replace(/\/+$/, '');
  const problem = body === '' ? undefined : modelPathProblem(body);
  if (problem !== undefined) {
    const inside =
      kind === 'runs'
        ? "Write the model's path inside the run as it was logged, e.g. 'runs:/<run_id>/model'; a model of another run is 'runs:/<its run_id>/<name>'."
        : "Write 'models:/<name>/<version>', 'models:/<name>@<alias>' or 'models:/m-<id>', then the path inside the model, if any.";
    throw invalidParameter(`Not a proper model URI: ${JSON.stringify(uri)}. Its path '${body}' ${problem} ${inside}`, {
      field: 'uri',
      received: uri,
    });
  }
  if (kind === 'runs') {
    const [runId = '', ...segments] = body.split('/');
    const path = segments.join('/');
    if (!/^[0-9a-zA-Z][\w-]{0,255}$/.test(runId)) throw fail('The run id is not valid.');
    if (path === '') throw fail("Name the model's path inside the run, e.g. 'runs:/<run_id>/model'.");
    return { kind: 'run', runId, path };
  }
  const [first = '', second, ...more] = body.split('/');
  if (first === '') throw fail('The model name is empty.');
  const at = first.lastIndexOf('@');
  if (at !== -1) {
    const name = first.slice(0, at);
    const alias = first.slice(at + 1);
    if (name === '' || alias === '') throw fail('Both the name and the alias must be non-empty.');
    return { kind: 'alias', name, alias, path: [second, ...more].filter((s) => s !== undefined).join('/') };
  }
  if (second === undefined) {
    if (!/^m-[0-9a-f]{32}$/.test(first))
      throw fail("A single segment must be a logged model id ('m-' and 32 hex characters).");
    return { kind: 'logged-model', modelId: first, path: '' };
  }
  const path = more.join('/');
  if (/^latest$/i.test(second)) return { kind: 'latest', name: first, path };
  if (/^\d+$/.test(second)) return { kind: 'version', name: first, version: String(Number(second)), path };
  if (/^m-[0-9a-f]{32}$/.test(first))
    return { kind: 'logged-model', modelId: first, path: [second, ...more].join('/') };
  throw fail(
    `'${second}' is neither a version number nor 'latest' (stages are deprecated in MLflow and not supported here).`,
  );
}

/**
 * A file path an MLmodel names (`entry`, e.g. 'flavors.onnx.data'), or any
 * path read from a model directory (no `entry`), checked as a URI's path is:
 * relative to the model directory and staying inside it.
 */
export function modelFilePath(path: unknown, entry?: string): string {
  const what = entry === undefined ? 'A model file path' : `The model's MLmodel field ${entry}`;
  if (typeof path !== 'string' || path === '') {
    throw invalidParameter(
      `${what} must name a file of the model directory (e.g. 'model.onnx'); it is ${JSON.stringify(path) ?? String(path)}. Log the model again.`,
      {
        field: 'uri',
        ...(entry !== undefined ? { entry } : {}),
      },
    );
  }
  const problem = modelPathProblem(path);
  if (problem !== undefined) {
    throw invalidParameter(
      `${what} is '${path}': it ${problem} Nothing of the model was run. A model names files inside its own directory only: log it again with such paths.`,
      { field: 'uri', ...(entry !== undefined ? { entry } : {}), path },
    );
  }
  return path;
}
