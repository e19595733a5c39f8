/**
 * The worker side of the protocol: checks arguments that crossed
 * postMessage, then hands each call to ingest/, store/, models/ or sync/,
 * and tells sync that something changed.
 */
import { transfer } from 'comlink';
import type {
  ArtifactData,
  LoadModelOptions,
  LogBatch,
  LoggedModel,
  LogBatchResult,
  LoggedModelInfo,
  LogModelOptions,
  MetricHistoryColumns,
  ModelMetadata,
  ModelSpec,
  OpenRequest,
  RemoteOptions,
  ReplayResult,
  SyncStatus,
  CreateExperimentRequest,
  SearchExperimentsRequest,
  SearchRunsRequest,
  StartRunRequest,
  StartRunResult,
  TrackerWorkerApi,
} from '../protocol.js';
import type { DatasetInput, EndStatus, Experiment, FileInfo, Run } from '../schema/entities.js';
import { doesNotExist, invalidParameter, MlflowEdgeError } from '../schema/errors.js';
import { DEFAULT_SEARCH_RESULTS, MAX_SEARCH_RESULTS } from '../schema/limits.js';
import {
  validateArtifactDir,
  validateArtifactPath,
  validateEndStatus,
  validateExperimentName,
  validateKey,
  validateModelArtifactPath,
  validateRunId,
  validateRunName,
  validateTagValue,
} from '../schema/validation.js';
import { GroupCommitWriter } from '../ingest/group-commit.js';
import {
  parseCreateExperiment,
  parseRemote,
  parseSearchExperiments,
  parseSearchRuns,
  parseStartRun,
} from './requests.js';
import { SyncController } from '../sync/controller.js';
import type { RetryPolicy } from '../remote/retry.js';
import type { ModelHost } from '../models/host.js';
import { ArtifactStore } from '../store/artifacts.js';
import { refuse } from '../store/batch.js';
import { pruneSessions } from '../store/journal.js';
import { readHistory } from '../store/metrics.js';
import {
  createExperiment,
  getExperiment,
  listExperiments,
  searchExperiments,
  setExperimentLifecycle,
  setExperimentTags,
} from '../store/experiments.js';
import {
  validateArtifactLocation,
  validateExperimentRef,
  validateExperimentTag,
  type ExperimentRef,
} from '../schema/experiments.js';
import { clearModelCache } from '../store/model-cache.js';
import { openStore } from '../store/open.js';
import { endRun, getRun, searchRuns, setRunLifecycle, startRun } from '../store/runs.js';
import { logInputs } from '../store/inputs.js';
import { checkModelInputId, datasetInput } from '../schema/datasets/input.js';
import { SCHEMA_VERSION, type Db } from '../store/schema.js';
import {
  deleteAlias,
  findLoggedModel,
  getRegisteredModel,
  listLoggedModels,
  listModelVersions,
  loggedModelSync,
  setAlias,
} from '../store/models.js';
import {
  validateAlias,
  validateLoggedModelName,
  modelParams,
  validateRegisteredModelName,
  type ModelVersion,
  type RegisteredModel,
} from '../schema/registry.js';
import { servePredicts } from './predict-port.js';
import { resolveSystemMetricsSettings } from '../schema/system-metrics.js';
import { monitorHost } from './system-metrics/host.js';
import { SystemMetrics } from './system-metrics/monitor.js';

interface Opened {
  db: Db;
  writer: GroupCommitWriter;
  artifacts: ArtifactStore;
  sync: SyncController;
  /** Loaded on the first loadModel: tracking alone never pays for YAML, signatures or onnxruntime. */
  models?: Promise<ModelHost>;
  /** The models once loaded, for what system metrics read of them. */
  modelHost?: ModelHost;
  /** Monitors of the runs started with logSystemMetrics. */
  systemMetrics: SystemMetrics;
}

export class TrackerService implements TrackerWorkerApi {
  private opened: Opened | undefined;

  /**
   * `retry`: how sync retries (tests pass a fast policy; the worker uses the default).
   * `direct`: the service runs in the caller's isolate, alone with its store
   * (edge functions, src/edge.ts): sync runs only when asked, and leaves no timer behind.
   */
  constructor(
    private readonly retry?: RetryPolicy,
    private readonly options: { direct?: boolean } = {},
  ) {}

  private get state(): Opened {
    if (this.opened === undefined) {
      throw new MlflowEdgeError(
        'INVALID_STATE',
        'The tracker is closed (or was never opened). Call openTracker() again.',
      );
    }
    return this.opened;
  }

