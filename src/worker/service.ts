/**
 * The worker side of the protocol: checks arguments that crossed
 * postMessage, then hands each call to ingest/ or store/.
 */
import { transfer } from 'comlink';
import type {
  ArtifactData,
  LogBatch,
  LogBatchResult,
  MetricHistoryColumns,
  OpenRequest,
  RemoteOptions,
  SyncStatus,
  SearchRunsRequest,
  StartRunRequest,
  StartRunResult,
  TrackerWorkerApi,
} from '../protocol.js';
import type { EndStatus, Experiment, FileInfo, Run } from '../schema/entities.js';
import { doesNotExist, invalidParameter, MlflowEdgeError } from '../schema/errors.js';
import { DEFAULT_SEARCH_RESULTS, MAX_SEARCH_RESULTS } from '../schema/limits.js';
import { validateArtifactDir, validateArtifactPath, validateKey, validateRunId } from '../schema/validation.js';
import { GroupCommitWriter } from '../ingest/group-commit.js';
import { parseRemote, parseSearchRuns, parseStartRun } from './requests.js';
import { SyncController } from '../sync/controller.js';
import type { LoadModelOptions, ModelHost, ModelMetadata, PredictResult } from '../models/host.js';
import type { ModelUri } from '../models/model-uri.js';
import type { LoggedModelInfo, LogModelOptions, ModelSpec } from '../models/log.js';
import { ArtifactStore } from '../store/artifacts.js';
import { refuse } from '../store/batch.js';
import { readHistory } from '../store/metrics.js';
import { listExperiments } from '../store/experiments.js';
import { openDatabase } from '../store/open.js';
import { endRun, getRun, searchRuns, startRun } from '../store/runs.js';
import { SCHEMA_VERSION, type Db } from '../store/schema.js';

const END_STATUSES: readonly string[] = ['FINISHED', 'FAILED', 'KILLED'];

interface Opened {
  db: Db;
  writer: GroupCommitWriter;
  artifacts: ArtifactStore;
  sync: SyncController;
  /** Loaded on the first loadModel: tracking alone never pays for YAML, signatures or onnxruntime. */
  models?: Promise<ModelHost>;
}

export class TrackerService implements TrackerWorkerApi {
  private opened: Opened | undefined;

  private get state(): Opened {
    if (this.opened === undefined) {
      throw new MlflowEdgeError('INVALID_STATE', 'The tracker is closed (or was never opened). Call openTracker() again.');
    }
    return this.opened;
  }

  async open({ dbName, remote }: OpenRequest): Promise<{ schemaVersion: number }> {
    if (this.opened !== undefined) return { schemaVersion: SCHEMA_VERSION };
    const db = await openDatabase(dbName, {
      onVersionChange: () => {
        this.opened?.sync.close();
        this.opened = undefined;
      },
    });
    const artifacts = new ArtifactStore(db, dbName);
    const sync = new SyncController(db, dbName, artifacts);
    this.opened = { db, writer: new GroupCommitWriter(db), artifacts, sync };
    if (remote !== undefined) await this.setRemote(remote);
    return { schemaVersion: SCHEMA_VERSION };
  }

