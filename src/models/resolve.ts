/**
 * Where a model URI's files come from, in this order:
 * 1. the local store: runs, logged models and registry entries recorded in
 *    this browser (also by the ids the server gave them after sync); each
 *    file is checked against the sha256 recorded when it was stored;
 * 2. the MLflow server (runs, logged models, registry versions and aliases,
 *    resolved as MLflow's artifact repositories do), or an http(s) URL;
 *    every file fetched is kept in a local cache with its sha256;
 * 3. when the server or URL cannot be reached, the cache: the URI's last
 *    resolution and the files fetched then, each checked against its hash.
 *
 * A model directory on a server is treated as immutable (MLflow's logged
 * models are), so files already cached for it are not fetched again;
 * resolving the URI (which version an alias names) always asks the server
 * when it can be reached. An http(s) URL is fetched every time it can be.
 * Every path read stays inside the model directory (model-uri.ts).
 */
import { doesNotExist, MlflowEdgeError } from '../schema/errors.js';
import type { ArtifactStore } from '../store/artifacts.js';
import { cacheFile, lastResolution, readCachedFile, recordResolution } from '../store/model-cache.js';
import { findLoggedModel, loggedModelOfRun, loggedModelsOfRun, resolveVersion } from '../store/models.js';
import { localRunId } from '../store/runs.js';
import type { Db } from '../store/schema.js';
import { toMlflowError } from '../remote/errors.js';
import { RestError, type MlflowRest } from '../remote/rest.js';
import { modelFilePath, type ModelUri } from './model-uri.js';
import type { LoadedFrom } from '../protocol.js';

/** Reads a file of a model directory, given its path relative to the model root. */
export type ModelFiles = (path: string) => Promise<Uint8Array>;

export interface ModelSource {
  files: ModelFiles;
  loadedFrom: LoadedFrom;
}

export interface ResolverDeps {
  db: Db;
  artifacts: ArtifactStore;
  /** The configured MLflow server, if any. */
  remote(): MlflowRest | undefined;
  /** Fetches a file of an http(s) model directory. */
  fetchUrl(url: string, path: string): Promise<Uint8Array>;
}

export async function openModel(deps: ResolverDeps, uri: ModelUri, uriText: string): Promise<ModelSource> {
  const source = await openFiles(deps, uri, uriText);
  // Every read, local, cached or fetched, names a file inside the model directory (see model-uri.ts).
  const files: ModelFiles = async (path) => source.files(modelFilePath(path));
  return {
    files,
    get loadedFrom(): LoadedFrom {
      return source.loadedFrom;
    },
  };
}

