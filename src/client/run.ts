/**
 * A run handle on the page. Logging calls are synchronous: each is checked
 * at once (so a bad value throws at the line that logged it and is never
 * stored) and appended to this run's buffer, which the tracker sends to the
 * worker in batches.
 */
import type { RunBatch } from '../protocol.js';
import { MetricBuffer } from './metric-buffer.js';
import type { Dataset, DatasetInput, EndStatus, FileInfo, Run as RunRecord } from '../schema/entities.js';
import { checkModelInputId, datasetInput, type LogInputOptions } from '../schema/datasets/input.js';
import { invalidParameter, MlflowEdgeError } from '../schema/errors.js';
import {
  paramConflict,
  stringifyValue,
  validateArtifactPath,
  validateEndStatus,
  validateKeyCached,
  validateMetricValue,
  validateParamValue,
  validateStep,
  validateTagValue,
  validateTimestamp,
  validateRunName,
  validateTagDeletion,
  describe,
  type TextValue,
} from '../schema/validation.js';
import type { ArtifactData, LoggedModelInfo, LogModelOptions, ModelSpec } from '../protocol.js';
import { modelIdOf, modelParams, validateLoggedModelName, validateRegisteredModelName } from '../schema/registry.js';
import type { LogHelperHost } from './artifacts/log.js';
import type { FigureInput } from './artifacts/figure.js';
import type { ImageInput } from './artifacts/image.js';
import type { TableData } from './artifacts/table.js';

/** MLflow's tag for a run's name (mlflow.utils.mlflow_tags.MLFLOW_RUN_NAME). */
const RUN_NAME_TAG = 'mlflow.runName';
/** MLflow's tag for a run's description (MLFLOW_RUN_NOTE), which `mlflow.start_run(description=…)` sets. */
export const DESCRIPTION_TAG = 'mlflow.note.content';

export interface MetricOptions {
  /** Default 0. */
  step?: number;
  /** Milliseconds since the epoch; default: now, fixed at this call. */
  timestamp?: number;
  /**
   * The logged model the metric is about (MLflow 3's `model_id`): what
   * run.logModel returned, or its modelId. The point is a metric of the run
   * as always, and also of the model. Without it, a metric at step 0 logged
   * after run.logModel is linked to the model(s) this run logged, as
   * MLflow 3's `mlflow.log_metric` links it to the run's model outputs.
   */
  model?: string | Pick<LoggedModelInfo, 'modelId'>;
}

export type { LoggedModelInfo, LogModelOptions, ModelSpec } from '../protocol.js';

export type { FigureInput } from './artifacts/figure.js';
export type { ImageArray, ImageInput } from './artifacts/image.js';
export type { TableData } from './artifacts/table.js';

/** Where run.logImage puts an image: MLflow's per-step `images/` layout (`key`), or one file. */
export interface LogImageOptions {
  /** The Image chart's name: letters, digits, `_ - . / ` and space. */
  key: string;
  /** Default 0. */
  step?: number;
  /** Milliseconds since the epoch; default: now. */
  timestamp?: number;
}

export interface EndOptions {
  /** Default 'FINISHED'. */
  status?: EndStatus;
}

/** What a Run needs from its tracker. */
export interface RunHost {
  /** Throws INVALID_STATE once the tracker is closed: a closed tracker's runs take nothing. */
  assertOpen(): void;
  enqueue(run: Run, items: number): void;
  flush(): Promise<void>;
  logArtifact(runId: string, path: string, data: ArtifactData): Promise<FileInfo>;
  logInputs(runId: string, inputs: DatasetInput[], models?: string[]): Promise<void>;
  readArtifact(runId: string, path: string): Promise<Blob>;
  getRun(runId: string): Promise<RunRecord>;
  logModel(runId: string, name: string, spec: ModelSpec, options: LogModelOptions): Promise<LoggedModelInfo>;
  endRun(runId: string, status: EndStatus, endTime: number): Promise<void>;
}