  async logBatch(batch: LogBatch): Promise<LogBatchResult> {
    if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.runs)) {
      throw new MlflowEdgeError('BAD_REQUEST', 'Malformed log batch: expected { runs: [...] }.');
    }
    const { writer, sync } = this.state;
    const result = await writer.write(batch);
    sync.changed();
    return result;
  }

  async startRun(untrusted: StartRunRequest): Promise<StartRunResult> {
    const request = parseStartRun(untrusted);
    if (request.runId !== undefined) validateRunId(request.runId);
    if (request.parentRunId !== undefined) validateRunId(request.parentRunId);
    const run = await startRun(this.state.db, request);
    this.state.sync.changed();
    return { run };
  }

  async endRun(runId: string, status: EndStatus, endTime: number): Promise<void> {
    validateRunId(runId);
    if (!END_STATUSES.includes(status)) {
      throw invalidParameter(`Invalid run status '${String(status)}'. End a run with 'FINISHED', 'FAILED' or 'KILLED'.`);
    }
    await endRun(this.state.db, runId, status, endTime);
    this.state.sync.changed();
  }

  async getRun(runId: string): Promise<Run> {
    validateRunId(runId);
    return getRun(this.state.db, runId);
  }

  async searchRuns(untrusted: SearchRunsRequest): Promise<Run[]> {
    const request = parseSearchRuns(untrusted);
    const maxResults = request.maxResults ?? DEFAULT_SEARCH_RESULTS;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_SEARCH_RESULTS) {
      throw invalidParameter(
        `Invalid value ${String(maxResults)} for parameter 'max_results' supplied. It must be a positive integer at most ${MAX_SEARCH_RESULTS}.`,
      );
    }
    const query: Parameters<typeof searchRuns>[1] = { maxResults };
    if (request.experimentNames !== undefined) query.experimentNames = request.experimentNames;
    if (request.filter !== undefined) query.filter = request.filter;
    if (request.orderBy !== undefined) query.orderBy = request.orderBy;
    return searchRuns(this.state.db, query);
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricHistoryColumns> {
    validateRunId(runId);
    validateKey(key, 'metric');
    const { db } = this.state;
    if ((await db.getKey('runs', runId)) === undefined) {
      throw doesNotExist(`Run with id=${runId} not found in the local store. Check the id (runs are listed by tracker.searchRuns()).`);
    }
    const h = await readHistory(db, runId, key);
    return transfer(h, [h.steps.buffer, h.values.buffer, h.timestamps.buffer]);
  }

  async listExperiments(): Promise<Experiment[]> {
    return listExperiments(this.state.db);
  }

  async logArtifact(runId: string, path: string, data: ArtifactData): Promise<FileInfo> {
    validateRunId(runId);
    validateArtifactPath(path);
    const blob = toBlob(data, path);
    const { db, artifacts } = this.state;
    const refusal = refuse(runId, await db.get('runs', runId));
    if (refusal !== undefined) throw refusal;
    const info = await artifacts.write(runId, path, blob, Date.now());
    this.state.sync.changed();
    return info;
  }

  async listArtifacts(runId: string, dir: string): Promise<FileInfo[]> {
    validateRunId(runId);
    validateArtifactDir(dir);
    await getRun(this.state.db, runId);
    return this.state.artifacts.list(runId, dir);
  }

  async readArtifact(runId: string, path: string): Promise<Blob> {
    validateRunId(runId);
    validateArtifactPath(path);
    return this.state.artifacts.read(runId, path);
  }

  private models(): Promise<ModelHost> {
    const state = this.state;
    state.models ??= import('../models/host.js').then(({ ModelHost, fetchModelFile }) =>
      new ModelHost((uri, path) => (uri.kind === 'http' ? fetchModelFile(uri.url, path) : modelFile(state.db, state.artifacts, uri, path))),
    );
    return state.models;
  }

  async logModel(runId: string, name: string, spec: ModelSpec, options: LogModelOptions): Promise<LoggedModelInfo> {
    validateRunId(runId);
    validateArtifactPath(name, 'model name');
    const { db, artifacts } = this.state;
    const refusal = refuse(runId, await db.get('runs', runId));
    if (refusal !== undefined) throw refusal;
    const { modelDirectory } = await import('../models/log.js');
    const { files, info } = await modelDirectory(runId, name, spec, options ?? {}, new Date());
    // MLmodel last: a directory without it is not a model yet.
    const order = Object.keys(files).sort((a, b) => Number(a === 'MLmodel') - Number(b === 'MLmodel'));
    for (const file of order) await artifacts.write(runId, `${name}/${file}`, files[file]!, Date.now());
    this.state.sync.changed();
    return info;
  }

  async loadModel(uri: string, options: LoadModelOptions): Promise<{ id: number; metadata: ModelMetadata }> {
    return (await this.models()).load(uri, options);
  }

  async predict(id: number, input: unknown, params?: Record<string, unknown>): Promise<PredictResult> {
    const result = await (await this.models()).predict(id, input, params);
    const buffers = Object.values(result.outputs)
      .map((t) => (ArrayBuffer.isView(t.data) ? t.data.buffer : undefined))
      .filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    return transfer(result, [...new Set(buffers)]);
  }

  async closeModel(id: number): Promise<void> {
    await (await this.opened?.models)?.close(id);
  }

  async setRemote(remote: RemoteOptions | null): Promise<void> {
    if (remote !== null) parseRemote(remote);
    await this.state.sync.configure(remote);
  }

  sync(): Promise<void> {
    return this.state.sync.sync();
  }

  syncStatus(): Promise<SyncStatus> {
    return this.state.sync.status();
  }

  async onSyncStatus(listener: (status: SyncStatus) => void): Promise<number> {
    return this.state.sync.subscribe(listener);
  }

  async offSyncStatus(id: number): Promise<void> {
    this.opened?.sync.unsubscribe(id);
  }

  async close(): Promise<void> {
    this.opened?.sync.close();
    this.opened?.db.close();
    this.opened = undefined;
  }
}

/** Any artifact input as a Blob: a Blob as it is (no copy), bytes and text wrapped. */
function toBlob(data: ArtifactData, path: string): Blob {
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data;
  if (typeof data === 'string' || data instanceof Uint8Array || data instanceof ArrayBuffer) return new Blob([data as BlobPart]);
  throw invalidParameter(
    `Invalid artifact data for '${path}': pass a Blob, ArrayBuffer, Uint8Array or string (JSON.stringify objects first).`,
  );
}

/** A file of a model directory in the local store. */
async function modelFile(db: Db, artifacts: ArtifactStore, uri: ModelUri, path: string): Promise<Uint8Array> {
  switch (uri.kind) {
    case 'run': {
      if ((await db.getKey('runs', uri.runId)) === undefined) {
        throw doesNotExist(`Run ${uri.runId} is not in the local store. (Loading models from a remote server's runs and registry is not available in this version yet.)`, { field: 'uri' });
      }
      return new Uint8Array(await (await artifacts.read(uri.runId, `${uri.path}/${path}`)).arrayBuffer());
    }
    default:
      throw new MlflowEdgeError('INVALID_STATE', `Loading '${uri.kind}' model URIs (models:/…) needs the model registry, which is not available in this version yet. Load by runs:/ or an http(s) URL.`, { field: 'uri' });
  }
}
