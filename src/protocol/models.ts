/**
 * MLflow Models as the page sees them: what logModel takes and returns, what
 * loadModel takes and reports, what predict answers. Plain data only; the
 * worker's models/ builds and reads them.
 */
import type { ModelSignature, Tensor } from '../schema/signature/types.js';

/** The flavor name of a JavaScript "model from code" in an MLmodel file. */
export const FLAVOR_JS = 'mlflow_edge_js';

export type ModelSpec =
  | { onnx: Uint8Array | ArrayBuffer }
  | {
      code: string;
      artifacts?: Record<string, Blob | ArrayBuffer | Uint8Array | string>;
      models?: Record<string, string>;
    };

export interface LogModelOptions {
  /** An MLflow signature (as inferSignature returns, or the MLmodel's JSON strings). Inferred from inputExample for code models when absent. */
  signature?: ModelSignature | { inputs: string | null; outputs: string | null; params?: string | null };
  inputExample?: unknown;
  metadata?: Record<string, unknown>;
  registeredModelName?: string;
  /**
   * The logged model's params (MLflow 3's LoggedModel params), stringified as
   * Python's str(). As `mlflow.<flavor>.log_model(params=…)`, the run's params
   * at the call are added, and a run param wins over one given here.
   */
  params?: Record<string, string | number | boolean | bigint | null>;
}

/** A metric point linked to a logged model (MLflow 3's Metric with `model_id`), as the model's page lists it. */
export interface LoggedModelMetric {
  key: string;
  value: number;
  step: number;
  timestamp: number;
  /** The run that logged it. */
  runId: string;
}

export interface LoggedModelInfo {
  /** Where it loads from: `models:/<modelId>` (MLflow 3's model URI); `runs:/<runId>/<name>` works too. */
  modelUri: string;
  /** The MLflow 3 logged model id (`m-` + 32 hex), made here; after sync the server's id also resolves to it. */
  modelId: string;
  name: string;
  /** Same as `name` (MLflow 2's field). */
  artifactPath: string;
  runId: string;
  modelUuid: string;
  flavors: string[];
  /** The version created when `registeredModelName` was given. */
  registeredModelVersion?: string;
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
  /** The model's params (logModel's `params` and the run's params at the call). */
  params: Record<string, string>;
  /** Metric points linked to the model, in logged order. */
  metrics: LoggedModelMetric[];
}

/** local: recorded in this browser; server / url: fetched now; cache: from the files kept when it was last fetched. */
export type LoadedFrom = 'local' | 'server' | 'url' | 'cache';

export interface OnnxRuntimeOptions {
  /** URL of onnxruntime-web's ESM build, e.g. `…/onnxruntime-web/dist/ort.wasm.min.mjs`. */
  module?: string;
  /** Where ORT finds its wasm and glue files (`ort.env.wasm.wasmPaths`). */
  wasmPaths?: string;
  /** The wasm itself, for fully offline use (`ort.env.wasm.wasmBinary`). */
  wasmBinary?: ArrayBuffer;
  /** Threads; default: up to 4 when the page is cross-origin isolated, else 1. */
  numThreads?: number;
}

export interface LoadModelOptions {
  onnxruntime?: OnnxRuntimeOptions;
  /** Run a JavaScript code model (its code runs in the tracker's worker). Default false. */
  allowCode?: boolean;
}

export interface ModelMetadata {
  uri: string;
  /** The flavor this library runs the model with. */
  flavor: 'onnx' | typeof FLAVOR_JS;
  flavors: Record<string, Record<string, unknown>>;
  signature: ModelSignature | null;
  runId?: string;
  modelId?: string | null;
  modelUuid?: string | null;
  utcTimeCreated: string;
  mlflowVersion?: string | null;
  savedInputExampleInfo?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /** local: recorded in this browser; server / url: fetched now; cache: from the files kept when it was last fetched. */
  loadedFrom: LoadedFrom;
  /** ONNX models: the runtime that runs it, onnxruntime-web (wasm) or, in Node, Deno and Bun where installed, onnxruntime-node (cpu). */
  executionProvider?: 'wasm' | 'cpu';
}

export interface PredictResult<T = Record<string, Tensor>> {
  /** ONNX: tensors by output name; a code model: what its predict returned. */
  outputs: T;
  /** Params MLflow would drop with a warning (unknown names, no params schema). */
  warnings: string[];
}
