/**
 * mlflow-edge: offline-first MLflow tracking for the browser.
 * @packageDocumentation
 */
export { openTracker, Tracker } from './client/tracker.js';
export type { TrackerOptions, StartRunOptions, SearchRunsOptions, StorageInfo, ErrorListener } from './client/tracker.js';
export { Run } from './client/run.js';
export type { MetricOptions, EndOptions } from './client/run.js';
export { MlflowEdgeError } from './schema/errors.js';
export type { ErrorCode } from './schema/errors.js';
export type {
  Experiment,
  FileInfo,
  LifecycleStage,
  Metric,
  MetricPoint,
  Run as RunRecord,
  RunData,
  RunInfo,
  RunStatus,
  EndStatus,
} from './schema/entities.js';
export type { ArtifactData, DeadLetter, LoggedModel, MetricHistoryColumns, RemoteOptions, SyncCounts, SyncStatus } from './protocol.js';
export type { ModelVersion, RegisteredModel } from './schema/registry.js';
export type { LoadedFrom } from './models/resolve.js';
export type { TextValue } from './schema/validation.js';
export { Model } from './client/model.js';
export type { LoadModelOptions, ModelMetadata, PredictResult } from './models/host.js';
export type { OnnxRuntimeOptions } from './models/ort.js';
export type { ModelSignature, ColSpec, TensorSpec, ParamSpec, Schema, Tensor, DataType } from './schema/signature.js';
export type { LoggedModelInfo, LogModelOptions, ModelSpec } from './models/log.js';
export type { ModelContext, PythonLikeModel } from './model-api.js';