/** The helpers (encoders, table writer) load on first use: pages that only log metrics never fetch them. */
const helpers = () => import('./artifacts/log.js');

export class Run {
  /** 32 lowercase hex characters. */
  readonly runId: string;
  /** The run's name; `setRunName` changes it. */
  get runName(): string {
    return this.name;
  }
  private name: string;
  readonly experimentId: string;
  private ended = false;
  /** Params this page knows are stored (or buffered) for the run: conflicts throw at the call. */
  private readonly params: Map<string, string>;
  private readonly metrics = new MetricBuffer();
  private paramBuffer: [string, string][] = [];
  /** Tags set, in call order; null deletes the tag. */
  private tagBuffer: [string, string | null][] = [];
  private logHelperHost: LogHelperHost | undefined;
  /** log_* helper calls not yet finished: end() lets them land first, as Python's calls return only when done. */
  private readonly helpersUnderWay = new Set<Promise<unknown>>();
  /** Models this handle logged, MLflow 3's model outputs of the run (all at step 0), in logged order. */
  private outputModels: string[] | undefined;

  /** @internal Runs come from `tracker.startRun()`. */
  constructor(
    private readonly host: RunHost,
    info: { runId: string; runName: string; experimentId: string },
    params: Record<string, string>,
  ) {
    this.runId = info.runId;
    this.name = info.runName;
    this.experimentId = info.experimentId;
    this.params = new Map(Object.entries(params));
  }

  logMetric(key: string, value: number, options?: MetricOptions): void {
    this.assertRunning();
    const m = this.metrics;
    // The key's check and index once per change of key, not per call.
    const keyIndex = key === m.lastKey ? m.lastIndex : m.indexOf(key);
    validateMetricValue(key, value);
    const step = options?.step ?? 0;
    const timestamp = options?.timestamp ?? Date.now();
    let model: string | undefined;
    if (options !== undefined) {
      checkMetricOptions(key, options);
      validateStep(key, step);
      validateTimestamp(key, timestamp);
      if (options.model !== undefined) model = modelIdOf(options.model);
    }
    m.push(keyIndex, value, step, timestamp);
    // mlflow.log_metric: the given model, else the first model output of the run at the metric's step.
    if (model !== undefined) m.link(model);
    else if (this.outputModels !== undefined && step === 0) m.link(this.outputModels[0]!);
    this.host.enqueue(this, 1);
  }

  /** Logs several metrics at one step and one timestamp; all are checked before any is logged. */
  logMetrics(metrics: Record<string, number>, options?: MetricOptions): void {
    this.assertRunning();
    if (options !== undefined) checkMetricOptions(Object.keys(metrics)[0] ?? '', options);
    const step = options?.step ?? 0;
    const timestamp = options?.timestamp ?? Date.now();
    const entries = Object.entries(metrics);
    for (const [key, value] of entries) {
      validateKeyCached(key, 'metric');
      validateMetricValue(key, value);
      validateStep(key, step);
      validateTimestamp(key, timestamp);
    }
    // mlflow.log_metrics: the given model, else every model output of the run at the metrics' step.
    const models =
      options?.model !== undefined ? [modelIdOf(options.model)] : step === 0 ? (this.outputModels ?? []) : [];
    const m = this.metrics;
    for (const [key, value] of entries) {
      m.push(m.indexOf(key), value, step, timestamp);
      for (const model of models) m.link(model);
    }
    this.host.enqueue(this, entries.length);
  }

  logParam(key: string, value: TextValue): void {
    this.logParams({ [key]: value });
  }