  async open({ dbName, store, remote }: OpenRequest): Promise<{ schemaVersion: number }> {
    if (this.opened !== undefined) return { schemaVersion: SCHEMA_VERSION };
    const { db, blobs, adapter } = await openStore(store ?? dbName, {
      onVersionChange: () => {
        void this.opened?.systemMetrics.stopAll();
        this.opened?.sync.close();
        this.opened = undefined;
      },
    });
    const artifacts = new ArtifactStore(db, blobs);
    const sync = new SyncController(db, dbName, artifacts, this.retry, this.options.direct === true);
    // IndexedDB reads one large record about twice as fast as eight small ones; SQLite hardly cares, and writes each point once instead of twice.
    const writer = new GroupCommitWriter(db, { sealBlocks: adapter === 'indexeddb' });
    const onnx = () => this.opened?.modelHost?.onnxExecutionProvider();
    const monitors = monitorHost(db, writer, () => sync.changed(), store, onnx);
    const systemMetrics = new SystemMetrics(monitors, this.options.direct === true);
    this.opened = { db, writer, artifacts, sync, systemMetrics };
    // Housekeeping only: a failure leaves a few more journal marks, which cost space, not data.
    await pruneSessions(db).catch(() => undefined);
    if (remote !== undefined) await this.setRemote(remote);
    return { schemaVersion: SCHEMA_VERSION };
  }

  async logBatch(batch: LogBatch): Promise<LogBatchResult> {
    checkBatch(batch);
    const { writer, sync } = this.state;
    const result = await writer.write(batch);
    if (result.duplicate !== true) sync.changed();
    return result;
  }

  async replayJournal(batches: LogBatch[]): Promise<ReplayResult> {
    if (!Array.isArray(batches))
      throw new MlflowEdgeError('BAD_REQUEST', 'Malformed journal: expected an array of log batches.');
    for (const batch of batches) {
      checkBatch(batch);
      if (batch.sessionId === undefined)
        throw new MlflowEdgeError(
          'BAD_REQUEST',
          'Malformed journal: every replayed batch carries sessionId and batchNo.',
        );
    }
    const { writer, sync } = this.state;
    // Queued in order, so each session's batches are written in order.
    const results = await Promise.all(batches.map((batch) => writer.write(batch)));
    const skipped = results.filter((r) => r.duplicate === true).length;
    if (skipped < results.length) sync.changed();
    return { replayed: results.length - skipped, skipped, rejected: results.flatMap((r) => r.rejected) };
  }

  async startRun(untrusted: StartRunRequest): Promise<StartRunResult> {
    const request = parseStartRun(untrusted);
    checkStartRun(request);
    const monitor = request.systemMetrics && resolveSystemMetricsSettings(request.systemMetrics);
    const run = await startRun(this.state.db, request);
    this.state.sync.changed();
    if (monitor !== undefined)
      await this.state.systemMetrics.start(run.info.runId, monitor, request.runId !== undefined);
    return { run };
  }

  async endRun(runId: string, status: EndStatus, endTime: number): Promise<void> {
    validateRunId(runId);
    validateEndStatus(status);
    // Before the end: a sample under way lands first, and none comes after.
    await this.state.systemMetrics.stop(runId);
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
    if (request.runViewType !== undefined) query.runViewType = request.runViewType;
    return searchRuns(this.state.db, query);
  }

  async setRunLifecycle(runId: string, stage: 'active' | 'deleted', now: number): Promise<void> {
    validateRunId(runId);
    checkStage(stage);
    checkTime(now);
    await setRunLifecycle(this.state.db, runId, stage, now);
    this.state.sync.changed();
  }

  async createExperiment(untrusted: CreateExperimentRequest): Promise<Experiment> {
    const request = parseCreateExperiment(untrusted);
    validateExperimentName(request.name);
    for (const [key, value] of Object.entries(request.tags ?? {})) validateExperimentTag(key, value);
    if (request.artifactLocation !== undefined) validateArtifactLocation(request.artifactLocation);
    const experiment = await createExperiment(this.state.db, request);
    this.state.sync.changed();
    return experiment;
  }

  async getExperiment(ref: ExperimentRef): Promise<Experiment> {
    validateExperimentRef(ref);
    return getExperiment(this.state.db, ref);
  }

  async setExperimentTags(ref: ExperimentRef, tags: Record<string, string>): Promise<void> {
    validateExperimentRef(ref);
    if (typeof tags !== 'object' || tags === null)
      throw invalidParameter('Experiment tags must be an object of strings.');
    for (const [key, value] of Object.entries(tags)) validateExperimentTag(key, value);
    await setExperimentTags(this.state.db, ref, tags);
    this.state.sync.changed();
  }

  async setExperimentLifecycle(ref: ExperimentRef, stage: 'active' | 'deleted', now: number): Promise<Experiment> {
    validateExperimentRef(ref);
    checkStage(stage);
    checkTime(now);
    const experiment = await setExperimentLifecycle(this.state.db, ref, stage, now);
    this.state.sync.changed();
    return experiment;
  }

