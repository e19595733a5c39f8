/**
 * mlflow-edge: offline-first MLflow tracking for the browser.
 * @packageDocumentation
 */
export { openTracker, Tracker } from './client/tracker.js';
export type {
  TrackerOptions,
  StartRunOptions,
  SearchRunsOptions,
  CreateExperimentOptions,
  SearchExperimentsOptions,
  ExperimentRef,
  StorageInfo,
  ErrorListener,
} from './client/tracker.js';
export { Run } from './client/run.js';
export type {
  MetricOptions,
  EndOptions,
  LogImageOptions,
  ImageInput,
  ImageArray,
  TableData,
  FigureInput,
} from './client/run.js';
export type { LogInputOptions } from './schema/datasets/input.js';
export { MlflowEdgeError } from './schema/errors.js';
export type { ErrorCode } from './schema/errors.js';
export type {
  Dataset,
  DatasetInput,
  ModelInput,
  RunInputs,
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
  ViewType,
} from './schema/entities.js';
export type {
  ArtifactData,
  DeadLetter,
  LoggedModel,
  MetricHistoryColumns,
  RemoteOptions,
  SyncCounts,
  SyncStatus,
} from './protocol.js';
export type { ModelVersion, RegisteredModel } from './schema/registry.js';
export type { TextValue } from './schema/validation.js';
export { Model } from './client/model.js';
export type { LoadedFrom, LoadModelOptions, ModelMetadata, OnnxRuntimeOptions, PredictResult } from './protocol.js';
export type { ModelSignature, ColSpec, TensorSpec, ParamSpec, Schema, Tensor, DataType } from './schema/signature.js';
export type { LoggedModelInfo, LoggedModelMetric, LogModelOptions, ModelSpec } from './protocol.js';
export type { ModelContext, PythonLikeModel } from './model-api.js';
