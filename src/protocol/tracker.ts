/**
 * The tracker's calls, page → worker through comlink: `TrackerWorkerApi` and
 * the plain data its calls carry. The worker implements it; the page reaches
 * it through comlink. Behaviour lives in client/ and worker/.
 */
import type { SerializedError } from '../schema/errors.js';
import type { DatasetInput, EndStatus, Experiment, FileInfo, Run, ViewType } from '../schema/entities.js';
import type { ExperimentRef } from '../schema/experiments.js';
import type { ModelVersion, RegisteredModel } from '../schema/registry.js';
import type { SystemMetricsSettings } from '../schema/system-metrics.js';
import type {
  LoadModelOptions,
  LoggedModel,
  LoggedModelInfo,
  LogModelOptions,
  ModelMetadata,
  ModelSpec,
} from './models.js';
import type { RemoteOptions, SyncStatus } from './sync.js';

/**
 * Metric points of one run, columnar: point i is for `keys[keyIndexes[i]]`.
 * Typed arrays, so a batch crosses postMessage as a few byte copies instead
 * of one cloned value per point, and the worker appends runs of points with
 * one copy. The columns have one length: the batch's number of points.
 */
export interface MetricColumns {
  /** The batch's distinct keys. */
  keys: string[];
  keyIndexes: Uint32Array;
  values: Float64Array;
  steps: Float64Array;
  timestamps: Float64Array;
}

/** What one run logged between two flushes. Params and tags are already stringified. */
export interface RunBatch {
  runId: string;
  metrics?: MetricColumns;
  params?: [key: string, value: string][];
  /** A null value deletes the tag (`run.deleteTag`). */
  tags?: [key: string, value: string | null][];
  /**
   * Points of `metrics` that MLflow 3 links to a logged model (the metric's
   * `model_id`): the point's index in the columns and the local model id.
   */
  modelLinks?: [pointIndex: number, modelId: string][];
}

export interface LogBatch {
  runs: RunBatch[];
  /**
   * The page tracker's session (one per openTracker) and this batch's number
   * in it, 1, 2, 3…: the worker writes each (sessionId, batchNo) once, so a
   * journal replay never stores a batch twice. Both or neither.
   */
  sessionId?: string;
  batchNo?: number;
}

/** Items the worker refused (e.g. a param changed by another tab); everything else in the batch was stored. */
export interface LogBatchResult {
  rejected: SerializedError[];
  /** The batch was on disk already (an earlier write or replay of the same session and batchNo); nothing was written. */
  duplicate?: true;
}

/** A journal replay: how many batches were written now, how many were on disk already, and what was refused. */
export interface ReplayResult {
  replayed: number;
  skipped: number;
  rejected: SerializedError[];
}

export interface StartRunRequest {
  experimentName?: string;
  runName?: string;
  tags?: Record<string, string>;
  parentRunId?: string;
  /** Resume this existing local run instead of creating one. */
  runId?: string;
  startTime: number;
  /** Sample system metrics in the worker while the run runs (MLflow's log_system_metrics); see schema/system-metrics.ts. */
  systemMetrics?: SystemMetricsSettings;
}

export interface StartRunResult {
  run: Run;
}