  /** Params are write-once: the same value again is a no-op, another value throws. All are checked before any is logged. */
  logParams(params: Record<string, TextValue>): void {
    this.assertRunning();
    const fresh = new Map<string, string>();
    for (const [key, raw] of Object.entries(params)) {
      validateKeyCached(key, 'param');
      const value = stringifyValue(raw, 'param', key);
      validateParamValue(key, value);
      const old = this.params.get(key) ?? fresh.get(key);
      if (old !== undefined && old !== value) throw paramConflict(this.runId, key, old, value);
      if (old === undefined) fresh.set(key, value);
    }
    for (const [key, value] of fresh) {
      this.params.set(key, value);
      this.paramBuffer.push([key, value]);
    }
    if (fresh.size > 0) this.host.enqueue(this, fresh.size);
  }

  setTag(key: string, value: TextValue): void {
    this.setTags({ [key]: value });
  }

  /** Tags are upserts: a new value replaces the old one. All are checked before any is set. */
  setTags(tags: Record<string, TextValue>): void {
    this.assertRunning();
    const checked: [string, string][] = [];
    for (const [key, raw] of Object.entries(tags)) {
      validateKeyCached(key, 'tag');
      const value = stringifyValue(raw, 'tag', key);
      validateTagValue(key, value);
      checked.push([key, value]);
    }
    this.tagBuffer.push(...checked);
    if (checked.length > 0) this.host.enqueue(this, checked.length);
  }

  /**
   * Deletes a tag, as MLflow's `MlflowClient.delete_tag` (`runs/delete-tag`
   * on sync). A tag that is not there is left absent (offline, the page
   * cannot know whether it is; MLflow's server raises for it). The run's
   * name (`mlflow.runName`) cannot be deleted: rename it with setRunName.
   */
  deleteTag(key: string): void {
    this.assertRunning();
    validateKeyCached(key, 'tag');
    validateTagDeletion(key);
    this.tagBuffer.push([key, null]);
    this.host.enqueue(this, 1);
  }

  /**
   * Renames the run, as MLflow's `MlflowClient.update_run(run_id, name=…)`:
   * the run's name and its `mlflow.runName` tag (synced with runs/update).
   */
  setRunName(name: string): void {
    this.assertRunning();
    validateRunName(name);
    this.setTags({ [RUN_NAME_TAG]: name });
    this.name = name;
  }

  /** Sets the run's description (Markdown), MLflow's `mlflow.note.content` tag, shown on the run page. */
  setDescription(description: string): void {
    if (typeof description !== 'string') {
      throw new MlflowEdgeError(
        'INVALID_PARAMETER_VALUE',
        `Invalid run description ${describe(description)}: pass a string (Markdown).`,
        { field: 'description' },
      );
    }
    this.setTags({ [DESCRIPTION_TAG]: description });
  }

  /** Stores a file under the run's artifacts at `path` (run-relative, `/`-separated); resolves when it is on disk. */
  async logArtifact(path: string, data: ArtifactData): Promise<FileInfo> {
    this.assertRunning();
    validateArtifactPath(path);
    return this.host.logArtifact(this.runId, path, data);
  }

  /**
   * Records that the run used `dataset` (MLflow's `mlflow.log_input`): made
   * by fromRecords, fromColumns or fromNumpy. `context` (e.g. `training`)
   * becomes the input tag `mlflow.data.context`. Resolves when it is on disk;
   * the dataset is checked first, and a refused one stores nothing. The
   * same dataset (name and digest) logged again is kept as first logged.
   * With `model` (a local logged model's `modelId`), the run also records
   * that it used that model, as MLflow 3's model inputs; `dataset` may then
   * be null.
   */
  async logInput(dataset: Dataset | null, options: LogInputOptions = {}): Promise<void> {
    this.assertRunning();
    const models = options.model === undefined ? [] : [checkModelInputId(options.model)];
    if (dataset === null || dataset === undefined) {
      if (models.length === 0)
        throw invalidParameter('logInput needs a dataset, or { model } with the modelId of a logged model.');
      return this.host.logInputs(this.runId, [], models);
    }
    const input = datasetInput(dataset, options);
    return this.host.logInputs(this.runId, [input], models);
  }