async function openFiles(deps: ResolverDeps, uri: ModelUri, uriText: string): Promise<ModelSource> {
  const local = await localFiles(deps, uri, uriText);
  if (local !== undefined) return { files: local, loadedFrom: 'local' };
  let source: string;
  let fetchFile: (path: string) => Promise<Uint8Array>;
  let live = true;
  if (uri.kind === 'http') {
    source = uri.url;
    fetchFile = (path) => deps.fetchUrl(uri.url, path);
  } else {
    const rest = deps.remote();
    const resolved =
      rest === undefined
        ? undefined
        : await remoteArtifactUri(rest, uri).catch((error: unknown) => {
            if (error instanceof RestError && error.kind === 'retry') return undefined; // unreachable: try the cache
            throw fromRest(error, uriText);
          });
    if (resolved !== undefined && rest !== undefined) {
      source = `${rest.trackingUri.replace(/\/+$/, '')}|${resolved}`;
      await recordResolution(deps.db, uriText, source);
      fetchFile = (path) =>
        rest.getArtifact(resolved, path).catch((error: unknown) => {
          throw fromRest(error, uriText, path);
        });
    } else {
      const last = await lastResolution(deps.db, uriText);
      if (last === undefined) {
        throw rest === undefined
          ? doesNotExist(
              `${uriText} is not in the local store, and no MLflow server is set to look it up. Call tracker.setRemote({ trackingUri }) or pass remote to openTracker().`,
              { field: 'uri' },
            )
          : new MlflowEdgeError(
              'TEMPORARILY_UNAVAILABLE',
              `${uriText} is not in the local store or the model cache, and the MLflow server at ${rest.trackingUri} cannot be reached. Load it once while online; it then loads offline too.`,
              { field: 'uri' },
            );
      }
      source = last;
      live = false;
      fetchFile = () => Promise.reject(new RestError('offline', 'retry', 0));
    }
  }
  const cached = (path: string) => readCachedFile(deps.db, deps.artifacts, source, path);
  const immutable = uri.kind !== 'http';
  let fetched = false;
  const files: ModelFiles = async (path) => {
    if (immutable || !live) {
      const bytes = await cached(path);
      if (bytes !== undefined) return bytes;
    }
    try {
      const bytes = await fetchFile(path);
      fetched = true;
      await cacheFile(deps.db, deps.artifacts, source, path, bytes);
      return bytes;
    } catch (error) {
      const unreachable =
        (error instanceof RestError && error.kind === 'retry') ||
        (error instanceof MlflowEdgeError && error.code === 'TEMPORARILY_UNAVAILABLE');
      if (!unreachable) throw error;
      const bytes = await cached(path);
      if (bytes !== undefined) return bytes;
      throw new MlflowEdgeError(
        'TEMPORARILY_UNAVAILABLE',
        `'${path}' of ${uriText} is not in the model cache and cannot be fetched now (${(error as Error).message}). Load the model once while online; it then loads offline too.`,
        { field: 'uri', path },
      );
    }
  };
  return {
    files,
    // Read after the files were: 'cache' when none had to be fetched.
    get loadedFrom(): LoadedFrom {
      return !fetched ? 'cache' : uri.kind === 'http' ? 'url' : 'server';
    },
  };
}

/**
 * Files recorded in this browser, when the URI names something here. Each is
 * checked against the sha256 recorded when it was stored: a file changed or
 * damaged on disk is refused, so a code model's code never runs from it.
 */
async function localFiles(deps: ResolverDeps, uri: ModelUri, uriText: string): Promise<ModelFiles | undefined> {
  const { db, artifacts } = deps;
  const read =
    (owner: string, prefix: string): ModelFiles =>
    async (path) => {
      const full = prefix === '' ? path : `${prefix}/${path}`;
      const file = await artifacts.readChecked(owner, full);
      if (file.status === 'missing')
        throw doesNotExist(`The model has no file '${full}'. Check the model URI.`, { field: 'uri', path: full });
      if (file.status === 'changed') {
        const found = file.actual === undefined ? 'can no longer be read' : `has sha256 ${file.actual}`;
        throw new MlflowEdgeError(
          'DATA_LOSS',
          `The stored file '${full}' of ${uriText} was changed or damaged since it was logged: it ${found}, but ${file.expected} was recorded. It was not used, and the model did not run. Log the model again.`,
          {
            field: 'uri',
            path: full,
            expected: file.expected,
            ...(file.actual !== undefined ? { received: file.actual } : {}),
          },
        );
      }
      return file.bytes;
    };
  switch (uri.kind) {
    case 'run': {
      const runId = await localRunId(db, uri.runId);
      if (runId === undefined) return undefined;
      const [first = '', ...rest] = uri.path.split('/');
      const model = await loggedModelOfRun(db, runId, first);
      if (model !== undefined) return read(model.modelId, rest.join('/'));
      // A model directory logged as plain run artifacts (or by an earlier version of this library).
      if (await artifacts.has(runId, `${uri.path}/MLmodel`)) return read(runId, uri.path);
      const names = (await loggedModelsOfRun(db, runId)).map((m) => m.name);
      throw doesNotExist(
        `Run ${uri.runId} has no model '${uri.path}'. Models the run logged: ${names.join(', ') || 'none'}.`,
        { field: 'uri' },
      );
    }
    case 'logged-model': {
      const model = await findLoggedModel(db, uri.modelId);
      return model === undefined ? undefined : read(model.modelId, uri.path);
    }
    case 'version':
    case 'alias':
    case 'latest': {
      const which =
        uri.kind === 'version'
          ? { version: Number(uri.version) }
          : uri.kind === 'alias'
            ? { alias: uri.alias }
            : ('latest' as const);
      const version = await resolveVersion(db, uri.name, which);
      return version === undefined ? undefined : read(version.modelId, uri.path);
    }
    case 'http':
      return undefined;
  }
}