  async searchExperiments(untrusted: SearchExperimentsRequest): Promise<Experiment[]> {
    const request = parseSearchExperiments(untrusted);
    const maxResults = request.maxResults ?? DEFAULT_SEARCH_RESULTS;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_SEARCH_RESULTS) {
      throw invalidParameter(
        `Invalid value ${String(maxResults)} for parameter 'max_results' supplied. It must be a positive integer at most ${MAX_SEARCH_RESULTS}.`,
      );
    }
    const query: Parameters<typeof searchExperiments>[1] = { maxResults, viewType: request.viewType ?? 'ACTIVE_ONLY' };
    if (request.filter !== undefined) query.filter = request.filter;
    if (request.orderBy !== undefined) query.orderBy = request.orderBy;
    return searchExperiments(this.state.db, query);
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricHistoryColumns> {
    validateRunId(runId);
    validateKey(key, 'metric');
    const { db } = this.state;
    if ((await db.getKey('runs', runId)) === undefined) {
      throw doesNotExist(
        `Run with id=${runId} not found in the local store. Check the id (runs are listed by tracker.searchRuns()).`,
      );
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

  async logInputs(runId: string, inputs: DatasetInput[], models: string[] = []): Promise<void> {
    validateRunId(runId);
    if (!Array.isArray(inputs) || !Array.isArray(models))
      throw invalidParameter('logInputs takes a list of dataset inputs and a list of logged model ids.');
    // Checked again here: the page is not trusted to have checked them.
    const checked = inputs.map((i) => datasetInput(i?.dataset, { tags: i?.tags }));
    for (const m of models) checkModelInputId(m);
    await logInputs(this.state.db, runId, checked, models);
    this.state.sync.changed();
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
    if (state.models !== undefined) return state.models;
    state.models = Promise.all([import('../models/host.js'), import('../models/resolve.js')]).then(
      ([{ ModelHost, fetchModelFile }, { openModel }]) =>
        new ModelHost((uri, text) =>
          openModel(
            { db: state.db, artifacts: state.artifacts, remote: () => state.sync.rest(), fetchUrl: fetchModelFile },
            uri,
            text,
          ),
        ),
    );
    void state.models.then(
      (host) => (state.modelHost = host),
      () => undefined,
    );
    return state.models;
  }

  async logModel(runId: string, name: string, spec: ModelSpec, options: LogModelOptions): Promise<LoggedModelInfo> {
    validateRunId(runId);
    validateLoggedModelName(name);
    options ??= {};
    if (options.registeredModelName !== undefined) validateRegisteredModelName(options.registeredModelName);
    if (options.params !== undefined) options = { ...options, params: modelParams(options.params) };
    const { db, artifacts } = this.state;
    const { recordLoggedModel } = await import('../models/record.js');
    const info = await recordLoggedModel(db, artifacts, runId, name, spec, options);
    this.state.sync.changed();
    return info;
  }

  async registerModel(uri: string, name: string): Promise<ModelVersion> {
    validateRegisteredModelName(name);
    const { registerLoggedModel } = await import('../models/register.js');
    const version = await registerLoggedModel(this.state.db, uri, name);
    this.state.sync.changed();
    return version;
  }

  async setModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    validateRegisteredModelName(name);
    validateAlias(alias);
    const n = Number(version);
    if (!Number.isSafeInteger(n) || n < 1)
      throw invalidParameter(`Parameter 'version' must be an integer, got '${String(version)}'.`, { field: 'version' });
    await setAlias(this.state.db, name, alias, n, Date.now());
    this.state.sync.changed();
  }

  async deleteModelAlias(name: string, alias: string): Promise<void> {
    validateRegisteredModelName(name);
    validateAlias(alias);
    await deleteAlias(this.state.db, name, alias, Date.now());
    this.state.sync.changed();
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    validateRegisteredModelName(name);
    return getRegisteredModel(this.state.db, name);
  }

  async searchModelVersions(name: string): Promise<ModelVersion[]> {
    validateRegisteredModelName(name);
    return listModelVersions(this.state.db, name);
  }

  async clearModelCache(): Promise<number> {
    return clearModelCache(this.state.db, this.state.artifacts);
  }

  async listLoggedModelArtifacts(modelId: string, dir: string): Promise<FileInfo[]> {
    validateModelArtifactPath(dir, 'dir');
    return this.state.artifacts.list(await this.loggedModelId(modelId), dir);
  }

  async readLoggedModelArtifact(modelId: string, path: string): Promise<Blob> {
    validateModelArtifactPath(path, 'path');
    return this.state.artifacts.read(await this.loggedModelId(modelId), path);
  }

  /** The local id of a logged model named by its local or its server id. */
  private async loggedModelId(modelId: string): Promise<string> {
    const model = typeof modelId === 'string' ? await findLoggedModel(this.state.db, modelId) : undefined;
    if (model === undefined) {
      throw doesNotExist(
        `Logged model with ID '${String(modelId)}' not found in the local store. tracker.listLoggedModels() lists the models logged here.`,
        { field: 'modelId' },
      );
    }
    return model.modelId;
  }

  async listLoggedModels(): Promise<LoggedModel[]> {
    const synced = await loggedModelSync(this.state.db);
    return (await listLoggedModels(this.state.db)).map(
      ({ modelId, experimentId, runId, name, creationTime, flavors, params, metrics }) => {
        const { remoteModelId, ready } = synced.get(modelId) ?? {};
        return {
          modelId,
          experimentId,
          runId,
          name,
          creationTimestamp: creationTime,
          flavors,
          modelUri: `models:/${modelId}`,
          ...(remoteModelId !== undefined ? { remoteModelId } : {}),
          synced: ready === true,
          params: params ?? {},
          metrics: metrics ?? [],
        };
      },
    );
  }

  async loadModel(uri: string, options: LoadModelOptions): Promise<{ id: number; metadata: ModelMetadata }> {
    return (await this.models()).load(uri, options);
  }

  async servePredicts(id: number, port: MessagePort): Promise<void> {
    servePredicts(port, id, () => this.models());
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

  clearDeadLetters(): Promise<number> {
    return this.state.sync.clearDeadLetters();
  }

  async onSyncStatus(listener: (status: SyncStatus) => void): Promise<number> {
    return this.state.sync.subscribe(listener);
  }

  async setHeapProbe(probe: () => number | undefined): Promise<void> {
    if (typeof probe !== 'function') throw new MlflowEdgeError('BAD_REQUEST', 'setHeapProbe takes a function.');
    this.state.systemMetrics.heapProbe = probe;
  }

  async offSyncStatus(id: number): Promise<void> {
    this.opened?.sync.unsubscribe(id);
  }

  async close(): Promise<void> {
    // First: no sample may write into a store being closed.
    await this.opened?.systemMetrics.stopAll();
    this.opened?.sync.close();
    this.opened?.db.close();
    this.opened = undefined;
  }
}

/** MLflow's rules for what startRun stores, checked again here: the page's checks are not trusted. */
function checkStartRun(request: StartRunRequest): void {
  if (request.runId !== undefined) validateRunId(request.runId);
  if (request.parentRunId !== undefined) validateRunId(request.parentRunId);
  if (request.experimentName !== undefined) validateExperimentName(request.experimentName);
  if (request.runName !== undefined) validateRunName(request.runName);
  for (const [key, value] of Object.entries(request.tags ?? {})) {
    validateKey(key, 'tag');
    validateTagValue(key, value);
  }
}

const MAX_SESSION_ID = 100;

/** The shape of a log batch that crossed postMessage; its items are checked by ingest/validate.ts. */
function checkBatch(batch: LogBatch): void {
  if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.runs)) {
    throw new MlflowEdgeError('BAD_REQUEST', 'Malformed log batch: expected { runs: [...] }.');
  }
  const { sessionId, batchNo } = batch;
  if (sessionId === undefined && batchNo === undefined) return;
  if (
    typeof sessionId !== 'string' ||
    sessionId === '' ||
    sessionId.length > MAX_SESSION_ID ||
    !Number.isSafeInteger(batchNo) ||
    batchNo! < 1
  ) {
    throw new MlflowEdgeError(
      'BAD_REQUEST',
      'Malformed log batch: sessionId must be a non-empty string and batchNo a positive integer, both or neither.',
      {
        field: 'sessionId',
      },
    );
  }
}

/** Any artifact input as a Blob: a Blob as it is (no copy), bytes and text wrapped. */
function toBlob(data: ArtifactData, path: string): Blob {
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data;
  if (typeof data === 'string' || data instanceof Uint8Array || data instanceof ArrayBuffer)
    return new Blob([data as BlobPart]);
  throw invalidParameter(
    `Invalid artifact data for '${path}': pass a Blob, ArrayBuffer, Uint8Array or string (JSON.stringify objects first).`,
  );
}

function checkStage(stage: unknown): asserts stage is 'active' | 'deleted' {
  if (stage !== 'active' && stage !== 'deleted')
    throw new MlflowEdgeError('BAD_REQUEST', `Malformed lifecycle stage ${String(stage)}: 'active' or 'deleted'.`);
}

function checkTime(now: unknown): asserts now is number {
  if (!Number.isSafeInteger(now) || (now as number) < 0)
    throw new MlflowEdgeError('BAD_REQUEST', `Malformed time ${String(now)}: milliseconds since the epoch.`);
}