  /**
   * mlflow.log_dict: writes `dictionary` as JSON (indent 2, Python's number
   * and escape formats) or, for `.yml`/`.yaml`, as PyYAML's block YAML with
   * sorted keys. Resolves when the file is on disk.
   */
  async logDict(dictionary: unknown, artifactFile: string): Promise<FileInfo> {
    this.assertRunning();
    return this.underWay(helpers().then(({ logDict }) => logDict(this.helperHost(), dictionary, artifactFile)));
  }

  /** mlflow.log_text: writes `text` as UTF-8 to `artifactFile`. */
  async logText(text: string, artifactFile: string): Promise<FileInfo> {
    this.assertRunning();
    return this.underWay(helpers().then(({ logText }) => logText(this.helperHost(), text, artifactFile)));
  }

  /**
   * mlflow.log_table: writes rows (`[{ col: v }, …]`) or columns
   * (`{ col: [v, …] }`) as MLflow's table JSON, appending to what an earlier
   * call wrote to the same file, and lists the file in the run's
   * `mlflow.loggedArtifacts` tag so MLflow's evaluation view and
   * `MlflowClient.load_table` find it. Columns of different lengths throw
   * INVALID_PARAMETER_VALUE and nothing is stored.
   */
  async logTable(data: TableData, artifactFile: string): Promise<FileInfo> {
    this.assertRunning();
    return this.underWay(helpers().then(({ logTable }) => logTable(this.helperHost(), data, artifactFile)));
  }

  /**
   * mlflow.log_image: with `{ key, step }`, MLflow's `images/` layout (a PNG
   * and a `+compressed.webp` thumbnail) and the `mlflow.loggedImages` tag, so
   * MLflow's Image chart shows it per step; with a path, one PNG or JPEG file
   * (by extension). Takes a canvas, an ImageData, a PNG/JPEG Blob, or pixels.
   */
  async logImage(image: ImageInput, where: LogImageOptions | string): Promise<FileInfo> {
    this.assertRunning();
    return this.underWay(helpers().then(({ logImage }) => logImage(this.helperHost(), image, where)));
  }

  /** mlflow.log_figure: an SVG (element or markup) to `.svg`, or a canvas chart to `.png`/`.jpg`. */
  async logFigure(figure: FigureInput, artifactFile: string): Promise<FileInfo> {
    this.assertRunning();
    return this.underWay(helpers().then(({ logFigure }) => logFigure(this.helperHost(), figure, artifactFile)));
  }

  /**
   * Logs an MLflow 3 logged model named `name` from this run: `{ onnx: bytes }`
   * (loadable by MLflow Python with mlflow.pyfunc.load_model) or `{ code }`, a
   * JavaScript module calling setModel from 'mlflow-edge/model'. Load it with
   * tracker.loadModel(info.modelUri) (`models:/<model_id>`) or by
   * `runs:/<runId>/<name>`. With `registeredModelName`, also registers it.
   * With `params`, the model's params (plus the run's params, as MLflow 3's
   * log_model records them); metrics logged with `{ model }` (or at step 0
   * after this call) are the model's metrics.
   */
  async logModel(name: string, spec: ModelSpec, options: LogModelOptions = {}): Promise<LoggedModelInfo> {
    this.assertRunning();
    validateLoggedModelName(name);
    if (options.registeredModelName !== undefined) validateRegisteredModelName(options.registeredModelName);
    // MLflow 3's log_model: the given params, then the run's params (buffered ones too) over them.
    const params = modelParams(options.params ?? {});
    for (const [key, value] of this.params) params[key] = value;
    const info = await this.host.logModel(this.runId, name, spec, { ...options, params });
    (this.outputModels ??= []).push(info.modelId);
    return info;
  }

  /** Resolves when everything logged before the call is on disk; rejects with what the worker refused. */
  async flush(): Promise<void> {
    this.host.assertOpen();
    return this.host.flush();
  }

