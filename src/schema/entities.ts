/**
 * MLflow's tracking entities as this library returns them. Field names follow
 * MLflow's Python entities in camelCase (`run.info.runId`, `run.data.params`).
 */
import type { Dataset } from './datasets/dataset.js';

export type { Dataset };

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** The statuses a run can be ended with. */
export type EndStatus = 'FINISHED' | 'FAILED' | 'KILLED';
export type LifecycleStage = 'active' | 'deleted';
/** MLflow's ViewType: which lifecycle stages a search returns (`run_view_type`, `view_type`). */
export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
export type ViewType = (typeof VIEW_TYPES)[number];

export interface Experiment {
  experimentId: string;
  name: string;
  lifecycleStage: LifecycleStage;
  creationTime: number;
  lastUpdateTime: number;
  tags: Record<string, string>;
  /** Where the server puts the experiment's artifacts, when one was given to createExperiment (else the server's default). */
  artifactLocation?: string;
}

export interface RunInfo {
  /** 32 lowercase hex characters, minted locally like MLflow's `uuid4().hex`. */
  runId: string;
  runName: string;
  experimentId: string;
  experimentName: string;
  status: RunStatus;
  /** Milliseconds since the Unix epoch. */
  startTime: number;
  /** Milliseconds since the Unix epoch; absent while the run has not ended. */
  endTime?: number;
  lifecycleStage: LifecycleStage;
  userId: string;
  /** The run's id on the remote MLflow server, once sync has created it there. */
  remoteRunId?: string;
}

export interface RunData {
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Latest value per key, picked the way MLflow's SQL store does: max of (step, timestamp, value). */
  metrics: Record<string, number>;
}

/** MLflow's DatasetInput: a dataset a run used, with the input's tags (e.g. `mlflow.data.context`). */
export interface DatasetInput {
  tags: Record<string, string>;
  dataset: Dataset;
}

/** MLflow 3's ModelInput: a logged model the run used. */
export interface ModelInput {
  /** The local logged model's id (`m-…`). */
  modelId: string;
}

/** MLflow's RunInputs. */
export interface RunInputs {
  datasetInputs: DatasetInput[];
  /** Logged models the run used, in the order logged (`run.inputs.model_inputs`). */
  modelInputs: ModelInput[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
  /** The datasets the run used, in the order they were first logged (`run.inputs.dataset_inputs`). */
  inputs: RunInputs;
}

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** One point of a metric history, as `getMetricHistory` returns it. */
export interface MetricPoint {
  step: number;
  value: number;
  timestamp: number;
}

export interface FileInfo {
  /** Run-relative path, `/`-separated. */
  path: string;
  isDir: boolean;
  /** Bytes; absent for directories. */
  fileSize?: number;
}
