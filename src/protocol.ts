/**
 * The page ↔ worker protocol: plain data types only. The worker implements
 * `TrackerWorkerApi`; the page reaches it through comlink. Behaviour lives in
 * client/ and worker/.
 */
import type { SerializedError } from './schema/errors.js';
import type { EndStatus, Experiment, FileInfo, Run } from './schema/entities.js';

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
}

/** Items the worker refused (e.g. a param changed by another tab); everything else in the batch was stored. */
export interface LogBatchResult {
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
}

export interface TrackerWorkerApi {
  open(request: OpenRequest): Promise<{ schemaVersion: number }>;
  logBatch(batch: LogBatch): Promise<LogBatchResult>;
  startRun(request: StartRunRequest): Promise<StartRunResult>;
  endRun(runId: string, status: EndStatus, endTime: number): Promise<void>;
  getRun(runId: string): Promise<Run>;
  searchRuns(request: SearchRunsRequest): Promise<Run[]>;
  getMetricHistory(runId: string, key: string): Promise<MetricHistoryColumns>;
  listExperiments(): Promise<Experiment[]>;
  logArtifact(runId: string, path: string, data: ArtifactData): Promise<FileInfo>;
  listArtifacts(runId: string, dir: string): Promise<FileInfo[]>;
  readArtifact(runId: string, path: string): Promise<Blob>;
  close(): Promise<void>;
}
