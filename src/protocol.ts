/**
 * The page ↔ worker protocol: plain data types only. The worker implements
 * `TrackerWorkerApi`; the page reaches it through comlink. Behaviour lives in
 * client/ and worker/.
 */
import type { SerializedError } from './schema/errors.js';
import type { EndStatus, Experiment, FileInfo, Run } from './schema/entities.js';
import type { LoadModelOptions, ModelMetadata } from './models/host.js';
import type { LoggedModelInfo, LogModelOptions, ModelSpec } from './models/log.js';
import type { ModelVersion, RegisteredModel } from './schema/registry.js';

/** Metric points of one run, columnar so a flush clones four flat arrays. */
export interface MetricColumns {
  keys: string[];
  values: number[];
  steps: number[];
  timestamps: number[];
}

/** What one run logged between two flushes. Params and tags are already stringified. */
export interface RunBatch {
  runId: string;
  metrics?: MetricColumns;
  params?: [key: string, value: string][];
  tags?: [key: string, value: string][];
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
}

export interface StartRunResult {
  run: Run;
}

export interface SearchRunsRequest {
  experimentNames?: string[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
}

/** A metric history as columns; the arrays are transferred, not copied. */
export interface MetricHistoryColumns {
  steps: Float64Array;
  values: Float64Array;
  timestamps: Float64Array;
}

export type ArtifactData = Blob | ArrayBuffer | Uint8Array | string;

export interface OpenRequest {
  dbName: string;
  remote?: RemoteOptions;
}

/** Items recorded locally that the server does not have yet. */
export interface SyncCounts {
  runs: number;
  params: number;
  tags: number;
  metrics: number;
  artifacts: number;
  /** Logged models not yet on the server (READY). */
  models: number;
  /** Registry versions and aliases not yet on the server. */
  registry: number;
  /** Bytes of the artifacts and model files. */
  bytes: number;
}

export interface DeadLetter {
  runId: string;
  kind: 'param' | 'tag' | 'metric' | 'artifact' | 'run' | 'model' | 'model-version' | 'alias';
  key: string;
  /** The server's answer. */
  message: string;
  at: number;
}

export interface SyncStatus {
  /** A remote tracking server is set. */
  configured: boolean;
  trackingUri?: string;
  /** The browser reports a network connection. */
  online: boolean;
  /** This tab's worker is the one that uploads (one per origin and database). */
  leader: boolean;
  /** disabled: no remote; paused: the server refused the credentials; waiting: retrying after a failure; offline: the device is offline and uploads when back online. */
  state: 'disabled' | 'idle' | 'syncing' | 'waiting' | 'paused' | 'offline';
  pending: SyncCounts;
  /** Requests under way. */
  inFlight: number;
  lastSuccessTime?: number;
  lastError?: { code: string; message: string; at: number };
  /** The last thing sync did that the user should know of, e.g. a server that lost data and got everything again. */
  lastNotice?: { message: string; at: number };
  deadLetters: DeadLetter[];
}

export interface RemoteOptions {
  trackingUri: string;
  auth?: { token: string } | { username: string; password: string };
  /** Upload in the background whenever something is pending. Default true. */
  autoSync?: boolean;
}

/** A model logged in this browser (MLflow 3's LoggedModel, in short). */
export interface LoggedModel {
  modelId: string;
  experimentId: string;
  runId: string;
  name: string;
  creationTimestamp: number;
  flavors: string[];
  /** `models:/<modelId>`. */
  modelUri: string;
  /** The id the MLflow server gave it, once synced. */
  remoteModelId?: string;
  /** On the server and READY. */
  synced: boolean;
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
  logArtifact(runId: string, path: string, data: ArtifactData): Promise<FileInfo>;
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
  /** `listener` is a comlink proxy; the returned id unsubscribes it. */
  onSyncStatus(listener: (status: SyncStatus) => void): Promise<number>;
  offSyncStatus(id: number): Promise<void>;
  close(): Promise<void>;
}