  /**
   * Ends the run once everything logged before is on disk. Logging after this
   * throws. The status is checked before anything changes: a refused status
   * leaves the run running and this handle usable.
   */
  async end(options: EndOptions = {}): Promise<void> {
    this.host.assertOpen();
    const status = options?.status ?? 'FINISHED';
    validateEndStatus(status);
    if (this.ended) return;
    this.ended = true;
    const endTime = Date.now();
    try {
      await Promise.allSettled([...this.helpersUnderWay]);
      await this.host.flush();
    } finally {
      await this.host.endRun(this.runId, status, endTime);
    }
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** @internal Hands the buffered items to the tracker and starts a new buffer. */
  takeBatch(): RunBatch {
    const batch: RunBatch = { runId: this.runId };
    const metrics = this.metrics.take();
    if (metrics !== undefined) batch.metrics = metrics;
    const links = this.metrics.takeLinks();
    if (links !== undefined) batch.modelLinks = links;
    if (this.paramBuffer.length > 0) {
      batch.params = this.paramBuffer;
      this.paramBuffer = [];
    }
    if (this.tagBuffer.length > 0) {
      batch.tags = this.tagBuffer;
      this.tagBuffer = [];
    }
    return batch;
  }

  /** @internal The flush carrying these params failed: forget them, so logging them again stores them. */
  unlearnParams(params: readonly (readonly [string, string])[]): void {
    for (const [key, value] of params) if (this.params.get(key) === value) this.params.delete(key);
  }

  /** @internal The store holds this value (another writer logged it first). */
  learnParam(key: string, value: string): void {
    this.params.set(key, value);
  }

  private helperHost(): LogHelperHost {
    return (this.logHelperHost ??= {
      runId: this.runId,
      // The call was checked when it was made; end() waits for it, so no running check here.
      writeFile: (path, data) => this.host.logArtifact(this.runId, path, data),
      readFile: (path) => this.host.readArtifact(this.runId, path),
      currentTag: async (key) => {
        await this.host.flush();
        return (await this.host.getRun(this.runId)).data.tags[key];
      },
      setTag: async (key, value) => {
        validateTagValue(key, value);
        this.tagBuffer.push([key, value]);
        this.host.enqueue(this, 1);
        await this.host.flush();
      },
      tables: Promise.resolve(),
    });
  }

  private underWay<T>(call: Promise<T>): Promise<T> {
    this.helpersUnderWay.add(call);
    const done = () => this.helpersUnderWay.delete(call);
    call.then(done, done);
    return call;
  }

  private assertRunning(): void {
    this.host.assertOpen();
    if (this.ended) {
      throw new MlflowEdgeError(
        'INVALID_STATE',
        `Run ${this.runId} has ended; nothing more can be logged to it. Resume it with tracker.startRun({ runId: '${this.runId}' }) or start a new run.`,
        { runId: this.runId },
      );
    }
  }
}

/**
 * The options of logMetric(s) are an object: Python's positional step
 * (`log_metric(key, value, 3)`) or a misspelt option would otherwise log at
 * step 0 without a word. Keys are only looked at when neither option is set.
 */
function checkMetricOptions(key: string, options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new MlflowEdgeError(
      'INVALID_PARAMETER_VALUE',
      `Invalid options ${describe(options)} for metric '${key}': pass an object, e.g. logMetric('${key}', value, { step: 3 }) (MLflow Python's step is a positional argument; here it is { step }).`,
      { kind: 'metric', key },
    );
  }
  const o = options as MetricOptions;
  if (o.step !== undefined || o.timestamp !== undefined || o.model !== undefined) return;
  const unknown = Object.keys(o).filter((k) => k !== 'step' && k !== 'timestamp' && k !== 'model');
  if (unknown.length > 0) {
    throw new MlflowEdgeError(
      'INVALID_PARAMETER_VALUE',
      `Unknown option '${unknown[0]}' for metric '${key}': logMetric takes { step, timestamp, model }.`,
      { kind: 'metric', key },
    );
  }
}
