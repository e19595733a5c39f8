/**
 * The model URIs MLflow understands (store/artifact/utils/models.py,
 * runs_artifact_repo.py), parsed into what a loader needs to fetch.
 */
import { invalidParameter } from '../schema/errors.js';

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
  const fail = (why: string) => invalidParameter(`Not a proper model URI: ${JSON.stringify(uri)}. ${why} ${FORMS}`, { field: 'uri', received: uri });
  if (typeof uri !== 'string' || uri === '') throw fail('Pass the URI as a string.');
  if (/^https?:\/\//i.test(uri)) {
    try {
      return { kind: 'http', url: new URL(uri).href.replace(/\/+$/, '') };
    } catch {
      throw fail('The URL does not parse.');
    }
  }
  const runs = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(uri);
  if (runs !== null) {
    const [, runId, rest] = runs;
    const path = trimSlashes(rest ?? '');
    if (!/^[0-9a-zA-Z][\w-]{0,255}$/.test(runId!)) throw fail('The run id is not valid.');
    if (path === '') throw fail("Name the model's path inside the run, e.g. 'runs:/<run_id>/model'.");
    return { kind: 'run', runId: runId!, path };
  }
  const models = /^models:\/+(.*)$/.exec(uri);
  if (models === null) throw fail('The scheme is not runs:, models:, http: or https:.');
  const segments = trimSlashes(models[1]!).split('/');
  const [first = '', second, ...more] = segments;
  if (first === '') throw fail('The model name is empty.');
  const at = first.lastIndexOf('@');
  if (at !== -1) {
    const name = first.slice(0, at);
    const alias = first.slice(at + 1);
    if (name === '' || alias === '') throw fail('Both the name and the alias must be non-empty.');
    return { kind: 'alias', name, alias, path: [second, ...more].filter((s) => s !== undefined).join('/') };
  }
  if (second === undefined) {
    if (!/^m-[0-9a-f]{32}$/.test(first)) throw fail("A single segment must be a logged model id ('m-' and 32 hex characters).");
    return { kind: 'logged-model', modelId: first, path: '' };
  }
  const path = more.join('/');
  if (/^latest$/i.test(second)) return { kind: 'latest', name: first, path };
  if (/^\d+$/.test(second)) return { kind: 'version', name: first, version: String(Number(second)), path };
  if (first.startsWith('m-') && /^m-[0-9a-f]{32}$/.test(first)) return { kind: 'logged-model', modelId: first, path: [second, ...more].join('/') };
  throw fail(`'${second}' is neither a version number nor 'latest' (stages are deprecated in MLflow and not supported here).`);
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}