type LoggedModelJson = {
  info: {
    model_id: string;
    artifact_uri: string;
    source_run_id?: string;
    status?: string;
    creation_timestamp_ms?: number;
  };
};

/** The artifact URI of the model directory a URI names on the server (MLflow's artifact repositories' rules). */
async function remoteArtifactUri(rest: MlflowRest, uri: Exclude<ModelUri, { kind: 'http' }>): Promise<string> {
  const join = (root: string, path: string) => (path === '' ? root : `${root.replace(/\/+$/, '')}/${path}`);
  const downloadUri = async (name: string, version: string) =>
    (await rest.call<{ artifact_uri: string }>('GET', 'model-versions/get-download-uri', { name, version }))
      .artifact_uri;
  switch (uri.kind) {
    case 'run': {
      const { run } = await rest.call<{ run: { info: { artifact_uri: string; experiment_id: string } } }>(
        'GET',
        'runs/get',
        { run_id: uri.runId },
      );
      const [first = '', ...rest_] = uri.path.split('/');
      // MLflow 3: a logged model named like the path's first segment, whose source run is this run (MLflow 2 servers have none).
      const found: { models?: LoggedModelJson[] } = !(await rest.hasLoggedModels())
        ? {}
        : await rest.call<{ models?: LoggedModelJson[] }>('POST', 'logged-models/search', {
            experiment_ids: [run.info.experiment_id],
            filter: `name = '${first.replaceAll("'", "\\'")}'`,
            max_results: 100,
          });
      const model = (found.models ?? [])
        .filter((m) => m.info.source_run_id === uri.runId)
        .sort((a, b) => (b.info.creation_timestamp_ms ?? 0) - (a.info.creation_timestamp_ms ?? 0))[0];
      return model !== undefined
        ? join(model.info.artifact_uri, rest_.join('/'))
        : join(run.info.artifact_uri, uri.path);
    }
    case 'logged-model': {
      const { model } = await rest.call<{ model: LoggedModelJson }>(
        'GET',
        `logged-models/${encodeURIComponent(uri.modelId)}`,
      );
      return join(model.info.artifact_uri, uri.path);
    }
    case 'version':
      return join(await downloadUri(uri.name, uri.version), uri.path);
    case 'alias':
    case 'latest': {
      const alias = uri.kind === 'alias' ? uri.alias : 'latest';
      const { model_version } = await rest.call<{ model_version: { version: string } }>(
        'GET',
        'registered-models/alias',
        { name: uri.name, alias },
      );
      return join(await downloadUri(uri.name, model_version.version), uri.path);
    }
  }
}

/** A server's refusal as a typed error that keeps MLflow's code and says what was asked (remote/errors.ts translates). */
function fromRest(error: unknown, uriText: string, path?: string): Error {
  const what = path === undefined ? uriText : `'${path}' of ${uriText}`;
  const missingFile =
    error instanceof RestError && error.kind === 'refused' && error.status === 404 && path !== undefined;
  return toMlflowError(
    error,
    `Loading ${what} from the MLflow server`,
    {
      retry: 'The server could not be reached; load the model once while online and it then loads offline too.',
      auth: 'Check the credentials given to tracker.setRemote().',
      refused: missingFile ? 'The model directory on the server lacks this file.' : 'Check the model URI.',
    },
    { field: 'uri' },
  );
}