export interface SearchRunsRequest {
  experimentNames?: string[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  /** MLflow's run_view_type; default ACTIVE_ONLY. */
  runViewType?: ViewType;
}

export interface CreateExperimentRequest {
  name: string;
  tags?: Record<string, string>;
  artifactLocation?: string;
  /** ms since the epoch, fixed on the page. */
  now: number;
}

export interface SearchExperimentsRequest {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  /** MLflow's view_type; default ACTIVE_ONLY. */
  viewType?: ViewType;
}

/** A metric history as columns; the arrays are transferred, not copied. */
export interface MetricHistoryColumns {
  steps: Float64Array;
  values: Float64Array;
  timestamps: Float64Array;
}

export type ArtifactData = Blob | ArrayBuffer | Uint8Array | string;

export interface OpenRequest {
  /** The IndexedDB database (browser); also names the store's sync channel and lock. */
  dbName: string;
  /**
   * Elsewhere: a directory holding a SQLite store (Node, Deno, Bun), or a
   * named store in memory (edge functions). `maxBytes` caps the store's
   * database file (a device's share of its disk): logging past it fails with
   * RESOURCE_EXHAUSTED, as on a full disk, and keeps everything before it.
   * The cap holds while the store is open; open it with a larger one to go on.
   */
  store?: { path: string; maxBytes?: number } | { memory: string };
  remote?: RemoteOptions;
}

export interface TrackerWorkerApi {
  open(request: OpenRequest): Promise<{ schemaVersion: number }>;
  logBatch(batch: LogBatch): Promise<LogBatchResult>;
  /** Writes the batches of page journals (each with sessionId and batchNo) that are not on disk yet, in order. */
  replayJournal(batches: LogBatch[]): Promise<ReplayResult>;
  startRun(request: StartRunRequest): Promise<StartRunResult>;
  endRun(runId: string, status: EndStatus, endTime: number): Promise<void>;
  getRun(runId: string): Promise<Run>;
  searchRuns(request: SearchRunsRequest): Promise<Run[]>;
  getMetricHistory(runId: string, key: string): Promise<MetricHistoryColumns>;
  listExperiments(): Promise<Experiment[]>;
  /** MLflow's delete_run / restore_run: the run's lifecycle stage. */
  setRunLifecycle(runId: string, stage: 'active' | 'deleted', now: number): Promise<void>;
  createExperiment(request: CreateExperimentRequest): Promise<Experiment>;
  getExperiment(ref: ExperimentRef): Promise<Experiment>;
  setExperimentTags(ref: ExperimentRef, tags: Record<string, string>): Promise<void>;
  /** MLflow's delete_experiment / restore_experiment; its runs follow. */
  setExperimentLifecycle(ref: ExperimentRef, stage: 'active' | 'deleted', now: number): Promise<Experiment>;
  searchExperiments(request: SearchExperimentsRequest): Promise<Experiment[]>;
  logArtifact(runId: string, path: string, data: ArtifactData): Promise<FileInfo>;
  /**
   * Stores the run's dataset inputs and model inputs (local logged model ids)
   * (MLflow's runs/log-inputs); one already logged (same name and digest, or
   * model) is kept as it was.
   */
  logInputs(runId: string, inputs: DatasetInput[], models?: string[]): Promise<void>;
  listArtifacts(runId: string, dir: string): Promise<FileInfo[]>;
  readArtifact(runId: string, path: string): Promise<Blob>;
  logModel(runId: string, name: string, spec: ModelSpec, options: LogModelOptions): Promise<LoggedModelInfo>;
  loadModel(uri: string, options: LoadModelOptions): Promise<{ id: number; metadata: ModelMetadata }>;
  /** `port` (transferred) then carries predict calls for model `id`, beside comlink: see worker/predict-port.ts. */
  servePredicts(id: number, port: MessagePort): Promise<void>;
  closeModel(id: number): Promise<void>;
  registerModel(uri: string, name: string): Promise<ModelVersion>;
  setModelAlias(name: string, alias: string, version: string | number): Promise<void>;
  deleteModelAlias(name: string, alias: string): Promise<void>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  searchModelVersions(name: string): Promise<ModelVersion[]>;
  listLoggedModels(): Promise<LoggedModel[]>;
  clearModelCache(): Promise<number>;
  listLoggedModelArtifacts(modelId: string, dir: string): Promise<FileInfo[]>;
  readLoggedModelArtifact(modelId: string, path: string): Promise<Blob>;
  setRemote(remote: RemoteOptions | null): Promise<void>;
  sync(): Promise<void>;
  syncStatus(): Promise<SyncStatus>;
  /** Forgets the configured server's dead letters; resolves to how many. The refused items are not sent again. */
  clearDeadLetters(): Promise<number>;
  /** `listener` is a comlink proxy; the returned id unsubscribes it. */
  onSyncStatus(listener: (status: SyncStatus) => void): Promise<number>;
  offSyncStatus(id: number): Promise<void>;
  /**
   * `probe` (a comlink proxy) reads the JS heap of the thread that logs (the
   * page, the main script): system metrics' `system/js_heap_used_megabytes`,
   * which a worker cannot see. Called once per tracker, before its first run
   * with logSystemMetrics.
   */
  setHeapProbe(probe: () => number | undefined): Promise<void>;
  close(): Promise<void>;
}
